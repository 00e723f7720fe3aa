"""`flockwatch networks`: list, show, explain and export candidate networks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import ValidationError
from flockwatch.networks import build_networks, explain_member, explain_pair, export_graph, export_members, \
    export_networks, load_networks
from flockwatch.networks.build import DEFAULT_MIN_SCORE, DEFAULT_MIN_SIZE
from flockwatch.networks.cluster import DEFAULT_RESOLUTION
from flockwatch.networks.grow import DEFAULT_GROW_MIN_SCORE

networks_app = typer.Typer(help="Candidate networks of a detection run.", no_args_is_help=True)

RunOpt = Annotated[Optional[str], typer.Option("--run", help="Detection run id (default: the latest).")]
GrowOpt = Annotated[bool, typer.Option("--grow/--no-grow", help="Add low-activity accounts tied to flagged members "
                                       "(seed-anchored expansion from all flagged members).")]
GrowMinScoreOpt = Annotated[float, typer.Option("--grow-min-score", help="Calibrated expansion score an account "
                                                "needs to be added by growth (estimated precision at that cut).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Include networks below the flagging threshold.")]


def register(app: typer.Typer) -> None:
    app.add_typer(networks_app, name="networks")


@networks_app.command("list")
def list_(workspace: WorkspaceOpt, run: RunOpt = None, all_: AllOpt = False, limit: int = 20,
          json_: JsonOpt = False) -> None:
    """List candidate networks, strongest first.

    Example: flockwatch networks list --workspace cases/hk2019
    """
    with open_workspace(workspace, read_only=True) as ws:
        nets = load_networks(ws, run, flagged_only=not all_)
    if json_:
        per_member = ("members", "account_scores", "timeline", "joined_by", "member_evidence")
        print_json([{k: v for k, v in n.to_dict().items() if k not in per_member} for n in nets[:limit]])
        return
    t = Table(title="candidate networks")
    for c in ("network", "size", "score", "flagged", "signals", "first", "last"):
        t.add_column(c)
    for n in nets[:limit]:
        t.add_row(n.network_id, str(n.size), f"{n.score:.2f}", "yes" if n.flagged else "no",
                  ", ".join(n.signals), str(n.first_at or ""), str(n.last_at or ""))
    console.print(t)


@networks_app.command("show")
def show(network_id: Annotated[str, typer.Argument(help="Network id, e.g. N0001.")], workspace: WorkspaceOpt,
         run: RunOpt = None, evidence: int = 3, json_: JsonOpt = False) -> None:
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
    grown = sorted((m for m, how in net.joined_by.items() if how == "grow"), key=lambda m: -net.account_scores[m])
    if grown:
        console.print(f"{len(grown)} member(s) added by growth; for example:", highlight=False)
        for m in grown[:evidence]:
            ev = net.member_evidence.get(m, {})
            ids = [x["action_id"] for x in ev.get("co_action", {}).get("examples", [])][:3]
            ids += ev.get("amplification", {}).get("action_ids", [])[:3]
            ids = list(dict.fromkeys(ids))
            prefixes = ev.get("infrastructure", {}).get("shared_prefixes", [])[:3]
            console.print(f"    {m}: score {net.account_scores[m]:.2f}; linked members "
                          f"{', '.join(ev.get('linked_accounts', [])[:3]) or '-'}; actions {', '.join(ids) or '-'}; "
                          f"shared prefixes {', '.join(prefixes) or '-'} (`flockwatch networks explain {m}`)",
                          highlight=False)
    for target in net.top_targets:
        console.print(f"  shared target [{target['detector']}] {target['target'][:100]!r}: "
                      f"{target['co_actions']} co-actions", highlight=False)
    if pair:
        console.print(pair["explanation"], highlight=False)
        for ev in pair["evidence"]:
            console.print(f"    {ev['detector']}: {ev['action_id_a']} / {ev['action_id_b']} "
                          f"{ev['dt_s']:+.0f} s on {str(ev['target'])[:60]!r}", highlight=False)


@networks_app.command("explain")
def explain(account_a: str, workspace: WorkspaceOpt,
            account_b: Annotated[Optional[str], typer.Argument(help="Second account; omit to explain why "
                                                               "ACCOUNT_A is a member of its network.")] = None,
            run: RunOpt = None, json_: JsonOpt = False) -> None:
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
        console.print(f"  {ev['detector']}: {ev['action_id_a']} / {ev['action_id_b']} {ev['dt_s']:+.0f} s",
                      highlight=False)


@networks_app.command("build")
def build(workspace: WorkspaceOpt, run: RunOpt = None, resolution: float = DEFAULT_RESOLUTION,
          min_size: int = DEFAULT_MIN_SIZE, min_score: float = DEFAULT_MIN_SCORE, grow: GrowOpt = True, grow_min_score: GrowMinScoreOpt = DEFAULT_GROW_MIN_SCORE,
          json_: JsonOpt = False) -> None:
    """Re-cluster a run's edges with other parameters (replaces its stored networks).

    Example: flockwatch networks build --workspace cases/hk2019 --resolution 0.1
    """
    with open_workspace(workspace) as ws:
        nets = build_networks(ws, run, resolution=resolution, min_size=min_size, min_score=min_score, grow=grow,
                              grow_min_score=grow_min_score)
    summary = {"networks": len(nets), "flagged": sum(n.flagged for n in nets),
               "grown_members": sum(1 for n in nets for how in n.joined_by.values() if how == "grow")}
    print_json(summary) if json_ else console.print(
        f"{summary['networks']} networks, {summary['flagged']} flagged, {summary['grown_members']} members added by "
        "growth")


@networks_app.command("export")
def export(
    workspace: WorkspaceOpt,
    members: Annotated[Optional[Path], typer.Option(help="CSV/Parquet: network_id, account_id, scores.")] = None,
    networks: Annotated[Optional[Path], typer.Option(help="CSV/Parquet: one row per network.")] = None,
    graph: Annotated[Optional[Path], typer.Option(help="Graph for Gephi: .graphml or .gexf.")] = None,
    run: RunOpt = None,
    all_: AllOpt = False,
) -> None:
    """Export flagged candidate networks (all with --all): members, networks table and/or graph.

    Example: flockwatch networks export --workspace cases/hk2019 --members members.csv --graph networks.gexf
    """
    if not (members or networks or graph):
        raise ValidationError("nothing to export: give --members, --networks and/or --graph")
    with open_workspace(workspace, read_only=True) as ws:
        written = []
        if members:
            written.append(export_members(ws, members, run, include_all=all_))
        if networks:
            written.append(export_networks(ws, networks, run, include_all=all_))
        if graph:
            written.append(export_graph(ws, graph, run, include_all=all_))
    for p in written:
        console.print(f"wrote {p}")
