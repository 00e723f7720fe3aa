"""`flockwatch ingest`: load platform files into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.ingest import ingest_paths, registry


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files to load (.csv, .csv.gz, .jsonl, .parquet, .zip).")],
    workspace: WorkspaceOpt,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Reader name; detected from the header when omitted.")
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="Platform qualifier for ids (default: the reader's own).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Load files into the workspace (created if needed). Bad rows go to quarantine; re-ingesting adds nothing.

    Example: flockwatch ingest china_082019_1_tweets_csv_hashed.csv --workspace cases/hk2019

    Formats: twitter_io_archive, twarc2_jsonl, coortweet_share_log, cnt_csv, ira_csv, login_events, canonical.
    """
    if format:
        registry.get(format)
    with open_workspace(workspace, create=True) as ws, progress_status("ingesting", not json_) as update:
        summaries = ingest_paths(ws, list(paths), format=format, platform=platform, progress=update)
    if json_:
        print_json([s.to_dict() for s in summaries])
        return
    t = Table(title="ingest")
    for c in ("file", "format", "status", "read", "loaded", "quarantined"):
        t.add_column(c, justify="right" if c in ("read", "loaded", "quarantined") else "left")
    for s in summaries:
        t.add_row(
            s.source_file, s.format, s.status, f"{s.rows_read:,}", f"{s.rows_loaded:,}", f"{s.rows_quarantined:,}"
        )
    console.print(t)
    for s in summaries:
        for reason, n in s.quarantined_by_reason.items():
            console.print(f"  quarantined {n:,} rows of {s.source_file}: {reason}")
