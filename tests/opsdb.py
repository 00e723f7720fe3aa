"""PostgreSQL for the ops test suite: one database per test, the application connecting as a role without superuser
rights. Skips (with the reason) where PostgreSQL is unreachable.

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

from flockwatch.store import close_store, open_store

__all__ = ["close_store"]

HOSTPORT = os.environ.get("FLOCKWATCH_TEST_PG", "127.0.0.1:5432")
ADMIN = f"postgresql://postgres@{HOSTPORT}/postgres"
#: the application's role: LOGIN, no superuser, no CREATEDB, no CREATEROLE; owns only the test databases
APP_ROLE = "flockwatch_app"
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
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
            if not exists:
                # another test process may create it first
                with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                    conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL unreachable at {HOSTPORT}: {str(exc).strip().splitlines()[0]}"
    return None


def require_pg() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


def app_url(db: str) -> str:
    return f"postgresql+psycopg://{APP_ROLE}@{HOSTPORT}/{db}"


@cache
def _template() -> str:
    """A migrated database to copy from (one per test process; dropped when the server is reset, not before)."""
    name = f"fwtmpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE}")
    url = app_url(name)
    open_store(url)
    close_store(url)  # a template must have no open connections
    return name


def create_database() -> str:
    """A fresh, migrated database owned by the application role; returns its name."""
    require_pg()
    name = f"fwtest_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE} TEMPLATE {_template()}")
    return name


def create_database_from(template: str) -> str:
    """A fresh copy of the database ``template`` (which must have no open connections)."""
    require_pg()
    name = f"fwtest_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE} TEMPLATE {template}")
    return name


def drop_database(name: str) -> None:
    close_store(app_url(name))
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_templates() -> None:
    if unavailable() is None and _template.cache_info().currsize:
        with _admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {_template()} WITH (FORCE)")
