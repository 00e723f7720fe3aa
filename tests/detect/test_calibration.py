"""Calibration: significance and effect size on hand-built co-action pairs (no detector in between)."""

from __future__ import annotations

import pytest

from flockwatch.detect import calibration
from flockwatch.detect.calibration import NullModel, significant_pairs
from flockwatch.engine import DuckDBEngine, Engine, Scratch

Q = 1e-4


def _engine(pairs: list[tuple[int, int, int]], activity: dict[int, int]) -> tuple[Engine, Scratch]:
    """``pairs``: (acc_l, acc_r, episodes) — one co-action per episode, each in its own episode on both sides."""
    e = DuckDBEngine.memory()
    s = e.scratch("test")
    rows = []
    rid = 0
    for a, b, k in pairs:
        for i in range(k):
            rid += 2
            rows.append(f"({rid}, {rid - 1}, {a}, {b}, 1, {a * 1000 + i}, {b * 1000 + i}, {1000 + 60 * i}, 2.0)")
    e.sql(
        f"CREATE TEMP TABLE {s.pairs} (rid_l BIGINT, rid_r BIGINT, acc_l INTEGER, acc_r INTEGER, th UBIGINT, "
        "uh_l UBIGINT, uh_r UBIGINT, t_l DOUBLE, dt_s DOUBLE)"
    )
    e.sql(f"INSERT INTO {s.pairs} VALUES " + ", ".join(rows))
    e.sql(
        f"CREATE TEMP TABLE {s.activity} AS SELECT * FROM (VALUES "
        + ", ".join(f"({a}, {d})" for a, d in activity.items())
        + ") v(acc, d)"
    )
    return e, s


@pytest.fixture
def engine():
    # pair (1, 2): two hyperactive accounts, 54 episodes where 18.6 are expected (lift 2.9, p ~ 1e-11);
    # pair (3, 4): two quiet accounts, 5 episodes where 0.01 are expected (lift 500)
    e, s = _engine([(1, 2, 54), (3, 4, 5)], {1: 431, 2: 431, 3: 10, 4: 10})
    yield e, s
    s.close()
    e.close()


def _edges(engine: tuple[Engine, Scratch]) -> set[tuple[int, int]]:
    e, s = engine
    return {(a, b) for a, b in e.sql(f"SELECT a, b FROM {s.edges}").rows()}


def test_significant_pairs_need_an_effect_size(engine):
    model = NullModel(accounts_count=100, incidences_count=10_000, q=Q, tests_count=4950)
    assert significant_pairs(*engine, model, fdr=1e-3, min_co_actions=2, min_lift=1.0) == 2
    assert _edges(engine) == {(1, 2), (3, 4)}
    assert significant_pairs(*engine, model, fdr=1e-3, min_co_actions=2, min_lift=5.0) == 1
    assert _edges(engine) == {(3, 4)}
    k, expected = engine[0].sql(f"SELECT k, expected FROM {engine[1].edges}").one()
    assert k == 5 and expected == pytest.approx(0.01)


def test_candidates_below_min_co_actions_are_not_edges(engine):
    model = NullModel(accounts_count=100, incidences_count=10_000, q=Q, tests_count=4950)
    assert significant_pairs(*engine, model, fdr=1e-3, min_co_actions=6, min_lift=1.0) == 1
    assert _edges(engine) == {(1, 2)}


def test_single_episode_test_drops_only_pairs_that_cannot_reach_two_episodes():
    """A side with one episode (one post near-duplicating eight posts of the other account) caps the pair's episodes
    at 1: with the test, such a pair is dropped before episodes are counted, and the edges are the same."""
    pairs = [(1, 2, 54), (3, 4, 5), (5, 6, 8)]
    model = NullModel(accounts_count=100, incidences_count=10_000, q=Q, tests_count=4950)
    sides: dict[tuple[bool, int], set[tuple[int, int]]] = {}
    edges: dict[tuple[bool, int], set[tuple[int, int]]] = {}
    for test in (False, True):
        for min_k in (1, 2):
            e, s = _engine(pairs, {1: 431, 2: 431, 3: 10, 4: 10, 5: 10, 6: 10})
            # account 5's side of every co-action is one episode
            e.sql(f"UPDATE {s.pairs} SET uh_l = 5000 WHERE acc_l = 5")
            significant_pairs(e, s, model, fdr=1e-3, min_co_actions=min_k, single_episode_test=test)
            sides[test, min_k] = {(a, b) for a, b in e.sql(f"SELECT a, b FROM {s.sides}").rows()}
            edges[test, min_k] = {(a, b) for a, b in e.sql(f"SELECT a, b FROM {s.edges}").rows()}
            s.close()
            e.close()
    assert (5, 6) in sides[False, 2] and (5, 6) not in sides[True, 2]
    # with min_co_actions 1 one episode may be enough: the test does not apply
    assert (5, 6) in sides[True, 1]
    assert edges[True, 2] == edges[False, 2] == {(1, 2), (3, 4)}
    assert edges[True, 1] == edges[False, 1]


def test_co_actions_written_out_first_give_the_same_candidates_and_edges(engine, monkeypatch):
    """Where the estimated co-actions outgrow the engine's memory, the candidate aggregate reads them from a table
    of pair keys instead of straight from the join: the same candidates, co-action total and edges."""
    e, s = engine
    # Q * N**2 / 2 = 5,000 co-actions expected: 1,000 bytes each outgrow no memory limit, 1e12 bytes each outgrow all
    model = NullModel(accounts_count=100, incidences_count=10_000, q=Q, tests_count=4950)
    seen: dict[str, tuple] = {}
    statements: list[str] = []
    real_sql = e.sql
    for name, per_co_action in (("from the join", 1_000), ("written out first", 10**12)):
        monkeypatch.setattr(calibration, "CO_ACTION_BYTES", per_co_action)
        statements.clear()
        monkeypatch.setattr(e, "sql", lambda q, params=None: statements.append(q) or real_sql(q, params))
        counts: dict[str, int] = {}
        significant_pairs(e, s, model, fdr=1e-3, min_co_actions=2, counts=counts)
        monkeypatch.setattr(e, "sql", real_sql)
        wrote_keys = any(q.startswith(f"CREATE TEMP TABLE {s.co_keys}") for q in statements)
        assert wrote_keys == (name == "written out first")
        assert not e.table_exists(s.co_keys)
        edges = e.sql(f"SELECT a, b, co_actions, k, p_value, weight FROM {s.edges} ORDER BY a, b").rows()
        seen[name] = (counts, edges)
    assert seen["from the join"] == seen["written out first"]
    assert seen["from the join"][0] == {"co_actions": 59, "candidates": 2}
