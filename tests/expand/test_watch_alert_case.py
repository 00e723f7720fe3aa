"""A case opened from a watch alert, end to end through the CLI on SQLite and PostgreSQL: `watch` flags a fresh
amplifier in a small simulated stream and raises an alert; `case open --watch-alert` freezes its accounts with the
watcher's evidence; a later alert never changes the case."""

from __future__ import annotations

import json

import pytest

from flockwatch.cli.app import main
from flockwatch.expand.alerts import get_alert
from flockwatch.review.cases import get_case
from flockwatch.workspace import Workspace, ops_store

import opsdb
from expand_scenario import at, build_scenario


@pytest.fixture(params=opsdb.BACKENDS)
def alert_ws(request, tmp_path, monkeypatch):
    path = tmp_path / "ws"
    with opsdb.workspace_backend(request.param, monkeypatch, path):
        with Workspace.create(path, registry=False) as ws:
            sc = build_scenario(ws)
        seeds = tmp_path / "seeds.txt"
        seeds.write_text("\n".join(sc["seeds"]) + "\n")
        pw = tmp_path / "admin.pw"
        pw.write_text("admin-correct-horse\n")
        assert (
            main(["users", "add", "admin", "--role", "admin", "--password-file", str(pw), "--workspace", str(path)])
            == 0
        )
        yield path, seeds, pw


def _reposts(account: str, n: int) -> list[dict]:
    return [
        {
            "action_id": f"{account}_r{k}",
            "account_id": account,
            "kind": "repost",
            "acted_at": at((k % 4) * 7 + k * 97 + 1).isoformat(),
            "target_action_id": f"s{k % 4 + 1}_p{k}",
            "target_account_id": f"s{k % 4 + 1}",
        }
        for k in range(n)
    ]


def _watch(path, seeds, inbox, capsys) -> list[dict]:
    capsys.readouterr()
    argv = ["watch", "--workspace", str(path), "--seeds", str(seeds), "--dir", str(inbox), "--once", "--no-expand"]
    assert main(argv) == 0
    return [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]


def test_case_from_a_watch_alert(alert_ws, tmp_path, capsys):
    path, seeds, pw = alert_ws
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "001.jsonl").write_text("\n".join(json.dumps(x) for x in _reposts("newamp", 6)) + "\n")
    flags = _watch(path, seeds, inbox, capsys)
    assert [f["account_id"] for f in flags] == ["newamp"]
    alert_id = flags[0]["alert_id"]
    alert = get_alert(ops_store(path), alert_id)
    assert alert.source == "001.jsonl" and [a.account_id for a in alert.accounts] == ["newamp"]

    user = ["--by", "admin", "--password-file", str(pw), "--workspace", str(path)]
    assert main(["case", "open", "--watch-alert", alert_id, "--json", *user]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert opened["source"] == {"kind": "alert", "ref": alert_id, "run_id": None}
    assert opened["subjects"] == {"open": 1} and opened["detail"]["alert"]["source"] == "001.jsonl"
    snap = get_case(ops_store(path), opened["case_id"])
    [s] = snap.subjects
    assert s.subject_id == "newamp" and s.evidence["nats"] == flags[0]["nats"]  # no score without calibration
    assert s.evidence["alert_id"] == alert_id and s.evidence["actions_seen"] == flags[0]["actions_seen"]
    assert s.evidence["watch_evidence"] == flags[0]["evidence"]

    # a second batch raises another alert; the first case is unchanged
    (inbox / "002.jsonl").write_text("\n".join(json.dumps(x) for x in _reposts("newamp2", 6)) + "\n")
    second = _watch(path, seeds, inbox, capsys)
    assert second and second[0]["alert_id"] != alert_id
    assert get_case(ops_store(path), opened["case_id"]).n_subjects == 1

    capsys.readouterr()
    assert main(["case", "open", "--watch-alert", "A20000101-00000000", *user]) == 2
    assert "no watch alert" in capsys.readouterr().err
    assert main(["audit", "verify", "--workspace", str(path)]) == 0
