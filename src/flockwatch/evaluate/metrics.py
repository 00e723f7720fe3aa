"""Evaluate a detection run against ground truth (the simulator's ``truth.csv``).

Consumes a workspace with a run and its networks, and a truth table (``account_id, operation_id, role, ...``;
accounts absent from it are organic). Produces account-level precision, recall and F1 of:

* ``fused`` — the members of flagged candidate networks (what ``flockwatch networks export`` writes);
* each detector — accounts with at least one calibrated edge of that detector;

and ``network_purity``: for each flagged network, the share of members belonging to its most common operation
(organic accounts form their own class), averaged with network sizes as weights.

Fused members include accounts added after clustering (attach, growth). ``fused_by_joined`` splits the fused
members by how they joined (precision of each source, and how many planted accounts each contributed); when the truth
file has ``role`` / ``is_fresh`` columns, ``fused_by_role`` gives the fused recall per role and per freshness.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from flockwatch.errors import InputFileError
from flockwatch.networks.build import resolve_run
from flockwatch.workspace import Workspace


def read_truth(path: str | Path) -> dict[str, str]:
    """account_id -> operation_id from a truth CSV (columns at least ``account_id, operation_id``)."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "truth file not found")
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "account_id" not in reader.fieldnames:
            raise InputFileError(p, "truth file needs an account_id column")
        return {r["account_id"]: (r.get("operation_id") or "op") for r in reader if r.get("account_id")}


def read_truth_roles(path: str | Path) -> dict[str, dict[str, str]]:
    """account_id -> {role, fresh} from a truth CSV when it has those columns (else empty)."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "truth file not found")
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        if "account_id" not in cols or ("role" not in cols and "is_fresh" not in cols):
            return {}
        return {r["account_id"]: {"role": r.get("role") or "", "fresh": (r.get("is_fresh") or "").lower()}
                for r in reader if r.get("account_id")}


def _prf(predicted: set[str], truth: set[str]) -> dict[str, Any]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "predicted": len(predicted), "true_positives": tp}


def evaluate(ws: Workspace, truth: dict[str, str] | str | Path, run_id: str | None = None) -> dict[str, Any]:
    """Account-level precision/recall/F1 (fused and per detector) and network purity for a run."""
    rid = resolve_run(ws, run_id)
    truth_map = truth if isinstance(truth, dict) else read_truth(truth)
    planted = set(truth_map)
    e = ws.engine
    rows = e.sql("""SELECT m.network_id, m.account_id, coalesce(m.joined_by, 'cluster') FROM network_members m
                    JOIN networks n ON n.run_id = m.run_id AND n.network_id = m.network_id
                    WHERE m.run_id = ? AND n.flagged""", [rid]).rows()
    members = [(nid, acc) for nid, acc, _ in rows]
    fused = {acc for _, acc in members}
    by_joined: dict[str, set[str]] = {}
    for _, acc, how in rows:
        by_joined.setdefault(how, set()).add(acc)
    fused_by_joined = {how: {"members": len(accs), "true_positives": len(accs & planted),
                             "precision": round(len(accs & planted) / len(accs), 4)}
                       for how, accs in sorted(by_joined.items())}
    roles = read_truth_roles(truth) if not isinstance(truth, dict) else {}
    fused_by_role: dict[str, dict[str, Any]] = {}
    for label, key in (("role", "role"), ("fresh", "fresh")):
        groups: dict[str, set[str]] = {}
        for acc, r in roles.items():
            if r.get(key):
                groups.setdefault(f"{label}={r[key]}", set()).add(acc)
        for name, accs in sorted(groups.items()):
            fused_by_role[name] = {"accounts": len(accs), "found": len(accs & fused),
                                   "recall": round(len(accs & fused) / len(accs), 4)}
    per_detector = {}
    detectors = [d for d, in e.sql("SELECT DISTINCT detector FROM edges WHERE run_id = ? ORDER BY 1", [rid]).rows()]
    run_dets = e.sql("SELECT detectors FROM detection_runs WHERE run_id = ?", [rid]).scalar() or ""
    for det in sorted(set(detectors) | {d for d in run_dets.split(",") if d}):
        accs = {a for a, in e.sql("SELECT account_a FROM edges WHERE run_id = ? AND detector = ? UNION "
                                  "SELECT account_b FROM edges WHERE run_id = ? AND detector = ?",
                                  [rid, det, rid, det]).rows()}
        per_detector[det] = _prf(accs, planted)
    by_net: dict[str, list[str]] = {}
    for nid, acc in members:
        by_net.setdefault(nid, []).append(acc)
    weighted = 0.0
    total = 0
    for accs in by_net.values():
        labels = Counter(truth_map.get(a, "__organic__") for a in accs)
        weighted += labels.most_common(1)[0][1]
        total += len(accs)
    operations = Counter(truth_map.values())
    return {
        "run_id": rid,
        "truth_accounts": len(planted),
        "operations": dict(operations),
        "fused": _prf(fused, planted),
        "fused_by_joined": fused_by_joined,
        "fused_by_role": fused_by_role,
        "per_detector": per_detector,
        "networks_flagged": len(by_net),
        "network_purity": round(weighted / total, 4) if total else None,
    }
