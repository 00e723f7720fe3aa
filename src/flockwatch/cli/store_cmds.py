"""`flockwatch store info|grant`: the operational store itself (which database, which revision; team roles)."""

from __future__ import annotations

from typing import Annotated

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, print_json
from flockwatch.store import current_revision, head_revision, safe_url
from flockwatch.store.roles import grant_app_role
from flockwatch.workspace import ops_store


def register(app: typer.Typer) -> None:
    store_app = typer.Typer(
        help="The operational store: where it is, its migrations, team roles.", no_args_is_help=True
    )
    store_app.command("info")(info)
    store_app.command("grant")(grant)
    app.add_typer(store_app, name="store")


def info(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """Which database holds the workspace's operational store, and its migration revision.

    Example: flockwatch store info --workspace cases/hk2019
    """
    store = ops_store(workspace)
    d = {
        "url": safe_url(store.url),
        "dialect": store.dialect,
        "team": store.is_team,
        "revision": current_revision(store),
        "head": head_revision(),
    }
    if json_out:
        print_json(d)
    else:
        for k, v in d.items():
            console.print(f"{k}\t{v}")


def grant(
    workspace: WorkspaceOpt,
    app_role: Annotated[str, typer.Option("--app-role", help="The PostgreSQL role flockwatch users connect as.")],
) -> None:
    """Give the application role row access, and only SELECT/INSERT on the audit log (run as the database owner, with
    FLOCKWATCH_OPS_URL naming the owner; after every upgrade).

    Example: flockwatch store grant --app-role flockwatch_app --workspace cases/hk2019
    """
    stmts = grant_app_role(ops_store(workspace), app_role)
    console.print(f"granted {app_role} ({len(stmts)} statements)")
