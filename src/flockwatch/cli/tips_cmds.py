"""Tips verbs: ``tips export|push|pull|import`` — STIX 2.1 bundles to and from peer platforms over TAXII 2.1."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.acting import ByOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.errors import ValidationError
from flockwatch.share import intake, stix_export, subjects, taxii
from flockwatch.share.agreement import Pseudonymiser
from flockwatch.share.sighting import build_sightings, write_tip_record
from flockwatch.share.tipcase import open_tip_case
from flockwatch.share.tlp import parse_level

tips_app = typer.Typer(help="Tips to and from peer platforms (STIX 2.1 + DISARM over TAXII 2.1).", no_args_is_help=True)

ServerOpt = Annotated[str, typer.Option("--server", help="TAXII 2.1 server URL (scheme, host, port).")]
ApiRootOpt = Annotated[str, typer.Option("--api-root", help="API root name on the server.")]
CollectionOpt = Annotated[str, typer.Option("--collection", help="Collection id.")]
UserOpt = Annotated[str, typer.Option("--user", help="TAXII user name.")]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file", help="File whose first line is the TAXII password (else FLOCKWATCH_TAXII_PASSWORD)."
    ),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option("--hmac-key-file", help="Sharing-agreement key: account ids and handles travel keyed (HMAC-SHA256)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(tips_app, name="tips")


@tips_app.command("export")
def export(
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Bundle file to write (JSON).")],
    network: Annotated[str | None, typer.Option("--network", help="Candidate network: N0001 or RUN/N0001.")] = None,
    operation: Annotated[
        str | None, typer.Option("--operation", help="Candidate operation: O0001 or RUN/O0001.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="A case id (its snapshot as opened).")] = None,
    sender: Annotated[str, typer.Option("--sender", help="Name of the sending organisation.")] = "flockwatch user",
    tlp: Annotated[
        str, typer.Option("--tlp", help="TLP level of every object: amber (default), red, green, clear.")
    ] = "amber",
    hmac_key_file: KeyFileOpt = None,
    agreement: Annotated[str | None, typer.Option("--agreement", help="Name of the sharing agreement.")] = None,
    attribution: Annotated[
        bool, typer.Option("--attribution/--no-attribution", help="Add threat actor and sponsor from attribution.")
    ] = True,
    objective: Annotated[str | None, typer.Option("--objective", help="The campaign's objective, in words.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a candidate network, operation or case as a STIX 2.1 bundle (TLP:AMBER unless told otherwise).

    Example: flockwatch tips export --network N0001 --out tip.json --workspace cases/hk2019
    """
    chosen = [x for x in (network, operation, case) if x]
    if len(chosen) != 1:
        raise ValidationError("name exactly one of --network, --operation, --case")
    try:
        level = parse_level(tlp)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    ps = Pseudonymiser.from_file(hmac_key_file, agreement) if hmac_key_file else None
    opts = stix_export.ExportOptions(
        sender=sender, tlp=level, pseudonymiser=ps, attribution=attribution, objective=objective
    )
    with open_workspace(workspace, read_only=True) as ws:
        if network:
            subject = subjects.from_network(ws, network)
        elif operation:
            subject = subjects.from_operation(ws, operation)
        else:
            assert case is not None
            subject = subjects.from_case(ws, case)
        with progress_status(f"building the bundle for {len(subject.members):,} accounts"):
            bundle = stix_export.build_bundle(ws, subject, opts)
    path = stix_export.write_bundle(bundle, out)
    summary = {
        "bundle": str(path),
        "objects": len(bundle.objects),
        "subject": subject.ref,
        "candidate": subject.candidate,
        "confidence": subject.confidence,
        "tlp": level.label,
        "pseudonymised": ps.scheme if ps else None,
    }
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"bundle of {summary['objects']} objects for {subject.name} written to [bold]{path}[/] ({level.label})"
        )


def _target(server: str, api_root: str, collection: str, user: str, password_file: Path | None) -> taxii.TaxiiTarget:
    return taxii.TaxiiTarget(server, api_root, collection, user, taxii.read_password(password_file))


@tips_app.command("push")
def push(
    bundle: Annotated[Path, typer.Argument(help="Bundle file to push.")],
    server: ServerOpt,
    api_root: ApiRootOpt,
    collection: CollectionOpt,
    user: UserOpt,
    password_file: PasswordFileOpt = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace (unused; accepted for scripts).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Push a bundle to a TAXII 2.1 collection; pushing the same bundle again stores nothing twice.

    Example: flockwatch tips push tip.json --server https://taxii.example --api-root tips --collection 91a7b528-80eb-42ed-a74d-c6fbd5a26116 --user alice --password-file pw.txt
    """
    doc = intake.read_bundle(bundle)
    t = _target(server, api_root, collection, user, password_file)
    with progress_status(f"pushing {len(doc['objects']):,} objects to {server}"):
        result = taxii.push(doc, t)
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(
            f"{result.objects} objects: {result.added} added, {result.already_present} already there, "
            f"{len(result.failed)} refused"
        )
    if result.failed:
        raise typer.Exit(3)


@tips_app.command("pull")
def pull(
    out: Annotated[Path, typer.Option("--out", "-o", help="Bundle file to write.")],
    server: ServerOpt,
    api_root: ApiRootOpt,
    collection: CollectionOpt,
    user: UserOpt,
    password_file: PasswordFileOpt = None,
    added_after: Annotated[
        str | None, typer.Option("--added-after", help="Only objects added after this time (UTC).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pull a TAXII 2.1 collection (every page) into one bundle file.

    Example: flockwatch tips pull --out peer.json --server https://taxii.example --api-root tips --collection 91a7b528-80eb-42ed-a74d-c6fbd5a26116 --user alice --password-file pw.txt
    """
    t = _target(server, api_root, collection, user, password_file)
    with progress_status(f"pulling from {server}"):
        doc = taxii.pull(t, added_after=added_after)
    path = taxii.write_json_atomically(doc, out)
    if as_json:
        print_json({"bundle": str(path), "objects": len(doc["objects"])})
    else:
        console.print(f"{len(doc['objects'])} objects written to [bold]{path}[/]")


@tips_app.command("import")
def import_tip(
    bundle: Annotated[Path, typer.Argument(help="A peer's bundle file.")],
    workspace: WorkspaceOpt,
    trust: Annotated[float, typer.Option("--trust", help="Your trust in this peer, 0-1 (scales every match).")] = 0.5,
    peer: Annotated[str | None, typer.Option("--peer", help="The peer's name (default: the bundle's sender).")] = None,
    hmac_key_file: KeyFileOpt = None,
    sighting_out: Annotated[
        Path | None, typer.Option("--sighting-out", help="Also write sightings of matched indicators for the peer.")
    ] = None,
    sender: Annotated[
        str, typer.Option("--sender", help="Your organisation's name (in sightings).")
    ] = "flockwatch user",
    by: ByOpt = None,
    user_password_file: Annotated[
        Path | None, typer.Option("--user-password-file", help="The acting user's password file (a team store).")
    ] = None,
    min_confidence: Annotated[
        str, typer.Option("--min-confidence", help="Leads at least this confident go into the case: low, medium, high.")
    ] = "low",
    as_json: JsonOpt = False,
) -> None:
    """Match a peer's tip against this workspace: leads with per-match evidence and confidence, never an action.

    With --by NAME (or FLOCKWATCH_USER / FLOCKWATCH_TOKEN) the leads open a case; without an acting user
    nothing is opened and case_id is null.

    Example: flockwatch tips import peer.json --trust 0.7 --json --workspace cases/fb
    """
    if min_confidence not in ("low", "medium", "high"):
        raise ValidationError(f"--min-confidence must be low, medium or high, got {min_confidence!r}")
    doc = intake.read_bundle(bundle)
    ps = Pseudonymiser.from_file(hmac_key_file) if hmac_key_file else None
    with open_workspace(workspace) as ws:
        with progress_status("matching the tip against local data"):
            result = intake.match_tip(ws, doc, trust=trust, peer=peer, pseudonymiser=ps)
        tip_id = f"T{uuid.uuid4().hex[:10]}"
        case_id = None
        if by or user_password_file or os.environ.get("FLOCKWATCH_TOKEN"):
            actor = actor_for(ws.ops(), by, user_password_file)
            case_id = open_tip_case(ws, result, f"{tip_id} ({bundle.name})", actor.name, actor.os_user, min_confidence)
        record = {"tip_id": tip_id, "case_id": case_id, "source": str(bundle), **result.to_dict()}
        record["indicators_detail"] = [i.__dict__ for i in result.indicators]
        stored = write_tip_record(ws.runs_dir, tip_id, record)
    if sighting_out:
        sightings = build_sightings(doc, result, sender)
        taxii.write_json_atomically(sightings, sighting_out)
    out = {k: v for k, v in record.items() if k != "indicators_detail"}
    out["record"] = str(stored) if stored else None
    if as_json:
        print_json(out)
        return
    table = Table(title=f"tip {tip_id} from {result.peer} (trust {trust}, {result.tlp})")
    for col in ("subject", "screen name", "score", "confidence", "evidence"):
        table.add_column(col)
    for m in result.matches:
        table.add_row(
            f"{m.subject_kind} {m.subject_id}",
            m.screen_name or "",
            f"{m.score:.2f}",
            m.confidence,
            "; ".join(f"{e.kind} {e.value[:30]}" for e in m.evidence[:3]),
        )
    console.print(table)
    console.print(
        f"case {case_id} opened with these leads" if case_id else "no case opened (give --by NAME to open one)"
    )
    console.print("a tip is a lead, not a verdict: review before any action")
