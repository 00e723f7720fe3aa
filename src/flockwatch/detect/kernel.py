"""The co-action kernel: account pairs that act on the same target within ``window_s`` seconds.

Consumes a detector's SELECT (``base.DETECTOR_COLUMNS``), an :class:`~flockwatch.engine.Engine` and the caller's
:class:`~flockwatch.engine.Scratch` ``s``; produces two temporary tables in that scratch:

    s.rows   rid, acc, account_id, target, th, uh, t, action_id, b, hot, r   (one per detector row)
    s.pairs  rid_l, rid_r, acc_l, acc_r, th, uh_l, uh_r, t_l, dt_s            (one per co-action)

``s.pairs`` is materialised only by :func:`build_pairs` (tests, small data); detection aggregates the SELECT of
:func:`pairs_sql` straight into candidate pairs (``calibration.significant_pairs``) and materialises the co-actions
of the few pairs that can still pass its threshold, never all of them.

A co-action is two rows of *different* accounts with the same target and ``|t_l - t_r| <= window_s``; ``rid_r`` is
the earlier row (by time, then row id), so every unordered co-action appears once.

How it avoids the per-target cartesian product (the step that makes CooRTweet run out of memory):

* **Bucketed equi-join.** Rows are keyed by ``(target, b = floor(t / window_s))``. Each right row is emitted for its
  own bucket and the next one, so a left row meets exactly the rows of its bucket and the previous bucket — every
  pair within the window and nothing more than one bucket away — then an exact ``l.t - r.t <= window_s`` filter.
  Plain equi-joins run on any engine (DuckDB, Spark, Polars) without range-join support.
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
"""

from __future__ import annotations

import hashlib

from flockwatch.engine import Engine, Scratch
from flockwatch.errors import ValidationError


def _src_sql(detector_sql: str, window_s: float) -> str:
    """A detector's rows keyed for the kernel: target hash ``th``, episode hash ``uh``, time bucket ``b``."""
    w = float(window_s)
    return f"""
SELECT account_id, target, unit, acted_at_s AS t, action_id,
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


#: Prefix of the per-run cell-visit tables :func:`keep_cell_visits` leaves on a connection.
_VISITS_PREFIX = "fw_cell_visits_"


def _visits_run_prefix(run_id: str) -> str:
    return _VISITS_PREFIX + hashlib.md5(run_id.encode()).hexdigest()[:12] + "_"


def _visits_table(run_id: str, detector: str) -> str:
    return _visits_run_prefix(run_id) + "".join(c if c.isalnum() else "_" for c in detector.lower())


def keep_cell_visits(engine: Engine, s: Scratch, run_id: str, detector: str) -> None:
    """Keep the distinct ``(account_id, th, b)`` of ``s.rows`` as the run's cell visits of ``detector`` for the rest
    of this connection: what :func:`cell_visits_sql` would compute again from the detector's SQL, which the network
    build's ``attach`` reads right after detection (re-running the detectors' SQL was most of its cost). Visits of
    other runs are dropped first, so a long-lived process holds one run's."""
    mine = _visits_run_prefix(run_id)
    for (name,) in engine.sql(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?) "
        "AND NOT starts_with(table_name, ?)",
        [_VISITS_PREFIX, mine],
    ).rows():
        engine.sql(f"DROP TABLE IF EXISTS temp.{name}")
    engine.sql(
        f"CREATE OR REPLACE TEMP TABLE {_visits_table(run_id, detector)} AS SELECT DISTINCT account_id, th, b "
        f"FROM {s.rows}"
    )


def kept_cell_visits(engine: Engine, run_id: str, detector: str) -> str | None:
    """The table :func:`keep_cell_visits` left for ``(run_id, detector)`` on this connection, or None."""
    name = _visits_table(run_id, detector)
    found = engine.sql("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).scalar()
    return name if found else None


def build_rows(engine: Engine, detector_sql: str, window_s: float, hot_cell_actions: int, s: Scratch) -> int:
    """Materialise ``s.rows``; returns its row count."""
    if window_s <= 0:
        raise ValidationError(f"window_s must be > 0, got {window_s}")
    engine.sql(f"DROP TABLE IF EXISTS {s.src}")
    engine.sql(f"DROP TABLE IF EXISTS {s.rows}")
    engine.sql(f"CREATE TEMP TABLE {s.src} AS {_src_sql(detector_sql, window_s)}")
    hot = f"c > {int(hot_cell_actions)}" if hot_cell_actions > 0 else "false"
    # rid orders rows by (target, time, action, account); r is the rank on the target in the same order. rid is
    # the target's offset (rows on smaller target hashes, a running sum over the distinct targets) plus r: the same
    # numbers as a global row_number(), without a global sort of every row on text keys
    engine.sql(f"""
CREATE TEMP TABLE {s.rows} AS
WITH acc AS (
  SELECT account_id, CAST(row_number() OVER (ORDER BY account_id) AS INTEGER) AS acc
  FROM (SELECT DISTINCT account_id FROM {s.src})
), cells AS (
  SELECT th, b, count(*) AS c FROM {s.src} GROUP BY th, b
), offsets AS (
  SELECT th, CAST(sum(n) OVER (ORDER BY th ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n AS BIGINT) AS off
  FROM (SELECT th, CAST(sum(c) AS BIGINT) AS n FROM cells GROUP BY th) t
), o AS (
  SELECT acc.acc, s.account_id, s.target, s.th, s.uh, s.t, s.action_id, s.b, ({hot}) AS hot,
         row_number() OVER (PARTITION BY s.th ORDER BY s.t, s.action_id, s.account_id) AS r
  FROM {s.src} s JOIN acc USING (account_id) JOIN cells USING (th, b)
)
SELECT offsets.off + o.r AS rid, o.acc, o.account_id, o.target, o.th, o.uh, o.t, o.action_id, o.b, o.hot, o.r
FROM o JOIN offsets USING (th)""")
    engine.sql(f"DROP TABLE {s.src}")
    return engine.count(s.rows)


def pairs_sql(rows: str, window_s: float, hot_cell_actions: int) -> str:
    """The SELECT of every co-action (the columns of ``s.pairs``) over kernel rows ``rows``."""
    w = float(window_s)
    k = int(hot_cell_actions)
    cols = (
        "L.rid AS rid_l, R.rid AS rid_r, L.acc AS acc_l, R.acc AS acc_r, L.th, L.uh AS uh_l, R.uh AS uh_r, "
        "L.t AS t_l, L.t - R.t AS dt_s"
    )
    # R is the earlier row of the pair: (R.t, R.rid) < (L.t, L.rid) is exactly R.r < L.r on one target.
    cond = f"R.r < L.r AND L.t - R.t <= {w} AND L.acc <> R.acc"
    right_shifted = (
        f"(SELECT rid, acc, th, uh, t, r, hot, b AS jb FROM {rows} UNION ALL "
        f"SELECT rid, acc, th, uh, t, r, hot, b + 1 AS jb FROM {rows})"
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
        hot_rows = f"(SELECT rid, acc, th, uh, t, r, r // {k} AS rb FROM {rows} WHERE hot)"
        hot_shifted = (
            f"(SELECT rid, acc, th, uh, t, r, r // {k} AS jrb FROM {rows} WHERE hot UNION ALL "
            f"SELECT rid, acc, th, uh, t, r, r // {k} + 1 AS jrb FROM {rows} WHERE hot)"
        )
        parts.append(
            f"SELECT {cols} FROM {hot_rows} L JOIN {hot_shifted} R ON L.th = R.th AND L.rb = R.jrb "
            f"WHERE {cond} AND L.r - R.r <= {k}"
        )
    return " UNION ALL ".join(parts)


def build_pairs(engine: Engine, window_s: float, hot_cell_actions: int, s: Scratch) -> int:
    """Materialise ``s.pairs`` (every co-action) from ``s.rows``; returns the number of co-actions."""
    engine.sql(f"DROP TABLE IF EXISTS {s.pairs}")
    engine.sql(f"CREATE TEMP TABLE {s.pairs} AS " + pairs_sql(s.rows, window_s, hot_cell_actions))
    return engine.count(s.pairs)


def drop(engine: Engine, s: Scratch) -> None:
    """Drop the kernel's tables early (peak memory); the scratch drops whatever is left when it closes."""
    engine.drop_relations([s.src, s.rows, s.pairs, s.pairs_live])
