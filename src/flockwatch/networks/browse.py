"""Reading one candidate network a page at a time: its members, its strongest links, and a graph small enough to
draw, sampled above a size and saying so.

Consumes a workspace with built networks (``network_members``, ``fused_edges``, ``accounts``) and a run and network
id (already resolved, see ``core.runs``); produces plain dicts. Paging and sampling happen in SQL so that a network of
100,000 amplifiers costs one page. The graph keeps the members with the greatest link strength (sum of fused edge
weights) — the core of the network, which is what an analyst looks at first — and the links among them.
"""

from __future__ import annotations

from typing import Any

from flockwatch.workspace import Workspace

MAX_PAGE = 500
#: above this many members the graph view shows the strongest ones only (and says how many it left out)
MAX_GRAPH_NODES = 300
MAX_GRAPH_EDGES = 3000


def network_members_page(
    ws: Workspace, run_id: str, network_id: str, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """Members by account score (then id), with screen name and how they joined; and the member count."""
    e = ws.engine
    total = int(
        e.sql("SELECT count(*) FROM network_members WHERE run_id = ? AND network_id = ?", [run_id, network_id]).scalar()
        or 0
    )
    rows = e.sql(
        """SELECT m.account_id, m.account_score, coalesce(m.joined_by, 'cluster') AS joined_by,
                  (SELECT any_value(a.screen_name) FROM accounts a WHERE a.account_id = m.account_id) AS screen_name,
                  (SELECT any_value(a.display_name) FROM accounts a WHERE a.account_id = m.account_id) AS display_name
           FROM network_members m WHERE m.run_id = ? AND m.network_id = ?
           ORDER BY m.account_score DESC, m.account_id LIMIT ? OFFSET ?""",
        [run_id, network_id, max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))],
    ).dicts()
    return rows, total


_EDGES = """WITH m AS (SELECT account_id FROM network_members WHERE run_id = ? AND network_id = ?)
            SELECT e.account_a, e.account_b, e.weight, e.score, e.detectors FROM fused_edges e
            WHERE e.run_id = ? AND e.account_a IN (SELECT account_id FROM m) AND e.account_b IN (SELECT account_id FROM m)"""


def network_edges_page(
    ws: Workspace, run_id: str, network_id: str, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """The network's fused links, strongest first, and how many there are."""
    e = ws.engine
    params = [run_id, network_id, run_id]
    total = int(e.sql(f"SELECT count(*) FROM ({_EDGES})", params).scalar() or 0)
    rows = e.sql(
        f"{_EDGES} ORDER BY e.weight DESC, e.account_a, e.account_b LIMIT ? OFFSET ?",
        [*params, max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))],
    ).dicts()
    return rows, total


def network_graph(
    ws: Workspace, run_id: str, network_id: str, max_nodes: int = MAX_GRAPH_NODES, max_edges: int = MAX_GRAPH_EDGES
) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...], "members": n, "links": n, "sampled": bool}`` for drawing.

    Nodes carry ``id``, ``label`` (screen name or id), ``score``, ``joined_by`` and ``strength``; edges ``source``,
    ``target``, ``weight`` and ``detectors``. When the network has more than ``max_nodes`` members (or its kept
    members more than ``max_edges`` links), ``sampled`` is true and the counts say what the picture leaves out."""
    e = ws.engine
    params = [run_id, network_id, run_id]
    links = int(e.sql(f"SELECT count(*) FROM ({_EDGES})", params).scalar() or 0)
    nodes = e.sql(
        f"""WITH ed AS ({_EDGES}),
                 s AS (SELECT account_id, sum(weight) AS strength FROM (
                         SELECT account_a AS account_id, weight FROM ed UNION ALL
                         SELECT account_b, weight FROM ed) GROUP BY 1)
            SELECT m.account_id AS id, m.account_score AS score, coalesce(m.joined_by, 'cluster') AS joined_by,
                   coalesce(s.strength, 0) AS strength,
                   coalesce((SELECT any_value(a.screen_name) FROM accounts a WHERE a.account_id = m.account_id),
                            m.account_id) AS label
            FROM network_members m LEFT JOIN s USING (account_id)
            WHERE m.run_id = ? AND m.network_id = ?
            ORDER BY strength DESC, m.account_score DESC, m.account_id LIMIT ?""",
        [*params, run_id, network_id, int(max_nodes)],
    ).dicts()
    members = int(
        e.sql("SELECT count(*) FROM network_members WHERE run_id = ? AND network_id = ?", [run_id, network_id]).scalar()
        or 0
    )
    keep = {n["id"] for n in nodes}
    edges = []
    for r in e.sql(f"{_EDGES} ORDER BY e.weight DESC, e.account_a, e.account_b", params).rows():
        if r[0] in keep and r[1] in keep:
            edges.append({"source": r[0], "target": r[1], "weight": float(r[2]), "detectors": r[4]})
            if len(edges) >= max_edges:
                break
    return {
        "nodes": nodes,
        "edges": edges,
        "members": members,
        "links": links,
        "sampled": members > len(nodes) or links > len(edges),
    }
