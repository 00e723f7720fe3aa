"""Appeals: an outlet contests a determination with new evidence; a reviewer upholds or rejects it.

Consumes a :class:`Registry`, a determination id and evidence in the fact format (``facts.validate_fact``; an entry
may name ``"supersedes": FACT_ID`` for a fact it contests). Produces rows in ``policy_appeals``; the evidence is
stored at once as facts tied to the appeal but counts as a current fact only after the appeal is upheld.

An upheld appeal never edits the old determination: it adds a new one (``appeal_id`` set, reason
``APPEAL_UPHELD``), either from the engine over the facts including the evidence or, when the reviewer gives an
outcome, as the reviewer's determination. A rejected appeal changes no fact and no determination.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flockwatch.errors import ValidationError
from flockwatch.policy.determinations import (
    Determination,
    _store,
    determination,
    latest,
    record_human_determination,
    today,
)
from flockwatch.policy.facts import parse_date, validate_fact
from flockwatch.policy.registry import Registry
from flockwatch.policy.rules import Decision, Reason, evaluate, get_policy
from flockwatch.store import utc_now
from flockwatch.store.conn import Rec


@dataclass(frozen=True)
class Appeal:
    appeal_id: int
    determination_id: int
    outlet_id: int
    filed_on: str
    filed_by: str
    grounds: str
    evidence_fact_ids: list[int]
    status: str
    reviewer: str | None
    review_note: str | None
    reviewed_at: str | None
    new_determination_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(r: Rec) -> Appeal:
    return Appeal(
        r["appeal_id"],
        r["determination_id"],
        r["outlet_id"],
        r["filed_on"],
        r["filed_by"],
        r["grounds"],
        json.loads(r["evidence_fact_ids_json"]),
        r["status"],
        r["reviewer"],
        r["review_note"],
        r["reviewed_at"],
        r["new_determination_id"],
    )


def appeal(reg: Registry, appeal_id: int) -> Appeal:
    r = reg.conn.execute("SELECT * FROM policy_appeals WHERE appeal_id = ?", (int(appeal_id),)).fetchone()
    if r is None:
        raise ValidationError(f"no appeal with id {appeal_id}")
    return _row(r)


def appeals(reg: Registry, outlet: int | str | None = None, status: str | None = None) -> list[Appeal]:
    sql, args = "SELECT * FROM policy_appeals WHERE 1=1", []
    if outlet is not None:
        sql += " AND outlet_id = ?"
        args.append(reg.outlet(outlet).outlet_id)
    if status:
        sql += " AND status = ?"
        args.append(status)
    return [_row(r) for r in reg.conn.execute(sql + " ORDER BY appeal_id", args)]


def file_appeal(
    reg: Registry,
    determination_id: int,
    grounds: str,
    evidence: list[dict[str, Any]] = (),
    filed_by: str = "outlet",
    filed_on: str | date | None = None,
) -> Appeal:
    """Record an appeal against a determination, with its evidence (validated; all or nothing)."""
    det = determination(reg, determination_id)
    if not grounds or not grounds.strip():
        raise ValidationError("an appeal needs its grounds")
    on = parse_date(filed_on, "filing date") if filed_on is not None else today()
    checked = []
    for i, raw in enumerate(evidence):
        sup = raw.get("supersedes") if isinstance(raw, dict) else None
        fact = validate_fact(
            {k: v for k, v in raw.items() if k != "supersedes"} if isinstance(raw, dict) else raw, f"evidence[{i}]"
        )
        if sup is not None:
            old = reg.fact(int(sup))
            if old.outlet_id != det.outlet_id:
                raise ValidationError(f"evidence[{i}]: fact {sup} is about another outlet")
        checked.append((fact, sup))
    with reg.transaction():
        cur = reg.conn.execute(
            "INSERT INTO policy_appeals (determination_id, outlet_id, filed_on, filed_by, grounds, "
            "evidence_fact_ids_json) VALUES (?, ?, ?, ?, ?, '[]') RETURNING appeal_id",
            (det.determination_id, det.outlet_id, on, filed_by, grounds.strip()),
        )
        appeal_id = int(cur[0][0])
        ids = []
        for fact, sup in checked:
            ids.append(
                reg.add_fact(
                    det.outlet_id, fact, appeal_id=appeal_id, contests_fact_id=int(sup) if sup is not None else None
                )
            )
        reg.conn.execute(
            "UPDATE policy_appeals SET evidence_fact_ids_json = ? WHERE appeal_id = ?", (json.dumps(ids), appeal_id)
        )
    reg._changed()
    return appeal(reg, appeal_id)


def review_appeal(
    reg: Registry,
    appeal_id: int,
    decision: str,
    reviewer: str,
    note: str,
    outcome: str | None = None,
    as_of: str | date | None = None,
) -> tuple[Appeal, Determination | None]:
    """Uphold or reject an appeal; an upheld one yields a new determination (returned)."""
    ap = appeal(reg, appeal_id)
    if ap.status != "filed":
        raise ValidationError(f"appeal {appeal_id} was already {ap.status}")
    if decision not in ("upheld", "rejected"):
        raise ValidationError("decision must be 'upheld' or 'rejected'")
    if not reviewer or not note:
        raise ValidationError("a review needs a reviewer and a note")
    old = determination(reg, ap.determination_id)
    pol = get_policy(old.policy_id)  # an upheld appeal is decided under the policy's current version
    new_det = None
    with reg.transaction():
        reg.conn.execute(
            "UPDATE policy_appeals SET status = ?, reviewer = ?, review_note = ?, reviewed_at = ? WHERE appeal_id = ?",
            (decision, reviewer, note, utc_now(), appeal_id),
        )
        if decision == "upheld":
            # contested facts give way to the evidence that contested them
            reg.conn.execute(
                "UPDATE media_facts AS old SET superseded_by = ev.fact_id FROM media_facts AS ev "
                "WHERE ev.appeal_id = ? AND ev.contests_fact_id = old.fact_id AND old.superseded_by IS NULL",
                (appeal_id,),
            )
            reg._changed()
            on = as_of if as_of is not None else max(today(), pol.effective_from)
            if outcome is not None:
                new_det = record_human_determination(
                    reg,
                    ap.outlet_id,
                    pol,
                    outcome,
                    reviewer=reviewer,
                    note=note,
                    as_of=on,
                    appeal_id=appeal_id,
                    code="APPEAL_UPHELD",
                )
            else:
                o = reg.outlet(ap.outlet_id)
                d = evaluate(pol, o, reg.facts(o))
                reasons = (
                    Reason(
                        "APPEAL_UPHELD", f"appeal {appeal_id} upheld by {reviewer}: {note}", tuple(ap.evidence_fact_ids)
                    ),
                    *d.reasons,
                )
                d = Decision(
                    d.policy_id, d.policy_version, d.outcome, d.effects, reasons, d.facts_used, d.facts_ignored
                )
                new_det = _store(
                    reg,
                    o,
                    pol,
                    d,
                    parse_date(on, "as-of date", allow_future=True),
                    f"reviewer:{reviewer}",
                    latest(reg, o.outlet_id, pol),
                    appeal_id,
                )
            reg.conn.execute(
                "UPDATE policy_appeals SET new_determination_id = ? WHERE appeal_id = ?",
                (new_det.determination_id, appeal_id),
            )
    reg._changed()
    return appeal(reg, appeal_id), new_det
