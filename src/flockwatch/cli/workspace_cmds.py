"""Workspace verbs: init, info, migrate, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("info")(info)
    app.command("migrate")(migrate)
    app.command("export")(export)


def init(
    path: Annotated[Path, typer.Argument(help="Directory to create the workspace in.")],
    registry: Annotated[
        bool,
        typer.Option(
            "--registry/--no-registry",
            help="Start with the shipped state-media registry (Matrix, curated facts, determinations).",
        ),
    ] = True,
) -> None:
    """Create a workspace: no platform data yet, the shipped state-media registry ready (unless --no-registry).

    Example: flockwatch init cases/hk2019
    """
    with Workspace.create(path, registry=registry) as ws:
        console.print(f"workspace ready at [bold]{path}[/] (schema version {ws.schema_version})")
        if registry:
            from flockwatch.policy import Registry

            with Registry.open(ws) as reg:
                prov = reg.provenance()
            console.print(f"state-media registry: {prov['source']}, snapshot {prov['snapshot_date']}", highlight=False)
        else:
            console.print("state-media registry: none (add one with `flockwatch media import`)", highlight=False)


def info(workspace: WorkspaceOpt, json_: JsonOpt = False) -> None:
    """Table row counts, time span of actions and the quarantine summary.

    Example: flockwatch info --workspace cases/hk2019 --json
    """
    with open_workspace(workspace, read_only=True) as ws:
        data = ws.info()
    if json_:
        print_json(data)
        return
    t = Table(title=f"workspace {data['workspace']} (schema v{data['schema_version']})")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, rows in data["tables"].items():
        t.add_row(name, f"{rows:,}")
    console.print(t)
    span = data["time_span"]
    console.print(f"actions from {span['first_action_at']} to {span['last_action_at']}")
    if data["actions_by_kind"]:
        console.print("by kind: " + ", ".join(f"{k} {v:,}" for k, v in data["actions_by_kind"].items()))
    if data["quarantine"]:
        q = Table(title="quarantine")
        for c in ("source_file", "reason", "rows"):
            q.add_column(c)
        for row in data["quarantine"][:30]:
            q.add_row(row["source_file"], row["reason"], f"{row['rows']:,}")
        console.print(q)
    else:
        console.print("quarantine: empty")


def migrate(workspace: WorkspaceOpt) -> None:
    """Bring a workspace made by an older flockwatch to the current schema.

    Example: flockwatch migrate --workspace cases/hk2019
    """
    with open_workspace(workspace) as ws:
        console.print(f"{workspace}: schema version {ws.schema_version}")


def export(
    table: Annotated[str, typer.Argument(help="Canonical table name, e.g. actions.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.parquet or .csv).")],
    workspace: WorkspaceOpt,
) -> None:
    """Export a canonical table to Parquet (or CSV when OUT ends in .csv).

    Example: flockwatch export actions --out actions.parquet --workspace cases/hk2019
    """
    fmt = "csv" if out.suffix.lower() == ".csv" else "parquet"
    with open_workspace(workspace, read_only=True) as ws:
        ws.export(table, out, fmt)
    console.print(f"wrote {out}")
