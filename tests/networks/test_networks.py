"""Fusion, Leiden clustering, scores, explanations and exports of candidate networks."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import igraph as ig
import pytest

from flockwatch.detect import detect
from flockwatch.evaluate.zipf import generate, load_into
from flockwatch.networks import (
    build_networks,
    explain_pair,
    export_edges,
    export_graph,
    export_members,
    load_networks,
)
from flockwatch.networks.cluster import leiden_communities

from fwtest import read_csv


@pytest.fixture(scope="module")
def data():
    return generate(40_000, seed=11)


@pytest.fixture
def built(ws, data):
    load_into(ws, data)
    run = detect(ws, detectors=["co_repost", "co_hashtag", "co_link"])
    nets = build_networks(ws, run.run_id)
    return ws, run, nets, set(data.truth.column("account_id").to_pylist())


def test_planted_operation_is_one_flagged_network(built):
    ws, run, nets, truth = built
    flagged = [n for n in nets if n.flagged]
    assert len(flagged) == 1
    net = flagged[0]
    assert set(net.members) == truth
    assert net.network_id == "N0001" and net.score > 0.6
    assert set(net.signals) == {"co_repost", "co_hashtag", "co_link"}
    assert net.top_targets and net.timeline and net.first_at <= net.last_at
    assert "candidate network" in net.explanation.lower() and "confidence" in net.explanation
    assert all(0 <= s <= 1 for s in net.account_scores.values())
    stored = load_networks(ws, run.run_id, flagged_only=True)
    assert [n.members for n in stored] == [net.members]


def test_pair_explanation_has_components_and_evidence(built):
    ws, _run, _nets, truth = built
    a, b = sorted(truth)[:2]
    res = explain_pair(ws, b, a)
    assert res["account_a"] == a and {c["detector"] for c in res["components"]} == {
        "co_repost",
        "co_hashtag",
        "co_link",
    }
    assert res["evidence"] and "expected by chance" in res["explanation"]
    none = explain_pair(ws, "u1", "u2")
    assert none["components"] == [] and "No calibrated link" in none["explanation"]


def test_exports(built, tmp_path):
    ws, _run, _nets, truth = built
    members = export_members(ws, tmp_path / "m.csv")
    rows = read_csv(members)
    assert list(rows[0]) == [
        "network_id",
        "account_id",
        "network_score",
        "account_score",
        "joined_by",
        "platform",
        "assessment",
    ]
    assert {r["account_id"] for r in rows} == truth
    # ids and creation dates alone cannot clear anyone: the planted accounts are not assessed authentic
    assert {r["platform"] for r in rows} == {"twitter"} and {r["assessment"] for r in rows} == {"insufficient_evidence"}
    everyone = read_csv(export_members(ws, tmp_path / "all.csv", include_all=True))
    assert len(everyone) >= len(rows)
    g = ig.Graph.Read_GraphML(str(export_graph(ws, tmp_path / "g.graphml")))
    assert g.vcount() == len(truth) and g.ecount() > 0 and "detectors" in g.es.attributes()
    root = ET.parse(export_graph(ws, tmp_path / "g.gexf")).getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert len(root.findall(".//g:node", ns)) == len(truth)
    assert len(root.findall(".//g:edge", ns)) == g.ecount()
    # edges in key order, so that the same run always writes the same file (edge ids included)
    ends = [tuple(sorted((g.vs[e.source]["name"], g.vs[e.target]["name"]))) for e in g.es]
    assert ends == sorted(ends)


def test_edge_export_one_row_per_detector_edge(built, tmp_path, capsys):
    ws, run, _nets, _truth = built
    rows = read_csv(export_edges(ws, tmp_path / "edges.csv", run.run_id))
    assert list(rows[0])[:4] == ["account_a", "account_b", "detector", "weight"]
    stored = ws.engine.sql(
        "SELECT detector, account_a, account_b, weight, p_value FROM edges WHERE run_id = ? ORDER BY 1, 2, 3",
        [run.run_id],
    ).rows()
    assert [(r["detector"], r["account_a"], r["account_b"]) for r in rows] == [s[:3] for s in stored]
    for r, (_, _, _, weight, p) in zip(rows, stored, strict=True):
        assert float(r["weight"]) == pytest.approx(weight) == pytest.approx(-math.log10(p), abs=1e-6)
        assert r["account_a"] < r["account_b"]


def test_two_runs_on_the_same_data_give_the_same_networks(built):
    ws, _run, nets, _truth = built
    again = detect(ws, detectors=["co_repost", "co_hashtag", "co_link"])
    nets2 = build_networks(ws, again.run_id)
    assert [(n.members, n.score, n.flagged) for n in nets2] == [(n.members, n.score, n.flagged) for n in nets]


def test_cpm_keeps_small_dense_cells_apart():
    # two 6-cliques joined by one weak edge: modularity-style merging would be tempted, CPM keeps them apart
    edges = [(f"a{i}", f"a{j}", 1.0) for i in range(6) for j in range(i + 1, 6)]
    edges += [(f"b{i}", f"b{j}", 1.0) for i in range(6) for j in range(i + 1, 6)]
    edges.append(("a0", "b0", 0.2))
    labels = leiden_communities(edges, resolution=0.05)
    assert len({labels[f"a{i}"] for i in range(6)}) == 1
    assert labels["a1"] != labels["b1"]
