"""DuckDB in-process engine.

Consumes a database path (or none for in-memory) and SQL; produces results. Sessions run with ``TimeZone=UTC`` so
that naive ``TIMESTAMP`` columns are UTC everywhere. ``threads`` defaults to DuckDB's choice (all cores);
``memory_limit`` to 40% of the machine's memory (DuckDB's own default is 80%, which leaves too little for what
runs beside it in the same process: Arrow results, the graph library, the expansion's evidence; at 20M rows
co_repost that is ~1.3 GB above DuckDB's own) — beyond it, DuckDB
spills to a temporary directory next to the database. ``FLOCKWATCH_MEMORY_LIMIT`` (e.g. ``8GB``) overrides it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flockwatch.core.resources import cpu_count, memory_limit_bytes
from flockwatch.core.sql import quote_ident, sql_literal
from flockwatch.engine.base import Params, Scratch
from flockwatch.engine.dialect import FW_HASH64_DUCKDB
from flockwatch.errors import ExternalError, WorkspaceError

__all__ = ["DuckDBEngine", "Result", "sql_literal"]


class Result:
    """The answer of one statement, fetched in the shape the caller asks for."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    @property
    def columns(self) -> list[str]:
        return [d[0] for d in (self._cursor.description or [])]

    def rows(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    def dicts(self) -> list[dict[str, Any]]:
        cols = self.columns
        return [dict(zip(cols, r, strict=False)) for r in self._cursor.fetchall()]

    # one() and scalar() drain the result: DuckDB 2 refuses register() while a result is still open.
    def one(self) -> tuple[Any, ...] | None:
        rows = self._cursor.fetchall()
        return tuple(rows[0]) if rows else None

    def scalar(self) -> Any:
        row = self.one()
        return None if row is None else row[0]

    def arrow(self) -> pa.Table:
        # DuckDB 2.0 renamed fetch_arrow_table() to to_arrow_table(); support both pinned majors.
        fetch = getattr(self._cursor, "to_arrow_table", None) or getattr(self._cursor, "fetch_arrow_table")  # noqa: B009
        with warnings.catch_warnings():  # 2.0 warns that a cursor result is copied once; that copy is intended
            warnings.simplefilter("ignore", UserWarning)
            table: pa.Table = fetch()
        return table

    def batches(self, rows_per_batch: int = 100_000) -> Iterator[pa.RecordBatch]:
        # DuckDB 2.0 renamed fetch_record_batch() to to_arrow_reader()
        fetch = getattr(self._cursor, "to_arrow_reader", None) or getattr(self._cursor, "fetch_record_batch")  # noqa: B009
        with warnings.catch_warnings():  # as in arrow(): 2.0 warns about the one intended copy
            warnings.simplefilter("ignore", UserWarning)
            reader = fetch(rows_per_batch)
        yield from reader


class DuckDBEngine:
    """A DuckDB connection behind the :class:`flockwatch.engine.base.Engine` interface. Thread-unsafe; one per
    process. ``DuckDBEngine(path)`` opens (or creates) a database file, ``DuckDBEngine.memory()`` an in-memory one."""

    name = "duckdb"

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        self.path = None if path is None else Path(path)
        try:
            self._con = duckdb.connect(str(self.path) if self.path else ":memory:", read_only=read_only)
        except duckdb.IOException as exc:  # locked by another process, unreadable file
            raise WorkspaceError(f"cannot open {self.path}: {exc}") from exc
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open {self.path}: {exc}") from exc
        self._con.execute("SET TimeZone='UTC'")
        # The CLI draws its own progress (Rich, on stderr); DuckDB's bar would interleave with it and with JSON output.
        self._con.execute("SET enable_progress_bar = false")
        limit = os.environ.get("FLOCKWATCH_MEMORY_LIMIT") or _default_memory_limit()
        if limit:
            self._con.execute(f"SET memory_limit={sql_literal(limit)}")
        # DuckDB starts a thread per core of the machine, ignoring the process's affinity and CPU quota
        # (core.resources): in a job given 2 cores of 16 that is 16 threads contending for 2
        cores = cpu_count()
        if cores < int(self._con.execute("SELECT current_setting('threads')").fetchall()[0][0]):
            self._con.execute(f"SET threads = {cores}")
        # functions defined identically on every engine (dialect.py); temporary, so nothing is stored in the file
        self._con.execute(f"CREATE OR REPLACE TEMP MACRO fw_hash64(x) AS {FW_HASH64_DUCKDB}")
        self._tx_depth = 0
        self._scratch_serial = itertools.count(1)
        # names a scratch could not drop because the surrounding transaction had failed: dropped once it ends
        self._pending_drops: list[str] = []
        # the insertion-order setting append() must still put back (None: nothing pending)
        self._insertion_order: bool | None = None

    @classmethod
    def memory(cls) -> DuckDBEngine:
        return cls(None)

    # -- statements -------------------------------------------------------------------------------------------
    def sql(self, query: str, params: Params = None) -> Result:
        try:
            cur = self._con.execute(query, params) if params is not None else self._con.execute(query)
        except duckdb.Error as exc:
            raise ExternalError(f"engine error: {exc}\n-- in statement:\n{query[:2000]}") from exc
        return Result(cur)

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._con.executemany(query, rows)

    def register(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Expose an Arrow table to SQL under ``name`` (a view, not a copy)."""
        self._settle()
        self._con.register(name, table)

    def unregister(self, name: str) -> None:
        self._settle()
        self._con.unregister(name)

    def _settle(self) -> None:
        # DuckDB 2 refuses register()/unregister() while the connection still holds a result that was not fully
        # fetched (an INSERT's count, a streamed batch reader). Running and draining a trivial statement closes it;
        # doing it here keeps callers free of the workaround.
        self._con.execute("SELECT 1").fetchall()

    def insert_arrow(self, table_name: str, table: pa.Table, columns: Sequence[str] | None = None) -> int:
        """Append an Arrow table to an existing table, matching columns by name."""
        with self.scratch("arrowin") as s:
            tmp = s.register("rows", table)
            cols = list(columns or table.column_names)
            col_sql = ", ".join(quote_ident(c) for c in cols)
            self._con.execute(f"INSERT INTO {quote_ident(table_name)} ({col_sql}) SELECT {col_sql} FROM {tmp}")
        return int(table.num_rows)

    def append(self, table: str, columns: Sequence[str], select_sql: str, params: Params = None) -> None:
        """``INSERT INTO table (columns) select_sql`` with ``preserve_insertion_order`` off for that statement.

        Why: keeping the order makes DuckDB collect a large insert in the transaction's own storage and compress it
        into the file at the next checkpoint (on one thread, at close). Without it, each thread compresses and
        writes its row groups straight to the file as it goes. Measured on 5M CNT actions (twice each): insert,
        commit and close took 5.8 and 7.7 s with the order kept, 3.5 and 3.3 s without, and the file was half the size
        (213 MB against 106 MB). A workspace written the old way also left 1.7 s of work to the first checkpoint
        after it was reopened, which the next command (detect) paid."""
        col_sql = ", ".join(quote_ident(c) for c in columns)
        before = self._con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        self._con.execute("SET preserve_insertion_order = false")
        try:
            self.sql(f"INSERT INTO {quote_ident(table)} ({col_sql}) {select_sql}", params)
        finally:
            self._insertion_order = bool(before[0]) if before else True
            self._restore_insertion_order()

    def _restore_insertion_order(self) -> None:
        if self._insertion_order is None:
            return
        try:
            self._con.execute(f"SET preserve_insertion_order = {str(self._insertion_order).lower()}")
        except duckdb.Error:
            # a failed statement aborted the surrounding transaction, which refuses even SET until it rolls back:
            # the setting is put back once it ends (transaction())
            return
        self._insertion_order = None

    # -- catalogue ----------------------------------------------------------------------------------------------
    def table_exists(self, name: str) -> bool:
        return bool(
            self._con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
                [name],
            ).fetchall()[0][0]
        )

    def count(self, name: str) -> int:
        return int(self._con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0])

    # -- scratch namespaces -------------------------------------------------------------------------------------
    def scratch(self, purpose: str) -> Scratch:
        """A fresh namespace of temporary relations for one call (see :class:`flockwatch.engine.base.Scratch`)."""
        return Scratch(self, purpose, next(self._scratch_serial))

    def drop_relations(self, names: Sequence[str]) -> None:
        if not names:
            return
        try:
            self._drop_now(names)
        except duckdb.Error:
            # inside a transaction that already failed nothing runs until it rolls back: drop after it ends
            self._pending_drops.extend(names)

    def _drop_now(self, names: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(names))
        found = self._con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'main' AND list_contains(?, table_name)",
            [wanted],
        ).fetchall()
        for name, kind in found:
            what = "VIEW" if "VIEW" in str(kind).upper() else "TABLE"
            self._con.execute(f"DROP {what} IF EXISTS {quote_ident(name)}")

    def _drain_pending_drops(self) -> None:
        pending, self._pending_drops = self._pending_drops, []
        if pending:
            self._drop_now(pending)

    # -- DuckDB-only constructs, behind methods -----------------------------------------------------------------
    def add_unique_key(self, table: str, columns: Sequence[str], index_name: str) -> None:
        cols = ", ".join(quote_ident(c) for c in columns)
        self._con.execute(f"CREATE UNIQUE INDEX {quote_ident(index_name)} ON {quote_ident(table)} ({cols})")

    def upsert(
        self, table: str, select_sql: str, key: Sequence[str], updates: dict[str, str], params: Params = None
    ) -> None:
        keys = ", ".join(quote_ident(c) for c in key)
        action = (
            "DO UPDATE SET " + ", ".join(f"{quote_ident(c)} = {expr}" for c, expr in updates.items())
            if updates
            else "DO NOTHING"
        )
        self.sql(f"INSERT INTO {quote_ident(table)} {select_sql} ON CONFLICT ({keys}) {action}", params)

    # -- transactions -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[DuckDBEngine]:
        """All-or-nothing: a crash (even kill -9) inside leaves the store as before it began."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self
            finally:
                self._tx_depth -= 1
            return
        self._con.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield self
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._tx_depth = 0
            self._restore_insertion_order()
            self._drain_pending_drops()

    # -- files --------------------------------------------------------------------------------------------------
    def to_parquet(self, relation_sql: str, path: str | Path, params: Params = None) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.sql(f"COPY ({relation_sql}) TO {sql_literal(str(out))} (FORMAT PARQUET)", params)
        return out

    def to_csv(self, relation_sql: str, path: str | Path, params: Params = None) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.sql(f"COPY ({relation_sql}) TO {sql_literal(str(out))} (FORMAT CSV, HEADER)", params)
        return out

    def checkpoint(self) -> None:
        self._con.execute("CHECKPOINT")

    def memory_budget_bytes(self) -> int | None:
        """DuckDB's memory limit in bytes, as the session holds it (set here, or DuckDB's own default)."""
        shown = self._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        return _size_bytes(str(shown))

    def close(self) -> None:
        self._con.close()


_SIZE = re.compile(r"^\s*([0-9.]+)\s*(bytes|[KMGTP]i?B)\s*$")
_UNIT_BYTES = {
    "bytes": 1,
    **{f"{u}B": 1000 ** (i + 1) for i, u in enumerate("KMGTP")},
    **{f"{u}iB": 1024 ** (i + 1) for i, u in enumerate("KMGTP")},
}


def _size_bytes(shown: str) -> int | None:
    """``7.4 GiB`` (DuckDB's display of a size) in bytes; None for anything else."""
    m = _SIZE.match(shown)
    return int(float(m.group(1)) * _UNIT_BYTES[m.group(2)]) if m else None


def _default_memory_limit() -> str | None:
    """40% of the memory this process may use (core.resources: physical, or its cgroup's cap), in MB; None where
    the platform does not say."""
    total = memory_limit_bytes()
    if total is None:
        return None
    return f"{max(total * 2 // 5 // 2**20, 256)}MB"
