"""Affiliations and proposed links in the operational store: who owned a handle when, and links awaiting review.

Consumes a :class:`~flockwatch.policy.registry.Registry` (its operational store, migration ``0007_affiliations``);
produces and reads

- ``media_affiliations``: one row per account an affiliation list names, as of its date, resolved or not, with its
  provenance (list file, line, content hash, source). :func:`handle_spans` turns them into ownership spans per
  handle (an owner holds a handle from its ``as_of`` until a different owner's ``as_of``), and :func:`link_in_force`
  answers whether an outlet's link to a handle holds on a date: where a list says the handle passed to someone else,
  the earlier owner's link ends there, so a later owner inherits nothing (not its refusal, not its label).
- ``media_link_proposals``: links proposed from profile evidence (:mod:`flockwatch.policy.profile_links`), stored
  once per (handle, outlet), reviewed with :func:`review_proposal`: an accept links the account (asset + affiliation
  row + new determinations of the outlet), a reject records why; both are entries in the audit chain, written in
  the same transaction as the change.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from flockwatch.core.handles import handle_fold
from flockwatch.errors import ValidationError
from flockwatch.policy.affiliations import AffiliationRow
from flockwatch.policy.entities import Resolution
from flockwatch.policy.normalise import name_key
from flockwatch.policy.profile_links import ProposedLink
from flockwatch.policy.registry import Registry
from flockwatch.store import utc_now

Span = tuple[str, str | None, int | None]  # (valid_from, valid_until or None, outlet_id or None = unregistered owner)


def record_affiliation(reg: Registry, row: AffiliationRow, res: Resolution, outlet_id: int | None) -> bool:
    """Store one listed account as of its date (False when this list's row is already stored)."""
    prov = row.provenance
    dup = reg.conn.execute(
        "SELECT 1 FROM media_affiliations WHERE list_sha256 = ? AND list_line = ?", (prov.sha256, prov.line)
    ).fetchone()
    if dup:
        return False
    reg.conn.execute(
        "INSERT INTO media_affiliations (platform, handle, display, account_id, outlet_id, role, person_name, entity, "
        "entity_key, parent_entity, as_of, status, resolution_json, source, list_file, list_line, list_sha256, "
        "extra_json, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.platform,
            row.handle,
            row.display,
            row.account_id,
            outlet_id,
            row.role,
            row.name if row.is_person else None,
            row.entity,
            name_key(row.entity),
            row.parent_entity,
            row.as_of,
            res.status,
            json.dumps(res.to_dict(), ensure_ascii=False),
            prov.source,
            prov.file,
            prov.line,
            prov.sha256,
            json.dumps(row.extra, ensure_ascii=False),
            utc_now(),
        ),
    )
    return True


def handle_spans(reg: Registry) -> dict[tuple[str, str], list[Span]]:
    """Ownership spans per (platform, handle) from every stored affiliation row, oldest first."""
    rows = reg.conn.execute(
        "SELECT platform, handle, account_id, outlet_id, entity_key, as_of FROM media_affiliations "
        "ORDER BY platform, handle, as_of, affiliation_id"
    )
    out: dict[tuple[str, str], list[Span]] = {}
    owners: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
    for r in rows:
        key = (r["platform"], r["handle"])
        owner = (r["outlet_id"], r["entity_key"], r["account_id"])
        spans = out.setdefault(key, [])
        prev = owners.get(key)
        if prev is not None and _same_owner(prev, owner):
            continue
        if spans:
            start, _, oid = spans[-1]
            spans[-1] = (start, r["as_of"], oid)
        spans.append((r["as_of"], None, r["outlet_id"]))
        owners[key] = owner
    return out


def _same_owner(a: tuple[Any, Any, Any], b: tuple[Any, Any, Any]) -> bool:
    if a[2] and b[2] and a[2] != b[2]:
        return False  # another account now holds the handle
    if a[0] is not None and b[0] is not None:
        return bool(a[0] == b[0])
    return bool(a[1] == b[1])


def link_in_force(spans: list[Span] | None, outlet_id: int, on_date: str) -> bool:
    """Whether an outlet's link to a handle holds on a date, given the handle's spans (module docstring). Before the
    first span, and for handles no list has dated, the registry's link stands."""
    if not spans or on_date < spans[0][0]:
        return True
    for start, until, oid in spans:
        if start <= on_date and (until is None or on_date < until):
            return oid == outlet_id
    return True


# -- proposed links -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredProposal:
    proposal_id: int
    platform: str
    account: str
    account_id: str | None
    display_name: str
    outlet_id: int
    outlet: str
    role: str
    confidence: float
    evidence: list[dict[str, Any]]
    alternatives: list[dict[str, Any]]
    status: str
    proposed_at: str
    reviewer: str | None
    reviewed_at: str | None
    review_note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_proposals(
    reg: Registry, proposals: list[ProposedLink], display_names: dict[str, tuple[str, str | None]]
) -> tuple[int, int]:
    """Store new proposals (a (handle, outlet) proposed before keeps its first row and its review); returns
    (stored, already there)."""
    stored = already = 0
    with reg.transaction():
        for p in proposals:
            key = handle_fold(p.handle)
            if reg.conn.execute(
                "SELECT 1 FROM media_link_proposals WHERE platform = ? AND handle = ? AND outlet_id = ?",
                (p.platform, key, p.outlet_id),
            ).fetchone():
                already += 1
                continue
            name, account_id = display_names.get(key, ("", None))
            reg.conn.execute(
                "INSERT INTO media_link_proposals (platform, handle, display, account_id, display_name, outlet_id, "
                "role, confidence, evidence_json, alternatives_json, status, proposed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?)",
                (
                    p.platform,
                    key,
                    p.handle,
                    account_id,
                    name,
                    p.outlet_id,
                    p.role,
                    p.confidence,
                    json.dumps([e.to_dict() for e in p.evidence], ensure_ascii=False),
                    json.dumps(list(p.alternatives), ensure_ascii=False),
                    utc_now(),
                ),
            )
            stored += 1
    return stored, already


def proposals(reg: Registry, status: str | None = None) -> list[StoredProposal]:
    sql = (
        "SELECT p.*, o.name AS outlet_name FROM media_link_proposals p "
        "JOIN media_outlets o ON o.outlet_id = p.outlet_id"
    )
    args: list[Any] = []
    if status:
        if status not in ("proposed", "accepted", "rejected"):
            raise ValidationError(f"status {status!r}: use proposed, accepted or rejected")
        sql += " WHERE p.status = ?"
        args.append(status)
    return [_proposal(r) for r in reg.conn.execute(sql + " ORDER BY p.proposal_id", args)]


def proposal(reg: Registry, proposal_id: int) -> StoredProposal:
    r = reg.conn.execute(
        "SELECT p.*, o.name AS outlet_name FROM media_link_proposals p "
        "JOIN media_outlets o ON o.outlet_id = p.outlet_id WHERE p.proposal_id = ?",
        (int(proposal_id),),
    ).fetchone()
    if r is None:
        raise ValidationError(f"no proposed link with id {proposal_id}; see `flockwatch media links`")
    return _proposal(r)


def _proposal(r: Any) -> StoredProposal:
    return StoredProposal(
        r["proposal_id"],
        r["platform"],
        r["display"],
        r["account_id"],
        r["display_name"],
        r["outlet_id"],
        r["outlet_name"],
        r["role"],
        float(r["confidence"]),
        json.loads(r["evidence_json"]),
        json.loads(r["alternatives_json"]),
        r["status"],
        r["proposed_at"],
        r["reviewer"],
        r["reviewed_at"],
        r["review_note"],
    )


def review_proposal(
    reg: Registry, proposal_id: int, decision: str, *, reviewer: str, note: str, os_user: str | None = None
) -> dict[str, Any]:
    """Accept or reject a proposed link, audited; an accept links the account and re-decides its outlet."""
    from flockwatch.policy.determinations import decide
    from flockwatch.policy.rules import latest_policies
    from flockwatch.review import audit

    if decision not in ("accept", "reject"):
        raise ValidationError(f"decision {decision!r}: accept or reject")
    if not reviewer or not note or not note.strip():
        raise ValidationError("a review of a proposed link needs the reviewer and a note saying why")
    before = proposal(reg, proposal_id)
    if before.status != "proposed":
        raise ValidationError(
            f"proposed link {proposal_id} was already {before.status} by {before.reviewer} on {before.reviewed_at}"
        )
    status = "accepted" if decision == "accept" else "rejected"
    now = utc_now()
    asset_id = None
    with reg.transaction():
        reg.conn.execute(
            "UPDATE media_link_proposals SET status = ?, reviewer = ?, reviewed_at = ?, review_note = ? "
            "WHERE proposal_id = ? AND status = 'proposed'",
            (status, reviewer, now, note.strip(), before.proposal_id),
        )
        if status == "accepted":
            source = (
                f"profile evidence, proposed link {before.proposal_id} (confidence {before.confidence:.2f}) "
                f"accepted by {reviewer} on {now[:10]}: {note.strip()}"
            )
            handle = before.account.lstrip("@")
            if before.role == "outlet":
                asset_id = reg.add_asset(before.outlet_id, "account", handle, platform=before.platform, source=source)
            else:
                asset_id = reg.add_asset(
                    before.outlet_id,
                    "person",
                    handle,
                    platform=before.platform,
                    role=before.role,
                    person_name=before.display_name or handle,
                    source=source,
                )
        audit.append(
            reg.conn._c(),
            actor=reviewer,
            action=f"media.link.{decision}",
            object_ref=f"link-proposal:{before.proposal_id}",
            reason=note.strip(),
            evidence=before.evidence,
            before={"status": before.status},
            after={"status": status, "outlet_id": before.outlet_id, "account": before.account, "asset_id": asset_id},
            os_user=os_user,
        )
    reg._changed()
    decided: dict[str, int] = {}
    if status == "accepted":
        for pol in latest_policies():
            decided[pol.key] = len(
                decide(reg, pol, outlets=[before.outlet_id], decided_by=f"reviewer:{reviewer}").created
            )
    return {"proposal": proposal(reg, proposal_id).to_dict(), "asset_id": asset_id, "determinations": decided}
