"""PostgreSQL gone mid-command: a clear error (exit 3), nothing half-recorded, and a re-run completes the work.
The connections of a running bulk execution are terminated by the server (as when PostgreSQL is stopped or
restarted); an unreachable server fails every command with exit 3."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from flockwatch.cli.app import main
from flockwatch.errors import ExternalError
from flockwatch.review import actions, audit
from flockwatch.review.actor import Actor
from flockwatch.review.cases import get_case, open_case
from flockwatch.store import open_store
from flockwatch.store.users import add_user, get_user
from flockwatch.workspace import Workspace

import opsdb
from .test_kill import _executed


def test_server_terminating_a_bulk_execution(tmp_path):
    db = opsdb.create_database()
    try:
        store = open_store(opsdb.app_url(db))
        add_user(store, "alice", "analyst")
        add_user(store, "bob", "reviewer")
        case_id = open_case(store, by="alice", accounts=[f"tw:{i:06d}" for i in range(900)], accounts_ref="x")
        action_id = actions.propose(store, case_id, Actor(get_user(store, "alice"), None, "e"), "label", "state media")
        # approve without executing: the execution below is what the server interrupts
        actions.approve(store, case_id, Actor(get_user(store, "bob"), None, "e"), batch_rows=1)
        from sqlalchemy import update

        from flockwatch.store.tables import ops_actions, ops_case_subjects

        with store.begin() as conn:  # back to "approved, not executed" (as if approve had just committed)
            conn.execute(update(ops_actions).where(ops_actions.c.action_id == action_id).values(status="approved"))
            conn.execute(
                update(ops_case_subjects).where(ops_case_subjects.c.action_id == action_id).values(status="approved")
            )
        errors: list[BaseException] = []

        def run():
            try:
                actions.execute(store, action_id, batch_rows=1)
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 60
        while _executed(store, case_id).get("executed", 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        # the server drops the application's connections until the command notices: one termination can land while
        # the pooled connection is idle between two batches, and the pool's pre-ping then reconnects without error
        with psycopg.connect(f"postgresql://postgres@{opsdb.HOSTPORT}/postgres", autocommit=True) as admin:
            while t.is_alive() and not errors and time.monotonic() < deadline:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND usename = %s",
                    (make_url(store.url).database, opsdb.APP_ROLE),
                )
                time.sleep(0.01)
        t.join(60)
        assert errors and isinstance(errors[0], ExternalError) and errors[0].exit_code == 3, errors
        assert "failed" in str(errors[0]) or "cannot reach" in str(errors[0])
        counts = _executed(store, case_id)
        assert set(counts) <= {"approved", "executed"} and sum(counts.values()) == 900, counts
        assert 0 < counts["executed"] < 900
        # the server is back (it never left): a re-run finishes, the chain is whole
        actions.execute(store, action_id)
        assert get_case(store, case_id, with_subjects=False).counts == {"executed": 900}
        assert audit.verify(store).ok
    finally:
        opsdb.drop_database(db)


def test_unreachable_store_exits_3(tmp_path, monkeypatch, capsys):
    opsdb.require_pg()
    Workspace.create(tmp_path / "ws", registry=False).close()
    monkeypatch.setenv("FLOCKWATCH_OPS_URL", "postgresql+psycopg://flockwatch_app@127.0.0.1:1/nowhere")
    assert main(["case", "list", "--workspace", str(tmp_path / "ws")]) == 3
    err = capsys.readouterr().err
    assert "cannot" in err and "127.0.0.1:1/nowhere" in err
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect("postgresql://flockwatch_app@127.0.0.1:1/nowhere", connect_timeout=2)
