"""`flockwatch networks`: list, show, explain and export candidate networks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import ValidationError
from flockwatch.networks import (
    build_networks,
    build_operations,
    explain_member,
    explain_pair,
    export_edges,
    export_graph,
    export_members,
    export_networks,
    export_operations,
    load_networks,
    load_operations,
)
from flockwatch.networks.build import DEFAULT_MIN_SCORE, DEFAULT_MIN_SIZE
from flockwatch.networks.cluster import DEFAULT_RESOLUTION
from flockwatch.networks.grow import DEFAULT_GROW_MIN_SCORE
from flockwatch.networks.operations import DEFAULT_FDR as DEFAULT_OPERATIONS_FDR
from flockwatch.networks.operations import Operation

networks_app = typer.Typer(help="Candidate networks of a detection run.", no_args_is_help=True)

RunOpt = Annotated[str | None, typer.Option("--run", help="Detection run id (default: the latest).")]
GrowOpt = Annotated[
    bool,
    typer.Option(
        "--grow/--no-grow",
        help="Add low-activity accounts tied to flagged members (seed-anchored expansion from all flagged members).",
    ),
]
GrowMinScoreOpt = Annotated[
    float,
    typer.Option(
        "--grow-min-score",
        help="Calibrated expansion score an account needs to be added by growth (estimated precision at that cut).",
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Include networks below the flagging threshold.")]


def register(app: typer.Typer) -> None:
    app.add_typer(networks_app, name="networks")


@networks_app.command("list")
def list_(
    workspace: WorkspaceOpt, run: RunOpt = None, all_: AllOpt = False, limit: int = 20, json_: JsonOpt = False
) -> None:
    """List candidate networks in queue order (flagged first, by priority), with their inauthenticity assessment.

    Coordinated networks assessed coordinated_authentic (genuine people acting together) are listed, not flagged.

    Example: flockwatch networks list --workspace cases/hk2019
    """
    with open_workspace(workspace, read_only=True) as ws:
        nets = load_networks(ws, run, flagged_only=False)
    if not all_:
        nets = [n for n in nets if n.flagged or n.coordinated]
    if json_:
        per_member = (
            "members",
            "account_scores",
            "timeline",
            "joined_by",
            "member_evidence",
            "member_assessment",
            "member_indicators",
        )
        print_json([{k: v for k, v in n.to_dict().items() if k not in per_member} for n in nets[:limit]])
        return
    t = Table(title="candidate networks")
    for c in ("network", "size", "score", "flagged", "assessment", "priority", "signals", "first", "last"):
        t.add_column(c)
    for n in nets[:limit]:
        t.add_row(
            n.network_id,
            str(n.size),
            f"{n.score:.2f}",
            "yes" if n.flagged else "no",
            n.assessment.replace("_", " ") or "-",
            f"{n.priority:.2f}",
            ", ".join(n.signals),
            str(n.first_at or ""),
            str(n.last_at or ""),
        )
    console.print(t)


@networks_app.command("show")
def show(
    network_id: Annotated[str, typer.Argument(help="Network id, e.g. N0001.")],
    workspace: WorkspaceOpt,
    run: RunOpt = None,
    evidence: int = 3,
    json_: JsonOpt = False,
) -> None:
    """Show one candidate network with its members, signals, targets, timeline and sample evidence.

    Example: flockwatch networks show N0001 --workspace cases/hk2019
    """
    with open_workspace(workspace, read_only=True) as ws:
        nets = {n.network_id: n for n in load_networks(ws, run)}
        if network_id not in nets:
            raise ValidationError(f"no network {network_id!r}; see `flockwatch networks list --all`")
        net = nets[network_id]
        top = sorted(net.account_scores, key=lambda m: -net.account_scores[m])[:2]
        pair = explain_pair(ws, top[0], top[1], net.run_id, evidence) if len(top) == 2 else None
    if json_:
        print_json({**net.to_dict(), "example_pair": pair})
        return
    console.print(f"[bold]{net.network_id}[/] {net.explanation}", highlight=False)
    t = Table(title="members (by account score)")
    t.add_column("account")
    t.add_column("account score", justify="right")
    t.add_column("joined by")
    for m in sorted(net.members, key=lambda m: -net.account_scores[m])[:50]:
        t.add_row(m, f"{net.account_scores[m]:.2f}", net.joined_by.get(m, "cluster"))
    console.print(t)
    rows = net.assessment_detail.get("evidence", [])
    if rows:
        a = Table(title=f"inauthenticity assessment: {net.assessment.replace('_', ' ')} (priority {net.priority:.2f})")
        for c in ("family", "members showing", "with data", "share", "background", "lift", "p", "supports"):
            a.add_column(c, justify="left" if c == "family" else "right")
        for r in rows:
            a.add_row(
                r["family"],
                str(r["members_showing"]),
                str(r["members_with_data"]),
                f"{r['share']:.2f}",
                f"{r['background_share']:.3f}",
                f"{r['lift']:.1f}",
                f"{r['p_value']:.1e}",
                "yes" if r["supports"] else "no",
            )
        console.print(a)
    grown = sorted((m for m, how in net.joined_by.items() if how == "grow"), key=lambda m: -net.account_scores[m])
    if grown:
        console.print(f"{len(grown)} member(s) added by growth; for example:", highlight=False)
        for m in grown[:evidence]:
            ev = net.member_evidence.get(m, {})
            ids = [x["action_id"] for x in ev.get("co_action", {}).get("examples", [])][:3]
            ids += ev.get("amplification", {}).get("action_ids", [])[:3]
            ids = list(dict.fromkeys(ids))
            prefixes = ev.get("infrastructure", {}).get("shared_prefixes", [])[:3]
            console.print(
                f"    {m}: score {net.account_scores[m]:.2f}; linked members "
                f"{', '.join(ev.get('linked_accounts', [])[:3]) or '-'}; actions {', '.join(ids) or '-'}; "
                f"shared prefixes {', '.join(prefixes) or '-'} (`flockwatch networks explain {m}`)",
                highlight=False,
            )
    for target in net.top_targets:
        console.print(
            f"  shared target [{target['detector']}] {target['target'][:100]!r}: {target['co_actions']} co-actions",
            highlight=False,
        )
    if pair:
        console.print(pair["explanation"], highlight=False)
        for ev in pair["evidence"]:
            console.print(
                f"    {ev['detector']}: {ev['action_id_a']} / {ev['action_id_b']} "
                f"{ev['dt_s']:+.0f} s on {str(ev['target'])[:60]!r}",
                highlight=False,
            )


@networks_app.command("explain")
def explain(
    account_a: str,
    workspace: WorkspaceOpt,
    account_b: Annotated[
        str | None, typer.Argument(help="Second account; omit to explain why ACCOUNT_A is a member of its network.")
    ] = None,
    run: RunOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Explain why two accounts are linked (observed vs expected co-actions per signal, with evidence), or with one
    account, how it joined its candidate network (e.g. added by growth, with the evidence that added it).

    Example: flockwatch networks explain 123 456 --workspace cases/hk2019
    """
    with open_workspace(workspace, read_only=True) as ws:
        if account_b is None:
            result = explain_member(ws, account_a, run)
        else:
            result = explain_pair(ws, account_a, account_b, run)
    if json_:
        print_json(result)
        return
    console.print(result["explanation"], highlight=False)
    if account_b is None:
        return
    for ev in result["evidence"]:
        console.print(
            f"  {ev['detector']}: {ev['action_id_a']} / {ev['action_id_b']} {ev['dt_s']:+.0f} s", highlight=False
        )


@networks_app.command("build")
def build(
    workspace: WorkspaceOpt,
    run: RunOpt = None,
    resolution: float = DEFAULT_RESOLUTION,
    min_size: int = DEFAULT_MIN_SIZE,
    min_score: float = DEFAULT_MIN_SCORE,
    grow: GrowOpt = True,
    grow_min_score: GrowMinScoreOpt = DEFAULT_GROW_MIN_SCORE,
    json_: JsonOpt = False,
) -> None:
    """Re-cluster a run's edges with other parameters (replaces its stored networks).

    Example: flockwatch networks build --workspace cases/hk2019 --resolution 0.1
    """
    with open_workspace(workspace) as ws:
        nets = build_networks(
            ws,
            run,
            resolution=resolution,
            min_size=min_size,
            min_score=min_score,
            grow=grow,
            grow_min_score=grow_min_score,
        )
        ops = load_operations(ws, nets[0].run_id if nets else run, compute_missing=False)
    summary = {
        "networks": len(nets),
        "flagged": sum(n.flagged for n in nets),
        "grown_members": sum(1 for n in nets for how in n.joined_by.values() if how == "grow"),
        "operations": len(ops),
        "largest_operation_members": max((o.n_members for o in ops), default=0),
    }
    print_json(summary) if json_ else console.print(
        f"{summary['networks']} networks, {summary['flagged']} flagged, {summary['grown_members']} members added by "
        f"growth; {summary['operations']} candidate operation(s), the largest with "
        f"{summary['largest_operation_members']} accounts"
    )


@networks_app.command("export")
def export(
    workspace: WorkspaceOpt,
    members: Annotated[Path | None, typer.Option(help="CSV/Parquet: network_id, account_id, scores.")] = None,
    networks: Annotated[Path | None, typer.Option(help="CSV/Parquet: one row per network.")] = None,
    graph: Annotated[Path | None, typer.Option(help="Graph for Gephi: .graphml or .gexf.")] = None,
    edges: Annotated[
        Path | None,
        typer.Option(help="CSV/Parquet: one row per detector edge: account_a, account_b, detector, weight (-log10 p)."),
    ] = None,
    operations: Annotated[
        Path | None, typer.Option(help="CSV/Parquet: one row per (candidate operation, network, account).")
    ] = None,
    run: RunOpt = None,
    all_: AllOpt = False,
) -> None:
    """Export flagged candidate networks (all with --all): members, networks table, graph and/or the members of
    candidate operations.

    Example: flockwatch networks export --workspace cases/hk2019 --members members.csv --graph networks.gexf

    Example: flockwatch networks export --workspace cases/hk2019 --edges edges.csv --run RUN_ID
    """
    if not (members or networks or graph or operations or edges):
        raise ValidationError("nothing to export: give --members, --networks, --graph, --edges and/or --operations")
    with open_workspace(workspace, read_only=True) as ws:
        written = []
        if members:
            written.append(export_members(ws, members, run, include_all=all_))
        if networks:
            written.append(export_networks(ws, networks, run, include_all=all_))
        if graph:
            written.append(export_graph(ws, graph, run, include_all=all_))
        if operations:
            written.append(export_operations(ws, operations, run))
        if edges:
            written.append(export_edges(ws, edges, run))
    for p in written:
        console.print(f"wrote {p}")


@networks_app.command("operations")
def operations(
    workspace: WorkspaceOpt,
    run: RunOpt = None,
    show: Annotated[
        str | None,
        typer.Option(
            "--show",
            help="Show one candidate operation, e.g. O0001: its networks and its strongest ties with their evidence.",
        ),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Group the stored networks again (with --fdr) and store the result.")
    ] = False,
    fdr: Annotated[
        float, typer.Option("--fdr", help="False-discovery rate of the ties between networks (with --rebuild).")
    ] = DEFAULT_OPERATIONS_FDR,
    limit: Annotated[int, typer.Option(help="Operations to list, or ties to show with --show.")] = 20,
    json_: JsonOpt = False,
) -> None:
    """List candidate operations: flagged networks grouped by ties that are unlikely for unrelated groups.

    Example: flockwatch networks operations --workspace cases/hk2019 --show O0001
    """
    with open_workspace(workspace, read_only=not rebuild) as ws:
        ops = build_operations(ws, run, fdr=fdr) if rebuild else load_operations(ws, run)
    if show is not None:
        by_id = {o.operation_id: o for o in ops}
        if show not in by_id:
            raise ValidationError(f"no candidate operation {show!r}; see `flockwatch networks operations`")
        _show_operation(by_id[show], limit, json_)
        return
    if json_:
        print_json([o.to_dict(links=False) for o in ops[:limit]])
        return
    t = Table(title=f"candidate operations ({len(ops)})")
    for c in ("id", "networks", "members", "score", "ties between networks", "span (UTC)"):
        t.add_column(
            c, justify="right" if c in ("networks", "members", "score") else "left", no_wrap=c in ("id", "span (UTC)")
        )
    short = {"co_action_links": "links", "shared_amplifiers": "amplifiers", "shared_infrastructure": "infra"}
    for o in ops[:limit]:
        span = f"{o.first_at:%Y-%m-%d}..{o.last_at:%Y-%m-%d}" if o.first_at and o.last_at else ""
        t.add_row(
            o.operation_id,
            str(o.n_networks),
            str(o.n_members),
            f"{o.score:.2f}",
            ", ".join(f"{short.get(k, k)} {v}" for k, v in o.signals.get("ties", {}).items()) or "-",
            span,
        )
    console.print(t)
    if len(ops) > limit:
        console.print(f"... {len(ops) - limit} more (--limit)", highlight=False)


def _show_operation(op: Operation, limit: int, json_: bool) -> None:
    if json_:
        print_json(
            {**op.to_dict(links=False), "links": [x.to_dict() for x in op.links[:limit]], "links_total": len(op.links)}
        )
        return
    console.print(f"[bold]{op.operation_id}[/] {op.explanation()}", highlight=False)
    console.print(f"networks: {', '.join(op.network_ids[:50])}{' ...' if op.n_networks > 50 else ''}", highlight=False)
    if not op.links:
        return
    console.print(f"strongest ties ({min(limit, len(op.links))} of {len(op.links)}):", highlight=False)
    for link in op.links[:limit]:
        console.print(
            f"  {link.network_a} - {link.network_b}: weight {link.weight:.1f} (sum of -log10 p), p {_p(link.p_value)}",
            highlight=False,
        )
        for signal, ev in link.evidence.items():
            mark = "" if ev.get("discovery") else " (not significant alone)"
            examples = ev.get("example_pairs") or ev.get("example_accounts") or ev.get("example_prefixes") or []
            shown = "; ".join(
                f"{x['account_a']} / {x['account_b']}"
                if "account_a" in x
                else x.get("ip_prefix", "")
                if isinstance(x, dict)
                else str(x)
                for x in examples
            )
            console.print(
                f"    {signal}: {ev['observed']} observed where about {ev['expected']:.2g} were expected "
                f"for unrelated groups (p {_p(ev['p_value'])}){mark}; e.g. {shown}",
                highlight=False,
            )


def _p(p_value: float) -> str:
    # p-values below the double range are stored as 0; say so rather than print an impossible certainty
    return "< 1e-300" if p_value <= 0 else f"= {p_value:.2g}"
