"""`flockwatch jobs run`: periodic jobs (finish interrupted actions, end expired temporary locks, apply retention)."""

from __future__ import annotations

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import WorkspaceError
from flockwatch.privacy.policy import load_policy
from flockwatch.privacy.retention import apply_retention
from flockwatch.review.jobs import run_jobs
from flockwatch.workspace import ops_store

jobs_app = typer.Typer(help="Periodic jobs of the review store (idempotent; safe under cron).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    jobs_app.command("run")(run)
    app.add_typer(jobs_app, name="jobs")


def run(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """Finish approved actions a crash interrupted, end temporary locks whose time is up, and apply the retention
    limits (skipped, and said so, while another process holds the warehouse; the next run catches up).

    Example: flockwatch jobs run --workspace cases/hk2019
    """
    summary = run_jobs(ops_store(workspace))
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
