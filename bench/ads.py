"""Benchmark: ad-eligibility lookups per second (library API and the CLI's batch mode).

Builds a workspace with the shipped registry (State Media Matrix + curated facts), decides twitter-2019-08-ads,
then checks N advertiser strings drawn from the registry's own handles and domains in the forms people type
(``@Handle``, ``handle``, ``twitter:handle``, ``https://twitter.com/handle``, ``https://www.domain/path``,
``domain``) plus 10% unknown ones. Prints a table and writes ``bench/results/ads.json``.

    .venv/bin/python bench/ads.py [--lookups 100000]

Goal (issue): 10,000 lookups per second.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flockwatch.cli.app import main as cli_main
from flockwatch.policy import Registry, check_ad_eligibility, decide, import_registry
from flockwatch.policy.ads import ad_index
from flockwatch.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
GOAL_PER_S = 10_000


def advertisers(reg: Registry, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    handles = [a.display.lstrip("@") for a in reg.assets() if a.kind == "account" and a.platform == "twitter"]
    hosts = [a.value for a in reg.assets() if a.kind == "domain"]
    forms_h = [lambda h: "@" + h, lambda h: h, lambda h: "twitter:" + h, lambda h: "https://twitter.com/" + h]
    forms_d = [lambda d: d, lambda d: "https://www." + d + "/news/article-1.html", lambda d: "http://" + d + "/"]
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.1:
            out.append(f"unknown-{i}.example" if i % 2 else f"@nobody_{i}")
        elif r < 0.55:
            out.append(rng.choice(forms_h)(rng.choice(handles)))
        else:
            out.append(rng.choice(forms_d)(rng.choice(hosts)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lookups", type=int, default=100_000)
    args = ap.parse_args()
    results: dict = {
        "goal_lookups_per_s": GOAL_PER_S,
        "lookups": args.lookups,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        ws_dir = Path(tmp) / "ws"
        with Workspace.create(ws_dir) as ws:
            reg = Registry.open(ws)
            t = time.perf_counter()
            import_registry(reg)
            results["import_s"] = round(time.perf_counter() - t, 3)
            t = time.perf_counter()
            decide(reg, "twitter-2019-08-ads", as_of="2019-08-19")
            results["decide_s"] = round(time.perf_counter() - t, 3)
            results["outlets"] = reg.counts()["outlets"]
            items = advertisers(reg, args.lookups)
            t = time.perf_counter()
            ad_index(reg, "twitter-2019-08-ads")
            results["index_build_s"] = round(time.perf_counter() - t, 3)
            t, c = time.perf_counter(), time.process_time()
            answers = check_ad_eligibility(reg, items, "twitter-2019-08-ads", on_date="2019-09-01")
            api_s, api_cpu_s = time.perf_counter() - t, time.process_time() - c
            results["api_lookups_per_s"] = round(len(items) / api_s)
            # per CPU-second: what one core does when the shared machine is busy with other work
            results["api_lookups_per_cpu_s"] = round(len(items) / api_cpu_s)
            results["api_refused"] = sum(1 for a in answers if a.eligible is False)
            results["api_not_linked"] = sum(1 for a in answers if a.outcome == "not_linked")
        batch = Path(tmp) / "advertisers.txt"
        batch.write_text("\n".join(items) + "\n")
        # the CLI command in this process (its batch loop and JSON output, without interpreter start-up)
        sink = Path(tmp) / "out.jsonl"
        with sink.open("w") as f, contextlib.redirect_stdout(f):
            t, c = time.perf_counter(), time.process_time()
            cli_main(
                [
                    "ads",
                    "check",
                    "--policy",
                    "twitter-2019-08-ads",
                    "--date",
                    "2019-09-01",
                    "--json",
                    "-w",
                    str(ws_dir),
                    "--batch",
                    str(batch),
                ]
            )
            inproc_s, inproc_cpu_s = time.perf_counter() - t, time.process_time() - c
        assert sink.read_text().count("\n") == len(items)
        results["cli_in_process_lookups_per_s"] = round(len(items) / inproc_s)
        results["cli_in_process_lookups_per_cpu_s"] = round(len(items) / inproc_cpu_s)
        one = Path(tmp) / "one.txt"
        one.write_text(items[0] + "\n")
        exe = [
            sys.executable,
            "-m",
            "flockwatch",
            "ads",
            "check",
            "--policy",
            "twitter-2019-08-ads",
            "--date",
            "2019-09-01",
            "--json",
            "-w",
            str(ws_dir),
            "--batch",
        ]
        t = time.perf_counter()
        subprocess.run([*exe, str(one)], check=True, stdout=subprocess.DEVNULL)
        startup_s = time.perf_counter() - t
        t = time.perf_counter()
        proc = subprocess.run([*exe, str(batch)], check=True, stdout=subprocess.PIPE)
        cli_s = time.perf_counter() - t
        lines = proc.stdout.count(b"\n")
        assert lines == len(items), (lines, len(items))
        results["cli_startup_s"] = round(startup_s, 3)
        results["cli_total_s"] = round(cli_s, 3)
        results["cli_lookups_per_s_incl_startup"] = round(len(items) / cli_s)
        results["cli_lookups_per_s_excl_startup"] = round(len(items) / max(cli_s - startup_s, 1e-9))
    rows = [
        ("registry outlets", f"{results['outlets']:,}"),
        ("import (s)", results["import_s"]),
        ("decide (s)", results["decide_s"]),
        ("index build (s)", results["index_build_s"]),
        ("API lookups/s", f"{results['api_lookups_per_s']:,}"),
        ("API lookups per CPU-second", f"{results['api_lookups_per_cpu_s']:,}"),
        ("CLI batch in-process lookups/s", f"{results['cli_in_process_lookups_per_s']:,}"),
        ("CLI batch in-process lookups per CPU-second", f"{results['cli_in_process_lookups_per_cpu_s']:,}"),
        ("CLI process lookups/s (incl. start-up)", f"{results['cli_lookups_per_s_incl_startup']:,}"),
        ("CLI process lookups/s (excl. start-up)", f"{results['cli_lookups_per_s_excl_startup']:,}"),
        ("CLI start-up (s)", results["cli_startup_s"]),
        ("goal lookups/s", f"{GOAL_PER_S:,}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"ads check benchmark, {args.lookups:,} lookups (handles and domains, 10% unknown)")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    out = ROOT / "bench" / "results" / "ads.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
