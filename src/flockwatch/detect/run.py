"""Run detectors over a workspace and store calibrated, evidence-carrying edges.

Consumes an open :class:`~flockwatch.workspace.Workspace` (canonical tables filled); produces one row in
``detection_runs``, the significant account pairs per detector in ``edges`` and a bounded sample of their
co-actions in ``edge_evidence`` (migration ``0002_detection``), and returns a :class:`DetectionRun`.

Per detector: detector SQL -> kernel rows and co-action pairs (``kernel.py``) -> null model and Benjamini–Hochberg
threshold (``calibration.py``) -> stored edges + evidence. Each detector works in its own engine scratch, dropped
after it, so that peak memory is one detector's pairs, not all of them.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core.timing import Stages
from flockwatch.detect import calibration, kernel
from flockwatch.detect.registry import DEFAULT_DETECTORS, get
from flockwatch.engine import Engine, Scratch
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
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    t_run = time.perf_counter()
    ws.engine.sql(
        "INSERT INTO detection_runs (run_id, params_json, started_at, detectors, actions_count, status) "
        "VALUES (?, ?, ?, ?, ?, 'running')",
        [run.run_id, json.dumps(run.params), started, ",".join(names), e.count("actions")],
    )
    for det in dets:
        params = det.params(detector_params.get(det.name))
        if window_s is not None and not det.fixed_window:
            params["window_s"] = float(window_s)
        if progress:
            progress(f"{det.name}: co-actions")
        t0 = time.perf_counter()
        # a detector may carry its own hot-cell limit (sync_post); otherwise the run's applies
        hot = int(params.get("hot_cell_actions", hot_cell_actions))
        stages = Stages(f"{det.name}: ")
        with e.scratch("detect") as s:
            with stages("kernel rows"):
                n_rows = kernel.build_rows(e, det.build_sql(params), params["window_s"], hot, s)
            if progress:
                progress(f"{det.name}: calibrating co-actions of {n_rows:,} rows")
            with stages("null model"):
                model = calibration.null_model(e, s, hot)
            # co-actions are aggregated into candidate pairs as they are joined, never stored all at once
            counts: dict[str, int] = {}
            n_edges = calibration.significant_pairs(
                e,
                s,
                model,
                fdr,
                min_co_actions,
                min_lift,
                pairs_sql=kernel.pairs_sql(s.rows, params["window_s"], hot),
                stages=stages,
                counts=counts,
            )
            n_pairs, n_cand = counts["co_actions"], counts["candidates"]
            with stages("store"):
                _store(ws, e, run.run_id, det.name, s, evidence_per_edge)
        run.results.append(
            DetectorResult(
                det.name,
                params,
                n_rows,
                n_pairs,
                n_cand,
                n_edges,
                model.to_dict(),
                round(time.perf_counter() - t0, 3),
                stages.to_dict(),
            )
        )
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


def _store(ws: Workspace, e: Engine, run_id: str, detector: str, s: Scratch, evidence_per_edge: int) -> None:
    """Edges and evidence of one detector into the workspace: one INSERT ... SELECT when ``e`` is the workspace's
    engine, else the same SELECT fetched from ``e`` as Arrow and appended (edges are few next to the actions)."""
    acc = f"(SELECT DISTINCT acc, account_id FROM {s.rows})"
    edges_sql = f"""
SELECT ? AS run_id, ? AS detector, aa.account_id AS account_a, ab.account_id AS account_b,
       x.co_actions AS co_actions_count, x.k AS episodes_count, x.d_a AS activity_a_count,
       x.d_b AS activity_b_count, x.expected AS expected_count, x.p_value, x.q_value, x.weight,
       make_timestamp(CAST(x.first_t * 1e6 AS BIGINT)) AS first_at,
       make_timestamp(CAST(x.last_t * 1e6 AS BIGINT)) AS last_at, x.mean_dt_s
FROM {s.edges} x JOIN {acc} aa ON aa.acc = x.a JOIN {acc} ab ON ab.acc = x.b"""
    _insert(ws, e, "edges", _EDGE_COLUMNS, edges_sql, [run_id, detector])
    if evidence_per_edge <= 0:
        return
    evidence_sql = f"""
SELECT ? AS run_id, ? AS detector, la.account_id AS account_a, lb.account_id AS account_b,
       la.action_id AS action_id_a, lb.action_id AS action_id_b, la.target,
       make_timestamp(CAST(la.t * 1e6 AS BIGINT)) AS acted_at_a, lb.t - la.t AS dt_s
FROM (
  SELECT p.*, row_number() OVER (PARTITION BY least(p.acc_l, p.acc_r), greatest(p.acc_l, p.acc_r)
                                 ORDER BY p.t_l, p.rid_l, p.rid_r) AS rn
  FROM {s.pairs_live} p
  SEMI JOIN {s.edges} x ON x.a = least(p.acc_l, p.acc_r) AND x.b = greatest(p.acc_l, p.acc_r)
) s
JOIN {s.rows} la ON la.rid = CASE WHEN s.acc_l < s.acc_r THEN s.rid_l ELSE s.rid_r END
JOIN {s.rows} lb ON lb.rid = CASE WHEN s.acc_l < s.acc_r THEN s.rid_r ELSE s.rid_l END
WHERE s.rn <= ?"""
    _insert(ws, e, "edge_evidence", _EVIDENCE_COLUMNS, evidence_sql, [run_id, detector, int(evidence_per_edge)])


_EDGE_COLUMNS = (
    "run_id, detector, account_a, account_b, co_actions_count, episodes_count, activity_a_count, activity_b_count, "
    "expected_count, p_value, q_value, weight, first_at, last_at, mean_dt_s"
)
_EVIDENCE_COLUMNS = "run_id, detector, account_a, account_b, action_id_a, action_id_b, target, acted_at_a, dt_s"


def _insert(ws: Workspace, e: Engine, table: str, columns: str, select_sql: str, params: list[Any]) -> None:
    if e is ws.engine:
        e.sql(f"INSERT INTO {table} ({columns}) {select_sql}", params)
    else:
        rows = e.sql(select_sql, params).arrow()
        if rows.num_rows:
            ws.engine.insert_arrow(table, rows)
