"""Resolving the owning entities an affiliation list names to registry outlets, or to new entities to register.

Consumes the registry's outlets (:meth:`EntityIndex.from_registry`, or any list of
:class:`~flockwatch.policy.registry.Outlet`) and ``data/entities.json`` (names lists use for registered outlets —
translations, abbreviations, brands — each with its source; patterns that recognise government entities and party
or state bodies). Produces one :class:`Resolution` per (entity, parent entity) pair:

- ``resolved``: the entity is a registered outlet (by name, alias, a listed translation or abbreviation, or a form
  with a parenthesised abbreviation, a "Print:"-style prefix or a "Press"/"Group"-style suffix removed);
- ``new_child``: the entity is not registered but its parent is: register it under that parent (it inherits the
  parent's control facts, never its scope);
- ``new_government``: an embassy, consulate, mission, ministry or spokesperson office of a state named in the
  entity or its parent (an embassy of X in Y belongs to X's government), registered under that state's foreign
  ministry where the registry has it;
- ``new_state_owned``: a news outlet whose parent is a party or state body (a provincial party committee, a
  propaganda department): registered with that owner and the party-organ fact the list supports;
- ``unresolved``: none of these; reported with why, never silently dropped.

Every resolution carries how it matched (``matched_by``, ``matched_name``), a confidence, and evidence lines an
analyst can check. Extend by adding names to ``data/entities.json``, not code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import regex

from flockwatch.policy.countries import country_code, country_lookup
from flockwatch.policy.normalise import name_key
from flockwatch.policy.registry import Outlet, Registry

#: confidence of a match, by how it was found (a derived form is less certain than the name itself)
MATCH_CONFIDENCE = {
    "name": 0.95,
    "alias": 0.9,
    "listed_alias": 0.85,
    "derived_name": 0.8,
    "abbreviation": 0.75,
}
_ABBREVIATION = re.compile(r"[A-Z][A-Za-z0-9&.\-]{1,11}")
_ORIGIN_RANK = {"curated": 0, "api": 1, "file": 1}


@dataclass(frozen=True)
class Resolution:
    entity: str
    parent_entity: str
    status: str  # resolved | new_child | new_government | new_state_owned | unresolved
    outlet_id: int | None = None  # the registered outlet (resolved)
    outlet_name: str | None = None
    parent_outlet_id: int | None = None  # the registered parent of a new entity
    kind: str = "media"
    country_code: str | None = None
    government_kind: str | None = None
    matched_by: str | None = None
    matched_name: str | None = None
    confidence: float = 0.0
    evidence: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status != "unresolved"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = list(self.evidence)
        return d


@lru_cache(maxsize=1)
def entity_data() -> dict[str, Any]:
    raw = resources.files("flockwatch.policy").joinpath("data/entities.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(raw)
    return doc


@lru_cache(maxsize=1)
def _gov_patterns() -> tuple[tuple[str, regex.Pattern[str]], ...]:
    gov = entity_data()["government"]
    return tuple((p["kind"], regex.compile(p["regex"], regex.I)) for p in gov["patterns"])


@lru_cache(maxsize=1)
def _state_body() -> regex.Pattern[str]:
    return regex.compile(entity_data()["government"]["state_bodies"]["regex"], regex.I)


@lru_cache(maxsize=1)
def _states() -> tuple[tuple[str, regex.Pattern[str]], ...]:
    names_by_code: dict[str, set[str]] = {}
    for code, names in entity_data()["government"]["sending_states"].items():
        names_by_code.setdefault(code, set()).update(names)
    # every country's names and aliases (countries.csv); bare two-letter codes only where listed above
    for key, code in country_lookup().items():
        if len(key) > 3:
            names_by_code.setdefault(code, set()).add(key)
    out = []
    for code, names in sorted(names_by_code.items()):
        alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        # word edges that also hold for CJK names (no \b between two ideographs)
        out.append((code, regex.compile(rf"(?<![\p{{L}}\p{{Nd}}])(?:{alts})(?![\p{{L}}\p{{Nd}}])", regex.I)))
    return tuple(out)


def government_kind(text: str) -> str | None:
    """``embassy`` / ``consulate`` / ``mission`` / ``ministry`` / ``spokesperson`` / ``official`` /
    ``head_of_state_office`` when the name is a government entity's, else None."""
    for kind, rx in _gov_patterns():
        if rx.search(text):
            return kind
    return None


def is_state_body(text: str) -> bool:
    """A party or state body (owner of party organs): a party committee, a propaganda department, a ministry."""
    return bool(text) and _state_body().search(text) is not None


# what follows " in ", " to ", " at " (or 驻, "stationed in") names the host state, never the sending one
_HOST_PART = regex.compile(r"\s+(?:in|to|at|accredited to)\s+.*$|驻.*$", regex.I)


def sending_state(text: str) -> str | None:
    """The state a government entity's name says it belongs to: ``Embassy of the PRC in Kenya`` → ``CN``,
    ``Russian Embassy in the UK`` → ``RU``; ``Embassy in Kenya`` → None (Kenya is the host, not the sender)."""
    head = _HOST_PART.sub("", text)
    best: tuple[int, str] | None = None
    for code, rx in _states():
        m = rx.search(head)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), code)
    return best[1] if best else None


def name_forms(text: str) -> list[tuple[str, str]]:
    """Keys a name can be looked up by, most specific first: (key, how). ``China Media Group (CMG)`` →
    the whole, ``china media group`` (derived), ``cmg`` (abbreviation); prefixes such as ``Print:`` and suffixes
    such as ``Press`` or ``Group`` come off one at a time."""
    data = entity_data()
    out: list[tuple[str, str]] = []

    def add(key: str, how: str) -> None:
        key = name_key(key).strip(" ,.;:-")
        if key and all(k != key for k, _ in out):
            out.append((key, how))

    add(text, "name")
    for part in re.split(r"\s+or\s+", text):
        bare = re.sub(r"\s*\([^)]*\)\s*", " ", part).strip()
        add(bare, "derived_name")
        for abbr in re.findall(r"\(([^)]+)\)", part):
            # "(CMG)", "(SUMG)" are abbreviations; "(synthetic)", "(Renmin Ribao)" are not
            if _ABBREVIATION.fullmatch(abbr.strip()) and sum(c.isupper() for c in abbr) >= 2:
                add(abbr, "abbreviation")
    i = 0
    while i < len(out):
        key, how = out[i]
        i += 1
        if how == "abbreviation":
            continue
        for pre in data["strip_prefixes"]:
            if key.startswith(pre) and len(key) > len(pre) + 2:
                add(key[len(pre) :], "derived_name")
        for suf in data["strip_suffixes"]:
            rest = key[: -len(suf)]
            # never down to a bare country name ("China Media Group" is not "China") or a stub
            if key.endswith(suf) and len(rest) > 2 and name_key(rest) not in country_lookup():
                add(rest, "derived_name")
    return out


class EntityIndex:
    """Lookup of entity names over a set of outlets (module docstring)."""

    def __init__(self, outlets: Iterable[Outlet]) -> None:
        self.outlets: dict[int, Outlet] = {o.outlet_id: o for o in outlets}
        # key -> [(outlet_id, how)], in the order of MATCH_CONFIDENCE
        self.keys: dict[str, list[tuple[int, str]]] = {}
        by_name: dict[tuple[str, str], int] = {}
        for o in self.outlets.values():
            by_name[(name_key(o.name), o.country_code)] = o.outlet_id
            for n, how in [(o.name, "name"), *((a, "alias") for a in o.aliases)]:
                for key, form in name_forms(n):
                    self._add(key, o.outlet_id, how if form == "name" else form)
        for entry in entity_data()["aliases"]:
            code = country_code(entry["country"])
            oid = by_name.get((name_key(entry["outlet"]), code))
            if oid is None:
                continue  # the registry in use does not hold this outlet
            for n in entry["names"]:
                self._add(name_key(n), oid, "listed_alias")
                for key, form in name_forms(n)[1:]:
                    self._add(key, oid, "abbreviation" if form == "abbreviation" else "derived_name")
        self.sources = {
            (name_key(e["outlet"]), country_code(e["country"])): e["source"] for e in entity_data()["aliases"]
        }

    @classmethod
    def from_registry(cls, reg: Registry) -> EntityIndex:
        return cls(reg.outlets())

    def _add(self, key: str, outlet_id: int, how: str) -> None:
        lst = self.keys.setdefault(key, [])
        if (outlet_id, how) not in lst:
            lst.append((outlet_id, how))

    def lookup(self, text: str, country: str | None = None) -> tuple[Outlet, str, str, list[Outlet]] | None:
        """(outlet, how, matched key, other candidates) for a name, or None."""
        if not text or not text.strip():
            return None
        for key, form in name_forms(text):
            hits = self.keys.get(key, [])
            if country:
                hits = [h for h in hits if self.outlets[h[0]].country_code == country]
            if not hits:
                continue
            ranked = sorted(
                hits,
                key=lambda h: (
                    list(MATCH_CONFIDENCE).index(h[1]),
                    _ORIGIN_RANK.get(self.outlets[h[0]].origin, 2),
                    self.outlets[h[0]].parent_id is not None,
                    h[0],
                ),
            )
            best_id, how = ranked[0]
            if form != "name":  # the query itself was reduced to find it: as sure as the weaker of the two
                how = max(how, form, key=list(MATCH_CONFIDENCE).index)
            others = [self.outlets[i] for i, _ in ranked[1:] if i != best_id]
            return self.outlets[best_id], how, key, list({o.outlet_id: o for o in others}.values())
        return None

    def resolve(self, entity: str, parent_entity: str = "", country_hint: str | None = None) -> Resolution:
        """Resolve one owning entity (module docstring)."""
        country = country_code(country_hint) if country_hint else None
        gov = government_kind(entity)
        hit = self.lookup(entity, country)
        if hit is not None:
            o, how, key, others = hit
            ev = [f"entity {entity!r} matches {o.name!r} ({o.country_code}) by {how.replace('_', ' ')} {key!r}"]
            src = self.sources.get((name_key(o.name), o.country_code))
            if how == "listed_alias" and src:
                ev.append(f"listed name; source: {src}")
            if others:
                ev.append("also matched: " + ", ".join(f"{x.name} ({x.country_code})" for x in others[:5]))
            return Resolution(
                entity,
                parent_entity,
                "resolved",
                outlet_id=o.outlet_id,
                outlet_name=o.name,
                kind=o.kind,
                country_code=o.country_code,
                government_kind=gov if o.kind == "government" else None,
                matched_by=how,
                matched_name=key,
                confidence=MATCH_CONFIDENCE[how] * (0.9 if others else 1.0),
                evidence=tuple(ev),
            )
        parent_hit = self.lookup(parent_entity, country) if parent_entity else None
        if gov is not None:
            state = sending_state(entity) or (parent_hit[0].country_code if parent_hit else None)
            state = state or sending_state(parent_entity) or country
            if state is None:
                return self._unresolved(
                    entity, parent_entity, f"a government entity ({gov}) of a state its name and parent do not name"
                )
            parent = parent_hit[0] if parent_hit and parent_hit[0].kind == "government" else None
            if parent is None:
                parent = self._foreign_ministry(state)
            ev = [f"entity {entity!r} names a government {gov.replace('_', ' ')} of {state}"]
            if parent is not None:
                ev.append(f"registered under {parent.name!r}")
            return Resolution(
                entity,
                parent_entity,
                "new_government",
                parent_outlet_id=parent.outlet_id if parent else None,
                kind="government",
                country_code=state,
                government_kind=gov,
                matched_by="government_pattern",
                matched_name=entity,
                confidence=0.85 if sending_state(entity) else 0.7,
                evidence=tuple(ev),
            )
        if parent_hit is not None:
            p, how, key, _ = parent_hit
            return Resolution(
                entity,
                parent_entity,
                "new_child",
                parent_outlet_id=p.outlet_id,
                outlet_name=p.name,
                kind=p.kind,
                country_code=p.country_code,
                matched_by=f"parent_{how}",
                matched_name=key,
                confidence=MATCH_CONFIDENCE[how] * 0.9,
                evidence=(
                    f"entity {entity!r} is not registered; its parent {parent_entity!r} matches {p.name!r} "
                    f"({p.country_code}) by {how.replace('_', ' ')} {key!r}",
                ),
            )
        if parent_entity and is_state_body(parent_entity):
            state = sending_state(parent_entity) or sending_state(entity) or country
            if state is not None:
                return Resolution(
                    entity,
                    parent_entity,
                    "new_state_owned",
                    kind="media",
                    country_code=state,
                    matched_by="state_body_parent",
                    matched_name=parent_entity,
                    confidence=0.7,
                    evidence=(
                        f"entity {entity!r} is not registered; its parent {parent_entity!r} is a party or state "
                        f"body of {state}",
                    ),
                )
        why = f"neither {entity!r}" + (f" nor its parent {parent_entity!r}" if parent_entity else "")
        return self._unresolved(entity, parent_entity, why + " matches a registered outlet or a government pattern")

    def _foreign_ministry(self, state: str) -> Outlet | None:
        name = entity_data()["government"]["foreign_ministries"].get(state)
        if not name:
            return None
        hit = self.lookup(name, state)
        return hit[0] if hit and hit[0].kind == "government" else None

    @staticmethod
    def _unresolved(entity: str, parent_entity: str, why: str) -> Resolution:
        return Resolution(entity, parent_entity, "unresolved", evidence=(why,))
