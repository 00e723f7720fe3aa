"""`flockwatch detect`: run detectors, calibrate edges, cluster candidate networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.detect import DETECTORS, cnt_co_retweet, get
from flockwatch.detect import detect as run_detect
from flockwatch.detect.distributed import detect_on_spark
from flockwatch.detect.run import DEFAULT_FDR, DEFAULT_HOT_CELL_ACTIONS, DEFAULT_MIN_LIFT, new_run_id
from flockwatch.errors import UnknownNameError, ValidationError
from flockwatch.networks import build_networks
from flockwatch.networks.cluster import DEFAULT_RESOLUTION
from flockwatch.networks.grow import DEFAULT_GROW_MIN_SCORE

ENGINES = ("duckdb", "spark")


def register(app: typer.Typer) -> None:
    app.command("detect")(detect)


def detect(
    workspace: WorkspaceOpt,
    detector: Annotated[
        list[str] | None, typer.Option("--detector", "-d", help="Detector name (repeatable); default: all.")
    ] = None,
    window_s: Annotated[
        float | None, typer.Option("--window-s", help="Co-action window in seconds (default: each detector's).")
    ] = None,
    fdr: Annotated[float, typer.Option(help="False-discovery rate over all account pairs.")] = DEFAULT_FDR,
    min_lift: Annotated[
        float,
        typer.Option(help="Effect size an edge needs besides significance: observed / expected co-action episodes."),
    ] = DEFAULT_MIN_LIFT,
    hot_cell_actions: Annotated[
        int, typer.Option(help="Rank-neighbour join above this many actions per (target, window) cell; 0 = exact.")
    ] = DEFAULT_HOT_CELL_ACTIONS,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Detector parameter, e.g. co_text.min_text_chars=30.")
    ] = None,
    resolution: Annotated[
        float, typer.Option(help="Leiden CPM resolution (minimum internal density).")
    ] = DEFAULT_RESOLUTION,
    cluster: Annotated[bool, typer.Option("--cluster/--no-cluster", help="Build candidate networks.")] = True,
    grow: Annotated[
        bool,
        typer.Option(
            "--grow/--no-grow", help="Add low-activity accounts tied to flagged members (seed-anchored expansion)."
        ),
    ] = True,
    grow_min_score: Annotated[
        float, typer.Option("--grow-min-score", help="Calibrated score an account needs to be added by growth.")
    ] = DEFAULT_GROW_MIN_SCORE,
    parity: Annotated[
        str | None, typer.Option(help="'cnt': coordination-network-toolkit 1.5.2 co-retweet semantics.")
    ] = None,
    min_edge_weight: Annotated[int, typer.Option(help="Parity mode: minimum raw co-retweet count.")] = 1,
    output: Annotated[Path | None, typer.Option(help="Parity mode: write the edge list to this CSV.")] = None,
    engine: Annotated[
        str, typer.Option(help="Where co-actions are computed: 'duckdb' (in-process) or 'spark' (pyspark).")
    ] = "duckdb",
    master: Annotated[
        str | None,
        typer.Option(help="Spark master: local[2], spark://host:7077, yarn (default: spark-submit's, else local[*])."),
    ] = None,
    parquet: Annotated[
        str | None,
        typer.Option(help="Spark: canonical Parquet folder/URI to read (default: the workspace's tables, exported)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Find accounts that act together beyond chance and group them into candidate networks.

    Example: flockwatch detect --workspace cases/hk2019 --detector co_repost --detector co_near_text --window-s 60

    Example (Spark, local mode): flockwatch detect --workspace cases/hk2019 --engine spark --master "local[2]"
    """
    if engine not in ENGINES:
        raise UnknownNameError("engine", engine, list(ENGINES))
    if engine != "spark" and (master or parquet):
        raise ValidationError("--master and --parquet apply to --engine spark only")
    if parity is not None:
        _parity(workspace, parity, window_s if window_s is not None else 60.0, min_edge_weight, output, json_)
        return
    names = list(detector or [])
    for n in names:
        get(n)
    with open_workspace(workspace) as ws, progress_status("detecting", not json_) as update:
        args = dict(
            detectors=names or None,
            window_s=window_s,
            fdr=fdr,
            min_lift=min_lift,
            hot_cell_actions=hot_cell_actions,
            detector_params=_params(param),
            progress=update,
        )
        if engine == "spark":
            run = detect_on_spark(ws, master=master, parquet=parquet, **args)
        else:
            run = run_detect(ws, **args)
        networks = []
        if cluster:
            update("clustering candidate networks")
            networks = build_networks(ws, run.run_id, resolution=resolution, grow=grow, grow_min_score=grow_min_score)
    result = run.to_dict()
    result["networks"] = len(networks)
    result["networks_flagged"] = sum(n.flagged for n in networks)
    if json_:
        print_json(result)
        return
    t = Table(title=f"detection run {run.run_id}")
    for c in ("detector", "rows", "co-actions", "candidate pairs", "edges", "seconds"):
        t.add_column(c, justify="left" if c == "detector" else "right")
    for r in run.results:
        t.add_row(
            r.detector,
            f"{r.rows_count:,}",
            f"{r.co_actions_count:,}",
            f"{r.candidate_pairs_count:,}",
            f"{r.edges_count:,}",
            f"{r.seconds:.1f}",
        )
    console.print(t)
    if cluster:
        console.print(
            f"{len(networks)} candidate networks, {result['networks_flagged']} above the flagging "
            f"threshold; see `flockwatch networks list --workspace {workspace}`"
        )


def _params(items: list[str] | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        det, dot, name = key.partition(".")
        if not sep or not dot:
            raise ValidationError(f"--param must look like detector.name=value, got {item!r}")
        if det not in DETECTORS:
            raise UnknownNameError("detector", det, list(DETECTORS))
        out.setdefault(det, {})[name] = value
    return out


def _parity(
    workspace: Path, parity: str, window_s: float, min_edge_weight: int, output: Path | None, json_: bool
) -> None:
    if parity != "cnt":
        raise UnknownNameError("parity mode", parity, ["cnt"])
    with open_workspace(workspace) as ws:
        table = cnt_co_retweet(ws.engine, window_s=window_s, min_edge_weight=min_edge_weight)
        run_id = new_run_id()
        params = {"parity": "cnt", "window_s": window_s, "min_edge_weight": min_edge_weight}
        with ws.engine.transaction():
            ws.engine.sql(
                "INSERT INTO detection_runs (run_id, params_json, started_at, finished_at, detectors, "
                "actions_count, edges_count, status) VALUES (?, ?, now(), now(), 'co_repost', ?, ?, "
                "'parity')",
                [run_id, json.dumps(params), ws.engine.count("actions"), table.num_rows],
            )
            ws.engine.register("__parity", table)
            try:
                ws.engine.sql(
                    "INSERT INTO edges (run_id, detector, account_a, account_b, co_actions_count, weight) "
                    "SELECT ?, 'co_repost', user_1, user_2, weight, weight FROM __parity",
                    [run_id],
                )
            finally:
                ws.engine.unregister("__parity")
        if output is not None:
            ws.engine.register("__parity", table)
            try:
                ws.engine.to_csv("SELECT user_1, user_2, weight FROM __parity ORDER BY 1, 2", output)
            finally:
                ws.engine.unregister("__parity")
    summary = {
        "run_id": run_id,
        **params,
        "edges": table.num_rows,
        "self_loops": sum(
            1
            for a, b in zip(table.column("user_1").to_pylist(), table.column("user_2").to_pylist(), strict=False)
            if a == b
        ),
    }
    if json_:
        print_json(summary)
    else:
        console.print(
            f"parity run {run_id}: {summary['edges']:,} directed co-retweet edges "
            f"({summary['self_loops']:,} self-loops) with coordination-network-toolkit semantics"
        )
