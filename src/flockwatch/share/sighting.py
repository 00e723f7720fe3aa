"""Telling the peer what its tip found: STIX ``sighting``s of its indicators, and the record of an import.

Consumes the peer's bundle and a :class:`~flockwatch.share.intake.TipResult`; produces a bundle of ``sighting``
objects (one per peer indicator that matched at least one local subject at ``min_confidence`` or above), each
``sighting_of_ref`` the peer's indicator, ``where_sighted_refs`` our identity, ``count`` the number of local
subjects. The sighted indicators travel back unchanged (their ids, markings and creator), so every reference
resolves, and each sighting carries the strictest marking of what it sighted — a sighting of an AMBER indicator is
AMBER. Sending one is the analyst's decision: it tells the peer that some of what it named exists here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from flockwatch.share.intake import TipResult
from flockwatch.share.stix_export import _id
from flockwatch.share.tlp import Level, level_of, marking_for

_BANDS = {"low": 0, "medium": 1, "high": 2}


def build_sightings(
    bundle: dict[str, Any], result: TipResult, sender: str, min_confidence: str = "medium"
) -> dict[str, Any]:
    """The sighting bundle (a dict) for ``result``; empty of sightings when nothing reached ``min_confidence``."""
    import stix2

    objects: dict[str, dict[str, Any]] = {
        str(o.get("id")): o for o in bundle.get("objects") or [] if isinstance(o, dict)
    }
    definitions = {k: v for k, v in objects.items() if v.get("type") == "marking-definition"}
    floor = _BANDS[min_confidence]
    subjects_by_indicator: dict[str, set[str]] = {}
    for m in result.matches:
        if _BANDS[m.confidence] < floor:
            continue
        for ev in m.evidence:
            if objects.get(ev.indicator_id, {}).get("type") == "indicator":
                subjects_by_indicator.setdefault(ev.indicator_id, set()).add(f"{m.subject_kind}:{m.subject_id}")
    now = dt.datetime.now(dt.UTC)
    me = stix2.v21.Identity(
        id=_id("identity", "sender", sender), name=sender, identity_class="organization", created=now, modified=now
    )
    out: list[Any] = [json.loads(me.serialize())]
    used_marks: set[str] = set()
    for ind_id, subjects in sorted(subjects_by_indicator.items()):
        ind = objects[ind_id]
        level = level_of(ind.get("object_marking_refs") or [], definitions) or Level.AMBER
        mark = marking_for(level) if level is not Level.UNKNOWN else None
        marks = [mark.id] if mark is not None else list(ind.get("object_marking_refs") or [])
        used_marks.update(marks)
        s = stix2.v21.Sighting(
            id=_id("sighting", sender, ind_id),
            sighting_of_ref=ind_id,
            where_sighted_refs=[me.id],
            count=len(subjects),
            created_by_ref=me.id,
            object_marking_refs=marks,
            description=f"{len(subjects)} local subject(s) matched this indicator at {min_confidence} confidence or "
            "above; a lead under review, not a finding.",
            created=now,
            modified=now,
            allow_custom=True,
        )
        out.append(json.loads(s.serialize()))
        out.append(ind)
        creator = ind.get("created_by_ref")
        if creator in objects:
            out.append(objects[creator])
        used_marks.update(ind.get("object_marking_refs") or [])
    for mid in sorted(used_marks):
        if mid in definitions:
            out.append(definitions[mid])
        else:
            for lv in (Level.CLEAR, Level.GREEN, Level.AMBER, Level.RED):
                if marking_for(lv).id == mid:
                    out.append(json.loads(marking_for(lv).serialize()))
    unique = list({str(o.get("id")): o for o in out}.values())
    return {"type": "bundle", "id": _id("bundle", sender, "sightings", now.isoformat()), "objects": unique}


def write_tip_record(runs_dir: Path | None, tip_id: str, record: dict[str, Any]) -> Path | None:
    """Keep what an import found (indicators with their markings, matches with evidence) under the workspace."""
    if runs_dir is None:
        return None
    p = runs_dir / "tips" / f"{tip_id}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return p
