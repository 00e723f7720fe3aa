"""Members carry their network's flag only with evidence of their own or a specific tie: ordinary accounts linked to
an operation's network through popular ordinary posts stay visible members, unflagged and unexported."""

from __future__ import annotations

import csv
import json

import pytest

from flockwatch.core.runs import WEAKLY_LINKED


@pytest.mark.slow
def test_filler_linked_ordinary_accounts_are_not_flagged_while_the_operation_is(tmp_path):
    """hk2019-like platform (100k actions) whose operation also reposts and replies to ordinary posts (the red
    team's organic_filler at strength 2): hyperactive ordinary reposters of popular posts end in a network that
    growth fills with planted amplifiers, so the network is rightly inauthentic — but those ordinary members show
    none of its evidence and must not inherit the flag. Without the rule, flagged-account precision is 0.964 with 7
    hard negatives flagged (seed 1)."""
    from typer.testing import CliRunner

    from flockwatch.cli.app import app
    from flockwatch.detect import detect
    from flockwatch.evaluate.metrics import evaluate
    from flockwatch.ingest import ingest_paths
    from flockwatch.networks import build_networks, explain_member
    from flockwatch.simulate import simulate
    from flockwatch.workspace import Workspace

    sim = simulate(
        tmp_path / "data",
        preset="hk2019",
        n_actions=100_000,
        seed=1,
        amplifier_factor=1.0,
        operation={"tactics": {"organic_filler": {"enabled": True, "actions_per_day": 6.0}}},
    )
    with sim.truth_csv.open() as fh:
        truth = list(csv.DictReader(fh))
    planted = {r["account_id"] for r in truth}
    core = {r["account_id"] for r in truth if r["role"] == "core"}
    negatives = {a for g in json.loads(sim.truth_json.read_text())["hard_negatives"].values() for a in g["account_ids"]}
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        ingest_paths(ws, [*sorted((tmp_path / "data").glob("*_csv_*.csv")), sim.logins_file])
        run = detect(ws)
        nets = build_networks(ws, run.run_id)
        flagged = {m for n in nets for m in n.flagged_members}
        in_flagged = {m for n in nets if n.flagged for m in n.members}
        weak = in_flagged - flagged
        # ordinary accounts swept in are marked, with the reason, and no planted account loses the flag
        assert len(weak) >= 20 and not weak & planted
        assert {n.member_assessment[m] for n in nets for m in n.members if m in weak} == {WEAKLY_LINKED}
        example = sorted(weak)[0]
        why = explain_member(ws, example)["explanation"]
        assert "does not carry the network's flag" in why and "no own evidence" in why
        # the planted core and amplifiers stay flagged; precision recovers (0.964 when every member inherits)
        # (the rule itself never unflags a planted account: ``not weak & planted`` above; which of the 936 core
        # accounts end in a flagged network at all is detection's business, and one may miss at this small size)
        assert len(core & flagged) >= 0.99 * len(core)
        assert len(flagged & planted) >= 0.99 * len(planted)
        assert len(flagged & planted) / len(flagged) >= 0.98
        assert len(flagged & negatives) < len(in_flagged & negatives)
        # evaluation reads the flagged members, not every member of a flagged network
        m = evaluate(ws, sim.truth_csv, run.run_id)
        assert m["fused"]["precision"] == pytest.approx(len(flagged & planted) / len(flagged), abs=1e-3)
    # exports: flagged members only by default; --all lists the weakly linked members with their verdict
    runner = CliRunner()
    w = ["--workspace", str(tmp_path / "ws")]
    out, out_all = tmp_path / "members.csv", tmp_path / "all.csv"
    assert runner.invoke(app, ["networks", "export", *w, "--members", str(out)]).exit_code == 0
    assert runner.invoke(app, ["networks", "export", *w, "--members", str(out_all), "--all"]).exit_code == 0
    with out.open() as fh:
        exported = {r["account_id"] for r in csv.DictReader(fh)}
    with out_all.open() as fh:
        listed = {r["account_id"]: r["assessment"] for r in csv.DictReader(fh)}
    assert exported == flagged
    assert all(listed[a] == WEAKLY_LINKED for a in weak)
