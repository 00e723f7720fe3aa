"""Legal hold on a case: its frozen evidence is kept whatever retention or a deletion request would remove.

Consumes an operational :class:`~flockwatch.store.Store` and an authenticated
:class:`~flockwatch.review.actor.Actor`; produces the hold columns of ``ops_cases`` and audit entries (same
transaction). Public API (names are stable; flockwatch.privacy calls the readers):

    place_hold(store, case_id, actor, reason) -> None      reviewer or admin; RefusedError ALREADY_HELD when held
    release_hold(store, case_id, actor, reason) -> None    reviewer or admin; RefusedError NOT_HELD when not held
    held_case_ids(conn) -> list[str]                        cases under hold now
    held_accounts(conn) -> dict[str, list[str]]             account id → held cases naming it

What a hold covers: every subject row of the case with its evidence as frozen at open, and (for retention and
deletion requests in the warehouse) the accounts the case names — as subjects, or as the admins recorded in the
evidence of its Page and Group subjects. A hold is placed and released by a reviewer (a hold stops routine deletion,
so an analyst alone cannot place or lift it); both are guarded UPDATEs, so two reviewers racing get one change.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, and_, select, update

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import audit
from flockwatch.review.actor import Actor
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_case_subjects, ops_cases
from flockwatch.store.users import has_role


def _check(actor: Actor, reason: str, what: str) -> None:
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"{what} a legal hold needs a reviewer; {actor.name} is an {actor.user.role}"
        )
    if not reason or not reason.strip():
        raise ValidationError(f"{what} a legal hold needs its reason (--reason TEXT)")


def _exists(conn: Connection, case_id: str) -> Any:
    row = conn.execute(select(ops_cases).where(ops_cases.c.case_id == case_id)).first()
    if row is None:
        raise ValidationError(f"no case {case_id!r}; see `flockwatch case list`")
    return row


def place_hold(store: Store, case_id: str, actor: Actor, reason: str) -> None:
    """Put the case under legal hold (audited ``case.hold``)."""
    _check(actor, reason, "placing")
    now = utc_now()
    c = ops_cases.c
    with store.begin() as conn:
        _exists(conn, case_id)
        n = conn.execute(
            update(ops_cases)
            .where(and_(c.case_id == case_id, c.legal_hold == 0))
            .values(legal_hold=1, legal_hold_by=actor.name, legal_hold_at=now, legal_hold_reason=reason)
        ).rowcount
        if not n:
            raise RefusedError("ALREADY_HELD", f"case {case_id} is already under legal hold")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="case.hold",
            object_ref=f"case:{case_id}",
            reason=reason,
            before={"legal_hold": False},
            after={"legal_hold": True},
        )


def release_hold(store: Store, case_id: str, actor: Actor, reason: str) -> None:
    """Lift the case's legal hold (audited ``case.release_hold``, naming who placed it)."""
    _check(actor, reason, "releasing")
    c = ops_cases.c
    with store.begin() as conn:
        row = _exists(conn, case_id)
        n = conn.execute(
            update(ops_cases)
            .where(and_(c.case_id == case_id, c.legal_hold == 1))
            .values(legal_hold=0, legal_hold_by=None, legal_hold_at=None, legal_hold_reason=None)
        ).rowcount
        if not n:
            raise RefusedError("NOT_HELD", f"case {case_id} is not under legal hold")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="case.release_hold",
            object_ref=f"case:{case_id}",
            reason=reason,
            before={"legal_hold": True, "by": row.legal_hold_by, "at": row.legal_hold_at},
            after={"legal_hold": False},
        )


def held_case_ids(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(select(ops_cases.c.case_id).where(ops_cases.c.legal_hold == 1))]


def held_accounts(conn: Connection) -> dict[str, list[str]]:
    """Account ids a hold covers (subjects of held cases, and admins of their Page/Group subjects) → those cases."""
    s = ops_case_subjects.c
    out: dict[str, list[str]] = {}
    rows = conn.execute(
        select(s.case_id, s.kind, s.subject_id, s.evidence_json)
        .join(ops_cases, ops_cases.c.case_id == s.case_id)
        .where(ops_cases.c.legal_hold == 1)
    )
    for case_id, kind, subject_id, evidence_json in rows:
        ids = [subject_id] if kind == "account" else _admin_ids(evidence_json)
        for aid in ids:
            cases = out.setdefault(str(aid), [])
            if case_id not in cases:
                cases.append(case_id)
    return out


def _admin_ids(evidence_json: str) -> list[str]:
    try:
        ev = json.loads(evidence_json or "{}")
    except ValueError:
        return []
    admins = ev.get("admins") if isinstance(ev, dict) else None
    return [str(a["account_id"]) for a in admins or [] if isinstance(a, dict) and a.get("account_id")]
