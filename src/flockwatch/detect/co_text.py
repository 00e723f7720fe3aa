"""``co_text``: accounts that publish identical text (after normalisation) within the window.

Consumes ``actions`` of kind post, reply or quote with text — and reposts whose original is unknown (archives such
as the IRA tweets keep a retweet's ``RT @user: ...`` text but not the retweeted id; the text then identifies the
original). The target is the normalised text (core.text) of at least ``min_text_chars`` characters, so that
"thanks!" or an empty reply is never a shared target.
"""

from flockwatch.core.text import normalised_text_sql
from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    # the regular expressions of the normalisation run once per distinct raw text, not once per action: posts and
    # reposts repeat their text (templates, "RT @user: ..."), and a join back on the raw text costs less. MATERIALIZED
    # keeps DuckDB from inlining the normalisation into every use of ``nt`` (the length filter, target and unit each
    # evaluated it again: three times the regex work; Spark drops the hint, engine.dialect)
    norm = normalised_text_sql("text")
    return f"""
WITH src AS (
  SELECT account_id, text, {epoch_s()} AS acted_at_s, action_id
  FROM actions
  WHERE (kind IN ('post', 'reply', 'quote') OR (kind = 'repost' AND target_action_id IS NULL))
    AND text IS NOT NULL AND acted_at IS NOT NULL
), normed AS MATERIALIZED (
  SELECT text, {norm} AS nt FROM (SELECT DISTINCT text FROM src)
), norm AS (
  SELECT text, nt FROM normed WHERE length(nt) >= {int(p["min_text_chars"])}
)
SELECT src.account_id, norm.nt AS target, norm.nt AS unit, src.acted_at_s, src.action_id
FROM src JOIN norm ON src.text = norm.text"""


DETECTOR = Detector(
    name="co_text",
    description="Published the same normalised text within the window.",
    build_sql=_sql,
    default_params={"window_s": 300.0, "min_text_chars": 20},
)
