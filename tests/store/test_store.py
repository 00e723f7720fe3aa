"""The operational store: one migration history on SQLite and PostgreSQL, the upgrade of an old sqlite3 store,
FLOCKWATCH_OPS_URL, and clear errors when the database is unreachable or newer."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from flockwatch.errors import ExternalError, WorkspaceError
from flockwatch.policy import Registry, appeals, determinations
from flockwatch.policy.matrix import setup_status
from flockwatch.store import close_store, current_revision, head_revision, open_store, tables
from flockwatch.workspace import Workspace

import opsdb
from fwtest import FIXTURES


def test_migrations_build_exactly_the_declared_tables(ops_store):
    """The Alembic history and tables.py agree, column by column, index by index, on each backend."""
    assert current_revision(ops_store) == head_revision()
    with ops_store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def test_store_is_reopened_without_migrating_twice(ops_store):
    again = open_store(ops_store.url)
    assert again is ops_store  # one engine per URL per process


def _legacy_workspace(tmp_path):
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    conn = sqlite3.connect(ws_dir / "ops.sqlite")
    conn.executescript((FIXTURES / "ops_sqlite3_v3.sql").read_text())
    conn.close()
    return ws_dir


def test_an_old_sqlite3_store_upgrades_in_place(tmp_path):
    ws_dir = _legacy_workspace(tmp_path)
    with Workspace.create(ws_dir) as ws:
        reg = Registry.open(ws)
        outlet = reg.outlet("EST")  # by alias, as before
        assert outlet.name == "Example State TV"
        assert sorted(a.value for a in reg.assets(outlet.outlet_id)) == ["example-state.tv", "examplestatetv"]
        [det] = determinations(reg, outlet=outlet.outlet_id)
        assert det.outcome == "refuse" and det.effective_on == "2019-08-19"
        [ap] = appeals(reg)
        assert (ap.determination_id, ap.status, ap.grounds) == (det.determination_id, "filed", "we are independent")
        # the store held outlets before first-use setup existed: it is left as it is, not overwritten
        assert setup_status(reg) == "existing"
        # new rows get fresh ids after the old ones
        new_id = reg.add_outlet("Another Outlet", "GB")
        assert new_id > outlet.outlet_id
        reg.close()
        assert current_revision(ws.ops()) == head_revision()
    conn = sqlite3.connect(ws_dir / "ops.sqlite")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "policy_schema" not in names and {"ops_cases", "ops_audit", "ops_users", "alembic_version"} <= names


def test_an_old_store_from_another_flockwatch_is_refused(tmp_path):
    ws_dir = _legacy_workspace(tmp_path)
    conn = sqlite3.connect(ws_dir / "ops.sqlite")
    conn.execute("INSERT INTO policy_schema VALUES (4, '0004_something_else', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="newer or different flockwatch"):
        Workspace.create(ws_dir)
    close_store(f"sqlite:///{ws_dir / 'ops.sqlite'}")


def test_ops_url_puts_the_registry_in_postgresql(tmp_path, monkeypatch):
    db = opsdb.create_database()
    url = opsdb.app_url(db)
    monkeypatch.setenv("FLOCKWATCH_OPS_URL", url)
    try:
        with Workspace.create(tmp_path / "ws") as ws:
            assert ws.ops().url == url and ws.ops().is_team
            with Registry.open(ws) as reg:
                assert setup_status(reg) == "shipped"
                assert reg.counts()["outlets"] > 100
        assert not (tmp_path / "ws" / "ops.sqlite").exists()
        with open_store(url).connect() as conn:
            # the application is not a superuser on the team database
            assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is False
            assert conn.execute(text("SELECT count(*) FROM media_registry_setup")).scalar() == 1
    finally:
        opsdb.drop_database(db)


def test_unreachable_postgresql_is_an_external_error():
    with pytest.raises(ExternalError, match=r"cannot .*127\.0\.0\.1:1/nowhere") as info:
        open_store("postgresql+psycopg://flockwatch_app:secret@127.0.0.1:1/nowhere")
    assert info.value.exit_code == 3
    assert "secret" not in str(info.value)


def test_unsupported_urls_are_user_errors():
    with pytest.raises(WorkspaceError, match="not supported"):
        open_store("mysql://x@localhost/db")
    with pytest.raises(WorkspaceError, match="psycopg driver"):
        open_store("postgresql+psycopg2://x@localhost/db")
