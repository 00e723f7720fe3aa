"""Quoting for the few places where a value cannot be bound as a parameter.

Consumes Python strings; produces SQL text. Values that come from users are bound (``engine.sql(q, [value])``);
these helpers are for identifiers (table and column names chosen by the code) and for the rare statement that
takes no parameters (DuckDB's ``COPY ... TO 'path'`` and ``read_csv('path', ...)`` table functions).
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """``my "col"`` → ``"my ""col"""`` — a double-quoted SQL identifier."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """``it's`` → ``'it''s'`` — a single-quoted SQL string literal (standard SQL escaping, no backslashes)."""
    if "\x00" in value:
        raise ValueError("a SQL string literal cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"
