"""Every CLI command has --help text with an example, and the help runs (docs cannot drift)."""

from __future__ import annotations

import pytest
import typer.main

from flockwatch.cli.app import app, main


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(cmd, "commands"):  # a sub-group
            yield from _commands(cmd, path)
        else:
            yield path, cmd


ALL = list(_commands(typer.main.get_command(app)))


def test_there_are_commands():
    names = {" ".join(p) for p, _ in ALL}
    assert {"init", "info", "ingest", "export", "migrate"} <= names


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_an_example(path, cmd, capsys):
    assert "Example:" in (cmd.help or ""), f"`flockwatch {' '.join(path)}` help lacks an Example: line"
    example = (cmd.help or "").split("Example:", 1)[1].strip().splitlines()[0]
    assert example.startswith("flockwatch " + " ".join(path)), example
    assert main([*path, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_user_error_exit_code_2(tmp_path, capsys):
    assert main(["info", "--workspace", str(tmp_path / "missing")]) == 2
    assert "flockwatch init" in capsys.readouterr().err


def test_unknown_option_is_usage_error():
    assert main(["info", "--no-such-option"]) == 2


def test_command_index_matches_modules():
    """`main` imports only the verb group it runs, found through COMMAND_MODULES: the index must be exact."""
    import importlib

    from flockwatch.cli.app import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        one = typer.Typer()
        importlib.import_module(module).register(one)
        registered = [c.name or c.callback.__name__ for c in one.registered_commands]
        registered += [g.name for g in one.registered_groups]
        assert sorted(registered) == sorted(names), module


def test_one_verb_group_runs_like_the_full_app(tmp_path, capsys):
    """`flockwatch init` through the one-group app: the command word is kept and the workspace is made."""
    assert main(["init", str(tmp_path / "ws"), "--no-registry"]) == 0
    assert (tmp_path / "ws").exists()
    assert main(["info", "--workspace", str(tmp_path / "ws")]) == 0
    assert main(["no-such-command"]) == 2


def _typer_tree(t: typer.Typer) -> list[tuple[str, ...]]:
    """Every command name a Typer holds, with its sub-groups' names as prefixes (duplicates kept)."""
    names = [(c.name or c.callback.__name__,) for c in t.registered_commands]
    for g in t.registered_groups:
        names += [(g.name, *n) for n in _typer_tree(g.typer_instance)]
    return names


def test_registering_a_verb_group_again_does_not_grow_it():
    """`main` builds the app of the verb group it runs on every call: a long-lived caller (the tests, a notebook)
    calls it thousands of times, and a group that kept its commands between builds grew each time (one suite's
    calls got slower and slower as Typer re-read every copy's signature)."""
    from flockwatch.cli.app import COMMAND_MODULES, build_app

    for module in COMMAND_MODULES:
        first = _typer_tree(build_app([module]))
        again = _typer_tree(build_app([module]))
        assert again == first, module
        assert len(set(again)) == len(again), f"{module} registers a command twice"
