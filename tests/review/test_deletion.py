"""Deletion requests through the CLI, on SQLite and on PostgreSQL: the account's profile, handles, posts (with their
entities), login events and detection rows leave the warehouse; its evidence leaves the cases not under hold and is
kept (and reported) in the held one; the audit entry holds counts, not content; re-running is a no-op."""

from __future__ import annotations

import datetime as dt
import json

from flockwatch.review import audit
from flockwatch.review.cases import get_case
from flockwatch.workspace import Workspace

from .conftest import N1, N2, RUN

T = dt.datetime(2019, 8, 20, 10, 0)
WHO = N1[0]


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _seed(path):
    with Workspace.open(path) as ws:
        e = ws.engine
        e.sql("UPDATE accounts SET description = 'a very private bio' WHERE account_id = ?", [WHO])
        e.executemany(
            "INSERT INTO actions (platform, action_id, account_id, kind, acted_at, target_action_id, "
            "target_account_id, text) VALUES ('twitter', ?, ?, ?, ?, ?, ?, ?)",
            [
                ("p1", WHO, "post", T, None, None, "secret post #hk"),
                ("p2", WHO, "post", T, None, None, "another secret post"),
                ("r1", N1[1], "repost", T, "p1", WHO, None),
            ],
        )
        e.sql("INSERT INTO action_hashtags VALUES ('twitter', 'p1', 'hk')")
        e.sql("INSERT INTO infrastructure VALUES ('twitter', ?, ?, '10.1.0.0/24', 4134, 'CN', true)", [WHO, T])
        e.sql("INSERT INTO account_handles VALUES ('twitter', ?, 'old_handle', ?, NULL)", [WHO, T])
        e.sql(
            "INSERT INTO edges (run_id, detector, account_a, account_b, co_actions_count) "
            "VALUES (?, 'co_repost', ?, ?, 3)",
            [RUN, WHO, N1[1]],
        )


def _count(path, table, where="account_id = ?", params=(WHO,)):
    with Workspace.open(path) as ws:
        return ws.engine.sql(f"SELECT count(*) FROM {table} WHERE {where}", list(params)).scalar()


def test_delete_account_keeps_held_evidence_and_is_a_no_op_twice(review_env, capsys, tmp_path):
    env = review_env
    _seed(env.path)
    listed = tmp_path / "two.txt"
    listed.write_text(f"{WHO}\n{N2[0]}\n")
    assert env.cli("case", "open", "--network", "N0001", "--json", *env.as_user("alice")) == 0
    held = _json(capsys)["case_id"]
    assert env.cli("case", "open", "--accounts", str(listed), "--json", *env.as_user("alice")) == 0
    free = _json(capsys)["case_id"]
    assert env.cli("case", "hold", held, "--reason", "litigation notice", *env.as_user("bob")) == 0
    capsys.readouterr()
    req = ("privacy", "delete-account", WHO, "--reason", "DSR-2019-0042", "--json")

    assert env.cli(*req, *env.as_user("alice")) == 4  # an analyst cannot
    assert "ROLE_REQUIRED" in capsys.readouterr().err
    n_audit = len(audit.entries(env.store()))
    assert env.cli(*req, "--dry-run", *env.as_user("bob")) == 0
    planned = _json(capsys)
    expected = {
        "action_hashtags": 1,
        "actions": 2,
        "infrastructure": 1,
        "account_handles": 1,
        "accounts": 1,
        "network_members": 1,
        "edges": 1,
        "case_evidence": 1,
    }
    assert {k: v for k, v in planned["removed"].items() if v} == expected
    assert planned["kept_under_hold"] == [{"case_id": held, "subjects": 1}]
    assert _count(env.path, "actions") == 2 and len(audit.entries(env.store())) == n_audit

    assert env.cli(*req, *env.as_user("bob")) == 0
    done = _json(capsys)
    assert {k: v for k, v in done["removed"].items() if v} == expected and not done["nothing_to_remove"]
    for table in ("accounts", "actions", "infrastructure", "account_handles", "network_members"):
        assert _count(env.path, table) == 0, table
    assert _count(env.path, "action_hashtags", "action_id = 'p1'", ()) == 0
    assert _count(env.path, "edges", "account_a = ? OR account_b = ?", (WHO, WHO)) == 0
    assert _count(env.path, "actions", "action_id = 'r1'", ()) == 1  # another account's repost stays
    assert _count(env.path, "accounts", "account_id = ?", (N2[0],)) == 1

    store = env.store()
    free_subjects = {s.subject_id: s for s in get_case(store, free).subjects}
    assert free_subjects[WHO].evidence["removed"] == "deletion request" and free_subjects[WHO].screen_name is None
    assert free_subjects[N2[0]].evidence["profile"]["screen_name"] == "hk_news_2000"
    held_subject = next(s for s in get_case(store, held).subjects if s.subject_id == WHO)
    assert held_subject.evidence["network_id"] == "N0001" and held_subject.screen_name == "hk_news_1000"

    [entry] = [e for e in audit.entries(store) if e.action == "privacy.delete_account"]
    assert entry.actor == "bob" and entry.reason == "DSR-2019-0042" and entry.object_ref == f"account:{WHO}"
    assert entry.after["removed"] == expected and entry.after["kept_under_hold"] == [{"case_id": held, "subjects": 1}]
    dumped = json.dumps(entry.to_dict())
    assert "secret post" not in dumped and "private bio" not in dumped and "old_handle" not in dumped

    # again: nothing left to remove, nothing changes, no second entry; the held evidence is still reported
    assert env.cli(*req, *env.as_user("bob")) == 0
    again = _json(capsys)
    assert again["nothing_to_remove"] and set(again["removed"].values()) == {0}
    assert again["kept_under_hold"] == [{"case_id": held, "subjects": 1}]
    assert [e.action for e in audit.entries(store)].count("privacy.delete_account") == 1

    # once the hold is released, the standing request removes the rest
    assert env.cli("case", "release-hold", held, "--reason", "matter closed", *env.as_user("admin")) == 0
    capsys.readouterr()
    assert env.cli(*req, *env.as_user("bob")) == 0
    last = _json(capsys)
    assert {k: v for k, v in last["removed"].items() if v} == {"case_evidence": 1} and last["kept_under_hold"] == []
    assert env.cli("audit", "verify") == 0
