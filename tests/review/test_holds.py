"""Legal hold through the CLI, on SQLite and on PostgreSQL: only a reviewer or admin places or releases it, with a
reason; it shows in `case show --json`; placing it twice or releasing an unheld case is refused (exit 4); both are
audited."""

from __future__ import annotations

import json

from flockwatch.review import audit


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_hold_and_release(review_env, capsys):
    env = review_env
    assert env.cli("case", "open", "--network", "N0001", "--json", *env.as_user("alice")) == 0
    case_id = _json(capsys)["case_id"]

    assert env.cli("case", "hold", case_id, "--reason", "litigation notice", *env.as_user("alice")) == 4
    assert "ROLE_REQUIRED" in capsys.readouterr().err
    assert env.cli("case", "hold", case_id, "--reason", " ", *env.as_user("bob")) == 2
    capsys.readouterr()
    assert env.cli("case", "show", case_id, "--json") == 0
    shown = _json(capsys)
    assert shown["legal_hold"] is False and shown["hold"] is None

    assert env.cli("case", "hold", case_id, "--reason", "litigation notice", *env.as_user("bob")) == 0
    capsys.readouterr()
    assert env.cli("case", "hold", case_id, "--reason", "again", *env.as_user("admin")) == 4
    assert "ALREADY_HELD" in capsys.readouterr().err
    assert env.cli("case", "show", case_id, "--json") == 0
    shown = _json(capsys)
    assert shown["legal_hold"] is True
    assert shown["hold"]["by"] == "bob" and shown["hold"]["reason"] == "litigation notice" and shown["hold"]["at"]
    assert env.cli("case", "show", case_id) == 0
    assert "legal hold: placed by bob" in capsys.readouterr().out

    assert env.cli("case", "release-hold", case_id, "--reason", "matter closed", *env.as_user("carol")) == 4
    capsys.readouterr()
    assert env.cli("case", "release-hold", case_id, "--reason", "matter closed", *env.as_user("admin")) == 0
    capsys.readouterr()
    assert env.cli("case", "release-hold", case_id, "--reason", "twice", *env.as_user("bob")) == 4
    assert "NOT_HELD" in capsys.readouterr().err
    assert env.cli("case", "show", case_id, "--json") == 0
    assert _json(capsys)["legal_hold"] is False

    entries = audit.entries(env.store(), object_ref=f"case:{case_id}")
    assert [e.action for e in entries] == ["case.open", "case.hold", "case.release_hold"]
    assert entries[1].actor == "bob" and entries[1].reason == "litigation notice"
    assert entries[2].before["by"] == "bob" and entries[2].actor == "admin"
    assert env.cli("audit", "verify") == 0
