"""The review flow end to end through the CLI, on SQLite and on PostgreSQL: open a case from a network, propose as
an analyst, self-approval refused (exit 4), an analyst cannot approve a suspension (exit 4), a reviewer approves →
actioned; every step audited; an edited audit row is caught by `audit verify`."""

from __future__ import annotations

import json

from sqlalchemy import text

from flockwatch.review import audit
from flockwatch.review.cases import get_case

from .conftest import N1, RUN


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_propose_refuse_approve_actioned(review_env, capsys):
    env = review_env
    capsys.readouterr()
    assert env.cli("case", "open", "--network", "N0001", "--json", *env.as_user("alice")) == 0
    opened = _json(capsys)
    case_id = opened["case_id"]
    assert opened["status"] == "open" and opened["subjects"] == {"open": len(N1)}
    assert opened["source"] == {"kind": "network", "ref": f"{RUN}/N0001", "run_id": RUN}

    assert (
        env.cli("case", "propose", case_id, "--action", "suspend", "--reason", "state-backed", *env.as_user("alice"))
        == 0
    )
    capsys.readouterr()
    assert env.cli("case", "approve", case_id, *env.as_user("alice")) == 4
    assert "SELF_APPROVAL" in capsys.readouterr().err
    assert env.cli("case", "approve", case_id, *env.as_user("carol")) == 4
    assert "ROLE_REQUIRED" in capsys.readouterr().err
    assert env.cli("case", "show", case_id, "--json") == 0
    assert _json(capsys)["status"] == "in_review"

    assert env.cli("case", "approve", case_id, *env.as_user("bob")) == 0
    capsys.readouterr()
    assert env.cli("case", "show", case_id, "--json") == 0
    shown = _json(capsys)
    assert shown["status"] == "actioned"
    assert shown["subjects"] == {"executed": len(N1)}
    [act] = shown["actions"]
    assert (act["kind"], act["proposed_by"], act["approved_by"], act["status"]) == (
        "suspend",
        "alice",
        "bob",
        "executed",
    )

    # the snapshot keeps each member's evidence as it was at open
    snap = get_case(env.store(), case_id)
    first = next(s for s in snap.subjects if s.subject_id == N1[0])
    assert first.screen_name == "hk_news_1000" and first.evidence["network_id"] == "N0001"
    assert first.evidence["account_score"] == 0.99 and first.evidence["profile"]["platform"] == "twitter"

    actions = [e.action for e in audit.entries(env.store(), object_ref=f"case:{case_id}")]
    assert actions == ["case.open", "action.propose", "action.approve", "action.execute"]
    assert env.cli("audit", "verify") == 0


def test_editing_an_audit_row_is_caught(review_env, capsys):
    env = review_env
    store = env.store()
    entries = audit.entries(store)
    assert len(entries) == 4  # the four users added
    with store.begin() as conn:
        conn.execute(text("UPDATE ops_audit SET actor = 'mallory' WHERE seq = 2"))
    capsys.readouterr()
    assert env.cli("audit", "verify") == 1
    out = capsys.readouterr().out
    assert "entry 2" in out and "edited" in out


def test_a_team_store_refuses_unauthenticated_users(review_env, capsys):
    env = review_env
    rc = env.cli("case", "open", "--network", "N0001", "--by", "alice")
    if env.backend == "postgresql":
        assert rc == 4 and "NOT_AUTHENTICATED" in capsys.readouterr().err
    else:
        assert rc == 0  # the embedded store accepts --by and records the OS user beside it
        [entry] = [e for e in audit.entries(env.store()) if e.action == "case.open"]
        assert entry.actor == "alice" and entry.os_user
    assert env.cli("case", "list") == 0
    capsys.readouterr()
    wrong = env.path.parent / "wrong.pw"
    wrong.write_text("not-alices-password\n")
    assert env.cli("case", "open", "--network", "N0001", "--by", "alice", "--password-file", str(wrong)) == 4
    assert "NOT_AUTHENTICATED" in capsys.readouterr().err
