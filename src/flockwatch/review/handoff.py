"""Hand-off to enforcement systems: executed actions (and reversals) as JSONL or CSV records with idempotency keys.

Consumes the operational store; produces one record per subject whose action is in force or was reversed on appeal:
``idempotency_key, case_id, action_id, action, until, subject_kind, platform, subject_id, screen_name, approved_by,
approved_at, reason``. ``action`` is the action's kind (``suspend``, ``lock``, ``label``, ``refuse-ads``, ``dismiss``)
or ``reverse`` for a reversal. The key is the SHA-256 of (action id, subject, record kind): exporting twice yields the
same keys, so an enforcement system that remembers keys applies each decision once, however often it is sent.

Public API: ``handoff_records(store, case_id=None)``, ``write_handoff(store, path, fmt=None, case_id=None)``.
Webhook delivery of the same records (signed, retried, allow-listed hosts) is :mod:`flockwatch.review.delivery`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from flockwatch.errors import ValidationError
from flockwatch.store import Store
from flockwatch.store.tables import ops_actions, ops_case_subjects

FIELDS = (
    "idempotency_key",
    "case_id",
    "action_id",
    "action",
    "until",
    "subject_kind",
    "platform",
    "subject_id",
    "screen_name",
    "approved_by",
    "approved_at",
    "reason",
)
# statuses whose action is in force (an appeal pending does not suspend it) and the reversal
_IN_FORCE = ("executed", "appealed", "upheld")


def idempotency_key(action_id: int, kind: str, platform: str, subject_id: str, record: str) -> str:
    return hashlib.sha256(f"{action_id}\t{kind}\t{platform}\t{subject_id}\t{record}".encode()).hexdigest()[:32]


def handoff_records(store: Store, case_id: str | None = None) -> list[dict[str, Any]]:
    s, a = ops_case_subjects.c, ops_actions.c
    q = (
        select(
            s.case_id,
            s.kind,
            s.platform,
            s.subject_id,
            s.screen_name,
            s.status,
            a.action_id,
            a.kind.label("act"),
            a.until_at,
            a.approved_by,
            a.approved_at,
            a.reason,
        )
        .join(ops_actions, a.action_id == s.action_id)
        .where(s.status.in_((*_IN_FORCE, "reversed")), a.status == "executed")
        .order_by(a.action_id, s.kind, s.platform, s.subject_id)
    )
    if case_id is not None:
        q = q.where(s.case_id == case_id)
    out = []
    with store.connect() as conn:
        for r in conn.execute(q):
            records = [r.act] if r.status != "reversed" else [r.act, "reverse"]
            for rec in records:
                out.append(
                    {
                        "idempotency_key": idempotency_key(r.action_id, r.kind, r.platform, r.subject_id, rec),
                        "case_id": r.case_id,
                        "action_id": int(r.action_id),
                        "action": rec,
                        "until": r.until_at if rec == "lock" else None,
                        "subject_kind": r.kind,
                        "platform": r.platform,
                        "subject_id": r.subject_id,
                        "screen_name": r.screen_name,
                        "approved_by": r.approved_by,
                        "approved_at": r.approved_at,
                        "reason": r.reason,
                    }
                )
    return out


def write_handoff(store: Store, path: str | Path, fmt: str | None = None, case_id: str | None = None) -> int:
    """Write the records to ``path`` (``.jsonl`` or ``.csv``, or ``fmt``); returns how many."""
    p = Path(path)
    fmt = fmt or p.suffix.lstrip(".").lower()
    if fmt not in ("jsonl", "csv"):
        raise ValidationError(f"hand-off format {fmt!r}: use jsonl or csv (or a .jsonl / .csv file name)")
    rows = handoff_records(store, case_id)
    with p.open("w", encoding="utf-8", newline="") as f:
        if fmt == "jsonl":
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
        else:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
    return len(rows)
