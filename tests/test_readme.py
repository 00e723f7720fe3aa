"""README examples cannot drift: every `flockwatch ...` line names a real command with real options, and the
README's first screen has exactly the two set-up commands."""

from __future__ import annotations

import functools
import re
import shlex

import typer.main

from flockwatch.cli.app import app

from fwtest import ROOT

README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


@functools.cache
def _root():
    # converting the whole Typer app to Click commands costs a second or more; once per test session is enough
    return typer.main.get_command(app)


def _resolve(argv: list[str]):
    cmd = _root()
    rest = list(argv)
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    return cmd, rest


def test_first_block_has_exactly_make_demo_and_make_test():
    first = _blocks("bash")[0]
    commands = [ln.split("#")[0].strip() for ln in first.splitlines() if ln.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]


def test_every_cli_example_resolves_to_a_command_with_known_options():
    lines = [ln.strip() for b in _blocks("bash") for ln in b.splitlines() if ln.strip().startswith("flockwatch ")]
    assert lines, "README has no CLI examples"
    for line in lines:
        argv = shlex.split(line.split(" #")[0])[1:]
        cmd, rest = _resolve(argv)
        assert not hasattr(cmd, "commands"), f"{line!r} does not name a command"
        known = {opt for p in cmd.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
        used = {a.split("=")[0] for a in rest if a.startswith("--")}
        assert used <= known, f"{line!r}: unknown options {used - known}"


def test_python_example_runs(tmp_path, monkeypatch):
    """The API example runs as written against a small archive file."""
    code = _blocks("python")[0]
    monkeypatch.chdir(tmp_path)
    src = ROOT / "tests" / "fixtures" / "ingest"
    archive = next(src.rglob("*tweets*.csv"), None)
    assert archive is not None, "an archive tweets fixture is needed for the README example"
    (tmp_path / "china_082019_1_tweets_csv_hashed.csv").write_bytes(archive.read_bytes())
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "cases" / "hk2019" / "warehouse.duckdb").exists()
