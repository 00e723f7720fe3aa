"""SQL text helpers: the one place where an identifier or a literal is pasted into SQL.

Consumes names and values; produces SQL text. Values that come from a user are *bound* (``engine.sql(q, [v])``);
only what cannot be bound — table and column names, and literals inside DDL or table functions such as
``COPY ... TO 'path'`` and ``read_csv('path', ...)`` — goes through these helpers. :func:`exact_sum` is the one
expression helper: a sum of doubles whose result does not depend on the order the engine's threads deliver rows.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str, *, force: bool = False) -> str:
    """``name`` as a SQL identifier. Names the code chose (``[A-Za-z_][A-Za-z0-9_]*``) stay as they are, so SQL
    stays readable and SQLGlot keeps them unquoted; anything else — and every name with ``force``, which callers
    use for names read from files (a CSV header may say ``date`` or ``text``, SQL keywords) — is double-quoted
    with embedded quotes doubled."""
    if not force and _PLAIN.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """The inside of a SQL string literal (single quotes doubled)."""
    return value.replace("'", "''")


def sql_literal(value: str) -> str:
    """Quote a Python string as a SQL string literal."""
    return "'" + sql_str(value) + "'"


#: fixed-point scale of :func:`exact_sum` (1e-12 of a nat or of an expected hit is far below any decision)
EXACT_SUM_SCALE = 10**12


def exact_sum(expr: str) -> str:
    """SQL ``sum(expr)`` of doubles that does not depend on the order rows arrive in: the values are rounded to
    ``1 / EXACT_SUM_SCALE`` and summed as integers (exact). A parallel floating-point sum differs in its last bits
    from run to run, which reorders accounts tied to the last bit and makes two expansions of the same data differ."""
    return f"(sum(CAST(round(({expr}) * {EXACT_SUM_SCALE}) AS BIGINT)) / {float(EXACT_SUM_SCALE)!r})"
