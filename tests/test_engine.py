"""The engine seam: the protocol, scratch namespaces, bound parameters, quoting."""

from __future__ import annotations

import pyarrow as pa
import pytest

from flockwatch.engine import DuckDBEngine, Engine, Scratch, quote_ident
from flockwatch.errors import ExternalError


@pytest.fixture
def engine():
    e = DuckDBEngine.memory()
    yield e
    e.close()


def _scratch_relations(e) -> list[str]:
    return sorted(
        r[0]
        for r in e.sql("SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, '__fw_')").rows()
    )


def test_duckdb_engine_implements_the_protocol(engine):
    assert isinstance(engine, Engine)
    assert isinstance(engine.scratch("x"), Scratch)


def test_scratch_names_are_unique_per_call_and_stable_within_one(engine):
    with engine.scratch("expand") as a, engine.scratch("expand") as b:
        assert a.anchor == a.name("anchor")
        assert a.anchor != b.anchor
        assert a.anchor.startswith("__fw_expand_") and a.anchor.endswith("_anchor")
    with pytest.raises(ValueError):
        engine.scratch("no spaces")
    with engine.scratch("x") as s, pytest.raises(ValueError):
        s.name("Robert'); DROP TABLE x; --")


def test_scratch_drops_tables_views_and_registrations(engine):
    with engine.scratch("t") as s:
        engine.sql(f"CREATE TEMP TABLE {s.a} AS SELECT 1 AS x")
        engine.sql(f"CREATE TEMP VIEW {s.v} AS SELECT * FROM {s.a}")
        reg = s.register("r", pa.table({"x": [1, 2]}))
        assert engine.sql(f"SELECT count(*) FROM {reg}").scalar() == 2
        assert len(_scratch_relations(engine)) == 3
    assert _scratch_relations(engine) == []


def test_scratch_drops_on_error_also_inside_a_failed_transaction(engine):
    engine.sql("CREATE TABLE keep (x INTEGER)")
    engine.sql(f"CREATE TEMP TABLE {engine.scratch('pre').name('t')} AS SELECT 1 AS x")  # never closed: stays
    with pytest.raises(RuntimeError), engine.scratch("t") as s:
        engine.sql(f"CREATE TEMP TABLE {s.a} AS SELECT 1 AS x")
        raise RuntimeError("stage failed")
    with pytest.raises(ExternalError), engine.transaction(), engine.scratch("t") as s:
        engine.sql(f"CREATE TEMP TABLE {s.a} AS SELECT 1 AS x")
        engine.sql("SELECT * FROM no_such_table")
    assert [n.split("_")[-1] for n in _scratch_relations(engine)] == ["t"]


def test_values_are_bound_and_identifiers_quoted(engine):
    engine.sql("CREATE TABLE t (name VARCHAR)")
    evil = "x'); DROP TABLE t; --"
    engine.sql("INSERT INTO t VALUES (?)", [evil])
    assert engine.sql("SELECT name FROM t WHERE name = ?", [evil]).scalar() == evil
    assert quote_ident("plain_name") == "plain_name"
    assert quote_ident('we"ird') == '"we""ird"'
    engine.sql(f"CREATE TABLE {quote_ident('odd name')} (x INTEGER)")
    assert engine.count("odd name") == 0


def test_upsert_merges_on_the_key(engine):
    engine.sql("CREATE TABLE t (k VARCHAR, n INTEGER)")
    engine.add_unique_key("t", ["k"], "t_key")
    engine.upsert("t", "SELECT * FROM (VALUES ('a', 1), ('b', 2)) v(k, n)", ["k"], {"n": "t.n + excluded.n"})
    engine.upsert("t", "SELECT ?, ?", ["k"], {"n": "t.n + excluded.n"}, ["a", 5])
    engine.upsert("t", "SELECT 'b', 100", ["k"], {})
    assert engine.sql("SELECT k, n FROM t ORDER BY k").rows() == [("a", 6), ("b", 2)]


def _insertion_order(e: DuckDBEngine) -> bool:
    return bool(e.sql("SELECT current_setting('preserve_insertion_order')").scalar())


def test_append_adds_the_rows_and_keeps_the_connection_setting(engine):
    engine.sql("CREATE TABLE t (k INTEGER, v VARCHAR)")
    engine.append("t", ["v", "k"], "SELECT 'x' || i, i FROM range(300000) r(i)")
    assert engine.sql("SELECT count(*), sum(k), count(DISTINCT v) FROM t").one() == (300000, 44999850000, 300000)
    assert engine.sql("SELECT v FROM t WHERE k = 7").scalar() == "x7"
    # the order is given up for that one statement only
    assert _insertion_order(engine) is True


def test_append_puts_the_setting_back_after_a_failed_transaction(engine):
    engine.sql("CREATE TABLE u (k INTEGER PRIMARY KEY)")
    with pytest.raises(ExternalError), engine.transaction():
        engine.append("u", ["k"], "SELECT 1 UNION ALL SELECT 1")
    # the failed statement aborted the transaction (even SET was refused until it rolled back)
    assert _insertion_order(engine) is True
    assert engine.count("u") == 0
    engine.append("u", ["k"], "SELECT 2")
    assert engine.sql("SELECT k FROM u").rows() == [(2,)]


@pytest.mark.parametrize(("limit", "expected"), [("2GB", 2_000_000_000), ("512MB", 512_000_000), ("3GiB", 3 * 2**30)])
def test_duckdb_memory_budget_is_its_memory_limit(engine, limit, expected):
    engine.sql(f"SET memory_limit = '{limit}'")
    # DuckDB shows the limit rounded to one decimal of a binary unit ("1.8 GiB")
    assert engine.memory_budget_bytes() == pytest.approx(expected, rel=0.05)
