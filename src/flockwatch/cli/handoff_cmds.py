"""`flockwatch handoff deliver|status|allow-host|disallow-host|hosts`: hand-off records delivered to a webhook.

The records are those of `flockwatch case export`; delivery, signing, retries and the allow-list live in
:mod:`flockwatch.review.delivery`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, print_json
from flockwatch.errors import ExternalError, RefusedError
from flockwatch.review import delivery
from flockwatch.store import Store
from flockwatch.store.users import has_role
from flockwatch.workspace import ops_store

SecretFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--secret-file", help=f"File whose first line is the shared HMAC secret (else {delivery.SECRET_ENV})."
    ),
]
HostArg = Annotated[str, typer.Argument(help="Host name, exactly as in the webhook URL (no scheme, port or path).")]


def register(app: typer.Typer) -> None:
    handoff_app = typer.Typer(
        help="Deliver approved actions to an enforcement system's webhook (signed, retried, allow-listed hosts).",
        no_args_is_help=True,
    )
    for name, fn in (
        ("deliver", deliver),
        ("status", status),
        ("allow-host", allow_host),
        ("disallow-host", disallow_host),
        ("hosts", hosts),
    ):
        handoff_app.command(name)(fn)
    app.add_typer(handoff_app, name="handoff")


def deliver(
    workspace: WorkspaceOpt,
    url: Annotated[str, typer.Option("--url", help="The receiver's http(s) URL; its host must be allow-listed.")],
    secret_file: SecretFileOpt = None,
    case_id: Annotated[str | None, typer.Option("--case", help="Only this case (default: every case).")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout-s", help="Seconds per request.")] = 10.0,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="Tries per batch in this run.")] = 4,
    batch_records: Annotated[int, typer.Option("--batch-records", help="Records per request.")] = 500,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also re-send batches that failed for good (after a fix).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Send executed actions and reversals not yet delivered to URL (exit 4 HOST_NOT_ALLOWED off the allow-list;
    exit 3 when some records could not be delivered).

    Example: flockwatch handoff deliver --url https://enforce.example.org/hook --secret-file hook.secret -w ws
    """
    store = ops_store(workspace)
    secret = delivery.read_secret(secret_file)
    if retry_failed:
        delivery.check_endpoint(store, url)
        delivery.requeue_failed(store, url)
    policy = delivery.DeliveryPolicy(timeout_s=timeout_s, max_attempts=max_attempts, batch_records=batch_records)
    report = delivery.deliver(store, url, secret, case_id, policy)
    if json_out:
        print_json(report.to_dict())
    else:
        console.print(
            f"{report.endpoint_host}: queued {report.queued:,}, delivered {report.records_delivered:,} in "
            f"{report.batches_sent:,} batch(es), failed {report.records_failed:,}"
        )
        for f in report.failures[:5]:
            console.print(f"  batch {f['batch']}: {f['error']}")
    if report.records_failed:
        # the receiver failed (or refused): something outside flockwatch, exit 3; the state stays for `jobs run`
        raise ExternalError(
            f"{report.records_failed:,} record(s) not delivered to {report.endpoint_host}; see `flockwatch handoff "
            "status` (failed batches are retried by `flockwatch jobs run`)"
        )


def status(
    workspace: WorkspaceOpt,
    url: Annotated[str | None, typer.Option("--url", help="Only this endpoint.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Delivery state per endpoint host: records pending, delivered, failed.

    Example: flockwatch handoff status --workspace cases/hk2019
    """
    rows = delivery.delivery_status(ops_store(workspace), url)
    if json_out:
        print_json(rows)
        return
    for r in rows:
        console.print(
            f"{r['endpoint']}\t{r['status']}\t{r['records']:,} records\t{r['batches']:,} batches"
            + (f"\t{r['last_error']}" if r["last_error"] else "")
        )


def _admin(workspace: Path, by: str | None, password_file: Path | None) -> tuple[Store, str, str | None]:
    store = ops_store(workspace)
    actor = actor_for(store, by, password_file)
    if not has_role(actor.user, "admin"):
        raise RefusedError("ROLE_REQUIRED", f"the webhook allow-list is kept by admins; {actor.name} is not one")
    return store, actor.name, actor.os_user


def allow_host(host: HostArg, workspace: WorkspaceOpt, by: ByOpt = None, password_file: PasswordFileOpt = None) -> None:
    """Add a host to the store's webhook allow-list (admins; audited).

    Example: flockwatch handoff allow-host enforce.example.org --by admin --workspace cases/hk2019
    """
    store, name, osu = _admin(workspace, by, password_file)
    added = delivery.allow_host(store, host, name, osu)
    console.print(f"{host}: {'allowed' if added else 'already allowed'}")


def disallow_host(
    host: HostArg, workspace: WorkspaceOpt, by: ByOpt = None, password_file: PasswordFileOpt = None
) -> None:
    """Remove a host from the allow-list (pending deliveries to it are then refused, not sent).

    Example: flockwatch handoff disallow-host enforce.example.org --by admin --workspace cases/hk2019
    """
    store, name, osu = _admin(workspace, by, password_file)
    removed = delivery.disallow_host(store, host, name, osu)
    console.print(f"{host}: {'removed' if removed else 'was not on the list'}")


def hosts(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """The webhook allow-list.

    Example: flockwatch handoff hosts --workspace cases/hk2019
    """
    rows = delivery.allowed_hosts(ops_store(workspace))
    if json_out:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['host']}\tadded by {r['added_by']} at {r['added_at']}")
