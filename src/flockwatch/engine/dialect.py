"""DuckDB SQL as other engines read it: the SQLGlot escape hatch of the engine seam.

Consumes SQL text in DuckDB dialect (what detectors and stages write); produces the same statement in another
SQLGlot dialect (``spark`` for the distributed engine). :class:`FlockDuckDB` is SQLGlot's DuckDB dialect plus the
DuckDB functions flockwatch uses that SQLGlot's parser leaves opaque (``epoch_us``: microseconds since the epoch,
which SQLGlot itself *writes* for DuckDB but does not read back), so they transpile to the target's own function
(Spark ``unix_micros``) instead of passing through as an unknown name.

For Spark, :func:`transpile` also rewrites what SQLGlot carries over literally but Spark *runs* differently:

* ``hash(x, ...)`` → ``xxhash64(x, ...)``: DuckDB's hash is 64-bit, Spark's ``hash`` is 32-bit Murmur3, which at
  five million targets would merge thousands of them (the kernel joins on target hashes). The two 64-bit hashes
  differ in value, so hash values may only be compared within one engine (the kernel's do); a value that must be
  the same on every engine (MinHash shingles) uses ``fw_hash64`` instead.
* ``fw_hash64(x)``: a 60-bit hash defined identically on both engines (the first 15 hex digits of MD5 of the UTF-8
  bytes); DuckDB gets it as a temporary macro (``duckdb_engine.PORTABLE_MACROS``).
* ``count(DISTINCT (a, b))`` → ``count(DISTINCT a, b)`` (Spark reads a parenthesised pair as a struct only in
  some positions).
* ``lgamma(x)`` → Stirling's series in SQL arithmetic (Spark has no lgamma; within 1e-11 of DuckDB's for x >= 1,
  which is where calibration uses it).
* ``regexp_replace`` back-references ``\\1`` → ``$1`` (Java's replacement syntax; a literal ``$`` is escaped).
* ``WITH x AS MATERIALIZED (...)`` → ``WITH x AS (...)``: a DuckDB planning hint (compute the CTE once instead of
  inlining its expressions wherever a column is used) that Spark's parser rejects; Spark plans the CTE itself.

Extending: when a detector needs another DuckDB function, map it here and the detector contract suite checks that
its Spark form is valid; the Spark parity suite (tests/engine/test_spark_parity.py) checks that it means the same.
"""

from __future__ import annotations

import re
from typing import Any

#: SQLGlot expression node names that only DuckDB accepts; the contract suite rejects them in transpiled SQL.
DUCKDB_ONLY_NODES = ("Qualify", "Lambda", "OnConflict", "AsOfJoin")

#: DuckDB definition of the portable hash (kept next to its Spark form below, which must agree bit for bit).
FW_HASH64_DUCKDB = "CAST(('0x' || substr(md5(x), 1, 15)) AS BIGINT)"


def _dialect() -> Any:
    from sqlglot import exp
    from sqlglot.dialects.duckdb import DuckDB

    class FlockDuckDB(DuckDB):
        class Parser(DuckDB.Parser):  # type: ignore[valid-type,misc]
            FUNCTIONS = {**DuckDB.Parser.FUNCTIONS, "EPOCH_US": exp.UnixMicros.from_arg_list}  # noqa: RUF012  (SQLGlot's own pattern)

    return FlockDuckDB


_BACKREF = re.compile(r"\\(\d)")


def _spark_node(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        fname = str(node.name).lower()
        if fname == "hash":
            return exp.Anonymous(this="XXHASH64", expressions=list(node.expressions))
        if fname == "lgamma":
            (arg,) = node.expressions
            return _lgamma_spark(arg)
        if fname == "fw_hash64":
            (arg,) = node.expressions
            hexpart = exp.Substring(this=exp.MD5(this=arg), start=exp.Literal.number(1), length=exp.Literal.number(15))
            conv = exp.Anonymous(this="CONV", expressions=[hexpart, exp.Literal.number(16), exp.Literal.number(10)])
            return exp.Cast(this=conv, to=exp.DataType.build("BIGINT"))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return node
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
        items = node.this.expressions
        if len(items) == 1 and isinstance(items[0], exp.Tuple):
            return exp.Count(this=exp.Distinct(expressions=list(items[0].expressions)))
    if isinstance(node, exp.RegexpReplace):
        repl = node.args.get("replacement")
        if isinstance(repl, exp.Literal) and repl.is_string:
            text = str(repl.this).replace("$", "\\$")
            node.set("replacement", exp.Literal.string(_BACKREF.sub(r"$\1", text)))
    return node


#: ln Γ(x) for x >= 1 as SQL arithmetic: Stirling's series at z = x + 7 (absolute error below 1e-11), shifted back
#: by ln(x (x+1) ... (x+6)). Spark SQL has no lgamma; calibration needs it on counts + 1 only.
_LGAMMA_SPARK = (
    "((z - 0.5) * LN(z) - z + 0.9189385332046728 + 1.0 / (12.0 * z) - 1.0 / (360.0 * POWER(z, 3))"
    " + 1.0 / (1260.0 * POWER(z, 5)) - 1.0 / (1680.0 * POWER(z, 7))"
    " - LN(x * (x + 1) * (x + 2) * (x + 3) * (x + 4) * (x + 5) * (x + 6)))"
)


def _lgamma_spark(arg: Any) -> Any:
    import sqlglot
    from sqlglot import exp

    x = exp.Cast(this=arg.copy(), to=exp.DataType.build("DOUBLE"))
    z = exp.Paren(this=exp.Add(this=x.copy(), expression=exp.Literal.number(7)))
    template = sqlglot.parse_one(_LGAMMA_SPARK.replace("z", "__z__").replace("x", "__x__").replace("e__x__p", "exp"))

    def fill(node: Any) -> Any:
        if isinstance(node, exp.Column) and node.name == "__z__":
            return z.copy()
        if isinstance(node, exp.Column) and node.name == "__x__":
            return x.copy()
        return node

    return template.transform(fill)


def transpile(sql: str, write: str, pretty: bool = False) -> str:
    """``sql`` (DuckDB dialect, one statement) in dialect ``write`` (e.g. ``"spark"``)."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read=_dialect())
    if write == "spark":
        tree = tree.transform(_spark_node)
    return str(tree.sql(dialect=write, pretty=pretty))
