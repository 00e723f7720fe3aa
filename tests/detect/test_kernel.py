"""The kernel's pair set equals a brute-force window join; the hot-cell rule only removes pairs."""

from __future__ import annotations

import itertools
import random

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.detect import kernel
from flockwatch.engine import DuckDBEngine


def _brute(rows, window_s):
    out = set()
    for i, (a, x, t, aid) in enumerate(rows):
        for b, y, u, bid in rows[i + 1 :]:
            if x == y and a != b and abs(t - u) <= window_s:
                out.add(frozenset((aid, bid)))
    return out


def _kernel(rows, window_s, hot):
    e = DuckDBEngine.memory()
    s = e.scratch("test")
    e.register(
        "src",
        pa.table(
            {
                "account_id": [r[0] for r in rows],
                "target": [r[1] for r in rows],
                "unit": [r[1] for r in rows],
                "acted_at_s": [float(r[2]) for r in rows],
                "action_id": [r[3] for r in rows],
            }
        ),
    )
    kernel.build_rows(e, "SELECT * FROM src", window_s, hot, s)
    kernel.build_pairs(e, window_s, hot, s)
    got = e.sql(
        f"SELECT l.action_id, r.action_id FROM {s.pairs} p JOIN {s.rows} l ON l.rid = p.rid_l "
        f"JOIN {s.rows} r ON r.rid = p.rid_r"
    ).rows()
    s.close()
    n = len(got)
    e.close()
    pairs = {frozenset(p) for p in got}
    assert len(pairs) == n, "each co-action exactly once"
    return pairs


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 3), st.floats(0, 500, allow_nan=False)), min_size=0, max_size=60
    ),
    st.sampled_from([1.0, 7.5, 60.0]),
)
def test_exact_equals_brute_force(raw, window_s):
    rows = [(f"u{a}", f"x{x}", t, f"m{i}") for i, (a, x, t) in enumerate(raw)]
    assert _kernel(rows, window_s, 0) == _brute(rows, window_s)


def test_hot_cells_subset_and_neighbours_kept():
    rng = random.Random(3)
    rows = [(f"u{rng.randrange(400)}", "viral", rng.uniform(0, 60), f"v{i}") for i in range(300)]
    rows += [(f"u{rng.randrange(400)}", f"x{rng.randrange(30)}", rng.uniform(0, 3000), f"o{i}") for i in range(300)]
    exact = _brute(rows, 30.0)
    capped = _kernel(rows, 30.0, 20)
    assert capped <= exact
    assert _kernel(rows, 30.0, 0) == exact
    # outside the hot cells nothing is lost
    assert {p for p in exact if not any(a.startswith("v") for a in p)} <= capped
    # inside, each action keeps pairs with its nearest neighbours in time
    viral = sorted((t, aid, acc) for acc, x, t, aid in rows if x == "viral")
    for (_t1, a1, acc1), (_t2, a2, acc2) in itertools.pairwise(viral):
        if acc1 != acc2:
            assert frozenset((a1, a2)) in capped
    assert len(capped) < len(exact)


def test_detection_keeps_the_runs_cell_visits_for_attach(ws):
    """A kernel detector's run leaves its distinct cell visits on the connection, equal to what cell_visits_sql
    computes from the detector's SQL; a later run replaces them (one run's visits held at a time)."""
    from flockwatch.detect import detect, get

    from scenario import load, render, standard_events

    load(ws, render("co_repost", standard_events()))
    first = detect(ws, detectors=["co_repost"])
    kept = kernel.kept_cell_visits(ws.engine, first.run_id, "co_repost")
    assert kept is not None
    params = first.results[0].params
    fresh = kernel.cell_visits_sql(get("co_repost").build_sql(params), params["window_s"])
    got = sorted(ws.engine.sql(f"SELECT account_id, th, b FROM {kept}").rows())
    assert got and got == sorted(ws.engine.sql(fresh).rows())
    second = detect(ws, detectors=["co_repost"])
    assert kernel.kept_cell_visits(ws.engine, second.run_id, "co_repost") is not None
    assert kernel.kept_cell_visits(ws.engine, first.run_id, "co_repost") is None


def test_detection_keeps_visits_only_of_detectors_attach_reads(ws):
    """Visits are kept for the network build's attach step only where it reads them (``Detector.attach_cells``):
    ``sync_post``'s time slots are left out."""
    from flockwatch.detect import detect, get

    from scenario import load, render, standard_events

    load(ws, render("co_repost", standard_events()))
    run = detect(ws, detectors=["co_repost", "sync_post"])
    assert get("co_repost").attach_cells and not get("sync_post").attach_cells
    assert kernel.kept_cell_visits(ws.engine, run.run_id, "co_repost") is not None
    assert kernel.kept_cell_visits(ws.engine, run.run_id, "sync_post") is None
