"""Benchmark: seed expansion and incremental new-account scoring throughput at platform scale.

Consumes sizes (default 1M accounts / 20M actions, 1k seeds); produces a table on stdout and
``bench/results/expand.json``. The data is generated directly in DuckDB SQL (``bench/expand_data.py``) into an
on-disk workspace, so generation does not dominate. Measured: expansion wall time (all rounds, including building the
event table) and watcher throughput (actions per second over micro-batches of the last day of data).

Run: ``.venv/bin/python bench/expand.py`` (full size), or smaller with ``--accounts 200000 --actions 4000000``;
``--extrapolate`` adds a linear extrapolation to 1M / 20M from the measured size (stated as such in the output).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flockwatch.expand import ExpansionParams, expand
from flockwatch.expand.watch import Watcher
from flockwatch.workspace import Workspace

from expand_data import T0, Sizes, generate
from expand_eval import split_stream

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--actions", type=int, default=20_000_000)
    ap.add_argument("--seeds", type=int, default=1_000)
    ap.add_argument("--batch-rows", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/flockwatch-bench-expand"))
    ap.add_argument("--extrapolate", action="store_true")
    args = ap.parse_args()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    ws = Workspace.create(args.work / "ws")
    n_core = max(args.seeds * 2, 100)
    sizes = Sizes(
        n_accounts=args.accounts,
        n_actions=args.actions,
        n_core=n_core,
        n_amp=max(args.accounts // 20, 100),
        n_fresh=max(args.accounts // 100, 10),
    )
    t0 = time.perf_counter()
    truth = generate(ws.engine, sizes)
    ws.engine.checkpoint()
    gen_s = time.perf_counter() - t0
    core = sorted(a for a, r in truth.items() if r == "core")
    seeds = random.Random(1).sample(core, args.seeds)
    # the last day of the data is the stream the watcher consumes; the rest is history
    stream = split_stream(ws, dt.datetime.fromtimestamp(T0 + 29 * 86400, dt.UTC).replace(tzinfo=None))
    acts, ht, ur, mn = stream
    counts = {
        t: ws.engine.count(t)
        for t in ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions", "infrastructure")
    }
    t0 = time.perf_counter()
    x = expand(ws, seeds, ExpansionParams(rounds=args.rounds))
    expand_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    w = Watcher(ws, seeds, expand_first=False)
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    flagged = 0
    for start in range(0, acts.num_rows, args.batch_rows):
        b = acts.slice(start, args.batch_rows)
        ids = b.column("action_id")
        flagged += len(
            w.process(
                b,
                ht.filter(pc.is_in(ht.column("action_id"), ids)),
                ur.filter(pc.is_in(ur.column("action_id"), ids)),
                mn.filter(pc.is_in(mn.column("action_id"), ids)),
            )
        )
    watch_s = time.perf_counter() - t0
    n_candidates = counts["accounts"] - len(seeds)
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "memory_limit": os.environ.get("FLOCKWATCH_MEMORY_LIMIT"),
        },
        "sizes": {
            "accounts": args.accounts,
            "actions_generated": args.actions,
            "history": counts,
            "seeds": len(seeds),
            "stream_actions": acts.num_rows,
        },
        "generate_s": round(gen_s, 1),
        "expansion": {
            "seconds": round(expand_s, 1),
            "rounds": args.rounds,
            "linked": len(x),
            "candidate_accounts": n_candidates,
            "candidates_per_s": round(n_candidates / expand_s),
            "history_actions_per_s": round(counts["actions"] / expand_s),
            "stats": x.stats,
        },
        "watch": {
            "init_s": round(init_s, 1),
            "seconds": round(watch_s, 1),
            "batches": w.batches,
            "batch_rows": args.batch_rows,
            "actions_per_s": round(acts.num_rows / max(watch_s, 1e-9)),
            "flagged": flagged,
        },
    }
    if args.extrapolate and (args.accounts, args.actions) != (1_000_000, 20_000_000):
        f = 20_000_000 / counts["actions"]
        out["extrapolated_to_1M_20M"] = {
            "method": "linear in history actions from the measured size (events and joins are linear; not measured)",
            "expansion_s": round(expand_s * f, 1),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "expand.json").write_text(json.dumps(out, indent=2, default=str))
    print(f"{'measure':<38}{'value':>16}")
    rows = [
        ("accounts", f"{args.accounts:,}"),
        ("history actions", f"{counts['actions']:,}"),
        ("seeds", f"{len(seeds):,}"),
        ("generate (s)", f"{gen_s:.1f}"),
        ("expansion wall (s)", f"{expand_s:.1f}"),
        ("expansion candidates/s", f"{n_candidates / expand_s:,.0f}"),
        ("linked candidates", f"{len(x):,}"),
        ("watch init (s)", f"{init_s:.1f}"),
        ("watch stream actions", f"{acts.num_rows:,}"),
        ("watch actions/s", f"{acts.num_rows / max(watch_s, 1e-9):,.0f}"),
        ("watch flagged", f"{flagged:,}"),
    ]
    if "extrapolated_to_1M_20M" in out:
        rows.append(("expansion at 20M (extrapolated, s)", f"{out['extrapolated_to_1M_20M']['expansion_s']:.0f}"))
    for k, v in rows:
        print(f"{k:<38}{v:>16}")
    ws.close()


if __name__ == "__main__":
    main()
