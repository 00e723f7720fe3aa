"""Side by side, as command-line processes: flockwatch vs coordination-network-toolkit on one retweet CSV.

The comparison a user makes: the same CSV in coordination-network-toolkit's (CNT) own format, each tool through its
CLI, start-up included, one after the other in the same run (so both see the same machine load):

* **peer** — ``python -m coordination_network_toolkit DB preprocess --format csv FILE`` then
  ``compute co_retweet --time_window 60 --n_cpus 2``;
* **ours** — ``flockwatch ingest FILE --workspace WS`` then ``flockwatch detect --workspace WS --detector
  co_repost`` (the default detect: calibrated edges, evidence, candidate networks, growth);
* optionally (``--default-set``) **ours, default detectors** — the canonical tables of the same generated data
  (with texts, hashtags, links and mentions) loaded into a workspace, then ``flockwatch detect --workspace WS``
  with its defaults (nine detectors); the load is not timed, the detect process is.

Each process is timed on its own: wall seconds, CPU seconds (user + system of the child: on a shared machine
the wall time carries other processes' load, the CPU time much less) and peak RSS (``VmHWM`` sampled from /proc).
``uptime``'s load averages are recorded before and after each process. Data comes from ``--csv FILE`` or is
generated (``--rows``, ``--seed``) in one of two shapes (``--shape``):

* ``retweet-log`` (default; ``flockwatch.evaluate.retweet_log``): a platform's retweet collection — Zipf-popular
  tweets with bounded cascades (``max_cascade`` retweets each) spread over hours, a planted operation; the shape
  the co-retweet tools are run on, where the peer's exact count finishes in minutes;
* ``viral`` (``flockwatch.evaluate.zipf``): the most popular posts draw their reposts within a minute — the load
  that makes exact co-retweet counting quadratic (the peer ran > 700 CPU-s at 5M rows without finishing).

With ``--default-set`` the retweet-log shape times ``flockwatch detect`` with its defaults on a copy of the
ingested workspace. ``--edges-only`` also times ``detect -d co_repost --no-cluster`` on a copy of the ingested
workspace: calibrated edges and their evidence without candidate networks, growth and assessment, the nearest
thing to the peer's output (an edge list); it is reported beside the Done-when figure, never instead of it.
``--repeat N`` runs our steps N times (a fresh workspace each time) and reports each step's median run, with every
run's wall seconds kept in the JSON: a single run on a shared 2-core machine can be seconds off (an ingest measured
11.4 s once and 7.3-7.7 s in every other run that day). The peer, minutes long, runs once.
Prints a table and writes ``bench/results/cnt_cli.json`` (``--out``).

    .venv/bin/python bench/cnt_cli.py --rows 5000000
    .venv/bin/python bench/cnt_cli.py --rows 5000000 --shape viral --default-set
    .venv/bin/python bench/cnt_cli.py --csv cnt.csv --repeat 3 --edges-only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from coordination import GEN, _child

ROOT = Path(__file__).resolve().parents[1]

GEN_LOG = r"""
import json, sys
from flockwatch.evaluate.retweet_log import generate, write_csv
n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
log = generate(n, seed=seed)
write_csv(log, f"{out}/cnt.csv")
print(json.dumps({"rows": log.table.num_rows, "planted": len(log.planted)}))
"""
BIN = Path(sys.executable).parent

LOAD_PARQUET = r"""
import json, sys
import pyarrow.parquet as pq
from flockwatch.workspace import Workspace
data, wsdir = sys.argv[1], sys.argv[2]
ws = Workspace.create(wsdir)
for name in ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions"):
    ws.engine.insert_arrow(name, pq.read_table(f"{data}/{name}.parquet"))
ws.close()
print(json.dumps({"loaded": True}))
"""


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_timed(label: str, cmd: list[str]) -> dict:
    """Run ``cmd``; its wall and CPU seconds, peak RSS and the load averages around it."""
    load_before = _load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    peak = [0]

    def sample() -> None:  # the kernel's high-water mark of this process, read until it exits
        while proc.poll() is None:
            peak[0] = max(peak[0], _vm_hwm_kib(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return {
        "step": label,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak[0] / 1024, 1),
        "load_before": load_before,
        "load_after": _load(),
        "stdout": out.decode(),
    }


def run_step(label: str, cmd: list[str]) -> dict:
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = run_timed(label, cmd)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["cpu_s"] = round(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 2)
    print(f"  {label}: {res['wall_s']} s wall, {res['cpu_s']} s CPU, load {res['load_before']}", flush=True)
    return res


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle one of an even count), with every run's wall seconds."""
    ranked = sorted(runs, key=lambda r: r["wall_s"])
    pick = dict(ranked[(len(ranked) - 1) // 2])
    if len(runs) > 1:
        pick["runs_wall_s"] = [r["wall_s"] for r in runs]
    return pick


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, help="an existing CNT CSV (default: generate one)")
    ap.add_argument("--data", type=Path, help="a folder written by the generator (cnt.csv + canonical Parquet)")
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--shape", choices=("retweet-log", "viral"), default="retweet-log", help="generated data shape")
    ap.add_argument("--threads", default="2", help="the peer's --n_cpus")
    ap.add_argument("--default-set", action="store_true", help="also time `flockwatch detect` with its defaults")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="run our steps this many times; report each step's median")
    ap.add_argument(
        "--edges-only", action="store_true", help="also time `detect -d co_repost --no-cluster` (edges and evidence)"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cnt_cli.json")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="fw-cnt-cli-"))
    try:
        data = args.data
        if args.csv is None and data is None:
            data = tmp / "data"
            data.mkdir()
            print(f"generating {args.rows:,} rows ({args.shape})", flush=True)
            if args.shape == "viral":
                _child(GEN, str(args.rows), str(args.seed), str(data), "1" if args.default_set else "0")
            else:
                _child(GEN_LOG, str(args.rows), str(args.seed), str(data))
        csv = args.csv or data / "cnt.csv"
        with open(csv, "rb") as fh:
            rows = sum(1 for _ in fh) - 1
        steps: list[dict] = []
        fw = str(BIN / "flockwatch")
        if not args.skip_peer:
            peer = [sys.executable, "-m", "coordination_network_toolkit", str(tmp / "cnt.db")]
            steps.append(run_step("peer preprocess", [*peer, "preprocess", "--format", "csv", str(csv)]))
            steps.append(
                run_step(
                    "peer co_retweet",
                    [*peer, "compute", "co_retweet", "--time_window", "60", "--n_cpus", args.threads],
                )
            )
        ws_before = tmp / "ws-ingested"
        ingests: list[dict] = []
        detects: list[dict] = []
        edges_only: list[dict] = []
        for i in range(max(args.repeat, 1)):
            ws = tmp / f"ws{i}"
            ingests.append(run_step("flockwatch ingest", [fw, "ingest", str(csv), "--workspace", str(ws), "--json"]))
            if i == 0 and (args.default_set or args.edges_only):
                shutil.copytree(ws, ws_before)
            detect = [fw, "detect", "--workspace", str(ws), "-d", "co_repost", "--json"]
            detects.append(run_step("flockwatch detect co_repost", detect))
            shutil.rmtree(ws, ignore_errors=True)
            if args.edges_only:
                ws_edges = tmp / "ws-edges"
                shutil.copytree(ws_before, ws_edges)
                edges_cmd = [fw, "detect", "--workspace", str(ws_edges), "-d", "co_repost", "--no-cluster", "--json"]
                edges_only.append(run_step("flockwatch detect co_repost --no-cluster", edges_cmd))
                shutil.rmtree(ws_edges, ignore_errors=True)
        steps.append(median_run(ingests))
        steps.append(median_run(detects))
        if edges_only:
            steps.append(median_run(edges_only))
        if args.default_set and data is not None:
            ws_all = tmp / "ws-all"
            if (data / "actions.parquet").exists():
                _child(LOAD_PARQUET, str(data), str(ws_all))
            else:  # a retweet log: the ingested workspace before its co_repost run
                shutil.copytree(ws_before, ws_all)
            steps.append(run_step("flockwatch detect (defaults)", [fw, "detect", "--workspace", str(ws_all), "--json"]))
        _report(steps, rows, args.out, {"shape": "csv" if args.csv else args.shape, "seed": args.seed})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _report(steps: list[dict], rows: int, out: Path, data: dict) -> None:
    by = {s["step"]: s for s in steps}
    summary: dict = {"rows": rows, **data}
    for s in steps:
        if s["step"].startswith("flockwatch detect"):
            d = json.loads(s["stdout"])
            s["per_detector_s"] = {r["detector"]: r["seconds"] for r in d["detectors"]}
            s["edges"] = d["edges"]
            s["networks_flagged"] = d.get("networks_flagged")
            s["stages_s"] = {r["detector"]: r.get("stages_s", {}) for r in d["detectors"]}
        s.pop("stdout", None)
    ours = [by.get("flockwatch ingest"), by.get("flockwatch detect co_repost")]
    edges = [by.get("flockwatch ingest"), by.get("flockwatch detect co_repost --no-cluster")]
    peer = [by.get("peer preprocess"), by.get("peer co_retweet")]
    for key in ("wall_s", "cpu_s"):
        if all(ours):
            summary[f"ours_{key}"] = round(sum(s[key] for s in ours if s), 2)
        if all(peer):
            summary[f"peer_{key}"] = round(sum(s[key] for s in peer if s), 2)
        if all(ours) and all(peer):
            summary[f"speedup_{key}"] = round(summary[f"peer_{key}"] / summary[f"ours_{key}"], 2)
        # like for like with the peer's edge list: reported beside the figure above, not instead of it
        if all(edges):
            summary[f"ours_edges_only_{key}"] = round(sum(s[key] for s in edges if s), 2)
            if all(peer):
                summary[f"speedup_edges_only_{key}"] = round(
                    summary[f"peer_{key}"] / summary[f"ours_edges_only_{key}"], 2
                )
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    out.write_text(json.dumps({"meta": meta, "summary": summary, "steps": steps}, indent=2) + "\n")
    cols = ["step", "wall_s", "cpu_s", "peak_rss_mb", "load_before", "load_after"]
    widths = [max(len(c), *(len(str(s.get(c, ""))) for s in steps)) for c in cols]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for s in steps:
        print(" | ".join(str(s.get(c, "")).ljust(w) for c, w in zip(cols, widths, strict=True)))
        if "per_detector_s" in s:
            print("    per detector (s): " + ", ".join(f"{k} {v}" for k, v in s["per_detector_s"].items()))
    print(json.dumps(summary))
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
