"""Evaluate a detection run against ground truth (the simulator's ``truth.csv``).

Consumes a workspace with a run and its networks, and a truth table (``account_id, operation_id, role, ...``;
accounts absent from it are organic). Produces account-level precision, recall and F1 of:

* ``fused`` — the members of flagged candidate networks (what ``flockwatch networks export`` writes);
* each detector — accounts with at least one calibrated edge of that detector;

and ``network_purity``: for each flagged network, the share of members belonging to its most common operation
(organic accounts form their own class), averaged with network sizes as weights.

``candidate_operations`` scores the coarser level (``flockwatch.networks.operations``): how many candidate operations
there are and how many hold planted accounts; for each truth operation, the share of its *found* accounts (members of
flagged networks) that sit in its single best-matching candidate operation (``operation_recall``: 1.0 when the
operation is shown as one), with the largest truth operation's figures at the top; and ``operation_purity`` (the
size-weighted share of each candidate operation's members that belong to its most common truth operation, organic
accounts a class of their own). The key ``operations`` keeps its older meaning (truth accounts per operation id).

Fused members include accounts added after clustering (attach, growth). ``fused_by_joined`` splits the fused
members by how they joined (precision of each source, and how many planted accounts each contributed); when the truth
file has ``role`` / ``is_fresh`` columns, ``fused_by_role`` gives the fused recall per role and per freshness.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from flockwatch.core import runs
from flockwatch.errors import InputFileError
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
        return {
            r["account_id"]: {"role": r.get("role") or "", "fresh": (r.get("is_fresh") or "").lower()}
            for r in reader
            if r.get("account_id")
        }


def _prf(predicted: set[str], truth: set[str]) -> dict[str, Any]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted": len(predicted),
        "true_positives": tp,
    }


def evaluate(ws: Workspace, truth: dict[str, str] | str | Path, run_id: str | None = None) -> dict[str, Any]:
    """Account-level precision/recall/F1 (fused and per detector) and network purity for a run."""
    rid = runs.resolve_run(ws.engine, run_id)
    truth_map = truth if isinstance(truth, dict) else read_truth(truth)
    planted = set(truth_map)
    e = ws.engine
    rows = e.sql(
        """SELECT m.network_id, m.account_id, coalesce(m.joined_by, 'cluster') FROM network_members m
                    JOIN networks n ON n.run_id = m.run_id AND n.network_id = m.network_id
                    WHERE m.run_id = ? AND """
        + runs.flagged_member_sql("m", "n"),
        [rid],
    ).rows()
    members = [(nid, acc) for nid, acc, _ in rows]
    fused = {acc for _, acc in members}
    by_joined: dict[str, set[str]] = {}
    for _, acc, how in rows:
        by_joined.setdefault(how, set()).add(acc)
    fused_by_joined = {
        how: {
            "members": len(accs),
            "true_positives": len(accs & planted),
            "precision": round(len(accs & planted) / len(accs), 4),
        }
        for how, accs in sorted(by_joined.items())
    }
    roles = read_truth_roles(truth) if not isinstance(truth, dict) else {}
    fused_by_role: dict[str, dict[str, Any]] = {}
    for label, key in (("role", "role"), ("fresh", "fresh")):
        groups: dict[str, set[str]] = {}
        for acc, r in roles.items():
            if r.get(key):
                groups.setdefault(f"{label}={r[key]}", set()).add(acc)
        for name, accs in sorted(groups.items()):
            fused_by_role[name] = {
                "accounts": len(accs),
                "found": len(accs & fused),
                "recall": round(len(accs & fused) / len(accs), 4),
            }
    per_detector = {}
    detectors = [d for (d,) in e.sql("SELECT DISTINCT detector FROM edges WHERE run_id = ? ORDER BY 1", [rid]).rows()]
    run_dets = e.sql("SELECT detectors FROM detection_runs WHERE run_id = ?", [rid]).scalar() or ""
    for det in sorted(set(detectors) | {d for d in run_dets.split(",") if d}):
        accs = {
            a
            for (a,) in e.sql(
                "SELECT account_a FROM edges WHERE run_id = ? AND detector = ? UNION "
                "SELECT account_b FROM edges WHERE run_id = ? AND detector = ?",
                [rid, det, rid, det],
            ).rows()
        }
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
        "candidate_operations": operation_metrics(ws, rid, truth_map),
    }


def operation_metrics(ws: Workspace, run_id: str, truth_map: dict[str, str]) -> dict[str, Any]:
    """Operation-level figures of a run against truth (see the module docstring); a run built before operations
    existed is grouped on the fly, not stored."""
    from flockwatch.networks.operations import load_operations, operation_members

    ops = load_operations(ws, run_id)
    op_of = operation_members(ws, ops)
    by_op: dict[str, Counter[str]] = {}
    for acc, oid in op_of.items():
        by_op.setdefault(oid, Counter())[truth_map.get(acc, "__organic__")] += 1
    majority = sum(c.most_common(1)[0][1] for c in by_op.values())
    per_truth: list[dict[str, Any]] = []
    for tid, size in Counter(truth_map.values()).most_common():
        found = Counter(oid for acc, oid in op_of.items() if truth_map.get(acc) == tid)
        n_found = sum(found.values())
        best, in_best = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[0] if found else (None, 0)
        per_truth.append(
            {
                "operation_id": tid,
                "accounts": size,
                "found": n_found,
                "candidate_operations": len(found),
                "best_candidate_operation": best,
                "best_candidate_size": next((o.n_members for o in ops if o.operation_id == best), 0),
                "operation_recall": round(in_best / n_found, 4) if n_found else None,
            }
        )
    largest = per_truth[0] if per_truth else {}
    return {
        "operations": len(ops),
        "largest_members": max((o.n_members for o in ops), default=0),
        "largest_networks": max((o.n_networks for o in ops), default=0),
        "operations_with_truth": sum(1 for c in by_op.values() if any(k != "__organic__" for k in c)),
        "largest_truth_operation": largest.get("operation_id"),
        "operation_recall": largest.get("operation_recall"),
        "operation_purity": round(majority / len(op_of), 4) if op_of else None,
        "per_truth_operation": per_truth,
    }
