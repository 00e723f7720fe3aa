"""Fixtures for the policy tests: registries on every operational-store backend, with or without the shipped data.

``reg`` and ``shipped`` run each test on SQLite (an in-memory workspace) and on PostgreSQL (a database of its own,
reached as a role without superuser rights; skipped with the reason where PostgreSQL is unreachable).
"""

from __future__ import annotations

import pytest

from flockwatch.policy import Registry, decide, import_registry
from flockwatch.store import memory_copy, open_store
from flockwatch.store.conn import OpsConnection
from flockwatch.workspace import Workspace

import opsdb


@pytest.fixture(params=opsdb.BACKENDS)
def reg(request):
    """An empty registry (SQLite: in an in-memory workspace; PostgreSQL: in a fresh database)."""
    if request.param == "sqlite":
        ws = Workspace.memory()
        r = Registry.open(ws)
        yield r
        r.close()
        ws.close()
        return
    db = opsdb.create_database()
    r = Registry(OpsConnection(open_store(opsdb.app_url(db))))
    yield r
    r.close()
    opsdb.drop_database(db)


def _build_shipped(r: Registry) -> Registry:
    import_registry(r)
    decide(r, "twitter-2019-08-ads", as_of="2019-08-19")
    return r


@pytest.fixture(scope="session")
def _shipped_template():
    """The shipped registry built once per session (import + decide take about a second)."""
    return _build_shipped(Registry.memory())


@pytest.fixture(scope="session")
def _shipped_pg_template():
    """A PostgreSQL database holding the shipped registry, copied for each test that needs it."""
    opsdb.require_pg()
    db = opsdb.create_database()
    url = opsdb.app_url(db)
    r = Registry(OpsConnection(open_store(url)))
    _build_shipped(r)
    r.close()
    opsdb.close_store(url)
    yield db
    opsdb.drop_database(db)


@pytest.fixture(params=opsdb.BACKENDS)
def shipped(request, _shipped_template):
    """A private copy of the shipped Matrix and curated facts, decided under twitter-2019-08-ads on 2019-08-19."""
    if request.param == "sqlite":
        r = Registry(OpsConnection(memory_copy(_shipped_template.conn.store)))
        yield r
        r.close()
        return
    template = request.getfixturevalue("_shipped_pg_template")
    db = opsdb.create_database_from(template)
    r = Registry(OpsConnection(open_store(opsdb.app_url(db))))
    yield r
    r.close()
    opsdb.drop_database(db)
