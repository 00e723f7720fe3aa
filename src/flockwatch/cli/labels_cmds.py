"""`flockwatch labels export`: accounts labelled under a labelling policy, as CSV or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.common import WorkspaceOpt, console, print_json
from flockwatch.cli.media_cmds import registry_at
from flockwatch.policy import export_labels
from flockwatch.policy.labels import write_labels


def register(app: typer.Typer) -> None:
    labels_app = typer.Typer(help="Labels for state-affiliated media accounts.", no_args_is_help=True)
    labels_app.command("export")(export)
    app.add_typer(labels_app, name="labels")


def export(
    workspace: WorkspaceOpt,
    policy: Annotated[str, typer.Option("--policy", "-p", help="Labelling policy id.")] = "twitter-2020-08-labels",
    date: Annotated[str | None, typer.Option("--date", help="Labels in force on YYYY-MM-DD (default today).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output .csv or .json (default: JSON to stdout).")
    ] = None,
    format: Annotated[str | None, typer.Option("--format", help="csv or json (default from --out).")] = None,
) -> None:
    """Which accounts get which label under which policy version, with effective dates (from determinations).

    Example: flockwatch labels export --policy twitter-2020-08-labels --out labels.csv --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        rows = export_labels(reg, policy, date)
    if out is None:
        print_json([r.to_dict() for r in rows])
        return
    write_labels(rows, out, format)
    console.print(f"wrote {len(rows):,} labels to {out}")
