"""The SQLGlot escape hatch: DuckDB SQL rewritten where Spark would run it differently (engine/dialect.py).

These run without Spark: the rewritten forms are checked by reading them back with SQLGlot's Spark dialect, and
the arithmetic ones (``lgamma``) and the portable hash by evaluating them on DuckDB against DuckDB's own functions.
"""

from __future__ import annotations

import hashlib
import math

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.engine import DuckDBEngine, transpile
from flockwatch.engine.dialect import _LGAMMA_SPARK


def _spark(sql: str) -> str:
    out = transpile(sql, "spark")
    assert sqlglot.parse_one(out, read="spark") is not None
    return out


def test_hash_is_64_bit_on_spark():
    # Spark's hash() is 32-bit Murmur3: five million targets would collide thousands of times
    assert "XXHASH64(target)" in _spark("SELECT hash(target) FROM t")
    assert "XXHASH64(unit, b)" in _spark("SELECT hash(unit, b) FROM t")


def test_count_distinct_of_a_pair():
    assert "COUNT(DISTINCT th, b)" in _spark("SELECT count(DISTINCT (th, b)) FROM t")


def test_materialized_cte_hint_is_dropped_for_spark():
    sql = "WITH a AS MATERIALIZED (SELECT lower(x) AS y FROM t), b AS (SELECT y FROM a) SELECT * FROM b"
    out = transpile(sql, "spark")
    assert "MATERIALIZED" not in out.upper()
    assert out.startswith("WITH a AS (SELECT LOWER(x) AS y FROM t), b AS (SELECT y FROM a)")
    sqlglot.parse_one(out, read="spark")


def test_regexp_backreferences_use_java_syntax():
    out = _spark(r"SELECT regexp_replace(u, '([?&])utm_[^&]*', '\1', 'g') FROM t")
    assert "'$1'" in out
    assert r"'\$'" in _spark("SELECT regexp_replace(u, 'x', '$', 'g') FROM t").replace("\\\\", "\\")


def test_lgamma_becomes_arithmetic_within_1e_11():
    out = _spark("SELECT lgamma(k + 1) AS g FROM t")
    assert "LGAMMA" not in out.upper().replace("_LGAMMA", "")
    expr = _LGAMMA_SPARK.replace("z", "(x + 7.0)")
    worst = _scalar(
        f"SELECT max(abs({expr} - lgamma(x))) FROM (SELECT CAST(range AS DOUBLE) AS x FROM range(1, 200000))"
    )
    assert worst < 1e-8  # absolute, at values up to ~2.2e6
    small = _scalar(f"SELECT max(abs({expr} - lgamma(x))) FROM (SELECT CAST(range AS DOUBLE) AS x FROM range(1, 100))")
    assert small < 1e-11


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=12))
def test_fw_hash64_is_md5_prefix_on_duckdb(text):
    e = DuckDBEngine.memory()
    try:
        got = e.sql("SELECT fw_hash64(?)", [text]).scalar()
    finally:
        e.close()
    assert got == int(hashlib.md5(text.encode("utf-8")).hexdigest()[:15], 16)
    assert 0 <= got < 2**60


def test_fw_hash64_on_spark_is_the_same_definition():
    out = _spark("SELECT fw_hash64(s) FROM t")
    assert "CONV(SUBSTRING(MD5(s), 1, 15), 16, 10)" in out


@pytest.mark.parametrize("x", [1, 2, 10, 1000])
def test_lgamma_reference_values(x):
    expr = _LGAMMA_SPARK.replace("z", "(x + 7.0)")
    got = _scalar(f"SELECT {expr} FROM (SELECT CAST({x} AS DOUBLE) AS x)")
    assert got == pytest.approx(math.lgamma(x), abs=1e-9)


def _scalar(sql: str):
    return duckdb.sql(sql).fetchall()[0][0]
