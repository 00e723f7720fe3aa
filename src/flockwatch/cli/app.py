"""The ``flockwatch`` command: a thin Typer shell over the library.

Every command opens a Workspace and calls library functions; library errors become exit codes only here
(2 = user error, 3 = external failure, 4 = refused by policy). Verb groups live one per module in ``cli/``; each module exposes
``register(app)``. Adding a verb group is one module plus one line in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence

import typer
from rich.console import Console
from rich.markup import escape

from flockwatch.errors import FlockwatchError

#: verb-group module -> the top-level commands it registers. ``main`` imports only the module of the command it runs
#: (importing all of them costs about as much start-up again as the workspace itself: scipy, the web console, the
#: ops store); tests/test_cli_help.py checks that every module registers exactly the names listed here.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "flockwatch.cli.demo_cmds": ("demo",),
    "flockwatch.cli.workspace_cmds": ("init", "info", "migrate", "export"),
    "flockwatch.cli.ingest_cmds": ("ingest",),
    "flockwatch.cli.detect_cmds": ("detect",),
    "flockwatch.cli.networks_cmds": ("networks",),
    "flockwatch.cli.evaluate_cmds": ("evaluate",),
    "flockwatch.cli.signals_cmds": ("signals", "working-hours"),
    "flockwatch.cli.report_cmds": ("report", "narratives"),
    "flockwatch.cli.media_cmds": ("media",),
    "flockwatch.cli.ads_cmds": ("ads",),
    "flockwatch.cli.labels_cmds": ("labels",),
    "flockwatch.cli.simulate_cmds": ("simulate",),
    "flockwatch.cli.expand_cmds": ("expand",),
    "flockwatch.cli.watch_cmds": ("watch",),
    "flockwatch.cli.attribute_cmds": ("attribute",),
    "flockwatch.cli.serve_cmds": ("serve",),
    "flockwatch.cli.users_cmds": ("users",),
    "flockwatch.cli.case_cmds": ("case",),
    "flockwatch.cli.audit_cmds": ("audit",),
    "flockwatch.cli.store_cmds": ("store",),
    "flockwatch.cli.jobs_cmds": ("jobs",),
    "flockwatch.cli.handoff_cmds": ("handoff",),
    "flockwatch.cli.retention_cmds": ("retention",),
    "flockwatch.cli.privacy_cmds": ("privacy",),
    "flockwatch.cli.tips_cmds": ("tips",),
    "flockwatch.cli.psi_cmds": ("psi",),
    "flockwatch.cli.redteam_cmds": ("redteam",),
    "flockwatch.cli.disclose_cmds": ("disclose",),
}

_MODULE_OF = {name: module for module, names in COMMAND_MODULES.items() for name in names}
HELP = "Find, attribute and act on coordinated information operations."

err_console = Console(stderr=True)


def build_app(modules: Iterable[str] = COMMAND_MODULES) -> typer.Typer:
    """A Typer app with the verb groups of ``modules`` registered (all of them by default)."""
    built = typer.Typer(
        name="flockwatch",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    for module in modules:
        importlib.import_module(module).register(built)
    return built


def _app_for(args: Sequence[str]) -> typer.Typer:
    """The app that runs ``args``: one verb group when the first word names a command, else all (help, typos)."""
    module = _MODULE_OF.get(args[0]) if args else None
    if module is None:
        return __getattr__("app")
    one = build_app([module])
    # with a single command Typer would drop the command word; a group callback keeps `flockwatch NAME ...` a group

    @one.callback()
    def _group() -> None:
        pass

    return one


def __getattr__(name: str) -> typer.Typer:
    """``app`` (every verb group) is built on first use, for tests and help; ``main`` builds only what it runs."""
    if name != "app":
        raise AttributeError(name)
    full = build_app()
    globals()["app"] = full
    return full


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; maps flockwatch errors to exit codes."""
    try:
        args = list(sys.argv[1:] if argv is None else argv)
        _app_for(args)(args=args, standalone_mode=False, prog_name="flockwatch")
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
