"""Golden behaviour per detector on hand-made data: the pairs that must and must not appear.

Every scenario holds a coordinated group (``co0..co4``), 300 background accounts, and a viral target on which 150
background accounts co-act within two minutes. The group's pairs must all be edges; no pair of background accounts —
in particular none of the coincidental co-actors of the viral target — may be.
"""

from __future__ import annotations

import itertools

import pytest

from flockwatch.detect import DETECTORS, calibration, detect

from scenario import load, render, standard_events, sync_events

GROUP = [f"co{i}" for i in range(5)]
GROUP_PAIRS = {tuple(sorted(p)) for p in itertools.combinations(GROUP, 2)}


def _edges(ws, run_id):
    return {
        (a, b) for a, b in ws.engine.sql("SELECT account_a, account_b FROM edges WHERE run_id = ?", [run_id]).rows()
    }


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_group_found_viral_coincidence_ignored(ws, name):
    events = sync_events() if name == "sync_post" else standard_events()
    load(ws, render(name, events))
    run = detect(ws, detectors=[name])
    edges = _edges(ws, run.run_id)
    assert edges >= GROUP_PAIRS, f"{name}: missing {sorted(GROUP_PAIRS - edges)[:3]}"
    assert edges == GROUP_PAIRS, f"{name}: chance edges {sorted(edges - GROUP_PAIRS)[:3]}"
    # the raw co-action count of the viral target alone would link 150*149/2 pairs
    if name not in ("sync_post", "fast_repost", "theme_profile"):  # those two see only the viral target's first
        assert (
            run.results[0].co_actions_count > 5000
        )  # seconds; theme_profile never joins a token half the accounts use
    if name == "theme_profile":
        assert 0 < run.results[0].co_actions_count < 5000
    # every edge carries evidence whose actions belong to its two accounts, ordered account_a < account_b
    assert (
        ws.engine.sql(
            "SELECT count(*) FROM edges WHERE run_id = ? AND NOT account_a < account_b", [run.run_id]
        ).scalar()
        == 0
    )
    wrong = ws.engine.sql(
        """
        SELECT count(*) FROM edge_evidence ev
        JOIN actions a ON a.action_id = ev.action_id_a JOIN actions b ON b.action_id = ev.action_id_b
        WHERE ev.run_id = ? AND (a.account_id <> ev.account_a OR b.account_id <> ev.account_b
                                 OR abs(epoch(b.acted_at) - epoch(a.acted_at)) > ?)""",
        [run.run_id, run.results[0].params["window_s"] + 1e-6],
    ).scalar()
    assert wrong == 0
    assert ws.engine.sql(
        "SELECT count(DISTINCT (account_a, account_b)) FROM edge_evidence WHERE run_id = ?", [run.run_id]
    ).scalar() == len(edges)


def test_co_repost_viral_pairs_exist_as_co_actions_but_not_as_edges(ws):
    load(ws, render("co_repost", standard_events()))
    run = detect(ws, detectors=["co_repost"], hot_cell_actions=0)
    assert run.results[0].co_actions_count >= 5000  # most of the 150 * 149 / 2 viral pairs
    assert _edges(ws, run.run_id) == GROUP_PAIRS


def test_near_text_finds_chinese_near_duplicates(ws):
    import datetime as dt

    import pyarrow as pa

    base = "香港警察守护香港市民的安全我们坚决支持止暴制乱恢复秩序维护法治"
    variants = [base[:i] + "好" + base[i + 1 :] for i in (3, 9, 15, 21, 27)]
    rows = []
    t0 = dt.datetime(2019, 8, 5, 10)
    for day in range(6):
        for k, v in enumerate(variants):
            rows.append((f"d{day}-{k}", f"cn{k}", v + str(day) * 3, t0 + dt.timedelta(days=day, seconds=5 * k)))
    for i in range(200):
        text = "".join(chr(0x4E00 + (i * 37 + j * 11) % 2000) for j in range(30))
        rows.append((f"bg{i}", f"bgacc{i % 50}", text, t0 + dt.timedelta(minutes=i)))
    ws.engine.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": ["weibo"] * len(rows),
                "action_id": [r[0] for r in rows],
                "account_id": [r[1] for r in rows],
                "kind": ["post"] * len(rows),
                "text": [r[2] for r in rows],
                "acted_at": pa.array([r[3] for r in rows], pa.timestamp("us")),
            }
        ),
    )
    run = detect(ws, detectors=["co_near_text", "co_text"])
    edges = ws.engine.sql("SELECT detector, account_a, account_b FROM edges WHERE run_id = ?", [run.run_id]).rows()
    near = {(a, b) for d, a, b in edges if d == "co_near_text"}
    assert near == {tuple(sorted(p)) for p in itertools.combinations([f"cn{k}" for k in range(5)], 2)}
    assert not [e for e in edges if e[0] == "co_text"], "variants are not identical texts"


@pytest.mark.parametrize("name", ["co_near_text", "co_repost"])
def test_co_actions_written_out_first_find_the_same_edges(ws, name, monkeypatch):
    """The candidate aggregate's path for co-actions that outgrow memory (``calibration._keys_first``) finds the
    same edges, weights and evidence as the fast path; co_near_text also carries its episode columns through it."""
    load(ws, render(name, standard_events()))
    found = []
    chosen: list[bool] = []
    keys_first = calibration._keys_first
    monkeypatch.setattr(calibration, "_keys_first", lambda e, m: chosen.append(keys_first(e, m)) or chosen[-1])
    for per_co_action in (calibration.CO_ACTION_BYTES, 10**15):
        monkeypatch.setattr(calibration, "CO_ACTION_BYTES", per_co_action)
        run = detect(ws, detectors=[name])
        found.append(
            (
                ws.engine.sql(
                    "SELECT account_a, account_b, co_actions_count, episodes_count, weight FROM edges "
                    "WHERE run_id = ? ORDER BY account_a, account_b",
                    [run.run_id],
                ).rows(),
                ws.engine.sql(
                    "SELECT account_a, account_b, action_id_a, action_id_b FROM edge_evidence WHERE run_id = ? "
                    "ORDER BY ALL",
                    [run.run_id],
                ).rows(),
                run.results[0].co_actions_count,
            )
        )
    assert chosen == [False, True]
    assert found[0][0] and found[0] == found[1]
