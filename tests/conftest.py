"""Shared fixtures: in-memory and on-disk workspaces. Constants and helpers live in ``fwtest``."""

from __future__ import annotations

import pytest

from flockwatch.workspace import Workspace

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
