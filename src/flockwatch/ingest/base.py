"""What a reader is, and what it is handed.

A reader turns one platform file into the canonical tables of ``schema.py``. It parses and validates into its own
temp tables or views, then writes through its :class:`ReadContext`: :meth:`ReadContext.insert` adds rows to a
canonical table (skipping keys the warehouse already holds, first row per key wins) and
:meth:`ReadContext.quarantine` records bad rows. It returns how many source records it read.

The first write opens the file's transaction; the loader (``ingest/loader.py``) adds the ``ingests`` row and
commits, or rolls back when anything fails, so a crash mid-file (even ``kill -9``) leaves the workspace as it was.
Work before the first write (parsing a CSV, which may fail and be retried from a cleaned copy) runs outside the
transaction: DuckDB aborts a transaction on any failed statement. Rows go straight from the reader's validated
rows into the warehouse: no staging copy.

To add a reader: write one module with a class satisfying :class:`Reader`, add one line to ``ingest/registry.py``;
the contract suite (``tests/ingest/test_reader_contract.py``) then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from flockwatch import schema
from flockwatch.core.sql import sql_literal
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
    begin: Callable[[], None] = lambda: None
    """Opens the file's transaction (idempotent); called by the first write. The loader supplies it."""
    added: dict[str, int] = field(default_factory=dict)
    """Rows added per canonical table so far."""

    def insert(
        self, table: str, select_sql: str, columns: Sequence[str] | None = None, *, unique_keys: bool = False
    ) -> int:
        """Add the rows of ``select_sql`` to canonical ``table``; returns how many were added.

        ``select_sql`` yields columns named as ``columns`` (default: all of the table's), the table's key among them.
        Rows whose key the warehouse already holds are skipped, and of rows sharing a key only the first (in the
        order ``select_sql`` yields them) is added. ``unique_keys=True`` is the reader's promise that the rows
        carry each key at most once (e.g. a ``SELECT DISTINCT`` over the key): it skips a counting pass.
        """
        t = schema.CANONICAL_TABLES[table]
        cols = list(columns or t.column_names)
        missing = [k for k in t.key if k not in cols]
        if missing:
            raise ValueError(f"insert into {table} lacks key column(s) {missing}")
        e = self.engine
        self.begin()
        before = e.count(table)
        col_sql = ", ".join(cols)
        source = f"({select_sql})"
        key = ", ".join(t.key)
        dedup = "__dedup_rows"
        # ``accounts`` keeps an account's first row; a new handle of a known account goes to its history
        handles = table == "accounts" and "screen_name" in cols
        # Repeated keys are looked for on a 64-bit hash of the key (a distinct count of one integer, not of a
        # struct): a hash collision only sends the rows through the exact (slower) path below, never loses one.
        if not unique_keys and e.sql(f"SELECT count(*) - count(DISTINCT hash({key})) FROM {source}").scalar():
            # Rare (a file repeating a key): materialise once so rowid is the select's order, keep the first.
            e.sql(f"CREATE OR REPLACE TEMP TABLE {dedup} AS SELECT {col_sql} FROM {source}")
            source = (
                f"(SELECT * FROM {dedup} SEMI JOIN (SELECT min(rowid) AS __r FROM {dedup} GROUP BY {key})"
                f" k ON {dedup}.rowid = k.__r)"
            )
        elif handles:
            # read twice below (the accounts, then their handles): computed once (a reader's select of the first row
            # per account runs over every row of the file)
            e.sql(f"CREATE OR REPLACE TEMP TABLE {dedup} AS SELECT {col_sql} FROM {source}")
            source = dedup
        # Into an empty table (a first ingest) there is nothing to anti-join against.
        on = " AND ".join(f"s.{k} IS NOT DISTINCT FROM w.{k}" for k in t.key)
        new_only = f"WHERE NOT EXISTS (SELECT 1 FROM {table} w WHERE {on})" if before else ""
        # in no particular order: the first row per key was picked above, and readers of the table say ORDER BY
        e.append(table, cols, f"SELECT {col_sql} FROM {source} s {new_only}")
        if handles:
            e.sql(
                f"""INSERT INTO account_handles
                    SELECT DISTINCT s.platform, s.account_id, s.screen_name, now(), {sql_literal(self.ingest_id)}
                    FROM {source} s WHERE s.screen_name IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM account_handles h WHERE h.platform IS NOT DISTINCT FROM s.platform
                        AND h.account_id = s.account_id AND h.screen_name = s.screen_name)"""
            )
        # Not in a ``finally``: after a failed statement the transaction refuses every statement until rolled back.
        e.sql(f"DROP TABLE IF EXISTS temp.{dedup}")
        n = e.count(table) - before
        self.added[table] = self.added.get(table, 0) + n
        return n

    def quarantine(self, select_sql: str) -> None:
        """Record bad rows: ``select_sql`` yields ``line`` (1-based, in the source file), ``reason``, ``raw``."""
        self.begin()
        self.engine.sql(
            f"INSERT INTO quarantine (ingest_id, source_file, line, reason, raw) "
            f"SELECT {sql_literal(self.ingest_id)}, {sql_literal(self.source_file)}, line, reason, raw "
            f"FROM ({select_sql}) ORDER BY line"
        )


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
        """Read ``ctx.path`` into the warehouse through ``ctx.insert``; every bad record through ``ctx.quarantine``."""
        ...
