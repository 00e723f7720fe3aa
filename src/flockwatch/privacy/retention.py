"""Retention: remove what is past its limit, per kind of personal data, never what a legal hold covers.

Consumes the warehouse (an :class:`~flockwatch.engine.Engine`), the operational :class:`~flockwatch.store.Store` and
a :class:`~flockwatch.privacy.policy.RetentionPolicy`; produces a :class:`RetentionReport` and, unless ``dry_run``,
the removals and ONE audit entry (``retention.apply``) with the counts per kind. Public API:

    retention_due(engine, store, policy, as_of=None) -> RetentionReport          what is due now (nothing changes)
    apply_retention(engine, store, policy, as_of=None, dry_run=False) -> RetentionReport

What each kind removes (the record that something happened stays; the personal detail goes):

- ``login_ips``: ``infrastructure.ip_prefix`` set to NULL for logins older than the limit. The coarse network facts
  (ASN, country, VPN flag) stay: infrastructure signals use them, and they do not single out a person.
- ``profile_text``: ``accounts.description`` and ``.reported_location`` set to NULL for accounts whose last action
  in the data (their creation when they have none) is older than the limit; an account with neither is kept.
- ``case_evidence``: the evidence frozen into decided cases (``actioned`` or ``dismissed``) opened before the limit is
  replaced by a ``{"removed": "retention", ...}`` marker and the screen name cleared; the subject id, its status and
  the action stay (the record of the decision), and so does the audit chain (which holds ids and counts, no text).
- ``access_logs``: ``ops_access_log`` rows older than the limit (and than ``ACCESS_LOG_FLOOR_DAYS``) are deleted.

Legal holds: a held case's subjects keep their evidence; its accounts (subjects, and admins of its Page/Group
subjects) keep their login IPs and profile text; access records made for a held case stay.

Holds are read when a run starts: in the store they are re-checked inside its transaction, in the warehouse a hold
placed while a run is under way applies from the next run.

Idempotent: a second run finds nothing due and changes nothing (and writes no audit entry). Crash-safe: the warehouse
removals commit in one transaction with their ledger row, the store's removals in one transaction with the audit
entry (:mod:`flockwatch.privacy.ledger` finishes the audit after a crash between the two).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, and_, delete, func, not_, or_, select, text, update

from flockwatch.privacy import ledger
from flockwatch.privacy.policy import RetentionPolicy
from flockwatch.review import audit
from flockwatch.review.holds import held_accounts, held_case_ids
from flockwatch.store import Store
from flockwatch.store.tables import ops_access_log, ops_case_subjects, ops_cases

if TYPE_CHECKING:
    from flockwatch.engine import Engine

ACTOR = "flockwatch-retention"
#: case statuses whose evidence retention may remove: decided, with no appeal pending
DECIDED = ("actioned", "dismissed")
#: access records younger than this are never removed, whatever the limit (on PostgreSQL the database enforces it:
#: the application role deletes access records only through ops_access_log_expire, store revision 0009)
ACCESS_LOG_FLOOR_DAYS = 30
#: the start of every removed-evidence marker (so a removed row is never counted again)
REMOVED_PREFIX = '{"removed":'


@dataclass
class RetentionReport:
    as_of: str
    policy: dict[str, Any]
    cutoffs: dict[str, str]
    #: rows past their limit: removed by this run (or due, for a dry run / retention_due)
    removed: dict[str, int]
    #: rows past their limit that a legal hold keeps
    kept_under_hold: dict[str, int]
    dry_run: bool
    ledger_entry: str | None = None
    recovered: int = 0
    held_cases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the warehouse kinds: one UPDATE each, on rows matching ``due`` (alias t; ? = the cutoff) -------------------------
@dataclass(frozen=True)
class _WarehouseKind:
    kind: str
    table: str
    due: str
    set_sql: str


_WAREHOUSE_KINDS = (
    _WarehouseKind("login_ips", "infrastructure", "t.ip_prefix IS NOT NULL AND t.seen_at < ?", "ip_prefix = NULL"),
    _WarehouseKind(
        "profile_text",
        "accounts",
        "(t.description IS NOT NULL OR t.reported_location IS NOT NULL) AND coalesce((SELECT max(x.acted_at) FROM "
        "actions x WHERE x.account_id = t.account_id AND x.platform IS NOT DISTINCT FROM t.platform), t.created_at) < ?",
        "description = NULL, reported_location = NULL",
    ),
)


# -- the store kinds: conditions on the operational tables ----------------------------------------------------------
def _evidence_due(cutoff: str, held: bool) -> ColumnElement[bool]:
    s, c = ops_case_subjects.c, ops_cases.c
    cases = select(c.case_id).where(c.opened_at < cutoff, c.status.in_(DECIDED), c.legal_hold == int(held))
    return and_(s.case_id.in_(cases), not_(s.evidence_json.like(f"{REMOVED_PREFIX}%")))


def _access_due(cutoff: str, held: bool) -> ColumnElement[bool]:
    a = ops_access_log.c
    cutoff = min(cutoff, _store_time(dt.datetime.now(dt.UTC) - dt.timedelta(days=ACCESS_LOG_FLOOR_DAYS)))
    held_ids = select(ops_cases.c.case_id).where(ops_cases.c.legal_hold == 1)
    if held:
        return and_(a.at < cutoff, a.case_id.in_(held_ids))
    return and_(a.at < cutoff, or_(a.case_id.is_(None), a.case_id.not_in(held_ids)))


def _remove_evidence(conn: Connection, cutoff: str, marker: str) -> int:
    cond = _evidence_due(cutoff, held=False)
    return int(
        conn.execute(update(ops_case_subjects).where(cond).values(evidence_json=marker, screen_name=None)).rowcount
    )


def _remove_access(conn: Connection, cutoff: str, marker: str) -> int:
    if conn.dialect.name == "postgresql":
        # the application role may not DELETE access records; the guarded function applies the same conditions
        return int(conn.execute(text("SELECT ops_access_log_expire(:cutoff)"), {"cutoff": cutoff}).scalar_one())
    return int(conn.execute(delete(ops_access_log).where(_access_due(cutoff, held=False))).rowcount)


@dataclass(frozen=True)
class _StoreKind:
    kind: str
    table: Any
    due: Callable[[str, bool], ColumnElement[bool]]
    remove: Callable[[Connection, str, str], int]


_STORE_KINDS = (
    _StoreKind("case_evidence", ops_case_subjects, _evidence_due, _remove_evidence),
    _StoreKind("access_logs", ops_access_log, _access_due, _remove_access),
)


def _count(conn: Connection, table: Any, cond: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(cond)).scalar_one())


def _cutoffs(policy: RetentionPolicy, as_of: dt.datetime) -> dict[str, dt.datetime]:
    return {k: (as_of - dt.timedelta(days=d)).replace(microsecond=0) for k, d in policy.limits().items()}


def _store_time(t: dt.datetime) -> str:
    """The store's time format (:func:`flockwatch.store.utc_now`), so text comparison orders by time."""
    return t.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _warehouse_time(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC).replace(tzinfo=None)


def _now(as_of: dt.datetime | None) -> dt.datetime:
    if as_of is None:
        return dt.datetime.now(dt.UTC)
    return as_of.replace(tzinfo=dt.UTC) if as_of.tzinfo is None else as_of


def _warehouse_counts(
    engine: Engine, held_table: str, cutoffs: dict[str, dt.datetime]
) -> tuple[dict[str, int], dict[str, int]]:
    due, kept = {}, {}
    for k in _WAREHOUSE_KINDS:
        cutoff = [_warehouse_time(cutoffs[k.kind])]
        base = f"SELECT count(*) FROM {k.table} t WHERE {k.due} AND t.account_id"
        due[k.kind] = int(engine.sql(f"{base} NOT IN (SELECT account_id FROM {held_table})", cutoff).scalar())
        kept[k.kind] = int(engine.sql(f"{base} IN (SELECT account_id FROM {held_table})", cutoff).scalar())
    return due, kept


def _plan(
    engine: Engine, store: Store, policy: RetentionPolicy, as_of: dt.datetime | None
) -> tuple[dt.datetime, dict[str, dt.datetime], dict[str, list[str]]]:
    now = _now(as_of)
    with store.connect() as conn:
        held = held_accounts(conn)
    return now, _cutoffs(policy, now), held


def _report(
    now: dt.datetime,
    policy: RetentionPolicy,
    cutoffs: dict[str, dt.datetime],
    removed: dict[str, int],
    kept: dict[str, int],
    dry_run: bool,
    held_cases: list[str],
) -> RetentionReport:
    return RetentionReport(
        as_of=_store_time(now),
        policy=policy.to_dict(),
        cutoffs={k: _store_time(v) for k, v in cutoffs.items()},
        removed=removed,
        kept_under_hold=kept,
        dry_run=dry_run,
        held_cases=held_cases,
    )


def _held_ids(held: dict[str, list[str]]) -> pa.Table:
    return pa.table({"account_id": pa.array(sorted(held), pa.string())})


def retention_due(
    engine: Engine, store: Store, policy: RetentionPolicy, as_of: dt.datetime | None = None
) -> RetentionReport:
    """What each kind has past its limit now, and what a legal hold keeps (nothing changes)."""
    now, cutoffs, held = _plan(engine, store, policy, as_of)
    with engine.scratch("retention") as s:
        due, kept = _warehouse_counts(engine, s.register("held", _held_ids(held)), cutoffs)
    with store.connect() as conn:
        for k in _STORE_KINDS:
            due[k.kind] = _count(conn, k.table, k.due(_store_time(cutoffs[k.kind]), False))
            kept[k.kind] = _count(conn, k.table, k.due(_store_time(cutoffs[k.kind]), True))
        cases = sorted({c for cs in held.values() for c in cs} | set(held_case_ids(conn)))
    return _report(now, policy, cutoffs, due, kept, True, cases)


def apply_retention(
    engine: Engine,
    store: Store,
    policy: RetentionPolicy,
    as_of: dt.datetime | None = None,
    dry_run: bool = False,
    actor: str = ACTOR,
) -> RetentionReport:
    """Remove what is past its limit (see the module docstring); one audit entry when anything was removed."""
    if dry_run:
        return retention_due(engine, store, policy, as_of)
    recovered = ledger.recover(engine, store)
    now, cutoffs, held = _plan(engine, store, policy, as_of)
    entry_id = ledger.new_entry_id()
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}
    with engine.scratch("retention") as s:
        held_table = s.register("held", _held_ids(held))
        with engine.transaction():
            due, kept = _warehouse_counts(engine, held_table, cutoffs)
            for k in _WAREHOUSE_KINDS:
                if due[k.kind]:
                    engine.sql(
                        f"UPDATE {k.table} AS t SET {k.set_sql} WHERE {k.due} "
                        f"AND t.account_id NOT IN (SELECT account_id FROM {held_table})",
                        [_warehouse_time(cutoffs[k.kind])],
                    )
            removed.update(due)
            if any(due.values()):
                ledger.record(engine, entry_id, "retention", {"removed": dict(due), "as_of": _store_time(now)})
    marker = f'{REMOVED_PREFIX} "retention", "on": "{_store_time(now)}"}}'
    with store.begin() as conn:
        for sk in _STORE_KINDS:
            cutoff = _store_time(cutoffs[sk.kind])
            kept[sk.kind] = _count(conn, sk.table, sk.due(cutoff, True))
            removed[sk.kind] = sk.remove(conn, cutoff, marker)
        cases = sorted({c for cs in held.values() for c in cs} | set(held_case_ids(conn)))
        if any(removed.values()):
            audit.append(
                conn,
                actor=actor,
                os_user=audit.os_user(),
                action="retention.apply",
                object_ref="retention",
                reason=f"retention limits ({policy.source})",
                evidence=[
                    *([ledger.evidence_ref(entry_id)] if any(removed[k.kind] for k in _WAREHOUSE_KINDS) else []),
                    {"limits_days": policy.limits()},
                ],
                after={
                    "removed": removed,
                    "kept_under_hold": kept,
                    "held_cases": cases,
                    "cutoffs": {k: _store_time(v) for k, v in cutoffs.items()},
                },
            )
    if any(removed[k.kind] for k in _WAREHOUSE_KINDS):
        ledger.mark_audited(engine, entry_id)
    report = _report(now, policy, cutoffs, removed, kept, False, cases)
    report.ledger_entry = entry_id if any(removed.values()) else None
    report.recovered = recovered
    return report
