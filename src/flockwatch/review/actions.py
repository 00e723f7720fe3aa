"""Actions on a case's subjects and the two-person rule: propose, exclude, approve, execute.

Consumes an operational :class:`~flockwatch.store.Store` and an authenticated :class:`~flockwatch.review.actor.Actor`;
produces rows of ``ops_actions``, per-subject statuses in ``ops_case_subjects`` and audit entries (same transaction).

Public API (names are stable):

    propose(store, case_id, actor, kind, reason, until=None) -> int      kind: suspend|lock|label|refuse-ads|dismiss
    exclude(store, case_id, actor, subject_ids, reason) -> int           a reviewer drops subjects before approval
    approve(store, case_id, actor, rules=ReviewRules()) -> int           RefusedError with a reason code, or the id
    execute(store, action_id, batch_rows=10_000) -> dict                 idempotent; resumes an interrupted run

The two-person rule holds at three levels: ``approve`` refuses the proposer (SELF_APPROVAL); the database refuses any
row whose ``approved_by`` equals ``proposed_by`` (a CHECK constraint, whatever the code does); and approval is one
guarded UPDATE (``WHERE status = 'proposed'``), so of two approvals racing, exactly one changes the row and the other
is refused (ALREADY_DECIDED). A partial unique index allows one proposed action per case at a time.

Roles: permanent suspensions, and any action on more than ``ReviewRules.reviewer_over_n`` subjects, need a reviewer
(or admin) to approve (ROLE_REQUIRED); smaller labels, locks and ad refusals can be approved by any second user.

Bulk actions (over ``ReviewRules.sample_over_n`` subjects) need a labelled sign-off sample whose exact upper bound on
the false-positive rate is within ``ReviewRules.fp_limit`` (SAMPLE_REQUIRED / SAMPLE_BOUND; see sampling.py).

Execution records the decision subject by subject in batches, each its own transaction: a process killed half-way
leaves every subject either ``approved`` or ``executed`` (never half-recorded) and the action ``executing``;
running ``execute`` again (or ``flockwatch jobs run``) finishes it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import audit
from flockwatch.review.actor import Actor
from flockwatch.review.cases import set_case_status
from flockwatch.review.decisions import decide_once
from flockwatch.review.sampling import check_sample
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_actions, ops_case_subjects, ops_cases
from flockwatch.store.users import has_role

ACTION_KINDS = ("suspend", "lock", "label", "refuse-ads", "dismiss")


@dataclass(frozen=True)
class ReviewRules:
    """Policy knobs of the review (per team; the CLI reads them from FLOCKWATCH_REVIEWER_OVER_N)."""

    #: an action on more subjects than this needs a reviewer's approval, whatever its kind
    reviewer_over_n: int = 100
    #: an action on more subjects than this needs a labelled sign-off sample (flockwatch.review.sampling)
    sample_over_n: int = 1000
    #: the highest acceptable upper bound on the false-positive rate of a sampled action
    fp_limit: float = 0.05
    #: confidence of that (one-sided, exact Clopper–Pearson) upper bound
    confidence: float = 0.95

    @classmethod
    def from_env(cls) -> ReviewRules:
        """The team's rules: ``FLOCKWATCH_REVIEWER_OVER_N``, ``FLOCKWATCH_SAMPLE_OVER_N``, ``FLOCKWATCH_FP_LIMIT``
        (unset: the defaults). The CLI and the console read them here, so both enforce the same rules."""
        d = cls()
        return cls(
            reviewer_over_n=int(_env_number("FLOCKWATCH_REVIEWER_OVER_N", d.reviewer_over_n, True)),
            sample_over_n=int(_env_number("FLOCKWATCH_SAMPLE_OVER_N", d.sample_over_n, True)),
            fp_limit=_env_number("FLOCKWATCH_FP_LIMIT", d.fp_limit, False),
        )


def _env_number(name: str, default: float, whole: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise ValidationError(f"{name}={raw!r} is not a {'whole ' if whole else ''}number") from None
    if value < 0:
        raise ValidationError(f"{name}={raw!r} must not be negative")
    return value


def _case(conn: Connection, case_id: str, lock: bool = False) -> Any:
    q = select(ops_cases).where(ops_cases.c.case_id == case_id)
    if lock:
        # PostgreSQL: changes to one case queue behind each other (READ COMMITTED would let a second proposer read
        # the case as open and then find its subjects taken); SQLite's BEGIN IMMEDIATE serialises writers already
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise ValidationError(f"no case {case_id!r}; see `flockwatch case list`")
    return row


def _parse_until(until: str | None, kind: str) -> str | None:
    if kind != "lock":
        if until is not None:
            raise ValidationError(f"--until applies to a temporary lock, not to {kind}")
        return None
    if not until:
        raise ValidationError("a temporary lock needs its end: --until YYYY-MM-DD[THH:MM] (UTC)")
    try:
        dt = datetime.fromisoformat(until)
    except ValueError:
        raise ValidationError(f"--until {until!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)") from None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    if dt <= datetime.now(UTC):
        raise ValidationError(f"--until {until} is not in the future")
    return dt.replace(microsecond=0).isoformat()


def propose(store: Store, case_id: str, actor: Actor, kind: str, reason: str, until: str | None = None) -> int:
    """Propose an action on every open, non-excluded subject of the case; returns the action id."""
    if kind not in ACTION_KINDS:
        raise ValidationError(f"action {kind!r} is not one of {list(ACTION_KINDS)}")
    if not reason or not reason.strip():
        raise ValidationError("a proposal needs its reason (--reason TEXT)")
    until_at = _parse_until(until, kind)
    s = ops_case_subjects.c
    try:
        with store.begin() as conn:
            case = _case(conn, case_id, lock=True)
            if case.status == "in_review":
                raise RefusedError("ALREADY_PROPOSED", f"case {case_id} already has a proposed action")
            if case.status != "open":
                raise ValidationError(
                    f"case {case_id} is {case.status}; an action can be proposed on an open case only"
                )
            n = int(
                conn.execute(
                    select(func.count()).where(s.case_id == case_id, s.status == "open", s.excluded == 0)
                ).scalar_one()
            )
            if n == 0:
                raise ValidationError(f"case {case_id} has no open subjects to act on")
            action_id = int(
                conn.execute(
                    insert(ops_actions)
                    .values(
                        case_id=case_id,
                        kind=kind,
                        until_at=until_at,
                        reason=reason.strip(),
                        status="proposed",
                        proposed_by=actor.name,
                        proposed_at=utc_now(),
                        n_subjects=n,
                    )
                    .returning(ops_actions.c.action_id)
                ).scalar_one()
            )
            conn.execute(
                update(ops_case_subjects)
                .where(s.case_id == case_id, s.status == "open", s.excluded == 0)
                .values(status="proposed", action_id=action_id, updated_at=utc_now())
            )
            set_case_status(conn, case_id, "in_review")
            audit.append(
                conn,
                actor=actor.name,
                os_user=actor.os_user,
                action="action.propose",
                object_ref=f"case:{case_id}",
                reason=reason.strip(),
                evidence=[{"case_id": case_id, "action_id": action_id}],
                before={"status": case.status},
                after={"status": "in_review", "action": kind, "until": until_at, "subjects": n},
            )
    except IntegrityError:
        raise RefusedError("ALREADY_PROPOSED", f"case {case_id} already has a proposed action") from None
    return action_id


def _pending(conn: Connection, case_id: str) -> Any:
    row = conn.execute(
        select(ops_actions).where(ops_actions.c.case_id == case_id, ops_actions.c.status == "proposed")
    ).first()
    if row is None:
        raise ValidationError(f"case {case_id} has no proposed action; propose one with `flockwatch case propose`")
    return row


def exclude(store: Store, case_id: str, actor: Actor, subject_ids: list[str], reason: str) -> int:
    """A reviewer excludes subjects before approval (a false positive, a protected account); returns how many."""
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"{actor.name} is an {actor.user.role}; excluding subjects needs a reviewer"
        )
    if not reason or not reason.strip():
        raise ValidationError("an exclusion needs its reason")
    s = ops_case_subjects.c
    with store.begin() as conn:
        case = _case(conn, case_id, lock=True)
        if case.status not in ("open", "in_review"):
            raise ValidationError(f"case {case_id} is {case.status}; subjects can be excluded before approval only")
        known = {
            r[0] for r in conn.execute(select(s.subject_id).where(s.case_id == case_id, s.subject_id.in_(subject_ids)))
        }
        missing = [x for x in subject_ids if x not in known]
        if missing:
            raise ValidationError(f"not subjects of case {case_id}: {', '.join(missing[:5])}")
        n = conn.execute(
            update(ops_case_subjects)
            .where(s.case_id == case_id, s.subject_id.in_(subject_ids), s.status.in_(("open", "proposed")))
            .values(status="excluded", excluded=1, action_id=None, updated_at=utc_now())
        ).rowcount
        if case.status == "in_review":
            pending = _pending(conn, case_id)
            left = int(
                conn.execute(
                    select(func.count()).where(s.action_id == pending.action_id, s.status == "proposed")
                ).scalar_one()
            )
            conn.execute(
                update(ops_actions).where(ops_actions.c.action_id == pending.action_id).values(n_subjects=left)
            )
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="case.exclude",
            object_ref=f"case:{case_id}",
            reason=reason.strip(),
            evidence=sorted(subject_ids),
            after={"excluded": n},
        )
    return int(n)


def approve(
    store: Store, case_id: str, actor: Actor, rules: ReviewRules | None = None, batch_rows: int = 10_000
) -> int:
    """Approve the case's proposed action and execute it; :class:`RefusedError` names why policy refuses."""
    rules = rules or ReviewRules()
    with store.begin() as conn:
        act = conn.execute(
            select(ops_actions)
            .where(ops_actions.c.case_id == case_id)
            .order_by(ops_actions.c.action_id.desc())
            .limit(1)
        ).first()
        if act is None:
            _case(conn, case_id)
            raise ValidationError(f"case {case_id} has no proposed action; propose one with `flockwatch case propose`")
        if act.status != "proposed":
            raise RefusedError(
                "ALREADY_DECIDED",
                f"action {act.action_id} on {case_id} is already {act.status}"
                + (f" (approved by {act.approved_by})" if act.approved_by else ""),
            )
        if act.proposed_by == actor.name:
            raise RefusedError(
                "SELF_APPROVAL", f"{actor.name} proposed action {act.action_id}; a second person must approve it"
            )
        if (act.kind == "suspend" or act.n_subjects > rules.reviewer_over_n) and not has_role(actor.user, "reviewer"):
            why = "a permanent suspension" if act.kind == "suspend" else f"an action on {act.n_subjects:,} subjects"
            raise RefusedError("ROLE_REQUIRED", f"{why} needs a reviewer; {actor.name} is an {actor.user.role}")
        check_sample(conn, act, rules.sample_over_n, rules.fp_limit, rules.confidence)
        now = utc_now()
        decide_once(
            conn,
            update(ops_actions)
            .where(
                ops_actions.c.action_id == act.action_id,
                ops_actions.c.status == "proposed",
                ops_actions.c.proposed_by != actor.name,
            )
            .values(status="approved", approved_by=actor.name, approved_at=now),
            f"action {act.action_id}",
        )
        s = ops_case_subjects.c
        conn.execute(
            update(ops_case_subjects)
            .where(and_(s.action_id == act.action_id, s.status == "proposed"))
            .values(status="approved", updated_at=now)
        )
        set_case_status(conn, case_id, "approved")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="action.approve",
            object_ref=f"case:{case_id}",
            reason=act.reason,
            evidence=[{"case_id": case_id, "action_id": act.action_id, "proposed_by": act.proposed_by}],
            before={"status": "in_review"},
            after={"status": "approved", "action": act.kind, "subjects": act.n_subjects},
        )
    execute(store, int(act.action_id), batch_rows=batch_rows)
    return int(act.action_id)


def execute(store: Store, action_id: int, batch_rows: int = 10_000, max_batches: int | None = None) -> dict[str, Any]:
    """Record an approved action subject by subject (idempotent; resumes where an interrupted run stopped).

    ``max_batches`` stops early (tests of interruption); the action then stays ``executing``."""
    s = ops_case_subjects.c
    with store.begin() as conn:
        act = conn.execute(select(ops_actions).where(ops_actions.c.action_id == action_id)).first()
        if act is None:
            raise ValidationError(f"no action {action_id}")
        if act.status == "executed":
            return {"action_id": action_id, "status": "executed", "executed_now": 0}
        if act.status not in ("approved", "executing"):
            raise ValidationError(f"action {action_id} is {act.status}; only an approved action is executed")
        conn.execute(update(ops_actions).where(ops_actions.c.action_id == action_id).values(status="executing"))
    done, batches = 0, 0
    while max_batches is None or batches < max_batches:
        with store.begin() as conn:
            pending = and_(s.case_id == act.case_id, s.action_id == action_id, s.status == "approved")
            # the batch is a key range (up to the batch_rows-th pending id), not IN (subquery ... LIMIT): PostgreSQL
            # cannot hash a LIMITed subquery and would compare every row with every id of the batch
            last = conn.execute(
                select(s.subject_id).where(pending).order_by(s.subject_id).offset(batch_rows - 1).limit(1)
            ).scalar()
            n = conn.execute(
                update(ops_case_subjects)
                .where(pending, *([s.subject_id <= last] if last is not None else []))
                .values(status="executed", updated_at=utc_now())
            ).rowcount
        batches += 1
        done += int(n)
        if not n:
            break
    else:
        return {"action_id": action_id, "status": "executing", "executed_now": done}
    with store.begin() as conn:
        ids = conn.execute(
            select(s.kind, s.platform, s.subject_id)
            .where(s.action_id == action_id, s.status == "executed")
            .order_by(s.kind, s.platform, s.subject_id)
        )
        digest = hashlib.sha256()
        total = 0
        for kind, platform, sid in ids:
            digest.update(f"{kind}\t{platform}\t{sid}\n".encode())
            total += 1
        finished = conn.execute(
            update(ops_actions)
            .where(ops_actions.c.action_id == action_id, ops_actions.c.status == "executing")
            .values(status="executed")
        ).rowcount
        if finished:
            set_case_status(conn, act.case_id, "dismissed" if act.kind == "dismiss" else "actioned")
            audit.append(
                conn,
                actor=act.approved_by,
                action="action.execute",
                object_ref=f"case:{act.case_id}",
                reason=act.reason,
                evidence=[{"action_id": action_id, "subjects_sha256": digest.hexdigest()}],
                before={"status": "approved"},
                after={"status": "executed", "action": act.kind, "until": act.until_at, "subjects": total},
            )
    return {"action_id": action_id, "status": "executed", "executed_now": done}


def unfinished(store: Store) -> list[int]:
    """Actions approved but not yet fully executed (a crash, a kill): what ``jobs run`` resumes."""
    with store.connect() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                select(ops_actions.c.action_id)
                .where(ops_actions.c.status.in_(("approved", "executing")))
                .order_by(ops_actions.c.action_id)
            )
        ]
