"""Importing an affiliation list into the registry: every listed account linked to its owner, with provenance.

Consumes an :class:`~flockwatch.policy.affiliations.AffiliationFile` and a :class:`Registry`; produces an
:class:`ImportPlan` (pure: what each row resolves to, what would be registered, what stays unresolved) and, applied,
registry rows in one transaction plus determinations for every outlet it touched under every shipped policy:

- a row whose entity resolves to a registered outlet adds the account to it (``account`` asset with role
  ``outlet``, or a ``person`` asset with the row's role and name);
- an entity that is new but whose parent is registered becomes a sub-outlet of that parent (inheriting its
  control facts), a government entity (embassy, consulate, mission, ministry) of the state it names becomes a
  ``government`` entity under that state's foreign ministry, with an ownership fact from the list, and a news
  outlet of a party or state body gets that body as owner and a party-organ fact from the list;
- unresolved entities are reported with their rows and why; nothing is written for them, nothing is dropped;
- handles are reused: only the owner in force on the newest ``as_of`` of a handle is linked (an earlier owner's
  span is reported as ``closed``), and a handle the registry already links to a *different* outlet is reported as a
  ``conflict`` for review rather than re-pointed.

Every asset's source names the list, file, line, content hash and ``as_of`` of the row it came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from flockwatch.errors import ValidationError
from flockwatch.policy.affiliations import (
    REVIEW_ACCEPT,
    AccountSpan,
    AffiliationFile,
    AffiliationRow,
    account_timeline,
)
from flockwatch.policy.entities import EntityIndex, Resolution
from flockwatch.policy.normalise import name_key
from flockwatch.policy.registry import Registry

ORIGIN = "affiliation-list"


@dataclass(frozen=True)
class PlannedAccount:
    row: AffiliationRow
    resolution: Resolution
    closed_spans: tuple[dict[str, Any], ...] = ()
    #: the rows of earlier owners of the handle in this list, with their resolutions (stored, never linked)
    history: tuple[tuple[AffiliationRow, Resolution], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.row.platform,
            "account": self.row.display,
            "role": self.row.role,
            "name": self.row.name,
            "as_of": self.row.as_of,
            "entity": self.row.entity,
            "parent_entity": self.row.parent_entity,
            "resolution": self.resolution.to_dict(),
            "provenance": self.row.provenance.to_dict(),
            "closed_spans": list(self.closed_spans),
        }


@dataclass
class ImportPlan:
    file: dict[str, Any]
    accounts: list[PlannedAccount]
    quarantined: list[dict[str, Any]]
    not_accepted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unresolved(self) -> list[PlannedAccount]:
        return [a for a in self.accounts if not a.resolution.ok]

    def by_status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.accounts:
            out[a.resolution.status] = out.get(a.resolution.status, 0) + 1
        return dict(sorted(out.items()))

    def unresolved_entities(self) -> list[dict[str, Any]]:
        """Each unresolved (entity, parent) once, with the lines that name it and why."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for a in self.unresolved:
            k = (a.row.entity, a.row.parent_entity)
            e = seen.setdefault(
                k,
                {"entity": k[0], "parent_entity": k[1], "why": list(a.resolution.evidence), "lines": []},
            )
            e["lines"].append(a.row.provenance.line)
        return list(seen.values())


@dataclass
class AffiliationImportSummary:
    file: dict[str, Any]
    accounts_read: int = 0
    linked: int = 0
    already_linked: int = 0
    new_outlets: list[dict[str, Any]] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    closed_spans: int = 0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    not_accepted: list[dict[str, Any]] = field(default_factory=list)
    determinations: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["unresolved_accounts"] = sum(len(u["lines"]) for u in self.unresolved)
        d["quarantined_count"] = len(self.quarantined)
        return d


def plan_import(reg: Registry, affiliations: AffiliationFile, index: EntityIndex | None = None) -> ImportPlan:
    """Resolve every account of the list (nothing is written)."""
    ix = index or EntityIndex.from_registry(reg)
    cache: dict[tuple[str, str, str], Resolution] = {}
    planned: list[PlannedAccount] = []
    rows, not_accepted = affiliations.rows, []
    if "review" in affiliations.columns:  # a review file: only what a person accepted is linked
        rows = [r for r in affiliations.rows if name_key(r.extra.get("review", "")) == REVIEW_ACCEPT]
        not_accepted = [
            {"line": r.provenance.line, "account": r.display, "review": r.extra.get("review") or "undecided"}
            for r in affiliations.rows
            if name_key(r.extra.get("review", "")) != REVIEW_ACCEPT
        ]
    spans = account_timeline(rows)
    by_handle: dict[tuple[str, str], list[AccountSpan]] = {}
    for s in spans:
        by_handle.setdefault((s.platform, s.handle), []).append(s)
    for group in by_handle.values():
        current = group[-1]
        closed = tuple(
            {
                "entity": s.entity,
                "from": s.valid_from,
                "until": s.valid_until,
                "lines": [r.provenance.line for r in s.rows],
            }
            for s in group[:-1]
        )
        row = current.rows[-1]
        history = tuple((r, _resolve(ix, r, cache)) for s in group[:-1] for r in s.rows)
        planned.append(PlannedAccount(row, _resolve(ix, row, cache), closed, history))
    planned.sort(key=lambda a: a.row.provenance.line)
    return ImportPlan(affiliations.summary(), planned, [q.to_dict() for q in affiliations.quarantined], not_accepted)


def _resolve(ix: EntityIndex, row: AffiliationRow, cache: dict[tuple[str, str, str], Resolution]) -> Resolution:
    hint = row.extra.get("country") or ""
    key = (row.entity, row.parent_entity, hint)
    if key not in cache:
        try:
            cache[key] = ix.resolve(row.entity, row.parent_entity, hint or None)
        except ValidationError:  # an unknown country in the list's own country column
            cache[key] = ix.resolve(row.entity, row.parent_entity)
    return cache[key]


def apply_import(reg: Registry, plan: ImportPlan, *, decide_policies: bool = True) -> AffiliationImportSummary:
    """Write a plan to the registry in one transaction, then decide every touched outlet under every policy."""
    from flockwatch.policy.affiliation_store import record_affiliation
    from flockwatch.policy.determinations import decide
    from flockwatch.policy.rules import latest_policies

    summary = AffiliationImportSummary(
        plan.file, accounts_read=len(plan.accounts), by_status=plan.by_status(), quarantined=plan.quarantined
    )
    summary.unresolved = plan.unresolved_entities()
    summary.not_accepted = plan.not_accepted
    summary.closed_spans = sum(len(a.closed_spans) for a in plan.accounts)
    origin = f"{ORIGIN}:{plan.file['file']}"
    touched: set[int] = set()
    existing_links: dict[tuple[str, str], set[int]] = {}
    for a in reg.assets():
        if a.value and a.platform:
            existing_links.setdefault((a.platform, a.value), set()).add(a.outlet_id)
    with reg.transaction():
        created: dict[tuple[str, str], int] = {}
        for acc in plan.accounts:
            for old_row, old_res in acc.history:
                record_affiliation(reg, old_row, old_res, old_res.outlet_id)
            res = acc.resolution
            if not res.ok:
                # stored all the same: an unregistered owner still ends an earlier owner's hold on the handle
                record_affiliation(reg, acc.row, res, None)
                continue
            outlet_id = res.outlet_id if res.status == "resolved" else _new_entity(reg, acc, origin, created, summary)
            assert outlet_id is not None
            record_affiliation(reg, acc.row, res, outlet_id)
            row = acc.row
            others = existing_links.get((row.platform, row.handle), set()) - {outlet_id}
            if others and res.status == "resolved":
                summary.conflicts.append(
                    {
                        "account": row.display,
                        "line": row.provenance.line,
                        "list_says": res.outlet_name,
                        "registry_says": sorted(reg.outlet(o).name for o in others),
                        "note": "the registry links this handle to another outlet; review before re-pointing it",
                    }
                )
            source = f"{row.provenance.cite()}, as of {row.as_of}"
            if row.extra.get("review"):
                source += f"; review: {row.extra['review']} by {row.extra.get('reviewer', '')}"
            if row.is_person:
                got = reg.add_asset(
                    outlet_id,
                    "person",
                    row.handle,
                    platform=row.platform,
                    role=row.role,
                    person_name=row.name,
                    source=source,
                )
            else:
                got = reg.add_asset(outlet_id, "account", row.handle, platform=row.platform, source=source)
            if got is None:
                summary.already_linked += 1
            else:
                summary.linked += 1
                touched.add(outlet_id)
    reg._changed()  # affiliation rows change which links are in force, even when no asset was added
    if decide_policies and touched:
        for pol in latest_policies():
            got_decided = decide(reg, pol, outlets=sorted(touched), decided_by="affiliation-import")
            summary.determinations[pol.key] = {"created": len(got_decided.created), **got_decided.by_outcome()}
    return summary


def _new_entity(
    reg: Registry,
    acc: PlannedAccount,
    origin: str,
    created: dict[tuple[str, str], int],
    summary: AffiliationImportSummary,
) -> int:
    res, row = acc.resolution, acc.row
    country = res.country_code or ""
    key = (name_key(row.entity), country)
    if key in created:
        return created[key]
    try:
        oid = reg.outlet(row.entity, country).outlet_id  # registered by an earlier import of a list
    except ValidationError:
        oid = reg.add_outlet(
            row.entity,
            country,
            kind=res.kind,
            parent=res.parent_outlet_id,
            owner_chain=[row.parent_entity] if row.parent_entity else [],
            origin=origin,
        )
        for fact in _facts_for(res, row):
            reg.add_fact(oid, fact)
        summary.new_outlets.append(
            {
                "outlet_id": oid,
                "name": row.entity,
                "country": country,
                "kind": res.kind,
                "status": res.status,
                "parent_outlet_id": res.parent_outlet_id,
                "evidence": list(res.evidence),
            }
        )
    created[key] = oid
    return oid


def _facts_for(res: Resolution, row: AffiliationRow) -> list[dict[str, Any]]:
    """The facts a list supports about a new entity (a sub-outlet has none of its own: it inherits its parent's)."""
    base = {
        "source": row.provenance.cite(),
        "date": row.as_of,
        "confidence": round(res.confidence, 3),
        "note": "; ".join(res.evidence),
    }
    if res.status == "new_government":
        return [
            {
                **base,
                "kind": "ownership",
                "value": {"state_owned": True, "owner": f"Government of {res.country_code}"},
            }
        ]
    if res.status == "new_state_owned":
        return [
            {**base, "kind": "ownership", "value": {"state_owned": True, "owner": row.parent_entity}},
            {
                **base,
                "kind": "editorial_control",
                "value": {
                    "state_editorial_control": True,
                    "mechanisms": ["party_organ"],
                    "evidence": f"owned by {row.parent_entity}, a party or state body (per the list)",
                },
            },
        ]
    return []
