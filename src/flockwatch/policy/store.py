"""The policy store: SQLite tables of the state-media registry, determinations, offboarding notices and appeals.

Consumes a :class:`~flockwatch.workspace.Workspace` (its ``ops_path``, ``ops.sqlite``; an in-memory SQLite for
in-memory workspaces) and produces an open ``sqlite3.Connection`` at the newest policy schema version.

Other modules share ``ops.sqlite`` (cases, review), so every table here is prefixed ``media_`` / ``policy_`` and
this package keeps its own version table, ``policy_schema`` (one row per applied migration, by name). To change the
schema append a migration to ``MIGRATIONS``; never edit an applied one.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flockwatch.errors import WorkspaceError


@dataclass(frozen=True)
class Migration:
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_registry",
        (
            """CREATE TABLE media_outlets (
                 outlet_id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 name_key TEXT NOT NULL,
                 country_code TEXT NOT NULL,
                 kind TEXT NOT NULL DEFAULT 'media',
                 parent_id INTEGER REFERENCES media_outlets(outlet_id),
                 owner_chain_json TEXT NOT NULL DEFAULT '[]',
                 aliases_json TEXT NOT NULL DEFAULT '[]',
                 origin TEXT NOT NULL,
                 created_at TEXT NOT NULL,
                 UNIQUE (name_key, country_code))""",
            # asset kinds: domain (value = registrable host), account (platform + lower-cased handle),
            # person (a named person, optionally with an account: platform + handle)
            """CREATE TABLE media_assets (
                 asset_id INTEGER PRIMARY KEY,
                 outlet_id INTEGER NOT NULL REFERENCES media_outlets(outlet_id),
                 kind TEXT NOT NULL,
                 platform TEXT NOT NULL DEFAULT '',
                 value TEXT NOT NULL,
                 display TEXT NOT NULL,
                 role TEXT NOT NULL DEFAULT 'outlet',
                 person_name TEXT,
                 source TEXT NOT NULL,
                 created_at TEXT NOT NULL,
                 UNIQUE (outlet_id, kind, platform, value))""",
            "CREATE INDEX media_assets_lookup ON media_assets (kind, platform, value)",
            # facts are append-only: a change inserts a new fact and points the old one at it (superseded_by)
            """CREATE TABLE media_facts (
                 fact_id INTEGER PRIMARY KEY,
                 outlet_id INTEGER NOT NULL REFERENCES media_outlets(outlet_id),
                 kind TEXT NOT NULL,
                 value_json TEXT NOT NULL,
                 source TEXT NOT NULL,
                 source_url TEXT,
                 source_date TEXT NOT NULL,
                 confidence REAL NOT NULL,
                 note TEXT,
                 recorded_at TEXT NOT NULL,
                 superseded_by INTEGER REFERENCES media_facts(fact_id),
                 appeal_id INTEGER,
                 contests_fact_id INTEGER REFERENCES media_facts(fact_id))""",
            "CREATE INDEX media_facts_outlet ON media_facts (outlet_id, kind)",
            """CREATE TABLE policy_determinations (
                 determination_id INTEGER PRIMARY KEY,
                 outlet_id INTEGER NOT NULL REFERENCES media_outlets(outlet_id),
                 policy_id TEXT NOT NULL,
                 policy_version INTEGER NOT NULL,
                 outcome TEXT NOT NULL,
                 effects_json TEXT NOT NULL,
                 reasons_json TEXT NOT NULL,
                 facts_used_json TEXT NOT NULL,
                 facts_ignored_json TEXT NOT NULL,
                 effective_on TEXT NOT NULL,
                 created_at TEXT NOT NULL,
                 decided_by TEXT NOT NULL,
                 supersedes INTEGER REFERENCES policy_determinations(determination_id),
                 appeal_id INTEGER)""",
            "CREATE INDEX policy_determinations_outlet ON policy_determinations (policy_id, outlet_id, effective_on)",
            """CREATE TABLE policy_offboarding (
                 offboarding_id INTEGER PRIMARY KEY,
                 outlet_id INTEGER NOT NULL REFERENCES media_outlets(outlet_id),
                 policy_id TEXT NOT NULL,
                 determination_id INTEGER NOT NULL REFERENCES policy_determinations(determination_id),
                 notice_on TEXT NOT NULL,
                 window_days INTEGER NOT NULL,
                 ends_on TEXT NOT NULL,
                 notice_text TEXT NOT NULL)""",
            """CREATE TABLE policy_appeals (
                 appeal_id INTEGER PRIMARY KEY,
                 determination_id INTEGER NOT NULL REFERENCES policy_determinations(determination_id),
                 outlet_id INTEGER NOT NULL REFERENCES media_outlets(outlet_id),
                 filed_on TEXT NOT NULL,
                 filed_by TEXT NOT NULL,
                 grounds TEXT NOT NULL,
                 evidence_fact_ids_json TEXT NOT NULL,
                 status TEXT NOT NULL DEFAULT 'filed',
                 reviewer TEXT,
                 review_note TEXT,
                 reviewed_at TEXT,
                 new_determination_id INTEGER REFERENCES policy_determinations(determination_id))""",
        ),
    ),
    Migration(
        "0002_matrix_imports",
        (
            # one row per imported Matrix snapshot: re-importing the same content is a no-op, a new snapshot is not
            """CREATE TABLE media_imports (
                 import_id INTEGER PRIMARY KEY,
                 content_sha256 TEXT NOT NULL UNIQUE,
                 file_name TEXT NOT NULL,
                 snapshot_date TEXT NOT NULL,
                 imported_at TEXT NOT NULL)""",
        ),
    ),
    Migration(
        "0003_registry_provenance",
        (
            # where an import came from: 'shipped' (the data inside flockwatch) or 'file'; provenance_json names the
            # Matrix snapshot and the curated-facts version, so every answer can say what it rests on
            "ALTER TABLE media_imports ADD COLUMN origin TEXT NOT NULL DEFAULT 'file'",
            "ALTER TABLE media_imports ADD COLUMN provenance_json TEXT NOT NULL DEFAULT '{}'",
            # at most one row (setup_id = 1): the first-use setup of the shipped registry happened (or was declined).
            # The primary key makes "imported once" a property of the store: two processes racing to set up the same
            # store cannot both insert the row, whichever database holds it (SQLite now, PostgreSQL for teams).
            """CREATE TABLE media_registry_setup (
                 setup_id INTEGER PRIMARY KEY CHECK (setup_id = 1),
                 status TEXT NOT NULL,
                 provenance_json TEXT NOT NULL,
                 recorded_at TEXT NOT NULL)""",
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

# In-memory workspaces have no ops.sqlite; keep one in-memory database per workspace object so that every
# Registry opened on the same workspace sees the same store.
_MEMORY: weakref.WeakKeyDictionary[object, sqlite3.Connection] = weakref.WeakKeyDictionary()


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def connect(path: Path | None) -> sqlite3.Connection:
    """Open (and migrate) the store at ``path``; ``None`` opens a private in-memory store."""
    try:
        conn = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:  # pragma: no cover - disk trouble
        raise WorkspaceError(f"cannot open policy store {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, path)
    return conn


def connect_workspace(ws: object) -> sqlite3.Connection:
    path = getattr(ws, "ops_path", None)
    if path is not None:
        return connect(path)
    conn = _MEMORY.get(ws)
    if conn is None:
        conn = connect(None)
        _MEMORY[ws] = conn
    return conn


def applied(conn: sqlite3.Connection) -> list[str]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS policy_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    return [r[0] for r in conn.execute("SELECT name FROM policy_schema ORDER BY version")]


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Apply missing migrations in order, each in its own transaction; returns the resulting version."""
    done = applied(conn)
    known = [m.name for m in MIGRATIONS]
    if done[: len(known)] != known[: len(done)] or len(done) > len(known):
        raise WorkspaceError(
            f"policy store {path or ':memory:'} has migrations {done}, this flockwatch knows {known}; "
            "it was written by a newer or different flockwatch: upgrade flockwatch or use a fresh workspace"
        )
    for version, migration in enumerate(MIGRATIONS[len(done) :], start=len(done) + 1):
        with transaction(conn):
            for stmt in migration.statements:
                conn.execute(stmt)
            conn.execute("INSERT INTO policy_schema VALUES (?, ?, ?)", (version, migration.name, utc_now()))
    return len(MIGRATIONS)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One all-or-nothing transaction (nested calls join the outer one)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
