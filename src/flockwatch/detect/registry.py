"""The registry of detectors: stable names (storage keys) to :class:`~flockwatch.detect.base.Detector`.

Adding a detector is one module plus one line here. ``DEFAULT_DETECTORS`` is what ``flockwatch detect`` runs when
none are named.
"""

from __future__ import annotations

from flockwatch.detect import (
    co_domain, co_hashtag, co_link, co_mention, co_near_text, co_reply, co_repost, co_text, fast_repost, sync_post,
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
    )
}

DEFAULT_DETECTORS: tuple[str, ...] = tuple(DETECTORS)


def get(name: str) -> Detector:
    try:
        return DETECTORS[name]
    except KeyError:
        raise UnknownNameError("detector", name, list(DETECTORS)) from None
