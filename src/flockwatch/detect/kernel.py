"""The co-action kernel: account pairs that act on the same target within ``window_s`` seconds.

Consumes a detector's SELECT (``base.DETECTOR_COLUMNS``), an :class:`~flockwatch.engine.Engine` and the caller's
:class:`~flockwatch.engine.Scratch` ``s``; produces these temporary tables in that scratch:

    s.accounts  account_id, acc                                            (one per account: its number)
    s.targets   th, target                                                 (one per target hash: its text)
    s.visits    th, b, acc, c                                              (one per account and cell)
    s.cells     th, b, c, n, prev_c, prev_n, pairs                         (one per cell)
    s.rows      rid, acc, th, uh, t, action_id, b, hot, r                 (one per detector row that can pair;
                also slot_sig, slot_sig2, slot_skip under first_shared_slot)
    s.pairs     rid_l, rid_r, acc_l, acc_r, th, uh_l, uh_r, t_l, dt_s      (one per co-action)

``s.pairs`` is materialised only by :func:`build_pairs` (tests, small data); detection aggregates the SELECT of
:func:`pairs_sql` straight into candidate pairs (``calibration.significant_pairs``) and materialises the co-actions
of the few pairs that can still pass its threshold, never all of them.

A co-action is two rows of *different* accounts with the same target and ``|t_l - t_r| <= window_s``; ``rid_r`` is
the earlier row (by time, then row id), so every unordered co-action appears once.

How it avoids the per-target cartesian product (the step that makes CooRTweet run out of memory):

* **Bucketed equi-join.** Rows are keyed by ``(target, b = floor(t / window_s))``. Each right row is emitted for its
  own bucket and the next one, so a left row meets exactly the rows of its bucket and the previous bucket — every
  pair within the window and nothing more than one bucket away — then an exact ``l.t - r.t <= window_s`` filter.
  Plain equi-joins run on any engine (DuckDB, Spark, Polars) without range-join support. Where no target has rows
  in two neighbouring buckets (the null model's ``adjacent_pairs`` is 0: ``sync_post``, whose target is its slot)
  the shifted copy is left out, since it could meet nothing.
* **Hot cells.** A ``(target, bucket)`` cell with more than ``hot_cell_actions`` rows (a viral post's first
  minute) would still be quadratic. Pairs with at least one side in an ordinary cell are joined exactly (their cost
  is bounded by ``hot_cell_actions`` per row). Between two hot rows, each row is paired only with the
  ``hot_cell_actions`` rows that precede it on the same target (rank join, bucketed the same way on
  ``floor(rank / hot_cell_actions)``). So the candidate rows are at most ``rows x 4 x hot_cell_actions``.

Documented, bounded effect of the hot-cell rule: it can only *remove* co-actions, never add one; a removed co-action
is one on a hot cell where more than ``hot_cell_actions`` other actions fall between the two accounts' actions.
The null model (``calibration.py``) counts the same observable — in a hot cell of ``c`` rows it expects
``2 * hot_cell_actions * c`` ordered pairs instead of ``c**2`` — so dense cells are *down-weighted* consistently in
the statistic and in its expectation: a co-action there is kept with probability about ``2 * hot_cell_actions / c``
and its expectation shrinks by the same factor, and no cell is dropped. Coordinated accounts acting within seconds
of each other are rank neighbours unless more than ``hot_cell_actions`` others act in between; ``hot_cell_actions=0``
disables the rule (exact, quadratic on viral targets).

A co-action is counted once per *episode*: ``uh`` hashes the detector's unit with the time bucket, so one account
reposting a viral post five times in a minute is one episode, while an operation reusing its hashtag in fifty
separate bursts is fifty.

Targets are joined on a 64-bit hash (``th``); two different targets collide with probability about
``targets**2 / 2**65`` (1e-6 at five million targets), which can add at most a co-action.

**First shared slot** (optional, ``first_shared_slot=True``; ``Detector.first_shared_slot``). A detector that gives
one unit several targets (``co_near_text``: a post and its LSH bands) makes two units co-act once per target they
share. Such a detector also selects ``slot`` (INTEGER: which of the unit's targets the row is, ``0..n-1`` in a fixed
order, ``n <= SLOT_FINGERPRINTS + 1``) and ``slot_sig``, ``slot_sig2`` (BIGINT: :func:`slot_fingerprint_sql` of the
unit's targets at slots ``0..SLOT_FINGERPRINTS - 1``, summed); all rows of a unit must have one account and one
time, so whether two units are in the window, and which of them is the later one (``L``), do not depend on the
slot. A co-action on slot ``j`` is then kept only if, for every ``i < j``, the two units' fingerprints at ``i``
differ, or ``L`` has no target at ``i`` (fingerprint 0), or ``L``'s row at ``i`` is in a hot cell. Both rows of a
co-action are on one target, hence on one slot; the same 9-bit fields are compared on both sides, all seven at once
(:func:`_first_shared_slot_sql`), and the slots a row skips as ``L`` are one per-row column (``slot_skip``).

So a unit pair co-acts once, on the first slot it shares, where that slot's cell is ordinary for the later unit.
The hot clause keeps a pair that the hot-cell rule drops on its first shared slot (both rows hot and more than
``hot_cell_actions`` rows apart) on its next shared slot, so the unit pairs that co-act — hence the episodes, the
test statistic — are exactly those without the rule. Its price: a pair that is joined on such a slot anyway (the
earlier row ordinary, or a rank neighbour) counts there and again on its next shared slot; asking for both rows hot
would count fewer (6.02M instead of 6.22M below) but carry a hot mask on both sides of the join (at 1M actions each
BIGINT the join carries on both sides added 5-10% to its CPU). ``co_actions_count`` and ``mean_dt_s`` are therefore per unit pair except
where the later unit's row is hot. Measured on co_near_text, hk2019 simulation at 1M actions: the 12.09M co-actions
(one per shared band; 4.71M of them between two hot rows) of 2.89M co-acting post pairs became 6.22M, for the same
2.89M post pairs and the same edges. The null model still counts targets (``calibration.py``).

Documented, bounded effect of the fingerprints: a target's fingerprints are its hash modulo 511 and modulo 509 (plus
one), not the target itself (seven 64-bit hashes would widen every row the join carries and hashes). A unit pair
whose first shared slot is ``j`` loses its co-action only when, at an earlier slot where ``L``'s row is not hot, two
*different* targets have both fingerprints equal: probability at most ``j / 260,099`` per pair of targets. The loss
is correlated — every unit pair of the same two texts shares it — which is why there are two fingerprints: with
``slot_sig`` alone (``j / 511``) 951 of the 2.89M post pairs at 1M actions were lost, and at 5M actions 62 of
17,222 edges, where two campaign texts' first bands collided. The rule never adds a co-action.
"""

from __future__ import annotations

import hashlib

from flockwatch.engine import Engine, Scratch
from flockwatch.errors import ValidationError

#: Fingerprints each of ``slot_sig`` and ``slot_sig2`` holds (slots ``0..SLOT_FINGERPRINTS - 1``,
#: ``SLOT_FINGERPRINT_BITS`` bits each): a unit has at most ``SLOT_FINGERPRINTS + 1`` slots (the last one is never an
#: *earlier* slot, so it needs none).
SLOT_FINGERPRINTS = 7
SLOT_FINGERPRINT_BITS = 9
_FP_MASK = (1 << SLOT_FINGERPRINT_BITS) - 1
#: The two fingerprints of a target: its hash modulo 511 and modulo 509 (coprime, so together the hash modulo
#: 511 * 509 = 260,099), plus one, so that 0 stays "no target at this slot".
SLOT_SIG_MODULI = {"slot_sig": 511, "slot_sig2": 509}


def slot_fingerprint_sql(hash_expr: str, slot_expr: str, column: str = "slot_sig") -> str:
    """The term of ``column`` (``slot_sig`` or ``slot_sig2``) for one target: its 64-bit non-negative hash
    ``hash_expr`` folded to ``1..SLOT_SIG_MODULI[column]`` and shifted to the bits of slot ``slot_expr`` (0 for slots
    beyond the fingerprinted ones). A detector sums these terms over a unit's targets (disjoint bits: the sum is
    their union); a slot without a target stays 0."""
    b = SLOT_FINGERPRINT_BITS
    return (
        f"(CASE WHEN {slot_expr} < {SLOT_FINGERPRINTS} "
        f"THEN ({hash_expr} % {SLOT_SIG_MODULI[column]} + 1) << CAST({b} * ({slot_expr}) AS INTEGER) ELSE 0 END)"
    )


#: One bit at the bottom (``_ONES``) and at the top (``_HIGHS``) of each fingerprint of ``slot_sig``.
_ONES = sum(1 << (SLOT_FINGERPRINT_BITS * i) for i in range(SLOT_FINGERPRINTS))
_HIGHS = _ONES << (SLOT_FINGERPRINT_BITS - 1)


def _slot_skip_sql(slot: str, sig: str) -> str:
    """Per row: the top bit of every fingerprint of ``slot_sig`` that the row, as the left one, does not compare —
    the slots from its own on, and the slots where its unit has no target (fingerprint 0); :func:`build_rows` adds
    the slots where its unit's row is hot."""
    b = SLOT_FINGERPRINT_BITS
    from_slot = " ".join(f"WHEN {j} THEN {_HIGHS & ~((1 << (b * j)) - 1)}" for j in range(SLOT_FINGERPRINTS))
    empty = " + ".join(
        f"CASE WHEN (({sig} >> {b * i}) & {_FP_MASK}) = 0 THEN {1 << (b * i + b - 1)} ELSE 0 END"
        for i in range(SLOT_FINGERPRINTS)
    )
    return f"(CAST(CASE {slot} {from_slot} ELSE 0 END AS BIGINT) | ({empty}))"


def _first_shared_slot_sql() -> str:
    """Join condition of the first-shared-slot rule (module docstring), all seven slots at once (SWAR): ``x`` has a
    9-bit field equal to 0 exactly where both fingerprints of the two units are equal (``(a | b) - (a & b)`` is
    their xor, written without an xor operator, which DuckDB and Spark spell differently; or-ing the two xors
    leaves a field 0 only where both are) on a slot the left row does not skip; ``(x - ONES) & ~x & HIGHS`` is
    non-zero exactly when some field of ``x`` is 0 (the has-zero-byte test, with 9-bit bytes). Seven per-slot
    comparisons cost more than the rule saved: at 5M actions the two joins over the co-actions (candidates, live
    filter) took 51.7 CPU-s with them (48.4 without the rule), 34.9 with this form (one fingerprint column; hk2019
    simulation, on a shared, loaded machine)."""
    x = (
        "((L.slot_sig | R.slot_sig) - (L.slot_sig & R.slot_sig)) | "
        "((L.slot_sig2 | R.slot_sig2) - (L.slot_sig2 & R.slot_sig2)) | L.slot_skip"
    )
    return f"((({x}) - {_ONES}) & ~({x}) & {_HIGHS}) = 0"


def _src_sql(detector_sql: str, window_s: float, first_shared_slot: bool = False) -> str:
    """A detector's rows keyed for the kernel: target hash ``th``, episode hash ``uh``, time bucket ``b`` (and the
    detector's ``slot``, ``slot_sig``, ``slot_sig2`` under ``first_shared_slot``). The unit itself is not kept: only
    its hash ``uh`` is read (a second string per row for nothing, often a copy of the target or the action id; at
    5M actions its copy took 0.3-0.45 of the 1.2-1.7 s co_repost's rows took to store)."""
    w = float(window_s)
    slots = "slot, slot_sig, slot_sig2, " if first_shared_slot else ""
    return f"""
SELECT account_id, target, acted_at_s AS t, action_id, {slots}
       hash(target) AS th, hash(unit, CAST(floor(acted_at_s / {w}) AS BIGINT)) AS uh,
       CAST(floor(acted_at_s / {w}) AS BIGINT) AS b
FROM ({detector_sql}) src
WHERE account_id IS NOT NULL AND target IS NOT NULL AND acted_at_s IS NOT NULL"""


def cell_visits_sql(detector_sql: str, window_s: float) -> str:
    """SELECT of the distinct ``(account_id, th, b)`` cell visits of a detector's rows — the kernel's cells without
    its row numbering (what the null model's incidences and ``networks.attach`` count)."""
    if window_s <= 0:
        raise ValidationError(f"window_s must be > 0, got {window_s}")
    return f"SELECT DISTINCT account_id, th, b FROM ({_src_sql(detector_sql, window_s)}) v"


#: Prefix of the per-run cell-visit tables :func:`keep_visits_of` leaves on a connection.
_VISITS_PREFIX = "fw_cell_visits_"


def _visits_run_prefix(run_id: str) -> str:
    return _VISITS_PREFIX + hashlib.md5(run_id.encode()).hexdigest()[:12] + "_"


def _visits_table(run_id: str, detector: str) -> str:
    return _visits_run_prefix(run_id) + "".join(c if c.isalnum() else "_" for c in detector.lower())


def keep_visits_of(engine: Engine, run_id: str, detector: str, visits_sql: str) -> None:
    """Keep ``visits_sql`` (the distinct ``(account_id, th, b)`` a detector's rows visit, as :func:`cell_visits_sql`
    computes them) as the run's cell visits of ``detector`` for the rest of this connection. Visits of other runs are
    dropped first, so a long-lived process holds one run's."""
    mine = _visits_run_prefix(run_id)
    for (name,) in engine.sql(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?) "
        "AND NOT starts_with(table_name, ?)",
        [_VISITS_PREFIX, mine],
    ).rows():
        engine.sql(f"DROP TABLE IF EXISTS temp.{name}")
    engine.sql(f"CREATE OR REPLACE TEMP TABLE {_visits_table(run_id, detector)} AS {visits_sql}")


def kept_cell_visits(engine: Engine, run_id: str, detector: str) -> str | None:
    """The table :func:`keep_visits_of` left for ``(run_id, detector)`` on this connection, or None."""
    name = _visits_table(run_id, detector)
    found = engine.sql("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).scalar()
    return name if found else None


def build_rows(
    engine: Engine,
    detector_sql: str,
    window_s: float,
    hot_cell_actions: int,
    s: Scratch,
    first_shared_slot: bool = False,
) -> int:
    """Materialise ``s.accounts``, ``s.targets``, ``s.visits``, ``s.cells`` and ``s.rows``; returns the number of
    detector rows (all of them: ``s.rows`` keeps only those that can pair, see *Rows that cannot pair*).

    ``s.visits`` (``th, b, acc, c``: one per account and cell, with its rows) and ``s.cells`` (``th, b, c, n``: rows
    and accounts per cell, ``prev_c``/``prev_n`` of the previous bucket where it is adjacent, ``pairs``) count every
    row; they are what the null model (``calibration.null_model``) and the network build's attach step read.

    Rows name their account by number (``acc``) and their target by hash (``th``) only: the strings stay out of the
    window that ranks them and out of the table every later join holds. The target's text is read from
    ``s.targets`` by the few rows that become evidence (5M actions, hk2019 simulation: co_near_text's rows 16.3 /
    16.4 -> 15.6 / 15.7 s; co_text's, with long normalised texts, no measurable change). ``first_shared_slot``: the
    detector's SELECT also has ``slot``, ``slot_sig`` and ``slot_sig2``; ``s.rows`` keeps the two and ``slot_skip``
    (the top bit of each fingerprint the row does not compare as the later row of a co-action: its own slot and
    later ones, slots where its unit has no target, slots where its unit's row is in a hot cell) for
    :func:`pairs_sql` (module docstring, *First shared slot*).

    **Rows that cannot pair.** A row whose cell and both neighbouring cells (same target, buckets ``b - 1`` and
    ``b + 1``) hold no other account's row meets nothing in the join, and it is left out of ``s.rows``: a repost of
    a post nobody else reposted within minutes, the text only one account posted that hour. The co-actions are the
    same: no such row lies, in the target's order, between two rows that co-act (the rows between them are in their
    buckets, whose cells hold both accounts), so ranks drop by the same number on both sides of every pair that can
    meet, the rank join finds the same rank neighbours (it reads only rank differences up to ``hot_cell_actions``,
    and buckets of ``hot_cell_actions`` ranks are joined with their next one), and row ids keep their order. Cells
    keep their full counts (the hot flag, the null model). On a 5M-row retweet log 61 % of co_repost's rows cannot
    pair; on the hk2019 simulation at 5M actions 72 % of co_text's, 42 % of co_repost's, 25 % of co_near_text's.
    """
    if window_s <= 0:
        raise ValidationError(f"window_s must be > 0, got {window_s}")
    engine.drop_relations([s.src, s.rows, s.accounts, s.targets, s.visits, s.cells])
    engine.sql(f"CREATE TEMP TABLE {s.src} AS {_src_sql(detector_sql, window_s, first_shared_slot)}")
    # one text per target hash: two targets of one hash are one target to the kernel (module docstring), and the
    # smallest text names it, whatever the thread schedule
    engine.sql(f"CREATE TEMP TABLE {s.targets} AS SELECT th, min(target) AS target FROM {s.src} GROUP BY th")
    # the accounts' numbers, kept: the edges and the cell visits name accounts by id (a DISTINCT over every row
    # each time they were read from s.rows)
    engine.sql(f"""
CREATE TEMP TABLE {s.accounts} AS
SELECT account_id, CAST(row_number() OVER (ORDER BY account_id) AS INTEGER) AS acc
FROM (SELECT DISTINCT account_id FROM {s.src})""")
    engine.sql(f"""
CREATE TEMP TABLE {s.visits} AS
SELECT s.th, s.b, a.acc, count(*) AS c FROM {s.src} s JOIN {s.accounts} a USING (account_id) GROUP BY s.th, s.b, a.acc""")
    # per cell: its rows and accounts, the previous bucket's where that cell is adjacent (the null model's
    # neighbouring pairs), and whether a row there can pair: another account in the cell, or in an adjacent cell
    # (smallest and largest account number: one account there is lo = hi; a neighbour holds another one unless its
    # lo and hi are both that account)
    engine.sql(f"""
CREATE TEMP TABLE {s.cells} AS
WITH c AS (
  SELECT th, b, CAST(sum(c) AS BIGINT) AS c, count(*) AS n, min(acc) AS lo, max(acc) AS hi
  FROM {s.visits} GROUP BY th, b
)
SELECT th, b, c, n,
       CASE WHEN lag(b) OVER w = b - 1 THEN lag(c) OVER w END AS prev_c,
       CASE WHEN lag(b) OVER w = b - 1 THEN lag(n) OVER w END AS prev_n,
       coalesce(lo < hi
                OR (lag(b) OVER w = b - 1 AND (lag(lo) OVER w < lo OR lag(hi) OVER w > hi))
                OR (lead(b) OVER w = b + 1 AND (lead(lo) OVER w < lo OR lead(hi) OVER w > hi)), false) AS pairs
FROM c WINDOW w AS (PARTITION BY th ORDER BY b)""")
    hot = f"c > {int(hot_cell_actions)}" if hot_cell_actions > 0 else "false"
    slots = "s.slot, s.slot_sig, s.slot_sig2, " if first_shared_slot else ""
    o_slots = (
        f"o.slot_sig, o.slot_sig2, {_slot_skip_sql('o.slot', 'o.slot_sig')} | coalesce(hs.slot_hot, 0) AS slot_skip, "
        if first_shared_slot
        else ""
    )
    # a unit's rows share its time, hence its episode hash uh: the hot-slot mask (the top bit of the fingerprint of
    # each slot whose row is hot) is grouped on that integer, over all of the unit's rows (those that cannot pair
    # too); units without a hot row join nothing and add 0
    bits = SLOT_FINGERPRINT_BITS
    hot_slots = (
        f""", hs AS (
  SELECT s.uh, bit_or(CAST(1 AS BIGINT) << ({bits} * s.slot + {bits - 1})) AS slot_hot
  FROM {s.src} s JOIN {s.cells} USING (th, b) WHERE {hot} AND s.slot < {SLOT_FINGERPRINTS} GROUP BY s.uh
)"""
        if first_shared_slot
        else ""
    )
    hot_join = "LEFT JOIN hs USING (uh)" if first_shared_slot else ""
    # rid orders rows by (target, time, action, account); r is the rank on the target in the same order. rid is
    # the target's offset (rows on smaller target hashes, a running sum over the distinct targets) plus r: the same
    # numbers as a global row_number(), without a global sort of every row on text keys. Ties are broken by acc,
    # the account's number in account-id order: the same order as the id's text, on an integer instead of a string.
    # The window's sort is also what leaves s.rows clustered by target, which the joins of pairs_sql depend on: a
    # co_near_text variant without it (each post numbered once in time order by the detector, rows identified by
    # that number and their band, only hot rows ranked) built its rows 1-2 s faster at 5M actions and lost it again
    # in the candidate and live joins over unclustered rows (+1-3 s), with or without re-clustering them by target
    engine.sql(f"""
CREATE TEMP TABLE {s.rows} AS
WITH offsets AS (
  SELECT th, CAST(sum(n) OVER (ORDER BY th ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n AS BIGINT) AS off
  FROM (SELECT th, CAST(sum(c) AS BIGINT) AS n FROM {s.cells} WHERE pairs GROUP BY th) t
), o AS (
  SELECT acc.acc, s.th, s.uh, s.t, s.action_id, s.b, {slots}({hot}) AS hot,
         row_number() OVER (PARTITION BY s.th ORDER BY s.t, s.action_id, acc.acc) AS r
  FROM {s.src} s JOIN {s.accounts} acc USING (account_id) JOIN {s.cells} cells USING (th, b)
  WHERE cells.pairs
){hot_slots}
SELECT offsets.off + o.r AS rid, o.acc, o.th, o.uh, o.t, o.action_id, o.b, {o_slots}o.hot, o.r
FROM o JOIN offsets USING (th) {hot_join}""")
    n_rows = engine.count(s.src)
    engine.drop_relations([s.src])
    return n_rows


def pairs_sql(
    rows: str, window_s: float, hot_cell_actions: int, first_shared_slot: bool = False, adjacent_buckets: bool = True
) -> str:
    """The SELECT of every co-action (the columns of ``s.pairs``) over kernel rows ``rows``; under
    ``first_shared_slot`` (rows built with it) one per unit pair, on the first slot the two units share.

    ``adjacent_buckets=False`` is the caller's knowledge that no target has rows in two neighbouring buckets (the
    null model's ``adjacent_pairs`` is 0: ``sync_post``, whose target is its time slot): the copy of every row
    shifted to the next bucket could then meet nothing, and is left out of the join."""
    w = float(window_s)
    k = int(hot_cell_actions)
    # the rule reads both rows' fingerprints and the left row's skipped slots
    right_slots = ", slot_sig, slot_sig2" if first_shared_slot else ""
    left_slots = ", slot_sig, slot_sig2, slot_skip" if first_shared_slot else ""
    cols = (
        "L.rid AS rid_l, R.rid AS rid_r, L.acc AS acc_l, R.acc AS acc_r, L.th, L.uh AS uh_l, R.uh AS uh_r, "
        "L.t AS t_l, L.t - R.t AS dt_s"
    )
    # R is the earlier row of the pair: (R.t, R.rid) < (L.t, L.rid) is exactly R.r < L.r on one target.
    cond = f"R.r < L.r AND L.t - R.t <= {w} AND L.acc <> R.acc"
    if first_shared_slot:
        cond += " AND " + _first_shared_slot_sql()
    right_shifted = f"(SELECT rid, acc, th, uh, t, r, hot{right_slots}, b AS jb FROM {rows}" + (
        f" UNION ALL SELECT rid, acc, th, uh, t, r, hot{right_slots}, b + 1 AS jb FROM {rows})"
        if adjacent_buckets
        else ")"
    )
    parts = [
        # left row in an ordinary cell: at most hot_cell_actions rows on its side of each bucket pair
        f"SELECT {cols} FROM (SELECT * FROM {rows} WHERE NOT hot) L "
        f"JOIN {right_shifted} R ON L.th = R.th AND L.b = R.jb WHERE {cond}",
        # left row hot, right row ordinary
        f"SELECT {cols} FROM (SELECT * FROM {rows} WHERE hot) L "
        f"JOIN (SELECT * FROM {right_shifted} WHERE NOT hot) R ON L.th = R.th AND L.b = R.jb WHERE {cond}",
    ]
    if k > 0:
        hot_rows = f"(SELECT rid, acc, th, uh, t, r{left_slots}, r // {k} AS rb FROM {rows} WHERE hot)"
        hot_shifted = (
            f"(SELECT rid, acc, th, uh, t, r{right_slots}, r // {k} AS jrb FROM {rows} WHERE hot UNION ALL "
            f"SELECT rid, acc, th, uh, t, r{right_slots}, r // {k} + 1 AS jrb FROM {rows} WHERE hot)"
        )
        parts.append(
            f"SELECT {cols} FROM {hot_rows} L JOIN {hot_shifted} R ON L.th = R.th AND L.rb = R.jrb "
            f"WHERE {cond} AND L.r - R.r <= {k}"
        )
    return " UNION ALL ".join(parts)


def build_rows_among(engine: Engine, s: Scratch, accounts: str, first_shared_slot: bool = False) -> str:
    """Materialise ``s.rows_among``: the rows of ``s.rows`` of the accounts in relation ``accounts`` (column ``acc``),
    with the columns :func:`pairs_sql` reads; returns its name. The rows keep their ids, ranks and hot flags, so
    :func:`pairs_sql` over it finds exactly the co-actions between those accounts that it finds over ``s.rows``.
    A plain table rather than a filter inside :func:`pairs_sql`, which reads its rows five times."""
    slots = ", slot_sig, slot_sig2, slot_skip" if first_shared_slot else ""
    engine.sql(f"DROP TABLE IF EXISTS {s.rows_among}")
    engine.sql(f"""
CREATE TEMP TABLE {s.rows_among} AS
SELECT rid, acc, th, uh, t, b, hot, r{slots} FROM {s.rows} WHERE acc IN (SELECT acc FROM {accounts})""")
    return s.rows_among


def build_pairs(
    engine: Engine, window_s: float, hot_cell_actions: int, s: Scratch, first_shared_slot: bool = False
) -> int:
    """Materialise ``s.pairs`` (every co-action) from ``s.rows``; returns the number of co-actions."""
    engine.sql(f"DROP TABLE IF EXISTS {s.pairs}")
    engine.sql(f"CREATE TEMP TABLE {s.pairs} AS " + pairs_sql(s.rows, window_s, hot_cell_actions, first_shared_slot))
    return engine.count(s.pairs)
