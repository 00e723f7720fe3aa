"""What a tip is about: the members, Pages/Groups and headline facts of a candidate network, operation or case.

Consumes a workspace and a reference (``N0001`` / ``<run>/N0001`` for a network, ``O0001`` for an operation of the
latest — or a named — run, a case snapshot for a case); produces a :class:`TipSubject`, the one input the STIX
exporter needs. A network or operation is a *candidate*: ``candidate`` is true and ``confidence`` is its score read
as confidence (0–100), never proof.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core import runs
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace


@dataclass
class TipSubject:
    kind: str
    """``network``, ``operation`` or ``case``"""
    ref: str
    run_id: str | None
    name: str
    candidate: bool
    confidence: int
    """0–100 (STIX confidence)"""
    members: list[str]
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    signals: dict[str, int] = field(default_factory=dict)
    explanation: str = ""
    network_ids: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _confidence(score: float | None) -> int:
    return max(0, min(100, round(100 * float(score or 0.0))))


def from_network(ws: Workspace, ref: str) -> TipSubject:
    """A candidate network (``N0001`` of the latest run, or ``<run>/N0001``)."""
    # weakly linked members (no own evidence, tied only through ordinary popular content) are not named to peers
    rid, nid, members = runs.network_members(ws.engine, ref, without_weak=True)
    row = ws.engine.sql(
        "SELECT score, flagged, signals, first_at, last_at, explanation FROM networks WHERE run_id = ? AND network_id = ?",
        [rid, nid],
    ).one()
    score, flagged, signals, first_at, last_at, explanation = row or (0.0, False, "{}", None, None, "")
    return TipSubject(
        kind="network",
        ref=f"{rid}/{nid}",
        run_id=rid,
        name=f"Candidate network {nid} (detection run {rid})",
        candidate=True,
        confidence=_confidence(score),
        members=members,
        first_at=first_at,
        last_at=last_at,
        signals={k: int(v) for k, v in json.loads(signals or "{}").items()},
        explanation=explanation or "",
        network_ids=[nid],
        extra={"flagged": bool(flagged), "score": float(score or 0.0)},
    )


def from_operation(ws: Workspace, ref: str) -> TipSubject:
    """A candidate operation (``O0001`` of the latest run, or ``<run>/O0001``)."""
    run_id, _, oid = ref.strip().rpartition("/")
    rid = runs.resolve_run(ws.engine, run_id or None)
    row = ws.engine.sql(
        "SELECT score, signals_json, first_at, last_at, n_networks FROM operations WHERE run_id = ? AND operation_id = ?",
        [rid, oid],
    ).one()
    if row is None:
        raise ValidationError(
            f"candidate operation {oid!r} is not in detection run {rid} (operation ids are renumbered by every run)"
        )
    score, signals_json, first_at, last_at, n_networks = row
    nets = [
        r[0]
        for r in ws.engine.sql(
            "SELECT network_id FROM operation_networks WHERE run_id = ? AND operation_id = ? ORDER BY 1", [rid, oid]
        ).rows()
    ]
    members = [
        r[0]
        for r in ws.engine.sql(
            f"""SELECT DISTINCT m.account_id FROM network_members m JOIN operation_networks o
               ON m.run_id = o.run_id AND m.network_id = o.network_id
               WHERE o.run_id = ? AND o.operation_id = ? AND {runs.not_weak_sql("m")} ORDER BY 1""",
            [rid, oid],
        ).rows()
    ]
    signals: dict[str, int] = {}
    for (sig,) in ws.engine.sql(
        """SELECT n.signals FROM networks n JOIN operation_networks o ON n.run_id = o.run_id AND n.network_id = o.network_id
           WHERE o.run_id = ? AND o.operation_id = ?""",
        [rid, oid],
    ).rows():
        for k, v in json.loads(sig or "{}").items():
            signals[k] = signals.get(k, 0) + int(v)
    return TipSubject(
        kind="operation",
        ref=f"{rid}/{oid}",
        run_id=rid,
        name=f"Candidate operation {oid} (detection run {rid}, {n_networks} network(s))",
        candidate=True,
        confidence=_confidence(score),
        members=members,
        first_at=first_at,
        last_at=last_at,
        signals=signals,
        explanation=f"ties between its networks: {signals_json}",
        network_ids=nets,
        extra={"score": float(score or 0.0)},
    )


def from_case(ws: Workspace, case_id: str) -> TipSubject:
    """A case as it was opened (flockwatch.review.cases): its accounts, Pages, Groups and domains; a case that no
    reviewer has approved is still a candidate, its confidence the mean subject score (50 when none is scored)."""
    from flockwatch.review.cases import get_case

    snap = get_case(ws.ops(), case_id, with_subjects=True)
    subs = [s for s in snap.subjects or [] if s.status != "excluded"]
    scores = [float(s.score) for s in subs if s.score is not None]
    confidence = round(100 * sum(scores) / len(scores)) if scores else 50
    reviewed = snap.status in ("approved", "actioned")
    return TipSubject(
        kind="case",
        ref=snap.case_id,
        run_id=snap.run_id,
        name=f"Case {snap.case_id}: {snap.title}",
        candidate=not reviewed,
        confidence=max(0, min(100, confidence)),
        members=sorted({s.subject_id for s in subs if s.kind == "account"}),
        explanation=f"case status {snap.status}; opened from {snap.source_kind} {snap.source_ref} by {snap.opened_by}",
        extra={
            "assets": sorted(
                (s.platform, s.subject_id, s.kind, s.screen_name) for s in subs if s.kind in ("page", "group")
            ),
            "domains": sorted(s.subject_id for s in subs if s.kind == "domain"),
            "status": snap.status,
        },
    )
