"""`flockwatch jobs run`: periodic jobs (finish interrupted actions, end expired temporary locks, retry failed
hand-off deliveries, apply retention)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import WorkspaceError
from flockwatch.privacy.policy import load_policy
from flockwatch.privacy.retention import apply_retention
from flockwatch.review import delivery
from flockwatch.review.jobs import run_jobs
from flockwatch.workspace import ops_store


def register(app: typer.Typer) -> None:
    jobs_app = typer.Typer(
        help="Periodic jobs of the review store (idempotent; safe under cron).", no_args_is_help=True
    )
    jobs_app.command("run")(run)
    app.add_typer(jobs_app, name="jobs")


def run(
    workspace: WorkspaceOpt,
    secret_file: Annotated[
        Path | None,
        typer.Option("--webhook-secret-file", help="Webhook secret, to retry failed hand-off deliveries."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Finish approved actions a crash interrupted, end temporary locks whose time is up, retry failed hand-off
    deliveries (with --webhook-secret-file or FLOCKWATCH_WEBHOOK_SECRET), and apply the retention limits (skipped,
    and said so, while another process holds the warehouse; the next run catches up).

    Example: flockwatch jobs run --webhook-secret-file /etc/flockwatch/webhook.secret --workspace cases/hk2019
    """
    secret = None
    if secret_file is not None or os.environ.get(delivery.SECRET_ENV):
        secret = delivery.read_secret(secret_file)
    summary = run_jobs(ops_store(workspace), secret)
    try:
        with open_workspace(workspace) as ws:
            summary["retention"] = apply_retention(ws.engine, ws.ops(), load_policy(ws.path)).removed
    except WorkspaceError as exc:  # the warehouse is busy (DuckDB has one writer): review jobs still ran
        summary["retention"] = {"skipped": str(exc)}
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"resumed {len(summary['actions_resumed'])} action(s); ended {summary['locks_ended']} expired lock(s); "
            f"retention: {summary['retention']}"
        )
        for r in summary.get("deliveries", []):
            console.print(
                f"hand-off to {r['endpoint_host']}: {r['records_delivered']:,} delivered, {r['records_failed']:,} failed"
            )
        if summary.get("deliveries_due_without_secret"):
            console.print(
                f"{summary['deliveries_due_without_secret']:,} hand-off record(s) due for a retry: give "
                "--webhook-secret-file or FLOCKWATCH_WEBHOOK_SECRET"
            )
