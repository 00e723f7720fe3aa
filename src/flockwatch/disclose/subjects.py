"""Who a release discloses: the accounts, their role and the decision taken about each.

Consumes an open workspace and a draft reference — a candidate network (``N0001`` or ``<run>/N0001``) or a
candidate operation (``O001``) — or, once cases exist, a case; produces :class:`Subjects`: the accounts, each with
its role (``core``: clustered into the network; ``amplifier``: attached or grown onto it afterwards), the action
and its status, the evidence class that supports it, and whether the release is a draft.

A draft discloses no decision (none was taken): every output it feeds is watermarked as a draft.
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
    rows = e.sql(
        """SELECT account_id, min(network_id), bool_or(coalesce(joined_by, 'cluster') = 'cluster')
           FROM network_members WHERE run_id = ? AND list_contains(?::VARCHAR[], network_id)
           GROUP BY account_id ORDER BY account_id""",
        [rid, nets],
    ).rows()
    detectors = _detectors(ws, rid, [r[0] for r in rows])
    subjects = [
        Subject(a, "core" if core else "amplifier", nid, detectors=detectors.get(a, [])) for a, nid, core in rows
    ]
    return Subjects(name=name, source=source, draft=True, run_id=rid, network_ids=nets, subjects=subjects)


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
