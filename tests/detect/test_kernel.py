"""The kernel's pair set equals a brute-force window join; the hot-cell rule only removes pairs."""

from __future__ import annotations

import hashlib
import itertools
import math
import random

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.detect import calibration, kernel
from flockwatch.engine import DuckDBEngine


def _brute(rows, window_s):
    out = set()
    for i, (a, x, t, aid) in enumerate(rows):
        for b, y, u, bid in rows[i + 1 :]:
            if x == y and a != b and abs(t - u) <= window_s:
                out.add(frozenset((aid, bid)))
    return out


def _with_rows(rows, window_s, hot):
    """An in-memory engine, a scratch and the kernel rows of ``rows`` ((account, target, time, action) tuples; the
    target is the unit)."""
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
    return e, s


def _kernel(rows, window_s, hot):
    e, s = _with_rows(rows, window_s, hot)
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


def test_a_builder_with_rows_of_its_own_keeps_its_visits_for_attach(ws):
    """theme_profile (its own edge path, not the kernel's rows) hands its cell visits over while its rows exist:
    the same as cell_visits_sql computes again from its SQL."""
    from flockwatch.detect import detect, get

    from scenario import load, render, standard_events

    load(ws, render("co_hashtag", standard_events()))
    run = detect(ws, detectors=["theme_profile"])
    kept = kernel.kept_cell_visits(ws.engine, run.run_id, "theme_profile")
    assert get("theme_profile").edge_builder is not None and kept is not None
    params = run.results[0].params
    fresh = kernel.cell_visits_sql(get("theme_profile").build_sql(params), params["window_s"])
    got = sorted(ws.engine.sql(f"SELECT account_id, th, b FROM {kept}").rows())
    assert got and got == sorted(ws.engine.sql(fresh).rows())


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


# -- first shared slot: units with several targets (co_near_text's posts and bands) co-act once per unit pair --

SLOTS = kernel.SLOT_FINGERPRINTS + 1


def _fingerprint(target: str) -> tuple[int, int]:
    """A target's two slot fingerprints as the detectors build them (``slot_fingerprint_sql`` over ``fw_hash64``)."""
    h = int(hashlib.md5(target.encode("utf-8")).hexdigest()[:15], 16)
    return h % 511 + 1, h % 509 + 1


def _slot_target(slot: int, value: int) -> str:
    return f"s{slot}:{value}"


def _slotted(units, window_s, hot, first_shared):
    """Co-actions as ``(unit pair, slot)`` of ``units`` — ``(account, time, [value or None per slot])``, one row per
    slot with a value, target ``s<slot>:<value>`` (a string value is the target itself) — with or without the
    first-shared-slot rule."""
    rows = [
        (f"u{acc}", v if isinstance(v, str) else _slot_target(k, v), f"m{i}", float(t), k)
        for i, (acc, t, values) in enumerate(units)
        for k, v in enumerate(values)
        if v is not None
    ]
    e = DuckDBEngine.memory()
    s = e.scratch("test")
    e.register(
        "src",
        pa.table(
            {
                "account_id": pa.array([r[0] for r in rows], pa.string()),
                "target": pa.array([r[1] for r in rows], pa.string()),
                "unit": pa.array([r[2] for r in rows], pa.string()),
                "acted_at_s": pa.array([r[3] for r in rows], pa.float64()),
                "action_id": pa.array([r[2] for r in rows], pa.string()),
                "slot": pa.array([r[4] for r in rows], pa.int32()),
            }
        ),
    )
    # the unit's signature: the sum of its targets' fingerprint terms, as a detector builds it
    sigs = ", ".join(
        f"CAST(sum({kernel.slot_fingerprint_sql('fw_hash64(target)', 'slot', c)}) AS BIGINT) AS {c}"
        for c in kernel.SLOT_SIG_MODULI
    )
    detector_sql = (
        "SELECT src.*, sig.slot_sig, sig.slot_sig2 FROM src JOIN "
        f"(SELECT unit, {sigs} FROM src GROUP BY unit) sig USING (unit)"
    )
    kernel.build_rows(e, detector_sql if first_shared else "SELECT * FROM src", window_s, hot, s, first_shared)
    kernel.build_pairs(e, window_s, hot, s, first_shared)
    got = e.sql(
        f"SELECT l.action_id, r.action_id, tg.target FROM {s.pairs} p JOIN {s.rows} l ON l.rid = p.rid_l "
        f"JOIN {s.rows} r ON r.rid = p.rid_r JOIN {s.targets} tg ON tg.th = l.th"
    ).rows()
    s.close()
    e.close()
    slot_of = {target: k for _, target, _, _, k in rows}
    out = [(frozenset((a, b)), slot_of[target]) for a, b, target in got]
    assert len(set(out)) == len(out), "each co-action exactly once"
    return set(out)


def _first_shared(units, window_s):
    """Brute force: one co-action per unit pair of different accounts within the window, on the first slot on which
    both have the same target."""
    out = set()
    for i, (a, t, xs) in enumerate(units):
        for j in range(i + 1, len(units)):
            b, u, ys = units[j]
            shared = [k for k, (x, y) in enumerate(zip(xs, ys, strict=True)) if x is not None and x == y]
            if a != b and abs(t - u) <= window_s and shared:
                out.add((frozenset((f"m{i}", f"m{j}")), shared[0]))
    return out


def test_slot_values_have_distinct_fingerprints():
    # the property test below compares with exact target equality: its targets must not collide (the collision test below)
    for k in range(SLOTS):
        assert _fingerprint(_slot_target(k, 0)) != _fingerprint(_slot_target(k, 1))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.floats(0, 300, allow_nan=False),
            st.lists(st.sampled_from([None, 0, 1]), min_size=SLOTS, max_size=SLOTS),
        ),
        min_size=0,
        max_size=30,
    ),
    st.sampled_from([0, 2]),
)
def test_first_shared_slot_counts_each_unit_pair_once(units, hot):
    window_s = 60.0
    every = _slotted(units, window_s, hot, first_shared=False)
    got = _slotted(units, window_s, hot, first_shared=True)
    first = _first_shared(units, window_s)
    if hot == 0:
        # exact: a unit pair sharing several targets co-acts once, on its first shared slot
        assert every == {(pair, k) for pair, _ in first for k in range(SLOTS) if _shares(units, pair, k)}
        assert got == first
    else:
        # the hot-cell rule drops some co-actions; the unit pairs that co-act are still exactly those of the kernel
        # without the rule, each on the first slot the kernel joins it on, and a pair counts on a later slot only
        # after a shared slot on which a row of it is hot
        assert got <= every
        firsts = {}
        for pair, k in every:
            firsts[pair] = min(k, firsts.get(pair, k))
        assert {(pair, min(k for p, k in got if p == pair)) for pair, _ in got} == set(firsts.items())
        hot_slots = _hot_slots(units, window_s, hot)
        for pair, k in got:
            if k != firsts[pair]:
                assert any(_shares(units, pair, i) and {(m, i) for m in pair} & hot_slots for i in range(k))


def _hot_slots(units, window_s, hot):
    """``(unit, slot)`` whose row is in a hot cell: more than ``hot`` rows on its target and time bucket."""
    cells: dict[tuple[str, int], list[str]] = {}
    for i, (_acc, t, values) in enumerate(units):
        for k, v in enumerate(values):
            if v is not None:
                cells.setdefault((_slot_target(k, v), int(t // window_s)), []).append((f"m{i}", k))
    return {row for rows in cells.values() if len(rows) > hot for row in rows}


def _shares(units, pair, k):
    i, j = (int(m[1:]) for m in pair)
    x, y = units[i][2][k], units[j][2][k]
    return x is not None and x == y


def test_first_shared_slot_two_units_sharing_every_target_co_act_once_and_a_later_slot_still_counts():
    all_slots = [0] * SLOTS
    later = [1, None, 0, 0] + [1] * (SLOTS - 4)  # shares slots 2 and 3 (and none before) with all_slots
    units = [(1, 0.0, all_slots), (2, 10.0, all_slots), (3, 20.0, later)]
    assert _slotted(units, 60.0, 0, first_shared=False) == {(frozenset(("m0", "m1")), k) for k in range(SLOTS)} | {
        (frozenset((m, "m2")), k) for m in ("m0", "m1") for k in (2, 3)
    }
    assert _slotted(units, 60.0, 0, first_shared=True) == {
        (frozenset(("m0", "m1")), 0),
        (frozenset(("m0", "m2")), 2),
        (frozenset(("m1", "m2")), 2),
    }


def _colliding(prefix: str, same: int) -> tuple[str, str]:
    """Two targets whose first ``same`` fingerprints (1: ``slot_sig``; 2: both) are equal, the other not."""
    seen: dict[tuple[int, ...], str] = {}
    for n in itertools.count():
        target = f"{prefix}{n}"
        fp = _fingerprint(target)
        if (fp[:same] in seen and _fingerprint(seen[fp[:same]]) != fp) or (same == 2 and fp in seen):
            return seen[fp[:same]], target
        seen[fp[:same]] = target
    raise AssertionError("unreachable")


def test_first_shared_slot_fingerprint_collision_is_the_documented_loss():
    """Two different targets on an earlier slot with both fingerprints equal hide the later shared slot (kernel.py,
    *First shared slot*: probability at most ``j / 260,099`` per unit pair); one equal fingerprint does not."""
    a, b = _colliding("c", 2)
    units = [(1, 0.0, [a, "x"]), (2, 5.0, [b, "x"]), (3, 9.0, ["other", "x"])]
    got = _slotted(units, 60.0, 0, first_shared=True)
    assert got == {(frozenset(("m0", "m2")), 1), (frozenset(("m1", "m2")), 1)}  # m0-m1 lost to the collision
    a, b = _colliding("d", 1)
    units = [(1, 0.0, [a, "x"]), (2, 5.0, [b, "x"])]
    assert _slotted(units, 60.0, 0, first_shared=True) == {(frozenset(("m0", "m1")), 1)}


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.floats(0, 300, allow_nan=False)), min_size=0, max_size=60),
    st.sampled_from([2.0, 7.5]),
    st.sampled_from([0, 3]),
)
def test_targets_within_one_bucket_need_no_shifted_join(raw, window_s, hot):
    """Where every target's rows lie in one bucket (a time-slot target, as sync_post's), the null model says so
    (no adjacent pairs) and the join without the next-bucket copy finds the same co-actions."""
    from flockwatch.detect.calibration import null_model

    rows = [(f"u{a}", f"slot{math.floor(t / window_s)}", t, f"m{i}") for i, (a, t) in enumerate(raw)]
    e, s = _with_rows(rows, window_s, hot)
    assert null_model(e, s, hot).adjacent_pairs == 0
    both = [
        sorted(e.sql(kernel.pairs_sql(s.rows, window_s, hot, adjacent_buckets=adjacent)).rows())
        for adjacent in (True, False)
    ]
    assert both[0] == both[1]
    s.close()
    e.close()


def test_null_model_counts_adjacent_pairs_where_targets_span_buckets():
    from flockwatch.detect.calibration import null_model

    e, s = _with_rows([("a", "x", 59.0, "1"), ("b", "x", 61.0, "2"), ("c", "y", 10.0, "3")], 60.0, 0)
    assert null_model(e, s, 0).adjacent_pairs == 1.0  # a (bucket 0) and b (bucket 1) on target x
    # and the shifted join is what finds them
    assert len(e.sql(kernel.pairs_sql(s.rows, 60.0, 0)).rows()) == 1
    assert len(e.sql(kernel.pairs_sql(s.rows, 60.0, 0, adjacent_buckets=False)).rows()) == 0
    s.close()
    e.close()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3), st.floats(0, 200, allow_nan=False)), max_size=60),
    st.sets(st.integers(0, 7)),
    st.sampled_from([0, 2]),
)
def test_co_actions_among_some_accounts_are_the_full_join_restricted_to_them(raw, among, hot):
    """``pairs_sql`` over ``build_rows_among`` (the live-pair stage of calibration) finds exactly the co-actions of
    the full join whose two accounts are both in the relation: same row ids, same order fields, hot cells included."""
    window_s = 60.0
    rows = [(f"u{a}", f"x{x}", t, f"m{i}") for i, (a, x, t) in enumerate(raw)]
    e, s = _with_rows(rows, window_s, hot)
    e.sql(
        f"CREATE TEMP TABLE {s.among} AS SELECT acc FROM {s.accounts} WHERE list_contains(?, account_id)",
        [[f"u{a}" for a in among]],
    )
    kept = {r[0] for r in e.sql(f"SELECT acc FROM {s.among}").rows()}
    every = e.sql(kernel.pairs_sql(s.rows, window_s, hot)).rows()
    got = e.sql(kernel.pairs_sql(kernel.build_rows_among(e, s, s.among), window_s, hot)).rows()
    assert sorted(got) == sorted(p for p in every if p[2] in kept and p[3] in kept)
    s.close()
    e.close()


def _direct(rows, window_s, hot):
    """(accounts, incidences N, Q, per-account distinct cells) counted cell by cell, as the module docstring says."""
    cells: dict[tuple[str, int], list[str]] = {}
    for acc, target, t, _aid in rows:
        cells.setdefault((target, math.floor(t / window_s)), []).append(acc)
    n = {cell: len(set(accs)) for cell, accs in cells.items()}
    c = {cell: len(accs) for cell, accs in cells.items()}

    def capped_same(cell):
        if hot and c[cell] > hot:
            return n[cell] * min(n[cell] - 1, 2.0 * hot)
        return n[cell] * (n[cell] - 1)

    def capped_next(cell, prev):
        if hot and c[cell] > hot and c[prev] > hot:
            return min(n[cell] * n[prev], float(hot * hot))
        return n[cell] * n[prev]

    same = sum(capped_same(cell) for cell in cells)
    adjacent = sum(capped_next(cell, (cell[0], cell[1] - 1)) for cell in cells if (cell[0], cell[1] - 1) in cells)
    incidences = sum(n.values())
    activity: dict[str, int] = {}
    for accs in cells.values():
        for acc in set(accs):
            activity[acc] = activity.get(acc, 0) + 1
    q = (same + adjacent) / incidences**2 if incidences else 0.0
    return len(activity), incidences, q, adjacent, activity


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 3), st.floats(0, 400, allow_nan=False)), min_size=0, max_size=80
    ),
    st.sampled_from([30.0, 90.0]),
    st.sampled_from([0, 2, 5]),
)
def test_null_model_equals_a_direct_count_of_cells(raw, window_s, hot):
    rows = [(f"u{a}", f"x{x}", t, f"m{i}") for i, (a, x, t) in enumerate(raw)]
    accounts, incidences, q, adjacent, activity = _direct(rows, window_s, hot)
    e, s = _with_rows(rows, window_s, hot)
    model = calibration.null_model(e, s, hot)
    assert model.accounts_count == accounts
    assert model.incidences_count == incidences
    assert math.isclose(model.q, q, rel_tol=1e-12, abs_tol=0.0)
    assert model.adjacent_pairs == adjacent
    assert model.tests_count == max(1.0, accounts * (accounts - 1) / 2)
    got = dict(e.sql(f"SELECT a.account_id, d.d FROM {s.activity} d JOIN {s.accounts} a USING (acc)").rows())
    assert got == activity
    s.close()
    e.close()


def test_null_model_of_no_rows_is_empty():
    e = DuckDBEngine.memory()
    s = e.scratch("test")
    e.sql(
        "CREATE TEMP TABLE src AS SELECT 'a' AS account_id, 'x' AS target, 'x' AS unit, 0.0 AS acted_at_s, "
        "'1' AS action_id WHERE false"
    )
    kernel.build_rows(e, "SELECT * FROM src", 60.0, 0, s)
    model = calibration.null_model(e, s, 0)
    assert (model.accounts_count, model.incidences_count, model.q, model.tests_count) == (0, 0, 0.0, 1.0)
    s.close()
    e.close()


def test_rows_that_cannot_pair_are_left_out_of_the_ranked_rows_but_counted_by_the_null_model():
    """A row with no other account in its cell or the neighbouring cells is not ranked (``s.rows``), while
    build_rows' count, the null model and the kept cell visits still see it."""
    rows = [
        ("a", "x", 10.0, "1"),
        ("b", "x", 70.0, "2"),  # next bucket of a's: a and b can pair
        ("a", "x", 500.0, "3"),  # x, far from everyone else's rows: alone
        ("c", "y", 20.0, "4"),  # y is c's alone
        ("c", "y", 30.0, "5"),
    ]
    e, s = _with_rows(rows, 60.0, 0)
    assert kernel.build_rows(e, "SELECT * FROM src", 60.0, 0, s) == 5  # again, for its count
    assert sorted(r[0] for r in e.sql(f"SELECT action_id FROM {s.rows}").rows()) == ["1", "2"]
    visits = e.sql(f"SELECT count(*), sum(c) FROM {s.visits}").one()
    model = calibration.null_model(e, s, 0)
    assert model.incidences_count == 4 and model.accounts_count == 3
    assert visits == (4, 5)
    assert len(e.sql(kernel.pairs_sql(s.rows, 60.0, 0)).rows()) == 1
    s.close()
    e.close()
