"""Cases: a detection result frozen for review — its subjects and their evidence as they were when it opened.

Consumes the warehouse (through :class:`~flockwatch.engine.Engine`: detection runs, network members, operations,
accounts) and an operational :class:`~flockwatch.store.Store`; produces rows of ``ops_cases`` and
``ops_case_subjects`` and :class:`CaseSnapshot` answers. Network ids are renumbered by every run, so a case keeps
the run, the member list and each member's evidence (score, degree, how it joined, the account's profile at open);
later runs never change a case.

Public API (names are stable; the web console, tips and disclosure call them):

    open_case(store, by=, engine=, network=, run=, operation=, accounts=, tip=, alert=, subjects=, title=, reason=,
              with_assets=False) -> str
        exactly one source: ``network`` ("N0001" of the latest run, or "RUN/N0001", or ``run`` + "N0001"),
        ``alert`` (a watch alert's id: its flagged accounts with the watcher's evidence, see expand/alerts.py),
        ``operation`` (with ``run`` or the latest), ``accounts`` (account ids; an account list, whose lines may
        also name ``page:ID`` / ``group:ID``), ``tip`` (a tip's reference, with ``accounts`` or ``subjects``), or
        ``subjects`` alone (Pages, Groups, domains). ``with_assets`` adds the Pages and Groups (warehouse
        ``assets`` / ``asset_admins``, e.g. from the platform_assets reader) that the case's accounts administer,
        each with its evidence: the asset as it is now and its admins (``admin_in_case`` marks the case's own).
    get_case(store, case_id, with_subjects=True) -> CaseSnapshot
        .status, .subjects (kind account/page/group/domain, id, screen name, evidence at open, status, action),
        .counts (subjects per status), .actions
    list_cases(store, status=None) -> list[CaseSnapshot]   (without subjects)
    Subject(kind, subject_id, platform="", screen_name=None, score=None, evidence={})   input for open_case

Every case change is audited (:mod:`flockwatch.review.audit`) in the same transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import Connection, func, insert, select, update

from flockwatch.core.runs import network_members, parse_network_ref, resolve_run
from flockwatch.errors import ValidationError
from flockwatch.review import audit
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_actions, ops_case_subjects, ops_cases

if TYPE_CHECKING:
    from flockwatch.engine import Engine

SUBJECT_KINDS = ("account", "page", "group", "domain")
SUBJECT_STATUSES = (
    "open",
    "excluded",
    "proposed",
    "approved",
    "executing",
    "executed",
    "failed",
    "appealed",
    "upheld",
    "reversed",
    "expired",
)
CASE_STATUSES = ("open", "in_review", "approved", "actioned", "dismissed", "appealed")
# rows per INSERT batch: large enough to amortise round trips, small enough for SQLite's variable limit per row set
_BATCH_ROWS = 5_000


@dataclass(frozen=True)
class Subject:
    kind: str
    subject_id: str
    platform: str = ""
    screen_name: str | None = None
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectState:
    kind: str
    platform: str
    subject_id: str
    screen_name: str | None
    score: float | None
    evidence: dict[str, Any]
    status: str
    action_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CaseSnapshot:
    case_id: str
    title: str
    status: str
    source_kind: str
    source_ref: str
    run_id: str | None
    opened_by: str
    opened_at: str
    legal_hold: bool
    detail: dict[str, Any]
    counts: dict[str, int]
    actions: list[dict[str, Any]]
    subjects: list[SubjectState] | None = None
    #: who placed the legal hold, when and why (None while the case is not held)
    hold: dict[str, Any] | None = None

    @property
    def n_subjects(self) -> int:
        return sum(self.counts.values())

    def to_dict(self, with_subjects: bool = False) -> dict[str, Any]:
        d = {
            "case_id": self.case_id,
            "title": self.title,
            "status": self.status,
            "source": {"kind": self.source_kind, "ref": self.source_ref, "run_id": self.run_id},
            "opened_by": self.opened_by,
            "opened_at": self.opened_at,
            "legal_hold": self.legal_hold,
            "hold": self.hold,
            "subjects": dict(self.counts),
            "n_subjects": self.n_subjects,
            "actions": self.actions,
            "detail": self.detail,
        }
        if with_subjects and self.subjects is not None:
            d["subject_list"] = [s.to_dict() for s in self.subjects]
        return d


def new_case_id() -> str:
    """``C<yyyymmdd>-<6 hex>``: sortable by day, unguessable enough that ids are not enumerated by accident."""
    return f"C{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


# -- reading the warehouse --------------------------------------------------------------------------------------------
def _profiles(engine: Engine, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each listed account's platform and profile as the warehouse holds it now (frozen into the case)."""
    if not ids:
        return {}
    with engine.scratch("caseopen") as s:
        name = s.register("ids", pa.table({"account_id": pa.array(list(ids), pa.string())}))
        rows = engine.sql(
            f"SELECT a.account_id, a.platform, a.screen_name, a.display_name, a.created_at, a.follower_count, "
            f"a.following_count FROM accounts a JOIN {name} i USING (account_id)"
        ).rows()
    out: dict[str, dict[str, Any]] = {}
    for aid, platform, screen, display, created, followers, following in rows:
        out.setdefault(
            aid,
            {
                "platform": platform or "",
                "screen_name": screen,
                "display_name": display,
                "created_at": created.isoformat() if hasattr(created, "isoformat") else created,
                "follower_count": followers,
                "following_count": following,
            },
        )
    return out


def _network_subjects(engine: Engine, run_id: str, network_ids: Sequence[str]) -> tuple[list[Subject], dict[str, Any]]:
    members: list[Subject] = []
    nets: dict[str, Any] = {}
    rows: list[tuple[Any, ...]] = []
    for nid in network_ids:
        info = engine.sql(
            "SELECT size, score, flagged, signals, explanation FROM networks WHERE run_id = ? AND network_id = ?",
            [run_id, nid],
        ).one()
        if info is not None:
            nets[nid] = dict(zip(("size", "score", "flagged", "signals", "explanation"), info, strict=True))
        rows += [
            (nid, *r)
            for r in engine.sql(
                "SELECT account_id, account_score, degree, strength, joined_by, evidence_json, assessment "
                "FROM network_members "
                "WHERE run_id = ? AND network_id = ? ORDER BY account_id",
                [run_id, nid],
            ).rows()
        ]
    profiles = _profiles(engine, sorted({r[1] for r in rows}))
    seen: set[str] = set()
    for nid, aid, score, degree, strength, joined_by, ev, verdict in rows:
        if aid in seen:
            continue
        seen.add(aid)
        prof = profiles.get(aid, {})
        members.append(
            Subject(
                "account",
                aid,
                prof.get("platform", ""),
                prof.get("screen_name"),
                None if score is None else float(score),
                {
                    "run_id": run_id,
                    "network_id": nid,
                    "account_score": score,
                    "degree": degree,
                    "strength": strength,
                    "joined_by": joined_by,
                    "join_evidence": json.loads(ev) if ev else None,
                    # ``weakly_linked``: a member that does not carry its network's flag (networks/inheritance.py)
                    "member_assessment": verdict,
                    "profile": prof or None,
                },
            )
        )
    return members, {"networks": nets}


def _operation_networks(engine: Engine, run_id: str, operation_id: str) -> list[str]:
    rows = engine.sql(
        "SELECT network_id FROM operation_networks WHERE run_id = ? AND operation_id = ? ORDER BY network_id",
        [run_id, operation_id],
    ).rows()
    if not rows:
        raise ValidationError(
            f"candidate operation {operation_id!r} is not in detection run {run_id}; see `flockwatch networks operations`"
        )
    return [r[0] for r in rows]


#: account-list prefixes that name an asset instead of an account
ASSET_PREFIXES = ("page:", "group:")


def _asset_info(engine: Engine, keys: pa.Table) -> dict[tuple[str, str], dict[str, Any]]:
    """(platform, asset_id) → the asset (Page/Group) and all its admins, for the assets in ``keys``."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.scratch("caseassets") as s:
        name = s.register("keys", keys)
        rows = engine.sql(
            f"SELECT a.platform, a.asset_id, a.kind, a.name, a.created_at, a.follower_count, a.description, "
            f"d.account_id, d.role FROM assets a JOIN (SELECT DISTINCT asset_id FROM {name}) k USING (asset_id) "
            f"LEFT JOIN asset_admins d ON d.platform = a.platform AND d.asset_id = a.asset_id "
            f"WHERE a.kind IN ('page', 'group') ORDER BY a.platform, a.asset_id, d.account_id"
        ).rows()
    for platform, asset_id, kind, aname, created, followers, desc, admin, role in rows:
        info = out.setdefault(
            (platform or "", asset_id),
            {
                "kind": kind,
                "asset": {
                    "name": aname,
                    "created_at": created.isoformat() if hasattr(created, "isoformat") else created,
                    "follower_count": followers,
                    "description": desc,
                },
                "admins": [],
            },
        )
        if admin is not None:
            info["admins"].append({"account_id": admin, "role": role})
    return out


def _asset_subject(key: tuple[str, str], info: dict[str, Any], case_ids: set[str], extra: dict[str, Any]) -> Subject:
    admins = [{**a, "admin_in_case": a["account_id"] in case_ids} for a in info["admins"]]
    return Subject(
        info["kind"], key[1], key[0], info["asset"]["name"], None, {**extra, "asset": info["asset"], "admins": admins}
    )


def _administered_assets(engine: Engine, subs: Sequence[Subject]) -> list[Subject]:
    """The Pages and Groups that the case's accounts administer (evidence: the asset and its admins)."""
    ids = sorted({s.subject_id for s in subs if s.kind == "account"})
    if not ids:
        return []
    with engine.scratch("caseadmins") as s:
        name = s.register("ids", pa.table({"account_id": pa.array(ids, pa.string())}))
        found = engine.sql(f"SELECT DISTINCT d.asset_id FROM asset_admins d JOIN {name} i USING (account_id)").arrow()
    infos = _asset_info(engine, found)
    joined = {"joined_by": "administered by a case account"}
    return [_asset_subject(k, v, set(ids), joined) for k, v in sorted(infos.items())]


def _listed_assets(engine: Engine | None, refs: Sequence[str], listed_in: str) -> list[Subject]:
    """Subjects for ``page:ID`` / ``group:ID`` lines of an account list (the asset as the warehouse has it)."""
    wanted = [(r.split(":", 1)[0], r.split(":", 1)[1].strip()) for r in refs]
    infos = {}
    if engine is not None:
        infos = _asset_info(engine, pa.table({"asset_id": pa.array([i for _, i in wanted], pa.string())}))
    out = []
    for kind, asset_id in wanted:
        matches = [(k, v) for k, v in infos.items() if k[1] == asset_id and v["kind"] == kind]
        if not matches:  # not (yet) in the warehouse: still a subject, with what the list said
            out.append(Subject(kind, asset_id, "", None, None, {"listed_in": listed_in, "asset": None, "admins": []}))
        out += [_asset_subject(k, v, set(), {"listed_in": listed_in}) for k, v in matches]
    return out


def _account_subjects(engine: Engine | None, ids: Sequence[str], listed_in: str) -> list[Subject]:
    profiles = _profiles(engine, ids) if engine is not None else {}
    return [
        Subject(
            "account",
            aid,
            profiles.get(aid, {}).get("platform", ""),
            profiles.get(aid, {}).get("screen_name"),
            None,
            {"listed_in": listed_in, "profile": profiles.get(aid)},
        )
        for aid in ids
    ]


def _alert_subjects(store: Store, engine: Engine | None, alert_id: str) -> tuple[list[Subject], dict[str, Any]]:
    """A watch alert's accounts with the watcher's evidence (as stored when it was raised) and, where the warehouse
    knows the account, its profile now."""
    from flockwatch.expand.alerts import get_alert

    a = get_alert(store, alert_id)
    profiles = _profiles(engine, [x.account_id for x in a.accounts]) if engine is not None else {}
    subs = [
        Subject(
            "account",
            x.account_id,
            profiles.get(x.account_id, {}).get("platform", ""),
            profiles.get(x.account_id, {}).get("screen_name"),
            x.score,
            {
                "alert_id": a.alert_id,
                "score": x.score,
                "nats": x.nats,
                "actions_seen": x.actions_seen,
                "watch_evidence": x.evidence,
                "profile": profiles.get(x.account_id),
            },
        )
        for x in a.accounts
    ]
    detail = {"alert": {"raised_at": a.raised_at, "source": a.source, "seeds": a.seeds_ref, "min_score": a.min_score}}
    return subs, detail


# -- opening ------------------------------------------------------------------------------------------------------------
def open_case(
    store: Store,
    *,
    by: str,
    engine: Engine | None = None,
    network: str | None = None,
    run: str | None = None,
    operation: str | None = None,
    accounts: Iterable[str] | None = None,
    accounts_ref: str | None = None,
    tip: str | None = None,
    alert: str | None = None,
    subjects: Iterable[Subject] | None = None,
    title: str | None = None,
    reason: str = "",
    os_user: str | None = None,
    with_assets: bool = False,
) -> str:
    """Open a case from exactly one source (see the module docstring); returns its id."""
    sources = [x for x in (network, operation, tip, alert) if x is not None]
    if len(sources) > 1 or (not sources and accounts is None and subjects is None) or (alert and accounts):
        raise ValidationError(
            "open a case from exactly one of: a network, an operation, an account list, a tip, a watch alert"
        )
    detail: dict[str, Any] = {}
    run_id: str | None = None
    subs: list[Subject]
    if network is not None or operation is not None:
        if engine is None:
            raise ValidationError("a case from a network or an operation needs the workspace's warehouse")
        if network is not None:
            ref_run, nid = parse_network_ref(network)
            if ref_run and run and ref_run != run:
                raise ValidationError(f"network {network!r} names run {ref_run}, but --run says {run}")
            run_id, nid, _ = network_members(engine, f"{ref_run or run}/{nid}" if (ref_run or run) else nid)
            subs, detail = _network_subjects(engine, run_id, [nid])
            kind, ref = "network", f"{run_id}/{nid}"
            title = title or f"Candidate network {nid} of run {run_id}"
        else:
            assert operation is not None
            run_id = resolve_run(engine, run)
            nids = _operation_networks(engine, run_id, operation)
            subs, detail = _network_subjects(engine, run_id, nids)
            detail["operation_id"] = operation
            kind, ref = "operation", f"{run_id}/{operation}"
            title = title or f"Candidate operation {operation} of run {run_id} ({len(nids)} networks)"
    elif alert is not None:
        subs, detail = _alert_subjects(store, engine, alert)
        kind, ref = "alert", alert
        title = title or f"Watch alert {alert} ({len(subs)} flagged accounts)"
    else:
        subs = list(subjects or [])
        listed = list(dict.fromkeys(str(a).strip() for a in (accounts or []) if str(a).strip()))
        ids = [a for a in listed if not a.startswith(ASSET_PREFIXES)]
        listed_in = tip or accounts_ref or "account list"
        subs += _account_subjects(engine, ids, listed_in)
        subs += _listed_assets(engine, [a for a in listed if a.startswith(ASSET_PREFIXES)], listed_in)
        kind = "tip" if tip is not None else "accounts"
        ref = tip or accounts_ref or "account list"
        title = title or (f"Tip {tip}" if tip is not None else f"Accounts from {ref}")
    if with_assets:
        if engine is None:
            raise ValidationError("adding administered Pages and Groups needs the workspace's warehouse")
        assets = _administered_assets(engine, subs)
        detail["with_assets"] = len(assets)
        subs += assets
    subs = _checked(subs)
    if not subs:
        raise ValidationError(f"the {kind} {ref!r} has no subjects to open a case on")
    case_id = new_case_id()
    now = utc_now()
    with store.begin() as conn:
        conn.execute(
            insert(ops_cases).values(
                case_id=case_id,
                title=title,
                source_kind=kind,
                source_ref=ref,
                run_id=run_id,
                status="open",
                opened_by=by,
                opened_at=now,
                detail_json=json.dumps(detail, sort_keys=True, default=str),
            )
        )
        _insert_subjects(conn, case_id, subs, now)
        audit.append(
            conn,
            actor=by,
            os_user=os_user,
            action="case.open",
            object_ref=f"case:{case_id}",
            reason=reason,
            evidence=[{"source": kind, "ref": ref, "run_id": run_id}],
            after={"status": "open", "subjects": len(subs), "title": title},
        )
    return case_id


def _checked(subs: list[Subject]) -> list[Subject]:
    out: dict[tuple[str, str, str], Subject] = {}
    for s in subs:
        if s.kind not in SUBJECT_KINDS:
            raise ValidationError(f"subject kind {s.kind!r} is not one of {list(SUBJECT_KINDS)}")
        if not str(s.subject_id).strip():
            raise ValidationError("a subject needs an id")
        out.setdefault((s.kind, s.platform or "", str(s.subject_id)), s)
    return list(out.values())


def _insert_subjects(conn: Connection, case_id: str, subs: list[Subject], now: str) -> None:
    rows = [
        {
            "case_id": case_id,
            "kind": s.kind,
            "platform": s.platform or "",
            "subject_id": str(s.subject_id),
            "screen_name": s.screen_name,
            "score": s.score,
            "evidence_json": json.dumps(s.evidence, sort_keys=True, default=str),
            "status": "open",
            "excluded": 0,
            "updated_at": now,
        }
        for s in subs
    ]
    if conn.dialect.name == "postgresql" and len(rows) > _BATCH_ROWS:
        # COPY on the transaction's own connection: a 200,000-account case opens in seconds, not minutes
        cols = list(rows[0])
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY ops_case_subjects ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in cols])
        return
    for i in range(0, len(rows), _BATCH_ROWS):
        conn.execute(insert(ops_case_subjects), rows[i : i + _BATCH_ROWS])


# -- reading ------------------------------------------------------------------------------------------------------------
def _counts(conn: Connection, case_id: str) -> dict[str, int]:
    rows = conn.execute(
        select(ops_case_subjects.c.status, func.count())
        .where(ops_case_subjects.c.case_id == case_id)
        .group_by(ops_case_subjects.c.status)
    )
    got = {str(s): int(n) for s, n in rows}
    return {s: got[s] for s in SUBJECT_STATUSES if s in got}


def _actions(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(ops_actions).where(ops_actions.c.case_id == case_id).order_by(ops_actions.c.action_id))
    return [dict(r._mapping) for r in rows]


def get_case(store: Store, case_id: str, with_subjects: bool = True) -> CaseSnapshot:
    """The case as stored now (its subjects' evidence is what it was at open)."""
    with store.connect() as conn:
        row = conn.execute(select(ops_cases).where(ops_cases.c.case_id == case_id)).first()
        if row is None:
            raise ValidationError(f"no case {case_id!r}; see `flockwatch case list`")
        subjects = None
        if with_subjects:
            subjects = [
                SubjectState(
                    r.kind,
                    r.platform,
                    r.subject_id,
                    r.screen_name,
                    r.score,
                    json.loads(r.evidence_json),
                    r.status,
                    r.action_id,
                )
                for r in conn.execute(
                    select(ops_case_subjects)
                    .where(ops_case_subjects.c.case_id == case_id)
                    .order_by(ops_case_subjects.c.kind, ops_case_subjects.c.platform, ops_case_subjects.c.subject_id)
                )
            ]
        return CaseSnapshot(
            row.case_id,
            row.title,
            row.status,
            row.source_kind,
            row.source_ref,
            row.run_id,
            row.opened_by,
            row.opened_at,
            bool(row.legal_hold),
            json.loads(row.detail_json),
            _counts(conn, case_id),
            _actions(conn, case_id),
            subjects,
            {"by": row.legal_hold_by, "at": row.legal_hold_at, "reason": row.legal_hold_reason}
            if row.legal_hold
            else None,
        )


def list_cases(store: Store, status: str | None = None) -> list[CaseSnapshot]:
    with store.connect() as conn:
        q = select(ops_cases.c.case_id).order_by(ops_cases.c.opened_at, ops_cases.c.case_id)
        if status is not None:
            q = q.where(ops_cases.c.status == status)
        ids = [r[0] for r in conn.execute(q)]
    return [get_case(store, i, with_subjects=False) for i in ids]


def set_case_status(conn: Connection, case_id: str, status: str) -> None:
    if status not in CASE_STATUSES:
        raise ValueError(status)
    conn.execute(update(ops_cases).where(ops_cases.c.case_id == case_id).values(status=status))
