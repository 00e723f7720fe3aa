"""kill -9 in the middle of a bulk action: no half-recorded action (every subject is approved or executed, the
action stays `executing`, the audit chain intact), and running it again completes it. A real process, killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from flockwatch.review import actions, audit, sampling
from flockwatch.review.cases import get_case, open_case
from flockwatch.store.tables import ops_case_subjects
from flockwatch.store.users import add_user

N_SUBJECTS = 8_000
BATCH_ROWS = 50

APPROVER = """
import sys
from flockwatch.review import actions
from flockwatch.review.actor import Actor
from flockwatch.store import open_store
from flockwatch.store.users import get_user
store = open_store(sys.argv[1])
# an enforcement hand-off takes time per batch: without a pause a fast machine finishes all batches before the kill
# lands (and on SQLite the watching test may not read between two back-to-back write transactions)
import contextlib, time
_begin = store.begin
@contextlib.contextmanager
def _paced_begin():
    with _begin() as conn:
        yield conn
    time.sleep(0.02)
store.begin = _paced_begin
actions.approve(store, sys.argv[2], Actor(get_user(store, "bob"), None, "embedded"), batch_rows=int(sys.argv[3]))
"""


def _executed(store, case_id):
    s = ops_case_subjects.c
    with store.connect() as conn:
        rows = conn.execute(select(s.status, func.count()).where(s.case_id == case_id).group_by(s.status))
        return {str(st): int(n) for st, n in rows}


@pytest.mark.slow
def test_kill_9_mid_bulk_action_then_resume(ops_store):
    add_user(ops_store, "alice", "analyst")
    add_user(ops_store, "bob", "reviewer")
    from flockwatch.review.actor import Actor
    from flockwatch.store.users import get_user

    case_id = open_case(
        ops_store, by="alice", accounts=[f"tw:{i:07d}" for i in range(N_SUBJECTS)], accounts_ref="amplifiers.txt"
    )
    action_id = actions.propose(
        ops_store, case_id, Actor(get_user(ops_store, "alice"), None, "embedded"), "suspend", "spam amplifiers"
    )
    bob = Actor(get_user(ops_store, "bob"), None, "embedded")
    for row in sampling.draw_sample(ops_store, case_id, bob, size=60, seed=7):  # a bulk action needs its sign-off
        sampling.label_subject(ops_store, case_id, bob, row["subject_id"], "correct")
    proc = subprocess.Popen([sys.executable, "-c", APPROVER, ops_store.url, case_id, str(BATCH_ROWS)])
    try:
        deadline = time.monotonic() + 120
        while _executed(ops_store, case_id).get("executed", 0) == 0:
            assert proc.poll() is None, "the approver ended before it could be killed"
            assert time.monotonic() < deadline, "no batch was executed within 120 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    counts = _executed(ops_store, case_id)
    assert set(counts) == {"approved", "executed"}, counts  # nothing half-way, nothing lost
    assert sum(counts.values()) == N_SUBJECTS and counts["executed"] % BATCH_ROWS == 0
    snap = get_case(ops_store, case_id, with_subjects=False)
    assert snap.status == "approved" and snap.actions[0]["status"] == "executing"
    assert actions.unfinished(ops_store) == [action_id]
    assert audit.verify(ops_store).ok

    result = actions.execute(ops_store, action_id)
    assert result["status"] == "executed" and result["executed_now"] == counts["approved"]
    snap = get_case(ops_store, case_id, with_subjects=False)
    assert snap.status == "actioned" and snap.counts == {"executed": N_SUBJECTS}
    assert actions.unfinished(ops_store) == []
    v = audit.verify(ops_store)
    assert v.ok and [e.action for e in audit.entries(ops_store)][-1] == "action.execute"
    # running it again is a no-op
    assert actions.execute(ops_store, action_id)["executed_now"] == 0
