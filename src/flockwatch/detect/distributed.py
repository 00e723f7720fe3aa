"""Detection on a distributed engine (Spark): canonical Parquet in, the run's edges back into the workspace.

Consumes a workspace (where runs, edges and networks are stored) and either the workspace's own canonical tables,
exported here as Parquet (:func:`export_canonical`), or a folder / URI of canonical Parquet written elsewhere (an
export from another workspace, a cluster's ingest: ``<folder>/actions.parquet``, ``action_urls.parquet``, ...);
produces a detection run in the workspace, exactly as :func:`flockwatch.detect.run.detect` on DuckDB would, but
computed by the Spark engine (:class:`flockwatch.engine.spark_engine.SparkEngine`).

Only detection is distributed: its input (every action) is what outgrows one machine. The calibrated edges it keeps
are orders of magnitude fewer, and the network build (Leiden, growth) runs on them in the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flockwatch.detect.run import DetectionRun, detect
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace

#: The canonical tables detectors read (DESIGN.md, Canonical data).
DETECTION_TABLES = ("actions", "action_urls", "action_hashtags", "action_mentions")


def export_canonical(ws: Workspace, folder: str | Path) -> Path:
    """Write the workspace's detection tables as ``folder/<table>.parquet``; returns ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for table in DETECTION_TABLES:
        ws.engine.to_parquet(f"SELECT * FROM {table}", out / f"{table}.parquet")
    return out


def checkpoint_warning(master: str | None, checkpoint_dir: str | None) -> str | None:
    """The warning a run on ``master`` gets when its SparkContext has no checkpoint directory, else None.

    Without ``spark.checkpoint.dir`` the engine's intermediate tables are *local* checkpoints, kept by the executor
    that computed them: in local mode that is the driver itself, but on a cluster an executor lost mid-run (a
    preempted node, dynamic allocation) takes rows a later statement needs with it, and the run fails."""
    if checkpoint_dir or (master or "").startswith("local"):
        return None
    return (
        "no spark.checkpoint.dir: intermediate tables are local checkpoints, and an executor lost mid-run "
        "fails the run (docs/spark.md)"
    )


def detect_on_spark(
    ws: Workspace,
    master: str | None = "local[2]",
    parquet: str | Path | None = None,
    conf: dict[str, str] | None = None,
    session: Any = None,
    progress: Callable[[str], None] | None = None,
    **detect_args: Any,
) -> DetectionRun:
    """Run :func:`~flockwatch.detect.run.detect` with the Spark engine and store the run in ``ws``.

    ``parquet``: canonical Parquet to read (default: the workspace's tables, exported to ``<workspace>/parquet``).
    ``master``: ``local[N]``, ``spark://host:7077``, ``yarn``, ... (None: whatever spark-submit set).
    ``session``: an existing SparkSession to use (and leave running) instead of starting one.
    """
    from flockwatch.engine.spark_engine import SparkEngine, spark_session

    if parquet is None:
        if ws.path is None:
            raise ValidationError("an in-memory workspace needs --parquet: a folder of canonical Parquet to read")
        if progress:
            progress("exporting canonical tables as Parquet")
        parquet = export_canonical(ws, ws.path / "parquet")
    if progress:
        progress("starting Spark")
    owns = session is None
    engine = SparkEngine(session if session is not None else spark_session(master, conf=conf), owns_session=owns)
    sc = engine.session.sparkContext
    warning = checkpoint_warning(sc.master, sc.getCheckpointDir())
    if progress and warning:
        progress(warning)
    try:
        found = engine.attach_parquet(parquet, DETECTION_TABLES)
        if "actions" not in found:
            raise ValidationError(
                f"no actions.parquet under {parquet}: export one with `flockwatch detect --engine "
                "spark` on a workspace, or point --parquet at canonical Parquet"
            )
        for missing in set(DETECTION_TABLES) - set(found):  # entity tables a source did not have: empty, typed
            engine.sql(f"CREATE TEMP TABLE {missing} AS SELECT * FROM ({_empty_sql(ws, missing)})")
        return detect(ws, engine=engine, progress=progress, **detect_args)
    finally:
        engine.close()


def _empty_sql(ws: Workspace, table: str) -> str:
    cols = ws.engine.sql(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).rows()
    return "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in cols) + " WHERE false"
