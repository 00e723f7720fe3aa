"""No silent answers: a new workspace carries the shipped registry (once), `ads check` answers without a workspace,
and an empty or undecided registry refuses to answer, naming the command that fixes it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from flockwatch.cli.app import main
from flockwatch.errors import RegistryNotReadyError
from flockwatch.policy import Registry, check_ad_eligibility, ensure_shipped_registry, export_labels
from flockwatch.policy.matrix import MATRIX_DATE, setup_status
from flockwatch.workspace import Workspace

ADS = "twitter-2019-08-ads"


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _counts(path):
    conn = sqlite3.connect(path / "ops.sqlite")
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (
                "media_outlets",
                "media_assets",
                "media_facts",
                "media_imports",
                "policy_determinations",
                "media_registry_setup",
            )
        }
    finally:
        conn.close()


def _assert_xhnews_refused_bbc_exempt(xh, bbc):
    assert (xh["eligible"], xh["outcome"], xh["outlet"]["name"]) == (False, "refuse", "Xinhua News Agency")
    assert xh["reasons"] and xh["sources"] and xh["determination_id"] and not xh["provisional"]
    assert (bbc["eligible"], bbc["outcome"]) == (True, "exempt")
    assert "EXEMPT_INDEPENDENT_PUBLIC_BROADCASTER" in [r["code"] for r in bbc["reasons"]] and bbc["sources"]
    for line in (xh, bbc):
        assert line["registry"]["snapshot_date"] == MATRIX_DATE and "State Media Matrix" in line["registry"]["source"]


def test_new_workspace_answers_from_the_shipped_registry(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["init", str(ws)]) == 0
    capsys.readouterr()
    assert (
        main(["ads", "check", "@XHNews", "bbc.co.uk", "--policy", ADS, "--date", "2019-09-01", "--json", "-w", str(ws)])
        == 0
    )
    _assert_xhnews_refused_bbc_exempt(*_lines(capsys))
    out = tmp_path / "labels.csv"
    assert (
        main(
            [
                "labels",
                "export",
                "--policy",
                "twitter-2020-08-labels",
                "--date",
                "2020-09-01",
                "--out",
                str(out),
                "-w",
                str(ws),
            ]
        )
        == 0
    )
    assert "@XHNews" in out.read_text()


def test_ads_check_without_a_workspace_uses_the_shipped_registry_read_only(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FLOCKWATCH_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["ads", "check", "@XHNews", "bbc.co.uk", "--policy", ADS, "--date", "2019-09-01", "--json"]) == 0
    xh, bbc = _lines(capsys)
    _assert_xhnews_refused_bbc_exempt(xh, bbc)
    assert "in-memory" in xh["registry"]["store"]
    assert list(tmp_path.iterdir()) == []  # nothing written
    assert main(["ads", "check", "RT"]) == 0
    assert "registry: State Media Matrix" in capsys.readouterr().out


def test_reopening_never_imports_twice(tmp_path, capsys):
    path = tmp_path / "ws"
    Workspace.create(path).close()
    first = _counts(path)
    assert first["media_imports"] == 1 and first["media_registry_setup"] == 1 and first["media_outlets"] > 600
    Workspace.create(path).close()
    Workspace.open(path, create=True).close()
    for argv in (["media", "list", "--json"], ["media", "import", "--json"], ["ads", "check", "RT"]):
        assert main([*argv, "-w", str(path)]) == 0
    assert _counts(path) == first


def test_the_setup_mark_lives_in_the_store(tmp_path):
    """Two handles on one store (two workspaces' views, or two team members on one database): one import."""
    path = tmp_path / "ops.sqlite"
    from flockwatch.store import Store, _make_engine, migrate
    from flockwatch.store.conn import OpsConnection

    def handle():
        # two engines on one file, as two processes would have
        st = Store(f"sqlite:///{path}", _make_engine(f"sqlite:///{path}"))
        migrate(st)
        return Registry(OpsConnection(st))

    a, b = handle(), handle()
    assert ensure_shipped_registry(a) == "shipped"
    assert ensure_shipped_registry(b) == "shipped"
    assert b.conn.execute("SELECT count(*) FROM media_imports").fetchone()[0] == 1
    assert setup_status(b) == "shipped"
    a.close()
    b.close()


def test_an_existing_registry_is_left_alone(reg):
    reg.add_outlet("Example News", "GB")
    assert ensure_shipped_registry(reg) == "existing"
    assert reg.counts()["outlets"] == 1


def test_empty_registry_refuses_with_the_fixing_command(tmp_path, capsys, reg):
    with pytest.raises(RegistryNotReadyError, match="flockwatch media import"):
        check_ad_eligibility(reg, "@XHNews")
    with pytest.raises(RegistryNotReadyError, match="flockwatch media import"):
        export_labels(reg, "twitter-2020-08-labels")
    ws = tmp_path / "ws"
    assert main(["init", str(ws), "--no-registry"]) == 0
    capsys.readouterr()
    assert main(["ads", "check", "@XHNews", "--policy", ADS, "--json", "-w", str(ws)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"flockwatch media import --workspace {ws}" in captured.err
    assert main(["labels", "export", "--out", str(tmp_path / "l.csv"), "-w", str(ws)]) == 2
    assert "flockwatch media import" in capsys.readouterr().err
    assert not (tmp_path / "l.csv").exists()


def test_no_determinations_refuses_with_the_fixing_command(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["init", str(ws), "--no-registry"]) == 0
    assert main(["media", "import", "-w", str(ws)]) == 0
    capsys.readouterr()
    assert main(["ads", "check", "@XHNews", "--policy", ADS, "-w", str(ws)]) == 2
    assert f"flockwatch media decide --policy {ADS} --workspace {ws}" in capsys.readouterr().err
    assert main(["labels", "export", "--policy", "meta-2020-06", "-w", str(ws)]) == 2
    assert "flockwatch media decide --policy meta-2020-06" in capsys.readouterr().err
    assert main(["media", "decide", "--policy", ADS, "--as-of", "2019-08-19", "-w", str(ws)]) == 0
    capsys.readouterr()
    assert main(["ads", "check", "@XHNews", "--policy", ADS, "--date", "2019-09-01", "--json", "-w", str(ws)]) == 0
    (xh,) = _lines(capsys)
    assert xh["eligible"] is False and xh["registry"]["snapshot_date"] == MATRIX_DATE
