"""Benchmark: profile linking measured on real ground truth (the State Media Matrix's Twitter links).

Builds a profile for every distinct Twitter handle in the Matrix from public fields (handle, the row's asset name
as display name, the row's URL as profile website) and asks the linker which media company it belongs to, under
three protocols (see ``flockwatch.policy.profile_eval``). Negatives: the distinct accounts of the troll-tweets
``real_test*.csv`` files (verified news and journalist accounts, handle and bio only) and the IRA accounts of
``ira/authors.csv`` (handle only; many posed as local news outlets), which belong to no Matrix company's Twitter
presence as far as the Matrix knows; every proposal on them is listed for inspection.
Prints a table and writes ``bench/results/profile_linking.json``.

    .venv/bin/python bench/profile_linking.py [--data ../shared/data] [--min-confidence 0.5]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from flockwatch.policy.profile_eval import evaluate_profile_linking
from flockwatch.policy.profile_links import MIN_CONFIDENCE, Profile

ROOT = Path(__file__).resolve().parents[1]


def negatives(data: Path) -> list[Profile]:
    seen: dict[str, Profile] = {}
    for f in sorted((data / "troll-tweets").glob("real_test*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                h = (r.get("user_screen_name") or "").strip()
                if h and h.lower() not in seen:
                    seen[h.lower()] = Profile("twitter", h, "", r.get("user_profile_description") or "", "")
    # IRA accounts (Linvill & Warren's list; handle only): many posed as local news ("NewsFeed"), hard negatives
    # for handle and name patterns
    authors = data / "ira" / "authors.csv"
    if authors.exists():
        with authors.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                h = (r.get("author") or "").strip()
                if h and h.lower() not in seen:
                    seen[h.lower()] = Profile("twitter", h)
    return list(seen.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE)
    args = ap.parse_args()
    matrix = args.data / "state-media" / "State_Media_Matrix.csv"
    if not matrix.exists():
        print(f"no Matrix at {matrix}; pass --data", file=sys.stderr)
        return 2
    negs = negatives(args.data)
    t0 = time.perf_counter()
    results = evaluate_profile_linking(matrix, negs, args.min_confidence)
    elapsed = time.perf_counter() - t0
    print(
        f"{'protocol':<18}{'accounts':>9}{'proposed':>9}{'correct':>8}{'precision':>10}{'recall':>8}{'neg':>6}{'neg hits':>9}"
    )
    for r in results:
        p = f"{r.precision:.3f}" if r.precision is not None else "-"
        rc = f"{r.recall:.3f}" if r.recall is not None else "-"
        print(
            f"{r.protocol:<18}{r.accounts:>9}{r.proposals:>9}{r.correct:>8}{p:>10}{rc:>8}"
            f"{r.negatives:>6}{r.negative_proposals:>9}"
        )
    out = {
        "matrix": str(matrix.name),
        "negatives_source": "troll-tweets real_test*.csv (handle + bio) and ira/authors.csv (handle)",
        "min_confidence": args.min_confidence,
        "elapsed_s": round(elapsed, 1),
        "results": [r.to_dict() for r in results],
    }
    dest = ROOT / "bench" / "results" / "profile_linking.json"
    dest.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {dest.relative_to(ROOT)} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
