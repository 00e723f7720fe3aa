"""Fixtures for the simulator tests: one small run shared by the package."""

from __future__ import annotations

import pytest

from .sim_helpers import Run, run_small


@pytest.fixture(scope="package")
def small_run(tmp_path_factory) -> Run:
    return run_small(tmp_path_factory.mktemp("sim-small"), seed=3)
