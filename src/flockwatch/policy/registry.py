"""The state-media registry: outlets, their assets (domains, accounts, named people) and sourced facts.

Consumes calls (or a JSON document in the curated-facts format, see :meth:`Registry.load`) and produces rows in
the operational store (:mod:`flockwatch.store`). Every write is validated first and runs in one transaction: bad input (unknown
country, missing source, duplicate outlet, bad date) raises :class:`~flockwatch.errors.ValidationError` and leaves
the store as it was. Facts are never edited: :meth:`Registry.change_fact` adds a new fact that supersedes the old,
so determinations made from the old fact still point at what they used.

A sub-outlet (``parent``) inherits its ancestors' control facts (funding, ownership, governance, editorial
control, safeguards, classification) for any kind it has none of; scope is never inherited, because a state
broadcaster's sports channel is not a news outlet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from flockwatch.errors import ValidationError
from flockwatch.policy.countries import country_code, country_name
from flockwatch.policy.facts import FactInput, validate_fact
from flockwatch.policy.normalise import handle_key, host_key, name_key
from flockwatch.store import memory_store, utc_now
from flockwatch.store.conn import OpsConnection, Rec

OUTLET_KINDS = ("media", "government")
ASSET_KINDS = ("domain", "account", "person")
ASSET_ROLES = ("outlet", "editor_in_chief", "senior_staff", "government_official")
INHERITED_KINDS = ("funding", "ownership", "governance", "editorial_control", "safeguards", "classification")


@dataclass(frozen=True)
class Outlet:
    outlet_id: int
    name: str
    country_code: str
    kind: str
    parent_id: int | None
    owner_chain: list[str]
    aliases: list[str]
    origin: str

    @property
    def country(self) -> str:
        return country_name(self.country_code)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["country"] = self.country
        return d


@dataclass(frozen=True)
class Asset:
    asset_id: int
    outlet_id: int
    kind: str
    platform: str
    value: str
    display: str
    role: str
    person_name: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fact:
    fact_id: int
    outlet_id: int
    kind: str
    value: dict[str, Any]
    source: str
    source_url: str | None
    source_date: str
    confidence: float
    note: str | None
    recorded_at: str
    superseded_by: int | None
    inherited_from: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def citation(self) -> dict[str, Any]:
        """What an answer shows as the source of this fact."""
        d = {
            "fact_id": self.fact_id,
            "kind": self.kind,
            "source": self.source,
            "source_date": self.source_date,
            "confidence": self.confidence,
        }
        if self.source_url:
            d["source_url"] = self.source_url
        if self.inherited_from:
            d["inherited_from"] = self.inherited_from
        return d


def _fact(row: Rec, inherited_from: str | None = None) -> Fact:
    return Fact(
        row["fact_id"],
        row["outlet_id"],
        row["kind"],
        json.loads(row["value_json"]),
        row["source"],
        row["source_url"],
        row["source_date"],
        row["confidence"],
        row["note"],
        row["recorded_at"],
        row["superseded_by"],
        inherited_from,
    )


def _outlet(row: Rec) -> Outlet:
    return Outlet(
        row["outlet_id"],
        row["name"],
        row["country_code"],
        row["kind"],
        row["parent_id"],
        json.loads(row["owner_chain_json"]),
        json.loads(row["aliases_json"]),
        row["origin"],
    )


class Registry:
    """The registry in a workspace's operational store. Open with :meth:`open` (or :meth:`memory` for tests)."""

    def __init__(self, conn: OpsConnection) -> None:
        self.conn = conn
        # bumped on every write so that in-process lookup indexes (ads.py) know when to rebuild
        self.generation = 0
        # True for the private in-memory copy of the shipped registry (answers without a workspace)
        self.in_memory_copy = False

    @classmethod
    def open(cls, ws: Any) -> Registry:
        """The registry in ``ws.ops()`` (the workspace's store, or ``FLOCKWATCH_OPS_URL``)."""
        return cls(OpsConnection(ws.ops()))

    @classmethod
    def memory(cls) -> Registry:
        """An empty registry in a private in-memory store."""
        return cls(OpsConnection(memory_store()))

    def close(self) -> None:
        """Give the connection back (the store itself, in memory or on disk, stays as it is)."""
        self.conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self):
        return self.conn.transaction()

    def _changed(self) -> None:
        self.generation += 1

    # -- outlets ------------------------------------------------------------------------------------------------
    def add_outlet(
        self,
        name: str,
        country: str,
        *,
        kind: str = "media",
        parent: int | str | None = None,
        owner_chain: Iterable[str] = (),
        aliases: Iterable[str] = (),
        origin: str = "api",
    ) -> int:
        """Register an outlet (or a government entity, ``kind="government"``); returns its id."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("outlet name is missing")
        code = country_code(country)
        if kind not in OUTLET_KINDS:
            raise ValidationError(f"outlet {name!r}: kind {kind!r} is not one of {list(OUTLET_KINDS)}")
        key = name_key(name)
        dup = self.conn.execute(
            "SELECT outlet_id FROM media_outlets WHERE name_key = ? AND country_code = ?", (key, code)
        ).fetchone()
        if dup:
            raise ValidationError(f"duplicate outlet {name!r} in {code} (already registered as id {dup[0]})")
        parent_id = self.outlet(parent).outlet_id if parent is not None else None
        chain = [str(x) for x in owner_chain]
        alias_list = sorted({a.strip() for a in aliases if a and a.strip() and name_key(a) != key})
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO media_outlets (name, name_key, country_code, kind, parent_id, owner_chain_json, "
                "aliases_json, origin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING outlet_id",
                (
                    name.strip(),
                    key,
                    code,
                    kind,
                    parent_id,
                    json.dumps(chain),
                    json.dumps(alias_list),
                    origin,
                    utc_now(),
                ),
            )
        self._changed()
        return int(cur[0][0])

    def add_aliases(self, outlet: int | str, aliases: Iterable[str]) -> None:
        o = self.outlet(outlet)
        merged = sorted({*o.aliases, *(a.strip() for a in aliases if a and a.strip())} - {o.name})
        with self.transaction():
            self.conn.execute(
                "UPDATE media_outlets SET aliases_json = ? WHERE outlet_id = ?", (json.dumps(merged), o.outlet_id)
            )
        self._changed()

    def outlet(self, ref: int | str, country: str | None = None) -> Outlet:
        """An outlet by id, name or alias (case-insensitive); ``country`` narrows an ambiguous name."""
        if isinstance(ref, bool):
            raise ValidationError(f"bad outlet reference {ref!r}")
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            row = self.conn.execute("SELECT * FROM media_outlets WHERE outlet_id = ?", (int(ref),)).fetchone()
            if row is None:
                raise ValidationError(f"no outlet with id {ref}")
            return _outlet(row)
        key = name_key(str(ref))
        code = country_code(country) if country else None
        rows = list(self.conn.execute("SELECT * FROM media_outlets WHERE name_key = ?", (key,)))
        if not rows:
            rows = [
                r
                for r in self.conn.execute("SELECT * FROM media_outlets")
                if key in {name_key(a) for a in json.loads(r["aliases_json"])}
            ]
        if code:
            rows = [r for r in rows if r["country_code"] == code]
        if not rows:
            raise ValidationError(
                f"no outlet named {ref!r}" + (f" in {code}" if code else "") + "; see `flockwatch media list`"
            )
        if len(rows) > 1:
            raise ValidationError(
                f"outlet name {ref!r} is ambiguous: "
                + ", ".join(f"{r['name']} ({r['country_code']}, id {r['outlet_id']})" for r in rows)
                + "; give the id or country"
            )
        return _outlet(rows[0])

    def outlets(self, country: str | None = None, kind: str | None = None) -> list[Outlet]:
        sql, args = "SELECT * FROM media_outlets WHERE 1=1", []
        if country:
            sql += " AND country_code = ?"
            args.append(country_code(country))
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        return [_outlet(r) for r in self.conn.execute(sql + " ORDER BY country_code, name", args)]

    def ancestors(self, outlet: Outlet) -> list[Outlet]:
        chain, seen, cur = [], {outlet.outlet_id}, outlet
        while cur.parent_id is not None and cur.parent_id not in seen:
            cur = self.outlet(cur.parent_id)
            seen.add(cur.outlet_id)
            chain.append(cur)
        return chain

    # -- assets -------------------------------------------------------------------------------------------------
    def add_asset(
        self,
        outlet: int | str,
        kind: str,
        value: str = "",
        *,
        platform: str = "",
        role: str = "outlet",
        person_name: str | None = None,
        source: str = "",
    ) -> int | None:
        """Link a domain, a platform account or a named person to an outlet; returns the asset id (None when the
        same link already exists)."""
        o = self.outlet(outlet)
        if kind not in ASSET_KINDS:
            raise ValidationError(f"asset kind {kind!r} is not one of {list(ASSET_KINDS)}")
        if role not in ASSET_ROLES:
            raise ValidationError(f"asset role {role!r} is not one of {list(ASSET_ROLES)}")
        if not source or not str(source).strip():
            raise ValidationError(f"asset {value!r} of {o.name}: missing source")
        platform = (platform or "").strip().lower()
        if kind == "domain":
            key = host_key(value or "")
            if key is None:
                raise ValidationError(f"asset of {o.name}: {value!r} is not a valid domain")
            platform, display = "", key
        elif kind == "account":
            key = handle_key(value or "", platform)
            if not platform or key is None:
                raise ValidationError(
                    f"asset of {o.name}: account needs a platform and a valid handle, got {platform!r} {value!r}"
                )
            display = "@" + (value or "").strip().lstrip("@")
        else:
            if not person_name or not person_name.strip():
                raise ValidationError(f"person asset of {o.name}: missing person_name")
            key = handle_key(value, platform) if value else ""
            if value and (key is None or not platform):
                raise ValidationError(f"person {person_name!r}: account needs a platform and a valid handle")
            display = ("@" + value.strip().lstrip("@")) if value else person_name.strip()
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO media_assets (outlet_id, kind, platform, value, display, role, person_name, "
                "source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING asset_id",
                (o.outlet_id, kind, platform, key, display, role, person_name, str(source).strip(), utc_now()),
            )
        self._changed()
        row = cur.fetchone()
        return int(row[0]) if row else None

    def assets(self, outlet: int | str | None = None) -> list[Asset]:
        if outlet is None:
            rows = self.conn.execute("SELECT * FROM media_assets ORDER BY asset_id")
        else:
            rows = self.conn.execute(
                "SELECT * FROM media_assets WHERE outlet_id = ? ORDER BY asset_id", (self.outlet(outlet).outlet_id,)
            )
        return [
            Asset(
                r["asset_id"],
                r["outlet_id"],
                r["kind"],
                r["platform"],
                r["value"],
                r["display"],
                r["role"],
                r["person_name"],
                r["source"],
            )
            for r in rows
        ]

    # -- facts --------------------------------------------------------------------------------------------------
    def add_fact(
        self,
        outlet: int | str,
        fact: dict[str, Any] | FactInput,
        *,
        appeal_id: int | None = None,
        contests_fact_id: int | None = None,
    ) -> int:
        """Record a sourced fact about an outlet; returns its id. Evidence of an appeal carries ``appeal_id`` (and
        the fact it contests, superseded if the appeal is upheld)."""
        o = self.outlet(outlet)
        f = fact if isinstance(fact, FactInput) else validate_fact(fact, f"fact about {o.name}")
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO media_facts (outlet_id, kind, value_json, source, source_url, source_date, confidence, "
                "note, recorded_at, appeal_id, contests_fact_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING fact_id",
                (
                    o.outlet_id,
                    f.kind,
                    json.dumps(f.value, sort_keys=True),
                    f.source,
                    f.source_url,
                    f.source_date,
                    f.confidence,
                    f.note,
                    utc_now(),
                    appeal_id,
                    contests_fact_id,
                ),
            )
        self._changed()
        return int(cur[0][0])

    def change_fact(self, fact_id: int, fact: dict[str, Any]) -> int:
        """Supersede a fact with a new one of the same kind (the old stays, marked superseded); returns the new id."""
        old = self.fact(fact_id)
        if old.superseded_by is not None:
            raise ValidationError(f"fact {fact_id} was already superseded by fact {old.superseded_by}")
        raw = {"kind": old.kind, **fact}
        f = validate_fact(raw, f"change of fact {fact_id}")
        if f.kind != old.kind:
            raise ValidationError(f"fact {fact_id} is a {old.kind} fact; a change cannot turn it into {f.kind}")
        with self.transaction():
            new_id = self.add_fact(old.outlet_id, f)
            self.conn.execute("UPDATE media_facts SET superseded_by = ? WHERE fact_id = ?", (new_id, fact_id))
        self._changed()
        return new_id

    def fact(self, fact_id: int) -> Fact:
        row = self.conn.execute("SELECT * FROM media_facts WHERE fact_id = ?", (int(fact_id),)).fetchone()
        if row is None:
            raise ValidationError(f"no fact with id {fact_id}")
        return _fact(row)

    def facts(
        self, outlet: int | str | Outlet, *, current_only: bool = True, include_inherited: bool = True
    ) -> list[Fact]:
        """The outlet's facts (current ones by default), plus inherited control facts from its parents."""
        o = outlet if isinstance(outlet, Outlet) else self.outlet(outlet)
        # evidence filed with an appeal counts only once the appeal is upheld
        cond = (
            (
                " AND superseded_by IS NULL AND (appeal_id IS NULL OR appeal_id IN "
                "(SELECT appeal_id FROM policy_appeals WHERE status = 'upheld'))"
            )
            if current_only
            else ""
        )
        own = [
            _fact(r)
            for r in self.conn.execute(
                f"SELECT * FROM media_facts WHERE outlet_id = ?{cond} ORDER BY fact_id", (o.outlet_id,)
            )
        ]
        if not include_inherited:
            return own
        have = {f.kind for f in own}
        out = list(own)
        for anc in self.ancestors(o):
            got = [
                _fact(r, anc.name)
                for r in self.conn.execute(
                    f"SELECT * FROM media_facts WHERE outlet_id = ?{cond or ' AND superseded_by IS NULL'} "
                    "ORDER BY fact_id",
                    (anc.outlet_id,),
                )
                if r["kind"] in INHERITED_KINDS and r["kind"] not in have
            ]
            out.extend(got)
            have |= {f.kind for f in got}
        return out

    # -- bulk ---------------------------------------------------------------------------------------------------
    def load(self, doc: dict[str, Any], origin: str = "file") -> dict[str, int]:
        """Load a curated-facts document in one transaction; any bad entry rejects the whole document.

        Format: ``{"outlets": [{"name", "country", ["kind"], ["parent"], ["owner_chain"], ["aliases"],
        ["assets": [{"kind", "value", ["platform"], ["role"], ["person_name"], "source"}]],
        ["facts": [{"kind", "value", "source", "date", "confidence", ...}]]}],
        "facts": [{"outlet": NAME_OR_ID, "kind", ...}], "changes": [{"fact_id", "value", "source", "date", ...}]}``.
        An outlet entry whose name already exists (same country) adds assets and facts to it instead of failing
        only when it says ``"existing": true``.
        """
        if not isinstance(doc, dict):
            raise ValidationError("a registry document must be a JSON object with outlets/facts/changes")
        unknown = set(doc) - {"outlets", "facts", "changes", "about", "attribution"}
        if unknown:
            raise ValidationError(f"unknown top-level key(s) {sorted(unknown)}; expected outlets, facts, changes")
        counts = {"outlets": 0, "assets": 0, "facts": 0, "changes": 0}
        with self.transaction():
            for i, entry in enumerate(doc.get("outlets", [])):
                where = f"outlets[{i}]"
                if not isinstance(entry, dict):
                    raise ValidationError(f"{where}: expected an object")
                try:
                    if entry.get("existing"):
                        oid = self.outlet(entry["name"], entry.get("country")).outlet_id
                    else:
                        oid = self.add_outlet(
                            entry.get("name", ""),
                            entry.get("country", ""),
                            kind=entry.get("kind", "media"),
                            parent=entry.get("parent"),
                            owner_chain=entry.get("owner_chain", ()),
                            aliases=entry.get("aliases", ()),
                            origin=origin,
                        )
                        counts["outlets"] += 1
                    for a in entry.get("assets", []):
                        if self.add_asset(
                            oid,
                            a.get("kind", ""),
                            a.get("value", ""),
                            platform=a.get("platform", ""),
                            role=a.get("role", "outlet"),
                            person_name=a.get("person_name"),
                            source=a.get("source", ""),
                        ):
                            counts["assets"] += 1
                    for j, f in enumerate(entry.get("facts", [])):
                        self.add_fact(oid, validate_fact(f, f"{where}.facts[{j}] ({entry.get('name')})"))
                        counts["facts"] += 1
                except ValidationError as exc:
                    raise ValidationError(f"{where} ({entry.get('name')!r}): {exc}") from None
            for i, f in enumerate(doc.get("facts", [])):
                if not isinstance(f, dict) or "outlet" not in f:
                    raise ValidationError(f"facts[{i}]: needs an 'outlet' (name or id)")
                self.add_fact(
                    self.outlet(f["outlet"], f.get("country")).outlet_id,
                    validate_fact({k: v for k, v in f.items() if k not in ("outlet", "country")}, f"facts[{i}]"),
                )
                counts["facts"] += 1
            for i, c in enumerate(doc.get("changes", [])):
                if not isinstance(c, dict) or "fact_id" not in c:
                    raise ValidationError(f"changes[{i}]: needs the 'fact_id' it supersedes")
                self.change_fact(int(c["fact_id"]), {k: v for k, v in c.items() if k != "fact_id"})
                counts["changes"] += 1
        self._changed()
        return counts

    def provenance(self) -> dict[str, Any]:
        """What the registry's answers rest on: the newest Matrix snapshot imported (source and snapshot date) and
        the curated-facts version. ``snapshot_date`` is None when outlets came only from files or calls."""
        row = self.conn.execute(
            "SELECT file_name, snapshot_date, origin, provenance_json FROM media_imports "
            "ORDER BY snapshot_date DESC, import_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return {"source": "no State Media Matrix import; outlets added from files or calls", "snapshot_date": None}
        prov = json.loads(row["provenance_json"] or "{}")
        curated = prov.get("curated_facts") or {}
        if row["origin"] == "shipped":
            source = "State Media Matrix (ASD-at-GMF; MJRC typology)" + (" + curated facts" if curated else "")
            source += f", shipped with flockwatch {prov.get('flockwatch', '?')}"
        else:
            source = f"State Media Matrix file {row['file_name']}"
        out: dict[str, Any] = {"source": source, "snapshot_date": row["snapshot_date"]}
        if curated.get("facts_as_of"):
            out["curated_facts_as_of"] = curated["facts_as_of"]
        if self.in_memory_copy:
            out["store"] = "in-memory copy (no workspace; read-only)"
        return out

    def counts(self) -> dict[str, int]:
        q = {
            "outlets": "media_outlets",
            "assets": "media_assets",
            "facts": "media_facts",
            "determinations": "policy_determinations",
            "appeals": "policy_appeals",
        }
        return {k: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for k, t in q.items()}
