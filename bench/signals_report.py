"""Throughput of account signals, the working-hours fingerprint, narratives and the HTML report on a simulated
platform.

Consumes a simulator output directory (``flockwatch simulate`` / :func:`flockwatch.simulate.simulate`: users file,
tweets files, logins.csv, truth.csv, truth.json); produces a printed table and ``bench/results/signals_report.json``.
The planted operations' members (truth.csv) are the account set for the per-network steps.

Run: .venv/bin/python bench/signals_report.py --sim /tmp/simbig [--workspace /tmp/simbig-ws]
(make the input with: .venv/bin/python -c "from flockwatch.simulate import simulate;
simulate('/tmp/simbig', preset='demo', n_actions=1_000_000, seed=2)")
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from flockwatch.ingest.loader import ingest_paths  # noqa: E402
from flockwatch.narratives import summarise_narratives  # noqa: E402
from flockwatch.report import write_report  # noqa: E402
from flockwatch.signals import compute_signals, fingerprints_by_account, working_hours_fingerprint  # noqa: E402
from flockwatch.signals.base import first_row  # noqa: E402
from flockwatch.workspace import Workspace  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sim", type=Path, required=True)
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "signals_report.json")
    args = ap.parse_args()
    tmp = None
    if args.workspace is None:
        tmp = tempfile.TemporaryDirectory(prefix="sig-ws-")
        args.workspace = Path(tmp.name) / "ws"
    ws = Workspace.open(args.workspace, create=True)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    if first_row(ws.engine, "SELECT count(*) FROM actions")[0] == 0:
        files = [p for p in sorted(args.sim.glob("*.csv")) if not p.name.startswith("truth")]
        ingest_paths(ws, files)
        timings["ingest_s"] = time.perf_counter() - t
    n_actions, n_accounts = first_row(ws.engine, "SELECT count(*), count(DISTINCT account_id) FROM actions")
    truth = json.loads((args.sim / "truth.json").read_text())
    members = [r["account_id"] for r in csv.DictReader((args.sim / "truth.csv").open())]

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        return out

    signals = timed("signals_all_accounts_s", lambda: compute_signals(ws))
    per_account = timed("fingerprint_per_account_s", lambda: fingerprints_by_account(ws))
    fp = timed("fingerprint_network_s", lambda: working_hours_fingerprint(ws, members))
    narr = timed("narratives_network_vs_platform_s", lambda: summarise_narratives(ws, members))
    out_html = args.out.parent / "signals_report_demo.html"
    timed("report_s", lambda: write_report(ws, members, out_html, name="planted operations"))
    zones = [op["schedule"]["zone_offset_h"] for op in truth["operations"]]
    result = {
        "actions": n_actions,
        "accounts": n_accounts,
        "network_accounts": len(members),
        "signal_rows": signals.num_rows,
        "per_account_fingerprints": len(per_account),
        "planted_zones": zones,
        "network_fingerprint": fp.label,
        "network_fingerprint_level": fp.confidence_level,
        "network_actions": narr.network_actions,
        "timings": timings,
        "report": str(out_html),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{n_actions:,} actions, {n_accounts:,} accounts; network {len(members)} accounts, planted zones {zones}")
    print(f"network fingerprint: {fp.label} ({fp.confidence_level})")
    for k, v in timings.items():
        print(f"  {k:36s} {v:8.2f}")
    ws.close()
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
