"""The registry of detectors: stable names (storage keys) to :class:`~flockwatch.detect.base.Detector`.

Adding a detector is one module plus one line here. ``DEFAULT_DETECTORS`` is what ``flockwatch detect`` runs when
none are named.
"""

from __future__ import annotations

from flockwatch.detect import (
    co_domain,
    co_hashtag,
    co_link,
    co_mention,
    co_near_text,
    co_reply,
    co_repost,
    co_text,
    co_theme,
    fast_repost,
    sync_post,
    theme_profile,
)
from flockwatch.detect.base import Detector
from flockwatch.errors import UnknownNameError

DETECTORS: dict[str, Detector] = {
    m.DETECTOR.name: m.DETECTOR
    for m in (
        co_repost,
        co_text,
        co_near_text,
        co_link,
        co_domain,
        co_hashtag,
        co_reply,
        co_mention,
        fast_repost,
        sync_post,
        co_theme,
        theme_profile,
    )
}

#: Run on request only: ``fast_repost`` pairs the first reposters of every viral post, and accounts that are always
#: first (hyperactive fans, automation) are rank neighbours on every such post, a speed correlation its null model
#: does not capture (measured on a 5M-row Zipf load: 181 organic accounts formed a flagged network at lift 5.0–6.4,
#: while planted pairs' fast_repost edges had lift 5–10 and those accounts carry edges of other detectors). Its signal
#: — instant reposting — is an account property, read by ``flockwatch.signals`` (automation cadence).
#: ``co_theme`` (thematic coordination over six hours) is on request too: ``theme_profile`` covers the same slow,
#: thematic coordination without a window and measured better on the IRA dev data (bench/ira_theme.py).
#: ``theme_profile`` runs by default: on the IRA dev data (265 accounts) it raises the agreement of flagged networks
#: with Linvill & Warren's categories from ARI 0.298 to 0.41, and on the hk2019 preset (hard negatives: fandom, event
#: hashtag, news syndication, sports) it leaves flagged-account precision and recall unchanged (1M actions, seed 1:
#: 1.000 / 0.9936 with and without it; no hard negative flagged) — bench/results/cib_hk2019_1000000_s1_*.json.
OPT_IN_DETECTORS: frozenset[str] = frozenset({"fast_repost", "co_theme"})

DEFAULT_DETECTORS: tuple[str, ...] = tuple(n for n in DETECTORS if n not in OPT_IN_DETECTORS)


def get(name: str) -> Detector:
    try:
        return DETECTORS[name]
    except KeyError:
        raise UnknownNameError("detector", name, list(DETECTORS)) from None
