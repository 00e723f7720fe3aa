"""Concurrency: of several reviewers approving the same action at once, exactly one succeeds and the others are
refused; two analysts proposing at once leave one proposal. Real threads against the real database, each with its
own connections (SQLite: the write lock; PostgreSQL: the guarded UPDATE under READ COMMITTED)."""

from __future__ import annotations

import threading

from flockwatch.errors import RefusedError
from flockwatch.review import actions
from flockwatch.review.actor import Actor
from flockwatch.review.cases import get_case, open_case
from flockwatch.store.users import add_user, get_user

N_APPROVERS = 6


def _race(fns):
    barrier = threading.Barrier(len(fns))
    results: list[object] = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except RefusedError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_racing_approvals_give_exactly_one_action(ops_store):
    add_user(ops_store, "alice", "analyst")
    for i in range(N_APPROVERS):
        add_user(ops_store, f"rev{i}", "reviewer")

    def actor(name):
        # authenticated elsewhere (the CLI tests cover authentication); here only the race matters
        return Actor(get_user(ops_store, name), "test", "embedded")

    alice = actor("alice")
    case_id = open_case(ops_store, by="alice", accounts=[f"tw:{i}" for i in range(50)], accounts_ref="list.txt")
    action_id = actions.propose(ops_store, case_id, alice, "suspend", "coordinated spam")
    results = _race([lambda n=f"rev{i}": actions.approve(ops_store, case_id, actor(n)) for i in range(N_APPROVERS)])
    wins = [r for r in results if r == action_id]
    refusals = [r for r in results if isinstance(r, RefusedError)]
    assert len(wins) == 1 and len(refusals) == N_APPROVERS - 1, results
    # the losers found the action decided: by the guarded UPDATE, or (having waited for the lock) by its status
    assert {r.code for r in refusals} == {"ALREADY_DECIDED"}
    snap = get_case(ops_store, case_id, with_subjects=False)
    assert snap.status == "actioned" and snap.counts == {"executed": 50}
    [act] = snap.actions
    assert act["approved_by"].startswith("rev")


def test_racing_proposals_leave_one(ops_store):
    for name in ("a1", "a2", "a3", "a4"):
        add_user(ops_store, name, "analyst")
    case_id = open_case(ops_store, by="a1", accounts=["tw:1", "tw:2"], accounts_ref="list.txt")
    results = _race(
        [
            lambda n=n: actions.propose(
                ops_store, case_id, Actor(get_user(ops_store, n), None, "embedded"), "label", "x"
            )
            for n in ("a1", "a2", "a3", "a4")
        ]
    )
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert len(get_case(ops_store, case_id, with_subjects=False).actions) == 1
