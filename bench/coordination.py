"""Coordination benchmark: flockwatch vs coordination-network-toolkit on the same Zipf-popularity load.

Generates the same synthetic data for both tools (``flockwatch.evaluate.zipf``: organic accounts reposting posts of
Zipf popularity, viral posts reposted within minutes, one planted operation), then measures, each tool in its own
process (so peak RSS is that run's):

* **peer** — coordination-network-toolkit 1.5.2 through its CLI, co-retweet with ``--time_window 60``:
  ``preprocess`` (load) + ``compute co_retweet``; node set = accounts on an edge of raw weight >= ``--cnt-min-weight``
  (its own threshold semantics: a raw count);
* **ours/co_repost** — load the canonical tables, ``detect`` with ``co_repost`` (window 60 s), cluster;
  node set = members of flagged candidate networks;
* **ours/all** — all detectors + clustering on the same data with texts, hashtags, links and mentions.

Reports wall time, peak RSS, edges, planted recall and node precision, and the ratio to the peer. Prints a table and
writes ``bench/results/coordination.json``. The peer is skipped above ``--peer-max`` rows (it would take hours).

    python bench/coordination.py --sizes 1000000 5000000 --all-sizes 1000000
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


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last. Returns it plus wall time and peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-W", "ignore", "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(wall, 2)
    return out


GEN = r"""
import json, sys, csv
import pyarrow.parquet as pq
from flockwatch.evaluate.zipf import generate
n, seed, out, texts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
d = generate(n, seed=seed, texts=texts)
for name in ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions", "truth"):
    pq.write_table(getattr(d, name), f"{out}/{name}.parquet")
# the peer's CSV: message_id,user_id,username,repost_id,reply_id,message,timestamp,urls
a = d.actions
with open(f"{out}/cnt.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])
    ts = a.column("acted_at").cast("int64").to_numpy() / 1e6
    for mid, uid, rp, t in zip(a.column("action_id").to_pylist(), a.column("account_id").to_pylist(),
                               a.column("target_action_id").to_pylist(), ts):
        w.writerow([mid, uid, uid, rp or "", "", "", f"{t:.6f}", ""])
print(json.dumps({"actions": a.num_rows}))
"""

OURS = r"""
import json, sys, time, resource
import pyarrow.parquet as pq
from flockwatch.workspace import Workspace
from flockwatch.detect import detect
from flockwatch.networks import build_networks
data, wsdir, dets = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
ws = Workspace.create(wsdir)
for name in ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions"):
    ws.engine.insert_arrow(name, pq.read_table(f"{data}/{name}.parquet"))
t_load = time.perf_counter() - t0
rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
run = detect(ws, detectors=None if dets == "all" else dets.split(","), window_s=None if dets == "all" else 60)
t_detect = time.perf_counter() - t0 - t_load
rss_detect = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
nets = build_networks(ws, run.run_id)
t_cluster = time.perf_counter() - t0 - t_load - t_detect
truth = set(pq.read_table(f"{data}/truth.parquet").column("account_id").to_pylist())
flagged = {m for n in nets if n.flagged for m in n.members}
edge_nodes = {a for a, in ws.engine.sql("SELECT account_a FROM edges UNION SELECT account_b FROM edges").rows()}
print(json.dumps({
    "load_s": round(t_load, 2), "detect_s": round(t_detect, 2), "cluster_s": round(t_cluster, 2),
    "edges": run.edges_count, "networks_flagged": sum(n.flagged for n in nets),
    "nodes": len(flagged), "recall": round(len(flagged & truth) / len(truth), 4),
    "precision": round(len(flagged & truth) / max(1, len(flagged)), 4),
    "edge_node_precision": round(len(edge_nodes & truth) / max(1, len(edge_nodes)), 4),
    "per_detector_s": {r.detector: r.seconds for r in run.results},
    "peak_rss_after_load_mb": round(rss_load, 1), "peak_rss_after_detect_mb": round(rss_detect, 1),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "memory_limit": ws.engine.sql("SELECT current_setting('memory_limit')").scalar(),
}))
"""

PEER = r"""
import json, sys, time, subprocess, sqlite3, resource
import pyarrow.parquet as pq
data, db, min_w, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
exe = [sys.executable, "-m", "coordination_network_toolkit"]
t0 = time.perf_counter()
subprocess.run(exe + [db, "preprocess", "--format", "csv", f"{data}/cnt.csv"], check=True, capture_output=True)
t_load = time.perf_counter() - t0
subprocess.run(exe + [db, "compute", "co_retweet", "--time_window", "60", "--n_cpus", threads], check=True,
               capture_output=True)
t_compute = time.perf_counter() - t0 - t_load
con = sqlite3.connect(db)
edges = con.execute("SELECT count(*) FROM co_retweet_network WHERE user_1 < user_2").fetchone()[0]
nodes = {a for a, in con.execute(
    "SELECT user_1 FROM co_retweet_network WHERE weight >= ? AND user_1 <> user_2", [min_w])}
truth = set(pq.read_table(f"{data}/truth.parquet").column("account_id").to_pylist())
print(json.dumps({
    "load_s": round(t_load, 2), "detect_s": round(t_compute, 2), "edges": edges, "nodes": len(nodes),
    "recall": round(len(nodes & truth) / len(truth), 4), "precision": round(len(nodes & truth) / max(1, len(nodes)), 4),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000], help="co_repost sizes (rows), ours and the peer"
    )
    ap.add_argument("--all-sizes", type=int, nargs="*", default=[1_000_000], help="sizes for all detectors")
    ap.add_argument("--peer-max", type=int, default=5_000_000, help="largest size the peer is run at")
    ap.add_argument("--cnt-min-weight", type=int, default=3, help="the peer's raw co-retweet threshold")
    ap.add_argument("--threads", default="2", help="the peer's --n_cpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "coordination.json")
    ap.add_argument("--keep", action="store_true", help="keep generated data and workspaces")
    args = ap.parse_args(argv)
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="fw-bench-"))
    try:
        for n in sorted(set(args.sizes) | set(args.all_sizes)):
            data = tmp / f"data-{n}"
            data.mkdir()
            with_texts = n in args.all_sizes
            gen = _child(GEN, str(n), str(args.seed), str(data), "1" if with_texts else "0")
            rows = gen["actions"]
            if n in args.sizes and n <= args.peer_max:
                r = _child(PEER, str(data), str(tmp / f"cnt-{n}.db"), str(args.cnt_min_weight), args.threads)
                results.append(
                    {
                        "tool": "coordination-network-toolkit 1.5.2 (co_retweet, 60 s, CLI)",
                        "detectors": "co_retweet",
                        "rows": rows,
                        **r,
                    }
                )
            if n in args.sizes:
                r = _child(OURS, str(data), str(tmp / f"ws-{n}-repost"), "co_repost")
                results.append({"tool": "flockwatch", "detectors": "co_repost", "rows": rows, **r})
            if n in args.all_sizes:
                r = _child(OURS, str(data), str(tmp / f"ws-{n}-all"), "all")
                results.append({"tool": "flockwatch", "detectors": "all", "rows": rows, **r})
            _report(results, args.out)
            if not args.keep:
                shutil.rmtree(data, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _report(results: list[dict], out: Path) -> None:
    peer = {r["rows"]: r for r in results if r["tool"].startswith("coordination")}
    for r in results:
        p = peer.get(r["rows"])
        if r["tool"] == "flockwatch" and r["detectors"] == "co_repost" and p:
            r["speedup_vs_peer"] = round(p["wall_s"] / r["wall_s"], 2)
            r["throughput_rows_per_s"] = round(r["rows"] / r["wall_s"])
        elif "wall_s" in r:
            r["throughput_rows_per_s"] = round(r["rows"] / r["wall_s"])
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "note": "peer node set = accounts with a raw co-retweet weight >= threshold; ours = flagged networks",
    }
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    cols = [
        "tool",
        "detectors",
        "rows",
        "wall_s",
        "peak_rss_mb",
        "edges",
        "nodes",
        "recall",
        "precision",
        "speedup_vs_peer",
    ]
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in results)) for c in cols]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=False)))
    print("-+-".join("-" * w for w in widths))
    for r in results:
        print(" | ".join(str(r.get(c, "")).ljust(w) for c, w in zip(cols, widths, strict=False)))
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
