"""Shared fixtures: in-memory and on-disk workspaces. Constants and helpers live in ``fwtest``."""

from __future__ import annotations

import pytest

from flockwatch.store import close_store, open_store
from flockwatch.workspace import Workspace

import opsdb
from fwtest import FIXTURES, ROOT, SHARED_DATA, shared_data  # noqa: F401  (re-exported for fixtures)


@pytest.fixture
def ws():
    """An in-memory workspace (the engine's test double: real DuckDB, no files)."""
    w = Workspace.memory()
    yield w
    w.close()


@pytest.fixture
def ws_dir(tmp_path):
    """An on-disk workspace in a temporary directory."""
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture(params=opsdb.BACKENDS)
def ops_store(request, tmp_path):
    """A migrated operational store on each backend: SQLite in a temporary file; PostgreSQL in a database of its
    own, reached as a role without superuser rights (skipped with the reason where PostgreSQL is unreachable)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
        yield open_store(url)
        close_store(url)
        return
    db = opsdb.create_database()
    yield open_store(opsdb.app_url(db))
    opsdb.drop_database(db)


def pytest_sessionfinish(session, exitstatus):
    opsdb.drop_templates()
