"""Which accounts a report is about: a network id resolved to its members, or an account list from a file.

Consumes a network reference (``N0001`` of the latest run, or ``<run_id>/N0001``) and either a resolver function or
the workspace's detection tables; or a text file with one account id per line.
Produces a list of account ids. Raises :class:`~flockwatch.errors.ValidationError` when nothing resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flockwatch.accountlist import read_account_file  # noqa: F401  (re-exported)
from flockwatch.core import runs

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

Resolver = Callable[[str], list[str] | None]


def resolve_network(ws: Workspace, network_id: str, resolver: Resolver | None = None) -> list[str]:
    """Members of ``network_id``: from ``resolver`` when given, else that network of the latest finished detection
    run (or of the run named as ``<run_id>/<network_id>``; core.runs' definition)."""
    engine = ws.engine
    if resolver is not None:
        members = resolver(network_id)
        if members:
            return sorted(set(members))
    return runs.network_members(engine, network_id)[2]


def stored_network_edges(ws: Workspace, network_id: str) -> list[tuple[str, str, float]] | None:
    """Detection's fused edges between members of ``network_id`` (same run), or None when none are stored."""
    engine = ws.engine
    run, nid = runs.resolve_network(engine, network_id)
    rows = engine.sql(
        """
        WITH m AS (SELECT DISTINCT account_id FROM network_members WHERE network_id = ? AND run_id = ?)
        SELECT e.account_a, e.account_b, e.weight FROM fused_edges e
        WHERE e.run_id = ? AND e.account_a IN (SELECT account_id FROM m) AND e.account_b IN (SELECT account_id FROM m)
        ORDER BY e.weight DESC, e.account_a, e.account_b LIMIT 5000
        """,
        [nid, run, run],
    ).rows()
    return [(a, b, float(w)) for a, b, w in rows] or None
