"""Bookkeeping of expansion rounds: which round's result an account keeps, the final order, order-free sums."""

import math
import random

import numpy as np
import pyarrow as pa

from flockwatch.core.sql import exact_sum
from flockwatch.engine import DuckDBEngine
from flockwatch.expand.expansion import _final_results, _Round


def _round(ids, scores, totals):
    table = pa.table({"account_id": pa.array(ids, pa.string())})
    return _Round(table, {}, np.array(scores, float), np.array(totals, float))


def _rows(t):
    return list(zip(*(t.column(c).to_pylist() for c in ("account_id", "score", "raw", "round", "row")), strict=True))


def test_snowballed_round_wins_else_best_round_earliest_on_ties():
    r1 = _round(["a", "b", "c", "d"], [0.2, 0.995, 0.7, 0.6], [1.0, 9.0, 4.0, 3.0])
    # b is an anchor from round 2 on, so it is not a candidate again; a reaches the snowball score in round 2
    r2 = _round(["a", "c", "d", "e"], [0.999, 0.5, 0.6, 0.3], [8.0, 2.0, 3.5, 1.0])
    got = _rows(_final_results([r1, r2], 0.99))
    assert got == [
        ("a", 0.999, 8.0, 2, 0),  # reached in round 2: that round's result, though round 1 was also seen
        ("b", 0.995, 9.0, 1, 1),
        ("c", 0.7, 4.0, 1, 2),  # never reached: its better round
        ("d", 0.6, 3.0, 1, 3),  # a tie on score keeps the earlier round
        ("e", 0.3, 1.0, 2, 3),
    ]


def test_final_order_is_score_then_raw_then_id():
    r1 = _round(["z", "y", "x", "w"], [0.5, 0.5, 0.5, 0.9], [1.0, 2.0, 1.0, 0.1])
    assert [r[0] for r in _rows(_final_results([r1], 0.99))] == ["w", "y", "x", "z"]


def test_no_candidates():
    assert _final_results([_round([], [], [])], 0.99).num_rows == 0


def test_exact_sum_does_not_depend_on_row_order():
    rng = random.Random(3)
    values = [rng.random() * 10 ** rng.randint(-6, 2) for _ in range(50_000)]
    e = DuckDBEngine.memory()
    sums = set()
    for seed in range(4):
        shuffled = values[:]
        random.Random(seed).shuffle(shuffled)
        e.register("v", pa.table({"x": pa.array(shuffled, pa.float64())}))
        sums.add(e.sql(f"SELECT {exact_sum('x')} FROM v").scalar())
        e.unregister("v")
    assert len(sums) == 1
    assert math.isclose(sums.pop(), math.fsum(values), rel_tol=1e-12, abs_tol=1e-7)
