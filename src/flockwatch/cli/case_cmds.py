"""`flockwatch case open|show|list|propose|exclude|approve|execute|hold|release-hold`: review cases and their actions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.accountlist import read_account_file
from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.review import actions, appeals, audit, delivery, holds, label_calibration, sampling
from flockwatch.review.cases import get_case, list_cases, open_case
from flockwatch.review.handoff import write_handoff
from flockwatch.workspace import ops_store

CaseArg = Annotated[str, typer.Argument(help="Case id (C<date>-<hex>).")]


def register(app: typer.Typer) -> None:
    case_app = typer.Typer(
        help="Review cases: open, propose an action, approve (two-person rule), show.", no_args_is_help=True
    )
    for name, fn in (
        ("open", open_),
        ("show", show),
        ("list", list_),
        ("propose", propose),
        ("exclude", exclude),
        ("approve", approve),
        ("execute", execute),
        ("sample", sample),
        ("label", label),
        ("appeal", appeal),
        ("decide-appeal", decide_appeal),
        ("export", export),
        ("calibration", calibration),
        ("hold", hold),
        ("release-hold", release_hold),
    ):
        case_app.command(name)(fn)
    app.add_typer(case_app, name="case")


def _rules() -> actions.ReviewRules:
    return actions.ReviewRules.from_env()


def open_(
    workspace: WorkspaceOpt,
    network: Annotated[
        str | None, typer.Option("--network", help="Candidate network: N0001 (latest run) or RUN/N0001.")
    ] = None,
    run: Annotated[str | None, typer.Option("--run", help="Detection run (default: the latest).")] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="Candidate operation id.")] = None,
    accounts: Annotated[
        Path | None,
        typer.Option("--accounts", help="File of account ids, one per line (page:ID / group:ID name Pages, Groups)."),
    ] = None,
    with_assets: Annotated[
        bool, typer.Option("--with-assets", help="Add the Pages and Groups the case's accounts administer.")
    ] = False,
    watch_alert: Annotated[
        str | None, typer.Option("--watch-alert", help="A watch alert id (printed by `flockwatch watch`).")
    ] = None,
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
        if by is None and password_file is None and not os.environ.get("FLOCKWATCH_TOKEN") and not store.is_team:
            # opening a case decides nothing: on the embedded store a script may open one without naming a user,
            # and the OS user is recorded as the opener (a team store still needs authentication)
            opener, os_user = f"os:{audit.os_user() or 'unknown'}", audit.os_user()
        else:
            actor = actor_for(store, by, password_file)
            opener, os_user = actor.name, actor.os_user
        case_id = open_case(
            store,
            by=opener,
            os_user=os_user,
            engine=ws.engine,
            network=network,
            run=run,
            operation=operation,
            accounts=read_account_file(accounts) if accounts is not None else None,
            accounts_ref=accounts.name if accounts is not None else None,
            alert=watch_alert,
            title=title,
            with_assets=with_assets,
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
    store = ops_store(workspace)
    snap = get_case(store, case_id, with_subjects=subjects)
    bounds = [sampling.sample_bound(store, int(a["action_id"])) for a in snap.actions]
    expectation = label_calibration.case_expectation(store, case_id)
    if json_out:
        d = snap.to_dict(with_subjects=subjects)
        d["samples"] = [b.to_dict() for b in bounds if b.drawn]
        d["calibration"] = expectation
        d["handoff"] = delivery.case_delivery_counts(store, case_id)
        print_json(d)
        return
    console.print(f"{snap.case_id}  {snap.status}  {snap.title}")
    if snap.hold:
        console.print(f"legal hold: placed by {snap.hold['by']} at {snap.hold['at']} ({snap.hold['reason']})")
    console.print("subjects: " + ", ".join(f"{k} {v:,}" for k, v in snap.counts.items()))
    for b in expectation["bands"]:
        seen = (
            "no labels yet"
            if b["precision"] is None
            else f"calibrated precision {b['precision']:.1%} (at least {b['precision_lower']:.1%}; "
            f"{b['labelled']} labelled)"
        )
        console.print(f"  score band {b['band']}: {b['subjects']:,} subjects, {seen}")
    if expectation["bands"] and expectation["subjects_without_calibration"] < sum(
        b["subjects"] for b in expectation["bands"]
    ):
        console.print(
            f"  expected false positives from past labels: {expectation['expected_false_positives']:,} "
            f"(up to {expectation['false_positives_upper']:,})"
        )
    for a in snap.actions:
        console.print(
            f"action {a['action_id']}: {a['kind']} {a['status']} (proposed by {a['proposed_by']}"
            + (f", approved by {a['approved_by']}" if a["approved_by"] else "")
            + ")"
        )
    for host, counts in delivery.case_delivery_counts(store, case_id).items():
        console.print(f"hand-off to {host}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    for b in bounds:
        if b.drawn:
            bound = "pending" if b.upper_bound is None else f"{b.upper_bound:.2%}"
            console.print(
                f"sample of action {b.action_id}: {b.labelled}/{b.drawn} labelled, {b.false_positives} false "
                f"positives, upper bound {bound}"
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


def sample(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    size: Annotated[
        int | None,
        typer.Option("--size", help="Subjects to draw (stratified by score band); default: what past labels suggest."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (recorded in the audit log).")] = None,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Draw the sign-off sample of a bulk action (a reviewer labels it before approving).

    Example: flockwatch case sample C20190819-a1b2c3 --size 100 --by bob --workspace cases/hk2019
    """
    store = ops_store(workspace)
    actor = actor_for(store, by, password_file)
    why = None
    if size is None:
        rules = _rules()
        size, why = label_calibration.next_sample_size(store, rules.fp_limit, rules.confidence)
    rows = sampling.draw_sample(store, case_id, actor, size, seed)
    if why and not json_out:
        console.print(f"sample size {size}: {why}")
    if json_out:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['subject_id']}\t{r['band']}")


def label(
    case_id: CaseArg,
    subject_id: Annotated[str, typer.Argument(help="A sampled subject id.")],
    workspace: WorkspaceOpt,
    verdict: Annotated[str, typer.Option("--label", help="correct or false-positive.")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Label one sampled subject (the labels bound the action's false-positive rate).

    Example: flockwatch case label C20190819-a1b2c3 tw:1001 --label correct --by bob --workspace cases/hk2019
    """
    store = ops_store(workspace)
    sampling.label_subject(store, case_id, actor_for(store, by, password_file), subject_id, verdict)


def appeal(
    case_id: CaseArg,
    subject_id: Annotated[str, typer.Argument(help="The subject whose action is appealed.")],
    workspace: WorkspaceOpt,
    grounds: Annotated[str, typer.Option("--grounds", help="The appellant's grounds.")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Record an appeal against an executed action on one subject (the subject is reopened).

    Example: flockwatch case appeal C20190819-a1b2c3 tw:1001 --grounds "I am a real person" --by carol -w cases/hk2019
    """
    store = ops_store(workspace)
    appeals.file_appeal(store, case_id, subject_id, actor_for(store, by, password_file), grounds)
    console.print(f"appeal of {subject_id} recorded on {case_id}")


def decide_appeal(
    case_id: CaseArg,
    subject_id: Annotated[str, typer.Argument(help="The appealed subject.")],
    workspace: WorkspaceOpt,
    decision: Annotated[str, typer.Option("--decision", help="upheld (the action stands) or reversed.")],
    note: Annotated[str, typer.Option("--note", help="Why (recorded in the audit log).")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Decide an appeal: uphold the action or reverse it (a reviewer who took no part in the action).

    Example: flockwatch case decide-appeal C20190819-a1b2c3 tw:1001 --decision reversed --note "verified" --by dan -w ws
    """
    store = ops_store(workspace)
    status = appeals.decide_appeal(store, case_id, subject_id, actor_for(store, by, password_file), decision, note)
    console.print(f"{subject_id} on {case_id}: {status}")


def export(
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .jsonl or .csv.")],
    case_id: Annotated[str | None, typer.Option("--case", help="Only this case (default: every case).")] = None,
    format: Annotated[str | None, typer.Option("--format", help="jsonl or csv (default from --out).")] = None,
) -> None:
    """Executed actions and reversals for an enforcement system, one record per subject with an idempotency key.

    Example: flockwatch case export --out actions.jsonl --workspace cases/hk2019
    """
    n = write_handoff(ops_store(workspace), out, format, case_id)
    console.print(f"wrote {n:,} records to {out}")


def calibration(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """What reviewers' sample labels say, per score band: the observed false-positive rate with exact bounds, the
    calibrated precision, and the sign-off sample size the labels so far suggest.

    Example: flockwatch case calibration --json --workspace cases/hk2019
    """
    store = ops_store(workspace)
    rules = _rules()
    bands = label_calibration.band_calibration(store, rules.confidence)
    pooled = label_calibration.pooled(store, rules.confidence)
    suggested = label_calibration.suggested_sample_size(pooled.fp_rate or 0.0, rules.fp_limit, rules.confidence)
    if json_out:
        print_json(
            {
                "bands": [b.to_dict() for b in bands],
                "all": pooled.to_dict(),
                "fp_limit": rules.fp_limit,
                "suggested_sample_size": suggested,
            }
        )
        return
    for b in [*bands, pooled]:
        if b.fp_rate is None or b.fp_lower is None or b.fp_upper is None:
            console.print(f"{b.band}	no labels yet")
        else:
            console.print(
                f"{b.band}	{b.false_positives}/{b.labelled} false positives	rate {b.fp_rate:.1%} "
                f"[{b.fp_lower:.1%}, {b.fp_upper:.1%}]	calibrated precision {1 - b.fp_rate:.1%}"
            )
    console.print(
        f"suggested sign-off sample: {suggested:,} labels"
        if suggested
        else "suggested sign-off sample: none "
        f"reaches the {rules.fp_limit:.0%} limit at the rate seen so far (exclude the weak bands)"
    )


def hold(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why the evidence must be kept (recorded in the audit log).")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Place a legal hold: the case's frozen evidence is kept whatever retention or a deletion request would remove
    (a reviewer or admin; exit 4 ALREADY_HELD when it is held already).

    Example: flockwatch case hold C20190819-a1b2c3 --by bob --reason "litigation notice 2019-114" -w cases/hk2019
    """
    store = ops_store(workspace)
    holds.place_hold(store, case_id, actor_for(store, by, password_file), reason)
    console.print(f"{case_id} is under legal hold")


def release_hold(
    case_id: CaseArg,
    workspace: WorkspaceOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why the hold ends (recorded in the audit log).")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Release a legal hold (a reviewer or admin; exit 4 NOT_HELD when the case is not held).

    Example: flockwatch case release-hold C20190819-a1b2c3 --by bob --reason "matter closed" -w cases/hk2019
    """
    store = ops_store(workspace)
    holds.release_hold(store, case_id, actor_for(store, by, password_file), reason)
    console.print(f"{case_id}: legal hold released")
