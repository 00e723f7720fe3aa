"""``co_reply``: accounts that reply to the same post within the window.

Consumes ``actions`` of kind ``reply`` with a ``target_action_id``; the target is the replied-to post (the
"reply-guy" swarm on a journalist's post).
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    return f"""
SELECT account_id, target_action_id AS target, target_action_id AS unit, {epoch_s()} AS acted_at_s, action_id
FROM actions
WHERE kind = 'reply' AND target_action_id IS NOT NULL AND acted_at IS NOT NULL"""


DETECTOR = Detector(
    name="co_reply",
    description="Replied to the same post within the window.",
    build_sql=_sql,
    default_params={"window_s": 300.0},
)
