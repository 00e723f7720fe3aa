"""`flockwatch case open|show|list|propose|exclude|approve|execute`: review cases and their actions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.accountlist import read_account_file
from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import ValidationError
from flockwatch.review import actions
from flockwatch.review.cases import get_case, list_cases, open_case
from flockwatch.workspace import ops_store

case_app = typer.Typer(
    help="Review cases: open, propose an action, approve (two-person rule), show.", no_args_is_help=True
)
CaseArg = Annotated[str, typer.Argument(help="Case id (C<date>-<hex>).")]


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("open", open_),
        ("show", show),
        ("list", list_),
        ("propose", propose),
        ("exclude", exclude),
        ("approve", approve),
        ("execute", execute),
    ):
        case_app.command(name)(fn)
    app.add_typer(case_app, name="case")


def _rules() -> actions.ReviewRules:
    raw = os.environ.get("FLOCKWATCH_REVIEWER_OVER_N", "").strip()
    if not raw:
        return actions.ReviewRules()
    if not raw.isdigit():
        raise ValidationError(f"FLOCKWATCH_REVIEWER_OVER_N={raw!r} is not a whole number")
    return actions.ReviewRules(reviewer_over_n=int(raw))


def open_(
    workspace: WorkspaceOpt,
    network: Annotated[
        str | None, typer.Option("--network", help="Candidate network: N0001 (latest run) or RUN/N0001.")
    ] = None,
    run: Annotated[str | None, typer.Option("--run", help="Detection run (default: the latest).")] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="Candidate operation id.")] = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="File of account ids, one per line.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Case title (default from the source).")] = None,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Open a case: the subjects and their evidence are frozen as they are now (later runs never change it).

    Example: flockwatch case open --network N0001 --by alice --workspace cases/hk2019 --json
    """
    with open_workspace(workspace) as ws:
        store = ws.ops()
        actor = actor_for(store, by, password_file)
        case_id = open_case(
            store,
            by=actor.name,
            os_user=actor.os_user,
            engine=ws.engine,
            network=network,
            run=run,
            operation=operation,
            accounts=read_account_file(accounts) if accounts is not None else None,
            accounts_ref=accounts.name if accounts is not None else None,
            title=title,
        )
    snap = get_case(store, case_id, with_subjects=False)
    if json_out:
        print_json(snap.to_dict())
    else:
        console.print(f"opened {case_id}: {snap.title} ({snap.n_subjects:,} subjects)")


def show(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    subjects: Annotated[bool, typer.Option("--subjects", help="Include every subject with its evidence.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """A case's status, subject counts per status and actions.

    Example: flockwatch case show C20190819-a1b2c3 --json --workspace cases/hk2019
    """
    snap = get_case(ops_store(workspace), case_id, with_subjects=subjects)
    if json_out:
        print_json(snap.to_dict(with_subjects=subjects))
        return
    console.print(f"{snap.case_id}  {snap.status}  {snap.title}")
    console.print("subjects: " + ", ".join(f"{k} {v:,}" for k, v in snap.counts.items()))
    for a in snap.actions:
        console.print(
            f"action {a['action_id']}: {a['kind']} {a['status']} (proposed by {a['proposed_by']}"
            + (f", approved by {a['approved_by']}" if a["approved_by"] else "")
            + ")"
        )


def list_(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help="Only cases with this status.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List cases.

    Example: flockwatch case list --status in_review --workspace cases/hk2019
    """
    cases = list_cases(ops_store(workspace), status)
    if json_out:
        print_json([c.to_dict() for c in cases])
        return
    for c in cases:
        console.print(f"{c.case_id}\t{c.status}\t{c.n_subjects:,}\t{c.title}")


def propose(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    action: Annotated[
        str, typer.Option("--action", help="suspend (permanent), lock (temporary), label, refuse-ads, dismiss.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")],
    until: Annotated[
        str | None, typer.Option("--until", help="End of a temporary lock, YYYY-MM-DD[THH:MM] UTC.")
    ] = None,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Propose an action on the case's open subjects (someone else must approve it).

    Example: flockwatch case propose C20190819-a1b2c3 --action suspend --by alice --reason "state-backed network" -w ws
    """
    store = ops_store(workspace)
    actor = actor_for(store, by, password_file)
    action_id = actions.propose(store, case_id, actor, action, reason, until)
    if json_out:
        print_json({"case_id": case_id, "action_id": action_id, "status": "in_review"})
    else:
        console.print(f"proposed action {action_id} ({action}) on {case_id}")


def exclude(
    case_id: CaseArg,
    subject_ids: Annotated[list[str], typer.Argument(help="Subject ids to leave out of the action.")],
    workspace: WorkspaceOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why they are excluded.")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """A reviewer excludes subjects before approving (false positives, protected accounts).

    Example: flockwatch case exclude C20190819-a1b2c3 tw:1001 --reason "news outlet" --by bob -w cases/hk2019
    """
    store = ops_store(workspace)
    n = actions.exclude(store, case_id, actor_for(store, by, password_file), subject_ids, reason)
    console.print(f"excluded {n} subject(s) from {case_id}")


def approve(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Approve the proposed action and execute it. Exit 4 with a reason code when policy refuses (SELF_APPROVAL,
    ROLE_REQUIRED, ALREADY_DECIDED, NOT_AUTHENTICATED).

    Example: flockwatch case approve C20190819-a1b2c3 --by bob --workspace cases/hk2019
    """
    store = ops_store(workspace)
    action_id = actions.approve(store, case_id, actor_for(store, by, password_file), _rules())
    snap = get_case(store, case_id, with_subjects=False)
    if json_out:
        print_json({"case_id": case_id, "action_id": action_id, "status": snap.status, "subjects": snap.counts})
    else:
        console.print(f"approved action {action_id}; case {case_id} is {snap.status}")


def execute(case_id: CaseArg, workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """Finish executing the case's approved actions (after an interruption; `jobs run` does it for every case).

    Example: flockwatch case execute C20190819-a1b2c3 --workspace cases/hk2019
    """
    store = ops_store(workspace)
    snap = get_case(store, case_id, with_subjects=False)
    results = [
        actions.execute(store, int(a["action_id"])) for a in snap.actions if a["status"] in ("approved", "executing")
    ]
    if json_out:
        print_json(results)
    else:
        console.print(f"{len(results)} action(s) executed on {case_id}")
