"""Private-matching verbs: ``psi request|respond|finish`` — which items two platforms share, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.common import JsonOpt, console, print_json, progress_status
from flockwatch.share import psi

psi_app = typer.Typer(
    help="Private set intersection with a peer over files (openmined-psi); see the threat model in flockwatch.share.psi.",
    no_args_is_help=True,
)

KindOpt = Annotated[str, typer.Option("--kind", help="Item kind: handle, email, phone or raw.")]
CounterpartOpt = Annotated[str, typer.Option("--counterpart", help="Who the other party is (recorded in the audit).")]
AuditOpt = Annotated[
    Path | None,
    typer.Option("--audit", help="Audit file (JSON lines) to append this step to.", envvar="FLOCKWATCH_PSI_AUDIT"),
]
MaxOpt = Annotated[int, typer.Option("--max-items", help="Cap on either list's size.")]


def register(app: typer.Typer) -> None:
    app.add_typer(psi_app, name="psi")


@psi_app.command("request")
def request(
    items: Annotated[Path, typer.Argument(help="Your items, one a line.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Request file to send to the other party.")],
    state: Annotated[Path, typer.Option("--state", help="Your private state file (keep it; never send it).")],
    counterpart: CounterpartOpt,
    kind: KindOpt = "handle",
    audit: AuditOpt = None,
    max_items: MaxOpt = psi.DEFAULT_MAX_ITEMS,
) -> None:
    """Step 1 (the asking party): blind your items into a request file.

    Example: flockwatch psi request handles.txt --out request.json --state psi-state.json --counterpart peer-platform
    """
    listed = psi.read_items(items, kind, max_items)
    with progress_status(f"blinding {len(listed):,} items"):
        n = psi.request(listed, kind, out, state, counterpart, audit)
    console.print(f"request with {n:,} blinded items written to [bold]{out}[/]; keep {state} private")


@psi_app.command("respond")
def respond(
    items: Annotated[Path, typer.Argument(help="Your items, one a line.")],
    request_file: Annotated[Path, typer.Option("--request", help="The other party's request file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Response file to send back.")],
    counterpart: CounterpartOpt,
    kind: KindOpt = "handle",
    audit: AuditOpt = None,
    max_items: MaxOpt = psi.DEFAULT_MAX_ITEMS,
) -> None:
    """Step 2 (the answering party): answer a request with your blinded items.

    Example: flockwatch psi respond our-handles.txt --request request.json --out response.json --counterpart peer-platform
    """
    listed = psi.read_items(items, kind, max_items)
    with progress_status(f"answering with {len(listed):,} items"):
        psi.respond(listed, kind, request_file, out, counterpart, max_items, audit)
    console.print(f"response written to [bold]{out}[/]")


@psi_app.command("finish")
def finish(
    state: Annotated[Path, typer.Option("--state", help="Your private state file from `psi request`.")],
    response: Annotated[Path, typer.Option("--response", help="The other party's response file.")],
    counterpart: CounterpartOpt,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the shared items here, one a line.")] = None,
    audit: AuditOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Step 3 (the asking party): the items of your list that the other party also holds.

    Example: flockwatch psi finish --state psi-state.json --response response.json --counterpart peer-platform --out shared.txt
    """
    with progress_status("unblinding and comparing"):
        result = psi.finish(state, response, counterpart, audit)
    shared = [psi.display(i) for i in result.shared]
    if out:
        out.write_text("".join(s + "\n" for s in shared), encoding="utf-8")
    if as_json:
        print_json({**result.to_dict(), "items": shared})
    else:
        console.print(
            f"{len(shared):,} of your {result.mine:,} items are shared (the other party holds {result.theirs:,})"
        )
