"""`flockwatch audit verify|show|keygen|anchor|export-public-key`: the hash-chained audit log of the operational store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, print_json
from flockwatch.errors import ValidationError
from flockwatch.review import audit
from flockwatch.workspace import ops_store

KeyOpt = Annotated[Path, typer.Option("--key-file", help="Ed25519 key (PEM) kept OUTSIDE the database.")]
AnchorsOpt = Annotated[
    Path | None, typer.Option("--anchors", help="Signed chain heads (JSONL; default: the key file + .anchors).")
]


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="The tamper-evident audit log: verify, anchor, show.", no_args_is_help=True)
    audit_app.command("verify")(verify)
    audit_app.command("show")(show)
    audit_app.command("keygen")(keygen)
    audit_app.command("anchor")(anchor)
    audit_app.command("export-public-key")(export_public_key)
    app.add_typer(audit_app, name="audit")


def _anchors(key_file: Path, anchors: Path | None) -> Path:
    return anchors if anchors is not None else key_file.with_name(key_file.name + ".anchors")


def verify(
    workspace: WorkspaceOpt,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Also check the signed heads made with this key.")
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Check the signed heads with the public key only (needs --anchors)."),
    ] = None,
    anchors: AnchorsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recompute the chain; exit 0 when intact, 1 naming the first edited, deleted or reordered entry. With the
    anchor key (private, or --public-key and --anchors) a rewritten or truncated chain is caught as well.

    Example: flockwatch audit verify --public-key audit.pub --anchors audit.anchors --workspace cases/hk2019
    """
    store = ops_store(workspace)
    if key_file is not None and public_key is not None:
        raise ValidationError("give --key-file or --public-key, not both")
    if public_key is not None and anchors is None:
        raise ValidationError("--public-key needs --anchors FILE (the signed heads written by `audit anchor`)")
    if key_file is not None:
        v = audit.check_anchors(store, key_file, _anchors(key_file, anchors))
    elif public_key is not None and anchors is not None:
        v = audit.check_anchors(store, public_key, anchors)
    else:
        v = audit.verify(store)
    if json_out:
        print_json(v.to_dict())
    elif v.ok:
        console.print(f"audit log intact: {v.entries:,} entries, head {v.head_seq} {v.head_hash[:16]}…")
    else:
        console.print(f"audit log BROKEN at entry {v.first_bad_seq}: {v.problem}")
    if not v.ok:
        raise SystemExit(1)


def show(
    workspace: WorkspaceOpt,
    object_ref: Annotated[
        str | None, typer.Option("--object", help="Only entries about this (e.g. case:C...).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="The newest N entries.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """The newest audit entries.

    Example: flockwatch audit show --object case:C20190819-a1b2c3 --workspace cases/hk2019
    """
    rows = audit.entries(ops_store(workspace), object_ref, limit)
    if json_out:
        print_json([e.to_dict() for e in rows])
        return
    for e in rows:
        console.print(f"{e.seq}\t{e.at}\t{e.actor}\t{e.action}\t{e.object_ref}\t{e.reason}")


def keygen(key_file: KeyOpt) -> None:
    """Create the Ed25519 anchor key (keep it off the database host; share the public half with auditors).

    Example: flockwatch audit keygen --key-file ~/keys/flockwatch-audit.pem
    """
    audit.write_key(key_file)
    console.print(f"wrote {key_file} (mode 0600)")


def anchor(
    workspace: WorkspaceOpt,
    key_file: KeyOpt,
    anchors: AnchorsOpt = None,
    public_key_out: Annotated[
        Path | None, typer.Option("--public-key-out", help="Also write the key's public half here (for auditors).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Sign the chain head and append it to the anchors file (run it from cron; a rewritten log is then caught).

    Example: flockwatch audit anchor --key-file ~/keys/flockwatch-audit.pem --workspace cases/hk2019
    """
    rec = audit.anchor(ops_store(workspace), key_file, _anchors(key_file, anchors))
    if public_key_out is not None:
        audit.write_public_key(key_file, public_key_out)
    if json_out:
        print_json(rec)
    else:
        console.print(f"anchored entry {rec['seq']} ({rec['entry_hash'][:16]}…)")


def export_public_key(
    key_file: KeyOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the public key (PEM).")],
) -> None:
    """Write the anchor key's public half: auditors check anchors with it (`audit verify --public-key`) and cannot
    sign new ones.

    Example: flockwatch audit export-public-key --key-file ~/keys/flockwatch-audit.pem --out audit.pub
    """
    audit.write_public_key(key_file, out)
    console.print(f"wrote {out}")
