"""Automation cadence: how regular an account's timing is, and which client it posts from.

Consumes ``actions(account_id, acted_at, client)`` through the scope's timeline (``signals/base.py``: the gaps
between an account's actions, shared with ``history_discontinuity``); produces ``automation_cadence`` rows for
scoped accounts with at least ``min_actions`` actions.

What it measures: the gaps between consecutive actions of the account (zero gaps — several actions in the same
second — are kept out, they are batch uploads, not cadence). ``cv`` = standard deviation / mean of the gaps. A
Poisson (memoryless, human-like on average) process has cv ≈ 1, bursty human activity cv > 1, a scheduler posting
every N minutes cv ≈ 0. ``value = clip(1 - cv, 0, 1)`` with a penalty for few gaps (multiplied by
``n_gaps / (n_gaps + min_actions)``) so five regular gaps cannot look as certain as five hundred. The evidence also
gives the median gap in seconds, the share of actions in second 0 of a minute (schedulers fire on the minute), the
dominant client and its share.

False-positive risks: news feeds and legitimate scheduled publishers (brands, RSS bots) are regular by design —
cadence says *automated*, not *inauthentic*; archives with minute-resolution timestamps make every action "second 0"
(the evidence says so: ``second_zero_share`` near 1 for all accounts means the timestamps are truncated); cross-
posting tools and third-party clients are common among ordinary heavy users.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish

NAME = "automation_cadence"


def compute(engine: Engine, scope: Scope, min_actions: int = 10) -> pa.Table:
    k = int(min_actions)
    out = fetch_arrow(
        engine,
        f"""
        WITH a AS (
          -- untimed actions sort last in the timeline: the gaps of the timed ones are theirs alone
          SELECT platform, account_id, acted_at, client, gap_s FROM {scope.timeline_sql()} WHERE acted_at IS NOT NULL
        ), g AS (
          SELECT platform, account_id, count(*) AS n_actions,
            count(gap_s) FILTER (WHERE gap_s > 0) AS n_gaps,
            avg(gap_s) FILTER (WHERE gap_s > 0) AS mean_gap_s,
            stddev_pop(gap_s) FILTER (WHERE gap_s > 0) AS sd_gap_s,
            median(gap_s) FILTER (WHERE gap_s > 0) AS median_gap_s,
            avg(CASE WHEN second(acted_at) = 0 THEN 1.0 ELSE 0.0 END) AS second_zero_share,
            count(DISTINCT client) AS n_clients
          FROM a GROUP BY ALL HAVING count(*) >= {k}
        ), c AS (
          SELECT platform, account_id, client, count(*) AS n,
            row_number() OVER (PARTITION BY platform, account_id ORDER BY count(*) DESC, client) AS rk
          FROM a WHERE client IS NOT NULL GROUP BY platform, account_id, client
        )
        SELECT g.platform, g.account_id, '{NAME}' AS signal,
          CASE WHEN g.n_gaps < 2 OR g.mean_gap_s IS NULL OR g.mean_gap_s = 0 THEN 0.0
               ELSE greatest(0.0, least(1.0, 1.0 - g.sd_gap_s / g.mean_gap_s)) * g.n_gaps / (g.n_gaps + {k})
          END AS value,
          json_object('n_actions', g.n_actions, 'n_gaps', g.n_gaps,
                      'gap_cv', round(g.sd_gap_s / nullif(g.mean_gap_s, 0), 4),
                      'median_gap_s', g.median_gap_s, 'second_zero_share', round(g.second_zero_share, 4),
                      'top_client', c.client, 'top_client_share', round(c.n / g.n_actions, 4),
                      'n_clients', g.n_clients) AS evidence
        FROM g LEFT JOIN c ON c.platform = g.platform AND c.account_id = g.account_id AND c.rk = 1
        ORDER BY value DESC, account_id
        """,
    )
    return finish(out)
