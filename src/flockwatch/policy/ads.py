"""Ad eligibility: is this advertiser linked to a registered outlet, and may it buy ads under policy P on date D?

Consumes a :class:`Registry` (outlets, assets, determinations, offboarding notices) and advertiser strings (a
handle with or without ``@``, ``platform:handle``, a domain or URL with or without scheme, or an outlet name);
produces one :class:`AdCheck` per input: ``eligible`` (True / False / None = needs review), the outcome, the linked
outlet, reason codes and the sources of the facts they cite. Organic use is never affected by this answer.

Speed: :class:`AdIndex` is built once per process from the registry (dicts from handle, host and name to outlets)
and answers are cached per (outlet, date, region), so a lookup is a normalisation and a few dict probes
(``bench/ads.py`` measures it). The index rebuilds itself when the registry changes in this process.

A handle an affiliation list says passed to another owner links its earlier owner only while that owner held it
(``affiliation_store.link_in_force``): a later owner inherits nothing. The answer rests on the determination in
force on the date (the newest with ``effective_on`` on or before it). When
an outlet has no determination in force yet, the policy is evaluated on the current facts and the answer says
``provisional``. A registry with no outlets, or a policy with no determinations at all, gives no answers:
:func:`ad_index` raises :class:`~flockwatch.errors.RegistryNotReadyError` naming the fixing command, because "not
linked" from an empty registry would read as "eligible". Every answer carries ``registry``: the source and snapshot
date of the registry it came from (:meth:`Registry.provenance`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flockwatch.core.urls import host_suffixes
from flockwatch.policy.affiliation_store import handle_spans, link_in_force
from flockwatch.policy.determinations import latest, offboarding, require_ready, today
from flockwatch.policy.facts import parse_date
from flockwatch.policy.normalise import name_key, parse_advertiser
from flockwatch.policy.registry import Fact, Outlet, Registry
from flockwatch.policy.rules import Policy, evaluate, get_policy

# not_applicable: the policy does not cover the entity (a government entity under a news-media policy): neither
# refused as news media nor eligible under this policy, so a person or another policy decides
_ELIGIBLE = {"refuse": False, "allow": True, "review": None, "not_applicable": None}
_NOT_LINKED = (
    {
        "code": "NOT_LINKED_TO_REGISTERED_OUTLET",
        "fact_ids": [],
        "text": "no registered outlet has this handle, domain or name",
    },
)
# most restrictive first when one input links to several outlets
_RANK = {False: 0, None: 1, True: 2}


@dataclass
class AdCheck:
    """One answer: ``eligible`` is True, False, or None (a person must review); ``organic_use`` says what the
    answer does not touch."""

    input: str
    policy: str
    date: str
    eligible: bool | None
    outcome: str
    outlet: dict[str, Any] | None
    matched: dict[str, Any] | None
    reasons: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    determination_id: int | None = None
    provisional: bool = False
    offboarding: dict[str, Any] | None = None
    organic_use: str = ""
    also_linked: list[dict[str, Any]] = field(default_factory=list)
    registry: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        # shallow on purpose (dataclasses.asdict deep-copies and was 8x slower than the lookup itself); the
        # nested lists are shared with the index's answer cache, so treat them as read-only
        return {
            "input": self.input,
            "policy": self.policy,
            "date": self.date,
            "eligible": self.eligible,
            "outcome": self.outcome,
            "outlet": self.outlet,
            "matched": self.matched,
            "reasons": self.reasons,
            "sources": self.sources,
            "determination_id": self.determination_id,
            "provisional": self.provisional,
            "offboarding": self.offboarding,
            "organic_use": self.organic_use,
            "also_linked": self.also_linked,
            "registry": self.registry,
        }


class AdIndex:
    """Lookup tables over the registry for one policy; see the module docstring."""

    def __init__(self, reg: Registry, policy: Policy) -> None:
        self.reg = reg
        self.policy = policy
        self.generation = reg.generation
        self.registry = reg.provenance()
        self.outlets: dict[int, Outlet] = {o.outlet_id: o for o in reg.outlets()}
        self.handles: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.handles_any: dict[str, list[tuple[int, str]]] = {}
        self.handle_platforms: dict[str, set[str]] = {}
        self.hosts: dict[str, list[int]] = {}
        self.names: dict[str, list[int]] = {}
        for a in reg.assets():
            if a.kind == "domain":
                if a.outlet_id not in self.hosts.setdefault(a.value, []):
                    self.hosts[a.value].append(a.outlet_id)
            elif a.value:  # accounts, and people with an account
                entry = (a.outlet_id, a.role)
                for lst in (
                    self.handles.setdefault((a.platform, a.value), []),
                    self.handles_any.setdefault(a.value, []),
                ):
                    if entry not in lst:
                        lst.append(entry)
                self.handle_platforms.setdefault(a.value, set()).add(a.platform)
        for o in self.outlets.values():
            for n in {o.name, *o.aliases}:
                lst = self.names.setdefault(name_key(n), [])
                if o.outlet_id not in lst:
                    lst.append(o.outlet_id)
        self._answers: dict[tuple[int, str, str | None], dict[str, Any]] = {}
        self._facts: dict[int, Fact] = {}
        self._json_tails: dict[tuple, str] = {}
        self.spans = handle_spans(reg)

    # -- resolving ----------------------------------------------------------------------------------------------
    def resolve(self, text: str) -> tuple[list[tuple[int, str]], dict[str, Any] | None]:
        """Outlets (id, role) an advertiser string is linked to, and how it matched."""
        kind, platform, key = parse_advertiser(text)
        if kind == "handle":
            platforms = [platform] if platform else list(self.policy.platforms)
            for p in platforms:
                hit = self.handles.get((p, key))
                if hit:
                    return hit, {"by": "handle", "platform": p, "value": key}
            if platform is None and key in self.handles_any:
                # not on the policy's platforms: still the outlet's account elsewhere
                plats = ",".join(sorted(self.handle_platforms[key]))
                return self.handles_any[key], {"by": "handle", "platform": plats, "value": key}
            return [], None
        if kind == "domain":
            for host in host_suffixes(key):
                hit = self.hosts.get(host)
                if hit:
                    return [(o, "outlet") for o in hit], {"by": "domain", "value": host}
            return [], None
        # a bare word may be a handle (NPR, RT) before it is a name (BBC, Xinhua)
        if " " not in key and "'" not in key:
            for p in self.policy.platforms:
                hit = self.handles.get((p, key.lower()))
                if hit:
                    return hit, {"by": "handle", "platform": p, "value": key.lower()}
        hit_names = self.names.get(key)
        if hit_names:
            return [(o, "outlet") for o in hit_names], {"by": "name", "value": key}
        return [], None

    # -- answering ----------------------------------------------------------------------------------------------
    def _citation(self, fact_id: int, outlet_id: int) -> dict[str, Any]:
        f = self._facts.get(fact_id)
        if f is None:
            f = self._facts[fact_id] = self.reg.fact(fact_id)
        c = f.citation()
        if f.outlet_id != outlet_id and f.outlet_id in self.outlets:
            c["inherited_from"] = self.outlets[f.outlet_id].name  # a parent's control fact: say whose it is
        return c

    def _answer(self, outlet_id: int, on: str, region: str | None) -> dict[str, Any]:
        key = (outlet_id, on, region)
        cached = self._answers.get(key)
        if cached is not None:
            return cached
        pol = self.policy
        o = self.outlets[outlet_id]
        out: dict[str, Any] = {
            "outlet": {"id": o.outlet_id, "name": o.name, "country": o.country_code},
            "determination_id": None,
            "provisional": False,
            "offboarding": None,
        }
        if on < pol.effective_from:
            out.update(
                eligible=True,
                outcome="policy_not_in_force",
                sources=[],
                reasons=[
                    {
                        "code": "POLICY_NOT_IN_FORCE",
                        "text": f"{pol.key} takes effect on {pol.effective_from}",
                        "fact_ids": [],
                    }
                ],
            )
            self._answers[key] = out
            return out
        det = latest(self.reg, outlet_id, pol, on)
        if det is not None:
            outcome, effects, reasons = det.outcome, det.effects, det.reasons
            out["determination_id"] = det.determination_id
        else:
            dec = evaluate(pol, o, self.reg.facts(o))
            outcome, effects, reasons = dec.outcome, dec.effects, [r.to_dict() for r in dec.reasons]
            out["provisional"] = True
            reasons = reasons + [
                {
                    "code": "PROVISIONAL_NO_DETERMINATION",
                    "fact_ids": [],
                    "text": "no determination in force on this date; evaluated on current facts",
                }
            ]
        eligible = _ELIGIBLE[effects.get("ads", "allow")]
        regions = effects.get("ads_regions")
        if regions and eligible is False and region and region.upper() not in regions:
            eligible = True
            reasons = reasons + [
                {
                    "code": "ADS_RESTRICTION_OTHER_REGIONS",
                    "fact_ids": [],
                    "text": f"ads are restricted only in {', '.join(regions)}",
                }
            ]
        if regions:
            out["ads_regions"] = regions
        if eligible is False and det is not None:
            ob = offboarding(self.reg, outlet_id, pol.id)
            if ob:
                out["offboarding"] = {
                    "notice_on": ob["notice_on"],
                    "ends_on": ob["ends_on"],
                    "window_days": ob["window_days"],
                    "in_window": ob["notice_on"] <= on < ob["ends_on"],
                    "notice": ob["notice_text"],
                }
        ids = sorted({i for r in reasons for i in r.get("fact_ids", [])})
        out.update(
            eligible=eligible, outcome=outcome, reasons=reasons, sources=[self._citation(i, outlet_id) for i in ids]
        )
        self._answers[key] = out
        return out

    def _best(self, text: str, on: str, region: str | None):
        """(answer, how it matched, other linked outlets, cache key of the answer) for one input."""
        linked, matched = self.resolve(text)
        if linked and matched and matched.get("by") == "handle":
            # a handle that passed to another owner links its earlier owner only while that owner held it
            spans = [self.spans.get((p, matched["value"])) for p in str(matched["platform"]).split(",")]
            linked = [(o, r) for o, r in linked if all(link_in_force(sp, o, on) for sp in spans)]
        if not linked:
            return None, None, [], None
        if len(linked) == 1:
            outlet_id, role = linked[0]
            best, others = self._answer(outlet_id, on, region), []
        else:
            answers = sorted(
                ((_RANK[a["eligible"]], oid, r, a) for oid, r in linked for a in [self._answer(oid, on, region)]),
                key=lambda t: (t[0], t[1]),
            )
            _, outlet_id, role, best = answers[0]
            seen, others = {outlet_id}, []
            for _, oid, _, a in answers[1:]:
                if oid not in seen:  # an outlet can be linked twice (its account and its editor's)
                    seen.add(oid)
                    others.append({"id": oid, "name": a["outlet"]["name"], "eligible": a["eligible"]})
        m = dict(matched or {})
        if role != "outlet":
            m["role"] = role
        return best, m, others, (outlet_id, on, region)

    def check(self, text: str, on_date: str | None = None, region: str | None = None) -> AdCheck:
        on = on_date or today()
        best, m, others, _ = self._best(text, on, region)
        organic = self.policy.spec.get("organic_use", "unaffected")
        if best is None:
            return AdCheck(
                text,
                self.policy.key,
                on,
                True,
                "not_linked",
                None,
                None,
                list(_NOT_LINKED),
                [],
                organic_use=organic,
                registry=self.registry,
            )
        return AdCheck(
            text,
            self.policy.key,
            on,
            best["eligible"],
            best["outcome"],
            best["outlet"],
            m,
            best["reasons"],
            best["sources"],
            best["determination_id"],
            best["provisional"],
            best["offboarding"],
            organic,
            others,
            self.registry,
        )

    def check_json(self, text: str, on_date: str | None = None, region: str | None = None) -> str:
        """:meth:`check` as one JSON line. The outlet's part of the answer is serialised once per process:
        encoding the reasons and sources cost more than the lookup itself (the CLI's batch mode prints these)."""
        on = on_date or today()
        _best, m, others, key = self._best(text, on, region)
        tail = self._json_tails.get(key if key else ("not_linked", on))
        if tail is None:
            d = self.check(text, on, region).to_dict()
            for k in ("input", "matched", "also_linked"):
                del d[k]
            tail = json.dumps(d, ensure_ascii=False, default=str)[1:]
            self._json_tails[key if key else ("not_linked", on)] = tail
        return (
            f'{{"input": {json.dumps(text, ensure_ascii=False)}, "matched": {json.dumps(m)}, '
            f'"also_linked": {json.dumps(others, ensure_ascii=False)}, {tail}'
        )


def ad_index(reg: Registry, policy: str | Policy) -> AdIndex:
    """The process-wide index for a policy over this registry (rebuilt after the registry changes)."""
    pol = get_policy(policy)
    cache: dict[str, AdIndex] = reg.__dict__.setdefault("_ad_indexes", {})
    idx = cache.get(pol.key)
    if idx is None or idx.generation != reg.generation:
        require_ready(reg, pol)
        idx = cache[pol.key] = AdIndex(reg, pol)
    return idx


def check_ad_eligibility(
    reg: Registry,
    advertisers: str | Iterable[str],
    policy: str | Policy = "twitter-2019-08-ads",
    on_date: str | date | None = None,
    region: str | None = None,
) -> list[AdCheck]:
    """One :class:`AdCheck` per advertiser (a single string gives a one-element list)."""
    idx = ad_index(reg, policy)
    on = parse_date(on_date, "date", allow_future=True) if on_date is not None else None
    items = [advertisers] if isinstance(advertisers, str) else advertisers
    return [idx.check(a, on, region) for a in items]
