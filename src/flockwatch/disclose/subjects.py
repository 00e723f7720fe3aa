"""Who a release discloses: the accounts, their role and the decision taken about each.

Consumes an open workspace and either a case (``flockwatch.review.cases``: its snapshot, frozen at open) or a draft
reference — a candidate network (``N0001`` or ``<run>/N0001``) or a candidate operation (``O0001``); produces
:class:`Subjects`: the accounts, each with its role (``core``: clustered into the network; ``amplifier``: attached
or grown onto it afterwards), the action and its status, the evidence class that supports it, and whether the
release is a draft.

A case discloses only account subjects whose suspension or lock was approved and executed (or upheld on appeal):
never one that is under appeal, reversed, excluded or not yet executed — those are counted in ``extra`` and named
nowhere. A draft discloses no decision (none was taken): every output it feeds is watermarked as a draft.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core import runs
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace


@dataclass
class Subject:
    """One disclosed account."""

    account_id: str
    role: str
    network_id: str
    action: str = "suspend"
    status: str = "draft"
    decided_at: str | None = None
    detectors: list[str] = field(default_factory=list)


@dataclass
class Subjects:
    """The accounts of one release and where they come from."""

    name: str
    source: str
    draft: bool
    run_id: str | None
    network_ids: list[str]
    subjects: list[Subject]
    policies: list[str] = field(default_factory=list)
    case_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def account_ids(self) -> list[str]:
        return [s.account_id for s in self.subjects]

    def count(self, role: str) -> int:
        return sum(1 for s in self.subjects if s.role == role)


def draft_subjects(ws: Workspace, network: str | None = None, operation: str | None = None) -> Subjects:
    """The members of a candidate network or operation, as a draft release (no decision taken)."""
    if (network is None) == (operation is None):
        raise ValidationError("a draft names exactly one of --network or --operation")
    e = ws.engine
    if network is not None:
        rid, nid = runs.resolve_network(e, network)
        nets = [nid]
        name, source = nid, f"candidate network {rid}/{nid}"
    else:
        from flockwatch.networks import load_operations

        rid = runs.resolve_run(e, None)
        op = next((o for o in load_operations(ws, rid) if o.operation_id == operation), None)
        if op is None:
            raise ValidationError(f"no candidate operation {operation!r} in detection run {rid}")
        nets = list(op.network_ids)
        name, source = op.operation_id, f"candidate operation {rid}/{op.operation_id} ({', '.join(nets)})"
    # a weakly linked member (no own evidence, tied only through ordinary popular content) is not a subject of a
    # release: a draft names only the accounts that carry the network's verdict
    rows = e.sql(
        f"""SELECT account_id, min(network_id), bool_or(coalesce(joined_by, 'cluster') = 'cluster')
           FROM network_members WHERE run_id = ? AND list_contains(?::VARCHAR[], network_id)
             AND {runs.not_weak_sql()}
           GROUP BY account_id ORDER BY account_id""",
        [rid, nets],
    ).rows()
    detectors = _detectors(ws, rid, [r[0] for r in rows])
    subjects = [
        Subject(a, "core" if core else "amplifier", nid, detectors=detectors.get(a, [])) for a, nid, core in rows
    ]
    return Subjects(name=name, source=source, draft=True, run_id=rid, network_ids=nets, subjects=subjects)


#: actions whose executed subjects a release discloses (a label or an ad refusal removes nothing)
DISCLOSED_ACTIONS = ("suspend", "lock")
#: subject statuses that may be disclosed: executed, or an appeal that upheld the decision
DISCLOSED_STATUSES = ("executed", "upheld")


def case_subjects(ws: Workspace, case_id: str) -> Subjects:
    """The executed account subjects of a case (module docstring); a :class:`ValidationError` when there are none."""
    from flockwatch.review.cases import get_case

    snap = get_case(ws.ops(), case_id)
    actions = {int(a["action_id"]): a for a in snap.actions}
    chosen: list[Subject] = []
    held_back: dict[str, int] = {}
    assets: dict[str, int] = {}
    for sub in snap.subjects or []:
        act = actions.get(int(sub.action_id)) if sub.action_id is not None else None
        kind = act["kind"] if act else None
        if sub.kind in ("page", "group") and sub.status in DISCLOSED_STATUSES and kind in DISCLOSED_ACTIONS:
            assets[sub.kind] = assets.get(sub.kind, 0) + 1  # counted in the statement (Pages, Groups removed)
        if sub.kind != "account" or sub.status not in DISCLOSED_STATUSES or kind not in DISCLOSED_ACTIONS:
            key = f"{sub.kind} {sub.status}" + (f" ({kind})" if kind else "")
            held_back[key] = held_back.get(key, 0) + 1
            continue
        ev = sub.evidence or {}
        chosen.append(
            Subject(
                sub.subject_id,
                "amplifier" if ev.get("joined_by") in ("attach", "grow") else "core",
                str(ev.get("network_id") or ""),
                action=str(kind),
                status=sub.status,
                decided_at=act.get("approved_at") if act else None,
            )
        )
    if not chosen:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(held_back.items())) or "no subjects"
        raise ValidationError(
            f"case {case_id} has no account whose suspension or lock was executed ({counts}); nothing to disclose"
        )
    if snap.run_id:
        detectors = _detectors(ws, snap.run_id, [c.account_id for c in chosen])
        for c in chosen:
            c.detectors = detectors.get(c.account_id, [])
    reasons = sorted({str(a["reason"]) for a in snap.actions if a["kind"] in DISCLOSED_ACTIONS and a.get("reason")})
    return Subjects(
        name=case_id,
        source=f"case {case_id} ({snap.source_kind} {snap.source_ref})",
        draft=False,
        run_id=snap.run_id,
        network_ids=sorted({c.network_id for c in chosen if c.network_id}),
        subjects=chosen,
        case_id=case_id,
        extra={"held_back": held_back, "action_reasons": reasons, "case_title": snap.title, "assets": assets},
    )


def _detectors(ws: Workspace, run_id: str, account_ids: list[str]) -> dict[str, list[str]]:
    """For each account, the detectors whose calibrated edges link it to another account (its evidence class)."""
    e = ws.engine
    out: dict[str, list[str]] = {}
    with e.scratch("discloseev") as s:
        import pyarrow as pa

        s.register("ids", pa.table({"account_id": pa.array(account_ids, pa.string())}))
        rows = e.sql(
            f"""SELECT account_id, list(DISTINCT detector ORDER BY detector) FROM (
                    SELECT account_a AS account_id, detector FROM edges WHERE run_id = ?
                    UNION ALL SELECT account_b, detector FROM edges WHERE run_id = ?)
                WHERE account_id IN (SELECT account_id FROM {s.ids}) GROUP BY 1""",
            [run_id, run_id],
        ).rows()
        for acc, dets in rows:
            out[acc] = list(dets)
    return out


def describe(subjects: Subjects) -> dict[str, Any]:
    """A JSON-able summary (counts, never account ids)."""
    return {
        "name": subjects.name,
        "source": subjects.source,
        "draft": subjects.draft,
        "case_id": subjects.case_id,
        "run_id": subjects.run_id,
        "networks": subjects.network_ids,
        "accounts": len(subjects.subjects),
        "core": subjects.count("core"),
        "amplifiers": subjects.count("amplifier"),
        "policies": subjects.policies,
        "extra": json.loads(json.dumps(subjects.extra, default=str)),
    }
