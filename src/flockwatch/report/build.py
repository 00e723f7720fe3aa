"""Build the self-contained HTML report of a candidate network.

Consumes a Workspace, the network's account ids and optional extra sections — an attribution assessment
(``{"confidence": ..., "rationale": ..., "evidence": [row dicts]}``) and detection edges
``(account_a, account_b, weight)``; produces one HTML file with inline CSS and inline SVG (no script, no external
request: a Content-Security-Policy forbids any). Sections: overview, activity timeline, hour-of-week heatmap with the
working-hours fingerprint, account creation histogram with burst days, network picture, account signals, top
narratives with lift and their week-by-week change, attribution rationale, method notes.

When no edges are passed, the picture links members that reposted the same post or shared the same URL (plain
counts, labelled as such: detection's calibrated edges are better and should be passed when available).
To add a section: collect its data in :func:`collect_report_data` and add a block to ``templates/report.html.j2``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import igraph as ig
import jinja2

from flockwatch.engine import Engine
from flockwatch.narratives import summarise_narratives
from flockwatch.networks.cluster import seeded_igraph
from flockwatch.report import charts
from flockwatch.signals import compute_signals, working_hours_fingerprint
from flockwatch.signals.base import account_scope, first_row
from flockwatch.signals.working_hours import format_offset

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAX_GRAPH_NODES = 300
#: seed of the picture's community colouring (igraph's multilevel algorithm draws random numbers)
PICTURE_SEED = 7
FACET_TITLES = {
    "hashtag": "Hashtags",
    "domain": "Domains",
    "term": "Terms and phrases",
    "language": "Languages",
    "target": "Accounts targeted (reposted, replied to, mentioned)",
}


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("flockwatch.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def collect_report_data(
    ws: Workspace,
    account_ids: Sequence[str],
    name: str,
    platform: str | None = None,
    attribution: dict[str, Any] | None = None,
    edges: Sequence[tuple[str, str, float]] | None = None,
    top_n: int = 15,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (also useful as JSON)."""
    engine = ws.engine
    ids = list(dict.fromkeys(map(str, account_ids)))
    with account_scope(engine, ids, platform) as scope:
        ov = first_row(
            engine,
            f"SELECT count(*), count(DISTINCT account_id), min(acted_at), max(acted_at) FROM {scope.actions_sql}",
        )
        known = first_row(engine, f"SELECT count(*) FROM {scope.accounts_sql}")[0]
        kinds = engine.sql(f"SELECT kind, count(*) FROM {scope.actions_sql} GROUP BY 1 ORDER BY 2 DESC, 1").rows()
        first, last = ov[2], ov[3]
        span_days = (last - first).days if first and last else 0
        unit = "month" if span_days > 730 else "week" if span_days > 90 else "day"
        timeline = engine.sql(
            f"SELECT date_trunc('{unit}', acted_at)::DATE AS d, count(*) FROM {scope.actions_sql} "
            f"WHERE acted_at IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).rows()
        how = engine.sql(
            f"SELECT isodow(acted_at) - 1, hour(acted_at), count(*) FROM {scope.actions_sql} "
            f"WHERE acted_at IS NOT NULL GROUP BY 1, 2"
        ).rows()
        created = first_row(
            engine,
            f"SELECT min(created_at), max(created_at), count(created_at) FROM accounts a "
            f"JOIN {scope.accounts_sql} s USING (platform, account_id)",
        )
        c_span = (created[1] - created[0]).days if created and created[0] else 0
        c_unit = "month" if c_span > 730 else "week" if c_span > 90 else "day"
        creation = engine.sql(
            f"SELECT date_trunc('{c_unit}', created_at)::DATE, count(*) FROM accounts a "
            f"JOIN {scope.accounts_sql} s USING (platform, account_id) WHERE created_at IS NOT NULL "
            f"GROUP BY 1 ORDER BY 1"
        ).rows()
        fallback_edges = None if edges is not None else _shared_target_edges(engine, scope.actions_sql)
    fp = working_hours_fingerprint(ws, ids, platform)
    signals = compute_signals(
        ws,
        ids,
        platform,
        families=[
            "creation_burst",
            "name_template",
            "profile_reuse",
            "automation_cadence",
            "language_location",
            "infrastructure",
        ],
    )
    narratives = summarise_narratives(ws, ids, platform, top_n=top_n, weekly_top_n=5)

    matrix = [[0.0] * 24 for _ in range(7)]
    for d, h, n in how:
        matrix[int(d)][int(h)] = float(n)
    local_axis = None
    if fp.utc_offset_h is not None:
        local_axis = [f"{(h + fp.utc_offset_h) % 24:02d}" for h in range(24)]

    graph_edges = [(str(a), str(b), float(w)) for a, b, w in (edges if edges is not None else fallback_edges)]
    graph = _graph_section(ids, graph_edges, edges is None)

    weekly = narratives.weekly.to_pylist()
    weeks = sorted({r["week"] for r in weekly})[-8:]
    weekly_tables = {
        facet: {w: [r for r in weekly if r["facet"] == facet and r["week"] == w] for w in weeks}
        for facet in ("hashtag", "term", "domain", "target")
    }
    return {
        "name": name,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform,
        "overview": {
            "accounts_listed": len(ids),
            "accounts_known": int(known or 0),
            "accounts_active": int(ov[1] or 0),
            "actions": int(ov[0] or 0),
            "first_action_at": _iso(first),
            "last_action_at": _iso(last),
            "kinds": [(k, int(n)) for k, n in kinds],
        },
        "timeline": {
            "unit": unit,
            "svg": charts.bar_chart(
                [_label(d, unit) for d, _ in timeline], [n for _, n in timeline], f"actions per {unit}"
            ),
        },
        "heatmap": {
            "svg": charts.heatmap(
                matrix,
                "actions by hour of week (UTC)",
                second_axis=local_axis,
                second_axis_title=f"local hour at {fp.reading}" if local_axis else "",
            )
        },
        "fingerprint": fp.to_dict(),
        "creation": {
            "unit": c_unit,
            "accounts_with_date": int(created[2] or 0) if created else 0,
            "svg": charts.bar_chart(
                [_label(d, c_unit) for d, _ in creation],
                [n for _, n in creation],
                f"accounts created per {c_unit}",
                color="#d9480f",
            ),
            "bursts": _burst_days(signals),
        },
        "graph": graph,
        "signals": _signal_summary(signals),
        "narratives": {
            "network_actions": narratives.network_actions,
            "background_actions": narratives.background_actions,
            "facets": [(f, FACET_TITLES[f], narratives.top_items(f)) for f in narratives.facets],
            "weeks": weeks,
            "weekly": weekly_tables,
            "weekly_rows": {
                f: max((len(v) for v in by_week.values()), default=0) for f, by_week in weekly_tables.items()
            },
        },
        "attribution": _attribution(attribution),
    }


def build_report(ws: Workspace, account_ids: Sequence[str], name: str, **kwargs: Any) -> str:
    """The report as an HTML string (see :func:`collect_report_data` for the arguments)."""
    data = collect_report_data(ws, account_ids, name, **kwargs)
    return _env().get_template("report.html.j2").render(d=data, csp=CSP, fmt_offset=format_offset)


def write_report(ws: Workspace, account_ids: Sequence[str], out: str | Path, name: str, **kwargs: Any) -> Path:
    """Write the report to ``out`` (parents created) and return the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(ws, account_ids, name, **kwargs), encoding="utf-8")
    return path


# -- sections ---------------------------------------------------------------------------------------------------
def _shared_target_edges(
    engine: Engine, actions_sql: str, max_actors_per_target: int = 50, max_edges: int = 3000
) -> list[tuple[str, str, float]]:
    # targets shared by very many members would add a clique of n² plain edges: they say "everyone" and nothing
    # about structure, so they are left out (max_actors_per_target)
    rows = engine.sql(
        f"""
        WITH t AS (
          SELECT DISTINCT account_id, 'post:' || target_action_id AS target FROM {actions_sql}
          WHERE target_action_id IS NOT NULL AND kind IN ('repost', 'quote', 'share')
          UNION
          SELECT DISTINCT a.account_id, 'url:' || u.url
          FROM {actions_sql} a JOIN action_urls u USING (platform, action_id)
        ), ok AS (SELECT target FROM t GROUP BY target HAVING count(*) BETWEEN 2 AND {int(max_actors_per_target)})
        SELECT a.account_id, b.account_id, count(*) AS w
        FROM t a JOIN t b ON a.target = b.target AND a.account_id < b.account_id
        WHERE a.target IN (SELECT target FROM ok)
        GROUP BY 1, 2 ORDER BY w DESC, 1, 2 LIMIT {int(max_edges)}
        """
    ).rows()
    return [(a, b, float(w)) for a, b, w in rows]


def _graph_section(ids: list[str], edges: list[tuple[str, str, float]], fallback: bool) -> dict[str, Any]:
    members = set(ids)
    edges = [e for e in edges if e[0] in members and e[1] in members]
    strength: dict[str, float] = {}
    for a, b, w in edges:
        strength[a] = strength.get(a, 0.0) + w
        strength[b] = strength.get(b, 0.0) + w
    nodes = sorted(strength, key=lambda n: (-strength[n], n))[:MAX_GRAPH_NODES]
    keep = set(nodes)
    # in key order and with seeded random numbers: the same network gets the same picture and colours every time
    shown = sorted(e for e in edges if e[0] in keep and e[1] in keep)
    groups: dict[str, int] = {}
    if shown:
        idx = {n: i for i, n in enumerate(nodes)}
        g = ig.Graph(n=len(nodes), edges=[(idx[a], idx[b]) for a, b, _ in shown])
        with seeded_igraph(PICTURE_SEED):
            parts = g.community_multilevel(weights=[w for *_, w in shown])
        # colour the largest communities first so the palette's strongest colours go to the biggest groups (equal
        # sizes: the one holding the strongest node first)
        order = sorted(range(len(parts)), key=lambda k: (-len(parts[k]), min(parts[k])))
        rank = {k: r for r, k in enumerate(order)}
        groups = {nodes[v]: rank[k] for k, members_k in enumerate(parts) for v in members_k}
    return {
        "svg": charts.network_picture(nodes, shown, "network picture", groups=groups) if nodes else None,
        "nodes_shown": len(nodes),
        "edges_shown": len(shown),
        "isolated": len(members - set(strength)),
        "source": "shared reposted posts and URLs (plain counts)" if fallback else "detection edges",
        "communities": len(set(groups.values())) if groups else 0,
    }


def _signal_summary(signals) -> list[dict[str, Any]]:
    rows = signals.to_pylist()
    out = []
    for name in sorted({r["signal"] for r in rows}):
        rs = sorted((r for r in rows if r["signal"] == name), key=lambda r: -r["value"])
        strong = [r for r in rs if r["value"] >= 0.5]
        out.append(
            {
                "signal": name,
                "accounts": len(rs),
                "strong": len(strong),
                "mean": sum(r["value"] for r in rs) / len(rs),
                "examples": [
                    {"account_id": r["account_id"], "value": r["value"], "evidence": _short_evidence(r["evidence"])}
                    for r in rs[:3]
                ],
            }
        )
    return out


def _burst_days(signals) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for r in signals.to_pylist():
        if r["signal"] != "creation_burst":
            continue
        e = json.loads(r["evidence"])
        days[e["created_on"]] = {**e, "value": r["value"]}
    return sorted(days.values(), key=lambda e: (-e["scope_accounts_created_that_day"], e["created_on"]))[:8]


def _short_evidence(evidence: str, limit: int = 160) -> str:
    try:
        e = json.loads(evidence)
    except (TypeError, ValueError):
        return str(evidence)[:limit]
    text = ", ".join(f"{k}={v}" for k, v in e.items() if v is not None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attribution(att: dict[str, Any] | None) -> dict[str, Any] | None:
    if not att:
        return None
    evidence = list(att.get("evidence") or [])
    cols: list[str] = []
    for row in evidence:
        for k in row if isinstance(row, dict) else {}:
            if k not in cols:
                cols.append(k)
    return {
        "confidence": str(att.get("confidence", "not stated")),
        "rationale": str(att.get("rationale", "")),
        "what_would_change_it": att.get("what_would_change_it"),
        "columns": cols,
        "rows": [[_cell(r.get(c)) for c in cols] for r in evidence if isinstance(r, dict)],
        "extra": {
            k: v for k, v in att.items() if k not in {"confidence", "rationale", "evidence", "what_would_change_it"}
        },
    }


def _cell(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return "" if v is None else str(v)


def _iso(t: dt.datetime | None) -> str | None:
    return t.strftime("%Y-%m-%d %H:%M") if t else None


def _label(d: dt.date, unit: str) -> str:
    return d.strftime("%Y-%m") if unit == "month" else d.strftime("%Y-%m-%d")
