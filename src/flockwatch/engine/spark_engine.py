"""Apache Spark behind the engine interface: the same DuckDB-dialect SQL, transpiled by SQLGlot, run by Spark SQL.

Consumes SQL text in DuckDB dialect (what every stage writes), canonical tables as Parquet
(:meth:`SparkEngine.attach_parquet`: one ``<table>.parquet`` file or folder per table) and Arrow tables; produces
Spark results fetched as Python rows or Arrow tables. It is the only module besides ``duckdb_engine`` that imports
``pyspark`` (an optional extra: ``pip install 'flockwatch[spark]'``).

How DuckDB statements map onto Spark (everything else goes through :func:`flockwatch.engine.dialect.transpile`):

* ``CREATE [TEMP] TABLE t AS SELECT ...`` → the SELECT as a DataFrame, checkpointed at once (its rows computed and
  stored, its lineage cut) and exposed as the temporary view ``t``: a later statement reads ``t`` as a leaf. Cached
  (``persist``) instead, every statement carried the plans of all the tables before it — a detector's later
  statements planned trees of thousands of nodes and re-ran shuffles of the kernel's join; a 250k-action co_repost
  run took 172 s, checkpointed 41 s. Where the SparkContext has a checkpoint directory (``spark.checkpoint.dir``, an
  HDFS/S3 path on a cluster) the checkpoint is *reliable* (written there, surviving the loss of an executor);
  otherwise it is *local* (kept by the executors, memory then disk: right for local mode, where the driver holds
  every block);
* ``DROP TABLE|VIEW [IF EXISTS] t`` → the view dropped and its stored rows released;
* values bound with ``?`` travel as Spark's positional parameters (``spark.sql(q, args=[...])``).

Sessions run with ``spark.sql.session.timeZone=UTC`` (naive ``TIMESTAMP`` values are UTC, as on DuckDB) and read
Parquet timestamps as instants, not as ``TIMESTAMP_NTZ``. No Python UDF runs on executors (``lgamma``, which Spark
SQL lacks, is SQL arithmetic: dialect.py), so a cluster's workers need no flockwatch installed. In local mode the
shuffle has ``4 x cores`` partitions instead of Spark's 200: on a laptop, 200 tiny tasks per join cost more than the
join.

What this engine does not do: transactions (a no-op context; Spark has none, and the workspace store stays on DuckDB),
unique keys and upserts (operational writes belong to the workspace). Stages that need those run on the workspace's
DuckDB engine; detection runs here and hands its edges back (``flockwatch.detect.run.detect(..., engine=...)``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flockwatch.core.resources import cpu_count, memory_limit_bytes
from flockwatch.engine.base import Params, Scratch
from flockwatch.engine.dialect import transpile
from flockwatch.errors import ExternalError, ValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "SparkResult", "spark_session"]

_CREATE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?TABLE\s+(\w+)\s+AS\s+(.*)$", re.I | re.S)
_DROP = re.compile(r"^\s*DROP\s+(?:TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(\w+)\s*;?\s*$", re.I)

#: Spark settings every flockwatch session gets (a cluster's own settings come on top via spark-submit).
SESSION_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # DuckDB writes naive TIMESTAMP columns; read them as instants in the session zone (UTC), like DuckDB does
    "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    # and write them as microseconds since the epoch (what DuckDB and pyarrow read as instants), not INT96
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.ui.showConsoleProgress": "false",
}


#: environment variable overriding the driver heap of local mode (a Spark size such as ``6g``)
DRIVER_MEMORY_ENV = "FLOCKWATCH_SPARK_DRIVER_MEMORY"


def local_driver_memory() -> str:
    """The driver heap for local mode: ``$FLOCKWATCH_SPARK_DRIVER_MEMORY``, else 40% of the memory this process may
    use (core.resources: physical, or its cgroup's cap) capped at 8 GiB (the JVM also needs off-heap room, and
    DuckDB shares the machine during a run), at least 1 GiB."""
    configured = os.environ.get(DRIVER_MEMORY_ENV, "").strip()
    if configured:
        return configured
    total = memory_limit_bytes()
    if total is None:  # the platform does not say: Spark's own default
        return "1g"
    return f"{max(1024, min(8192, int(total // 2**20 * 0.4)))}m"


_SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
#: set by spark-submit for the Python driver it launches (PySpark then joins that JVM instead of starting one)
SPARK_SUBMIT_GATEWAY_ENV = "PYSPARK_GATEWAY_PORT"


def resolve_master(master: str | None) -> str | None:
    """The master a session asks for: ``master`` when given; else None under spark-submit (its ``--master`` and
    settings rule), else ``local[*]``.

    Why not leave None to PySpark outside spark-submit: it also starts ``local[*]``, but with none of the local-mode
    settings below (a 1 GiB driver heap, 200 shuffle partitions), and a run that fits easily in memory loses task
    results (``TaskResultLost``) on the way back to the workspace."""
    if master:
        return master
    return None if os.environ.get(SPARK_SUBMIT_GATEWAY_ENV) else "local[*]"


def session_settings(master: str | None) -> dict[str, str]:
    """The Spark settings flockwatch gives a session on ``master`` (None: spark-submit's master)."""
    settings = dict(SESSION_CONF)
    if master and master.startswith("local"):
        cores = master[len("local[") : -1] if master.startswith("local[") else "1"
        n = cpu_count() if cores in ("*", "") else int(cores.split(",")[0])
        settings[_SHUFFLE_PARTITIONS] = str(4 * n)
        # local mode runs every task inside the driver JVM, whose heap defaults to 1 GiB: a 5M-action co_repost
        # run dies of OutOfMemoryError there. Give it a share of the machine unless the caller sets it.
        settings["spark.driver.memory"] = local_driver_memory()
    return settings


def spark_session(master: str | None = None, app_name: str = "flockwatch", conf: dict[str, str] | None = None) -> Any:
    """A SparkSession with flockwatch's settings on ``master`` (None: spark-submit's, else ``local[*]``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra is missing
        raise ExternalError("the Spark engine needs pyspark: pip install 'flockwatch[spark]'") from exc
    # Python workers run the interpreter of this process unless the cluster says otherwise
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    master = resolve_master(master)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = session_settings(master)
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, a master that cannot be reached
        raise ExternalError(f"cannot start Spark (master {master or 'from spark-submit'}): {exc}") from exc
    for key, value in settings.items():
        # UI and driver settings are fixed when the JVM starts; setting them again on a session is refused
        if not key.startswith(("spark.ui", "spark.driver.")):
            session.conf.set(key, value)
    sc = session.sparkContext
    if master is None and (sc.master or "").startswith("local") and not sc.getConf().contains(_SHUFFLE_PARTITIONS):
        # spark-submit --master local[N]: local mode's shuffle width unless spark-submit set one (its heap is
        # spark-submit's --driver-memory, fixed once that JVM started)
        session.conf.set(_SHUFFLE_PARTITIONS, session_settings(sc.master)[_SHUFFLE_PARTITIONS])
    sc.setLogLevel("ERROR")
    return session


class SparkResult:
    """The answer of one statement: a Spark DataFrame, fetched in the shape the caller asks for."""

    def __init__(self, df: DataFrame | None) -> None:
        self._df = df

    @property
    def columns(self) -> list[str]:
        return [] if self._df is None else list(self._df.columns)

    def rows(self) -> list[tuple[Any, ...]]:
        return [] if self._df is None else [tuple(r) for r in self._df.collect()]

    def dicts(self) -> list[dict[str, Any]]:
        return [] if self._df is None else [r.asDict() for r in self._df.collect()]

    def one(self) -> tuple[Any, ...] | None:
        rows = self.rows()
        return rows[0] if rows else None

    def scalar(self) -> Any:
        row = self.one()
        return None if row is None else row[0]

    def arrow(self) -> pa.Table:
        if self._df is None:
            return pa.table({})
        table: pa.Table = self._df.toArrow()
        return table

    def batches(self, rows_per_batch: int = 100_000) -> Iterator[pa.RecordBatch]:
        """The answer in Arrow batches, streamed: the driver never holds all of it.

        Why not :meth:`arrow` (one ``toArrow``): every task's share comes back to the driver at once, and an answer
        of millions of rows (a run's evidence) outgrows the driver's heap or its block store (a 1 GiB driver lost
        the task results of 850k evidence rows, ``TaskResultLost``). In local mode the executors are this machine:
        the answer is written as Parquet to a temporary folder and read back batch by batch. On a cluster the
        partitions are fetched one at a time (``toLocalIterator``) and batched here."""
        if self._df is None:
            return
        if (self._df.sparkSession.sparkContext.master or "").startswith("local"):
            yield from batches_via_parquet(self._df, rows_per_batch)
        else:
            yield from batches_via_iterator(self._df, rows_per_batch)


def batches_via_parquet(df: DataFrame, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
    """``df`` written as Parquet parts to a temporary local folder, read back in batches (local mode only: on a
    cluster the parts would land on the executors' disks). The folder is removed once the batches are consumed."""
    import pyarrow.dataset as ds

    with tempfile.TemporaryDirectory(prefix="flockwatch-spark-answer-") as tmp:
        folder = Path(tmp) / "answer"
        df.write.parquet(str(folder))
        # Spark's _SUCCESS and .crc files are skipped (pyarrow ignores names starting with "_" or ".")
        yield from ds.dataset(str(folder), format="parquet").to_batches(batch_size=rows_per_batch)


def batches_via_iterator(df: DataFrame, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
    """``df``'s partitions fetched one at a time and turned into Arrow batches of at most ``rows_per_batch`` rows.

    Timestamp columns travel as epoch microseconds: PySpark turns them into naive datetimes in the *process's*
    local time zone, not the session's UTC."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import TimestampType

    schema = to_arrow_schema(df.schema, timezone="UTC")
    fields = df.schema.fields
    is_ts = [isinstance(f.dataType, TimestampType) for f in fields]
    fetch = df.select(
        *[
            (F.unix_micros(F.col(f.name)) if ts else F.col(f.name)).alias(f.name)
            for f, ts in zip(fields, is_ts, strict=True)
        ]
    )
    types = [pa.int64() if ts else field.type for field, ts in zip(schema, is_ts, strict=True)]

    def batch(rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
        columns = [pa.array(list(col), type=t) for col, t in zip(zip(*rows, strict=True), types, strict=True)]
        columns = [c.cast(f.type) if ts else c for c, f, ts in zip(columns, schema, is_ts, strict=True)]
        return pa.RecordBatch.from_arrays(columns, schema=schema)

    rows: list[tuple[Any, ...]] = []
    for row in fetch.toLocalIterator(prefetchPartitions=False):
        rows.append(tuple(row))
        if len(rows) == rows_per_batch:
            yield batch(rows)
            rows = []
    if rows:
        yield batch(rows)


class SparkEngine:
    """A Spark session behind the :class:`flockwatch.engine.base.Engine` interface.

    ``SparkEngine(session)`` wraps a session the caller owns (tests share one JVM per run); ``SparkEngine.start(
    master)`` starts one and stops it on :meth:`close`.
    """

    name = "spark"

    def __init__(self, session: SparkSession, owns_session: bool = False) -> None:
        self.path: Path | None = None
        self._spark = session
        self._owns = owns_session
        self._stored: dict[str, DataFrame] = {}  # the checkpointed DataFrame behind each created view
        self._dropped: list[DataFrame] = []  # dropped views whose stored rows are not released yet
        self._counts: dict[str, int] = {}  # rows of each created view, once counted
        self._scratch_serial = itertools.count(1)

    @classmethod
    def start(cls, master: str | None = "local[2]", conf: dict[str, str] | None = None) -> SparkEngine:
        return cls(spark_session(master, conf=conf), owns_session=True)

    @property
    def session(self) -> SparkSession:
        return self._spark

    # -- statements -------------------------------------------------------------------------------------------
    def sql(self, query: str, params: Params = None) -> SparkResult:
        drop = _DROP.match(query)
        if drop:
            name = drop.group(2)
            if not drop.group(1) and not self.table_exists(name):
                raise ExternalError(f"engine error: no table {name!r} to drop")
            self.drop_relations([name])
            return SparkResult(None)
        create = _CREATE.match(query)
        if create:
            name, select = create.group(1), create.group(2)
            df = self._run(select, params)
            self._materialise(name, df)
            return SparkResult(None)
        return SparkResult(self._run(query, params))

    def _run(self, query: str, params: Params) -> DataFrame:
        try:
            text = transpile(query, "spark")
        except Exception as exc:  # SQLGlot cannot read it: a statement only DuckDB accepts
            raise ExternalError(
                f"engine error: cannot translate to Spark SQL: {exc}\n-- in statement:\n{query[:2000]}"
            ) from exc
        args: Any = None
        if params is not None:
            args = dict(params) if isinstance(params, dict) else list(params)
        try:
            return self._spark.sql(text, args=args) if args else self._spark.sql(text)
        except Exception as exc:  # pyspark raises its own AnalysisException / ParseException family
            raise ExternalError(f"engine error: {exc}\n-- in statement (Spark SQL):\n{text[:2000]}") from exc

    def _materialise(self, name: str, df: DataFrame) -> None:
        from pyspark import StorageLevel

        try:
            # materialise now: the statement's errors surface here, and later statements read stored rows through
            # a one-node plan. The row count is not taken here: on Spark every count is one more job, and most
            # tables are never counted (count() counts the stored rows once, when asked)
            if self._spark.sparkContext.getCheckpointDir():
                df = df.checkpoint(eager=True)
            else:
                df = df.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        except Exception as exc:
            raise ExternalError(f"engine error while building {name}: {exc}") from exc
        # only now: the statement may read the table it replaces (insert_arrow appends that way)
        self.drop_relations([name])
        df.createOrReplaceTempView(name)
        self._stored[name] = df

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.sql(query, list(row))

    def register(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Expose an Arrow table to SQL under ``name`` (a temporary view over a copy in the session)."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        df = self._spark.createDataFrame(table) if table.num_rows else self._empty(table.schema)
        df.createOrReplaceTempView(name)

    def _empty(self, schema: pa.Schema) -> DataFrame:
        # createDataFrame cannot infer column types from zero rows: state them
        types = {
            pa.int32(): "INT",
            pa.int64(): "BIGINT",
            pa.float64(): "DOUBLE",
            pa.string(): "STRING",
            pa.bool_(): "BOOLEAN",
        }
        cols = ", ".join(f"CAST(NULL AS {types.get(f.type, 'STRING')}) AS `{f.name}`" for f in schema)
        return self._spark.sql(f"SELECT {cols} WHERE false")

    def unregister(self, name: str) -> None:
        self._spark.catalog.dropTempView(name)

    def insert_arrow(self, table_name: str, table: pa.Table, columns: Sequence[str] | None = None) -> int:
        """Append rows to a temporary view (the only tables a Spark session here holds)."""
        if not self.table_exists(table_name):
            raise ValidationError(f"no table {table_name!r} in the Spark session")
        cols = list(columns or table.column_names)
        current = self._spark.table(table_name)
        incoming = self._spark.createDataFrame(table.select(cols))
        self._materialise(table_name, current.unionByName(incoming, allowMissingColumns=True))
        return int(table.num_rows)

    def append(self, table: str, columns: Sequence[str], select_sql: str, params: Params = None) -> None:
        """Append the rows of ``select_sql`` to a temporary view (as :meth:`insert_arrow`)."""
        if not self.table_exists(table):
            raise ValidationError(f"no table {table!r} in the Spark session")
        incoming = self._run(select_sql, params).toDF(*columns)
        self._materialise(table, self._spark.table(table).unionByName(incoming, allowMissingColumns=True))

    # -- catalogue ----------------------------------------------------------------------------------------------
    def table_exists(self, name: str) -> bool:
        return bool(self._spark.catalog.tableExists(name))

    def count(self, name: str) -> int:
        if name in self._counts:
            return self._counts[name]
        if not self.table_exists(name):
            raise ExternalError(f"engine error: no table {name!r}")
        n = int(self._spark.table(name).count())
        if name in self._stored:  # a created table's rows do not change until it is replaced or dropped
            self._counts[name] = n
        return n

    def attach_parquet(self, folder: str | Path, tables: Sequence[str]) -> list[str]:
        """Expose ``folder/<table>.parquet`` (a file or a folder of parts, any URI Spark reads) as views; returns the
        tables found. ``folder`` may be ``hdfs://``, ``s3a://``, ... on a cluster."""
        found = []
        base = str(folder).rstrip("/")
        for table in tables:
            try:
                df = self._spark.read.parquet(f"{base}/{table}.parquet")
            except Exception as exc:
                if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
                    continue
                raise ExternalError(f"cannot read {base}/{table}.parquet: {exc}") from exc
            df.createOrReplaceTempView(table)
            found.append(table)
        return found

    # -- scratch namespaces -------------------------------------------------------------------------------------
    def scratch(self, purpose: str) -> Scratch:
        return Scratch(self, purpose, next(self._scratch_serial))

    def drop_relations(self, names: Sequence[str]) -> None:
        for name in dict.fromkeys(names):
            self._counts.pop(name, None)
            df = self._stored.pop(name, None)
            if df is not None:
                self._dropped.append(df)
            self._spark.catalog.dropTempView(name)
        self._release_dropped()

    def _release_dropped(self, force: bool = False) -> None:
        """Free the stored rows of dropped views once no Spark job runs.

        A statement returns when its answer is known, but adaptive execution may leave a stage of it running (the
        other side of a join it found empty; SPARK-37043): freed rows under that stage fail it with
        ``CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND`` in the log, though no answer depends on it. Rows stay until a later
        drop finds Spark idle, or the engine closes.
        """
        if not self._dropped:
            return
        if not force and self._spark.sparkContext.statusTracker().getActiveJobsIds():
            return
        for df in self._dropped:
            _release(df)
        self._dropped.clear()

    def add_unique_key(self, table: str, columns: Sequence[str], index_name: str) -> None:
        raise ExternalError("the Spark engine holds no keyed tables: run this stage on the workspace (DuckDB)")

    def upsert(
        self, table: str, select_sql: str, key: Sequence[str], updates: dict[str, str], params: Params = None
    ) -> None:
        raise ExternalError("the Spark engine holds no keyed tables: run this stage on the workspace (DuckDB)")

    # -- transactions -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[SparkEngine]:
        """No-op: Spark has no transactions; what detection stores goes into the workspace in one of its own."""
        yield self

    # -- files --------------------------------------------------------------------------------------------------
    def to_parquet(self, relation_sql: str, path: str | Path, params: Params = None) -> Path:
        """Write a relation as a Parquet *folder* of parts (Spark's layout)."""
        self._run(relation_sql, params).write.mode("overwrite").parquet(str(path))
        return Path(path)

    def to_csv(self, relation_sql: str, path: str | Path, params: Params = None) -> Path:
        """Write a relation as a CSV *folder* of parts with headers (Spark's layout)."""
        self._run(relation_sql, params).write.mode("overwrite").option("header", "true").csv(str(path))
        return Path(path)

    def checkpoint(self) -> None:
        """Nothing to flush: created views live until dropped."""

    def memory_budget_bytes(self) -> int | None:
        """None: a statement runs as stages over executors, each spilling its own shuffle partitions."""
        return None

    def close(self) -> None:
        self.drop_relations(list(self._stored))
        self._release_dropped(force=True)
        if self._owns:
            self._spark.stop()


def _release(df: DataFrame) -> None:
    """Free the executors' blocks of a locally checkpointed DataFrame now rather than when the JVM collects it.

    A checkpointed DataFrame is a scan of one RDD (Spark's ``LogicalRDD``); a local checkpoint persisted that RDD.
    Reliable checkpoint files are left to Spark's cleaner (``spark.cleaner.referenceTracking.cleanCheckpoints``).
    """
    # a session without the JVM bridge (Spark Connect) has no ``_jdf``: its cleaner frees the blocks later
    with contextlib.suppress(Exception):
        plan = df._jdf.queryExecution().logical()
        if plan.getClass().getSimpleName() == "LogicalRDD":
            plan.rdd().unpersist(False)
