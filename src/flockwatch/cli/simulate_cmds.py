"""`flockwatch simulate`: write a synthetic platform with planted operations and ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from flockwatch.cli.common import JsonOpt, console, print_json
from flockwatch.simulate import PRESETS, TACTIC_NAMES
from flockwatch.simulate import simulate as run_simulation


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (created if needed).")],
    preset: Annotated[str, typer.Option(help=f"Preset: {', '.join(PRESETS)}.")] = "demo",
    actions: Annotated[
        int | None, typer.Option("--actions", "-n", help="Target number of actions (default: the preset's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = 0,
    amplifier_factor: Annotated[
        float | None, typer.Option(help="hk2019 only: amplifiers per core account (the real case had ~200).")
    ] = None,
    disable: Annotated[
        list[str] | None,
        typer.Option("--disable", help=f"Turn a tactic off (repeatable): {', '.join(TACTIC_NAMES)}."),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Override the simulated period length in days.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Write a synthetic platform (archive CSVs, logins.csv) with planted operations and their ground truth.

    Example: flockwatch simulate --preset hk2019 --actions 1000000 --seed 7 --out data/sim-hk2019

    Files: <set>_<MMYYYY>_1_users_csv_unhashed.csv, <set>_<MMYYYY>_<n>_tweets_csv_unhashed.csv (Twitter
    information-operations archive format), logins.csv, truth.csv (planted accounts) and truth.json (configuration).
    """
    overrides: dict = {}
    if amplifier_factor is not None:
        overrides["amplifier_factor"] = amplifier_factor
    if disable:
        overrides["disable_tactics"] = list(disable)
    if days is not None:
        overrides["days"] = days
    if json_:
        result = run_simulation(out, preset=preset, n_actions=actions, seed=seed, **overrides)
    else:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} actions"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as prog:
            task = prog.add_task("simulating", total=None)

            def progress(done: int, expected: int, message: str) -> None:
                prog.update(task, completed=done, total=max(done, expected), description=message)

            result = run_simulation(out, preset=preset, n_actions=actions, seed=seed, progress=progress, **overrides)
    if json_:
        print_json(result.to_dict())
        return
    t = Table(title=f"simulate {preset} (seed {seed})")
    t.add_column("what")
    t.add_column("count", justify="right")
    for k, v in result.counts.items():
        t.add_row(k, f"{v:,}")
    console.print(t)
    rate = result.counts["actions"] / result.seconds if result.seconds else 0.0
    console.print(
        f"wrote {len(result.paths)} files to [bold]{result.out_dir}[/] in {result.seconds:.1f} s "
        f"({rate:,.0f} actions/s)"
    )
    for p in result.paths:
        console.print(f"  {p.name}")
