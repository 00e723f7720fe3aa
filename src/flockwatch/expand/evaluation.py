"""Expansion and new-account scoring against ground truth.

Consumes ranked accounts (ids + scores) or watcher trajectories (per account, the evidence after each of its first
actions) and a set of true positives; produces precision/recall curves, recall at a precision, and how many actions
per account the watcher needs to reach a precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa


def pr_curve(
    account_ids: Sequence[str], scores: np.ndarray, raw_nats: np.ndarray, positives: set[str]
) -> list[dict[str, float]]:
    """Precision/recall at each cut of the ranking (by score, then raw evidence), one point per account."""
    order = np.lexsort((-np.asarray(raw_nats, float), -np.asarray(scores, float)))
    hits = np.array([account_ids[i] in positives for i in order], dtype=float)
    tp = np.cumsum(hits)
    k = np.arange(1, len(order) + 1)
    total = max(len(positives), 1)
    return [
        {
            "rank": int(k[i]),
            "score": float(scores[order[i]]),
            "precision": float(tp[i] / k[i]),
            "recall": float(tp[i] / total),
        }
        for i in range(len(order))
    ]


def recall_at_precision(curve: list[dict[str, float]], precision: float) -> float:
    """Highest recall among cuts whose precision is at least ``precision`` (0 when none)."""
    ok = [p["recall"] for p in curve if p["precision"] >= precision]
    return max(ok) if ok else 0.0


def actions_needed(
    trajectories: pa.Table,
    positives: set[str],
    target_precision: float = 0.95,
    max_actions: int = 10,
    focus: set[str] | None = None,
) -> list[dict[str, Any]]:
    """For n = 1..max_actions: the best recall reachable at ``target_precision`` using only each account's first n
    actions, and the evidence threshold that achieves it.

    ``trajectories``: ``account_id, n_actions, nats`` (``Watcher.trajectory_table()``). Recall is over ``focus``
    (e.g. the fresh amplifiers) when given, else over the positives seen; precision is over every account scored.
    """
    acc = np.array(trajectories.column("account_id").to_pylist(), dtype=object)
    n = trajectories.column("n_actions").to_numpy(zero_copy_only=False)
    nats = trajectories.column("nats").to_numpy(zero_copy_only=False)
    out = []
    for k in range(1, max_actions + 1):
        sel = n <= k
        best: dict[str, float] = {}
        for a, v in zip(acc[sel], nats[sel], strict=False):
            if v > best.get(a, -1.0):
                best[a] = float(v)
        ids = list(best)
        vals = np.array([best[a] for a in ids])
        is_pos = np.array([a in positives for a in ids])
        target = focus if focus is not None else {a for a in ids if a in positives}
        in_focus = np.array([a in target for a in ids])
        order = np.argsort(-vals, kind="stable")
        tp = np.cumsum(is_pos[order])
        foc = np.cumsum(in_focus[order])
        prec = tp / np.arange(1, len(order) + 1)
        row = {"first_n_actions": k, "recall": 0.0, "threshold_nats": None, "accounts": len(ids)}
        ok = np.flatnonzero(prec >= target_precision)
        if len(ok) and len(target):
            # the deepest cut meeting the precision, not splitting a tie
            i = ok[-1]
            while i + 1 < len(order) and vals[order[i + 1]] == vals[order[i]]:
                i += 1
            if prec[i] < target_precision:
                i = ok[-1]
                while i >= 0 and i + 1 < len(order) and vals[order[i + 1]] == vals[order[i]]:
                    i -= 1
            if i >= 0:
                row["recall"] = float(foc[i] / len(target))
                row["threshold_nats"] = float(vals[order[i]])
        out.append(row)
    return out
