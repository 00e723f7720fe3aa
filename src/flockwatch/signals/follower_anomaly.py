"""Follower anomaly: accounts nobody follows that follow many.

Consumes ``accounts.follower_count`` and ``following_count``; produces ``follower_anomaly`` rows for scoped accounts
with a follower count.

What it measures: ``value = clip(1 - log10(1 + followers) / 2, 0, 1)``, multiplied by 0.5 when the account follows
fewer accounts than follow it (0 followers → 1, 9 → 0.5, 99 or more → 0). Bulk-created amplifiers are followed by
almost nobody; bought "aged" accounts often follow hundreds to look alive. Evidence: both counts and their ratio.

False-positive risks: brand-new genuine users, lurkers and private people have few followers too; counts are a
snapshot at collection time (an archive's counts are those at suspension). Only a network *mostly* made of such
accounts, against the platform's uncoordinated accounts, means something (``networks/assessment.py``).
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish

NAME = "follower_anomaly"


def compute(engine: Engine, scope: Scope) -> pa.Table:
    out = fetch_arrow(
        engine,
        f"""
        SELECT a.platform, a.account_id, '{NAME}' AS signal,
          greatest(0.0, least(1.0, 1.0 - log10(1 + greatest(a.follower_count, 0)) / 2.0))
            * CASE WHEN coalesce(a.following_count, 0) < a.follower_count THEN 0.5 ELSE 1.0 END AS value,
          json_object('follower_count', a.follower_count, 'following_count', a.following_count,
                      'following_per_follower',
                      round(coalesce(a.following_count, 0) / greatest(a.follower_count, 1), 3)) AS evidence
        FROM accounts a JOIN {scope.accounts_sql} s USING (platform, account_id)
        WHERE a.follower_count IS NOT NULL
        ORDER BY value DESC, account_id
        """,
    )
    return finish(out)
