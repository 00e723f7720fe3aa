import random
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pyarrow as pa
import pytest

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.report import (
    build_report,
    collect_report_data,
    read_account_file,
    resolve_network,
    stored_network_edges,
    write_report,
)
from flockwatch.report.build import _graph_section
from flockwatch.workspace import Workspace

from . import demo_data

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

ATTRIBUTION = {
    "confidence": "moderate",
    "rationale": "Activity fits office hours at UTC+8 (E1). All 30 accounts were created within 30 minutes (E2).",
    "what_would_change_it": "Infrastructure observations pointing elsewhere would lower it.",
    "evidence": [
        {"id": "E1", "kind": "timing", "detail": "UTC+8 office shape"},
        {"id": "E2", "kind": "creation", "detail": "2019-05-20, 30 accounts"},
    ],
}

EXTERNAL = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture
def demo(ws):
    return ws, demo_data.load(ws)


def test_report_has_every_section_and_no_external_requests(demo):
    ws, ids = demo
    html = build_report(ws, ids, name="demo-hk", attribution=ATTRIBUTION)
    for section in ("overview", "timeline", "hours", "creation", "graph", "signals", "narratives", "attribution"):
        assert f'<section id="{section}">' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in unescape(html)
    assert not EXTERNAL.search(html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert "url(" not in html
    assert html.count("<svg") >= 4
    # the fingerprint of the planted UTC+8 office hours is stated, hedged
    assert "UTC+8" in html and "confidence" in html
    # attribution evidence rows are shown
    assert "E1" in html and "UTC+8 office shape" in html and "moderate" in html


def test_report_data_reflects_the_network(demo):
    ws, ids = demo
    d = collect_report_data(ws, ids, name="demo-hk")
    assert d["overview"]["accounts_active"] == 30 and d["overview"]["actions"] == 1200
    assert d["fingerprint"]["utc_offset_h"] == 8 or "UTC+8" in d["fingerprint"]["label"]
    assert d["creation"]["bursts"][0]["created_on"] == "2019-05-20"
    assert d["creation"]["bursts"][0]["scope_accounts_created_that_day"] == 30
    assert d["graph"]["nodes_shown"] == 30 and d["graph"]["source"].startswith("shared")
    tags = [item for facet, _, items in d["narratives"]["facets"] if facet == "hashtag" for item in items]
    assert {"riots", "hongkong"} <= {t["item"] for t in tags}
    assert d["attribution"] is None


def test_passed_edges_are_drawn(demo):
    ws, ids = demo
    edges = [(ids[0], ids[1], 5.0), (ids[1], ids[2], 1.0), ("outsider", ids[0], 9.0)]
    d = collect_report_data(ws, ids, name="x", edges=edges)
    assert d["graph"]["edges_shown"] == 2 and d["graph"]["nodes_shown"] == 3
    assert d["graph"]["isolated"] == 27 and d["graph"]["source"] == "detection edges"


def test_text_from_the_data_is_escaped(ws):
    ws.engine.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": ["t"],
                "action_id": ["1"],
                "account_id": ['<img src="http://evil.example/x">'],
                "kind": ["post"],
                "acted_at": pa.array([0], pa.timestamp("us")),
                "text": ["<script>alert(1)</script>"],
            }
        ),
    )
    html = build_report(
        ws,
        ['<img src="http://evil.example/x">'],
        name="<b>n</b>",
        attribution={"confidence": "low", "rationale": "<script>x</script>", "evidence": []},
    )
    assert "<script>" not in html and '<img src="http' not in html and "&lt;b&gt;n&lt;/b&gt;" in html


def test_empty_network_still_renders(ws):
    html = build_report(ws, ["nobody"], name="empty")
    assert "no data for" in html and "no activity" in html


def test_resolve_network_before_detection():
    ws = Workspace.memory()
    with pytest.raises(ValidationError, match="flockwatch detect"):
        resolve_network(ws, "N0007")
    assert resolve_network(ws, "N0007", resolver=lambda n: ["b", "a"] if n == "N0007" else None) == ["a", "b"]


def test_resolve_network_takes_the_latest_run_and_its_edges():
    ws = Workspace.memory()
    e = ws.engine
    e.sql(
        "INSERT INTO detection_runs (run_id, status, started_at) VALUES "
        "('r1', 'done', '2019-01-01'), ('r2', 'done', '2019-02-01')"
    )
    e.sql(
        "INSERT INTO network_members (run_id, network_id, account_id) VALUES "
        "('r1', 'N0001', 'old'), ('r2', 'N0001', 'a'), ('r2', 'N0001', 'b')"
    )
    e.sql(
        "INSERT INTO fused_edges (run_id, account_a, account_b, weight) VALUES "
        "('r2', 'a', 'b', 2.5), ('r1', 'old', 'a', 1), ('r2', 'a', 'zz', 1)"
    )
    assert resolve_network(ws, "N0001") == ["a", "b"]
    assert resolve_network(ws, "r1/N0001") == ["old"]
    assert stored_network_edges(ws, "N0001") == [("a", "b", 2.5)]
    assert stored_network_edges(ws, "r1/N0001") is None
    with pytest.raises(ValidationError, match="not in detection run r2"):
        resolve_network(ws, "N0009")


def test_read_account_file(tmp_path):
    p = tmp_path / "ids.txt"
    p.write_text("# core\nb\n\na\nb\n")
    assert read_account_file(p) == ["b", "a"]
    with pytest.raises(InputFileError):
        read_account_file(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("\n# nothing\n")
    with pytest.raises(InputFileError):
        read_account_file(tmp_path / "empty.txt")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package `chromium`)")
def test_report_renders_in_headless_chromium(demo, tmp_path):
    ws, ids = demo
    page = write_report(ws, ids, tmp_path / "report.html", name="demo-hk", attribution=ATTRIBUTION)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-demo.png"
    shot.unlink(missing_ok=True)
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    subprocess.run(
        base + [f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        base + ["--dump-dom", page.as_uri()], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert "Hour-of-week activity" in dom and dom.count("<svg") >= 4
    assert not EXTERNAL.search(dom)


def test_the_network_picture_is_the_same_whatever_the_edge_order_and_random_state():
    """The same network gets the same picture and colours every time: the community colouring draws igraph's
    random numbers (seeded now) and read the edges in the order they came."""
    ids = [f"a{i:02d}" for i in range(18)]
    # three loose groups of six, chained: multilevel's result depends on the order it visits nodes
    edges = [(ids[i], ids[j], 1.0 + (i * j) % 3) for i in range(18) for j in range(i + 1, 18) if i // 6 == j // 6]
    edges += [(ids[5], ids[6], 2.0), (ids[11], ids[12], 2.0), (ids[0], ids[17], 1.0)]
    pictures = set()
    for seed in range(8):
        random.seed(seed)
        order = edges[:]
        random.Random(seed).shuffle(order)
        section = _graph_section(ids, order, fallback=False)
        pictures.add((section["svg"], section["communities"]))
    assert len(pictures) == 1
