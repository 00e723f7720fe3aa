"""A workspace: one directory holding everything about one investigation.

    DIR/
      warehouse.duckdb   analytic store: canonical tables (schema.py), detection output
      ops.sqlite         operational store (flockwatch.store): registry, users, cases, audit — unless
                         FLOCKWATCH_OPS_URL names a team database (PostgreSQL); reach it with ``ws.ops()``
      runs/              per-run artefacts (reports, exports)

A new on-disk workspace starts with the shipped state-media registry (State Media Matrix, curated facts and a
determination per outlet under every shipped policy) set up once in ``ops.sqlite``; ``registry=False`` declines it
(``flockwatch init --no-registry``). In-memory workspaces start with an empty registry (tests build their own).

Consumes a directory path; produces an open :class:`Workspace` whose ``engine`` is the only door to the warehouse.
Opening checks the schema version: a workspace from a newer flockwatch, or one that needs a migration, fails with a
message that says what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flockwatch import schema
from flockwatch.engine import DuckDBEngine, Engine
from flockwatch.engine.migrations import SCHEMA_VERSION, current_version, migrate
from flockwatch.errors import UnknownNameError, WorkspaceError

if TYPE_CHECKING:  # the operational store (SQLAlchemy) is imported when first used: detection never needs it
    from flockwatch.store import Store

WAREHOUSE = "warehouse.duckdb"
OPS = "ops.sqlite"
MARKER = "flockwatch.json"


@dataclass
class TableInfo:
    name: str
    rows: int


class Workspace:
    """An open workspace. Use :meth:`open`, :meth:`create` or :meth:`memory`; close it (or use ``with``)."""

    def __init__(self, path: Path | None, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._ops: Store | None = None

    # -- opening ------------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, registry: bool = True) -> Workspace:
        """Create the workspace at ``path`` (or open it when it already exists).

        ``registry``: set up the shipped state-media registry when this workspace's store never had it (a no-op
        after the first time, whatever the flag); ``False`` on a new workspace records that it is not wanted."""
        p = Path(path)
        if p.exists() and not p.is_dir():
            raise WorkspaceError(f"{p} exists and is not a directory")
        p.mkdir(parents=True, exist_ok=True)
        (p / "runs").mkdir(exist_ok=True)
        marker = p / MARKER
        if not marker.exists():
            marker.write_text(json.dumps({"kind": "flockwatch-workspace", "layout": 1}) + "\n")
        engine: Engine = DuckDBEngine(p / WAREHOUSE)
        version = current_version(engine)
        if version > SCHEMA_VERSION:
            engine.close()
            raise _newer(p, version)
        migrate(engine)
        ws = cls(p, engine)
        try:
            ws._setup_registry(registry)
        except BaseException:
            ws.close()
            raise
        return ws

    def _setup_registry(self, wanted: bool) -> None:
        # imported here: the policy package stands beside the pipeline, and most commands never need it
        from flockwatch.policy.matrix import decline_shipped_registry, ensure_shipped_registry
        from flockwatch.policy.registry import Registry

        with Registry.open(self) as reg:
            (ensure_shipped_registry if wanted else decline_shipped_registry)(reg)

    @classmethod
    def open(cls, path: str | Path, create: bool = False, read_only: bool = False) -> Workspace:
        """Open an existing workspace; with ``create=True`` make it when missing."""
        p = Path(path)
        if not (p / WAREHOUSE).exists():
            if create:
                return cls.create(p)
            raise WorkspaceError(
                f"{p} is not a flockwatch workspace (no {WAREHOUSE}); create one with `flockwatch init {p}`"
            )
        engine: Engine = DuckDBEngine(p / WAREHOUSE, read_only=read_only)
        version = current_version(engine)
        if version > SCHEMA_VERSION:
            engine.close()
            raise _newer(p, version)
        if version < SCHEMA_VERSION:
            if read_only:
                engine.close()
                raise WorkspaceError(
                    f"{p} has schema version {version}, this flockwatch needs {SCHEMA_VERSION}; "
                    f"run `flockwatch migrate --workspace {p}` first"
                )
            migrate(engine)
        return cls(p, engine)

    @classmethod
    def memory(cls) -> Workspace:
        """A throw-away in-memory workspace (tests, notebooks)."""
        engine: Engine = DuckDBEngine.memory()
        migrate(engine)
        return cls(None, engine)

    def close(self) -> None:
        self.engine.close()

    def ops(self) -> Store:
        """The operational store: ``FLOCKWATCH_OPS_URL`` when set, else ``ops.sqlite`` in the workspace (a private
        in-memory store for an in-memory workspace, which ignores the variable: tests and notebooks stay private)."""
        if self._ops is None:
            from flockwatch.store import memory_store, open_store, workspace_url

            url = workspace_url(self.path) if self.path is not None else None
            self._ops = open_store(url) if url else memory_store()
        return self._ops

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- places -------------------------------------------------------------------------------------------------
    @property
    def ops_path(self) -> Path | None:
        """Where the operational SQLite store lives (None for in-memory workspaces)."""
        return None if self.path is None else self.path / OPS

    @property
    def runs_dir(self) -> Path | None:
        return None if self.path is None else self.path / "runs"

    # -- questions ----------------------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return current_version(self.engine)

    def tables(self) -> list[TableInfo]:
        return [TableInfo(t, self.engine.count(t)) for t in schema.CANONICAL_TABLES]

    def info(self) -> dict[str, Any]:
        """Row counts, time span of actions, quarantine summary, ingests: what `flockwatch info` prints."""
        e = self.engine
        span = e.sql("SELECT min(acted_at), max(acted_at) FROM actions").one()
        kinds = dict(e.sql("SELECT kind, count(*) FROM actions GROUP BY kind ORDER BY kind").rows())
        quarantine = [
            {"source_file": f, "reason": r, "rows": n}
            for f, r, n in e.sql(
                "SELECT source_file, reason, count(*) FROM quarantine GROUP BY ALL ORDER BY 3 DESC, 1, 2"
            ).rows()
        ]
        ingests = e.sql(
            "SELECT source_file, format, rows_read, rows_loaded, rows_quarantined FROM ingests ORDER BY started_at"
        ).dicts()
        return {
            "workspace": str(self.path) if self.path else ":memory:",
            "schema_version": self.schema_version,
            "tables": {t.name: t.rows for t in self.tables()},
            "actions_by_kind": kinds,
            "time_span": {
                "first_action_at": span[0].isoformat() if span and span[0] else None,
                "last_action_at": span[1].isoformat() if span and span[1] else None,
            },
            "quarantine": quarantine,
            "ingests": ingests,
        }

    def export(self, table: str, path: str | Path, fmt: str = "parquet") -> Path:
        """Write a canonical table to Parquet (default) or CSV."""
        if table not in schema.CANONICAL_TABLES:
            raise UnknownNameError("table", table, list(schema.CANONICAL_TABLES))
        writers = {"parquet": self.engine.to_parquet, "csv": self.engine.to_csv}
        if fmt not in writers:
            raise UnknownNameError("export format", fmt, list(writers))
        cols = ", ".join(schema.CANONICAL_TABLES[table].column_names)
        return writers[fmt](f"SELECT {cols} FROM {table}", path)


def ops_store(path: str | Path) -> Store:
    """The operational store of the workspace at ``path`` without opening its warehouse (review commands need only
    the store, and DuckDB allows one writer per file: twenty reviewers approving at once must not contend for it)."""
    from flockwatch.store import open_store, workspace_url

    p = Path(path)
    if not (p / MARKER).exists() and not (p / WAREHOUSE).exists():
        raise WorkspaceError(f"{p} is not a flockwatch workspace; create one with `flockwatch init {p}`")
    url = workspace_url(p)
    assert url is not None
    return open_store(url)


def _newer(p: Path, version: int) -> WorkspaceError:
    return WorkspaceError(
        f"{p} was written by a newer flockwatch (schema version {version}; this one knows {SCHEMA_VERSION}). "
        "Upgrade flockwatch (pip install -U flockwatch) or use a fresh workspace."
    )
