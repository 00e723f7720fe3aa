"""Watch alerts: each micro-batch of ``flockwatch watch`` that flags accounts raises one alert, kept in the
operational store so that a reviewer can open a case on it (``flockwatch case open --watch-alert ID``).

Consumes the :class:`~flockwatch.expand.watch.Flag` rows of one batch and a :class:`~flockwatch.store.Store`;
produces rows of ``ops_watch_alerts`` / ``ops_watch_alert_accounts`` (each flagged account with its score, evidence
in nats, actions seen and the evidence as the watcher gave it) and one audit entry per alert. Alerts are never
changed afterwards: a case opened from one freezes exactly what the watcher saw.

Public API: ``record_alert(store, flags, source, seeds_ref, min_score) -> str``, ``get_alert(store, alert_id)``,
``list_alerts(store, limit=50)``.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from flockwatch.errors import ValidationError
from flockwatch.review import audit
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_watch_alert_accounts, ops_watch_alerts

if TYPE_CHECKING:
    from flockwatch.expand.watch import Flag


@dataclass(frozen=True)
class AlertAccount:
    account_id: str
    score: float | None
    nats: float
    actions_seen: int
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Alert:
    alert_id: str
    raised_at: str
    source: str
    seeds_ref: str
    min_score: float
    accounts: list[AlertAccount]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def json_default(o: Any) -> Any:
    """numpy scalars in the watcher's evidence as JSON numbers; anything else (timestamps) as text."""
    item = getattr(o, "item", None)
    return item() if callable(item) else str(o)


def new_alert_id() -> str:
    return f"A{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


def record_alert(store: Store, flags: Sequence[Flag], source: str, seeds_ref: str, min_score: float) -> str:
    """Store one alert holding ``flags`` (one batch's); returns its id."""
    if not flags:
        raise ValidationError("an alert needs at least one flagged account")
    alert_id, now = new_alert_id(), utc_now()
    rows: dict[str, dict[str, Any]] = {}
    for f in flags:
        d = f.to_dict()
        rows.setdefault(
            f.account_id,
            {
                "alert_id": alert_id,
                "account_id": f.account_id,
                "score": None if math.isnan(float(d["score"])) else float(d["score"]),
                "nats": float(d["nats"]),
                "actions_seen": int(d["actions_seen"]),
                "evidence_json": json.dumps(d["evidence"], ensure_ascii=False, sort_keys=True, default=json_default),
            },
        )
    with store.begin() as conn:
        conn.execute(
            insert(ops_watch_alerts).values(
                alert_id=alert_id,
                raised_at=now,
                source=source,
                seeds_ref=seeds_ref,
                min_score=float(min_score),
                n_accounts=len(rows),
            )
        )
        conn.execute(insert(ops_watch_alert_accounts), list(rows.values()))
        audit.append(
            conn,
            actor="flockwatch-watch",
            os_user=audit.os_user(),
            action="watch.alert",
            object_ref=f"alert:{alert_id}",
            evidence=sorted(rows),
            after={"accounts": len(rows), "source": source, "seeds": seeds_ref, "min_score": float(min_score)},
        )
    return alert_id


def get_alert(store: Store, alert_id: str) -> Alert:
    with store.connect() as conn:
        head = conn.execute(select(ops_watch_alerts).where(ops_watch_alerts.c.alert_id == alert_id)).first()
        if head is None:
            raise ValidationError(f"no watch alert {alert_id!r}; alert ids are printed by `flockwatch watch`")
        accounts = [
            AlertAccount(
                r.account_id,
                None if r.score is None else float(r.score),
                float(r.nats),
                int(r.actions_seen),
                json.loads(r.evidence_json),
            )
            for r in conn.execute(
                select(ops_watch_alert_accounts)
                .where(ops_watch_alert_accounts.c.alert_id == alert_id)
                .order_by(ops_watch_alert_accounts.c.account_id)
            )
        ]
    return Alert(head.alert_id, head.raised_at, head.source, head.seeds_ref, float(head.min_score), accounts)


def list_alerts(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(select(ops_watch_alerts).order_by(ops_watch_alerts.c.raised_at.desc()).limit(limit))
        ]
