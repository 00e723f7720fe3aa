"""Scale benchmark: the same detection on DuckDB and on Spark local mode, at growing sizes (the capacity plan's data).

Generates the Zipf-popularity load (``flockwatch.evaluate.zipf``, the one bench/coordination.py uses) at each size,
loads it into a workspace, exports canonical Parquet, then runs ``detect`` with the chosen detectors (default
``co_repost``) once on DuckDB and once on Spark (``local[N]``), each in its own process (peak RSS is that run's).
Per run: wall time, detection time, rows, co-actions, candidate pairs, edges; for Spark the Parquet export is timed
apart. Checks that both engines found the same edges. Prints a table and writes ``bench/results/spark_scale.json``.

    python bench/spark_scale.py --sizes 1000000 5000000 --master "local[2]"
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

RUN = r"""
import json, sys, time, resource
from flockwatch.workspace import Workspace
from flockwatch.detect import detect
from flockwatch.detect.distributed import detect_on_spark, export_canonical
wsdir, engine, dets, master, parquet = sys.argv[1:6]
ws = Workspace.open(wsdir)
names = dets.split(",")
t0 = time.perf_counter()
export_s = 0.0
if engine == "spark":
    t = time.perf_counter(); export_canonical(ws, parquet); export_s = time.perf_counter() - t
    run = detect_on_spark(ws, master=master, parquet=parquet, detectors=names)
else:
    run = detect(ws, detectors=names)
wall = time.perf_counter() - t0
edges = ws.engine.sql("SELECT detector, account_a, account_b, weight FROM edges WHERE run_id = ? ORDER BY 1, 2, 3",
                      [run.run_id]).rows()
print(json.dumps({
    "engine": engine, "run_id": run.run_id, "wall_s": round(wall, 2), "export_s": round(export_s, 2),
    "detect_s": round(run.seconds, 2),
    "per_detector": [{k: getattr(r, k) for k in ("detector", "rows_count", "co_actions_count",
                                                "candidate_pairs_count", "edges_count", "seconds")}
                     for r in run.results],
    "edges": [list(e[:3]) + [round(e[3], 6)] for e in edges],
    "peak_rss_mb": round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1),
}))
"""

LOAD = r"""
import json, sys
from flockwatch.workspace import Workspace
from flockwatch.evaluate.zipf import generate, load_into
n, seed, wsdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ws = Workspace.create(wsdir)
print(json.dumps({"actions": load_into(ws, generate(n, seed=seed))}))
"""


def _child(code: str, *args: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-W", "ignore", "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = round(time.perf_counter() - t0, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--detectors", default="co_repost", help="comma-separated detector names")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "spark_scale.json")
    args = ap.parse_args(argv)
    results = []
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix="fw-spark-scale-"))
        try:
            ws = tmp / "ws"
            t = time.perf_counter()
            loaded = _child(LOAD, str(n), str(args.seed), str(ws))
            load_s = round(time.perf_counter() - t, 2)
            runs = {}
            for engine in args.engines.split(","):
                runs[engine] = _child(RUN, str(ws), engine, args.detectors, args.master, str(tmp / "parquet"))
            same = None
            if len(runs) == 2:
                a, b = (runs[e]["edges"] for e in runs)
                same = [e[:3] for e in a] == [e[:3] for e in b] and all(
                    abs(x[3] - y[3]) <= 1e-6 for x, y in zip(a, b, strict=True)
                )
            for r in runs.values():
                r["edges_count"] = len(r.pop("edges"))
            results.append(
                {
                    "actions": loaded["actions"],
                    "load_s": load_s,
                    "runs": runs,
                    "same_edges": same,
                    "cpus": os.cpu_count(),
                }
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"\n{n:,} actions (load {load_s:.1f} s), same edges on both engines: {results[-1]['same_edges']}")
        print(
            f"{'engine':8} {'wall s':>8} {'export s':>9} {'detect s':>9} {'co-actions':>12} {'edges':>8} {'RSS MB':>8}"
        )
        for e, r in results[-1]["runs"].items():
            co = sum(d["co_actions_count"] for d in r["per_detector"])
            print(
                f"{e:8} {r['wall_s']:8.1f} {r['export_s']:9.1f} {r['detect_s']:9.1f} {co:12,} {r['edges_count']:8,}"
                f" {r['peak_rss_mb']:8.0f}"
            )
        # written after every size, so a later size that fails (memory, time) keeps the earlier ones
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"detectors": args.detectors, "master": args.master, "results": results}, indent=1)
        )
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
