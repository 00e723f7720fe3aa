"""Benchmark: private set intersection between two platforms, 100,000 x 100,000 handles with 1,000 shared.

Writes the two item files, runs the three steps of ``flockwatch.share.psi`` (request, respond, finish) in this
process, checks that exactly the shared handles are found, and reports the seconds of each step and the size of the
files the parties exchange.

    .venv/bin/python bench/psi.py --items 100000 --shared 1000

Results: bench/results/psi.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from flockwatch.share import psi

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--shared", type=int, default=1_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "psi.json")
    args = ap.parse_args()
    n, k = args.items, args.shared
    shared = [f"shared_{i}" for i in range(k)]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "a.txt").write_text("\n".join([f"a_only_{i}" for i in range(n - k)] + shared) + "\n")
        (tmp / "b.txt").write_text(
            "\n".join([f"B_Only_{i}" for i in range(n - k)] + [s.upper() for s in shared]) + "\n"
        )
        steps = {}
        t0 = time.perf_counter()
        a = psi.read_items(tmp / "a.txt", "handle", max_items=n)
        b = psi.read_items(tmp / "b.txt", "handle", max_items=n)
        steps["read_and_normalise_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        psi.request(a, "handle", tmp / "request.json", tmp / "state.json", "B")
        steps["request_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        psi.respond(b, "handle", tmp / "request.json", tmp / "response.json", "A", max_items=n)
        steps["respond_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = psi.finish(tmp / "state.json", tmp / "response.json", "B")
        steps["finish_s"] = time.perf_counter() - t0
        sizes = {f"{x}_mib": (tmp / f"{x}.json").stat().st_size / 2**20 for x in ("request", "response")}
    found = sorted(psi.display(x) for x in result.shared)
    exact = found == sorted(shared)
    total = sum(v for key, v in steps.items() if key != "read_and_normalise_s")
    print(
        f"{'items':>9} {'shared':>7} {'found':>6} {'exact':>6} {'request_s':>10} {'respond_s':>10} {'finish_s':>9} {'total_s':>8}"
    )
    print(
        f"{n:>9,} {k:>7,} {len(found):>6,} {exact!s:>6} {steps['request_s']:>10.1f} {steps['respond_s']:>10.1f} "
        f"{steps['finish_s']:>9.1f} {total:>8.1f}"
    )
    print(f"request file {sizes['request_mib']:.1f} MiB, response file {sizes['response_mib']:.1f} MiB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "items_each": n,
                "shared": k,
                "found": len(found),
                "exact": exact,
                **{key: round(v, 2) for key, v in steps.items()},
                "total_s": round(total, 2),
                **sizes,
                "load_avg": os.getloadavg(),
                "cpus": os.cpu_count(),
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
