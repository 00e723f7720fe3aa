"""Candidate operations: flagged networks tied beyond chance are grouped, chance ties are not; ids are deterministic;
the tables arrive by migration; CLI, export and evaluation show them.

Most tests build a run by hand (networks, members, fused edges, growth evidence, login prefixes) so that each signal
is exercised alone; one test runs the real pipeline on the synthetic generator.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pyarrow as pa
import pytest

from flockwatch.cli.app import main
from flockwatch.engine.migrations import SCHEMA_VERSION
from flockwatch.errors import ValidationError, WorkspaceError
from flockwatch.evaluate import evaluate
from flockwatch.networks import build_operations, export_operations, load_operations
from flockwatch.workspace import Workspace

from fwtest import read_csv

RUN = "run-test"
T0 = dt.datetime(2019, 8, 1)
N_ORGANIC = 500


def _cell(prefix: str, n: int = 8) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def _clique(members: list[str], weight: float = 12.0) -> list[tuple[str, str, float]]:
    return [(a, b, weight) for i, a in enumerate(members) for b in members[i + 1 :]]


def _cross(a: list[str], b: list[str], n: int, weight: float = 6.0) -> list[tuple[str, str, float]]:
    pairs = [(x, y) for x in a for y in b]
    return [(x, y, weight) for x, y in pairs[:: max(1, len(pairs) // n)][:n]]


def make_run(
    ws: Workspace,
    cells: dict[str, list[str]],
    edges: list[tuple[str, str, float]],
    grown: dict[str, tuple[str, dict[str, float]]] | None = None,
    infra: list[tuple[str, str]] | None = None,
    background_links: int = 3,
) -> None:
    """Store a finished run by hand: ``cells`` are flagged networks (id -> members), ``edges`` fused links,
    ``grown`` accounts added by growth (account -> (network, network_votes)), ``infra`` (account, prefix) sightings.
    ``N_ORGANIC`` organic accounts act once each; the first members hold ``background_links`` links to them."""
    e = ws.engine
    grown = grown or {}
    organic = [f"u{i}" for i in range(N_ORGANIC)]
    everyone = [m for ms in cells.values() for m in ms] + list(grown) + organic
    e.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": ["x"] * len(everyone),
                "action_id": [f"act-{a}" for a in everyone],
                "account_id": everyone,
                "kind": ["post"] * len(everyone),
                "acted_at": pa.array([T0] * len(everyone), pa.timestamp("us")),
            }
        ),
    )
    first = [ms[0] for ms in cells.values()]
    edges = edges + [(first[i % len(first)], organic[i], 4.0) for i in range(background_links)]
    e.sql(
        "INSERT INTO detection_runs VALUES (?, '{}', ?, ?, 'co_repost', ?, ?, 'done')",
        [RUN, T0, T0, len(everyone), len(edges)],
    )
    e.insert_arrow(
        "fused_edges",
        pa.table(
            {
                "run_id": [RUN] * len(edges),
                "account_a": [min(a, b) for a, b, _ in edges],
                "account_b": [max(a, b) for a, b, _ in edges],
                "weight": [w for *_, w in edges],
                "score": [min(1.0, w / 20) for *_, w in edges],
                "detectors": ["co_repost"] * len(edges),
                "components_json": ["{}"] * len(edges),
            }
        ),
    )
    rows = []
    for i, (nid, members) in enumerate(sorted(cells.items())):
        size = len(members) + sum(1 for n, _ in grown.values() if n == nid)
        e.sql(
            "INSERT INTO networks (run_id, network_id, size, score, flagged, density, signals, first_at, last_at, "
            "top_targets_json, timeline_json, explanation) VALUES (?, ?, ?, 0.9, true, 0.8, ?, ?, ?, '[]', '[]', 'x')",
            [
                RUN,
                nid,
                size,
                json.dumps({"co_repost": 10}),
                T0 + dt.timedelta(hours=i),
                T0 + dt.timedelta(days=1, hours=i),
            ],
        )
        rows += [(nid, m, 0.9, "cluster", None) for m in members]
    rows += [
        (nid, acc, 0.8, "grow", json.dumps({"joined_by": "grow", "network_votes": votes}))
        for acc, (nid, votes) in grown.items()
    ]
    e.insert_arrow(
        "network_members",
        pa.table(
            {
                "run_id": [RUN] * len(rows),
                "network_id": [r[0] for r in rows],
                "account_id": [r[1] for r in rows],
                "account_score": [r[2] for r in rows],
                "joined_by": [r[3] for r in rows],
                "evidence_json": pa.array([r[4] for r in rows], pa.string()),
            }
        ),
    )
    if infra:
        e.insert_arrow(
            "infrastructure",
            pa.table(
                {
                    "platform": ["x"] * len(infra),
                    "account_id": [a for a, _ in infra],
                    "seen_at": pa.array([T0] * len(infra), pa.timestamp("us")),
                    "ip_prefix": [p for _, p in infra],
                }
            ),
        )


def _groups(ops) -> list[list[str]]:
    return [op.network_ids for op in ops]


def test_dense_cells_tied_by_many_cross_links_merge(ws):
    a, b = _cell("a"), _cell("b")
    make_run(ws, {"N0001": a, "N0002": b}, _clique(a) + _clique(b) + _cross(a, b, 12))
    ops = build_operations(ws)
    assert _groups(ops) == [["N0001", "N0002"]]
    op = ops[0]
    assert op.operation_id == "O0001" and op.n_members == 16 and op.score == 0.9
    link = op.links[0]
    ev = link.evidence["co_action_links"]
    assert ev["observed"] == 12 and ev["expected"] < 0.1 and ev["discovery"] and link.p_value < 1e-10
    assert len(ev["example_pairs"]) == 3 and ev["example_pairs"][0]["account_a"].startswith("a")
    assert op.signals["ties"] == {"co_action_links": 1} and op.signals["detectors"] == {"co_repost": 20}
    assert op.first_at == T0 and op.last_at == T0 + dt.timedelta(days=1, hours=1)
    assert "candidate operation" in op.explanation().lower() and "unlikely" in op.explanation()


@pytest.mark.parametrize("min_links", [1, 2])
def test_a_single_chance_link_does_not_merge(ws, min_links):
    # one cross link where the background rate of links to unrelated accounts makes ~0.03 expected: not beyond
    # chance even when single links are tested (min_links=1), and not tested at all by default
    a, b = _cell("a"), _cell("b")
    make_run(ws, {"N0001": a, "N0002": b}, _clique(a) + _clique(b) + _cross(a, b, 1))
    ops = build_operations(ws, min_links=min_links)
    assert _groups(ops) == [["N0001"], ["N0002"]]
    assert all(not op.links for op in ops)


def test_background_rate_sets_the_bar(ws):
    # the same 3 cross links are beyond chance when members rarely link outside, but not when they link to
    # unrelated accounts all the time
    a, b = _cell("a"), _cell("b")
    edges = _clique(a) + _clique(b) + _cross(a, b, 3)
    make_run(ws, {"N0001": a, "N0002": b}, edges, background_links=0)
    assert _groups(build_operations(ws)) == [["N0001", "N0002"]]
    w2 = Workspace.memory()
    try:
        make_run(w2, {"N0001": a, "N0002": b}, edges, background_links=N_ORGANIC)
        assert _groups(build_operations(w2)) == [["N0001"], ["N0002"]]
    finally:
        w2.close()


def test_growth_votes_naming_both_networks_tie_them(ws):
    a, b, c = _cell("a"), _cell("b"), _cell("c")
    grown = {f"g{i}": ("N0001", {"N0001": 1.0, "N0002": 1.0}) for i in range(6)}
    # votes below MIN_VOTE (a sliver of a shared prefix) do not name a network
    grown.update({f"h{i}": ("N0001", {"N0001": 1.0, "N0003": 0.2}) for i in range(6)})
    make_run(ws, {"N0001": a, "N0002": b, "N0003": c}, _clique(a) + _clique(b) + _clique(c), grown=grown)
    ops = build_operations(ws)
    assert _groups(ops) == [["N0001", "N0002"], ["N0003"]]
    ev = ops[0].links[0].evidence["shared_amplifiers"]
    assert ev["observed"] == 6 and ev["named_a"] == 12 and ev["named_b"] == 6 and ev["discovery"]
    assert ev["example_accounts"] == ["g0", "g1", "g2"]
    assert ops[0].n_members == 8 + 12 + 8
    assert ops[0].signals["ties"] == {"shared_amplifiers": 1}


def test_rare_shared_login_prefixes_tie_networks_and_popular_ones_do_not(ws):
    a, b, c, d = _cell("a"), _cell("b"), _cell("c"), _cell("d")
    organic = [f"u{i}" for i in range(N_ORGANIC)]
    # everyone logs in from two national ISP prefixes; a and b also share four rare prefixes
    infra = [(acc, isp) for acc in a + b + c + d + organic for isp in ("isp0", "isp1")]
    infra += [(acc, f"vpn{i % 4}") for i, acc in enumerate(a + b)]
    cells = {"N0001": a, "N0002": b, "N0003": c, "N0004": d}
    make_run(ws, cells, [e for m in cells.values() for e in _clique(m)], infra=infra)
    ops = build_operations(ws)
    assert _groups(ops) == [["N0001", "N0002"], ["N0003"], ["N0004"]]
    ev = ops[0].links[0].evidence["shared_infrastructure"]
    # the 4 rare prefixes count; the 2 ISP prefixes any two groups would share are left out of the test
    assert ev["observed"] == 4 and ev["common_prefixes_left_out"] == 2 and ev["discovery"]
    assert ev["expected"] < 0.1
    assert {p["ip_prefix"] for p in ev["example_prefixes"]} <= {"vpn0", "vpn1", "vpn2", "vpn3"}
    assert _groups(build_operations(ws, infrastructure=False)) == [["N0001"], ["N0002"], ["N0003"], ["N0004"]]


def test_ids_are_deterministic_and_stored(ws):
    big, b1, b2 = _cell("a", 10), _cell("b"), _cell("c")
    s1, s2 = _cell("s", 4), _cell("t", 4)
    cells = {"N0005": big, "N0001": b1, "N0002": b2, "N0004": s1, "N0003": s2}
    edges = [e for m in cells.values() for e in _clique(m)] + _cross(b1, b2, 10)
    make_run(ws, cells, edges)
    ops = build_operations(ws)
    # by member count, then smallest network id: the 16-account pair, the 10-cell, then N0003 before N0004
    assert [(o.operation_id, o.network_ids) for o in ops] == [
        ("O0001", ["N0001", "N0002"]),
        ("O0002", ["N0005"]),
        ("O0003", ["N0003"]),
        ("O0004", ["N0004"]),
    ]
    again = build_operations(ws)
    assert [o.to_dict() for o in again] == [o.to_dict() for o in ops]
    assert ws.engine.sql("SELECT count(*) FROM operations WHERE run_id = ?", [RUN]).scalar() == 4
    assert ws.engine.sql("SELECT count(*) FROM operation_links WHERE run_id = ?", [RUN]).scalar() == 1
    loaded = load_operations(ws)
    assert [o.to_dict() for o in loaded] == [o.to_dict() for o in ops]
    params = json.loads(ws.engine.sql("SELECT params_json FROM detection_runs").scalar())
    assert params["operations"]["operations"] == 4 and params["operations"]["linked_ties"] == 1
    with pytest.raises(ValidationError):
        build_operations(ws, fdr=0.0)


def test_migration_applies_to_a_v3_workspace(tmp_path):
    wdir = tmp_path / "ws"
    a, b = _cell("a"), _cell("b")
    with Workspace.create(wdir) as ws:
        make_run(ws, {"N0001": a, "N0002": b}, _clique(a) + _clique(b) + _cross(a, b, 12))
        # turn it back into a workspace written before operations existed
        e = ws.engine
        for t in (
            "operations",
            "operation_networks",
            "operation_links",
            "account_handles",
            "text_exact",
            "text_minhash",
        ):
            e.sql(f"DROP TABLE {t}")
        # every migration after 0003 (the later ones recreate what they need with IF NOT EXISTS)
        e.sql("DELETE FROM migrations WHERE name > '0003_network_growth'")
        e.sql("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="flockwatch migrate"):
        Workspace.open(wdir, read_only=True)
    with Workspace.open(wdir) as ws:
        assert ws.schema_version == SCHEMA_VERSION >= 4
        assert ws.engine.count("operations") == 0
        # networks built before operations existed: grouped on the fly, not stored
        ops = load_operations(ws)
        assert _groups(ops) == [["N0001", "N0002"]] and ws.engine.count("operations") == 0
        assert load_operations(ws, compute_missing=False) == []
    with Workspace.open(wdir, read_only=True) as ws:
        assert _groups(load_operations(ws)) == [["N0001", "N0002"]]
        rows = read_csv(export_operations(ws, tmp_path / "ops.csv"))
        assert {r["operation_id"] for r in rows} == {"O0001"} and len(rows) == 16


def test_cli_list_show_export(tmp_path, capsys):
    wdir = tmp_path / "ws"
    a, b, c = _cell("a"), _cell("b"), _cell("c")
    with Workspace.create(wdir) as ws:
        make_run(ws, {"N0001": a, "N0002": b, "N0003": c}, _clique(a) + _clique(b) + _clique(c) + _cross(a, b, 12))
        build_operations(ws)
    w = ["--workspace", str(wdir)]
    assert main(["networks", "operations", *w, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(o["operation_id"], o["networks"], o["n_members"]) for o in listed] == [
        ("O0001", ["N0001", "N0002"], 16),
        ("O0002", ["N0003"], 8),
    ]
    assert listed[0]["signals"]["ties"] == {"co_action_links": 1} and "links" not in listed[0]
    assert main(["networks", "operations", *w, "--show", "O0001", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["links_total"] == 1 and shown["links"][0]["evidence"]["co_action_links"]["observed"] == 12
    assert main(["networks", "operations", *w, "--show", "O0001"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # Rich wraps lines at the terminal width
    assert "Candidate operation O0001" in out and "N0001 - N0002" in out and "expected for unrelated groups" in out
    assert main(["networks", "operations", *w]) == 0
    assert "O0002" in capsys.readouterr().out
    assert main(["networks", "operations", *w, "--show", "O0009"]) == 2
    assert main(["networks", "operations", *w, "--rebuild", "--fdr", "1e-6", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["networks"] == ["N0001", "N0002"]
    out_csv = tmp_path / "ops.csv"
    assert main(["networks", "export", *w, "--operations", str(out_csv)]) == 0
    rows = read_csv(out_csv)
    assert list(rows[0])[:3] == ["operation_id", "network_id", "account_id"]
    assert len(rows) == 24 and {r["operation_id"] for r in rows if r["account_id"].startswith("b")} == {"O0001"}
    assert {r["operation_id"] for r in rows if r["account_id"].startswith("c")} == {"O0002"}


def test_evaluate_reports_operation_level_figures(ws, tmp_path):
    a, b, c = _cell("a"), _cell("b"), _cell("c")
    make_run(ws, {"N0001": a, "N0002": b, "N0003": c}, _clique(a) + _clique(b) + _clique(c) + _cross(a, b, 12))
    build_operations(ws)
    truth = dict.fromkeys(a + b + c[:4], "op1")
    result = evaluate(ws, truth)
    assert result["operations"] == {"op1": 20}  # the older key keeps its meaning
    ops = result["candidate_operations"]
    assert ops["operations"] == 2 and ops["operations_with_truth"] == 2 and ops["largest_members"] == 16
    assert ops["largest_truth_operation"] == "op1"
    # 16 of the 20 found op1 accounts sit in O0001; O0002 is half op1, half organic
    assert ops["operation_recall"] == 0.8
    assert ops["operation_purity"] == round((16 + 4) / 24, 4)
    assert ops["per_truth_operation"][0]["best_candidate_operation"] == "O0001"
    p = export_operations(ws, tmp_path / "ops.parquet")
    assert p.exists()


def test_pipeline_stores_operations(ws):
    from flockwatch.detect import detect
    from flockwatch.evaluate.zipf import generate, load_into
    from flockwatch.networks import build_networks

    data = generate(20_000, seed=4)
    load_into(ws, data)
    run = detect(ws, detectors=["co_repost", "co_hashtag"])
    # a high CPM resolution cuts the planted operation into several flagged cells; operations put them together
    nets = build_networks(ws, run.run_id, resolution=0.9)
    ops = load_operations(ws, run.run_id, compute_missing=False)
    flagged = sorted(n.network_id for n in nets if n.flagged)
    assert sorted(n for op in ops for n in op.network_ids) == flagged
    truth = set(data.truth.column("account_id").to_pylist())
    # every flagged cell of the planted operation ends up in one candidate operation, tied by tested links
    planted = sorted(n.network_id for n in nets if n.flagged and len(set(n.members) & truth) > len(n.members) / 2)
    assert len(planted) >= 2
    assert ops[0].operation_id == "O0001" and set(planted) <= set(ops[0].network_ids) and len(ops[0].links) >= 1
    result = evaluate(ws, dict.fromkeys(truth, "op"), run.run_id)["candidate_operations"]
    assert result["operation_recall"] == 1.0 and result["operation_purity"] >= 0.95


def test_false_discovery_control_counts_every_network_pair():
    from flockwatch.networks.operations import _discoveries, _Test

    def t(p):
        return _Test("co_action_links", "N0001", "N0002", 3, 0.1, math.log(p), {})

    # p = 1e-5 is a discovery among 2 networks (3 tests), not among 200 (59,700 tests: untested pairs still count)
    assert len(_discoveries([t(1e-5)], n_networks=2, fdr=1e-3)) == 1
    assert _discoveries([t(1e-5)], n_networks=200, fdr=1e-3) == []
    link = _discoveries([t(1e-9)], n_networks=200, fdr=1e-3)[0]
    assert link.weight == 9.0 and link.p_value == 3e-9 and link.evidence["co_action_links"]["discovery"]
