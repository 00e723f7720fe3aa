"""``co_theme``: accounts that push the same theme — hashtag, linked domain or amplified account — over hours.

Consumes ``action_hashtags``, ``action_urls`` and ``actions`` (reposts' ``target_account_id``); the target is a
theme token: ``h:<tag>`` for a hashtag of an original post, ``d:<domain>`` for a linked web domain (shorteners left
out, as in ``co_domain``), ``rt:<account>`` for the account whose post was reposted. The window is long (six hours
by default): the topical teams of the Internet Research Agency (Linvill & Warren's LeftTroll, RightTroll, ...)
worked the same hashtags, outlets and amplified accounts through a shift, not in the same minute, and same-minute
detectors leave 45-85% of them in no network.

Why this is calibrated and sparse: it is the account x theme bipartite projection (Pacheco et al. 2021 build
account x hashtag / URL / retweet-source profiles) run through the shared kernel, so two accounts are linked only
when they co-use themes in the same window *more often than their activity and the themes' popularity predict*
(the kernel's null model, Benjamini-Hochberg over all pairs) — a hugely popular hashtag is a weak link, a niche one
a strong one. Hot (theme, window) cells use the kernel's rank-neighbour join, so a hashtag used by 10,000 accounts
in an afternoon costs O(n) pairs, never n^2: the detector never enumerates all pairs.

False-positive risks: genuine communities share themes for hours (a fandom, an event hashtag, sports fans); the
inauthenticity assessment (``networks/assessment.py``) is what separates them from operations.
"""

from flockwatch.core.urls import domain_or_host_sql
from flockwatch.detect.base import Detector, epoch_s
from flockwatch.detect.co_domain import SHORTENER_DOMAINS


def theme_tokens_sql(reposted_hashtags: bool = False, mentions: bool = False) -> str:
    """The theme tokens of every action as :data:`~flockwatch.detect.base.DETECTOR_COLUMNS` rows (``unit`` = token).

    ``reposted_hashtags``: also count the hashtags inside reposted posts (``h:`` of what an account amplifies).
    ``mentions``: also ``m:<account>`` for every account an action mentions (whom it addresses or cites — in
    archives that do not record a retweet's source, such as the IRA tweets, "via @outlet" is where the amplified
    account shows). ``co_theme`` leaves both out — same-window co-reposts and co-mentions are ``co_repost``'s and
    ``co_mention``'s evidence — while an account's theme profile (``theme_profile``) is everything it pushes,
    written or amplified.
    """
    shorteners = ", ".join("'" + d + "'" for d in SHORTENER_DOMAINS)
    hashtag_kinds = "a.kind IS NOT NULL" if reposted_hashtags else "a.kind <> 'repost'"
    mention_rows = (
        f"""
  UNION ALL
  SELECT a.account_id, 'm:' || lower(m.mentioned_account_id) AS target, {epoch_s("a.acted_at")} AS acted_at_s,
         a.action_id
  FROM action_mentions m JOIN actions a ON a.platform = m.platform AND a.action_id = m.action_id
  WHERE a.acted_at IS NOT NULL AND m.mentioned_account_id IS NOT NULL AND m.mentioned_account_id <> ''
    AND lower(m.mentioned_account_id) <> lower(a.account_id)"""
        if mentions
        else ""
    )
    return f"""
SELECT account_id, target, target AS unit, acted_at_s, action_id FROM (
  SELECT a.account_id, 'h:' || lower(h.hashtag) AS target, {epoch_s("a.acted_at")} AS acted_at_s, a.action_id
  FROM action_hashtags h JOIN actions a ON a.platform = h.platform AND a.action_id = h.action_id
  WHERE {hashtag_kinds} AND a.acted_at IS NOT NULL AND h.hashtag IS NOT NULL AND h.hashtag <> ''
  UNION ALL
  SELECT account_id, 'd:' || dom AS target, acted_at_s, action_id FROM (
    SELECT a.account_id, {domain_or_host_sql("u.domain", "u.url")} AS dom, {epoch_s("a.acted_at")} AS acted_at_s,
           a.action_id
    FROM action_urls u JOIN actions a ON a.platform = u.platform AND a.action_id = u.action_id
    WHERE a.kind <> 'repost' AND a.acted_at IS NOT NULL
  ) WHERE dom IS NOT NULL AND dom <> '' AND dom NOT IN ({shorteners})
  UNION ALL
  SELECT account_id, 'rt:' || target_account_id AS target, {epoch_s()} AS acted_at_s, action_id
  FROM actions
  WHERE kind = 'repost' AND target_account_id IS NOT NULL AND acted_at IS NOT NULL
    AND target_account_id <> account_id{mention_rows}
)"""


def _sql(p):
    return theme_tokens_sql()


DETECTOR = Detector(
    name="co_theme",
    description="Pushed the same hashtag, linked domain or amplified account within hours.",
    build_sql=_sql,
    default_params={"window_s": 21600.0},
)
