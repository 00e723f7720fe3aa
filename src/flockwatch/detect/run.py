"""Run detectors over a workspace and store calibrated, evidence-carrying edges.

Consumes an open :class:`~flockwatch.workspace.Workspace` (canonical tables filled); produces one row in
``detection_runs``, the significant account pairs per detector in ``edges`` and a bounded sample of their
co-actions in ``edge_evidence`` (migration ``0002_detection``), and returns a :class:`DetectionRun`.

Per detector: detector SQL -> its edge builder -> stored edges + evidence. The builder is the co-action path
(``coaction.py``: kernel rows and pairs, null model, Benjamini–Hochberg threshold) unless the detector brings its own
(``Detector.edge_builder``, e.g. ``theme_profile``'s account-profile similarity); every builder leaves its edges in
the same columns (``base.EDGE_COLUMNS``). Each detector works in its own engine scratch, dropped after it, so that
peak memory is one detector's pairs, not all of them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from flockwatch.core.timing import Stages
from flockwatch.detect import kernel
from flockwatch.detect.base import EDGE_COLUMNS, EVIDENCE_COLUMNS, EdgeRequest, EdgeTables
from flockwatch.detect.coaction import coaction_edges
from flockwatch.detect.registry import DEFAULT_DETECTORS, get
from flockwatch.engine import Engine
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace

#: Edges whose BH q-value is at most this are kept (expected share of chance edges among them).
DEFAULT_FDR = 1e-3
#: (target, bucket) cells with more actions than this use the rank-neighbour join (kernel.py).
DEFAULT_HOT_CELL_ACTIONS = 50
#: Edges need observed co-action episodes at least this many times their expectation (calibration.py, Effect size).
DEFAULT_MIN_LIFT = 5.0
#: Co-action pairs kept per edge as evidence.
DEFAULT_EVIDENCE_PER_EDGE = 20


@dataclass
class DetectorResult:
    detector: str
    params: dict[str, Any]
    rows_count: int
    co_actions_count: int
    candidate_pairs_count: int
    edges_count: int
    null_model: dict[str, float]
    seconds: float
    #: wall and CPU seconds per stage (``core.timing``)
    stages_s: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class DetectionRun:
    """What one ``detect`` call did; the edges themselves live in the workspace under ``run_id``."""

    run_id: str
    params: dict[str, Any]
    results: list[DetectorResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def edges_count(self) -> int:
        return sum(r.edges_count for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "params": self.params,
            "seconds": round(self.seconds, 3),
            "edges": self.edges_count,
            "detectors": [r.__dict__ for r in self.results],
        }


def new_run_id() -> str:
    return "run-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def detect(
    ws: Workspace,
    detectors: Sequence[str] | None = None,
    window_s: float | None = None,
    fdr: float = DEFAULT_FDR,
    hot_cell_actions: int = DEFAULT_HOT_CELL_ACTIONS,
    evidence_per_edge: int = DEFAULT_EVIDENCE_PER_EDGE,
    min_co_actions: int = 2,
    min_lift: float = DEFAULT_MIN_LIFT,
    detector_params: Mapping[str, Mapping[str, Any]] | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> DetectionRun:
    """Run ``detectors`` (default: all registered) and store their calibrated edges under a new run id.

    ``window_s`` overrides every detector's own window except fixed-window ones (``sync_post``); ``fdr`` is the
    Benjamini–Hochberg false-discovery rate over all account pairs; ``min_co_actions`` is the fewest co-acted units
    an edge may rest on (one coincidence is never an edge, however rare its target); ``min_lift`` the effect size an
    edge needs besides significance (observed / expected episodes).
    """
    if not 0 < fdr < 1:
        raise ValidationError(f"fdr must be in (0, 1), got {fdr}")
    if hot_cell_actions < 0:
        raise ValidationError("hot_cell_actions must be >= 0")
    if min_lift < 1.0:
        raise ValidationError(f"min_lift must be >= 1, got {min_lift}")
    names = list(detectors or DEFAULT_DETECTORS)
    dets = [get(n) for n in names]
    detector_params = dict(detector_params or {})
    for n in detector_params:
        get(n)
    run = DetectionRun(
        run_id=run_id or new_run_id(),
        params={
            "detectors": names,
            "window_s": window_s,
            "fdr": fdr,
            "hot_cell_actions": hot_cell_actions,
            "evidence_per_edge": evidence_per_edge,
            "min_co_actions": min_co_actions,
            "min_lift": min_lift,
            "detector_params": {k: dict(v) for k, v in detector_params.items()},
        },
    )
    e = engine or ws.engine
    if e is not ws.engine:
        run.params["engine"] = e.name
    _close_interrupted_runs(ws)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    t_run = time.perf_counter()
    ws.engine.sql(
        "INSERT INTO detection_runs (run_id, params_json, started_at, detectors, actions_count, status) "
        "VALUES (?, ?, ?, ?, ?, 'running')",
        [run.run_id, json.dumps(run.params), started, ",".join(names), e.count("actions")],
    )
    try:
        for det in dets:
            params = det.params(detector_params.get(det.name))
            if window_s is not None and not det.fixed_window:
                params["window_s"] = float(window_s)
            if progress:
                progress(f"{det.name}: co-actions")
            t0 = time.perf_counter()
            build = det.edge_builder or coaction_edges
            stages = Stages(f"{det.name}: ")
            with e.scratch("detect") as s:
                req = EdgeRequest(
                    e,
                    s,
                    det.build_sql(params),
                    params,
                    fdr,
                    hot_cell_actions,
                    min_co_actions,
                    min_lift,
                    evidence_per_edge,
                    stages,
                    det.first_shared_slot,
                    keep_visits=(
                        functools.partial(kernel.keep_visits_of, e, run.run_id, det.name)
                        if det.attach_cells and e is ws.engine
                        else None
                    ),
                )
                out = build(req)
                if progress:
                    progress(f"{det.name}: {out.edges_count:,} edges from {out.co_actions_count:,} co-actions")
                with stages("store"):
                    _store(ws, e, run.run_id, det.name, out, evidence_per_edge)
            run.results.append(
                DetectorResult(
                    det.name,
                    params,
                    out.rows_count,
                    out.co_actions_count,
                    out.candidate_pairs_count,
                    out.edges_count,
                    out.null_model,
                    round(time.perf_counter() - t0, 3),
                    stages.to_dict(),
                )
            )
    except BaseException as exc:
        _record_failure(ws, run, exc)
        raise
    run.seconds = time.perf_counter() - t_run
    ws.engine.sql(
        "UPDATE detection_runs SET finished_at = ?, edges_count = ?, status = 'done', params_json = ? WHERE run_id = ?",
        [
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            run.edges_count,
            json.dumps({**run.params, "results": [r.__dict__ for r in run.results]}),
            run.run_id,
        ],
    )
    return run


def _close_interrupted_runs(ws: Workspace) -> None:
    """Runs still ``running`` when a new one starts were cut short (``kill -9``, a lost machine): DuckDB admits one
    writer per workspace file, so none of them can still be writing. They become ``interrupted`` and lose the edges
    and evidence they had stored, as a failed run does."""
    stale = [r for (r,) in ws.engine.sql("SELECT run_id FROM detection_runs WHERE status = 'running'").rows()]
    if not stale:
        return
    with ws.engine.transaction():
        _discard_edges(ws, stale)
        ws.engine.sql("UPDATE detection_runs SET status = 'interrupted' WHERE list_contains(?, run_id)", [stale])


def _discard_edges(ws: Workspace, run_ids: list[str]) -> None:
    """Delete the edges and evidence stored under ``run_ids``."""
    for table in ("edge_evidence", "edges"):
        ws.engine.sql(f"DELETE FROM {table} WHERE list_contains(?, run_id)", [run_ids])


def _record_failure(ws: Workspace, run: DetectionRun, exc: BaseException) -> None:
    """A run that did not finish keeps none of its edges (nothing may read half a run) and says why it stopped:
    status ``failed``, the error in ``params_json``. Best effort: the store itself may be what failed."""
    try:
        _discard_edges(ws, [run.run_id])
        ws.engine.sql(
            "UPDATE detection_runs SET finished_at = ?, status = 'failed', params_json = ? WHERE run_id = ?",
            [
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                json.dumps({**run.params, "error": f"{type(exc).__name__}: {str(exc)[:2000]}"}),
                run.run_id,
            ],
        )
    except Exception:  # the original error is what the caller must see
        return


def _store(ws: Workspace, e: Engine, run_id: str, detector: str, out: EdgeTables, evidence_per_edge: int) -> None:
    """Edges and evidence of one detector into the workspace: one INSERT ... SELECT when ``e`` is the workspace's
    engine, else the same SELECT fetched from ``e`` in Arrow batches and appended."""
    edges_sql = f"SELECT ? AS run_id, ? AS detector, {', '.join(EDGE_COLUMNS)} FROM ({out.edges_sql}) x"
    _insert(ws, e, "edges", _EDGE_COLUMNS, edges_sql, [run_id, detector])
    if evidence_per_edge <= 0:
        return
    evidence_sql = f"SELECT ? AS run_id, ? AS detector, {', '.join(EVIDENCE_COLUMNS)} FROM ({out.evidence_sql}) x"
    _insert(ws, e, "edge_evidence", _EVIDENCE_COLUMNS, evidence_sql, [run_id, detector])


_EDGE_COLUMNS = ["run_id", "detector", *EDGE_COLUMNS]
_EVIDENCE_COLUMNS = ["run_id", "detector", *EVIDENCE_COLUMNS]
#: rows per batch when edges and evidence come back from another engine
_BATCH_ROWS = 200_000


def _insert(ws: Workspace, e: Engine, table: str, columns: list[str], select_sql: str, params: list[Any]) -> None:
    if e is ws.engine:
        e.append(table, columns, select_sql, params)
    else:
        # streamed: a run's evidence can be millions of rows, more than a driver should hold at once
        for batch in e.sql(select_sql, params).batches(_BATCH_ROWS):
            if batch.num_rows:
                ws.engine.insert_arrow(table, pa.Table.from_batches([batch]))
