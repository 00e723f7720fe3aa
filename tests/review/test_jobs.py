"""`jobs run`: ends temporary locks once their time is up (and only then), resumes interrupted actions, and is
idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flockwatch.review import actions, audit
from flockwatch.review.actor import Actor
from flockwatch.review.cases import get_case, open_case
from flockwatch.review.jobs import end_expired_locks, run_jobs
from flockwatch.store.users import add_user, get_user


def test_locks_expire_and_interrupted_actions_resume(ops_store):
    add_user(ops_store, "alice", "analyst")
    add_user(ops_store, "bob", "reviewer")
    alice, bob = (Actor(get_user(ops_store, n), None, "embedded") for n in ("alice", "bob"))
    until = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    locked = open_case(ops_store, by="alice", accounts=[f"tw:{i}" for i in range(5)], accounts_ref="x")
    actions.propose(ops_store, locked, alice, "lock", "spam burst", until=until)
    actions.approve(ops_store, locked, bob)
    assert run_jobs(ops_store) == {
        "actions_resumed": [],
        "locks_ended": 0,
        "deliveries_due_without_secret": 0,
    }  # not yet
    assert get_case(ops_store, locked, with_subjects=False).counts == {"executed": 5}

    # an approved action whose execution never ran (a crash right after approval)
    other = open_case(ops_store, by="alice", accounts=["tw:9", "tw:10"], accounts_ref="y")
    actions.propose(ops_store, other, alice, "label", "state media")
    act = actions.approve(ops_store, other, bob)
    # put it back to the state a crash would have left: approved, executed by no one
    from sqlalchemy import update

    from flockwatch.store.tables import ops_actions, ops_case_subjects

    with ops_store.begin() as conn:
        conn.execute(update(ops_actions).where(ops_actions.c.action_id == act).values(status="approved"))
        conn.execute(update(ops_case_subjects).where(ops_case_subjects.c.action_id == act).values(status="approved"))
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    assert end_expired_locks(ops_store, now=later) == 5
    assert get_case(ops_store, locked, with_subjects=False).counts == {"expired": 5}
    summary = run_jobs(ops_store)
    assert [r["action_id"] for r in summary["actions_resumed"]] == [act]
    assert get_case(ops_store, other, with_subjects=False).counts == {"executed": 2}
    assert run_jobs(ops_store) == {"actions_resumed": [], "locks_ended": 0, "deliveries_due_without_secret": 0}
    assert audit.verify(ops_store).ok
    assert "lock.expire" in [e.action for e in audit.entries(ops_store)]
