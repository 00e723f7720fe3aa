"""``canonical``: CSV or Parquet files already in the canonical schema of one table (``schema.py``).

Consumes a file whose columns are those of one canonical data table (``accounts``, ``actions``,
``action_hashtags``...; extra columns are ignored, missing non-key columns load as NULL). The table is the one
whose columns the header covers best, preferring a header that holds every column of the table. Parquet is read
by DuckDB; its values are cast to text first so that CSV and Parquet go through the same checks. Produces rows of
that table; a row with a missing key column or a value that does not parse as its column's type is quarantined
(Parquet lines are 1-based row numbers).
"""

from __future__ import annotations

from pathlib import Path

from flockwatch import schema
from flockwatch.core.sql import sql_literal
from flockwatch.errors import ExternalError, InputFileError
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import (
    Check,
    CsvScan,
    drop_scan,
    parses,
    q,
    required,
    scan_csv,
    split_valid,
    sql_time,
    typed_ref,
)

PARQUET_MAGIC = "PAR1"


def match_table(columns: list[str]) -> schema.Table | None:
    """The canonical data table whose key columns are all present and whose columns the header covers best."""
    have = set(columns)
    best, best_score = None, (0, 0)
    for table in schema.DATA_TABLES:
        if not set(table.key) <= have:
            continue
        covered = len(have & set(table.column_names))
        score = (int(covered == len(table.columns)), covered)
        if score > best_score:
            best, best_score = table, score
    return best


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return [n.lower() for n in pq.read_schema(path).names]
    except Exception:  # any unreadable footer means "not a Parquet file we can sniff"
        return []


def _typed(scan: CsvScan, column: schema.Column) -> str:
    raw = scan.col(column.name)
    if column.sql_type == "TIMESTAMP":
        return sql_time(raw)
    if column.sql_type == "VARCHAR":
        return raw
    return f"TRY_CAST({raw} AS {column.sql_type})"


class CanonicalReader:
    name = "canonical"
    description = "CSV or Parquet with the columns of one canonical table (accounts, actions, ...)"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        if sniff.head.startswith(PARQUET_MAGIC):
            return match_table(_parquet_columns(sniff.path)) is not None
        return match_table(sniff.header_fields) is not None

    def read(self, ctx: ReadContext) -> ReadResult:
        parquet = ctx.path.suffix.lower() == ".parquet" or _is_parquet(ctx.path)
        scan = _scan_parquet(ctx, "__canon") if parquet else scan_csv(ctx, "__canon")
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            table = match_table(scan.columns)
            if table is None:
                raise InputFileError(ctx.source_file, "columns match no canonical table: " + ", ".join(scan.columns))
            typed = {c.name: _typed(scan, c) for c in table.columns}
            if "platform" in typed and not scan.has("platform"):
                typed["platform"] = sql_literal(ctx.platform)
            checks: list[Check] = [
                required(scan.col(k), k) for k in table.key if k != "platform" or scan.has("platform")
            ]
            for col in table.columns:
                if col.sql_type != "VARCHAR" and scan.has(col.name):
                    what = {"TIMESTAMP": "a time", "BIGINT": "a whole number", "BOOLEAN": "true/false"}.get(
                        col.sql_type, col.sql_type
                    )
                    checks.append(parses(scan.col(col.name), typed_ref(col.name), col.name, what))
            if table is schema.ACTIONS:
                kinds = ", ".join(sql_literal(k) for k in schema.ACTION_KINDS)
                checks.append(
                    Check(
                        f"coalesce({scan.col('kind')}, '') NOT IN ({kinds})",
                        f"'kind: expected one of {'/'.join(schema.ACTION_KINDS)}, got ''' || "
                        f"left({scan.col('kind')}, 40) || ''''",
                    )
                )
            valid = split_valid(ctx, scan, typed, checks)
            cols = ", ".join(q(c) for c in table.column_names)
            ctx.insert(table.name, f"SELECT {cols} FROM {valid}")
            return ReadResult(scan.rows_read, [f"table {table.name}"])
        finally:
            drop_scan(ctx, "__canon")


def _is_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == PARQUET_MAGIC.encode()
    except OSError:
        return False


def _scan_parquet(ctx: ReadContext, name: str) -> CsvScan:
    """Parquet → the same shape as a CSV scan: text columns under lower-cased names (lines are row numbers)."""
    e = ctx.engine
    drop_scan(ctx, name)
    src = f"read_parquet({sql_literal(str(ctx.path))})"
    try:
        described = [r[0] for r in e.sql(f"DESCRIBE SELECT * FROM {src}").rows()]
    except ExternalError as exc:
        raise InputFileError(ctx.source_file, f"not readable as Parquet: {str(exc).splitlines()[0][:300]}") from exc
    columns: list[str] = []
    select = []
    for col in described:
        if col.lower() not in columns:
            columns.append(col.lower())
            select.append(f"CAST({q(col)} AS VARCHAR) AS {q(col.lower())}")
    e.sql(f"CREATE TEMP VIEW {name} AS SELECT {', '.join(select)} FROM {src}")
    return CsvScan(view=name, columns=columns)


READER = CanonicalReader()
