"""Fixtures for the policy tests: registries in in-memory workspaces, with or without the shipped data."""

from __future__ import annotations

import pytest

from flockwatch.policy import Registry, decide, import_registry, store
from flockwatch.workspace import Workspace


@pytest.fixture
def reg():
    """An empty registry in an in-memory workspace."""
    ws = Workspace.memory()
    yield Registry.open(ws)
    ws.close()


@pytest.fixture(scope="session")
def _shipped_template():
    """The shipped registry built once per session (import + decide take about a second)."""
    r = Registry.memory()
    import_registry(r)
    decide(r, "twitter-2019-08-ads", as_of="2019-08-19")
    return r


@pytest.fixture
def shipped(_shipped_template):
    """A private copy of the shipped Matrix and curated facts, decided under twitter-2019-08-ads on 2019-08-19."""
    conn = store.connect(None)
    _shipped_template.conn.backup(conn)
    return Registry(conn)
