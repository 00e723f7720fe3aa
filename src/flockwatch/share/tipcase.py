"""A peer's tip becomes a case: the matched accounts, Pages and Groups, each with its per-match evidence.

Consumes a :class:`~flockwatch.share.intake.TipResult` and the workspace's operational store; produces a case
(flockwatch.review.cases, audited there) whose subjects carry, as evidence at open, the lead's score, confidence
band, the peer, the peer's trust, the strictest TLP marking of what matched and every match (indicator, kind,
source object, marking). Leads below ``min_confidence`` stay in the import record only. Opening a case proposes
nothing: a reviewer decides what, if anything, happens.
"""

from __future__ import annotations

from flockwatch.review.cases import Subject, open_case
from flockwatch.share.intake import TipResult
from flockwatch.workspace import Workspace

_BANDS = {"low": 0, "medium": 1, "high": 2}


def open_tip_case(
    ws: Workspace, result: TipResult, tip_ref: str, by: str, os_user: str | None = None, min_confidence: str = "low"
) -> str | None:
    """Open the case for ``result``; None when no lead reaches ``min_confidence``."""
    floor = _BANDS[min_confidence]
    subs = [
        Subject(
            kind=m.subject_kind,
            subject_id=m.subject_id,
            platform=m.platform,
            screen_name=m.screen_name,
            score=round(m.score, 4),
            evidence={
                "source": "tip",
                "tip": tip_ref,
                "peer": result.peer,
                "trust": result.trust,
                "confidence": m.confidence,
                "tlp": m.tlp,
                "matches": [e.to_dict() for e in m.evidence],
            },
        )
        for m in result.matches
        if _BANDS[m.confidence] >= floor
    ]
    if not subs:
        return None
    return open_case(
        ws.ops(),
        by=by,
        os_user=os_user,
        engine=ws.engine,
        tip=tip_ref,
        subjects=subs,
        title=f"Tip {tip_ref} from {result.peer} ({result.tlp})",
        reason=f"a peer's tip (trust {result.trust}); leads to review, no action proposed",
    )
