"""Default detector set at scale: where ``flockwatch detect`` spends its time and memory, per detector and stage.

Consumes a workspace whose canonical tables are already filled (``flockwatch simulate`` + ``flockwatch ingest``);
runs, in this process, ``detect`` with the default detector set (``registry.DEFAULT_DETECTORS``) and then the
network build (Leiden, growth), timing each stage of each detector:

    rows        detector SQL -> kernel rows      (kernel.build_rows)
    null        null model                       (calibration.null_model)
    threshold   co-actions enumerated and aggregated into candidate pairs, p-values, BH threshold -> edges
                (calibration.significant_pairs; ``pairs`` appears only in results of earlier code, which
                materialised every co-action first)
    store       edges + evidence into the workspace (run._store)

For every stage: wall seconds, CPU seconds of this process (all threads: DuckDB's workers included) and the peak
RSS of the process once the stage ends (a running maximum: it shows the stage where the peak was reached). Stage
timings come from wrapping those functions' module attributes, which ``detect`` looks up at call time; nothing in
the pipeline is replaced. Prints a table and writes JSON (``--out``); ``--table FILE...`` prints the table of
earlier results without running anything.

    FLOCKWATCH_MEMORY_LIMIT=8GB python bench/default_set.py --workspace /tmp/ws5m --label 5m \
        --out bench/results/default_set_5m.json
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = ("rows", "pairs", "null", "threshold", "store")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StageClock:
    """Accumulates wall / CPU seconds per (detector, stage); ``current`` names the detector being run."""

    def __init__(self) -> None:
        self.current = "?"
        self.stages: dict[str, dict[str, dict[str, float]]] = {}

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                rec = self.stages.setdefault(self.current, {}).setdefault(
                    stage, {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0}
                )
                rec["wall_s"] = round(rec["wall_s"] + time.perf_counter() - w0, 3)
                rec["cpu_s"] = round(rec["cpu_s"] + time.process_time() - c0, 3)
                rec["peak_rss_mb"] = round(_rss_mb(), 1)

        return timed


def run(
    workspace: Path, label: str, detectors: list[str] | None, cluster: bool, partial: Path | None = None
) -> dict[str, Any]:
    from flockwatch.detect import calibration, kernel
    from flockwatch.detect import run as detect_run
    from flockwatch.detect.registry import DEFAULT_DETECTORS
    from flockwatch.networks import build_networks
    from flockwatch.workspace import Workspace

    clock = StageClock()
    kernel.build_rows = clock.wrap("rows", kernel.build_rows)  # type: ignore[method-assign]
    calibration.null_model = clock.wrap("null", calibration.null_model)  # type: ignore[method-assign]
    calibration.significant_pairs = clock.wrap("threshold", calibration.significant_pairs)  # type: ignore[method-assign]
    detect_run._store = clock.wrap("store", detect_run._store)  # type: ignore[attr-defined]

    def progress(message: str) -> None:
        name = message.split(":", 1)[0]
        if partial is not None and name != clock.current:
            # a long run killed at a deadline still leaves the stages of the detectors it finished
            partial.write_text(json.dumps({"label": label, "partial": True, "stages": clock.stages}, indent=2) + "\n")
        clock.current = name

    names = detectors or list(DEFAULT_DETECTORS)
    w0, c0 = time.perf_counter(), time.process_time()
    ws = Workspace.open(workspace)
    try:
        actions = ws.engine.count("actions")
        memory_limit = ws.engine.sql("SELECT current_setting('memory_limit')").scalar()
        open_wall, open_cpu = time.perf_counter() - w0, time.process_time() - c0
        w1, c1 = time.perf_counter(), time.process_time()
        det_run = detect_run.detect(ws, detectors=names, progress=progress)
        detect_wall, detect_cpu = time.perf_counter() - w1, time.process_time() - c1
        rss_detect = _rss_mb()
        networks_wall = networks_cpu = 0.0
        flagged = 0
        if cluster:
            # the network build's growth step runs the kernel too: its stages are booked under "networks"
            clock.current = "networks"
            w2, c2 = time.perf_counter(), time.process_time()
            nets = build_networks(ws, det_run.run_id)
            networks_wall, networks_cpu = time.perf_counter() - w2, time.process_time() - c2
            flagged = sum(n.flagged for n in nets)
    finally:
        ws.close()
    per_detector = []
    networks_stages = clock.stages.get("networks", {})
    for r in det_run.results:
        st = clock.stages.get(r.detector, {})
        if not any(k in st for k in ("rows", "null", "threshold")):
            # a detector with its own edge builder (theme_profile) runs none of the wrapped kernel stages: the stages
            # the run recorded for it (its builder's and its store) stand in
            peak = st.get("store", {}).get("peak_rss_mb", 0.0)
            st = {name: {**sec, "peak_rss_mb": peak} for name, sec in r.stages_s.items()}
        per_detector.append(
            {
                "detector": r.detector,
                "rows": r.rows_count,
                "co_actions": r.co_actions_count,
                "edges": r.edges_count,
                "wall_s": r.seconds,
                "cpu_s": round(sum(s["cpu_s"] for s in st.values()), 3),
                "peak_rss_mb": max((s["peak_rss_mb"] for s in st.values()), default=0.0),
                "stages": st,
            }
        )
    return {
        "label": label,
        "detectors": names,
        "actions": actions,
        "memory_limit": memory_limit,
        "open_s": round(open_wall, 3),
        "open_cpu_s": round(open_cpu, 3),
        "detect_wall_s": round(detect_wall, 2),
        "detect_cpu_s": round(detect_cpu, 2),
        "peak_rss_after_detect_mb": round(rss_detect, 1),
        "networks_wall_s": round(networks_wall, 2),
        "networks_cpu_s": round(networks_cpu, 2),
        "networks_flagged": flagged,
        "networks_kernel_stages": networks_stages,
        "edges": det_run.edges_count,
        "total_wall_s": round(open_wall + detect_wall + networks_wall, 2),
        "total_cpu_s": round(open_cpu + detect_cpu + networks_cpu, 2),
        "peak_rss_mb": round(_rss_mb(), 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "per_detector": per_detector,
    }


def _count(n: int | None, width: int) -> str:
    """A count right-aligned in ``width``; ``-`` where a run killed at a deadline left it unknown."""
    return f"{n:>{width},}" if n is not None else f"{'-':>{width}}"


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    for res in results:
        lines.append(
            f"\n{res['label']}: {res['actions']:,} actions, memory_limit {res['memory_limit']}, load {res['load_avg']}"
        )
        head = f"{'detector':<14}{'rows':>12}{'co-actions':>13}{'edges':>10}{'wall s':>9}{'cpu s':>9}{'rss MB':>9}"
        # stages in CPU seconds: on a shared machine their wall time says more about the neighbours than about the stage
        head += "".join(f"{s + ' cpu':>14}" for s in STAGES)
        lines.append(head)
        for d in res["per_detector"]:
            row = (
                f"{d['detector']:<14}{_count(d['rows'], 12)}{_count(d['co_actions'], 13)}{_count(d['edges'], 10)}"
                f"{d['wall_s']:>9.1f}{d['cpu_s']:>9.1f}{d['peak_rss_mb']:>9.0f}"
            )
            row += "".join(f"{d['stages'].get(s, {}).get('cpu_s', 0.0):>14.1f}" for s in STAGES)
            lines.append(row)
        lines.append(
            f"{'detect total':<49}{res['detect_wall_s']:>9.1f}{res['detect_cpu_s']:>9.1f}"
            f"{res['peak_rss_after_detect_mb']:>9.0f}"
        )
        lines.append(f"{'networks':<49}{res['networks_wall_s']:>9.1f}{res['networks_cpu_s']:>9.1f}")
        lines.append(f"{'total':<49}{res['total_wall_s']:>9.1f}{res['total_cpu_s']:>9.1f}{res['peak_rss_mb']:>9.0f}")
    return "\n".join(lines)


def extrapolate(results: list[dict[str, Any]], actions: int) -> dict[str, Any]:
    """CPU seconds at ``actions`` from a power law ``cpu = c * n**alpha`` per detector (and for the network build),
    fitted to the two largest measured sizes that have it. An extrapolation, not a measurement: it assumes the
    shape of the data (accounts, texts, bursts per action) stays that of the simulation."""
    import math

    def fit(points: list[tuple[int, float]]) -> dict[str, float] | None:
        pts = sorted({n: c for n, c in points if c > 0}.items())[-2:]
        if len(pts) < 2:
            return None
        (n0, c0), (n1, c1) = pts
        alpha = math.log(c1 / c0) / math.log(n1 / n0)
        return {
            "from_actions": n0,
            "to_actions": n1,
            "alpha": round(alpha, 3),
            "cpu_s": round(c1 * (actions / n1) ** alpha, 1),
        }

    per: dict[str, list[tuple[int, float]]] = {}
    for res in results:
        for d in res["per_detector"]:
            per.setdefault(d["detector"], []).append((res["actions"], d["cpu_s"]))
    out: dict[str, Any] = {"actions": actions, "detectors": {}}
    for name, pts in per.items():
        out["detectors"][name] = fit(pts)
    out["networks"] = fit([(r["actions"], r["networks_cpu_s"]) for r in results])
    parts = [v["cpu_s"] for v in out["detectors"].values() if v] + (
        [out["networks"]["cpu_s"]] if out["networks"] else []
    )
    out["total_cpu_s"] = round(sum(parts), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, help="workspace with canonical tables filled")
    ap.add_argument("--label", default="", help="name of this measurement in the table and JSON")
    ap.add_argument("--detector", "-d", action="append", help="detector (repeatable); default: the default set")
    ap.add_argument("--no-cluster", action="store_true", help="skip the network build")
    ap.add_argument("--out", type=Path, help="write the result JSON here")
    ap.add_argument("--table", type=Path, nargs="+", help="print the table of these result files and exit")
    ap.add_argument(
        "--extrapolate", type=int, metavar="ACTIONS", help="with --table: power-law CPU-s at ACTIONS from those files"
    )
    args = ap.parse_args(argv)
    if args.table:
        results = [json.loads(p.read_text()) for p in args.table]
        print(table(results))
        if args.extrapolate:
            ext = extrapolate(results, args.extrapolate)
            print(f"\nextrapolated to {args.extrapolate:,} actions (power law on the two largest sizes measured):")
            for name, v in [*ext["detectors"].items(), ("networks", ext["networks"])]:
                if v:
                    print(
                        f"{name:<14}alpha {v['alpha']:5.2f} ({v['from_actions']:,}->{v['to_actions']:,})  {v['cpu_s']:>9.0f} cpu s"
                    )
            print(f"{'total':<14}{ext['total_cpu_s']:>48.0f} cpu s")
            if args.out:
                args.out.write_text(json.dumps(ext, indent=2) + "\n")
        return 0
    if args.workspace is None:
        ap.error("--workspace is required unless --table is given")
    partial = args.out.with_suffix(".partial.json") if args.out else None
    res = run(args.workspace, args.label or args.workspace.name, args.detector, not args.no_cluster, partial)
    print(table([res]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=2) + "\n")
        if partial is not None:
            partial.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
