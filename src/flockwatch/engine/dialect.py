"""DuckDB SQL as other engines read it: the SQLGlot escape hatch of the engine seam.

Consumes SQL text in DuckDB dialect (what detectors and stages write); produces the same statement in another
SQLGlot dialect (``spark`` for the distributed engine). :class:`FlockDuckDB` is SQLGlot's DuckDB dialect plus the
DuckDB functions flockwatch uses that SQLGlot's parser leaves opaque (``epoch_us``: microseconds since the epoch,
which SQLGlot itself *writes* for DuckDB but does not read back), so they transpile to the target's own function
(Spark ``unix_micros``) instead of passing through as an unknown name.

Extending: when a detector needs another DuckDB function, map it here and the detector contract suite checks that
its Spark form is valid.
"""

from __future__ import annotations

from typing import Any

#: SQLGlot expression node names that only DuckDB accepts; the contract suite rejects them in transpiled SQL.
DUCKDB_ONLY_NODES = ("Qualify", "Lambda", "OnConflict", "AsOfJoin")


def _dialect() -> Any:
    from sqlglot import exp
    from sqlglot.dialects.duckdb import DuckDB

    class FlockDuckDB(DuckDB):
        class Parser(DuckDB.Parser):  # type: ignore[valid-type,misc]
            FUNCTIONS = {**DuckDB.Parser.FUNCTIONS, "EPOCH_US": exp.UnixMicros.from_arg_list}  # noqa: RUF012  (SQLGlot's own pattern)

    return FlockDuckDB


def transpile(sql: str, write: str, pretty: bool = False) -> str:
    """``sql`` (DuckDB dialect, one statement) in dialect ``write`` (e.g. ``"spark"``)."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read=_dialect())
    return str(tree.sql(dialect=write, pretty=pretty))
