"""The engine seam: the only package that imports an analytic engine (DuckDB now, Spark later).

Consumes SQL text (DuckDB dialect) and Arrow tables; produces Arrow tables, Python rows, Parquet files. Everything
else in flockwatch talks to the warehouse through the :class:`Engine` interface (a ``typing.Protocol``), so a test
can run the whole pipeline on DuckDB in memory (``DuckDBEngine.memory()``) and a later engine can transpile the same
SQL (SQLGlot) instead of copying logic. Temporary relations live in per-call :class:`Scratch` namespaces
(``engine.scratch("purpose")``); identifiers that must be pasted into SQL go through :func:`quote_ident`;
:func:`transpile` turns DuckDB SQL into another engine's dialect (SQLGlot).
"""

from flockwatch.core.sql import quote_ident, sql_literal
from flockwatch.engine.base import Engine, Result, Scratch
from flockwatch.engine.dialect import transpile
from flockwatch.engine.duckdb_engine import DuckDBEngine


def open_engine(path: str | None = None, read_only: bool = False) -> Engine:
    """The default engine (DuckDB) on the database at ``path`` (in memory when None)."""
    return DuckDBEngine(path, read_only=read_only)


__all__ = ["DuckDBEngine", "Engine", "Result", "Scratch", "open_engine", "quote_ident", "sql_literal", "transpile"]
