"""Which accounts a report is about: a network id resolved to its members, or an account list from a file.

Consumes a network id and either a resolver function (what detection passes in) or the ``network_members`` table
(columns ``network_id, account_id``) when a workspace has one; or a text file with one account id per line.
Produces a list of account ids. Raises :class:`~flockwatch.errors.ValidationError` when nothing resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flockwatch.engine import Engine
from flockwatch.accountlist import read_account_file  # noqa: F401  (re-exported)
from flockwatch.errors import ValidationError

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

Resolver = Callable[[str], list[str] | None]


def resolve_network(ws: Workspace, network_id: str, resolver: Resolver | None = None) -> list[str]:
    """Members of ``network_id``: from ``resolver`` when given, else from ``network_members`` (the latest
    detection run that holds the id, when the table records runs)."""
    engine = ws.engine
    if resolver is not None:
        members = resolver(network_id)
        if members:
            return sorted(set(members))
    if engine.table_exists("network_members"):
        run = _latest_run(engine, network_id)
        run_filter = "" if run is None else " AND run_id = ?"
        rows = engine.sql(
            f"SELECT DISTINCT account_id FROM network_members WHERE network_id::VARCHAR = ?{run_filter} ORDER BY 1",
            [str(network_id)] + ([run] if run is not None else []),
        ).rows()
        if rows:
            return [r[0] for r in rows]
        raise ValidationError(f"no members found for network {network_id!r} in network_members")
    raise ValidationError(
        f"cannot resolve network {network_id!r}: this workspace has no network_members table yet "
        "(run detection first, or pass the members with --accounts FILE)"
    )


def stored_network_edges(ws: Workspace, network_id: str) -> list[tuple[str, str, float]] | None:
    """Detection's fused edges between members of ``network_id`` (same run), or None when none are stored."""
    engine = ws.engine
    if not (engine.table_exists("fused_edges") and engine.table_exists("network_members")):
        return None
    if not {"run_id", "account_a", "account_b", "weight"} <= set(_columns(engine, "fused_edges")):
        return None
    run = _latest_run(engine, network_id)
    if run is None:
        return None
    rows = engine.sql(
        """
        WITH m AS (SELECT DISTINCT account_id FROM network_members WHERE network_id::VARCHAR = ? AND run_id = ?)
        SELECT e.account_a, e.account_b, e.weight FROM fused_edges e
        WHERE e.run_id = ? AND e.account_a IN (SELECT account_id FROM m) AND e.account_b IN (SELECT account_id FROM m)
        ORDER BY e.weight DESC LIMIT 5000
        """,
        [str(network_id), run, run],
    ).rows()
    return [(a, b, float(w)) for a, b, w in rows] or None


def _columns(engine: Engine, table: str) -> list[str]:
    return [r[0] for r in engine.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main'", [table]
    ).rows()]


def _latest_run(engine: Engine, network_id: str) -> str | None:
    if "run_id" not in _columns(engine, "network_members"):
        return None
    order = "m.run_id DESC"
    join = ""
    if engine.table_exists("detection_runs") and "started_at" in _columns(engine, "detection_runs"):
        join = "LEFT JOIN detection_runs r ON r.run_id = m.run_id"
        order = "r.started_at DESC NULLS LAST, m.run_id DESC"
    rows = engine.sql(
        f"SELECT m.run_id FROM network_members m {join} WHERE m.network_id::VARCHAR = ? ORDER BY {order} LIMIT 1",
        [str(network_id)],
    ).rows()
    return rows[0][0] if rows else None


