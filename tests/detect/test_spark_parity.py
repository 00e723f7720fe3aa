"""Spark parity: the same detection on Spark (local mode) as on DuckDB — per detector, the same edges, the same
counts and weights (``-log10 p``, within 1e-6) — on the golden scenarios and on a simulated platform; and the same
candidate networks built from either run.

One JVM serves the whole file (``spark`` fixture, session scope); every test here is marked ``spark`` and skipped
where pyspark or Java is missing. These tests are the slow end of the suite (a Spark statement costs ~0.1-1 s of
planning and scheduling whatever the data size), so the data are small and each engine runs once per data set.
"""

from __future__ import annotations

import shutil
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from flockwatch.detect import DETECTORS, detect
from flockwatch.detect.distributed import detect_on_spark, export_canonical
from flockwatch.networks import build_networks, load_networks
from flockwatch.workspace import Workspace

from scenario import load, render, standard_events, sync_events

pytestmark = [pytest.mark.spark, pytest.mark.slow]

EDGE_SQL = """SELECT detector, account_a, account_b, co_actions_count, episodes_count, activity_a_count,
                     activity_b_count, expected_count, weight, first_at, last_at
              FROM edges WHERE run_id = ? ORDER BY detector, account_a, account_b"""


def _java_ok() -> bool:
    java = shutil.which("java")
    return bool(java) and subprocess.run([java, "-version"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    if not _java_ok():
        pytest.skip("no Java runtime for Spark")
    from flockwatch.engine.spark_engine import spark_session

    # tiny data: adaptive execution's extra planning round per shuffle and 8 partitions per join cost more than
    # the joins themselves (the engine's defaults are for real data)
    session = spark_session(
        "local[2]", conf={"spark.sql.shuffle.partitions": "2", "spark.sql.adaptive.enabled": "false"}
    )
    yield session
    session.stop()


def _prefixed(name: str, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """One detector's golden tables with ids prefixed by the detector, so all scenarios share one workspace."""

    def pre(col):
        return pc.binary_join_element_wise(pa.scalar(name + ":"), pc.cast(col, pa.string()), "")

    out = {}
    for table, t in tables.items():
        for col in ("action_id", "account_id", "target_action_id", "mentioned_account_id"):
            if col in t.column_names:
                t = t.set_column(t.column_names.index(col), col, pre(t.column(col)))
        out[table] = t
    return out


def _compare(ws: Workspace, duck_run: str, spark_run: str) -> dict[str, int]:
    duck = ws.engine.sql(EDGE_SQL, [duck_run]).rows()
    spark = ws.engine.sql(EDGE_SQL, [spark_run]).rows()
    assert [r[:3] for r in spark] == [r[:3] for r in duck], "edge sets differ"
    for d, s in zip(duck, spark, strict=True):
        assert s[3:7] == d[3:7], f"counts differ on {d[:3]}: {s[3:7]} vs {d[3:7]}"
        assert s[7] == pytest.approx(d[7], rel=1e-9), f"expectation differs on {d[:3]}"
        assert abs(s[8] - d[8]) <= 1e-6, f"weight differs on {d[:3]}: {s[8]} vs {d[8]}"
        assert s[9:11] == d[9:11], f"time span differs on {d[:3]}"
    per: dict[str, int] = {}
    for r in duck:
        per[r[0]] = per.get(r[0], 0) + 1
    return per


def test_golden_scenarios_same_edges_on_spark(spark, tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    try:
        for name in sorted(DETECTORS):
            load(ws, _prefixed(name, render(name, sync_events() if name == "sync_post" else standard_events())))
        names = sorted(DETECTORS)
        duck = detect(ws, detectors=names)
        on_spark = detect_on_spark(ws, session=spark, detectors=names)
        per = _compare(ws, duck.run_id, on_spark.run_id)
        # every detector found its planted group (5 accounts: 10 pairs) on both engines
        for name in names:
            assert per.get(name, 0) >= 10, (name, per)
        # the same co-actions were enumerated (the kernel's hot-cell rule included)
        assert [r.co_actions_count for r in on_spark.results] == [r.co_actions_count for r in duck.results]
        assert on_spark.params["engine"] == "spark"
        # the evidence came back too, as many rows per edge
        counts = ws.engine.sql(
            "SELECT run_id, count(*) FROM edge_evidence WHERE run_id IN (?, ?) GROUP BY 1",
            [duck.run_id, on_spark.run_id],
        ).rows()
        assert len({c for _, c in counts}) == 1 and len(counts) == 2
    finally:
        ws.close()


def test_simulated_platform_same_edges_and_networks_on_spark(spark, tmp_path):
    from flockwatch.ingest import ingest_paths
    from flockwatch.simulate import simulate

    sim = simulate(tmp_path / "sim", preset="small", seed=3)
    ws = Workspace.create(tmp_path / "ws")
    try:
        ingest_paths(ws, [sim.users_file, *sim.tweets_files])
        # the detectors whose SQL differs most between the engines (the golden test runs all of them)
        names = ["co_repost", "co_near_text", "co_hashtag"]
        duck = detect(ws, detectors=names)
        # Spark reads Parquet exported elsewhere, as on a cluster
        parquet = export_canonical(ws, tmp_path / "canonical")
        on_spark = detect_on_spark(ws, session=spark, parquet=parquet, detectors=names)
        per = _compare(ws, duck.run_id, on_spark.run_id)
        assert sum(per.values()) > 0
        nets = {}
        for run in (duck, on_spark):
            build_networks(ws, run.run_id, grow=False)
            nets[run.run_id] = [(n.members, n.score, n.flagged) for n in load_networks(ws, run.run_id)]
        assert nets[duck.run_id] == nets[on_spark.run_id]
        assert any(flagged for _, _, flagged in nets[duck.run_id])
    finally:
        ws.close()


def _optimized_plan(engine, query: str) -> str:
    return str(engine.sql(query)._df._jdf.queryExecution().optimizedPlan().toString())


def test_created_tables_are_leaves_of_later_plans_and_appends_keep_their_rows(spark):
    from flockwatch.engine.spark_engine import SparkEngine

    e = SparkEngine(spark)
    try:
        e.register("base", pa.table({"x": list(range(100))}))
        e.sql("CREATE TEMP TABLE t1 AS SELECT x, x % 7 AS k FROM base")
        e.sql("CREATE TEMP TABLE t2 AS SELECT k, count(*) AS n FROM t1 GROUP BY k")
        # t2 is read as stored rows: the plan over it names neither t1's projection nor t2's aggregation
        plan = _optimized_plan(e, "SELECT sum(n) FROM t2")
        assert "LogicalRDD" in plan and "LocalRelation" not in plan, plan
        assert plan.count("Aggregate") == 1, plan  # the query's own sum only
        assert e.count("t2") == 7
        # dropping a table t2 was built from does not take t2's rows with it
        e.sql("DROP TABLE t1")
        assert e.sql("SELECT sum(n) FROM t2").scalar() == 100
        # an append re-materialises the table from its own rows plus the new ones
        e.insert_arrow("t2", pa.table({"k": [7], "n": [5]}))
        assert e.count("t2") == 8
        assert e.sql("SELECT sum(n) FROM t2").scalar() == 105
        # so does an append of a SELECT's rows (columns named in the SELECT's order)
        e.append("t2", ["n", "k"], "SELECT 10 AS a, 8 AS b UNION ALL SELECT 1, 9")
        assert e.count("t2") == 10
        assert e.sql("SELECT sum(n), sum(k) FROM t2").one() == (116, sum(range(7)) + 7 + 8 + 9)
    finally:
        e.drop_relations(["t1", "t2"])
        e.unregister("base")


def test_tables_are_reliable_checkpoints_where_the_context_has_a_checkpoint_directory(spark, tmp_path):
    from flockwatch.engine.spark_engine import SparkEngine

    sc = spark.sparkContext
    sc.setCheckpointDir(str(tmp_path / "checkpoints"))
    e = SparkEngine(spark)
    try:
        e.register("base", pa.table({"x": list(range(50))}))
        e.sql("CREATE TEMP TABLE t3 AS SELECT x * 2 AS y FROM base WHERE x >= 10")
        assert e.count("t3") == 40
        assert e.sql("SELECT sum(y) FROM t3").scalar() == 2 * sum(range(10, 50))
        # the rows were written under the checkpoint directory (a cluster keeps them when an executor goes)
        assert any(p.is_file() for p in (tmp_path / "checkpoints").rglob("part-*"))
    finally:
        e.drop_relations(["t3"])
        e.unregister("base")
        # back to local checkpoints for whatever shares this session
        getattr(sc._jsc.sc(), "checkpointDir_$eq")(sc._jvm.scala.Option.apply(None))
        assert sc.getCheckpointDir() is None


def test_answers_stream_back_in_batches_with_the_same_rows_and_types_either_way(spark):
    """Edges and evidence come back from Spark in batches, never collected whole: through Parquet parts in local
    mode, partition by partition elsewhere. Both give the rows ``toArrow`` gives, timestamps as UTC instants."""
    import datetime as dt

    from flockwatch.engine.spark_engine import SparkEngine, batches_via_iterator, batches_via_parquet

    e = SparkEngine(spark)
    t0 = dt.datetime(2019, 8, 1)
    e.register(
        "src",
        pa.table(
            {
                "n": pa.array(range(2500), pa.int64()),
                "account": [f"acct{i % 7}" for i in range(2500)],
                "dt_s": [None if i % 5 == 0 else i / 4 for i in range(2500)],
                "acted_at": pa.array([t0 + dt.timedelta(seconds=i) for i in range(2500)], pa.timestamp("us")),
            }
        ),
    )
    sql = "SELECT n, account, dt_s, acted_at FROM src WHERE n >= 0"
    try:
        df = e.sql(sql)._df
        whole = df.toArrow()
        want = sorted(whole.to_pylist(), key=lambda r: r["n"])
        assert want[1]["acted_at"].replace(tzinfo=None) == dt.datetime(2019, 8, 1, 0, 0, 1)
        for fetch in (batches_via_parquet, batches_via_iterator):
            batches = list(fetch(df, 1000))
            assert batches and all(b.num_rows <= 1000 for b in batches), fetch.__name__
            got = pa.Table.from_batches(batches)
            assert got.schema.names == whole.schema.names, fetch.__name__
            rows = sorted(got.to_pylist(), key=lambda r: r["n"])
            norm = [{**r, "acted_at": r["acted_at"].replace(tzinfo=None)} for r in rows]
            assert norm == [{**r, "acted_at": r["acted_at"].replace(tzinfo=None)} for r in want], fetch.__name__
        # the engine's own choice in local mode
        assert sum(b.num_rows for b in e.sql(sql).batches(700)) == 2500
    finally:
        e.unregister("src")


def test_the_spark_submit_entry_point_runs_the_cli_as_an_application(tmp_path):
    """`spark-submit --master local[2] <flockwatch/spark_submit.py> detect --engine spark ...` (the cluster guide's
    command, in local mode): the run lands in the workspace with DuckDB's edges, under spark-submit's master."""
    import json
    import os
    import sys
    from pathlib import Path

    import flockwatch.spark_submit as entry

    pytest.importorskip("pyspark")
    submit = Path(sys.executable).parent / "spark-submit"
    if not submit.exists() or not _java_ok():
        pytest.skip("no spark-submit or Java runtime")
    ws_dir = tmp_path / "ws"
    ws = Workspace.create(ws_dir)
    try:
        load(ws, render("co_repost", standard_events()))
        duck = detect(ws, detectors=["co_repost"])
    finally:
        ws.close()
    # spark-submit runs the driver with $PYSPARK_DRIVER_PYTHON (else $PYSPARK_PYTHON, else python3): this one
    env = {**os.environ, "PYSPARK_DRIVER_PYTHON": sys.executable, "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.sql.adaptive.enabled=false", entry.__file__, "detect",
         "--workspace", str(ws_dir), "--engine", "spark", "--detector", "co_repost", "--no-grow", "--json"],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads(proc.stdout)
    ws = Workspace.open(ws_dir)
    try:
        _compare(ws, duck.run_id, run["run_id"])
        params = json.loads(
            ws.engine.sql("SELECT params_json FROM detection_runs WHERE run_id = ?", [run["run_id"]]).scalar()
        )
        assert (
            params["engine"] == "spark" and run["params"]["engine"] == "spark" and run["edges"] == duck.edges_count > 0
        )
    finally:
        ws.close()
