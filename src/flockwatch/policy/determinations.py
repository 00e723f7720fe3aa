"""Determinations: a policy version applied to an outlet's facts, stored with its reasons and never edited.

Consumes a :class:`Registry` and a policy (``rules.get_policy``); produces rows in ``policy_determinations`` and,
when an outlet newly loses ad eligibility under a policy with an offboarding window, a notice in
``policy_offboarding``. A determination = policy id + version + facts used (ids) + outcome + reason codes (each
citing fact ids) + effective date + who decided (``engine`` or a named reviewer).

Re-deciding after a fact changed adds a new determination that points at the one it supersedes; re-deciding over
unchanged facts adds nothing. :func:`history` shows every determination of an outlet, old ones included.

:func:`require_ready` refuses to answer from a registry that cannot mean anything yet (no outlets: everyone would
look "not linked", hence eligible; no determination under the policy: labels would be silently empty), naming the
command that fixes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flockwatch.errors import RegistryNotReadyError, ValidationError
from flockwatch.policy.facts import parse_date
from flockwatch.policy.registry import Outlet, Registry
from flockwatch.policy.rules import Decision, Policy, Reason, evaluate, get_policy
from flockwatch.store import utc_now
from flockwatch.store.conn import Rec


@dataclass(frozen=True)
class Determination:
    determination_id: int
    outlet_id: int
    outlet: str
    policy_id: str
    policy_version: int
    outcome: str
    effects: dict[str, Any]
    reasons: list[dict[str, Any]]
    facts_used: list[int]
    facts_ignored: list[int]
    effective_on: str
    created_at: str
    decided_by: str
    supersedes: int | None
    appeal_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reason_codes(self) -> list[str]:
        return [r["code"] for r in self.reasons]


@dataclass
class DecideSummary:
    policy: str
    effective_on: str
    created: list[Determination] = field(default_factory=list)
    unchanged: int = 0

    def by_outcome(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.created:
            out[d.outcome] = out.get(d.outcome, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "effective_on": self.effective_on,
            "created": len(self.created),
            "unchanged": self.unchanged,
            "by_outcome": self.by_outcome(),
            "determinations": [d.to_dict() for d in self.created],
        }


_SELECT = (
    "SELECT d.*, o.name AS outlet_name FROM policy_determinations d JOIN media_outlets o ON o.outlet_id = d.outlet_id"
)


def _row(r: Rec) -> Determination:
    return Determination(
        r["determination_id"],
        r["outlet_id"],
        r["outlet_name"],
        r["policy_id"],
        r["policy_version"],
        r["outcome"],
        json.loads(r["effects_json"]),
        json.loads(r["reasons_json"]),
        json.loads(r["facts_used_json"]),
        json.loads(r["facts_ignored_json"]),
        r["effective_on"],
        r["created_at"],
        r["decided_by"],
        r["supersedes"],
        r["appeal_id"],
    )


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def _effective_on(policy: Policy, as_of: str | date | None) -> str:
    on = parse_date(as_of, "as-of date") if as_of is not None else today()
    if on < policy.effective_from:
        raise ValidationError(f"{policy.key} takes effect on {policy.effective_from}; {on} is before it")
    return on


def require_ready(reg: Registry, policy: Policy) -> None:
    """Raise :class:`RegistryNotReadyError` when the registry has no outlets or ``policy`` has no determinations."""
    if reg.conn.execute("SELECT 1 FROM media_outlets LIMIT 1").fetchone() is None:
        raise RegistryNotReadyError(
            "the state-media registry has no outlets, so no advertiser or account can be recognised "
            "(an empty registry would call every advertiser eligible)",
            "flockwatch media import",
        )
    if (
        reg.conn.execute("SELECT 1 FROM policy_determinations WHERE policy_id = ? LIMIT 1", (policy.id,)).fetchone()
        is None
    ):
        n = reg.conn.execute("SELECT count(*) FROM media_outlets").fetchone()[0]
        raise RegistryNotReadyError(
            f"no determinations under {policy.id} yet ({n:,} outlets registered, none decided)",
            f"flockwatch media decide --policy {policy.id}",
        )


def latest(reg: Registry, outlet_id: int, policy: Policy, on_date: str | None = None) -> Determination | None:
    """The determination in force for an outlet under a policy (any version) on a date (default: the newest)."""
    sql = _SELECT + " WHERE d.outlet_id = ? AND d.policy_id = ?"
    args: list[Any] = [outlet_id, policy.id]
    if on_date:
        sql += " AND d.effective_on <= ?"
        args.append(on_date)
    r = reg.conn.execute(sql + " ORDER BY d.effective_on DESC, d.determination_id DESC LIMIT 1", args).fetchone()
    return _row(r) if r else None


def _store(
    reg: Registry,
    outlet: Outlet,
    policy: Policy,
    decision: Decision,
    effective_on: str,
    decided_by: str,
    previous: Determination | None,
    appeal_id: int | None = None,
) -> Determination:
    with reg.transaction():
        cur = reg.conn.execute(
            "INSERT INTO policy_determinations (outlet_id, policy_id, policy_version, outcome, effects_json, "
            "reasons_json, facts_used_json, facts_ignored_json, effective_on, created_at, decided_by, supersedes, "
            "appeal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING determination_id",
            (
                outlet.outlet_id,
                policy.id,
                policy.version,
                decision.outcome,
                json.dumps(decision.effects),
                json.dumps([r.to_dict() for r in decision.reasons]),
                json.dumps(list(decision.facts_used)),
                json.dumps(list(decision.facts_ignored)),
                effective_on,
                utc_now(),
                decided_by,
                previous.determination_id if previous else None,
                appeal_id,
            ),
        )
        det_id = int(cur[0][0])
        newly_refused = decision.effects.get("ads") == "refuse" and (
            previous is None or previous.effects.get("ads") != "refuse"
        )
        if newly_refused and policy.offboarding_window_days > 0:
            ends = date.fromisoformat(effective_on) + timedelta(days=policy.offboarding_window_days)
            reg.conn.execute(
                "INSERT INTO policy_offboarding (outlet_id, policy_id, determination_id, notice_on, window_days, "
                "ends_on, notice_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    outlet.outlet_id,
                    policy.id,
                    det_id,
                    effective_on,
                    policy.offboarding_window_days,
                    ends.isoformat(),
                    f"{outlet.name}: advertising under {policy.key} ends; existing campaigns may run until "
                    f"{ends.isoformat()} ({policy.offboarding_window_days}-day offboarding window). "
                    f"Organic use is not affected.",
                ),
            )
    reg._changed()
    return determination(reg, det_id)


def determination(reg: Registry, determination_id: int) -> Determination:
    r = reg.conn.execute(_SELECT + " WHERE d.determination_id = ?", (int(determination_id),)).fetchone()
    if r is None:
        raise ValidationError(f"no determination with id {determination_id}")
    return _row(r)


def _same(prev: Determination, decision: Decision, policy: Policy) -> bool:
    return (
        prev.policy_version == policy.version
        and prev.outcome == decision.outcome
        and prev.facts_used == list(decision.facts_used)
        and prev.reasons == [r.to_dict() for r in decision.reasons]
    )


def decide(
    reg: Registry,
    policy: str | Policy,
    outlets: list[int | str] | None = None,
    as_of: str | date | None = None,
    decided_by: str = "engine",
) -> DecideSummary:
    """Apply a policy to the given outlets (all by default); store a determination wherever the result changed."""
    pol = get_policy(policy)
    on = _effective_on(pol, as_of)
    targets = [reg.outlet(o) for o in outlets] if outlets else reg.outlets()
    summary = DecideSummary(pol.key, on)
    with reg.transaction():
        for o in targets:
            decision = evaluate(pol, o, reg.facts(o))
            prev = latest(reg, o.outlet_id, pol)
            if prev is not None and _same(prev, decision, pol):
                summary.unchanged += 1
                continue
            summary.created.append(_store(reg, o, pol, decision, on, decided_by, prev))
    return summary


def record_human_determination(
    reg: Registry,
    outlet: int | str,
    policy: str | Policy,
    outcome: str,
    *,
    reviewer: str,
    note: str,
    as_of: str | date | None = None,
    appeal_id: int | None = None,
    code: str = "HUMAN_REVIEW",
) -> Determination:
    """A reviewer's outcome (e.g. resolving a ``review``): stored as a new determination citing the current facts."""
    pol = get_policy(policy)
    if outcome not in pol.spec["outcomes"]:
        raise ValidationError(f"outcome {outcome!r} is not one of {sorted(pol.spec['outcomes'])} for {pol.key}")
    if not reviewer or not note:
        raise ValidationError("a human determination needs a reviewer and a note")
    o = reg.outlet(outlet)
    facts = reg.facts(o)
    engine_view = evaluate(pol, o, facts)
    reasons = (
        Reason(code, f"{reviewer}: {note}", engine_view.facts_used),
        *(Reason(f"ENGINE_{r.code}", r.text, r.fact_ids) for r in engine_view.reasons),
    )
    effects = dict(pol.spec["outcomes"][outcome])
    if effects.get("label"):
        effects["label"] = effects["label"].format(country=o.country)
    decision = Decision(
        pol.id, pol.version, outcome, effects, reasons, engine_view.facts_used, engine_view.facts_ignored
    )
    return _store(
        reg,
        o,
        pol,
        decision,
        _effective_on(pol, as_of),
        f"reviewer:{reviewer}",
        latest(reg, o.outlet_id, pol),
        appeal_id,
    )


def determinations(
    reg: Registry,
    policy: str | Policy | None = None,
    outlet: int | str | None = None,
    latest_only: bool = False,
    on_date: str | None = None,
) -> list[Determination]:
    sql, args = _SELECT + " WHERE 1=1", []
    if policy is not None:
        sql += " AND d.policy_id = ?"
        args.append(get_policy(policy).id)
    if outlet is not None:
        sql += " AND d.outlet_id = ?"
        args.append(reg.outlet(outlet).outlet_id)
    if on_date:
        sql += " AND d.effective_on <= ?"
        args.append(parse_date(on_date, "date", allow_future=True))
    rows = [_row(r) for r in reg.conn.execute(sql + " ORDER BY d.determination_id", args)]
    if latest_only:
        best: dict[tuple[int, str], Determination] = {}
        for d in rows:
            k = (d.outlet_id, d.policy_id)
            if k not in best or (d.effective_on, d.determination_id) > (best[k].effective_on, best[k].determination_id):
                best[k] = d
        rows = sorted(best.values(), key=lambda d: d.determination_id)
    return rows


def history(reg: Registry, outlet: int | str, policy: str | Policy | None = None) -> list[Determination]:
    """Every determination of an outlet (all policies unless one is given), oldest first."""
    return determinations(reg, policy=policy, outlet=outlet)


def offboarding(reg: Registry, outlet_id: int, policy_id: str) -> dict[str, Any] | None:
    r = reg.conn.execute(
        "SELECT * FROM policy_offboarding WHERE outlet_id = ? AND policy_id = ? ORDER BY offboarding_id DESC LIMIT 1",
        (outlet_id, policy_id),
    ).fetchone()
    return dict(r) if r else None


def offboarding_notices(reg: Registry, outlet_id: int) -> list[dict[str, Any]]:
    """Every offboarding notice recorded for an outlet (all policies), oldest first."""
    return [
        dict(r)
        for r in reg.conn.execute(
            "SELECT * FROM policy_offboarding WHERE outlet_id = ? ORDER BY offboarding_id", (outlet_id,)
        )
    ]
