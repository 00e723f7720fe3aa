"""Export candidate networks: member lists (CSV/Parquet), networks table, and graphs for Gephi (GraphML, GEXF).

Consumes a workspace with built networks; produces files. ``export_members`` writes one row per (network, account):
``network_id, account_id, network_score, account_score, joined_by`` (``cluster``, ``attach`` or ``grow``),
``platform`` and ``assessment`` (the member's inauthenticity verdict, ``networks/assessment.py``) with account ids
exactly as in the source data, flagged networks only unless ``include_all`` (coordinated networks assessed
``coordinated_authentic`` are never flagged). ``export_edges`` writes one row per detector edge: ``account_a,
account_b, detector, weight`` (``-log10 p``), then its p- and q-value, counts, expectation and time span.
``export_operations`` writes
one row per (candidate operation, network, account): ``operation_id, network_id, account_id, account_score,
joined_by, assessment``. Graphs carry the fused edge
weight, the detectors that fired and the network of each node; GraphML is written by igraph, GEXF 1.3 by hand
(igraph has no GEXF writer).
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import igraph as ig

from flockwatch.core import runs
from flockwatch.errors import UnknownNameError
from flockwatch.workspace import Workspace


def _members_sql(include_all: bool, joined_by: bool = False, one_network: bool = False) -> str:
    flag = "" if include_all else f" AND {runs.flagged_member_sql('m', 'n')}"
    if one_network:
        flag += " AND m.network_id = ?"
    how = (
        ", coalesce(m.joined_by, 'cluster') AS joined_by, p.platform, coalesce(m.assessment, n.assessment) AS assessment"
        if joined_by
        else ", coalesce(m.assessment, n.assessment, '') AS assessment"
    )
    # the platform of each member: from its profile, else from its actions (archives hold actions of accounts whose
    # profile is missing)
    plat = (
        """ LEFT JOIN (SELECT account_id, min(platform) AS platform FROM (
    SELECT account_id, platform FROM accounts UNION ALL SELECT account_id, platform FROM actions) GROUP BY 1) p
  ON p.account_id = m.account_id"""
        if joined_by
        else ""
    )
    return f"""SELECT m.network_id, m.account_id, n.score AS network_score, m.account_score{how}
FROM network_members m JOIN networks n ON n.run_id = m.run_id AND n.network_id = m.network_id{plat}
WHERE m.run_id = ?{flag} ORDER BY m.network_id, m.account_score DESC, m.account_id"""


def export_members(
    ws: Workspace, path: str | Path, run_id: str | None = None, include_all: bool = False, fmt: str | None = None
) -> Path:
    rid = runs.resolve_run(ws.engine, run_id)
    out = Path(path)
    fmt = fmt or ("parquet" if out.suffix == ".parquet" else "csv")
    writers = {"csv": ws.engine.to_csv, "parquet": ws.engine.to_parquet}
    if fmt not in writers:
        raise UnknownNameError("export format", fmt, list(writers))
    return writers[fmt](_members_sql(include_all, joined_by=True), out, [rid])


#: Columns of an edge export: the first four are the interface scripts rely on (weight = -log10 p).
EDGE_EXPORT_COLUMNS = (
    "account_a",
    "account_b",
    "detector",
    "weight",
    "p_value",
    "q_value",
    "co_actions_count",
    "episodes_count",
    "expected_count",
    "first_at",
    "last_at",
)


def export_edges(ws: Workspace, path: str | Path, run_id: str | None = None) -> Path:
    """One row per detector edge of the run (``account_a < account_b``), sorted; CSV or Parquet by suffix."""
    rid = runs.resolve_run(ws.engine, run_id)
    out = Path(path)
    sql = f"SELECT {', '.join(EDGE_EXPORT_COLUMNS)} FROM edges WHERE run_id = ? ORDER BY detector, account_a, account_b"
    return (ws.engine.to_parquet if out.suffix == ".parquet" else ws.engine.to_csv)(sql, out, [rid])


def export_networks(ws: Workspace, path: str | Path, run_id: str | None = None, include_all: bool = False) -> Path:
    rid = runs.resolve_run(ws.engine, run_id)
    out = Path(path)
    flag = "" if include_all else " AND flagged"
    sql = (
        f"SELECT network_id, size, score, flagged, density, signals, first_at, last_at, top_targets_json, "
        f"explanation, assessment, inauthenticity, priority, assessment_json FROM networks WHERE run_id = ?{flag} ORDER BY network_id"
    )
    return (ws.engine.to_parquet if out.suffix == ".parquet" else ws.engine.to_csv)(sql, out, [rid])


def export_operations(ws: Workspace, path: str | Path, run_id: str | None = None) -> Path:
    """Members of the run's candidate operations, one row per (operation_id, network_id, account_id); CSV or Parquet
    by suffix. Runs built before operations existed are grouped on the fly (see ``load_operations``)."""
    import pyarrow as pa

    from flockwatch.networks.operations import load_operations

    rid = runs.resolve_run(ws.engine, run_id)
    out = Path(path)
    ops = load_operations(ws, rid)
    pairs = [(op.operation_id, nid) for op in ops for nid in op.network_ids]
    with ws.engine.scratch("export") as s:
        ops_t = s.register(
            "ops",
            pa.table(
                {
                    "operation_id": pa.array([p[0] for p in pairs], pa.string()),
                    "network_id": pa.array([p[1] for p in pairs], pa.string()),
                }
            ),
        )
        sql = f"""SELECT o.operation_id, m.network_id, m.account_id, m.account_score,
                         coalesce(m.joined_by, 'cluster') AS joined_by, m.assessment
                  FROM network_members m JOIN {ops_t} o USING (network_id)
                  WHERE m.run_id = ? ORDER BY o.operation_id, m.network_id, m.account_id"""
        return (ws.engine.to_parquet if out.suffix == ".parquet" else ws.engine.to_csv)(sql, out, [rid])


def _graph(ws: Workspace, rid: str, include_all: bool) -> ig.Graph:
    members = ws.engine.sql(_members_sql(include_all), [rid]).rows()
    net_of = {acc: (nid, ns, acs, verdict) for nid, acc, ns, acs, verdict in members}
    edges = [
        r
        for r in ws.engine.sql(
            # in key order: a graph file of the same run reads the same every time it is written (edge ids)
            "SELECT account_a, account_b, weight, score, detectors FROM fused_edges WHERE run_id = ? "
            "ORDER BY account_a, account_b",
            [rid],
        ).rows()
        if r[0] in net_of and r[1] in net_of
    ]
    names = sorted(net_of)
    index = {n: i for i, n in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b, *_ in edges], directed=False)
    g.vs["name"] = names
    g.vs["network_id"] = [net_of[n][0] for n in names]
    g.vs["network_score"] = [float(net_of[n][1]) for n in names]
    g.vs["account_score"] = [float(net_of[n][2]) for n in names]
    g.vs["assessment"] = [net_of[n][3] for n in names]
    g.es["weight"] = [float(r[2]) for r in edges]
    g.es["score"] = [float(r[3]) for r in edges]
    g.es["detectors"] = [r[4] for r in edges]
    return g


def export_graph(
    ws: Workspace, path: str | Path, run_id: str | None = None, include_all: bool = False, fmt: str | None = None
) -> Path:
    """Write the fused graph of (flagged) network members as GraphML or GEXF (by suffix unless ``fmt``)."""
    rid = runs.resolve_run(ws.engine, run_id)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = fmt or out.suffix.lstrip(".").lower()
    g = _graph(ws, rid, include_all)
    if fmt == "graphml":
        g.write_graphml(str(out))
    elif fmt == "gexf":
        _write_gexf(g, out)
    else:
        raise UnknownNameError("graph format", fmt, ["gexf", "graphml"])
    return out


def _write_gexf(g: ig.Graph, out: Path) -> None:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
        '<graph defaultedgetype="undirected">',
        '<attributes class="node"><attribute id="0" title="network_id" type="string"/>'
        '<attribute id="1" title="network_score" type="double"/>'
        '<attribute id="2" title="account_score" type="double"/>'
        '<attribute id="3" title="assessment" type="string"/></attributes>',
        '<attributes class="edge"><attribute id="0" title="detectors" type="string"/>'
        '<attribute id="1" title="score" type="double"/></attributes>',
        "<nodes>",
    ]
    for v in g.vs:
        lines.append(
            f"<node id={quoteattr(v['name'])} label={quoteattr(v['name'])}><attvalues>"
            f'<attvalue for="0" value={quoteattr(v["network_id"])}/>'
            f'<attvalue for="1" value="{v["network_score"]}"/>'
            f'<attvalue for="2" value="{v["account_score"]}"/>'
            f'<attvalue for="3" value={quoteattr(v["assessment"])}/></attvalues></node>'
        )
    lines.append("</nodes><edges>")
    for i, edge in enumerate(g.es):
        s, t = g.vs[edge.source]["name"], g.vs[edge.target]["name"]
        lines.append(
            f'<edge id="{i}" source={quoteattr(s)} target={quoteattr(t)} weight="{edge["weight"]}">'
            f'<attvalues><attvalue for="0" value={quoteattr(edge["detectors"])}/>'
            f'<attvalue for="1" value="{edge["score"]}"/></attvalues></edge>'
        )
    lines.append("</edges></graph></gexf>")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def export_network(ws: Workspace, ref: str, path: str | Path, fmt: str | None = None) -> Path:
    """One network (``N0001`` of the latest run or ``<run>/N0001``): its members as CSV/Parquet (``network_id,
    account_id, network_score, account_score, joined_by``) or its fused graph as GraphML/GEXF, by suffix unless
    ``fmt``."""
    rid, nid = runs.resolve_network(ws.engine, ref)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt in ("csv", "parquet"):
        sql = _members_sql(True, joined_by=True, one_network=True)
        writer = ws.engine.to_csv if fmt == "csv" else ws.engine.to_parquet
        return writer(sql, out, [rid, nid])
    if fmt not in ("graphml", "gexf"):
        raise UnknownNameError("network export format", fmt, ["csv", "gexf", "graphml", "parquet"])
    g = _graph(ws, rid, True)
    g = g.induced_subgraph([v.index for v in g.vs if v["network_id"] == nid])
    if fmt == "graphml":
        g.write_graphml(str(out))
    else:
        _write_gexf(g, out)
    return out
