"""The operational store: state-media registry, users, cases, actions and the audit chain, on SQLAlchemy 2.

Consumes a store URL — ``sqlite:///<workspace>/ops.sqlite`` by default, ``FLOCKWATCH_OPS_URL`` for a team
(``postgresql+psycopg://user@host:5432/db``) — and produces a migrated :class:`Store`:

    store = ws.ops()                     # the workspace's store (Workspace.ops)
    with store.begin() as conn:          # one transaction on a SQLAlchemy Connection
        conn.execute(tables.ops_users.select())
    store.connect()                      # a Connection for a caller that manages its own transactions

There is one engine per store URL per process (:func:`open_store`), and one migration history, shipped inside this
package (``migrations/``, Alembic) and applied programmatically when a store is first opened in a process. A store
written by the old sqlite3 policy store (its ``policy_schema`` table lists migrations 0001–0003) is stamped at the
matching Alembic revision and upgraded from there. Tables are defined once, in :mod:`flockwatch.store.tables`.

Errors: an unreachable or failing database raises :class:`~flockwatch.errors.ExternalError` (CLI exit 3) naming
the URL without its password; a store from a newer flockwatch raises :class:`~flockwatch.errors.WorkspaceError`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool, StaticPool

from flockwatch.errors import ExternalError, WorkspaceError

ENV_URL = "FLOCKWATCH_OPS_URL"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: the old sqlite3 store's migration names, in order, and the Alembic revision each one equals
LEGACY_REVISIONS = {
    "0001_registry": "0001_registry",
    "0002_matrix_imports": "0002_matrix_imports",
    "0003_registry_provenance": "0003_registry_provenance",
}


def utc_now() -> str:
    """Now, UTC, ISO-8601 to the second: the store's one time format (text compares the same on both backends)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # pragma: no cover - an unparsable URL is reported by open_store
        return "<unparsable store URL>"


class Store:
    """A migrated operational store. Get one from :func:`open_store`, :func:`memory_store` or ``Workspace.ops()``."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def is_team(self) -> bool:
        """True for a shared database (PostgreSQL): acting users must authenticate there."""
        return self.dialect != "sqlite"

    def connect(self) -> Connection:
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise ExternalError(f"cannot reach the operational store {safe_url(self.url)}: {_first_line(exc)}") from exc

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One all-or-nothing transaction; a database failure becomes :class:`ExternalError` (exit 3)."""
        with self.connect() as conn:
            try:
                with conn.begin():
                    yield conn
            except OperationalError as exc:
                raise ExternalError(f"operational store {safe_url(self.url)} failed: {_first_line(exc)}") from exc

    # SQLAlchemy's own name for the same thing, for callers used to Session.begin()
    session = begin

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


# -- engines ---------------------------------------------------------------------------------------------------------
_LOCK = threading.Lock()
_STORES: dict[str, Store] = {}


def _sqlite_pragmas(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # the driver's own transaction handling is off: SQLAlchemy's begin() below issues BEGIN IMMEDIATE, so a
        # writer takes the write lock at the start of its transaction and two writers never deadlock on upgrade
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        if wal:
            # readers never block the writer and the writer never blocks readers (the web console reads while a
            # bulk action writes); the mode is stored in the file, so this is a no-op after the first connection
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _make_engine(url: str) -> Engine:
    try:
        u = make_url(url)
    except Exception as exc:
        raise WorkspaceError(f"{ENV_URL}: {url!r} is not a database URL ({exc})") from exc
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        if memory:
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            # a file store opens a connection per use: SQLite opens in microseconds, and nothing is left open
            # when a command or a test ends
            engine = create_engine(url, poolclass=NullPool)
        _sqlite_pragmas(engine, wal=not memory)
        return engine
    if u.get_backend_name() == "postgresql":
        if u.get_driver_name() not in ("psycopg", ""):
            raise WorkspaceError(f"{ENV_URL}: use the psycopg driver (postgresql+psycopg://...), not {u.drivername}")
        if u.get_driver_name() == "":
            u = u.set(drivername="postgresql+psycopg")
        return create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    raise WorkspaceError(f"{ENV_URL}: {u.get_backend_name()} is not supported; use sqlite or postgresql+psycopg")


def open_store(url: str, migrate_now: bool = True) -> Store:
    """The process's store for ``url`` (one engine per URL), migrated to the newest revision on first open."""
    with _LOCK:
        st = _STORES.get(url)
        if st is None:
            st = Store(url, _make_engine(url))
            if migrate_now:
                migrate(st)
            _STORES[url] = st
        return st


def memory_store() -> Store:
    """A private, migrated in-memory SQLite store (in-memory workspaces, answers without a workspace, tests)."""
    st = Store("sqlite://", _make_engine("sqlite://"))
    migrate(st)
    return st


def close_store(url: str) -> None:
    """Dispose of the engine for ``url`` (tests that drop a database; long-lived processes switching stores)."""
    with _LOCK:
        st = _STORES.pop(url, None)
    if st is not None:
        st.dispose()


def workspace_url(path: Path | None) -> str | None:
    """The store URL for a workspace directory: ``FLOCKWATCH_OPS_URL`` when set, else its ops.sqlite."""
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return env
    return None if path is None else f"sqlite:///{path / 'ops.sqlite'}"


# -- migrations -----------------------------------------------------------------------------------------------------
def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(st: Store) -> str | None:
    from alembic.migration import MigrationContext

    with st.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(st: Store) -> str:
    """Bring the store to the newest revision (idempotent); returns it. Upgrades an old sqlite3 policy store."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        with st.engine.connect() as conn:
            cfg = _alembic_config(conn)
            script = ScriptDirectory.from_config(cfg)
            names = set(inspect(conn).get_table_names())
            current = _current(conn) if "alembic_version" in names else None
            if current is not None and not _known(script, current):
                raise WorkspaceError(
                    f"operational store {safe_url(st.url)} is at revision {current}, which this flockwatch does not "
                    "know; it was written by a newer flockwatch: upgrade flockwatch or use another store"
                )
            if current is None and "policy_schema" in names:
                _stamp_legacy(conn, cfg, st.url)
            command.upgrade(cfg, "head")
            conn.commit()
            return _current(conn) or ""
    except OperationalError as exc:
        raise ExternalError(f"cannot migrate the operational store {safe_url(st.url)}: {_first_line(exc)}") from exc
    except CommandError as exc:
        raise WorkspaceError(f"operational store {safe_url(st.url)}: {exc}") from exc
    except DBAPIError as exc:
        raise ExternalError(f"operational store {safe_url(st.url)} failed: {_first_line(exc)}") from exc


def _known(script: Any, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _current(conn: Connection) -> str | None:
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _stamp_legacy(conn: Connection, cfg: Any, url: str) -> None:
    from alembic import command

    done = [r[0] for r in conn.execute(text("SELECT name FROM policy_schema ORDER BY version"))]
    known = list(LEGACY_REVISIONS)
    if done != known[: len(done)]:
        raise WorkspaceError(
            f"operational store {safe_url(url)} has migrations {done}, this flockwatch knows {known}; "
            "it was written by a newer or different flockwatch: upgrade flockwatch or use a fresh workspace"
        )
    if done:
        command.stamp(cfg, LEGACY_REVISIONS[done[-1]])


def memory_copy(source: Store) -> Store:
    """A private in-memory copy of an in-memory SQLite store, taken with SQLite's online backup (milliseconds)."""
    if source.dialect != "sqlite":
        raise ValueError("memory_copy copies SQLite stores only")
    target = Store("sqlite://", _make_engine("sqlite://"))
    src_raw, dst_raw = source.engine.raw_connection(), target.engine.raw_connection()
    try:
        src_raw.driver_connection.backup(dst_raw.driver_connection)  # type: ignore[union-attr]
    finally:
        dst_raw.close()
        src_raw.close()
    return target
