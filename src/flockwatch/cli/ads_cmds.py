"""`flockwatch ads check`: may this advertiser buy ads under a policy on a date?

With --workspace the answer comes from that workspace's registry; without one, from a private in-memory copy of
the shipped registry (``policy.matrix.shipped_registry``): nothing is written anywhere, so a quick check needs no
workspace and cannot leave a stale copy behind.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, console
from flockwatch.cli.media_cmds import registry_at
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.policy import Registry, shipped_registry
from flockwatch.policy.ads import ad_index
from flockwatch.policy.facts import parse_date


def register(app: typer.Typer) -> None:
    ads_app = typer.Typer(help="Advertising eligibility of state media under a policy.", no_args_is_help=True)
    ads_app.command("check")(check)
    app.add_typer(ads_app, name="ads")


OptionalWorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="FLOCKWATCH_WORKSPACE",
        help="Workspace directory (default: answer from the shipped registry, read-only).",
    ),
]


@contextlib.contextmanager
def _registry(workspace: Path | None) -> Iterator[Registry]:
    if workspace is not None:
        with registry_at(workspace) as reg:
            yield reg
        return
    reg = shipped_registry()
    try:
        yield reg
    finally:
        reg.conn.close()


def _inputs(advertisers: list[str], batch: Path | None) -> list[str]:
    items = list(advertisers)
    if batch is not None:
        if str(batch) == "-":
            items += [line.strip() for line in sys.stdin if line.strip()]
        elif not batch.exists():
            raise InputFileError(batch, "no such file")
        else:
            with batch.open(encoding="utf-8") as f:
                items += [line.strip() for line in f if line.strip() and not line.startswith("#")]
    if not items:
        raise ValidationError("give at least one advertiser (handle, domain or name) or --batch FILE")
    return items


def check(
    workspace: OptionalWorkspaceOpt = None,
    advertisers: Annotated[list[str] | None, typer.Argument(help="Handles (@x or x), domains/URLs or names.")] = None,
    policy: Annotated[str, typer.Option("--policy", "-p", help="Policy id.")] = "twitter-2019-08-ads",
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Country where the ads run (e.g. US).")] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="File with one advertiser per line ('-' = stdin).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Is each advertiser linked to a registered outlet, and may it buy ads? Organic use is never affected.

    Example: flockwatch ads check @XHNews bbc.co.uk --policy twitter-2019-08-ads --date 2019-09-01 --json -w ws

    With --json, prints one JSON object per input (JSON lines): eligible (true/false/null = review), outcome,
    outlet, reasons (codes citing fact ids), sources and registry (its source and snapshot date). Without
    --workspace the shipped registry answers (read-only, in memory).
    """
    items = _inputs(advertisers or [], batch)
    on = parse_date(date, "--date", allow_future=True) if date else None
    with _registry(workspace) as reg:
        idx = ad_index(reg, policy)
        if json_:
            out = sys.stdout
            # one write per 1,000 lines: per-line writes cost more than the lookups
            for start in range(0, len(items), 1000):
                out.write("".join(idx.check_json(item, on, region) + "\n" for item in items[start : start + 1000]))
            out.flush()
            return
        results = [idx.check(item, on, region) for item in items]
    reg_info = idx.registry
    t = Table(
        title=f"ads check under {idx.policy.key} (organic use is not affected)",
        caption=f"registry: {reg_info['source']}; snapshot {reg_info['snapshot_date'] or 'none'}",
    )
    for c in ("input", "outlet", "eligible", "outcome", "reasons", "sources"):
        t.add_column(c, overflow="fold")
    for r in results:
        eligible = {True: "yes", False: "no", None: "review"}[r.eligible]
        t.add_row(
            r.input,
            r.outlet["name"] if r.outlet else "—",
            eligible,
            r.outcome,
            ", ".join(x["code"] for x in r.reasons),
            "; ".join(f"#{s['fact_id']} {s['source']} ({s['source_date']})" for s in r.sources[:3])
            + (f" +{len(r.sources) - 3}" if len(r.sources) > 3 else ""),
        )
    console.print(t)
