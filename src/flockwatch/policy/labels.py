"""Labels: which accounts get which label under which policy version, from which date.

Consumes a :class:`Registry` with determinations of a labelling policy (``twitter-2020-08-labels``,
``meta-2020-06``); produces :class:`LabelRow` per labelled account (the outlet's accounts, and its editors and senior
staff or government officials where the policy labels those roles), each with the facts used: the determination's
reason codes, the fact ids and their sources (inherited ones say from whom), and the source of the account's link and writes them as CSV or JSON. Only stored
determinations give labels: a label must be traceable to a determination id, so a registry with no outlets or no
determinations under the policy raises :class:`~flockwatch.errors.RegistryNotReadyError` (naming the fixing
command) instead of exporting nothing without saying why.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from flockwatch.errors import ValidationError
from flockwatch.policy.affiliation_store import handle_spans, link_in_force
from flockwatch.policy.determinations import determinations, require_ready, today
from flockwatch.policy.facts import parse_date
from flockwatch.policy.registry import Registry
from flockwatch.policy.rules import Policy, get_policy


@dataclass(frozen=True)
class LabelRow:
    platform: str
    account: str
    role: str
    person_name: str | None
    outlet: str
    outlet_id: int
    country: str
    label: str
    amplify: bool
    policy: str
    policy_version: int
    determination_id: int
    effective_from: str
    kind: str = "media"
    reasons: str = ""  # the determination's reason codes, ";"-joined
    facts_used: str = ""  # the fact ids it rests on, ";"-joined (each a sourced fact in the registry)
    fact_sources: str = ""  # the sources of those facts, ";"-joined, inherited ones marked with their owner
    account_source: str = ""  # where the link of this account to the outlet comes from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_labels(
    reg: Registry, policy: str | Policy = "twitter-2020-08-labels", on_date: str | None = None
) -> list[LabelRow]:
    """Labels in force on a date (default today), one row per labelled account."""
    pol = get_policy(policy)
    spec = pol.labels
    if not spec:
        raise ValidationError(f"{pol.key} gives no labels; labelling policies: twitter-2020-08-labels, meta-2020-06")
    on = parse_date(on_date, "date", allow_future=True) if on_date else today()
    require_ready(reg, pol)
    platforms, roles = set(spec.get("platforms", pol.platforms)), set(spec.get("roles", ["outlet"]))
    rows: list[LabelRow] = []
    spans = handle_spans(reg)
    for det in determinations(reg, pol, latest_only=True, on_date=on):
        label = det.effects.get("label")
        if not label:
            continue
        outlet = reg.outlet(det.outlet_id)
        cited = sorted({i for r in det.reasons for i in r.get("fact_ids", [])} or set(det.facts_used))
        sources = []
        for fid in cited:
            f = reg.fact(fid)
            mark = "" if f.outlet_id == outlet.outlet_id else f" (inherited from {reg.outlet(f.outlet_id).name})"
            sources.append(f"{fid}: {f.source}, {f.source_date}{mark}")
        for a in reg.assets(outlet.outlet_id):
            if not a.platform or a.platform not in platforms or a.role not in roles or not a.value:
                continue
            if not link_in_force(spans.get((a.platform, a.value)), outlet.outlet_id, on):
                continue  # the handle has passed to another owner: its label does not follow it
            rows.append(
                LabelRow(
                    a.platform,
                    a.display,
                    a.role,
                    a.person_name,
                    outlet.name,
                    outlet.outlet_id,
                    outlet.country_code,
                    label,
                    bool(det.effects.get("amplify", True)),
                    pol.id,
                    det.policy_version,
                    det.determination_id,
                    det.effective_on,
                    outlet.kind,
                    ";".join(r["code"] for r in det.reasons),
                    ";".join(str(i) for i in det.facts_used),
                    "; ".join(sources),
                    a.source,
                )
            )
    return sorted(rows, key=lambda r: (r.country, r.outlet, r.platform, r.account.lower()))


def write_labels(rows: list[LabelRow], path: str | Path, fmt: str | None = None) -> Path:
    """Write label rows as CSV or JSON (from ``fmt`` or the file suffix)."""
    p = Path(path)
    fmt = fmt or ("json" if p.suffix.lower() == ".json" else "csv")
    if fmt not in ("csv", "json"):
        raise ValidationError(f"label export format {fmt!r}: use csv or json")
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        p.write_text(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=[x.name for x in fields(LabelRow)])
            w.writeheader()
            for r in rows:
                w.writerow(r.to_dict())
    return p
