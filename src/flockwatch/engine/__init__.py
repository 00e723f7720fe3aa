"""The engine seam: the only package that imports an analytic engine (DuckDB now, Spark later).

Consumes SQL text (DuckDB dialect) and Arrow tables; produces Arrow tables, Python rows, Parquet files. Everything
else in flockwatch talks to the warehouse through :class:`Engine`, so a test can run the whole pipeline on DuckDB in
memory (``Engine.memory()``) and a later engine can transpile the same SQL (SQLGlot) instead of copying logic.
"""

from flockwatch.engine.duckdb_engine import Engine, Result

__all__ = ["Engine", "Result"]
