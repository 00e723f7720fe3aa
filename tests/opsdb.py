"""PostgreSQL for the ops test suite: one database per test, the application connecting as a role without superuser
rights. Skips (with the reason) where PostgreSQL is unreachable.

Two roles, neither a superuser: ``flockwatch_owner`` owns each database and runs the migrations, as a team's DBA
would; ``flockwatch_app`` is what flockwatch connects as, granted row access by
:func:`flockwatch.store.roles.grant_app_role` (SELECT and INSERT only on the audit log).

The server is ``FLOCKWATCH_TEST_PG`` (default ``127.0.0.1:5432``, trust authentication, as on every project machine
and in CI). Databases are created as ``postgres`` from a per-process template that already holds the migrated
schema (``CREATE DATABASE ... TEMPLATE``), so a fresh database costs tens of milliseconds, not a migration run.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from functools import cache

import pytest

from flockwatch.store import close_store, open_store, workspace_url
from flockwatch.store.roles import grant_app_role

__all__ = ["close_store"]

HOSTPORT = os.environ.get("FLOCKWATCH_TEST_PG", "127.0.0.1:5432")
ADMIN = f"postgresql://postgres@{HOSTPORT}/postgres"
#: the application's role: LOGIN, no superuser, no CREATEDB, no CREATEROLE, owns nothing
APP_ROLE = "flockwatch_app"
#: the owner of the test databases and their tables (runs the migrations); not a superuser either
OWNER_ROLE = "flockwatch_owner"
BACKENDS = ("sqlite", "postgresql")


def _admin():
    import psycopg

    return psycopg.connect(ADMIN, autocommit=True, connect_timeout=3)


@cache
def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here (None when they can); creates the application role once."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a runtime dependency
        return "psycopg is not installed"
    try:
        with _admin() as conn:
            for role in (APP_ROLE, OWNER_ROLE):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
                if not exists:
                    # another test process may create it first
                    with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL unreachable at {HOSTPORT}: {str(exc).strip().splitlines()[0]}"
    return None


def require_pg() -> None:
    """Skip without PostgreSQL, or fail where it must be there (CI sets FLOCKWATCH_REQUIRE_PG=1)."""
    reason = unavailable()
    if reason:
        if os.environ.get("FLOCKWATCH_REQUIRE_PG") == "1":
            pytest.fail(f"FLOCKWATCH_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)


def app_url(db: str) -> str:
    return f"postgresql+psycopg://{APP_ROLE}@{HOSTPORT}/{db}"


def owner_url(db: str) -> str:
    return f"postgresql+psycopg://{OWNER_ROLE}@{HOSTPORT}/{db}"


@cache
def _template() -> str:
    """A migrated database to copy from (one per test process; dropped when the server is reset, not before)."""
    name = f"fwtmpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {OWNER_ROLE}")
    url = owner_url(name)
    grant_app_role(open_store(url), APP_ROLE)
    close_store(url)  # a template must have no open connections
    return name


def create_database() -> str:
    """A fresh, migrated database owned by the application role; returns its name."""
    require_pg()
    name = f"fwtest_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {OWNER_ROLE} TEMPLATE {_template()}")
    return name


def create_database_from(template: str) -> str:
    """A fresh copy of the database ``template`` (which must have no open connections)."""
    require_pg()
    name = f"fwtest_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {OWNER_ROLE} TEMPLATE {template}")
    return name


def drop_database(name: str) -> None:
    close_store(app_url(name))
    close_store(owner_url(name))
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_templates() -> None:
    if unavailable() is None and _template.cache_info().currsize:
        with _admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {_template()} WITH (FORCE)")


@contextlib.contextmanager
def workspace_backend(backend: str, monkeypatch: pytest.MonkeyPatch, workspace: os.PathLike[str] | str):
    """For one test: point ``FLOCKWATCH_OPS_URL`` at a fresh PostgreSQL database, or unset it so that ``workspace``
    keeps its SQLite store; afterwards drop that database, or close the workspace's SQLite engine."""
    db = None
    if backend == "postgresql":
        db = create_database()
        monkeypatch.setenv("FLOCKWATCH_OPS_URL", app_url(db))
    else:
        monkeypatch.delenv("FLOCKWATCH_OPS_URL", raising=False)
    try:
        yield
    finally:
        if db is not None:
            drop_database(db)
        elif url := workspace_url(workspace):
            close_store(url)
