"""co_theme: a topical team working the same niche hashtags and amplified accounts hours apart is linked; the same
team is invisible to the same-minute co_hashtag; popular themes do not link ordinary accounts."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from flockwatch import schema
from flockwatch.detect import detect

T0 = dt.datetime(2016, 9, 1)


def _insert(ws, name, rows):
    cols = schema.CANONICAL_TABLES[name].column_names
    ws.engine.insert_arrow(name, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows]))


def _load(ws, seed=5):
    rng = random.Random(seed)
    actions, tags = [], []

    def post(acc, tag, t):
        aid = f"a{len(actions)}"
        actions.append({"platform": "t", "action_id": aid, "account_id": acc, "kind": "post", "acted_at": t})
        tags.append({"platform": "t", "action_id": aid, "hashtag": tag})

    # background: 300 accounts, popular and long-tail tags at random times over 20 days
    for i in range(300):
        for _ in range(12):
            tag = "maga" if rng.random() < 0.3 else f"tag{rng.randrange(2000)}"
            post(f"bg{i}", tag, T0 + dt.timedelta(seconds=rng.uniform(0, 20 * 86400)))
    # the team: 6 accounts, each day's niche tag worked through a shift (spread over 4 hours), never the same minute
    for day in range(10):
        start = T0 + dt.timedelta(days=day, hours=9)
        for g in range(6):
            post(f"team{g}", f"niche{day}", start + dt.timedelta(seconds=g * 2400 + rng.uniform(0, 600)))
    _insert(ws, "actions", actions)
    _insert(ws, "action_hashtags", tags)


def _linked(ws, run_id, detector):
    return {
        (a, b)
        for a, b in ws.engine.sql(
            "SELECT account_a, account_b FROM edges WHERE run_id = ? AND detector = ?", [run_id, detector]
        ).rows()
    }


def test_slow_topical_team_is_linked_by_co_theme_only(ws):
    _load(ws)
    run = detect(ws, detectors=["co_hashtag", "co_theme"])
    theme = _linked(ws, run.run_id, "co_theme")
    team_pairs = {(f"team{i}", f"team{j}") for i in range(6) for j in range(i + 1, 6)}
    assert len(theme & team_pairs) >= 10  # most of the 15 team pairs
    assert not theme - team_pairs  # no background pair, though 90 accounts share the popular tag every day
    assert not _linked(ws, run.run_id, "co_hashtag") & team_pairs
