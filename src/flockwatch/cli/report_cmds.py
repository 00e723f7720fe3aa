"""Report verbs: report (self-contained HTML for a candidate network) and narratives (top items with lift)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.errors import InputFileError
from flockwatch.narratives import summarise_narratives
from flockwatch.report import read_account_file, resolve_network, stored_network_edges, write_report

PlatformOpt = Annotated[str | None, typer.Option("--platform", help="Only accounts of this platform.")]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("narratives")(narratives)


def report(
    network_id: Annotated[str, typer.Argument(help="Network id (resolved through network_members) or a name.")],
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="Members from a file (one account id per line) instead.")
    ] = None,
    attribution: Annotated[
        Path | None, typer.Option("--attribution", help="JSON file: {confidence, rationale, evidence: [rows]}.")
    ] = None,
    edges: Annotated[
        Path | None, typer.Option("--edges", help="CSV with account_a, account_b, weight for the network picture.")
    ] = None,
    platform: PlatformOpt = None,
) -> None:
    """Write a self-contained HTML report of a candidate network: timeline, hour-of-week heatmap, creation
    histogram, network picture, signals, narratives, attribution rationale.

    Example: flockwatch report hk-core --workspace cases/hk2019 --accounts core.txt --out hk-core.html
    """
    att = _read_json(attribution) if attribution else None
    edge_rows = _read_edges(edges) if edges else None
    with open_workspace(workspace, read_only=True) as ws:
        ids = read_account_file(accounts) if accounts else resolve_network(ws, network_id)
        if edge_rows is None and not accounts:
            edge_rows = stored_network_edges(ws, network_id)
        with progress_status(f"building report for {len(ids):,} accounts"):
            path = write_report(ws, ids, out, name=network_id, platform=platform, attribution=att, edges=edge_rows)
    console.print(f"report written to [bold]{path}[/]")


def narratives(
    workspace: WorkspaceOpt,
    accounts: Annotated[Path, typer.Option("--accounts", help="File with one account id per line.")],
    platform: PlatformOpt = None,
    top: Annotated[int, typer.Option("--top", help="Items per facet.")] = 10,
    json_: JsonOpt = False,
) -> None:
    """Top hashtags, domains, terms, languages and targets of an account set, with lift against everyone else.

    Example: flockwatch narratives --workspace cases/hk2019 --accounts core.txt --top 15
    """
    ids = read_account_file(accounts)
    with open_workspace(workspace, read_only=True) as ws:
        s = summarise_narratives(ws, ids, platform, top_n=top)
    if json_:
        print_json(
            {
                "network_actions": s.network_actions,
                "background_actions": s.background_actions,
                "top": s.top.to_pylist(),
                "weekly": s.weekly.to_pylist(),
            }
        )
        return
    for facet in s.facets:
        items = s.top_items(facet)
        if not items:
            continue
        t = Table(title=f"{facet} ({s.network_actions:,} actions of the set)")
        for c in ("item", "actions", "share", "lift"):
            t.add_column(c, justify="left" if c == "item" else "right")
        for r in items:
            t.add_row(r["item"], f"{r['network_n']:,}", f"{r['network_share']:.3f}", f"{r['lift']:.1f}")
        console.print(t)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"cannot read JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputFileError(path, "expected a JSON object")
    return data


def _read_edges(path: Path) -> list[tuple[str, str, float]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputFileError(path, f"cannot read edges: {exc}") from exc
    out = []
    for i, r in enumerate(rows):
        if len(r) < 2:
            continue
        try:
            w = float(r[2]) if len(r) > 2 and r[2] != "" else 1.0
        except ValueError:
            if i == 0:
                continue  # header
            raise InputFileError(path, f"line {i + 1}: weight {r[2]!r} is not a number") from None
        out.append((r[0], r[1], w))
    return out
