"""``co_link``: accounts that share the same (normalised) URL within the window.

Consumes ``action_urls`` joined to ``actions`` (reposts excluded: a repost carries the original's links and is
``co_repost``'s evidence); the target is the normalised URL (core.urls).
"""

from flockwatch.core.urls import normalised_url_sql
from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    return f"""
SELECT account_id, target, target AS unit, acted_at_s, action_id FROM (
  SELECT a.account_id, {normalised_url_sql("u.url")} AS target, {epoch_s("a.acted_at")} AS acted_at_s, a.action_id
  FROM action_urls u JOIN actions a ON a.platform = u.platform AND a.action_id = u.action_id
  WHERE a.kind <> 'repost' AND a.acted_at IS NOT NULL AND u.url IS NOT NULL
) WHERE target <> ''"""


DETECTOR = Detector(
    name="co_link",
    description="Shared the same normalised URL within the window.",
    build_sql=_sql,
    default_params={"window_s": 300.0},
)
