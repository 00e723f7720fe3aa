"""Deletion requests: remove one account's personal data, keep what a legal hold covers, audit what was done.

Consumes the warehouse (an :class:`~flockwatch.engine.Engine`), the operational :class:`~flockwatch.store.Store` and
an authenticated :class:`~flockwatch.review.actor.Actor` (a reviewer or admin); produces a :class:`DeletionReport`
and, unless ``dry_run``, the removals and ONE audit entry (``privacy.delete_account``) holding counts per table and
the held cases — never the deleted content. Public API:

    delete_account(engine, store, actor, account_id, reason, platform=None, dry_run=False) -> DeletionReport

What is removed (decided: the account's posts go with it, not just their text — a post without its author is still
the author's words, and a half-deleted post would still feed detection):

- warehouse, canonical data: the ``accounts`` row (profile, bio), every handle in ``account_handles``, its
  ``actions`` with their hashtags, URLs, mentions and text fingerprints (``text_exact``, ``text_minhash``), its login
  events (``infrastructure``), its Page/Group admin roles (``asset_admins``);
- warehouse, detection output: its rows in ``network_members``, ``edges``, ``edge_evidence`` and ``fused_edges``
  (stored runs keep their other members; a network's ``size`` is what it was when detected);
- operational store: the evidence frozen into cases NOT under legal hold (replaced by a
  ``{"removed": "deletion request", ...}`` marker, the screen name cleared). The subject id, its status and the
  action taken stay: they are the record of a decision, which an appeal or a regulator may ask for.

What stays: evidence of held cases (reported, per case; a later run after the hold is released removes it); other
accounts' actions that repost, reply to or mention this account (their data, not its); the account's id where it
appears inside other subjects' evidence (an admin of a Page subject, a neighbour in join evidence); the audit chain and the
access log (who did what and who viewed what: security records, which hold ids, not content); quarantined raw lines.

Re-running is a no-op: with nothing left to remove, nothing changes and no audit entry is written. Crash-safe as
retention is (:mod:`flockwatch.privacy.ledger`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, not_, select, update

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.privacy import ledger
from flockwatch.review import audit
from flockwatch.review.actor import Actor
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_case_subjects, ops_cases
from flockwatch.store.users import has_role

if TYPE_CHECKING:
    from flockwatch.engine import Engine

REMOVED_PREFIX = '{"removed":'
_OF_ITS_ACTIONS = "(platform, action_id) IN (SELECT platform, action_id FROM actions WHERE {who})"
#: (table, condition) in removal order (entity rows before the actions they hang from). ``{who}`` is the account on
#: a table with a platform column (platform-qualified when the request names one), ``{id}`` the bare account id.
WAREHOUSE_STEPS: tuple[tuple[str, str], ...] = (
    ("action_hashtags", _OF_ITS_ACTIONS),
    ("action_urls", _OF_ITS_ACTIONS),
    ("action_mentions", _OF_ITS_ACTIONS),
    ("text_exact", _OF_ITS_ACTIONS),
    ("text_minhash", _OF_ITS_ACTIONS),
    ("actions", "{who}"),
    ("infrastructure", "{who}"),
    ("account_handles", "{who}"),
    ("asset_admins", "{who}"),
    ("accounts", "{who}"),
    ("network_members", "account_id = {id}"),
    ("edges", "account_a = {id} OR account_b = {id}"),
    ("edge_evidence", "account_a = {id} OR account_b = {id}"),
    ("fused_edges", "account_a = {id} OR account_b = {id}"),
)


@dataclass
class DeletionReport:
    account_id: str
    platform: str | None
    dry_run: bool
    #: rows removed per table (or that would be, for a dry run); ``case_evidence`` counts case subjects
    removed: dict[str, int]
    #: held cases still holding the account's evidence: [{"case_id", "subjects"}]
    kept_under_hold: list[dict[str, Any]] = field(default_factory=list)
    #: nothing was left to remove (a repeated request, or an account this workspace never held)
    nothing_to_remove: bool = False
    ledger_entry: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _step_sql(template: str, account_id: str, platform: str | None) -> tuple[str, list[Any]]:
    who, who_params = (
        ("account_id = ? AND platform = ?", [account_id, platform]) if platform else ("account_id = ?", [account_id])
    )
    params = who_params * template.count("{who}") + [account_id] * template.count("{id}")
    return template.format(who=who, id="?"), params


def _warehouse_counts(engine: Engine, account_id: str, platform: str | None) -> dict[str, int]:
    out = {}
    for table, template in WAREHOUSE_STEPS:
        where, params = _step_sql(template, account_id, platform)
        out[table] = int(engine.sql(f"SELECT count(*) FROM {table} WHERE {where}", params).scalar())
    return out


def _subject_rows(account_id: str, platform: str | None, held: bool) -> Any:
    s, c = ops_case_subjects.c, ops_cases.c
    cond = and_(
        s.kind == "account",
        s.subject_id == account_id,
        s.case_id.in_(select(c.case_id).where(c.legal_hold == int(held))),
        not_(s.evidence_json.like(f"{REMOVED_PREFIX}%")),
    )
    # a subject recorded without its platform ("" when the warehouse did not know it) is the same account
    return and_(cond, s.platform.in_((platform, ""))) if platform else cond


def _kept(conn: Connection, account_id: str, platform: str | None) -> list[dict[str, Any]]:
    s = ops_case_subjects.c
    rows = conn.execute(
        select(s.case_id, func.count())
        .where(_subject_rows(account_id, platform, held=True))
        .group_by(s.case_id)
        .order_by(s.case_id)
    )
    return [{"case_id": case_id, "subjects": int(n)} for case_id, n in rows]


def delete_account(
    engine: Engine,
    store: Store,
    actor: Actor,
    account_id: str,
    reason: str,
    platform: str | None = None,
    dry_run: bool = False,
) -> DeletionReport:
    """Carry out (or with ``dry_run`` only count) a deletion request for one account (see the module docstring)."""
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"a deletion request is carried out by a reviewer; {actor.name} is an {actor.user.role}"
        )
    account_id = (account_id or "").strip()
    if not account_id:
        raise ValidationError("which account? give its id")
    if not reason or not reason.strip():
        raise ValidationError("a deletion request needs its reference or reason (--reason TEXT)")
    platform = (platform or "").strip() or None
    if dry_run:
        counts = _warehouse_counts(engine, account_id, platform)
        with store.connect() as conn:
            counts["case_evidence"] = int(
                conn.execute(
                    select(func.count())
                    .select_from(ops_case_subjects)
                    .where(_subject_rows(account_id, platform, False))
                ).scalar_one()
            )
            kept = _kept(conn, account_id, platform)
        return DeletionReport(account_id, platform, True, counts, kept, not any(counts.values()))

    ledger.recover(engine, store)
    entry_id = ledger.new_entry_id()
    with engine.transaction():
        counts = _warehouse_counts(engine, account_id, platform)
        for table, template in WAREHOUSE_STEPS:
            if counts[table]:
                where, params = _step_sql(template, account_id, platform)
                engine.sql(f"DELETE FROM {table} WHERE {where}", params)
        if any(counts.values()):
            ledger.record(
                engine, entry_id, "privacy.delete_account", {"removed": {k: v for k, v in counts.items() if v}}
            )
    wrote_ledger = any(counts.values())
    marker = f'{REMOVED_PREFIX} "deletion request", "on": "{utc_now()}"}}'
    with store.begin() as conn:
        counts["case_evidence"] = int(
            conn.execute(
                update(ops_case_subjects)
                .where(_subject_rows(account_id, platform, held=False))
                .values(evidence_json=marker, screen_name=None)
            ).rowcount
        )
        kept = _kept(conn, account_id, platform)
        removed = {k: v for k, v in counts.items() if v}
        if removed:
            audit.append(
                conn,
                actor=actor.name,
                os_user=actor.os_user,
                action="privacy.delete_account",
                object_ref=f"account:{account_id}",
                reason=reason,
                evidence=[ledger.evidence_ref(entry_id)] if wrote_ledger else [],
                after={"platform": platform, "removed": removed, "kept_under_hold": kept},
            )
    if wrote_ledger:
        ledger.mark_audited(engine, entry_id)
    return DeletionReport(
        account_id,
        platform,
        False,
        counts,
        kept,
        not removed,
        entry_id if wrote_ledger else None,
    )
