"""Account age at first activity: accounts created just before (or while) they start acting.

Consumes ``accounts.created_at`` and the account's actions; produces ``account_age`` rows for scoped accounts with a
creation date and at least one action.

What it measures: ``age_days`` = days from the account's creation to its first action in the workspace;
``value = clip(1 - age_days / young_days, 0, 1)`` (an account acting on the day it was made scores 1, one acting
``young_days`` or more after creation 0). The evidence also says whether the account was created inside the
platform's observed activity window (after the first action in the workspace), the "share of members created inside
the activity window" measure of the 2019 case, where Twitter suspended ~200,000 amplifiers "before they were
substantially active".

False-positive risks: every platform has new users (sign-up waves around news events, a new fandom, a sports
season), so a young account means nothing alone; what counts is a network *mostly* made of them, against the share
of young accounts among the platform's uncoordinated accounts (see ``networks/assessment.py``). Archives that hold
only recent activity of old accounts make everyone look old, never young.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish, platform_filter

NAME = "account_age"


def compute(engine: Engine, scope: Scope, young_days: float = 365.0) -> pa.Table:
    plat, params = platform_filter(scope, "WHERE")
    out = fetch_arrow(
        engine,
        f"""
        WITH first_seen AS (
          SELECT platform, account_id, min(acted_at) AS first_at FROM {scope.actions_sql} GROUP BY ALL
        ), window_start AS (SELECT platform, min(acted_at) AS lo FROM actions {plat} GROUP BY ALL),
        aged AS (
          SELECT a.platform, a.account_id, a.created_at, f.first_at, w.lo,
            greatest(0.0, (epoch(f.first_at) - epoch(a.created_at)) / 86400.0) AS age_days
          FROM accounts a JOIN {scope.accounts_sql} s USING (platform, account_id)
          JOIN first_seen f USING (platform, account_id) JOIN window_start w USING (platform)
          WHERE a.created_at IS NOT NULL
        )
        SELECT platform, account_id, '{NAME}' AS signal,
          greatest(0.0, least(1.0, 1.0 - age_days / {float(young_days)})) AS value,
          json_object('created_at', strftime(created_at, '%Y-%m-%dT%H:%M:%S'),
                      'first_action_at', strftime(first_at, '%Y-%m-%dT%H:%M:%S'),
                      'age_days_at_first_action', round(age_days, 2),
                      'created_inside_activity_window', created_at >= lo) AS evidence
        FROM aged ORDER BY value DESC, account_id
        """,
        params,
    )
    return finish(out)
