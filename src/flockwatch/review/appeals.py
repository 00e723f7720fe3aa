"""Appeals of enforcement actions: an appeal reopens a subject; a reviewer upholds the action or reverses it.

Consumes the operational store and an authenticated :class:`~flockwatch.review.actor.Actor`; produces per-subject
status changes (``executed`` → ``appealed`` → ``upheld`` | ``reversed``), the case's status, and audit entries.
(Appeals of a state-media *determination* live in :mod:`flockwatch.policy.appeals`; these are appeals of an action
on an account, Page, Group or domain.)

Public API (names are stable; disclosure reads "executed and not appealed" from the subject statuses):

    file_appeal(store, case_id, subject_id, actor, grounds) -> None       by whoever records the appeal
    decide_appeal(store, case_id, subject_id, actor, decision, note)      decision: upheld | reversed

A reversal is recorded as executed at once (the subject's status becomes ``reversed`` and the audit entry carries the
before/after); the decision needs a reviewer who took no part in the original action (neither its proposer nor its
approver): the two-person rule again, so that no one reviews their own decision.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select, update

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import audit
from flockwatch.review.actor import Actor
from flockwatch.review.cases import set_case_status
from flockwatch.review.decisions import decide_once
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_actions, ops_case_subjects, ops_cases
from flockwatch.store.users import has_role

DECISIONS = ("upheld", "reversed")


def _subject(conn, case_id: str, subject_id: str):
    row = conn.execute(
        select(ops_case_subjects).where(
            ops_case_subjects.c.case_id == case_id, ops_case_subjects.c.subject_id == subject_id
        )
    ).first()
    if row is None:
        raise ValidationError(f"{subject_id} is not a subject of case {case_id}")
    return row


def _where(case_id: str, subject_id: str, status: str):
    s = ops_case_subjects.c
    return and_(s.case_id == case_id, s.subject_id == subject_id, s.status == status)


def file_appeal(store: Store, case_id: str, subject_id: str, actor: Actor, grounds: str) -> None:
    """Record an appeal against the action executed on a subject (the subject becomes ``appealed``)."""
    if not grounds or not grounds.strip():
        raise ValidationError("an appeal needs its grounds")
    with store.begin() as conn:
        sub = _subject(conn, case_id, subject_id)
        if sub.status != "executed":
            raise ValidationError(f"{subject_id} is {sub.status}; only an executed action can be appealed")
        # Two appeals filed at once both read "executed"; the guarded UPDATE lets exactly one through, so the
        # subject is appealed (and audited) once.
        decide_once(
            conn,
            update(ops_case_subjects)
            .where(_where(case_id, subject_id, "executed"))
            .values(status="appealed", updated_at=utc_now()),
            f"the action on {subject_id}",
        )
        set_case_status(conn, case_id, "appealed")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="appeal.file",
            object_ref=f"case:{case_id}",
            reason=grounds.strip(),
            evidence=[{"subject_id": subject_id, "action_id": sub.action_id}],
            before={"status": "executed"},
            after={"status": "appealed"},
        )


def decide_appeal(store: Store, case_id: str, subject_id: str, actor: Actor, decision: str, note: str) -> str:
    """Uphold or reverse the action on an appealed subject; returns the subject's new status."""
    if decision not in DECISIONS:
        raise ValidationError(f"decision {decision!r} is not one of {list(DECISIONS)}")
    if not note or not note.strip():
        raise ValidationError("an appeal decision needs a note")
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"deciding an appeal needs a reviewer; {actor.name} is an {actor.user.role}"
        )
    with store.begin() as conn:
        sub = _subject(conn, case_id, subject_id)
        if sub.status != "appealed":
            raise ValidationError(f"{subject_id} is {sub.status}; there is no open appeal to decide")
        act = conn.execute(select(ops_actions).where(ops_actions.c.action_id == sub.action_id)).first()
        if act is not None and actor.name in (act.proposed_by, act.approved_by):
            raise RefusedError(
                "SELF_REVIEW", f"{actor.name} took part in action {act.action_id}; another reviewer decides its appeal"
            )
        decide_once(
            conn,
            update(ops_case_subjects)
            .where(_where(case_id, subject_id, "appealed"))
            .values(status=decision, updated_at=utc_now()),
            f"the appeal of {subject_id}",
        )
        open_appeals = conn.execute(
            select(func.count()).where(ops_case_subjects.c.case_id == case_id, ops_case_subjects.c.status == "appealed")
        ).scalar_one()
        if not open_appeals:
            kind = act.kind if act is not None else None
            status = conn.execute(select(ops_cases.c.status).where(ops_cases.c.case_id == case_id)).scalar_one()
            if status == "appealed":
                set_case_status(conn, case_id, "dismissed" if kind == "dismiss" else "actioned")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action=f"appeal.{'uphold' if decision == 'upheld' else 'reverse'}",
            object_ref=f"case:{case_id}",
            reason=note.strip(),
            evidence=[{"subject_id": subject_id, "action_id": sub.action_id}],
            before={"status": "appealed"},
            after={"status": decision},
        )
    return decision
