"""``fast_repost``: accounts that repost the same post within ``max_delay_s`` of its publication.

Consumes ``actions``: a repost joined to its original (which must be in the data, same platform). Only reposts at
most ``max_delay_s`` seconds after the original count; the target is the original. Reposting within seconds,
together with other accounts doing the same, is the signature of automation and of amplification rings
(Weber & Neumann 2021, "fast retweet"); the kernel then asks whether two accounts do it *together* more than chance.

Not in the default set (registry.OPT_IN_DETECTORS): on viral posts the kernel pairs rank neighbours, and accounts
that are always among the first reposters meet each other on every viral post more often than the null expects.
Run it by name where the data has few viral cascades, or to list instant reposters for review.
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    return f"""
SELECT r.account_id, r.target_action_id AS target, r.target_action_id AS unit,
       {epoch_s("r.acted_at")} AS acted_at_s, r.action_id
FROM actions r JOIN actions o ON o.platform = r.platform AND o.action_id = r.target_action_id
WHERE r.kind = 'repost' AND r.acted_at IS NOT NULL AND o.acted_at IS NOT NULL
  AND epoch_us(r.acted_at) - epoch_us(o.acted_at) BETWEEN 0 AND {float(p["max_delay_s"])} * 1e6"""


DETECTOR = Detector(
    name="fast_repost",
    description="Reposted the same post within seconds of its publication.",
    build_sql=_sql,
    default_params={"window_s": 60.0, "max_delay_s": 30.0},
)
