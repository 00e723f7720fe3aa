"""Parity mode ``cnt``: coordination-network-toolkit 1.5.2's co-retweet network, reproduced exactly.

Consumes the workspace's reposts (``actions`` of kind ``repost`` with a ``target_action_id``); produces the table
coordination-network-toolkit (Graham et al., QUT Digital Media Research Centre) computes in
``compute_co_retweet_parallel``::

    select e_1.user_id as user_1, e_2.user_id as user_2, count(distinct e_1.message_id) as weight
    from edge e_1 join edge e_2
      on e_1.repost_id = e_2.repost_id
     and e_2.timestamp between e_1.timestamp - window and e_1.timestamp + window
    group by e_1.user_id, e_2.user_id
    having weight >= min_edge_weight

Its semantics, kept on purpose so that users can check flockwatch against the tool they know: the network is
*directed* (``weight(a, b)`` counts ``a``'s reposts that ``b`` matched, which can differ from ``weight(b, a)``), it
contains self-loops (every repost matches itself; the toolkit's exports drop them with ``loops=False``), the window is
inclusive on both sides, and the weight is a raw count with no calibration. The join is the kernel's bucketed
equi-join (right rows emitted for buckets ``b-1, b, b+1`` since the relation is symmetric) with no hot-cell rule, so
it is exact — and as quadratic on viral posts as the original.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.detect.base import epoch_s
from flockwatch.engine import Engine
from flockwatch.errors import ValidationError


def cnt_co_retweet(engine: Engine, window_s: float = 60.0, min_edge_weight: int = 1) -> pa.Table:
    """Return ``(user_1, user_2, weight)`` exactly as coordination-network-toolkit's ``co_retweet_network``."""
    if window_s < 0:
        raise ValidationError("window_s must be >= 0")
    w = float(window_s)
    # a zero window still needs a bucket width; any positive width is exact because of the final filter
    width = w if w > 0 else 1.0
    return engine.sql(f"""
WITH e AS (
  SELECT account_id AS u, action_id AS m, target_action_id AS rp, {epoch_s()} AS t,
         CAST(floor(({epoch_s()}) / {width}) AS BIGINT) AS b
  FROM actions WHERE kind = 'repost' AND target_action_id IS NOT NULL AND target_action_id <> ''
    AND acted_at IS NOT NULL
), r AS (
  SELECT u, m, rp, t, b - 1 AS jb FROM e UNION ALL SELECT u, m, rp, t, b AS jb FROM e
  UNION ALL SELECT u, m, rp, t, b + 1 AS jb FROM e
)
SELECT e.u AS user_1, r.u AS user_2, count(DISTINCT e.m) AS weight
FROM e JOIN r ON e.rp = r.rp AND e.b = r.jb
WHERE r.t >= e.t - {w} AND r.t <= e.t + {w}
GROUP BY e.u, r.u
HAVING count(DISTINCT e.m) >= {int(min_edge_weight)}
ORDER BY user_1, user_2""").arrow()
