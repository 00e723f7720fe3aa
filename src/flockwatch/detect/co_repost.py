"""``co_repost``: accounts that repost the same post within the window.

Consumes ``actions`` rows of kind ``repost``; the target is the reposted action id. The classic co-retweet signal
(Keller et al. 2020; coordination-network-toolkit's ``co_retweet``; CooRTweet), here calibrated by the kernel so
that co-reposts of viral posts carry little weight.
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    return f"""
SELECT account_id, target_action_id AS target, target_action_id AS unit, {epoch_s()} AS acted_at_s, action_id
FROM actions
WHERE kind = 'repost' AND target_action_id IS NOT NULL AND acted_at IS NOT NULL"""


DETECTOR = Detector(
    name="co_repost",
    description="Reposted the same post within the window.",
    build_sql=_sql,
    default_params={"window_s": 60.0},
)
