"""The engine interface stages depend on, and per-call scratch namespaces.

Consumes nothing at import; produces :class:`Engine` and :class:`Result` (``typing.Protocol`` types: what a stage
may ask of an analytic engine) and :class:`Scratch`, the namespace of temporary tables one call owns.

Why scratch namespaces: stages used to share fixed temporary table names (``xp_anchor``, ``w_state``, ...), so two
expansions, or two watchers, on one connection overwrote each other. A stage now asks the engine for a scratch
(``with engine.scratch("expand") as s:``) and names every temporary relation through it (``s.anchor`` or
``s.name("anchor")`` → ``__fw_expand_7_anchor``); the names are unique per call, and everything the scratch handed
out is dropped when it closes — also when the body raised. A scratch is also usable without ``with`` when its
tables must outlive one call (a watcher's state): call :meth:`Scratch.close` at the end.

To add an engine: implement :class:`Engine` (DuckDB is :class:`flockwatch.engine.duckdb_engine.DuckDBEngine`); SQL
reaching it is DuckDB dialect, to be transpiled (SQLGlot) where the engine speaks another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pyarrow as pa

Params = Sequence[Any] | dict[str, Any] | None

_PURPOSE = re.compile(r"^[a-z][a-z0-9]*$")
_PART = re.compile(r"^[a-z0-9_]+$")
SCRATCH_PREFIX = "__fw_"


@runtime_checkable
class Result(Protocol):
    """The answer of one statement, fetched in the shape the caller asks for."""

    @property
    def columns(self) -> list[str]: ...

    def rows(self) -> list[tuple[Any, ...]]: ...

    def dicts(self) -> list[dict[str, Any]]: ...

    def one(self) -> tuple[Any, ...] | None: ...

    def scalar(self) -> Any: ...

    def arrow(self) -> pa.Table: ...

    def batches(self, rows_per_batch: int = 100_000) -> Iterator[pa.RecordBatch]: ...


@runtime_checkable
class Engine(Protocol):
    """What stages may ask of the analytic store. SQL is DuckDB dialect; values are bound through ``params``."""

    name: str
    path: Path | None

    def sql(self, query: str, params: Params = None) -> Result: ...

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def register(self, name: str, table: pa.Table | pa.RecordBatch) -> None: ...

    def unregister(self, name: str) -> None: ...

    def insert_arrow(self, table_name: str, table: pa.Table, columns: Sequence[str] | None = None) -> int: ...

    def append(self, table: str, columns: Sequence[str], select_sql: str, params: Params = None) -> None:
        """Add the rows of ``select_sql`` (its columns in the order of ``columns``) to stored ``table``, in no
        particular order: a bulk load whose readers never rely on the rows' order in the table (every query that
        needs an order says ORDER BY)."""
        ...

    def table_exists(self, name: str) -> bool: ...

    def count(self, name: str) -> int: ...

    def transaction(self) -> AbstractContextManager[Engine]: ...

    def to_parquet(self, relation_sql: str, path: str | Path, params: Params = None) -> Path: ...

    def to_csv(self, relation_sql: str, path: str | Path, params: Params = None) -> Path: ...

    def checkpoint(self) -> None: ...

    def memory_budget_bytes(self) -> int | None:
        """The memory this engine's statements may hold before they must spill (DuckDB: its memory limit); None
        where the engine spreads a statement over executors that spill on their own (Spark)."""
        ...

    def close(self) -> None: ...

    def scratch(self, purpose: str) -> Scratch: ...

    def drop_relations(self, names: Sequence[str]) -> None:
        """Drop the temporary tables and views among ``names`` (whichever exist; absent names are ignored)."""
        ...

    def add_unique_key(self, table: str, columns: Sequence[str], index_name: str) -> None:
        """Declare ``columns`` unique in ``table`` so that :meth:`upsert` can merge on them."""
        ...

    def upsert(
        self, table: str, select_sql: str, key: Sequence[str], updates: dict[str, str], params: Params = None
    ) -> None:
        """Insert the rows of ``select_sql`` into ``table``; a row whose ``key`` exists updates it instead, each
        column in ``updates`` set to its expression, where ``<table>.col`` is the stored value and ``excluded.col``
        the incoming one (SQL text over those two names). Empty ``updates``: existing rows are kept."""
        ...


class Scratch:
    """Unique names for the temporary relations of one call; drops them all on :meth:`close` (or leaving ``with``).

    ``s.name("anchor")`` and ``s.anchor`` are the same name within one scratch; two scratches never share one.
    (Attribute access works for every part that is not a method name: ``name``, ``register``, ``unregister``,
    ``handed_out``, ``close``.)
    Arrow tables registered through :meth:`register` are unregistered on close as well.
    """

    def __init__(self, engine: Engine, purpose: str, serial: int) -> None:
        if not _PURPOSE.match(purpose):
            raise ValueError(f"scratch purpose must be lower-case letters and digits, got {purpose!r}")
        self._engine = engine
        self._prefix = f"{SCRATCH_PREFIX}{purpose}_{serial}_"
        self._names: dict[str, None] = {}
        self._registered: dict[str, None] = {}
        self._closed = False

    def name(self, part: str) -> str:
        """The name of relation ``part`` in this scratch (lower-case letters, digits, ``_``)."""
        if not _PART.match(part):
            raise ValueError(f"scratch table part must match [a-z0-9_]+, got {part!r}")
        if self._closed:
            raise RuntimeError(f"scratch {self._prefix!r} is closed")
        full = self._prefix + part
        self._names[full] = None
        return full

    def __getattr__(self, part: str) -> str:
        if part.startswith("_"):
            raise AttributeError(part)
        return self.name(part)

    def register(self, part: str, table: pa.Table | pa.RecordBatch) -> str:
        """Expose an Arrow table as ``self.name(part)``; returns the name."""
        full = self.name(part)
        self._engine.register(full, table)
        self._registered[full] = None
        return full

    def unregister(self, name: str) -> None:
        """Withdraw an Arrow table registered through :meth:`register` (by full name) before the scratch closes."""
        if name in self._registered:
            del self._registered[name]
            self._engine.unregister(name)

    def handed_out(self) -> list[str]:
        """Every name handed out so far."""
        return list(self._names)

    def close(self) -> None:
        """Drop every relation handed out (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for name in list(self._registered):
            with suppress(Exception):
                self._engine.unregister(name)
        self._registered.clear()
        self._engine.drop_relations(list(self._names))

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
