"""The co-action hits of ``links.anchor_links`` against a direct reading of their definition, on random timelines.

A candidate's event is a hit when an anchor acted on the same target within ``window_s`` of it, whatever buckets the
two fall in; its representative is the earliest anchor event (by time, then action id) of the first of the event's
next, own and previous buckets that meets it. The engine finds both through bucketed lookups; here every pair of
events is compared.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flockwatch.expand import links
from flockwatch.workspace import Workspace

from expand_scenario import T0, insert_accounts, insert_actions

WINDOW_S = 600
ANCHORS = ("s0", "s1", "s2")
CANDIDATES = ("c0", "c1")

# whole minutes half the time: events exactly one window apart, and one minute beyond it, are then common
seconds = st.one_of(st.integers(0, 30).map(lambda m: 60 * m), st.integers(0, 1800))
event = st.tuples(st.sampled_from(ANCHORS + CANDIDATES), st.sampled_from(("p0", "p1")), seconds)


def _reference(rows: list[tuple[str, str, str, int]]) -> dict[str, tuple[str, str]]:
    """action id -> (representative anchor action, its account) for every candidate event that is a hit."""
    w = WINDOW_S
    base = int(T0.replace(tzinfo=dt.UTC).timestamp())
    anchor_events = [(aid, acc, tgt, base + t) for aid, acc, tgt, t in rows if acc in ANCHORS]
    out = {}
    for aid, acc, tgt, t_rel in rows:
        if acc in ANCHORS:
            continue
        t = base + t_rel
        b = t // w
        # the anchors' events on the target per bucket
        buckets: dict[int, list[tuple[int, str, str]]] = {}
        for a_id, a_acc, a_tgt, a_t in anchor_events:
            if a_tgt == tgt:
                buckets.setdefault(a_t // w, []).append((a_t, a_id, a_acc))
        nxt, own, prev = buckets.get(b + 1), buckets.get(b), buckets.get(b - 1)
        meets = [
            nxt if nxt and min(nxt)[0] <= t + w else None,
            own,
            prev if prev and max(prev)[0] >= t - w else None,
        ]
        hit = any(abs(a_t - t) <= w for a_id, a_acc, a_tgt, a_t in anchor_events if a_tgt == tgt)
        first = next((m for m in meets if m), None)
        assert hit == (first is not None)
        if first:
            _, rep_action, rep_seed = min(first)
            out[aid] = (rep_action, rep_seed)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, min_size=1, max_size=25))
# one window apart, and one minute beyond it, on either side of the candidate's event and across buckets
@example([("c0", "p0", 60), ("s0", "p0", 660)])
@example([("c0", "p0", 0), ("s0", "p0", 660)])
@example([("c0", "p0", 660), ("s0", "p0", 0)])
@example([("c0", "p0", 1260), ("s0", "p0", 600)])
@example([("c0", "p0", 1200), ("s0", "p0", 600)])
@example([("c0", "p0", 0), ("s0", "p0", 600)])
@example([("c0", "p0", 900), ("s1", "p0", 300), ("s0", "p0", 1320), ("s2", "p0", 700)])
def test_hits_are_the_candidate_events_within_the_window_of_an_anchor_event(events):
    rows = [(f"x{i}", acc, tgt, t) for i, (acc, tgt, t) in enumerate(events)]
    ws = Workspace.memory()
    try:
        insert_accounts(ws, [{"account_id": a} for a in ANCHORS + CANDIDATES])
        insert_actions(
            ws,
            [
                {
                    "action_id": aid,
                    "account_id": acc,
                    "kind": "repost",
                    "target_action_id": tgt,
                    "acted_at": T0 + dt.timedelta(seconds=t),
                }
                for aid, acc, tgt, t in rows
            ],
        )
        e = ws.engine
        with e.scratch("t") as s:
            links.prepare(e, s)
            e.sql(f"CREATE TEMP TABLE {s.anchors} AS SELECT acct FROM {s.acct} WHERE account_id IN ('s0', 's1', 's2')")
            links.anchor_links(e, s, s.anchors, window_s=WINDOW_S)
            got = {
                r[0]: (r[1], r[2])
                for r in e.sql(f"SELECT action_id, rep_action, rep_seed FROM {s.hits} WHERE tk = 'rp'").rows()
            }
            counted = e.sql(f"SELECT count(*) FROM {s.hits}").scalar()
    finally:
        ws.close()
    assert got == _reference(rows)
    assert counted == len(got)  # one row per hit event
