"""Shared test constants and helpers (importable as ``fwtest``; ``conftest`` names are ambiguous across folders).

``SHARED_DATA`` points at ../shared/data; tests that need it skip cleanly where it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test with a clear reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not present: {p}")
    return p


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file with a header (the file is closed again: the suite turns ResourceWarning into errors)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
