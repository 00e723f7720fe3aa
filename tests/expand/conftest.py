"""Fixtures of the expansion tests."""

import pytest

from expand_scenario import build_scenario


@pytest.fixture
def scenario(ws):
    return build_scenario(ws)
