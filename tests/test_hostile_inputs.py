"""Hostile inputs: every user-supplied value that can reach SQL, on every verb that takes one, gets a clean answer.

Quotes, a semicolon with a statement after it, NUL, backslashes and non-Latin text go through each option,
argument and file of ids (``grep -rn "typer.Option\\|typer.Argument" src/flockwatch/cli``) on one small workspace.
Each call must end with exit 0 (a clean result) or exit 2 (a plain message): never exit 3 or 1, never SQL text in
the output, and the workspace keeps every table and row it had.
"""

from __future__ import annotations

import re
import shutil

import pytest
from report import demo_data

from flockwatch.cli.app import main
from flockwatch.workspace import Workspace

from fwtest import FIXTURES

HOSTILE = {
    "quote": "x'",
    "double_quote": '"',
    "statement": "x'; DROP TABLE actions; --",
    "nul": "a\x00b",
    "backslash": "back\\slash\\'",
    "non_latin": "新华社 Синьхуа ديوان",
}

# what an engine or parser error would show (ExternalError carries the SQL text)
SQL_LEAK = re.compile(
    r"engine error|in statement|Parser Error|Binder Error|Catalog Error|Conversion Error|"
    r"\bSELECT\b|\bFROM\b.*\bWHERE\b|sqlite3\.|OperationalError|Traceback",
    re.S,
)

# (case id, argv with {v} for the hostile value, {f} for a file holding it, {d} for the scratch directory)
CASES = [
    ("signals --platform", ["signals", "--platform", "{v}", "--json"]),
    ("signals --family", ["signals", "--family", "{v}", "--json"]),
    ("signals --accounts", ["signals", "--accounts", "{f}", "--json"]),
    ("working-hours --platform", ["working-hours", "--platform", "{v}", "--json"]),
    ("working-hours --accounts", ["working-hours", "--accounts", "{f}", "--per-account", "--json"]),
    ("narratives --accounts --platform", ["narratives", "--accounts", "{f}", "--platform", "{v}", "--json"]),
    ("report NETWORK_ID", ["report", "{v}", "--out", "{d}/r.html"]),
    ("report --accounts --platform", ["report", "n", "--accounts", "{f}", "--platform", "{v}", "--out", "{d}/r.html"]),
    ("attribute --accounts file --network-id", ["attribute", "--accounts", "{f}", "--network-id", "{v}", "--json"]),
    ("attribute --accounts network:", ["attribute", "--accounts", "network:{v}", "--json"]),
    ("ads check ADVERTISER", ["ads", "check", "{v}", "--date", "2019-09-01", "--json"]),
    ("ads check --batch", ["ads", "check", "--batch", "{f}", "--date", "2019-09-01", "--json"]),
    ("ads check --policy", ["ads", "check", "RT", "--policy", "{v}"]),
    ("ads check --date", ["ads", "check", "RT", "--date", "{v}"]),
    ("ads check --region", ["ads", "check", "RT", "--region", "{v}", "--json"]),
    ("labels export --policy", ["labels", "export", "--policy", "{v}"]),
    ("labels export --date", ["labels", "export", "--date", "{v}"]),
    ("labels export --format", ["labels", "export", "--out", "{d}/labels.csv", "--format", "{v}"]),
    ("media list --country", ["media", "list", "--country", "{v}", "--json"]),
    ("media list --kind", ["media", "list", "--kind", "{v}", "--json"]),
    ("media show OUTLET", ["media", "show", "{v}", "--json"]),
    ("media show --country", ["media", "show", "Xinhua", "--country", "{v}", "--json"]),
    ("media decide --policy", ["media", "decide", "--policy", "{v}"]),
    ("media decide --outlet", ["media", "decide", "--outlet", "{v}"]),
    ("media decide --as-of", ["media", "decide", "--as-of", "{v}"]),
    ("media history OUTLET", ["media", "history", "{v}", "--json"]),
    ("media history --policy", ["media", "history", "RT", "--policy", "{v}", "--json"]),
    (
        "media appeal file --grounds --filed-by",
        ["media", "appeal", "file", "1", "--grounds", "{v}", "--filed-by", "{v}", "--json"],
    ),
    (
        "media appeal review --reviewer --note --outcome",
        ["media", "appeal", "review", "999999", "--reviewer", "{v}", "--note", "{v}", "--outcome", "{v}"],
    ),
    ("media appeal list --status", ["media", "appeal", "list", "--status", "{v}", "--json"]),
    ("export TABLE", ["export", "{v}", "--out", "{d}/t.parquet"]),
    ("ingest --format", ["ingest", "{d}/actions.csv", "--format", "{v}", "--json"]),
    ("ingest --platform", ["ingest", "{d}/actions.csv", "--platform", "{v}", "--json"]),
    ("networks list --run", ["networks", "list", "--run", "{v}", "--json"]),
    ("networks show NETWORK_ID", ["networks", "show", "{v}", "--json"]),
    ("networks explain ACCOUNT", ["networks", "explain", "{v}", "--json"]),
    ("networks explain A B", ["networks", "explain", "{v}", "{v}", "--json"]),
    ("networks export --run", ["networks", "export", "--run", "{v}", "--members", "{d}/m.csv"]),
    ("networks operations --run --show", ["networks", "operations", "--run", "{v}", "--show", "{v}"]),
    ("expand --seeds file", ["expand", "--seeds", "{f}", "--output", "{d}/x.csv", "--rounds", "1"]),
    ("expand --seeds network:", ["expand", "--seeds", "network:{v}", "--output", "{d}/x.csv"]),
    ("watch --seeds", ["watch", "--seeds", "{f}", "--dir", "{d}/incoming", "--once", "--no-expand"]),
    ("evaluate --run", ["evaluate", "--run", "{v}", "--json"]),
    (
        "evaluate --id-column --category-column",
        ["evaluate", "--categories", "{d}/cats.csv", "--id-column", "{v}", "--category-column", "{v}", "--json"],
    ),
    ("detect --detector", ["detect", "--detector", "{v}", "--json"]),
    ("detect --param", ["detect", "--param", "{v}", "--json"]),
]

TABLES = ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions", "infrastructure")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "ws"
    with Workspace.create(path) as ws:
        demo_data.load(ws)
    # a detection run, so that --run, network ids and seeds meet real tables rather than "no run yet"
    assert main(["detect", "--workspace", str(path), "--json"]) == 0
    return path


def _counts(path) -> dict[str, int]:
    with Workspace.open(path, read_only=True) as ws:
        return {t: ws.engine.count(t) for t in TABLES}


def _scratch(tmp_path, value: str) -> dict[str, str]:
    (tmp_path / "ids.txt").write_text(f"op00\n{value}\nop01\n", encoding="utf-8")
    (tmp_path / "incoming").mkdir()
    shutil.copy(FIXTURES / "ingest" / "canonical" / "actions.csv", tmp_path / "actions.csv")
    (tmp_path / "cats.csv").write_text("author_id,account_category\nop00,troll\n", encoding="utf-8")
    return {"f": str(tmp_path / "ids.txt"), "d": str(tmp_path)}


def _params():
    for case_id, argv in CASES:
        for name, value in HOSTILE.items():
            yield pytest.param(argv, value, id=f"{case_id}[{name}]")


@pytest.mark.parametrize(("argv", "value"), list(_params()))
def test_hostile_value_gets_a_clean_answer(workspace, tmp_path, capsys, argv, value):
    before = _counts(workspace)
    subst = {"v": value, **_scratch(tmp_path, value)}
    args = [a.format(**subst) for a in argv] + ["--workspace", str(workspace)]
    code = main(args)
    out = capsys.readouterr()
    text = out.out + out.err
    assert code in (0, 2), f"exit {code}: {text[-2000:]}"
    assert not SQL_LEAK.search(text.replace(value, "")), text[-2000:]
    if code == 2:
        assert "error" in out.err.lower() or "usage" in out.err.lower(), out.err
    after = _counts(workspace)
    assert all(after[t] >= before[t] for t in TABLES), (before, after)  # nothing dropped (ingest may add)
