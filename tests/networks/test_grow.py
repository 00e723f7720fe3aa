"""Growth: low-activity amplifiers tied to a flagged core through a couple of co-actions and shared infrastructure
join its network with evidence; organic accounts with one coincidental co-action on a viral post do not."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from flockwatch.cli.app import main
from flockwatch.detect import detect
from flockwatch.evaluate import evaluate
from flockwatch.evaluate.zipf import generate, load_into
from flockwatch.networks import build_networks, explain_member, load_networks
from flockwatch.workspace import Workspace

N_AMPLIFIERS = 40
N_ORGANIC = 40
RARE_PREFIX = "203.0.113.0/24"
ISP_PREFIX = "1.64.0.0/10"


@pytest.fixture(scope="module")
def data():
    return generate(40_000, seed=11)


def _ts(values):
    return pa.array(values, pa.timestamp("us"))


def _plant(ws, truth: set[str]) -> dict[str, list[str]]:
    """Amplifiers a0..: two reposts each of the operation's seed posts within 20 s, logging in from the core's rare
    prefix; organic v0..: one repost of the most reposted organic post, close to its peak, from a national ISP."""
    e = ws.engine
    e.register("__truth", pa.table({"account_id": sorted(truth)}))
    seeds = e.sql("""SELECT p.action_id, p.account_id, p.acted_at FROM actions p SEMI JOIN __truth USING (account_id)
                     WHERE p.kind = 'post' AND p.action_id IN (SELECT target_action_id FROM actions r
                       SEMI JOIN __truth t ON t.account_id = r.account_id WHERE r.kind = 'repost')
                     ORDER BY p.acted_at""").rows()
    viral_id, viral_acc, viral_at = e.sql("""
        SELECT r.target_action_id, any_value(r.target_account_id), median(r.acted_at) FROM actions r
        WHERE r.kind = 'repost' AND r.target_action_id NOT IN (SELECT action_id FROM actions SEMI JOIN __truth
                                                                 USING (account_id))
        GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""").rows()[0]
    e.unregister("__truth")
    assert len(seeds) >= 2 * N_AMPLIFIERS // 4
    rows = []
    amps = [f"a{i}" for i in range(N_AMPLIFIERS)]
    for i, acc in enumerate(amps):
        for k in range(2):
            pid, seeder, at = seeds[(i * 2 + k * 7) % len(seeds)]
            rows.append((f"{acc}_r{k}", acc, "repost", at + dt.timedelta(seconds=5 + i % 15), pid, seeder))
    organic = [f"v{i}" for i in range(N_ORGANIC)]
    for i, acc in enumerate(organic):
        rows.append((f"{acc}_r", acc, "repost", viral_at + dt.timedelta(seconds=3 * i), viral_id, viral_acc))
    e.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": ["twitter"] * len(rows),
                "action_id": [r[0] for r in rows],
                "account_id": [r[1] for r in rows],
                "kind": [r[2] for r in rows],
                "acted_at": _ts([r[3] for r in rows]),
                "target_action_id": [r[4] for r in rows],
                "target_account_id": [r[5] for r in rows],
                "text": ["RT"] * len(rows),
            }
        ),
    )
    core = sorted(truth)[:: max(1, len(truth) // 30)]
    infra = [(a, RARE_PREFIX, 64500, "US", True) for a in core + amps]
    infra += [(a, ISP_PREFIX, 4760, "HK", False) for a in organic]
    infra += [(f"u{i}", ISP_PREFIX, 4760, "HK", False) for i in range(300)]
    _insert_logins(e, infra)
    return {"amplifiers": amps, "organic": organic}


def _insert_logins(e, infra) -> None:
    """``infra``: (account, ip prefix, asn, country, via_vpn) seen on 2019-08-02."""
    e.insert_arrow(
        "infrastructure",
        pa.table(
            {
                "platform": ["twitter"] * len(infra),
                "account_id": [r[0] for r in infra],
                "seen_at": _ts([dt.datetime(2019, 8, 2)] * len(infra)),
                "ip_prefix": [r[1] for r in infra],
                "asn": pa.array([r[2] for r in infra], pa.int64()),
                "country": [r[3] for r in infra],
                "via_vpn": [r[4] for r in infra],
            }
        ),
    )


@pytest.fixture
def grown(ws, data):
    load_into(ws, data)
    truth = set(data.truth.column("account_id").to_pylist())
    planted = _plant(ws, truth)
    run = detect(ws, detectors=["co_repost", "co_hashtag", "co_link"])
    nets = build_networks(ws, run.run_id)
    return ws, run, nets, truth, planted


def test_amplifiers_join_the_flagged_network_with_evidence(grown):
    ws, run, nets, truth, planted = grown
    flagged = [n for n in nets if n.flagged]
    assert len(flagged) == 1
    net = flagged[0]
    grown_members = {m for m, how in net.joined_by.items() if how == "grow"}
    # amplifiers with two actions each are not linked pairwise, but growth adds (nearly) all of them
    assert len(grown_members & set(planted["amplifiers"])) >= 0.9 * N_AMPLIFIERS
    assert not grown_members & set(planted["organic"])
    assert truth <= set(net.members)
    assert net.signals["grown"] == len(grown_members)
    assert "added by growth" in net.explanation
    amp = sorted(grown_members & set(planted["amplifiers"]))[0]
    ev = net.member_evidence[amp]
    assert ev["joined_by"] == "grow" and ev["score"] >= 0.95 and net.account_scores[amp] == ev["score"]
    assert set(ev["linked_accounts"]) <= truth and ev["linked_accounts"]
    acts = [x["action_id"] for x in ev.get("co_action", {}).get("examples", [])] + ev.get("amplification", {}).get(
        "action_ids", []
    )
    assert acts and set(acts) <= {f"{amp}_r0", f"{amp}_r1"}
    assert RARE_PREFIX in ev["infrastructure"]["shared_prefixes"]
    assert list(ev["network_votes"]) == [net.network_id]
    # stored, reloaded and explained
    stored = {n.network_id: n for n in load_networks(ws, run.run_id, flagged_only=True)}[net.network_id]
    assert stored.joined_by[amp] == "grow" and stored.member_evidence[amp]["score"] == ev["score"]
    why = explain_member(ws, amp)
    assert why["joined_by"] == "grow" and why["network_id"] == net.network_id
    assert "added by growth" in why["explanation"] and "co-action" in why["explanation"]
    organic = explain_member(ws, planted["organic"][0])
    assert organic["network_id"] is None
    params = ws.engine.sql("SELECT params_json FROM detection_runs WHERE run_id = ?", [run.run_id]).scalar()
    assert '"growth"' in params


def test_turning_growth_off_removes_them(grown, tmp_path):
    ws, run, _nets, truth, planted = grown
    off = build_networks(ws, run.run_id, grow=False)
    members = {m for n in off if n.flagged for m in n.members}
    assert not members & set(planted["amplifiers"])
    assert all(how != "grow" for n in off for how in n.joined_by.values())
    truth_map = dict.fromkeys(truth | set(planted["amplifiers"]), "op")
    recall_off = evaluate(ws, truth_map, run.run_id)["fused"]["recall"]
    build_networks(ws, run.run_id)
    result = evaluate(ws, truth_map, run.run_id)
    assert result["fused"]["recall"] > recall_off
    assert result["fused_by_joined"]["grow"]["precision"] == 1.0


def test_threshold_is_checked(grown):
    from flockwatch.errors import ValidationError

    ws, run, *_ = grown
    with pytest.raises(ValidationError):
        build_networks(ws, run.run_id, grow_min_score=1.5)


def test_cli_build_show_explain_grown_member(tmp_path, data, capsys):
    wdir = tmp_path / "ws"
    with Workspace.create(wdir) as ws:
        load_into(ws, data)
        planted = _plant(ws, set(data.truth.column("account_id").to_pylist()))
    w = ["--workspace", str(wdir)]
    assert main(["detect", *w, "-d", "co_repost", "-d", "co_hashtag", "-d", "co_link", "--no-grow", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["networks_flagged"] == 1
    assert main(["networks", "build", *w, "--min-score", "0.5", "--grow-min-score", "0.9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["grown_members"] >= 0.9 * N_AMPLIFIERS
    assert main(["networks", "show", "N0001", *w]) == 0
    out = capsys.readouterr().out
    assert "added by growth" in out and "grow" in out
    amp = planted["amplifiers"][0]
    assert main(["networks", "explain", amp, *w, "--json"]) == 0
    why = json.loads(capsys.readouterr().out)
    assert why["joined_by"] == "grow" and why["evidence"]["score"] >= 0.9
    assert main(["networks", "explain", amp, *w]) == 0
    assert "added by growth" in capsys.readouterr().out


def test_votes_follow_linked_seeds_and_split_prefixes():
    from collections import Counter

    from flockwatch.networks.grow import _votes

    network_of = {"s1": "A", "s2": "A", "t1": "B"}
    # a prefix that many members of B use is one vote split by share, not one vote per member
    prefixes = {"10.0.0.0/24": [("B", 0.75), ("A", 0.25)]}  # as _prefix_members splits 300 and 100 members
    ev = {
        "seeds": ["s1", "s2"],
        "co_action": {"examples": [{"seed": "s1"}]},
        "infrastructure": {"shared_prefixes": ["10.0.0.0/24"]},
    }
    votes = _votes(ev, network_of, prefixes)
    assert votes["A"] == 2.25 and votes["B"] == 0.75
    assert _votes({"seeds": ["nobody"]}, network_of, prefixes) == Counter()


def test_prefix_votes_are_each_networks_share_of_the_members_seen_on_the_prefix(ws):
    from flockwatch.networks.grow import _prefix_members

    seen = [("b1", RARE_PREFIX), ("b2", RARE_PREFIX), ("b3", RARE_PREFIX), ("a1", RARE_PREFIX), ("a1", ISP_PREFIX)]
    seen += [("b1", RARE_PREFIX), ("x9", RARE_PREFIX)]  # a member seen twice counts once; non-members not at all
    _insert_logins(ws.engine, [(a, prefix, 64500, "US", False) for a, prefix in seen])
    got = _prefix_members(ws, {"a1": "A", "b1": "B", "b2": "B", "b3": "B"})
    assert {p: sorted(v) for p, v in got.items()} == {RARE_PREFIX: [("A", 0.25), ("B", 0.75)], ISP_PREFIX: [("A", 1.0)]}


def test_two_growths_from_the_same_members_are_identical(grown):
    """Same members, same data: the same accounts join the same networks with the same evidence (representative
    anchor actions, example lists and their order are chosen by id, never by hash-table order)."""
    from flockwatch.networks.grow import grow

    ws, _run, nets, _truth, _planted = grown
    members = {m: n.network_id for n in nets if n.flagged for m in n.members if n.joined_by.get(m) != "grow"}
    first, second = grow(ws, members), grow(ws, members)
    assert first.joins
    assert json.dumps(first.joins, sort_keys=True, default=str) == json.dumps(second.joins, sort_keys=True, default=str)
