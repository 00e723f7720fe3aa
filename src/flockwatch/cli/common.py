"""Shared CLI pieces: the --workspace option, JSON printing, Rich progress."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from flockwatch.workspace import Workspace

console = Console()

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace directory.", envvar="FLOCKWATCH_WORKSPACE"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def open_workspace(path: Path, create: bool = False, read_only: bool = False) -> Workspace:
    return Workspace.open(path, create=create, read_only=read_only)


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str, ensure_ascii=False))


@contextlib.contextmanager
def progress_status(description: str, enabled: bool = True) -> Iterator[Any]:
    """A Rich spinner with elapsed time; yields ``update(text)``. Writes to stderr so stdout stays parseable."""
    if not enabled:
        yield lambda text: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as prog:
        task = prog.add_task(description, total=None)
        yield lambda text: prog.update(task, description=text)
