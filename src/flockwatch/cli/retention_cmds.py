"""`flockwatch retention show|apply`: retention limits per kind of personal data (retention.toml in the workspace)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import ValidationError
from flockwatch.privacy.policy import load_policy
from flockwatch.privacy.retention import RetentionReport, apply_retention, retention_due

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Judge ages as of this UTC date/time, YYYY-MM-DD[THH:MM] (default: now)."),
]


def register(app: typer.Typer) -> None:
    retention_app = typer.Typer(
        help="Retention limits: login IPs, profile text, case evidence, access logs (legal holds are kept).",
        no_args_is_help=True,
    )
    retention_app.command("show")(show)
    retention_app.command("apply")(apply)
    app.add_typer(retention_app, name="retention")


def parse_as_of(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        t = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"--as-of {raw!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)") from None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


def _print(report: RetentionReport, verb: str) -> None:
    console.print(f"retention as of {report.as_of} (limits from {report.policy['source']})")
    for kind, days in ((k.removesuffix("_days"), v) for k, v in report.policy.items() if k.endswith("_days")):
        console.print(
            f"  {kind:<14} {days:>5} d  before {report.cutoffs[kind][:10]}: {report.removed[kind]:,} {verb}, "
            f"{report.kept_under_hold[kind]:,} kept under legal hold"
        )
    if report.held_cases:
        console.print(f"  cases under legal hold: {', '.join(report.held_cases)}")


def show(workspace: WorkspaceOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """The workspace's retention limits and what is past them now (nothing changes).

    Example: flockwatch retention show --workspace cases/hk2019
    """
    with open_workspace(workspace) as ws:
        report = retention_due(ws.engine, ws.ops(), load_policy(ws.path), parse_as_of(as_of))
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report, "due")


def apply(
    workspace: WorkspaceOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be removed; change nothing.")] = False,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove or blank what is past its limit (never what a legal hold covers); one audit entry with the counts.
    Idempotent; `flockwatch jobs run` runs it too.

    Example: flockwatch retention apply --dry-run --workspace cases/hk2019
    """
    with open_workspace(workspace) as ws:
        report = apply_retention(ws.engine, ws.ops(), load_policy(ws.path), parse_as_of(as_of), dry_run=dry_run)
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report, "due" if dry_run else "removed")
