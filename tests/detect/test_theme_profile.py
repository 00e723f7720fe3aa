"""theme_profile: a topical cell that works the same niche hashtags, outlets and amplified accounts on different days
is linked (no same-window detector sees it); ordinary accounts with popular and long-tail themes are not; the null
model keeps a platform without a cell free of edges; chunking and top-k change cost, not the answer."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch import schema
from flockwatch.detect import detect

T0 = dt.datetime(2016, 9, 1)
CELL = [f"cell{i}" for i in range(8)]
CELL_PAIRS = {tuple(sorted(p)) for p in itertools.combinations(CELL, 2)}
#: the cell's themes: niche hashtags, two outlets and three accounts it amplifies
CELL_THEMES = [("h", f"blacktruth{i}") for i in range(11)] + [
    ("d", "bluelivesnews.example"),
    ("d", "usapatriot.example"),
]
CELL_THEMES += [("rt", f"amplified{i}") for i in range(3)]


def _insert(ws, name, rows):
    cols = schema.CANONICAL_TABLES[name].column_names
    ws.engine.insert_arrow(name, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows]))


def _platform(ws, seed=3, cell=True):
    """500 ordinary accounts (a Zipf-like hashtag vocabulary, a few very popular tags, popular outlets, reposts of
    popular accounts) and, if ``cell``, 8 accounts that each work 12 of the cell's 16 themes on random days
    over two months, never within hours of each other, besides ordinary activity of their own."""
    rng = random.Random(seed)
    actions, tags, urls = [], [], []

    def act(acc, kind, value, t):
        aid = f"a{len(actions)}"
        row = {"platform": "t", "action_id": aid, "account_id": acc, "kind": "post", "acted_at": t}
        if kind == "h":
            tags.append({"platform": "t", "action_id": aid, "hashtag": value})
        elif kind == "d":
            urls.append({"platform": "t", "action_id": aid, "url": f"https://{value}/s/{aid}", "domain": value})
        else:
            row.update(kind="repost", target_account_id=value, target_action_id=f"p-{value}-{aid}")
        actions.append(row)

    def ordinary(acc, n):
        for _ in range(n):
            t = T0 + dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
            r = rng.random()
            if r < 0.25:
                act(acc, "h", rng.choice(["maga", "news", "nfl", "love"]), t)
            elif r < 0.6:
                act(acc, "h", f"tag{int(rng.paretovariate(1.1)) % 3000}", t)
            elif r < 0.8:
                act(acc, "d", rng.choice(["cnn.com", "foxnews.com", "nytimes.com", f"blog{rng.randrange(400)}.net"]), t)
            else:
                act(acc, "rt", f"star{int(rng.paretovariate(1.2)) % 200}", t)

    for i in range(500):
        ordinary(f"bg{i}", rng.randint(5, 40))
    if cell:
        for acc in CELL:
            ordinary(acc, 15)
            for kind, value in rng.sample(CELL_THEMES, 12):
                for _ in range(rng.randint(1, 4)):
                    act(acc, kind, value, T0 + dt.timedelta(days=rng.randrange(60), hours=rng.uniform(0, 24)))
    _insert(ws, "actions", actions)
    _insert(ws, "action_hashtags", tags)
    _insert(ws, "action_urls", urls)


def _edges(ws, run_id):
    return {
        (a, b)
        for a, b in ws.engine.sql(
            "SELECT account_a, account_b FROM edges WHERE run_id = ? AND detector = 'theme_profile'", [run_id]
        ).rows()
    }


def test_thematic_cell_is_linked_and_ordinary_accounts_are_not(ws):
    _platform(ws)
    run = detect(ws, detectors=["theme_profile", "co_hashtag", "co_theme"])
    edges = _edges(ws, run.run_id)
    # most pairs (a pair sharing fewer than half the cell's themes may not reach significance) and every member
    assert len(edges & CELL_PAIRS) >= 0.6 * len(CELL_PAIRS), sorted(CELL_PAIRS - edges)
    assert {a for pair in edges & CELL_PAIRS for a in pair} == set(CELL)
    assert not edges - CELL_PAIRS, sorted(edges - CELL_PAIRS)[:5]
    # the same-window detectors do not see the cell: it never acts within hours
    same_window = {
        (a, b)
        for a, b in ws.engine.sql(
            "SELECT account_a, account_b FROM edges WHERE run_id = ? AND detector <> 'theme_profile'", [run.run_id]
        ).rows()
    }
    assert len(same_window & CELL_PAIRS) < len(edges & CELL_PAIRS)


def test_edges_carry_shared_themes_as_evidence(ws):
    _platform(ws)
    run = detect(ws, detectors=["theme_profile"], evidence_per_edge=3)
    rows = ws.engine.sql(
        """SELECT e.account_a, e.account_b, e.co_actions_count, e.expected_count, e.weight, e.p_value,
                  count(ev.target), count(DISTINCT ev.target)
           FROM edges e LEFT JOIN edge_evidence ev USING (run_id, detector, account_a, account_b)
           WHERE e.run_id = ? GROUP BY ALL""",
        [run.run_id],
    ).rows()
    assert rows
    for a, b, shared, expected, weight, p, n_ev, n_targets in rows:
        assert a < b and shared >= 2 and 0 < expected < shared
        assert weight == pytest.approx(-math.log10(p), rel=1e-6)
        assert n_ev == n_targets == min(3, shared)  # one row per shared theme, the strongest first
    wrong = ws.engine.sql(
        """SELECT count(*) FROM edge_evidence ev
           JOIN actions x ON x.action_id = ev.action_id_a JOIN actions y ON y.action_id = ev.action_id_b
           WHERE ev.run_id = ? AND (x.account_id <> ev.account_a OR y.account_id <> ev.account_b
                 OR ev.target NOT IN (SELECT target FROM (SELECT 'h:' || hashtag AS target FROM action_hashtags
                                      UNION ALL SELECT 'd:' || domain FROM action_urls
                                      UNION ALL SELECT 'rt:' || target_account_id FROM actions)))""",
        [run.run_id],
    ).scalar()
    assert wrong == 0


def test_no_cell_no_edges(ws):
    _platform(ws, seed=11, cell=False)
    run = detect(ws, detectors=["theme_profile"])
    res = run.results[0]
    assert res.co_actions_count > 100  # ordinary accounts do share themes (pair rows of the token join) ...
    assert _edges(ws, run.run_id) == set()  # ... about as much as the null predicts


def test_chunks_and_top_k_change_cost_not_answer(ws):
    _platform(ws)
    whole = detect(ws, detectors=["theme_profile"])
    chunked = detect(ws, detectors=["theme_profile"], detector_params={"theme_profile": {"pair_rows_per_chunk": 500}})
    assert chunked.results[0].null_model["chunks"] > 3
    assert _edges(ws, chunked.run_id) == _edges(ws, whole.run_id)
    top2 = detect(ws, detectors=["theme_profile"], detector_params={"theme_profile": {"top_k": 2}})
    kept = _edges(ws, top2.run_id)
    assert kept and kept < _edges(ws, whole.run_id)
    linked = {a for pair in _edges(ws, whole.run_id) for a in pair}
    # top-k bounds the edges per account (each edge is in the top 2 of one of its accounts) and never isolates an
    # account that had a significant neighbour (its most similar one stays)
    assert len(kept) <= 2 * len(linked)
    assert {a for pair in kept for a in pair} == linked


def _pairs(classes: int, dc: tuple[int, int], k_max: int) -> st.SearchStrategy:
    """Up to 40 pairs ``(dc_a, dc_b, [shared tokens per class])``."""
    counts = st.lists(st.integers(0, k_max), min_size=classes, max_size=classes)
    return st.lists(st.tuples(st.integers(*dc), st.integers(*dc), counts), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    q=st.lists(st.floats(1e-9, 1e-3), min_size=3, max_size=3),
    pairs=_pairs(3, (2, 60), 6),
    log_cut=st.floats(-30.0, -3.0),
)
def test_engine_bound_never_drops_a_pair_the_score_would_pass(q, pairs, log_cut):
    """The filter the engine applies before scoring is sound: a pair it drops has a combined p above the cut."""
    from flockwatch.detect.theme_profile import RARITY_CLASSES, RarityClassNull
    from flockwatch.engine import DuckDBEngine

    null = RarityClassNull(np.array(q + [0.0] * (RARITY_CLASSES - 3)))
    e = DuckDBEngine.memory()
    cols = {f"k{c}": [p[2][c - 1] if c <= 3 else 0 for p in pairs] for c in range(1, RARITY_CLASSES + 1)}
    table = pa.table({"dc_a": [p[0] for p in pairs], "dc_b": [p[1] for p in pairs], **cols})
    e.register("p", table)
    kept = [r[0] for r in e.sql(f"SELECT {null.can_pass_sql('dc_a', 'dc_b', 'k', log_cut)} FROM p").rows()]
    shared = np.column_stack([np.array(cols[f"k{c}"], dtype=float) for c in range(1, RARITY_CLASSES + 1)])
    lam = np.array([p[0] * p[1] for p in pairs], dtype=float)
    log_p, _ = null.score(shared, lam)
    for keep, lp in zip(kept, log_p, strict=True):
        assert keep or lp > log_cut


def test_engine_bound_drops_weak_pairs_and_keeps_strong_ones():
    from flockwatch.detect.theme_profile import RARITY_CLASSES, RarityClassNull
    from flockwatch.engine import DuckDBEngine

    null = RarityClassNull(np.array([1e-5, 1e-4] + [0.0] * (RARITY_CLASSES - 2)))
    e = DuckDBEngine.memory()
    zeros = {f"k{c}": [0, 0] for c in range(3, RARITY_CLASSES + 1)}
    e.register("p", pa.table({"dc_a": [20, 20], "dc_b": [20, 20], "k1": [2, 9], "k2": [0, 3], **zeros}))
    assert [r[0] for r in e.sql(f"SELECT {null.can_pass_sql('dc_a', 'dc_b', 'k', -12.0)} FROM p").rows()] == [
        False,
        True,
    ]


def test_pairs_count_only_the_classes_that_hold_tokens():
    """A class no joinable token falls in counts 0 for every pair: the class counts leave it out (one aggregate
    less), and both bounds read only the classes that hold tokens."""
    from flockwatch.detect.theme_profile import RARITY_CLASSES, RarityClassNull, _class_counts_sql

    null = RarityClassNull(np.array([1e-5, 0.0, 3e-4] + [0.0] * (RARITY_CLASSES - 3)))
    assert null.used_classes() == [1, 3]
    sql = _class_counts_sql("cand", "vec", null.used_classes())
    assert "AS k1" in sql and "AS k3" in sql and "AS k2" not in sql
    bound = null.can_pass_sql("da", "db", "p.k", -12.0)
    assert "p.k1" in bound and "p.k3" in bound and "p.k2" not in bound
    assert "WHEN 1 " in null.ln_q_sql("cls") and "WHEN 2 " not in null.ln_q_sql("cls")
    loose = null.may_pass_sql("lam", "k", "slq", -12.0)
    assert repr(1e-5 + 3e-4) in loose


@settings(max_examples=80, deadline=None)
@given(
    q=st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 1e-3)), min_size=4, max_size=4),
    pairs=_pairs(4, (1, 300), 9),
    log_cut=st.floats(-40.0, -3.0),
)
def test_loose_bound_keeps_every_pair_the_exact_bound_keeps(q, pairs, log_cut):
    """may_pass_sql (totals only, applied in the pair join) never drops a pair can_pass_sql (per-class counts)
    keeps, so the candidates scored are the same with or without it."""
    from flockwatch.detect.theme_profile import RARITY_CLASSES, RarityClassNull
    from flockwatch.engine import DuckDBEngine

    null = RarityClassNull(np.array(q + [0.0] * (RARITY_CLASSES - 4)))
    used = null.used_classes()
    # a pair shares tokens only in classes that hold some, at least one of them, and at most dc_a, dc_b of them
    ks = [[k if c + 1 in used else 0 for c, k in enumerate(p[2])] for p in pairs]
    rows = [(p[0], p[1], k) for p, k in zip(pairs, ks, strict=True) if 0 < sum(k) <= min(p[0], p[1])]
    if not used or not rows:
        return
    e = DuckDBEngine.memory()
    cols = {f"k{c}": [r[2][c - 1] if c <= 4 else 0 for r in rows] for c in range(1, RARITY_CLASSES + 1)}
    table = pa.table(
        {
            "dc_a": [r[0] for r in rows],
            "dc_b": [r[1] for r in rows],
            "k": [sum(r[2]) for r in rows],
            "slq": [sum(k * math.log(q[c]) for c, k in enumerate(r[2]) if k) for r in rows],
            **cols,
        }
    )
    e.register("p", table)
    exact = null.can_pass_sql("dc_a", "dc_b", "k", log_cut)
    loose = null.may_pass_sql("(CAST(dc_a AS DOUBLE) * dc_b)", "k", "slq", log_cut)
    for keep_exact, keep_loose in e.sql(f"SELECT {exact}, {loose} FROM p").rows():
        assert keep_loose or not keep_exact
