"""IRA dev data: agreement of flagged networks with Linvill & Warren's categories, the same-minute detectors alone
vs. with ``theme_profile`` (account-profile similarity) and/or ``co_theme`` (thematic coordination over hours).

Consumes ../shared/data/ira (per-author CSVs, ``authors.csv``); produces a printed summary (ARI, flagged accounts,
networks, the confusion table) and bench/results/ira_theme.json.

Run: .venv/bin/python bench/ira_theme.py [--data ../shared/data/ira] [--workspace /tmp/ira-theme-ws]
     [--theme-window-s 21600 ...] [--profile] [--skip-baseline]
``--theme-window-s`` adds a variant with ``co_theme`` per window (none: ``--theme-window-s`` with no value),
``--profile`` a variant with ``theme_profile`` (and one with both when windows are given).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from flockwatch.detect import detect
from flockwatch.detect.registry import DEFAULT_DETECTORS
from flockwatch.evaluate import compare_with_categories, read_categories
from flockwatch.ingest.loader import ingest_paths
from flockwatch.networks import build_networks
from flockwatch.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ira")
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ira_theme.json")
    ap.add_argument("--theme-window-s", type=float, nargs="*", default=[21600.0], help="co_theme windows to try")
    ap.add_argument("--profile", action="store_true", help="add variants with theme_profile")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    wdir = args.workspace or Path(tempfile.mkdtemp(prefix="ira-theme-")) / "ws"
    fresh = not wdir.exists()
    labels = read_categories(args.data / "authors.csv", "author_id", "account_category")
    out = {}
    with Workspace.open(wdir, create=True) as ws:
        if fresh:
            ingest_paths(ws, sorted((args.data / "tweets").glob("*.csv")), format="ira_csv")
        base = [d for d in DEFAULT_DETECTORS if d not in ("co_theme", "theme_profile")]
        variants = [] if args.skip_baseline else [("same_minute_detectors", base, None)]
        variants += [(f"with_co_theme_{int(w)}s", [*base, "co_theme"], w) for w in args.theme_window_s]
        if args.profile:
            variants.append(("with_theme_profile", [*base, "theme_profile"], None))
            variants += [
                (f"with_theme_profile_and_co_theme_{int(w)}s", [*base, "theme_profile", "co_theme"], w)
                for w in args.theme_window_s
            ]
        for name, dets, window_s in variants:
            t0 = time.perf_counter()
            params = {"co_theme": {"window_s": window_s}} if window_s else None
            run = detect(ws, detectors=dets, detector_params=params)
            nets = build_networks(ws, run.run_id)
            cmp = compare_with_categories(ws, labels, run.run_id)
            flagged = [n for n in nets if n.flagged]
            out[name] = {
                "detectors": dets,
                "co_theme_window_s": window_s,
                "seconds": round(time.perf_counter() - t0, 1),
                "flagged_networks": len(flagged),
                "flagged_accounts": sum(n.size for n in flagged),
                "assessments": sorted({n.assessment for n in flagged}),
                **{k: v for k, v in cmp.items() if k.startswith("ari")},
                "confusion": cmp["confusion"],
            }
            print(name, json.dumps({k: v for k, v in out[name].items() if k != "confusion"}))
            for cat, row in cmp["confusion"].items():
                print(f"  {cat:14s}", " ".join(f"{c}={v}" for c, v in row.items() if v))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
