"""SQL text helpers of the engine seam: the one place where an identifier or a literal is pasted into SQL.

Consumes names and values; produces SQL text. Values that come from a user are *bound* (``engine.sql(q, [v])``);
only what cannot be bound — table and column names, and literals inside DDL such as ``COPY ... TO 'path'`` — goes
through these helpers.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """``name`` as a SQL identifier: plain names stay as they are (so SQL stays readable and SQLGlot keeps them
    unquoted), anything else is double-quoted with embedded quotes doubled."""
    if _PLAIN.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """The inside of a SQL string literal (single quotes doubled)."""
    return value.replace("'", "''")


def sql_literal(value: str) -> str:
    """Quote a Python string as a SQL string literal."""
    return "'" + sql_str(value) + "'"
