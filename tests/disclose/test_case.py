"""Disclosure of a case: a case opened on the planted network, suspension proposed by one user and approved (and so
executed) by another; only executed subjects are disclosed (one put under appeal and one reversed are not), the
release is audited with its key id, and a reversal produces the withdrawal."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from sqlalchemy import update

from flockwatch.cli.app import main
from flockwatch.review import actions, audit
from flockwatch.review.actor import acting_user
from flockwatch.review.cases import get_case, open_case
from flockwatch.store.tables import ops_case_subjects
from flockwatch.store.users import add_user
from flockwatch.workspace import Workspace


@pytest.fixture
def case_ws(scenario, tmp_path):
    ws_dir = tmp_path / "ws"
    shutil.copytree(scenario.ws_dir, ws_dir)
    with Workspace.open(ws_dir) as ws:
        store = ws.ops()
        add_user(store, "alice", "analyst")
        add_user(store, "bob", "reviewer")
        case_id = open_case(store, by="alice", engine=ws.engine, network="N0001")
        actions.propose(store, case_id, acting_user(store, by="alice"), "suspend", "coordinated network")
        actions.approve(store, case_id, acting_user(store, by="bob"))
        subs = [s.subject_id for s in get_case(store, case_id).subjects if s.kind == "account"]
        appealed, reverted = subs[0], subs[1]
        with store.begin() as conn:  # appeal outcomes (the appeal workflow sets these statuses)
            for sid, status in ((appealed, "appealed"), (reverted, "reversed")):
                conn.execute(
                    update(ops_case_subjects)
                    .where(ops_case_subjects.c.case_id == case_id, ops_case_subjects.c.subject_id == sid)
                    .values(status=status)
                )
    return ws_dir, case_id, subs, appealed, reverted


def _ids(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [r["userid"] for r in csv.DictReader(fh)]


def test_case_release_discloses_executed_subjects_only_and_is_audited(case_ws, scenario, tmp_path, capsys):
    ws_dir, case_id, subs, appealed, reverted = case_ws
    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key)]) == 0
    out = tmp_path / "release"
    common = ["--workspace", str(ws_dir), "--key-file", str(key), "--no-pdf", "--no-attribution"]
    capsys.readouterr()
    assert main(["disclose", "archive", "--case", case_id, "--by", "alice", "--out", str(out), *common, "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["draft"] is False and manifest["subjects"]["case_id"] == case_id
    assert manifest["archive"]["accounts"] == len(subs) - 2
    assert manifest["subjects"]["extra"]["held_back"] == {
        "account appealed (suspend)": 1,
        "account reversed (suspend)": 1,
    }
    users = next(out.glob(f"{case_id.lower()}_*_users_csv_hashed.csv"))
    assert not any(p.name.startswith("DRAFT") for p in out.iterdir())
    from flockwatch.disclose import Pseudonymiser, load_key

    pseud = Pseudonymiser(load_key(key), "twitter")
    published = set(_ids(users))
    assert pseud.account(appealed) not in published and pseud.account(reverted) not in published
    assert pseud.account(subs[2]) in published
    page = (out / "statement.html").read_text(encoding="utf-8")
    assert "We removed" in page and "DRAFT" not in page
    sor = [json.loads(x) for x in (out / "dsa" / "statements_of_reasons.jsonl").read_text().splitlines()]
    assert all(s["decision"].startswith("permanent suspension") and s["decided_at"] for s in sor)
    with Workspace.open(ws_dir, read_only=True) as ws:
        entry = audit.entries(ws.ops(), object_ref=f"case:{case_id}")[-1]
    assert entry.action == "disclose.release" and entry.actor == "alice"
    assert entry.after["key_id"] == manifest["key_id"] and load_key(key).secret.hex() not in json.dumps(entry.to_dict())
    # a later appeal reverses subs[2]: the correction withdraws it; the one reversed before the release was never
    # in it and is reported as such, not hidden
    with Workspace.open(ws_dir) as ws, ws.ops().begin() as conn:
        conn.execute(
            update(ops_case_subjects)
            .where(ops_case_subjects.c.case_id == case_id, ops_case_subjects.c.subject_id == subs[2])
            .values(status="reversed")
        )
    corr = tmp_path / "correction"
    assert (
        main(
            [
                "disclose",
                "withdraw",
                str(out),
                "--key-file",
                str(key),
                "--case",
                case_id,
                "--workspace",
                str(ws_dir),
                "--by",
                "bob",
                "--out",
                str(corr),
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["withdrawn"] == [pseud.account(subs[2])] and result["not_found"] == [pseud.account(reverted)]
    assert result["accounts_after"] == manifest["archive"]["accounts"] - 1
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert audit.entries(ws.ops(), object_ref=f"case:{case_id}")[-1].action == "disclose.withdraw"


def test_case_with_nothing_executed_is_refused(scenario, tmp_path):
    ws_dir = tmp_path / "ws"
    shutil.copytree(scenario.ws_dir, ws_dir)
    with Workspace.open(ws_dir) as ws:
        add_user(ws.ops(), "alice", "analyst")
        case_id = open_case(ws.ops(), by="alice", engine=ws.engine, network="N0001")
    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key)]) == 0
    args = ["disclose", "archive", "--case", case_id, "--by", "alice", "--workspace", str(ws_dir)]
    assert main([*args, "--key-file", str(key), "--out", str(tmp_path / "r")]) == 2
    assert main([*args, "--key-file", str(key), "--out", str(tmp_path / "r"), "--network", "N0001"]) == 2


def test_case_release_without_by_is_audited_under_the_os_login(case_ws, tmp_path):
    """The interface scripts use: --case, --out, --key-file, --workspace and nothing else."""
    ws_dir, case_id, _, _, _ = case_ws
    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key)]) == 0
    out = tmp_path / "release"
    assert (
        main(
            [
                "disclose",
                "archive",
                "--case",
                case_id,
                "--out",
                str(out),
                "--key-file",
                str(key),
                "--workspace",
                str(ws_dir),
            ]
        )
        == 0
    )
    assert (out / "statement.html").exists()
    with Workspace.open(ws_dir, read_only=True) as ws:
        entry = audit.entries(ws.ops(), object_ref=f"case:{case_id}")[-1]
    assert entry.action == "disclose.release" and entry.actor.startswith("os:")
