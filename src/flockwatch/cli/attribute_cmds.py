"""`flockwatch attribute`: evidence and a hedged confidence about who is behind a candidate network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.attribute import attribute as attribute_network
from flockwatch.attribute import from_lists
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json


def register(app: typer.Typer) -> None:
    app.command("attribute")(attribute)


def _lines(path: Path | None) -> list[str]:
    if not path:
        return []
    from flockwatch.expand.seeds import read_seed_file

    return read_seed_file(path)


def attribute(
    workspace: WorkspaceOpt,
    accounts: Annotated[str, typer.Option("--accounts", help="File with one account id per line, or network:<id>.")],
    network_id: Annotated[str | None, typer.Option("--network-id", help="Name the network in the rationale.")] = None,
    state_media_handles: Annotated[
        Path | None, typer.Option(help="File of state-media handles, one a line (optionally handle:CC).")
    ] = None,
    state_media_domains: Annotated[
        Path | None, typer.Option(help="File of state-media domains, one a line (optionally domain:CC).")
    ] = None,
    registry: Annotated[
        bool, typer.Option("--registry/--no-registry", help="Also use the workspace's state-media registry.")
    ] = True,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the assessment as JSON.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Collect infrastructure, timing, state-media and creation evidence for a candidate network and state who is
    likely behind it, with a confidence level (low / moderate / high), the rationale and what would change it.

    Example: flockwatch attribute --workspace cases/hk2019 --accounts network:3 --output attribution.json
    """
    ref = from_lists(_lines(state_media_handles), _lines(state_media_domains))
    with open_workspace(workspace) as ws:
        a = attribute_network(ws, accounts, network_id=network_id, state_media=ref, use_registry=registry)
    d = a.to_dict()
    if output:
        import json

        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(d, indent=2, ensure_ascii=False, default=str) + "\n")
    if json_:
        print_json(d)
        return
    console.print(f"[bold]{a.confidence} confidence[/] — hypothesis: {a.hypothesis or 'none'}")
    console.print(a.rationale)
    t = Table(title="evidence")
    for c in ("id", "category", "strength", "points to", "claim"):
        t.add_column(c)
    for c in a.claims:
        t.add_row(c.claim_id, c.category, str(c.strength), ",".join(c.points_to), c.text)
    console.print(t)
    console.print("What would change this assessment:")
    for w in a.would_change:
        console.print(f"  - {w}")
