"""CSV scanning and row validation in SQL, shared by the CSV readers.

Consumes a :class:`ReadContext` whose file is a CSV with a header (plain or ``.gz``); produces
- a view over the file (no copy): every column ``VARCHAR`` under its lower-cased header name;
- in one streaming pass (:func:`split_valid`): a temp table of typed columns for the valid rows, and
  quarantine rows (through ``ctx.quarantine``) for every record DuckDB's CSV reader rejected (bad quoting, wrong
  column count, invalid UTF-8; DuckDB's own error is the reason, the rejected text the ``raw``) and every record
  failing a reader's check (the reason names the column and the problem, e.g. ``tweet_time: cannot parse
  '2019-13-45' as a time``);
- helpers that turn text into typed values (times, epoch seconds, host names, bracketed lists, text entities).

Parsing runs inside DuckDB (``read_csv`` streams multi-GB files in parallel without holding them in Python), so
readers stay a few SQL statements long. The dialect is fixed (comma, double quote, RFC 4180), not sniffed:
DuckDB's sniffer gives up on small files with broken lines. A file DuckDB's strict parser cannot read at all
(mixed CRLF/LF line ends) is read again from a copy with normalised line ends.

Line numbers: the 1-based record number plus one for the header, i.e. the file line for files without newlines
inside quoted fields. A quoted field spanning lines shifts every later number by the extra lines (DuckDB's rejects
table counts records the same way, so good and rejected rows agree with each other).

To add a CSV reader: ``scan = scan_csv(ctx, "__mine")``, ``scan.require(...)`` the columns it cannot do without,
``valid = split_valid(ctx, scan, typed, checks)``, ``ctx.insert(table, "SELECT ... FROM " + valid)``, and
``drop_scan(ctx, "__mine")`` in a ``finally``.
"""

from __future__ import annotations

import csv
import gzip
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from flockwatch.core.sql import quote_ident, sql_literal
from flockwatch.core.text import (
    entity_match_ok_sql,
    hashtag_from_match_sql,
    hashtag_matches_sql,
    mention_from_match_sql,
    mention_matches_sql,
    url_trim_sql,
    urls_in_sql,
)
from flockwatch.core.urls import host_sql
from flockwatch.errors import ExternalError, InputFileError
from flockwatch.ingest.base import ReadContext

#: Longest CSV record accepted; longer ones are quarantined (DuckDB needs a bound to size its buffers).
MAX_LINE_BYTES = 8 * 1024 * 1024
#: Longest value quoted back in a quarantine reason (the full row is in ``raw``).
REASON_VALUE_CHARS = 40

#: Time layouts seen in platform exports, tried in order before a generic ISO-8601 parse (with offsets → UTC).
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
)


def q(name: str) -> str:
    """Quote a column name read from a file header (always quoted: headers say ``date``, ``text``)."""
    return quote_ident(name, force=True)


@dataclass
class CsvScan:
    """The outcome of :func:`scan_csv`."""

    view: str
    """Name of the view with the rows (lower-cased header names, all VARCHAR) and ``__line``."""
    columns: list[str] = field(default_factory=list)
    rows_good: int = 0
    rows_rejected: int = 0
    empty: bool = False
    csv: bool = False
    """True when the view reads a CSV with a header (line = record number + 1, rejects table present)."""
    by_position: bool = False
    """True when the columns were named by their position, not by the header (``scan_csv(positional=...)``)."""

    @property
    def rows_read(self) -> int:
        return self.rows_good + self.rows_rejected

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def col(self, *names: str) -> str:
        """The first present column among ``names`` as a SQL expression (empty text → NULL), else ``NULL``.

        Values are not trimmed here (trimming every column costs a second per million rows); parsers of times and
        numbers trim their own input.
        """
        for n in names:
            if n in self.columns:
                return f"nullif({q(n)}, '')"
        return "CAST(NULL AS VARCHAR)"

    def require(self, path: object, *names: str) -> None:
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise InputFileError(
                path,
                f"missing required column(s) {', '.join(missing)}; header has {', '.join(self.columns) or 'nothing'}",
            )


def is_blank(ctx: ReadContext) -> bool:
    """True when the file holds nothing but whitespace (after gunzip)."""
    opener = gzip.open if ctx.path.suffix == ".gz" else open
    try:
        with opener(ctx.path, "rb") as fh:
            return not fh.read(4096).strip()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(ctx.source_file, f"cannot read: {exc}") from exc


def read_header(ctx: ReadContext) -> list[str]:
    """The header fields of the CSV at ``ctx.path`` (first line, BOM removed, gunzipped for ``.gz``)."""
    opener = gzip.open if ctx.path.suffix == ".gz" else open
    try:
        with opener(ctx.path, "rb") as fh:
            first = fh.readline(MAX_LINE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(ctx.source_file, f"cannot read: {exc}") from exc
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    try:
        return next(csv.reader([text]))
    except (csv.Error, StopIteration):
        raise InputFileError(ctx.source_file, "no readable CSV header line") from None


def scan_csv(ctx: ReadContext, name: str, positional: tuple[str, ...] = ()) -> CsvScan:
    """Define view ``name`` over the CSV at ``ctx.path`` (read lazily, once, by :func:`split_valid`).

    The view has the file's columns as VARCHAR under lower-cased header names. Reading happens in
    :func:`split_valid`, in one streaming pass.

    ``positional``: the column names of a format whose own tool reads by position and skips the header whatever
    it says (coordination-network-toolkit's CSV). When the header names none of them but has exactly that many
    fields, the columns take these names in order (``CsvScan.by_position`` is then True).
    """
    e = ctx.engine
    drop_scan(ctx, name)
    if is_blank(ctx):
        e.sql(f"CREATE TEMP VIEW {name} AS SELECT 1 AS __empty WHERE false")
        return CsvScan(view=name, empty=True)
    header = read_header(ctx)
    if not any(h.strip() for h in header):
        raise InputFileError(ctx.source_file, "the first line is not a CSV header (no column names)")
    # Header names are matched case-insensitively and without surrounding spaces; a repeated name keeps its first
    # column (later ones get a suffix and are not read by name).
    columns: list[str] = []
    for i, h in enumerate(header):
        low = h.strip().lower() or f"column{i}"
        columns.append(low if low not in columns else f"{low}__{i}")
    by_position = bool(positional) and len(columns) == len(positional) and not set(positional) & set(columns)
    if by_position:
        columns = list(positional)
    # No dialect sniffing: DuckDB's sniffer gives up on small files with broken lines, and platform exports are
    # RFC 4180 (comma, double quote doubled inside quotes).
    scan = CsvScan(view=name, columns=columns, csv=True, by_position=by_position)
    _define_view(ctx, scan, ctx.path)
    return scan


def _define_view(ctx: ReadContext, scan: CsvScan, path: Path) -> None:
    name = scan.view
    types = ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in scan.columns)
    source = (
        f"read_csv({sql_literal(str(path))}, auto_detect = false, header = true, columns = {{{types}}}, "
        f"delim = ',', quote = '\"', escape = '\"', store_rejects = true, rejects_table = '{name}_rej', "
        f"rejects_scan = '{name}_rejscan', ignore_errors = true, max_line_size = {MAX_LINE_BYTES}, "
        f"buffer_size = {4 * MAX_LINE_BYTES})"
    )
    select = ", ".join(q(c) for c in scan.columns)
    try:
        ctx.engine.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {select} FROM {source}")
    except ExternalError as exc:
        raise InputFileError(ctx.source_file, f"not readable as CSV: {str(exc).splitlines()[0][:300]}") from exc


def _normalised_newlines(ctx: ReadContext) -> Path:
    """A plain copy of the file with CRLF and lone CR line ends turned into LF.

    DuckDB's strict CSV parser fails on the whole file when line ends are mixed (a CRLF line in an LF file); the
    copy lets every line be read and judged on its own. A lone CR becomes a line end, which adds lines.
    """
    opener = gzip.open if ctx.path.suffix == ".gz" else open
    fd, tmp = tempfile.mkstemp(prefix="flockwatch-csv-", suffix=".csv")
    pending_cr = False
    with opener(ctx.path, "rb") as src, os.fdopen(fd, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 22), b""):
            if pending_cr:
                chunk = b"\r" + chunk
            pending_cr = chunk.endswith(b"\r")
            if pending_cr:
                chunk = chunk[:-1]
            dst.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        if pending_cr:
            dst.write(b"\n")
    return Path(tmp)


def _quarantine_rejects(ctx: ReadContext, rej_t: str) -> int:
    """One quarantine row per rejected line (DuckDB may report several errors for one line; the first is kept)."""
    e = ctx.engine
    if not e.sql(f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{rej_t}'").scalar():
        return 0
    e.sql(
        f"""CREATE TEMP TABLE {rej_t}_lines AS
            SELECT line, arg_min(reason, __o) AS reason, arg_min(raw, __o) AS raw FROM (
                SELECT line, byte_position AS __o,
                       'csv ' || lower(CAST(error_type AS VARCHAR))
                         || coalesce(' in column ' || column_name, '') || ': ' || error_message AS reason,
                       csv_line AS raw
                FROM {rej_t}) GROUP BY line"""
    )
    ctx.quarantine(f"SELECT line, reason, raw FROM {rej_t}_lines")
    return e.count(f"{rej_t}_lines")


def drop_scan(ctx: ReadContext, name: str, extra_tables: tuple[str, ...] = ()) -> None:
    """Free a scan's temp objects and a reader's ``extra_tables`` (best effort).

    Runs in a reader's ``finally``: after a failed statement the file's transaction refuses every statement, and
    an error here would hide the real one. What is left behind is dropped by the next :func:`scan_csv`.
    """
    e = ctx.engine
    drops = [f"DROP VIEW IF EXISTS temp.{name}_valid", f"DROP VIEW IF EXISTS temp.{name}"] + [
        f"DROP TABLE IF EXISTS temp.{t}"
        for t in (
            f"{name}_valid_all",
            f"{name}_rows",
            f"{name}_rej",
            f"{name}_rejscan",
            f"{name}_rej_lines",
            f"{name}_rej_gaps",
            *extra_tables,
        )
    ]
    for stmt in drops:
        try:
            e.sql(stmt)
        except ExternalError:
            return


# -- typed values -------------------------------------------------------------------------------------------------
def sql_time(expr: str) -> str:
    """Text → TIMESTAMP (UTC): the layouts of :data:`TIME_FORMATS`, else ISO-8601 with an offset converted to UTC.

    Archives write ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD HH:MM``: a value of exactly that length is parsed with
    that one layout first (no trim, no format list: ~25x cheaper per value), and anything it does not parse falls
    through to the general path, which gives the same result on every value the fast path accepts (the first two
    layouts of :data:`TIME_FORMATS` are tried first there too).
    """
    fmts = ", ".join(sql_literal(f) for f in TIME_FORMATS)
    fast = (
        f"CASE length({expr}) WHEN 19 THEN try_strptime({expr}, {sql_literal(TIME_FORMATS[0])}) "
        f"WHEN 16 THEN try_strptime({expr}, {sql_literal(TIME_FORMATS[1])}) END"
    )
    return (
        f"coalesce({fast}, try_strptime(trim({expr}), [{fmts}]), "
        f"CAST(TRY_CAST(trim({expr}) AS TIMESTAMPTZ) AS TIMESTAMP))"
    )


def sql_epoch_s(expr: str) -> str:
    """Epoch seconds (integer or fractional text) → TIMESTAMP (UTC); out-of-range → NULL."""
    d = f"TRY_CAST(trim({expr}) AS DOUBLE)"
    return (
        f"CASE WHEN {d} BETWEEN -62135596800 AND 253402300799 "
        f"THEN make_timestamp(CAST(round({d} * 1000000) AS BIGINT)) END"
    )


def sql_list_items(expr: str) -> str:
    """A bracketed list string (``[a, b]``, ``['a', 'b']``, ``[]``) → list of its items without quotes.

    Items are the runs of characters other than brackets, commas, quotes and spaces: ids, hashtags and URLs have
    none of those (a URL with a comma is split there). A regex is twice as fast here as split-and-trim lambdas.
    """
    return f"regexp_extract_all({expr}, '[^\\[\\],''\"\\s]+')"


def sql_reason_value(expr: str) -> str:
    """The offending value as quoted in a reason: at most :data:`REASON_VALUE_CHARS` characters."""
    return (
        f"'''' || CASE WHEN length({expr}) > {REASON_VALUE_CHARS} "
        f"THEN left({expr}, {REASON_VALUE_CHARS}) || '...' ELSE {expr} END || ''''"
    )


def sql_csv_row(columns: list[str]) -> str:
    """The row's fields joined back into one CSV line (quoted where needed): the ``raw`` of a quarantined row."""
    parts = [
        f"CASE WHEN {q(c)} IS NULL THEN '' WHEN regexp_matches({q(c)}, '[\",\\n\\r]') "
        f"THEN '\"' || replace({q(c)}, '\"', '\"\"') || '\"' ELSE {q(c)} END"
        for c in columns
    ]
    return " || ',' || ".join(parts) if parts else "''"


# -- validation ---------------------------------------------------------------------------------------------------
@dataclass
class Check:
    """A rule a row must pass: ``bad`` (SQL, true when broken) and the ``reason`` (SQL text expression)."""

    bad: str
    reason: str


def required(column_sql: str, name: str) -> Check:
    return Check(f"{column_sql} IS NULL", sql_literal(f"{name}: missing"))


def parses(raw_sql: str, typed_sql: str, name: str, what: str) -> Check:
    """A present value must parse: ``name: cannot parse 'value' as a <what>``.

    ``typed_sql`` is the parsed value, preferably :func:`typed_ref` of a typed column (computed once).
    """
    return Check(
        f"{raw_sql} IS NOT NULL AND {typed_sql} IS NULL",
        f"{sql_literal(name + ': cannot parse ')} || {sql_reason_value(raw_sql)} || {sql_literal(' as ' + what)}",
    )


def typed_ref(name: str) -> str:
    """Inside a :class:`Check`, the already computed typed column ``name`` (so a check never recomputes it)."""
    return q("__t_" + name)


def split_valid(ctx: ReadContext, scan: CsvScan, typed: dict[str, str], checks: list[Check]) -> str:
    """Read the scan once: typed columns per row; failing rows and rejected lines → ``ctx.quarantine``.

    Returns a temp view with the typed columns and ``__line`` of the rows that passed every check, in file order.
    The first failing check names the reason. Checks may refer to typed columns through :func:`typed_ref`.
    Sets ``scan.rows_good`` / ``scan.rows_rejected``.
    """
    e = ctx.engine
    out, all_t = f"{scan.view}_valid", f"{scan.view}_valid_all"
    e.sql(f"DROP VIEW IF EXISTS temp.{out}")
    e.sql(f"DROP TABLE IF EXISTS temp.{all_t}")
    # Typed columns get a private prefix inside, so they may share a name with a source column.
    typed_sql = ", ".join(f"{expr} AS {typed_ref(name)}" for name, expr in typed.items())
    reason = "NULL" if not checks else ("CASE " + " ".join(f"WHEN {c.bad} THEN {c.reason}" for c in checks) + " END")
    inner_names = ", ".join(f"{typed_ref(n)} AS {q(n)}" for n in typed)
    names = ", ".join(q(n) for n in typed)
    raw = sql_csv_row(scan.columns)
    # DuckDB keeps insertion order, so the new table's rowid is the record number (0-based) among the records the
    # CSV reader accepted: no row_number() pass (it would serialise the parallel scan).
    create = f"""CREATE OR REPLACE TEMP TABLE {all_t} AS
        SELECT {inner_names}, __reason, CASE WHEN __reason IS NOT NULL THEN {raw} END AS __raw
        FROM (SELECT *, {reason} AS __reason FROM (SELECT *, {typed_sql} FROM {scan.view}))"""
    try:
        e.sql(create)
    except ExternalError as exc:
        if not scan.csv:
            raise InputFileError(ctx.source_file, f"not readable: {str(exc).splitlines()[0][:300]}") from exc
        copy = _normalised_newlines(ctx)
        try:
            for t in (f"{scan.view}_rej", f"{scan.view}_rejscan"):
                e.sql(f"DROP TABLE IF EXISTS temp.{t}")
            _define_view(ctx, scan, copy)
            e.sql(create)
        except ExternalError as exc2:
            raise InputFileError(ctx.source_file, f"not readable as CSV: {str(exc2).splitlines()[0][:300]}") from exc2
        finally:
            copy.unlink(missing_ok=True)
    scan.rows_good = e.count(all_t)
    header = 1 if scan.csv else 0
    line = f"__k + {header}"
    if scan.csv:
        scan.rows_rejected = _quarantine_rejects(ctx, f"{scan.view}_rej")
        if scan.rows_rejected:
            line = _line_after_rejects(ctx, scan.view)
    gaps = f"{scan.view}_rej_gaps"
    join = f"ASOF LEFT JOIN {gaps} g ON a.__k > g.gap" if line != f"__k + {header}" else ""
    # The quarantine (the file's first write, which opens its transaction) comes after the fallible scan above.
    ctx.quarantine(
        f"""SELECT {line} AS line, __reason AS reason, __raw AS raw
            FROM (SELECT *, rowid + 1 AS __k FROM {all_t} WHERE __reason IS NOT NULL) a {join}"""
    )
    # Valid rows keep their record number + header as __line: exact without rejects, order-preserving always.
    e.sql(
        f"CREATE TEMP VIEW {out} AS SELECT {names}, rowid + 1 + {header} AS __line FROM {all_t} WHERE __reason IS NULL"
    )
    return out


def _line_after_rejects(ctx: ReadContext, view: str) -> str:
    """SQL for the line of accepted record ``a.__k`` when some records were rejected (needs the gaps join).

    Accepted record k (1-based) comes after every rejected record i (1-based, at line r_i) with r_i - i - 1 < k;
    the ASOF join on that running gap counts them.
    """
    ctx.engine.sql(
        f"""CREATE TEMP TABLE {view}_rej_gaps AS
            SELECT r - i - 1 AS gap, max(i) AS n_before FROM (
                SELECT line AS r, row_number() OVER (ORDER BY line) AS i FROM {view}_rej_lines) GROUP BY ALL"""
    )
    return "a.__k + 1 + coalesce(g.n_before, 0)"


# -- shared row → table helpers -------------------------------------------------------------------------------------
def sql_pseudonymised(account_id: str) -> str:
    """True for ids that look like hashes (32+ hex digits or long base64-ish tokens), NULL when it cannot tell."""
    return f"CASE WHEN regexp_full_match({account_id}, '[0-9a-fA-F]{{32,}}|[A-Za-z0-9+/=_-]{{40,}}') THEN true END"


def explode_text_entities(
    ctx: ReadContext,
    valid: str,
    text: str = "text",
    *,
    urls: bool = True,
    mentions: bool = True,
    hashtags: bool = True,
    where: str = "true",
) -> None:
    """Hashtags (keys), URLs (with host) and @mentions written in ``text`` of ``valid`` → entity tables, for the rows
    of ``valid`` where ``where`` holds (what a tweet's entities would hold when a file has none).

    The rules are core.text's (Unicode-aware; twitter-text is the reference), so a ``#香港警察`` in a CSV arrives as
    it would from the platform's own entities.
    """
    platform = sql_literal(ctx.platform)
    # per entity table: a cheap LIKE prefilter on the raw text, then the entities of each distinct text (``e.v``)
    marked = (
        (hashtags, "action_hashtags", "hashtag", ("#", "＃"), hashtag_matches_sql, hashtag_from_match_sql),
        (mentions, "action_mentions", "mentioned_account_id", ("@", "＠"), mention_matches_sql, mention_from_match_sql),
    )
    for wanted, table, column, marks, matches_sql, from_match_sql in marked:
        if not wanted:
            continue
        like = " OR ".join(f"{text} LIKE '%{m}%'" for m in marks)
        entities = f"""SELECT __t, {from_match_sql("m")} AS v FROM (
                           SELECT __t, unnest({matches_sql("__t")}) AS m FROM __texts)
                       WHERE {entity_match_ok_sql("m")}"""
        select = f"{platform} AS platform, s.action_id, e.v AS {column}"
        ctx.insert(
            table, _per_distinct_text(valid, text, f"({where}) AND ({like})", entities, select), unique_keys=True
        )
    if urls:
        entities = f"""SELECT __t, v, {host_sql("v")} AS domain FROM (
                           SELECT __t, {url_trim_sql(f"unnest({urls_in_sql('__t')})")} AS v FROM __texts)"""
        select = f"{platform} AS platform, s.action_id, e.v AS url, e.domain"
        ctx.insert(
            "action_urls",
            _per_distinct_text(valid, text, f"({where}) AND {text} LIKE '%http%'", entities, select),
            unique_keys=True,
        )


def _per_distinct_text(valid: str, text: str, where: str, entities_sql: str, select: str) -> str:
    """``SELECT DISTINCT {select}`` over the rows of ``valid`` matching ``where`` joined (``s``) to the entities
    ``entities_sql`` (``e``: ``__t`` plus entity columns, reading ``__texts(__t)``) found in their text.

    The regular expressions run once per distinct text, not once per row: retweets and templated posts repeat their
    text (the 5M-row retweet log of ``evaluate.retweet_log``: 10,000 distinct texts in 1.47M messages), and the
    join back costs less than the matching it saves. MATERIALIZED keeps DuckDB from inlining the matching into
    each use of its columns.
    """
    return f"""WITH s AS (SELECT action_id, {text} AS __t FROM {valid} WHERE ({where})),
                    __texts AS (SELECT DISTINCT __t FROM s),
                    e AS MATERIALIZED ({entities_sql})
               SELECT DISTINCT {select} FROM s JOIN e USING (__t)"""


def insert_min_accounts(
    ctx: ReadContext, valid: str, account_id: str = "account_id", screen_name: str = "NULL"
) -> None:
    """Accounts known only by id (and maybe handle) from an activity file: one row per id, first row wins."""
    ctx.insert(
        "accounts",
        # the first row per account: the smallest (line, handle) struct (structs compare field by field), one hash
        # aggregation rather than a window sorted per account
        f"""SELECT {sql_literal(ctx.platform)} AS platform, a AS account_id, first.s AS screen_name,
                   {sql_pseudonymised("a")} AS id_is_pseudonymised FROM (
                SELECT {account_id} AS a, min({{'l': __line, 's': {screen_name}}}) AS first FROM {valid}
                GROUP BY {account_id})""",
        ["platform", "account_id", "screen_name", "id_is_pseudonymised"],
        unique_keys=True,
    )
