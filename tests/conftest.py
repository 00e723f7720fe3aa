"""Shared fixtures. ``SHARED_DATA`` points at ../shared/data; tests that need it skip cleanly where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from flockwatch.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


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


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test with a clear reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not present: {p}")
    return p
