"""``co_hashtag``: accounts that use the same hashtag, or the same set of hashtags, within the window.

Consumes ``action_hashtags`` joined to ``actions`` (reposts excluded). Two kinds of target: ``h:<tag>`` for each
hashtag, and ``s:<tag1 tag2 ...>`` for the sorted hashtag set of a post that carries at least ``min_set_size``
hashtags — operations push the same *combination* of tags, which is much rarer by chance than any single tag
(the hashtag-sequence signal).
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    # the set key is the sorted list of the post's distinct tags joined by spaces: one grouping with list(DISTINCT)
    # instead of a SELECT DISTINCT over every tag row and then an ordered string_agg (the same keys; at 5M actions
    # 2.7 -> 2.2 CPU-s for this SELECT)
    return f"""
WITH tagged AS (
  SELECT a.account_id, lower(h.hashtag) AS tag, {epoch_s("a.acted_at")} AS acted_at_s, a.action_id
  FROM action_hashtags h JOIN actions a ON a.platform = h.platform AND a.action_id = h.action_id
  WHERE a.kind <> 'repost' AND a.acted_at IS NOT NULL AND h.hashtag IS NOT NULL AND h.hashtag <> ''
)
SELECT account_id, 'h:' || tag AS target, 'h:' || tag AS unit, acted_at_s, action_id FROM tagged
UNION ALL
SELECT account_id, target, target AS unit, acted_at_s, action_id FROM (
  SELECT account_id, 's:' || array_to_string(list_sort(list(DISTINCT tag)), ' ') AS target,
         min(acted_at_s) AS acted_at_s, action_id, count(DISTINCT tag) AS n_tags
  FROM tagged GROUP BY account_id, action_id
) WHERE n_tags >= {int(p["min_set_size"])}"""


DETECTOR = Detector(
    name="co_hashtag",
    description="Used the same hashtag, or the same hashtag combination, within the window.",
    build_sql=_sql,
    default_params={"window_s": 60.0, "min_set_size": 2},
)
