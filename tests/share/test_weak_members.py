"""A tip names only the members that carry a network's verdict: a member marked ``weakly_linked`` (no own evidence,
tied only through ordinary popular content) is not sent to peers, for a network or an operation."""

from __future__ import annotations

from flockwatch.core.runs import WEAKLY_LINKED, latest_run
from flockwatch.share import subjects
from flockwatch.workspace import Workspace

import tip_scenario as sc


def test_weakly_linked_members_are_not_named_in_a_tip():
    ws = Workspace.memory()
    try:
        sc.build_sender(ws)
        e = ws.engine
        rid = latest_run(e)
        before = subjects.from_network(ws, "N0001").members
        weak = before[0]
        e.sql(
            "UPDATE network_members SET assessment = ? WHERE run_id = ? AND network_id = 'N0001' AND account_id = ?",
            [WEAKLY_LINKED, rid, weak],
        )
        after = subjects.from_network(ws, "N0001").members
        assert after == [m for m in before if m != weak] and len(after) == len(before) - 1
        op = e.sql("SELECT operation_id FROM operation_networks WHERE run_id = ? AND network_id = 'N0001'", [rid])
        op_id = op.scalar()
        if op_id is not None:  # the network belongs to a candidate operation: its tip leaves the member out too
            assert weak not in subjects.from_operation(ws, op_id).members
    finally:
        ws.close()
