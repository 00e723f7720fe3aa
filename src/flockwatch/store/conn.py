"""A connection for modules that speak portable SQL text with ``?`` placeholders (the state-media registry).

Consumes a :class:`~flockwatch.store.Store`; produces :class:`OpsConnection`, whose ``execute(sql, params)`` binds
every value (``?`` become named SQLAlchemy binds; values are never pasted) and returns fully fetched rows that can
be read by position or by column name. ``transaction()`` is one all-or-nothing transaction; nested calls join the
outer one. A read outside a transaction ends at once, so an idle handle never holds a lock (SQLite) or sits idle in
a transaction (PostgreSQL).

SQL written for this connection must run on SQLite and PostgreSQL: ``ON CONFLICT DO NOTHING`` rather than ``INSERT
OR IGNORE``, ``RETURNING`` rather than ``lastrowid``, and :meth:`OpsConnection.json_field` for JSON lookups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from flockwatch.errors import ExternalError
from flockwatch.store import Store, _first_line, safe_url

# a ? outside quoted strings
_QMARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")


class Rec(tuple[Any, ...]):
    """A fetched row: ``r[0]`` and ``r["column"]`` both work; ``dict(r)`` gives column → value."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Rec:
        obj = super().__new__(cls, values)
        obj._index = index
        return obj

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


class Rows(list[Rec]):
    """Fetched rows with the sqlite3-style ``fetchone`` / ``fetchall``."""

    def fetchone(self) -> Rec | None:
        return self[0] if self else None

    def fetchall(self) -> list[Rec]:
        return list(self)


def _bind(sql: str, params: Sequence[Any] | None) -> tuple[Any, dict[str, Any]]:
    values = list(params or ())
    names: list[str] = []

    def sub(m: re.Match[str]) -> str:
        if m.group(0) != "?":
            return m.group(0)
        names.append(f"p{len(names)}")
        return f":{names[-1]}"

    # a literal ':' would be read as a bind by text(); the SQL here has none outside quotes, and quotes are kept
    out = _QMARK.sub(sub, sql)
    if len(names) != len(values):
        raise ValueError(f"{len(names)} placeholders but {len(values)} values in: {sql[:80]}")
    return text(out), dict(zip(names, values, strict=True))


class OpsConnection:
    """One handle on a store for textual SQL; see the module docstring."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._conn: Connection | None = None
        self._depth = 0

    @property
    def dialect(self) -> str:
        return self.store.dialect

    def _c(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.store.connect()
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Rows:
        stmt, binds = _bind(sql, params)
        conn = self._c()
        try:
            result = conn.execute(stmt, binds)
            if result.returns_rows:
                index = {k: i for i, k in enumerate(result.keys())}
                rows = Rows(Rec(tuple(r), index) for r in result)
            else:
                rows = Rows()
            if self._depth == 0:
                conn.commit()
        except OperationalError as exc:
            raise ExternalError(f"operational store {safe_url(self.store.url)} failed: {_first_line(exc)}") from exc
        except BaseException:
            if self._depth == 0 and conn.in_transaction():
                conn.rollback()
            raise
        return rows

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        stmt, _ = _bind(sql, rows[0])
        names = [f"p{i}" for i in range(len(rows[0]))]
        with self.transaction():
            self._c().execute(stmt, [dict(zip(names, r, strict=True)) for r in rows])

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[OpsConnection]:
        """One all-or-nothing transaction (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        conn = self._c()
        if conn.in_transaction():
            conn.commit()
        self._depth = 1
        try:
            with conn.begin():
                yield self
        except OperationalError as exc:
            raise ExternalError(f"operational store {safe_url(self.store.url)} failed: {_first_line(exc)}") from exc
        finally:
            self._depth = 0

    def json_field(self, column: str, key: str) -> str:
        """SQL for the text value of top-level ``key`` in a JSON text column (``key`` is a literal identifier)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or not re.fullmatch(r"[A-Za-z_.]+", column):
            raise ValueError(f"bad JSON field {column}.{key}")
        if self.dialect == "postgresql":
            return f"(({column})::json ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
