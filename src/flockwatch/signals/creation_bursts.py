"""Creation-date bursts: accounts created together, measured against the platform's background creation rate.

Consumes ``accounts.created_at`` (all accounts of the platform form the background); produces one ``creation_burst``
row per scoped account that has a creation date.

What it measures: for the account's creation day d, the number k of accounts (platform-wide) created that day
against the expected number mu = mean daily creations over the ``background_days`` days either side of d
(excluding d itself, days with no creations counted as zero). ``value = 1 - P(K >= k | Poisson(mu))``: 0.5 or less
for an ordinary day, close to 1 for a day on which far more accounts appeared than usual; 0 when fewer than
``min_accounts_per_day`` accounts were created that day (one or two accounts on a quiet day are not a burst, however
small the background). The evidence also says how
many accounts *of the scope* share the day — a network whose members were made in one sitting shows up there even
when the platform-wide burst is mild.

False-positive risks: real sign-up waves (a news event, a marketing campaign, an app launch in one country) make
organic bursts; workspaces that hold only a takedown archive have no real background (the operation is its own
background, so only bursts *within* the operation stand out); creation dates rounded to the day in some archives
merge unrelated accounts; very old accounts on sparse data get a noisy ``mu`` (floored at ``min_expected_per_day``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from flockwatch.core.stats import poisson_log_sf
from flockwatch.engine import Engine
from flockwatch.signals.base import (
    Scope,
    empty_signals,
    fetch_arrow,
    finish,
    platform_filter,
)

NAME = "creation_burst"


def compute(
    engine: Engine,
    scope: Scope,
    background_days: int = 15,
    min_expected_per_day: float = 0.5,
    min_accounts_per_day: int = 3,
) -> pa.Table:
    plat, params = platform_filter(scope)
    daily = fetch_arrow(
        engine,
        f"""
        WITH d AS (
          SELECT platform, created_at::DATE AS day, count(*) AS n
          FROM accounts WHERE created_at IS NOT NULL {plat} GROUP BY ALL
        ), bounds AS (SELECT platform, min(day) lo, max(day) hi FROM d GROUP BY platform),
        cal AS (
          SELECT b.platform, unnest(generate_series(b.lo, b.hi, INTERVAL 1 DAY))::DATE AS day FROM bounds b
        ), dense AS (
          SELECT c.platform, c.day, coalesce(d.n, 0) AS n FROM cal c LEFT JOIN d USING (platform, day)
        )
        SELECT platform, day, n,
          (sum(n) OVER w - n) / greatest(count(*) OVER w - 1, 1) AS expected
        FROM dense
        WINDOW w AS (PARTITION BY platform ORDER BY day
                     RANGE BETWEEN INTERVAL {int(background_days)} DAYS PRECEDING
                               AND INTERVAL {int(background_days)} DAYS FOLLOWING)
        """,
        params,
    )
    if daily.num_rows == 0:
        return empty_signals()
    n = daily.column("n").to_numpy().astype(np.int64)
    mu = np.maximum(daily.column("expected").to_numpy(zero_copy_only=False).astype(float), min_expected_per_day)
    p = np.exp(poisson_log_sf(n, mu))  # P(K >= n)
    days = daily.append_column("p_value", pa.array(p, pa.float64()))
    with engine.scratch("bursts") as scratch:
        name = scratch.register("days", days)
        out = fetch_arrow(
            engine,
            f"""
            WITH s AS (
              SELECT a.platform, a.account_id, a.created_at::DATE AS day
              FROM accounts a JOIN {scope.accounts_sql} sc USING (platform, account_id)
              WHERE a.created_at IS NOT NULL
            ), per_day AS (SELECT platform, day, count(*) AS scope_n FROM s GROUP BY ALL)
            SELECT s.platform, s.account_id, '{NAME}' AS signal,
              CASE WHEN d.n >= {int(min_accounts_per_day)} THEN 1.0 - d.p_value ELSE 0.0 END AS value,
              json_object('created_on', strftime(s.day, '%Y-%m-%d'), 'accounts_created_that_day', d.n,
                          'expected_per_day', round(d.expected, 3), 'p_value', d.p_value,
                          'scope_accounts_created_that_day', pd.scope_n) AS evidence
            FROM s JOIN {name} d USING (platform, day) JOIN per_day pd USING (platform, day)
            ORDER BY value DESC, account_id
            """,
        )
    return finish(out)
