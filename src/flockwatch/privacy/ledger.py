"""The privacy ledger: removals in the warehouse, audited exactly once in the operational store.

Retention and deletion requests change two databases (the DuckDB warehouse and the operational store), which share
no transaction. So each run writes its warehouse removals and a ``privacy_ledger`` row (the counts, never the
content) in ONE warehouse transaction; then the operational changes and the audit entry (carrying the ledger entry's
id in its evidence) in ONE store transaction; then marks the ledger row audited. A crash after the first commit
leaves a row not yet audited: :func:`recover` (run at the start of every retention or deletion run) finds whether
its audit entry committed and, if not, appends one, so no removal goes unaudited and none is audited twice.

Consumes an :class:`~flockwatch.engine.Engine` (the warehouse) and a :class:`~flockwatch.store.Store`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, exists, select

from flockwatch.review import audit
from flockwatch.store import Store
from flockwatch.store.tables import ops_audit

if TYPE_CHECKING:
    from flockwatch.engine import Engine

#: the audit actor of removals finished after a crash
RECOVERY_ACTOR = "flockwatch-privacy"


def new_entry_id() -> str:
    return uuid.uuid4().hex[:16]


def record(engine: Engine, entry_id: str, kind: str, detail: dict[str, Any]) -> None:
    """Write the ledger row (call inside the warehouse transaction that made the removals)."""
    engine.sql(
        "INSERT INTO privacy_ledger VALUES (?, ?, ?, ?, false)",
        [entry_id, kind, dt.datetime.now(dt.UTC).replace(tzinfo=None), json.dumps(detail, sort_keys=True)],
    )


def mark_audited(engine: Engine, entry_id: str) -> None:
    engine.sql("UPDATE privacy_ledger SET audited = true WHERE entry_id = ?", [entry_id])


def evidence_ref(entry_id: str) -> dict[str, str]:
    """What an audit entry's evidence carries to name its ledger row."""
    return {"ledger_entry": entry_id}


def is_audited(conn: Connection, entry_id: str) -> bool:
    # the audit writer dumps JSON with separators (",", ":"), so the reference appears exactly like this
    needle = f'%"ledger_entry":"{entry_id}"%'
    return bool(conn.execute(select(exists().where(ops_audit.c.evidence_json.like(needle)))).scalar())


def recover(engine: Engine, store: Store) -> int:
    """Audit every ledger row a crash left unaudited (or mark it, when its entry did commit); returns how many."""
    rows = engine.sql(
        "SELECT entry_id, kind, detail_json FROM privacy_ledger WHERE NOT audited ORDER BY recorded_at"
    ).rows()
    for entry_id, kind, detail_json in rows:
        with store.begin() as conn:
            if not is_audited(conn, entry_id):
                audit.append(
                    conn,
                    actor=RECOVERY_ACTOR,
                    os_user=audit.os_user(),
                    action=f"{kind}.recovered",
                    object_ref=f"privacy:{entry_id}",
                    reason="warehouse removals of an interrupted run, audited by the next run",
                    evidence=[evidence_ref(entry_id)],
                    after=json.loads(detail_json),
                )
        mark_audited(engine, entry_id)
    return len(rows)
