"""What a reader is, and what it is handed.

A reader turns one platform file into the canonical tables of ``schema.py``. It never writes to the canonical tables
itself: it fills the connection-local staging tables ``stage_<table>`` (same columns as the canonical table) and
``stage_quarantine``, and returns how many source records it read. The loader (``ingest/loader.py``) then moves
staging into the warehouse in one transaction, so a crash mid-file leaves the workspace as it was.

To add a reader: write one module with a class satisfying :class:`Reader`, add one line to ``ingest/registry.py``;
the contract suite (``tests/ingest/test_reader_contract.py``) then runs against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from flockwatch.engine import Engine

#: How many bytes of a file's start readers see in ``sniff``.
SNIFF_BYTES = 64 * 1024


@dataclass
class ReadContext:
    """Everything a reader needs for one file."""

    engine: Engine
    path: Path
    """A local, plain (not zipped) file to read. ``.gz`` files are passed as they are."""
    source_file: str
    """The name recorded in provenance and quarantine (``archive.zip!member.csv`` for zip members)."""
    platform: str
    """Platform qualifier for every id this file carries (``twitter``, ``facebook``...)."""
    ingest_id: str

    def stage(self, table: str) -> str:
        """Name of the staging table for canonical ``table``."""
        return f"stage_{table}"


@dataclass
class ReadResult:
    """What a reader reports back."""

    rows_read: int
    """Source records seen (data lines of a CSV, tweets of a JSONL page), good and bad."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sniff:
    """The start of a file, for format detection."""

    path: Path
    head: str
    """The first ``SNIFF_BYTES`` bytes decoded as UTF-8 (undecodable bytes replaced); gunzipped for ``.gz``."""

    @property
    def first_line(self) -> str:
        return self.head.lstrip("\ufeff").split("\n", 1)[0].strip("\r")

    @property
    def header_fields(self) -> list[str]:
        import csv

        try:
            return [f.strip().lower() for f in next(csv.reader([self.first_line]))]
        except (StopIteration, csv.Error):
            return []


@runtime_checkable
class Reader(Protocol):
    """A file format flockwatch can ingest. ``name`` is a stable plugin name (stored in ``ingests.format``)."""

    name: str
    description: str

    def sniff(self, sniff: Sniff) -> bool:
        """True when this reader recognises the file (by header names, never positions)."""
        ...

    def read(self, ctx: ReadContext) -> ReadResult:
        """Fill ``stage_*`` tables from ``ctx.path``; put every bad record into ``stage_quarantine``."""
        ...
