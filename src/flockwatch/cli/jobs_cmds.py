"""`flockwatch jobs run`: periodic review jobs (finish interrupted actions, end expired temporary locks)."""

from __future__ import annotations

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, print_json
from flockwatch.review.jobs import run_jobs
from flockwatch.workspace import ops_store

jobs_app = typer.Typer(help="Periodic jobs of the review store (idempotent; safe under cron).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    jobs_app.command("run")(run)
    app.add_typer(jobs_app, name="jobs")


def run(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """Finish approved actions a crash interrupted and end temporary locks whose time is up.

    Example: flockwatch jobs run --workspace cases/hk2019
    """
    summary = run_jobs(ops_store(workspace))
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"resumed {len(summary['actions_resumed'])} action(s); ended {summary['locks_ended']} expired lock(s)"
        )
