"""The ``flockwatch`` command: a thin Typer shell over the library.

Every command opens a Workspace and calls library functions; library errors become exit codes only here
(2 = user error, 3 = external failure, 4 = refused by policy). Verb groups live one per module in ``cli/``; each module exposes
``register(app)``. Adding a verb group is one module plus one line in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from flockwatch.errors import FlockwatchError

COMMAND_MODULES = [
    "flockwatch.cli.demo_cmds",
    "flockwatch.cli.workspace_cmds",
    "flockwatch.cli.ingest_cmds",
    "flockwatch.cli.detect_cmds",
    "flockwatch.cli.networks_cmds",
    "flockwatch.cli.evaluate_cmds",
    "flockwatch.cli.signals_cmds",
    "flockwatch.cli.report_cmds",
    "flockwatch.cli.media_cmds",
    "flockwatch.cli.ads_cmds",
    "flockwatch.cli.labels_cmds",
    "flockwatch.cli.simulate_cmds",
    "flockwatch.cli.expand_cmds",
    "flockwatch.cli.watch_cmds",
    "flockwatch.cli.attribute_cmds",
    "flockwatch.cli.serve_cmds",
    "flockwatch.cli.users_cmds",
    "flockwatch.cli.case_cmds",
    "flockwatch.cli.audit_cmds",
    "flockwatch.cli.store_cmds",
    "flockwatch.cli.jobs_cmds",
    "flockwatch.cli.handoff_cmds",
    "flockwatch.cli.retention_cmds",
    "flockwatch.cli.privacy_cmds",
    "flockwatch.cli.tips_cmds",
    "flockwatch.cli.psi_cmds",
    "flockwatch.cli.redteam_cmds",
    "flockwatch.cli.disclose_cmds",
]

app = typer.Typer(
    name="flockwatch",
    help="Find, attribute and act on coordinated information operations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

err_console = Console(stderr=True)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; maps flockwatch errors to exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except FlockwatchError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        code = exc.exit_code
    except SystemExit as exc:  # typer/click exit paths
        code = exc.code if isinstance(exc.code, int) else 0
    except typer.Abort:
        err_console.print("aborted")
        code = 1
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            err_console.print(f"error: {exc}")
        code = getattr(exc, "exit_code", 2) or 2
    else:
        code = 0
    if argv is None:
        sys.exit(code)
    return code
