"""`flockwatch privacy delete-account`: carry out a deletion request (legal holds kept; audited with counts)."""

from __future__ import annotations

from typing import Annotated

import typer

from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.privacy.deletion import delete_account


def register(app: typer.Typer) -> None:
    privacy_app = typer.Typer(
        help="Data protection: deletion requests (see also `flockwatch retention`).", no_args_is_help=True
    )
    privacy_app.command("delete-account")(delete_account_cmd)
    app.add_typer(privacy_app, name="privacy")


def delete_account_cmd(
    account_id: Annotated[str, typer.Argument(help="The account's id as the warehouse holds it.")],
    workspace: WorkspaceOpt,
    reason: Annotated[str, typer.Option("--reason", help="The request's reference (recorded in the audit log).")],
    platform: Annotated[
        str | None, typer.Option("--platform", help="Only the account on this platform (default: any).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be removed; change nothing.")] = False,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove an account's personal data (profile, handles, posts, login events, non-held case evidence); what a
    legal hold covers is kept and reported. A reviewer or admin; re-running is a no-op.

    Example: flockwatch privacy delete-account tw:1001 --reason "DSR-2019-0042" --by bob --workspace cases/hk2019
    """
    with open_workspace(workspace) as ws:
        store = ws.ops()
        actor = actor_for(store, by, password_file)
        report = delete_account(ws.engine, store, actor, account_id, reason, platform, dry_run)
    if json_out:
        print_json(report.to_dict())
        return
    verb = "would remove" if dry_run else "removed"
    removed = ", ".join(f"{t} {n:,}" for t, n in report.removed.items() if n) or "nothing (nothing left to remove)"
    console.print(f"{account_id}: {verb} {removed}")
    for k in report.kept_under_hold:
        console.print(f"  kept under legal hold: {k['subjects']} subject(s) of case {k['case_id']}")
