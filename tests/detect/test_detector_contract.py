"""The contract every registered detector honours (runs for each name in the registry)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from flockwatch.detect import DETECTOR_COLUMNS, DETECTORS, SLOT_COLUMNS, detect, get
from flockwatch.engine.dialect import DUCKDB_ONLY_NODES, transpile
from flockwatch.errors import UnknownNameError, ValidationError

from scenario import load, render, standard_events, sync_events

NAMES = sorted(DETECTORS)


def test_registry_has_the_stable_names():
    assert set(NAMES) == {
        "co_repost",
        "co_text",
        "co_near_text",
        "co_link",
        "co_domain",
        "co_hashtag",
        "co_reply",
        "co_mention",
        "fast_repost",
        "sync_post",
        "co_theme",
        "theme_profile",
    }
    with pytest.raises(UnknownNameError):
        get("co_nothing")


@pytest.mark.parametrize("name", NAMES)
def test_identity_and_parameters(name):
    det = DETECTORS[name]
    assert det.name == name
    assert det.description.endswith(".")
    assert det.default_params["window_s"] > 0
    with pytest.raises(ValidationError):
        det.params({"no_such_param": 1})


def _columns(name: str) -> tuple[str, ...]:
    """The columns a detector's SELECT must have, in order (the slot columns only where it declares them)."""
    return DETECTOR_COLUMNS + (SLOT_COLUMNS if DETECTORS[name].first_shared_slot else ())


@pytest.mark.parametrize("name", NAMES)
def test_sql_has_the_contract_columns_on_an_empty_workspace(ws, name):
    res = ws.engine.sql(f"SELECT * FROM ({DETECTORS[name].sql()}) LIMIT 0")
    assert tuple(res.columns) == _columns(name)
    types = {r[0]: r[1] for r in ws.engine.sql(f"DESCRIBE SELECT * FROM ({DETECTORS[name].sql()})").rows()}
    assert types["acted_at_s"] == "DOUBLE"
    assert types["target"] == "VARCHAR" and types["account_id"] == "VARCHAR"
    if DETECTORS[name].first_shared_slot:
        assert types["slot"] == "INTEGER" and types["slot_sig"] == types["slot_sig2"] == "BIGINT"


#: Functions SQLGlot does not model but Spark SQL has (they round-trip as ``Anonymous`` nodes).
SPARK_FUNCTIONS_SQLGLOT_DOES_NOT_MODEL = {"HASH", "XXHASH64", "CONV"}

GOLDEN = Path(__file__).parent / "golden"


def _duckdb_only(tree: exp.Expression) -> list[str]:
    """DuckDB-only constructs in a parsed Spark statement, by AST node (not by substring)."""
    found = [type(node).__name__ for node in tree.walk() if type(node).__name__ in DUCKDB_ONLY_NODES]
    found += [
        f"{j.args.get('kind')} JOIN"
        for j in tree.find_all(exp.Join)
        if str(j.args.get("kind") or "").upper() in ("SEMI", "ANTI", "ASOF")
    ]
    found += ["GROUP BY ALL" for g in tree.find_all(exp.Group) if g.args.get("all")]
    found += [
        f"unknown function {f.name}"
        for f in tree.find_all(exp.Anonymous)
        if f.name.upper() not in SPARK_FUNCTIONS_SQLGLOT_DOES_NOT_MODEL
    ]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_sql_is_transpilable_to_spark_without_duckdb_only_constructs(name):
    sql = DETECTORS[name].sql()
    assert sqlglot.parse_one(sql, read="duckdb") is not None
    spark = transpile(sql, "spark")
    tree = sqlglot.parse_one(spark, read="spark")
    assert isinstance(tree, exp.Query)
    assert _duckdb_only(tree) == [], spark
    # the contract columns survive the translation, in order
    assert [s.alias_or_name for s in tree.selects] == list(_columns(name))


def test_co_repost_spark_sql_matches_the_golden_file():
    spark = transpile(DETECTORS["co_repost"].sql(), "spark", pretty=True)
    golden = (GOLDEN / "co_repost.spark.sql").read_text(encoding="utf-8").strip()
    assert spark.strip() == golden, "regenerate tests/detect/golden/co_repost.spark.sql only for an intended change"


def test_the_check_catches_duckdb_only_constructs():
    # (SQLGlot rewrites some of these for Spark; the check must still see them wherever they survive)
    for duckdb_sql in (
        "SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) = 1",
        "SELECT list_transform(xs, x -> x + 1) FROM t",
        "SELECT a, count(*) FROM t GROUP BY ALL",
        "SELECT a FROM t SEMI JOIN u USING (a)",
        "SELECT epoch_ns(ts) FROM t",
    ):
        assert _duckdb_only(sqlglot.parse_one(duckdb_sql, read="duckdb")), duckdb_sql
    assert _duckdb_only(sqlglot.parse_one(transpile("SELECT epoch_ns(ts) FROM t", "spark"), read="spark"))


@pytest.mark.parametrize("name", NAMES)
def test_edge_path_stores_nothing_on_an_empty_workspace(ws, name):
    # every edge builder (the co-action kernel's or a detector's own) copes with no rows and leaves a valid run
    run = detect(ws, detectors=[name])
    assert run.results[0].edges_count == 0 and run.results[0].rows_count == 0
    assert ws.engine.sql("SELECT count(*) FROM edges WHERE run_id = ?", [run.run_id]).scalar() == 0


@pytest.mark.parametrize("name", NAMES)
def test_edges_have_the_stored_columns_and_evidence(ws, name):
    # whatever its edge builder, a detector's edges land in the same columns, ordered account_a < account_b, with
    # p in (0, 1], weight = -log10 p, and evidence rows whose actions belong to the edge's two accounts
    events = sync_events() if name == "sync_post" else standard_events()
    load(ws, render(name, events))
    run = detect(ws, detectors=[name])
    rows = ws.engine.sql(
        "SELECT account_a, account_b, p_value, weight, co_actions_count, expected_count FROM edges WHERE run_id = ?",
        [run.run_id],
    ).rows()
    assert rows, f"{name}: the planted group gives edges"
    for a, b, p, weight, co_actions, expected in rows:
        assert a < b and 0 < p <= 1 and co_actions >= 1 and expected >= 0
        assert weight == pytest.approx(min(-math.log10(p), 300.0), rel=1e-6, abs=1e-9)
    wrong = ws.engine.sql(
        """SELECT count(*) FROM edge_evidence ev
           JOIN actions x ON x.action_id = ev.action_id_a JOIN actions y ON y.action_id = ev.action_id_b
           WHERE ev.run_id = ? AND (x.account_id <> ev.account_a OR y.account_id <> ev.account_b)""",
        [run.run_id],
    ).scalar()
    assert wrong == 0
    with_evidence = ws.engine.sql(
        "SELECT count(DISTINCT (account_a, account_b)) FROM edge_evidence WHERE run_id = ?", [run.run_id]
    ).scalar()
    assert with_evidence == len(rows)


@pytest.mark.parametrize("name", NAMES)
def test_rows_refer_to_real_actions(ws, name):
    events = sync_events() if name == "sync_post" else standard_events()
    load(ws, render(name, events))
    rows = ws.engine.sql(
        f"SELECT count(*), count(account_id), count(target), count(action_id), "
        f"count(acted_at_s), count(unit) FROM ({DETECTORS[name].sql()})"
    ).one()
    assert rows[0] > 0 and len(set(rows)) == 1, "no NULLs in contract columns"
    orphans = ws.engine.sql(
        f"SELECT count(*) FROM ({DETECTORS[name].sql()}) d ANTI JOIN actions a ON a.action_id = d.action_id"
    ).scalar()
    assert orphans == 0


@pytest.mark.parametrize("name", NAMES)
def test_evidence_keeps_the_first_co_actions_of_each_edge(ws, name):
    # every edge keeps min(co-actions, evidence_per_edge) evidence rows: all of them when it has no more than the
    # bound, the earliest (by the later action's time) when it has more; always a subset of its full evidence
    events = sync_events() if name == "sync_post" else standard_events()
    load(ws, render(name, events))

    def evidence(run_id: str) -> dict[tuple[str, str], set[tuple]]:
        out: dict[tuple[str, str], set[tuple]] = {}
        for a, b, x, y, t, dt in ws.engine.sql(
            "SELECT account_a, account_b, action_id_a, action_id_b, epoch(acted_at_a), dt_s FROM edge_evidence "
            "WHERE run_id = ?",
            [run_id],
        ).rows():
            out.setdefault((a, b), set()).add((x, y, round(t + max(dt, 0.0), 6)))
        return out

    every = detect(ws, detectors=[name], evidence_per_edge=100_000)
    counts = {
        (a, b): n
        for a, b, n in ws.engine.sql(
            "SELECT account_a, account_b, co_actions_count FROM edges WHERE run_id = ?", [every.run_id]
        ).rows()
    }
    full = evidence(every.run_id)
    assert counts and set(full) == set(counts)
    assert all(len(full[p]) == n for p, n in counts.items()), f"{name}: a large bound keeps every co-action"
    # one bound just below the fewest co-actions (every edge ranked), one at the most (none ranked)
    for bound in (max(1, min(counts.values()) - 1), max(counts.values())):
        kept = evidence(detect(ws, detectors=[name], evidence_per_edge=bound).run_id)
        assert set(kept) == set(counts)
        for pair, n in counts.items():
            assert len(kept[pair]) == min(n, bound) and kept[pair] <= full[pair], (name, bound, pair)
            if n > bound:
                assert max(t for _, _, t in kept[pair]) <= min(t for _, _, t in full[pair] - kept[pair])


def test_a_run_that_fails_part_way_keeps_no_edges_and_says_why(ws):
    """co_repost stores its edges, then theme_profile refuses its parameters: the run is marked failed with the
    error, its co_repost edges and evidence are gone, and "the latest run" is still the last finished one."""
    import json

    from flockwatch.core.runs import latest_run

    load(ws, render("co_repost", standard_events()))
    good = detect(ws, detectors=["co_repost"])
    assert good.edges_count > 0
    with pytest.raises(ValidationError, match="top_k"):
        detect(ws, detectors=["co_repost", "theme_profile"], detector_params={"theme_profile": {"top_k": 0}})
    status, params = ws.engine.sql(
        "SELECT status, params_json FROM detection_runs WHERE run_id <> ? ORDER BY started_at DESC LIMIT 1",
        [good.run_id],
    ).one()
    assert status == "failed" and "top_k" in json.loads(params)["error"]
    runs = {
        r for (r,) in ws.engine.sql("SELECT DISTINCT run_id FROM edges UNION SELECT run_id FROM edge_evidence").rows()
    }
    assert runs == {good.run_id}
    assert latest_run(ws.engine) == good.run_id
    # asked for by id, the failed run is refused with its error rather than read as a run without edges
    from flockwatch.core.runs import resolve_run

    failed = ws.engine.sql("SELECT run_id FROM detection_runs WHERE status = 'failed'").scalar()
    with pytest.raises(ValidationError, match=r"failed.*top_k"):
        resolve_run(ws.engine, failed)
    assert resolve_run(ws.engine) == good.run_id


def test_a_run_left_running_by_a_dead_writer_is_closed_when_the_next_run_starts(ws):
    """A writer killed mid-run (kill -9) leaves its run `running` with part of its edges; DuckDB admits one writer
    per file, so the next run to start marks it `interrupted` and drops those edges."""
    load(ws, render("co_repost", standard_events()))
    cut = detect(ws, detectors=["co_repost"])
    # what a killed writer leaves: the run row still running, its stored edges and evidence in place
    ws.engine.sql("UPDATE detection_runs SET status = 'running', finished_at = NULL WHERE run_id = ?", [cut.run_id])
    assert ws.engine.sql("SELECT count(*) FROM edges WHERE run_id = ?", [cut.run_id]).scalar() > 0
    nxt = detect(ws, detectors=["co_repost"])
    statuses = dict(ws.engine.sql("SELECT run_id, status FROM detection_runs").rows())
    assert statuses == {cut.run_id: "interrupted", nxt.run_id: "done"}
    for table in ("edges", "edge_evidence"):
        assert ws.engine.sql(f"SELECT count(*) FROM {table} WHERE run_id = ?", [cut.run_id]).scalar() == 0
        assert ws.engine.sql(f"SELECT count(*) FROM {table} WHERE run_id = ?", [nxt.run_id]).scalar() > 0
