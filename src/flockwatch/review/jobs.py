"""Periodic review jobs (``flockwatch jobs run``, safe under cron): finish interrupted actions, end expired locks,
retry failed hand-off deliveries (when the webhook secret is given; see delivery.py).

Consumes the operational store; produces a summary dict. Idempotent: a second run right after the first changes
nothing. Two runs at once are safe: execution batches and lock expiry are guarded UPDATEs (``WHERE status = ...``),
so a subject is changed by one of them only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select, update

from flockwatch.review import actions, audit, delivery
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_actions, ops_case_subjects


def end_expired_locks(store: Store, now: str | None = None) -> int:
    """Subjects of temporary locks whose ``until`` has passed become ``expired`` (audited per action)."""
    now = now or utc_now()
    s = ops_case_subjects.c
    ended = 0
    with store.connect() as conn:
        due = conn.execute(
            select(ops_actions.c.action_id, ops_actions.c.case_id, ops_actions.c.until_at).where(
                ops_actions.c.kind == "lock", ops_actions.c.status == "executed", ops_actions.c.until_at <= now
            )
        ).all()
    for action_id, case_id, until_at in due:
        with store.begin() as conn:
            n = conn.execute(
                update(ops_case_subjects)
                .where(and_(s.action_id == action_id, s.status == "executed"))
                .values(status="expired", updated_at=now)
            ).rowcount
            if n:
                audit.append(
                    conn,
                    actor="flockwatch-jobs",
                    os_user=audit.os_user(),
                    action="lock.expire",
                    object_ref=f"case:{case_id}",
                    evidence=[{"action_id": action_id, "until": until_at}],
                    after={"expired": int(n)},
                )
        ended += int(n)
    return ended


def run_jobs(store: Store, webhook_secret: bytes | None = None) -> dict[str, Any]:
    """Run every job once. Deliveries due for a retry are sent only with the webhook secret (without it they are
    counted, not sent: the secret lives outside the store)."""
    resumed = [actions.execute(store, a) for a in actions.unfinished(store)]
    out: dict[str, Any] = {"actions_resumed": resumed, "locks_ended": end_expired_locks(store)}
    if webhook_secret is not None:
        out["deliveries"] = [r.to_dict() for r in delivery.retry_due(store, webhook_secret)]
    else:
        out["deliveries_due_without_secret"] = delivery.due_count(store)
    return out
