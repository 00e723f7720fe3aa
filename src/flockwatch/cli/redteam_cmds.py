"""`flockwatch redteam`: evasion transforms against a planted operation, precision and recall per transform.

Calls :func:`flockwatch.evaluate.redteam.run_redteam` and :func:`~flockwatch.evaluate.redteam.write_report`; prints a
table of the curves and where ``redteam.json`` and ``redteam.html`` were written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, console, print_json, progress_status


def register(app: typer.Typer) -> None:
    app.command("redteam")(redteam)


def redteam(
    preset: Annotated[str, typer.Option(help="Simulator preset whose planted operation evades.")] = "small",
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for redteam.json and redteam.html.")] = Path(
        "redteam"
    ),
    transform: Annotated[
        list[str] | None,
        typer.Option(
            help="Transform to apply (repeatable; default all): timing_jitter, near_duplicate_text, "
            "aged_accounts, small_cells, fewer_shared_ips, organic_filler."
        ),
    ] = None,
    level: Annotated[list[int] | None, typer.Option(help="Strength level 0-3 (repeatable; default all).")] = None,
    seed: Annotated[list[int] | None, typer.Option(help="Simulation seed (repeatable; default 1).")] = None,
    actions: Annotated[int | None, typer.Option(help="Actions per simulated platform (default: the preset's).")] = None,
    amplifier_factor: Annotated[
        float | None, typer.Option(help="hk2019 only: amplifiers per core account (default 20).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Apply evasion transforms to the planted operation at several strengths and report how precision and recall
    of the default pipeline degrade, per transform (JSON and an HTML report with one chart per transform).

    Example: flockwatch redteam --preset small --out redteam --transform timing_jitter --level 0 --level 2
    """
    from flockwatch.evaluate.redteam import LEVELS, run_redteam, write_report

    over = {"amplifier_factor": amplifier_factor} if amplifier_factor is not None else {}
    with progress_status("red team") as update:
        result = run_redteam(
            preset,
            transforms=transform or None,
            levels=level or LEVELS,
            seeds=seed or (1,),
            n_actions=actions,
            workdir=out / "trials",
            progress=update,
            **over,
        )
    json_path, html_path = write_report(result, out)
    doc = result.to_dict()
    if json_:
        print_json({**doc, "json": str(json_path), "html": str(html_path)})
        return
    t = Table(title=f"red team on preset {preset}: precision / recall by strength")
    t.add_column("transform")
    for lv in sorted({int(x) for c in doc["curves"].values() for x, _ in c["recall"]}):
        t.add_column(f"level {lv}", justify="right")
    for name, c in doc["curves"].items():
        prec = dict(c["precision"])
        t.add_row(name, *(f"{prec.get(x, float('nan')):.3f} / {r:.3f}" for x, r in c["recall"]))
    console.print(t)
    console.print(f"wrote {json_path} and {html_path}", highlight=False)
