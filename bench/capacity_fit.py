"""Fit the capacity plan (docs/capacity.md) to Spark local-mode measurements, and price a day of actions.

Consumes one or more JSON files written by ``bench/spark_scale.py`` (each size: per engine, per detector rows,
co-actions and seconds). Produces, printed as a table and written to ``bench/results/capacity_fit.json``:

* per detector, ``f_d`` (detector rows per action) and ``p_d`` (co-actions per detector row), read off the runs;
* a least-squares fit of Spark detection core-seconds (seconds x local cores) against
  ``intercept + c_row x rows + c_pair x co-actions`` over every measured (size, detector) point — the intercept is
  the fixed cost of a detector's statements in local mode (JVM warm-up, per-statement scheduling), which a cluster
  pays once per job and which the per-day figure leaves out;
* the model evaluated at ``--actions-per-day`` (default 1e10): rows, co-actions, shuffle bytes
  (``R x 440 B + P x 120 B`` per detector), executor core-hours and cost per day on the instance and price given.

With as many points as parameters the fit is exact and says nothing about its error; the residuals are printed so
the reader can judge. Local mode on a shared 2-core machine is a proxy for an executor core, not a cluster.

    python bench/capacity_fit.py bench/results/spark_scale.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHUFFLE_B_PER_ROW = 440  # docs/capacity.md: the stages a detector row goes through
SHUFFLE_B_PER_PAIR = 120


def points(files: list[Path]) -> list[dict]:
    """One point per (size, detector) of the Spark runs, with the DuckDB seconds beside it where measured."""
    out = []
    for f in files:
        doc = json.loads(f.read_text())
        cores = _cores(doc.get("master", "local[2]"))
        for res in doc["results"]:
            spark = res["runs"].get("spark")
            duck = {d["detector"]: d for d in res["runs"].get("duckdb", {}).get("per_detector", [])}
            if spark is None:
                continue
            for d in spark["per_detector"]:
                out.append(
                    {
                        "actions": res["actions"],
                        "detector": d["detector"],
                        "rows": d["rows_count"],
                        "co_actions": d["co_actions_count"],
                        "spark_s": d["seconds"],
                        "duckdb_s": duck.get(d["detector"], {}).get("seconds"),
                        "core_s": d["seconds"] * cores,
                        "cores": cores,
                        "same_edges": res.get("same_edges"),
                    }
                )
    return out


def _cores(master: str) -> int:
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    return int(inside) if inside.isdigit() else 1


def fit(pts: list[dict]) -> dict:
    """Least squares of core-seconds on (1, rows, co-actions).

    On one load shape co-actions per row barely change from size to size, so rows and co-actions are nearly
    collinear and the two-cost fit can answer a negative cost. Then the per-pair cost is folded into the per-row
    cost at the measured ``p_d`` (one regressor: rows) and the result says so (``model``)."""
    y = np.array([p["core_s"] for p in pts])
    x2 = np.array([[1.0, p["rows"], p["co_actions"]] for p in pts])
    coef, *_ = np.linalg.lstsq(x2, y, rcond=None)
    model = "rows+co_actions"
    if coef[1] < 0 or coef[2] < 0:
        x1 = np.array([[1.0, p["rows"]] for p in pts])
        c1, *_ = np.linalg.lstsq(x1, y, rcond=None)
        coef, model = np.array([c1[0], c1[1], 0.0]), "rows (co-action cost folded in at the measured p_d)"
    pred = x2 @ coef
    return {
        "model": model,
        "intercept_core_s": float(coef[0]),
        "c_row_core_s": float(coef[1]),
        "c_pair_core_s": float(coef[2]),
        "residuals_core_s": [round(float(r), 2) for r in (y - pred)],
        "points": len(pts),
    }


def per_day(pts: list[dict], model: dict, actions: float, price_per_h: float, cores_per_instance: int) -> dict:
    """The model at ``actions`` a day, with f_d and p_d from the largest measured size of each detector."""
    largest: dict[str, dict] = {}
    for p in pts:
        if p["detector"] not in largest or p["actions"] > largest[p["detector"]]["actions"]:
            largest[p["detector"]] = p
    rows = pairs = 0.0
    detectors = {}
    for name, p in sorted(largest.items()):
        f_d = p["rows"] / p["actions"]
        p_d = p["co_actions"] / max(p["rows"], 1)
        detectors[name] = {"f_d": round(f_d, 4), "p_d": round(p_d, 4), "from_actions": p["actions"]}
        rows += actions * f_d
        pairs += actions * f_d * p_d
    core_s = model["c_row_core_s"] * rows + model["c_pair_core_s"] * pairs
    core_h = core_s / 3600
    return {
        "actions_per_day": actions,
        "detectors": detectors,
        "detector_rows": rows,
        "co_actions": pairs,
        "shuffle_tb": (rows * SHUFFLE_B_PER_ROW + pairs * SHUFFLE_B_PER_PAIR) / 1e12,
        "core_hours": core_h,
        "instance_hours": core_h / cores_per_instance,
        "cost_usd": core_h / cores_per_instance * price_per_h,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--actions-per-day", type=float, default=1e10)
    ap.add_argument("--price-per-hour", type=float, default=1.008, help="USD per instance hour (r6i.4xlarge)")
    ap.add_argument("--cores-per-instance", type=int, default=16)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "capacity_fit.json")
    args = ap.parse_args(argv)
    pts = points(args.files)
    if len(pts) < 3:
        raise SystemExit(f"need at least 3 Spark (size, detector) points to fit; have {len(pts)}")
    model = fit(pts)
    day = per_day(pts, model, args.actions_per_day, args.price_per_hour, args.cores_per_instance)
    print(f"{'actions':>12} {'detector':14} {'rows':>12} {'co-actions':>12} {'spark s':>9} {'duckdb s':>9}")
    for p in sorted(pts, key=lambda p: (p["detector"], p["actions"])):
        duck = f"{p['duckdb_s']:9.1f}" if p["duckdb_s"] is not None else f"{'-':>9}"
        print(f"{p['actions']:12,} {p['detector']:14} {p['rows']:12,} {p['co_actions']:12,} {p['spark_s']:9.1f} {duck}")
    print(
        f"\nfit ({model['model']}) over {model['points']} points: intercept {model['intercept_core_s']:.1f} core-s, "
        f"c_row {model['c_row_core_s']:.3e} core-s/row, c_pair {model['c_pair_core_s']:.3e} core-s/co-action; "
        f"residuals {model['residuals_core_s']}"
    )
    print(
        f"at {day['actions_per_day']:.0e} actions/day: {day['detector_rows']:.3e} detector rows, "
        f"{day['co_actions']:.3e} co-actions, shuffle {day['shuffle_tb']:.1f} TB, {day['core_hours']:,.0f} core-hours "
        f"= {day['instance_hours']:,.0f} instance-hours = USD {day['cost_usd']:,.0f}/day"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"points": pts, "model": model, "per_day": day}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
