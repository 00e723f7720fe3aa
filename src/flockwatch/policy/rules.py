"""Policies as versioned data, and the one rules engine that evaluates them.

Consumes policy files ``data/policies/<id>.v<version>.json`` and an outlet's current facts; produces a
:class:`Decision`: outcome, effects (ads / label / amplification), reason codes each citing the fact ids they rest
on, the facts considered and the facts set aside for low confidence. There is no code per policy: a policy file
names its criteria, its conflict checks, its ordered rules and its outcomes.

A policy file::

    {"id": "...", "version": 1, "platforms": ["twitter"], "effective_from": "YYYY-MM-DD",
     "min_confidence": 0.5, "offboarding_window_days": 30, "organic_use": "...",
     "labels": {"roles": ["outlet", ...]} | null,
     "criteria": {"NAME": EXPR, ...},
     "conflicts": [{"reason": "CODE", "text": "...", "between": [EXPR, EXPR]}],
     "rules": [{"reason": "CODE", "if": EXPR, "outcome": "OUTCOME", "text": "..."}],      first match wins
     "annotations": [{"reason": "CODE", "if": EXPR, "text": "..."}],                     add reasons only
     "outcomes": {"OUTCOME": {"ads": "refuse|allow|review|not_applicable", ["ads_regions": [..]], ["label": "{country} ..."],
                              ["amplify": bool]}}}

EXPR is one of ``{"fact": KIND, "where": {FIELD: VALUE | {"in": [..]} | {"gte": x} | {"lte": x} | {"ne": x}}}``
(true when some fact of that kind matches; it cites those facts), ``{"outlet": {"kind": "government"}}``,
``{"outlet": {"country_code": {"in": [..]}}}`` (outlet fields: kind, country_code, name, origin), ``{"all": [..]}``, ``{"any": [..]}``, ``{"not": EXPR}``, ``{"criterion": NAME}``, ``{"always": true}``.

Conflicting sources (both sides of a ``conflicts`` entry hold) always give the outcome ``review``: a disputed
classification goes to a person, never to an automatic refusal. To add a policy version, add a file; never edit a
version that has determinations.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from flockwatch.errors import UnknownNameError, ValidationError
from flockwatch.policy.countries import country_name
from flockwatch.policy.facts import parse_date
from flockwatch.policy.registry import Fact, Outlet

_OPS = ("in", "gte", "lte", "ne", "eq")
_OUTLET_FIELDS = ("kind", "country_code", "name", "origin")
#: what an outcome may say about advertising; ``not_applicable``: the policy does not cover the entity at all
ADS_EFFECTS = ("refuse", "allow", "review", "not_applicable")


@dataclass(frozen=True)
class Policy:
    id: str
    version: int
    title: str
    platforms: tuple[str, ...]
    effective_from: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.id}@v{self.version}"

    @property
    def offboarding_window_days(self) -> int:
        return int(self.spec.get("offboarding_window_days", 0))

    @property
    def labels(self) -> dict[str, Any] | None:
        return self.spec.get("labels")

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "platforms": list(self.platforms),
            "effective_from": self.effective_from,
            "sources": self.spec.get("sources", []),
        }


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    fact_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "fact_ids": list(self.fact_ids)}


@dataclass(frozen=True)
class Decision:
    policy_id: str
    policy_version: int
    outcome: str
    effects: dict[str, Any]
    reasons: tuple[Reason, ...]
    facts_used: tuple[int, ...]
    facts_ignored: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reasons"] = [r.to_dict() for r in self.reasons]
        return d


# -- loading ----------------------------------------------------------------------------------------------------
def _check_expr(expr: Any, criteria: dict[str, Any], where: str) -> None:
    if not isinstance(expr, dict) or (len(expr) != 1 and not ("fact" in expr and set(expr) <= {"fact", "where"})):
        raise ValidationError(f"{where}: an expression is one key of fact/outlet/all/any/not/criterion/always")
    if "fact" in expr:
        for fname, cond in (expr.get("where") or {}).items():
            if isinstance(cond, dict) and (len(cond) != 1 or next(iter(cond)) not in _OPS):
                raise ValidationError(f"{where}: condition on {fname!r} must be one of {_OPS}")
        return
    ((op, arg),) = expr.items()
    if op in ("all", "any"):
        if not isinstance(arg, list) or not arg:
            raise ValidationError(f"{where}: {op} needs a non-empty list")
        for i, sub in enumerate(arg):
            _check_expr(sub, criteria, f"{where}.{op}[{i}]")
    elif op == "not":
        _check_expr(arg, criteria, f"{where}.not")
    elif op == "criterion":
        if arg not in criteria:
            raise ValidationError(f"{where}: unknown criterion {arg!r}")
    elif op == "outlet":
        if not isinstance(arg, dict) or not arg:
            raise ValidationError(f"{where}: outlet needs an object of outlet fields")
        for fname, cond in arg.items():
            if fname not in _OUTLET_FIELDS:
                raise ValidationError(f"{where}: unknown outlet field {fname!r}; known: {list(_OUTLET_FIELDS)}")
            if isinstance(cond, dict) and (len(cond) != 1 or next(iter(cond)) not in _OPS):
                raise ValidationError(f"{where}: condition on outlet {fname!r} must be one of {_OPS}")
    elif op != "always":
        raise ValidationError(f"{where}: unknown operator {op!r}")


def compile_policy(spec: dict[str, Any], where: str = "policy") -> Policy:
    """Check a policy document and return it as a :class:`Policy` (raises ValidationError on any fault)."""
    for key in ("id", "version", "effective_from", "platforms", "rules", "outcomes"):
        if key not in spec:
            raise ValidationError(f"{where}: missing {key!r}")
    criteria = spec.get("criteria", {})
    for name, expr in criteria.items():
        _check_expr(expr, criteria, f"{where}.criteria.{name}")
    outcomes = spec["outcomes"]
    if "review" not in outcomes:
        raise ValidationError(f"{where}: every policy needs a 'review' outcome (for conflicting sources)")
    for section in ("rules", "annotations", "conflicts"):
        for i, item in enumerate(spec.get(section, [])):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]+", item.get("reason", "")):
                raise ValidationError(f"{where}.{section}[{i}]: reason codes are UPPER_SNAKE_CASE")
            exprs = item["between"] if section == "conflicts" else [item.get("if")]
            if section == "conflicts" and len(exprs) != 2:
                raise ValidationError(f"{where}.conflicts[{i}]: 'between' takes two expressions")
            for e in exprs:
                _check_expr(e, criteria, f"{where}.{section}[{i}]")
            if section == "rules" and item.get("outcome") not in outcomes:
                raise ValidationError(f"{where}.rules[{i}]: outcome {item.get('outcome')!r} is not in outcomes")
    for name, eff in outcomes.items():
        if eff.get("ads") not in ADS_EFFECTS:
            raise ValidationError(f"{where}.outcomes.{name}: ads must be one of {', '.join(ADS_EFFECTS)}")
    parse_date(spec["effective_from"], f"{where} effective_from", allow_future=True)
    return Policy(
        spec["id"],
        int(spec["version"]),
        spec.get("title", spec["id"]),
        tuple(spec["platforms"]),
        spec["effective_from"],
        spec,
    )


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[int, Policy]]:
    out: dict[str, dict[int, Policy]] = {}
    folder = resources.files("flockwatch.policy").joinpath("data/policies")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".json"):
            continue
        p = compile_policy(json.loads(entry.read_text(encoding="utf-8")), entry.name)
        out.setdefault(p.id, {})[p.version] = p
    return out


def policies() -> list[Policy]:
    """Every shipped policy version."""
    return [p for versions in _shipped().values() for _, p in sorted(versions.items())]


def latest_policies() -> list[Policy]:
    """The newest version of every shipped policy."""
    return [versions[max(versions)] for _, versions in sorted(_shipped().items())]


def get_policy(ref: str | Policy, version: int | None = None) -> Policy:
    """A policy by id (latest version unless ``version`` or ``id@vN`` says otherwise)."""
    if isinstance(ref, Policy):
        return ref
    m = re.fullmatch(r"(.+?)(?:@v(\d+))?", ref.strip())
    pid, v = m.group(1), int(m.group(2)) if m.group(2) else version
    versions = _shipped().get(pid)
    if not versions:
        raise UnknownNameError("policy", pid, list(_shipped()))
    if v is None:
        return versions[max(versions)]
    if v not in versions:
        raise ValidationError(f"policy {pid} has no version {v}; known versions: {sorted(versions)}")
    return versions[v]


# -- evaluation -------------------------------------------------------------------------------------------------
def _field_ok(value: Any, cond: Any) -> bool:
    if isinstance(cond, dict):
        ((op, arg),) = cond.items()
        if op == "in":
            return value in arg
        if op == "ne":
            return value != arg
        if op == "eq":
            return value == arg
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return value >= arg if op == "gte" else value <= arg
    return value == cond


class _Context:
    def __init__(self, policy: Policy, outlet: Outlet, facts: list[Fact]) -> None:
        self.criteria = policy.spec.get("criteria", {})
        self.outlet = outlet
        self.by_kind: dict[str, list[Fact]] = {}
        for f in facts:
            self.by_kind.setdefault(f.kind, []).append(f)

    def eval(self, expr: dict[str, Any]) -> tuple[bool, frozenset[int]]:
        if "fact" in expr:
            where = expr.get("where") or {}
            hits = [
                f.fact_id
                for f in self.by_kind.get(expr["fact"], [])
                if all(_field_ok(f.value.get(k), c) for k, c in where.items())
            ]
            return bool(hits), frozenset(hits)
        ((op, arg),) = expr.items()
        if op == "always":
            return bool(arg), frozenset()
        if op == "outlet":
            return all(_field_ok(getattr(self.outlet, k, None), c) for k, c in arg.items()), frozenset()
        if op == "criterion":
            return self.eval(self.criteria[arg])
        if op == "not":
            ok, _ = self.eval(arg)
            return (not ok), frozenset()
        results = [self.eval(e) for e in arg]
        ok = all(r[0] for r in results) if op == "all" else any(r[0] for r in results)
        cited = frozenset().union(*(r[1] for r in results if r[0])) if ok else frozenset()
        return ok, cited


def evaluate(policy: Policy, outlet: Outlet, facts: list[Fact]) -> Decision:
    """Apply one policy version to one outlet's current facts."""
    min_conf = float(policy.spec.get("min_confidence", 0.0))
    used = [f for f in facts if f.confidence >= min_conf]
    ignored = tuple(sorted(f.fact_id for f in facts if f.confidence < min_conf))
    ctx = _Context(policy, outlet, used)
    spec = policy.spec
    reasons: list[Reason] = []
    for c in spec.get("conflicts", []):
        (a_ok, a_ids), (b_ok, b_ids) = (ctx.eval(e) for e in c["between"])
        if a_ok and b_ok:
            reasons.append(Reason(c["reason"], c.get("text", ""), tuple(sorted(a_ids | b_ids))))
    if reasons:
        outcome = "review"
    else:
        outcome = None
        for rule in spec["rules"]:
            ok, ids = ctx.eval(rule["if"])
            if not ok:
                continue
            if outcome is None:
                outcome = rule["outcome"]
            if rule["outcome"] == outcome:
                # later rules with the same outcome are recorded too: an analyst sees every ground, not just one
                reasons.append(Reason(rule["reason"], rule.get("text", ""), tuple(sorted(ids))))
        if outcome is None:
            outcome = "review"
            reasons.append(Reason("NO_RULE_MATCHED", "no rule of this policy applies to the recorded facts"))
    for a in spec.get("annotations", []):
        ok, ids = ctx.eval(a["if"])
        if ok:
            reasons.append(Reason(a["reason"], a.get("text", ""), tuple(sorted(ids))))
    if ignored:
        reasons.append(
            Reason("FACTS_BELOW_MIN_CONFIDENCE", f"facts with confidence below {min_conf} were not used", ignored)
        )
    effects = dict(spec["outcomes"][outcome])
    if effects.get("label"):
        effects["label"] = effects["label"].format(country=country_name(outlet.country_code))
    return Decision(
        policy.id, policy.version, outcome, effects, tuple(reasons), tuple(sorted(f.fact_id for f in used)), ignored
    )
