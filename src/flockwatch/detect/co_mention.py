"""``co_mention``: accounts that mention the same account within the window.

Consumes ``action_mentions`` joined to ``actions``; reposts are excluded because a repost's text mentions the
original author by construction.
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    return f"""
SELECT a.account_id, m.mentioned_account_id AS target, m.mentioned_account_id AS unit,
       {epoch_s("a.acted_at")} AS acted_at_s, a.action_id
FROM action_mentions m JOIN actions a ON a.platform = m.platform AND a.action_id = m.action_id
WHERE a.kind <> 'repost' AND a.acted_at IS NOT NULL AND m.mentioned_account_id IS NOT NULL
  AND m.mentioned_account_id <> a.account_id"""


DETECTOR = Detector(
    name="co_mention",
    description="Mentioned the same account within the window.",
    build_sql=_sql,
    default_params={"window_s": 120.0},
)
