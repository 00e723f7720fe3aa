"""What account signals and the working-hours fingerprint say about the real IRA sample in ../shared/data/ira/.

Consumes the per-author IRA CSVs (Clemson/FiveThirtyEight, via the ``ira_csv`` reader) and ``authors.csv``
(Linvill & Warren's ``account_category``); produces a printed summary and ``bench/results/ira_signals.json``.
The IRA worked from St Petersburg (UTC+3 all year since October 2014; UTC+4 all year 2011-2014): does the
fingerprint find it, for the whole sample and per account category?

Creation dates are not in these files; for accounts whose full Twitter id is known (``congress_2017_id``) and is a
snowflake id (created after late 2013... ids above 2^40), the creation time is decoded from the id
(milliseconds since 2010-11-04T01:42:54.657Z in the bits above 22) so the creation-burst signal has something to
read. Sequential 32-bit ids carry no time and are left without a date.

Run: .venv/bin/python bench/ira_signals.py [--data ../shared/data/ira] [--workspace /tmp/ira-ws]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from flockwatch.ingest.loader import ingest_paths  # noqa: E402
from flockwatch.signals import compute_signals, fingerprints_by_account, working_hours_fingerprint  # noqa: E402
from flockwatch.signals.base import register_arrow  # noqa: E402
from flockwatch.workspace import Workspace  # noqa: E402

TWITTER_EPOCH_MS = 1288834974657


def snowflake_time_ms(user_id: str) -> int | None:
    try:
        n = int(user_id)
    except ValueError:
        return None
    if n < 2**40:  # pre-snowflake sequential id: no time inside
        return None
    return (n >> 22) + TWITTER_EPOCH_MS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ira")
    ap.add_argument("--workspace", type=Path, default=None, help="keep the workspace here (default: temporary)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ira_signals.json")
    args = ap.parse_args()
    if not (args.data / "tweets").is_dir():
        print(f"IRA data not found under {args.data}", file=sys.stderr)
        return 2
    tmp = None
    if args.workspace is None:
        tmp = tempfile.TemporaryDirectory(prefix="ira-ws-")
        args.workspace = Path(tmp.name) / "ws"
    ws = Workspace.open(args.workspace, create=True)
    t0 = time.perf_counter()
    if ws.engine.count("actions") == 0:
        ingest_paths(ws, sorted((args.data / "tweets").glob("*.csv")), format="ira_csv")
    t_ingest = time.perf_counter() - t0

    authors = list(csv.DictReader((args.data / "authors.csv").open(encoding="utf-8")))
    category = {a["author"]: a["account_category"] for a in authors}
    created = []
    for a in authors:
        ms = snowflake_time_ms(a.get("congress_2017_id") or "")
        if ms is not None:
            created.append({"account_id": a["author"], "created_ms": ms})
    if created:
        register_arrow(ws.engine, "__created", pa.Table.from_pylist(created))
        ws.engine.sql(
            "UPDATE accounts SET created_at = make_timestamp(c.created_ms * 1000) FROM __created c "
            "WHERE accounts.account_id = c.account_id AND accounts.created_at IS NULL"
        )
        ws.engine.unregister("__created")

    n_actions = ws.engine.count("actions")
    accounts = [r[0] for r in ws.engine.sql("SELECT DISTINCT account_id FROM actions ORDER BY 1").rows()]
    t1 = time.perf_counter()
    pooled = working_hours_fingerprint(ws)
    by_cat_ids: dict[str, list[str]] = defaultdict(list)
    for a in accounts:
        by_cat_ids[category.get(a, "Unknown")].append(a)
    per_category = {c: working_hours_fingerprint(ws, ids) for c, ids in sorted(by_cat_ids.items())}
    per_account = fingerprints_by_account(ws)
    t_fp = time.perf_counter() - t1
    t2 = time.perf_counter()
    signals = compute_signals(ws)
    t_signals = time.perf_counter() - t2

    confident = [f for f in per_account.values() if f.confidence_level in ("moderate", "high")]
    offsets = Counter(f.utc_offset_h for f in confident)
    labels = Counter(f.label for f in confident)
    sig_rows = signals.to_pylist()
    sig_summary = {}
    for name in sorted({r["signal"] for r in sig_rows}):
        rs = [r for r in sig_rows if r["signal"] == name]
        sig_summary[name] = {
            "accounts": len(rs),
            "strong_accounts": sum(r["value"] >= 0.5 for r in rs),
            "mean_value": round(sum(r["value"] for r in rs) / len(rs), 4),
            "top": [
                {"account_id": r["account_id"], "value": round(r["value"], 4), "evidence": json.loads(r["evidence"])}
                for r in sorted(rs, key=lambda r: -r["value"])[:3]
            ],
        }
    cadence = [json.loads(r["evidence"]) for r in sig_rows if r["signal"] == "automation_cadence"]

    def fp_brief(f):
        return {
            "label": f.label,
            "utc_offset_h": f.utc_offset_h,
            "dst_rule": f.dst_rule,
            "shape": f.shape,
            "confidence": f.confidence,
            "confidence_level": f.confidence_level,
            "n_slots": f.n_slots,
            "shape_posterior": f.shape_posterior,
            "alternatives": f.alternatives[:3],
            "office_hours": f.office_hours,
        }

    result = {
        "data": str(args.data),
        "accounts": len(accounts),
        "actions": n_actions,
        "accounts_with_decoded_creation_time": len(created),
        "seconds": {"ingest": round(t_ingest, 2), "fingerprints": round(t_fp, 2), "signals": round(t_signals, 2)},
        "pooled_fingerprint": fp_brief(pooled),
        "per_category": {c: {"accounts": len(by_cat_ids[c]), **fp_brief(f)} for c, f in per_category.items()},
        "per_account": {
            "accounts": len(per_account),
            "confident_accounts": len(confident),
            "confident_offsets": dict(
                sorted(Counter({str(k): v for k, v in offsets.items()}).items(), key=lambda kv: -kv[1])
            ),
            "confident_labels": dict(labels.most_common(8)),
        },
        "signals": sig_summary,
        "cadence": {
            "second_zero_share_median": sorted(c["second_zero_share"] for c in cadence)[len(cadence) // 2]
            if cadence
            else None,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")

    print(
        f"IRA sample: {len(accounts)} accounts, {n_actions:,} actions (ingest {t_ingest:.1f} s, fingerprints "
        f"{t_fp:.1f} s, signals {t_signals:.1f} s)"
    )
    print(
        f"pooled fingerprint: {pooled.label} — {pooled.confidence_level} (posterior {pooled.confidence:.2f}, "
        f"shape {pooled.shape}, {pooled.n_slots:,} slots) office={pooled.office_hours}"
    )
    print("per category:")
    for c, f in per_category.items():
        print(
            f"  {c:13s} {len(by_cat_ids[c]):4d} accounts  {f.label:45s} {f.confidence_level:8s} "
            f"p={f.confidence:.2f} shape={f.shape} weekday_share={f.office_hours.get('weekday_share')}"
        )
    print(f"per account: {len(confident)}/{len(per_account)} confident; offsets {dict(offsets.most_common(8))}")
    print("signals:")
    for name, s in sig_summary.items():
        print(f"  {name:28s} accounts={s['accounts']:4d} strong={s['strong_accounts']:4d} mean={s['mean_value']:.2f}")
    print(f"wrote {args.out}")
    ws.close()
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
