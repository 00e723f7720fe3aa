"""Expansions and watchers on ONE engine keep their temporary tables apart (engine scratch namespaces)."""

from __future__ import annotations

import json

import pytest

from flockwatch.expand import expand, links
from flockwatch.expand.expansion import ExpansionParams
from flockwatch.expand.watch import Watcher, batch_from_records

from expand_scenario import at

PARAMS = ExpansionParams(window_s=600, rounds=1)


def _scratch_relations(ws) -> list[str]:
    return [
        r[0]
        for r in ws.engine.sql(
            "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, '__fw_')"
        ).rows()
    ]


def _batches():
    first = [
        {
            "action_id": f"newamp_r{k}",
            "account_id": "newamp",
            "kind": "repost",
            "acted_at": at(k % 4 * 7 + k * 97 + 1).isoformat(),
            "target_action_id": f"s{k % 4 + 1}_p{k}",
            "target_account_id": f"s{k % 4 + 1}",
            "text": "RT",
        }
        for k in range(3)
    ]
    second = [
        {
            "action_id": f"newamp_r{k}",
            "account_id": "newamp",
            "kind": "repost",
            "acted_at": at(k % 4 * 7 + k * 97 + 1).isoformat(),
            "target_action_id": f"s{k % 4 + 1}_p{k}",
            "target_account_id": f"s{k % 4 + 1}",
            "text": "RT",
        }
        for k in range(3, 6)
    ]
    second += [
        {
            "action_id": f"newbie_p{k}",
            "account_id": "newbie",
            "kind": "post",
            "acted_at": at(30 + 50 * k).isoformat(),
            "text": f"hello world number {k} from me",
            "hashtags": ["news"],
        }
        for k in range(4)
    ]
    return [batch_from_records(first), batch_from_records(second)]


def _state(w: Watcher, flags) -> str:
    # JSON so that a NaN score (no calibration without expand_first) compares equal to itself
    return json.dumps([[f.to_dict() for f in flags], w.trajectory_table().to_pylist()], default=str, sort_keys=True)


def _watch_alone(ws, seeds) -> str:
    w = Watcher(ws, seeds, expand_first=False, record_trajectories=True)
    flags = []
    for b in _batches():
        flags += w.process(b.actions, b.hashtags, b.urls, b.mentions)
    out = _state(w, flags)
    w.close()
    return out


def _expansion(x) -> tuple:
    return (x.account_ids, [round(float(v), 9) for v in x.scores], [round(float(v), 9) for v in x.raw_nats])


def test_interleaved_watchers_and_expansions_equal_each_run_alone(ws, scenario):
    seeds_a = scenario["seeds"]
    seeds_b = ["s1", "s2"]
    alone_a = _watch_alone(ws, seeds_a)
    alone_b = _watch_alone(ws, seeds_b)
    alone_x = _expansion(expand(ws, seeds_b, PARAMS))
    assert _scratch_relations(ws) == []

    wa = Watcher(ws, seeds_a, expand_first=False, record_trajectories=True)
    wb = Watcher(ws, seeds_b, expand_first=False, record_trajectories=True)
    flags_a, flags_b = [], []
    for b in _batches():
        flags_a += wa.process(b.actions, b.hashtags, b.urls, b.mentions)
        # an expansion in the middle of both watchers' lives builds and drops its own tables
        assert _expansion(expand(ws, seeds_b, PARAMS)) == alone_x
        flags_b += wb.process(b.actions, b.hashtags, b.urls, b.mentions)
    assert _state(wa, flags_a) == alone_a
    assert _state(wb, flags_b) == alone_b
    assert json.loads(alone_a)[0], "the scenario's fresh amplifier is flagged (the comparison is not vacuous)"
    assert set(wa.s.handed_out()).isdisjoint(wb.s.handed_out())
    wa.close()
    wb.close()
    assert _scratch_relations(ws) == []


def test_expansion_drops_its_tables_when_it_fails(ws, scenario, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("failed half-way")

    monkeypatch.setattr(links, "anchor_links", boom)
    with pytest.raises(RuntimeError):
        expand(ws, scenario["seeds"], PARAMS)
    assert _scratch_relations(ws) == []
    with pytest.raises(RuntimeError):
        Watcher(ws, scenario["seeds"], expand_first=False)
    assert _scratch_relations(ws) == []
