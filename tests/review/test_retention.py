"""Retention through the CLI, on SQLite and on PostgreSQL: login IPs, profile text, decided cases' evidence and
access logs past their limits are removed, what a legal hold covers is kept, one audit entry carries the counts,
a second run changes nothing, and releasing the hold lets the next run remove the rest."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import insert, select

from flockwatch.errors import InputFileError
from flockwatch.privacy import ledger
from flockwatch.privacy.policy import RetentionPolicy, load_policy
from flockwatch.privacy.retention import apply_retention
from flockwatch.review import audit
from flockwatch.review.cases import get_case
from flockwatch.store import memory_store
from flockwatch.store.tables import ops_access_log
from flockwatch.workspace import Workspace

from .conftest import N1, N2

#: ages are judged 1000 days from now: cases opened today are then past the 730-day evidence limit
AS_OF = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1000)).replace(tzinfo=None)
OLD = dt.datetime(2019, 8, 1, 12, 0)
RECENT = AS_OF - dt.timedelta(days=5)


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _seed_warehouse(path):
    with Workspace.open(path) as ws:
        e = ws.engine
        e.executemany(
            "INSERT INTO infrastructure VALUES ('twitter', ?, ?, ?, 4134, 'CN', true)",
            [(N1[0], OLD, "10.1.0.0/24"), (N2[0], OLD, "10.2.0.0/24"), (N2[1], RECENT, "10.3.0.0/24")],
        )
        e.executemany(
            "UPDATE accounts SET description = ?, reported_location = 'Hong Kong' WHERE account_id = ?",
            [("held bio", N1[1]), ("old bio", N2[0]), ("active bio", N2[1])],
        )
        e.sql(
            "INSERT INTO actions (platform, action_id, account_id, kind, acted_at, text) "
            "VALUES ('twitter', 'a1', ?, 'post', ?, 'hello')",
            [N2[1], RECENT],
        )


def _warehouse(path):
    with Workspace.open(path) as ws:
        ips = dict(ws.engine.sql("SELECT account_id, ip_prefix FROM infrastructure").rows())
        bios = dict(
            ws.engine.sql(
                "SELECT account_id, description FROM accounts WHERE account_id IN (?, ?, ?)", [N1[1], N2[0], N2[1]]
            ).rows()
        )
    return ips, bios


def test_retention_apply_keeps_what_a_hold_covers(review_env, capsys, tmp_path):
    env = review_env
    _seed_warehouse(env.path)
    accounts = tmp_path / "n2.txt"
    accounts.write_text("\n".join(N2) + "\n")
    assert env.cli("case", "open", "--network", "N0001", "--json", *env.as_user("alice")) == 0
    held = _json(capsys)["case_id"]
    assert env.cli("case", "open", "--accounts", str(accounts), "--json", *env.as_user("alice")) == 0
    free = _json(capsys)["case_id"]
    for case_id in (held, free):
        assert env.cli("case", "propose", case_id, "--action", "label", "--reason", "r", *env.as_user("alice")) == 0
        assert env.cli("case", "approve", case_id, *env.as_user("bob")) == 0
    assert env.cli("case", "hold", held, "--reason", "litigation notice", *env.as_user("bob")) == 0
    store = env.store()
    with store.begin() as conn:  # two views a year old, one of them for the held case
        for account_id, case_id in ((N2[0], None), (N1[0], held)):
            conn.execute(
                insert(ops_access_log).values(
                    at="2019-08-20T10:00:00+00:00", actor="bob", account_id=account_id, case_id=case_id
                )
            )
    audit.log_access(store, actor="bob", account_id=N2[1], purpose="review")  # today: under the 30-day floor
    capsys.readouterr()
    as_of = AS_OF.strftime("%Y-%m-%dT%H:%M")

    assert env.cli("retention", "show", "--as-of", as_of, "--json") == 0
    due = _json(capsys)
    expected = {"login_ips": 1, "profile_text": 1, "case_evidence": len(N2), "access_logs": 1}
    kept = {"login_ips": 1, "profile_text": 1, "case_evidence": len(N1), "access_logs": 1}
    assert due["removed"] == expected and due["kept_under_hold"] == kept and due["held_cases"] == [held]
    n_audit = len(audit.entries(store))
    assert env.cli("retention", "apply", "--dry-run", "--as-of", as_of, "--json") == 0
    assert _json(capsys)["removed"] == expected and len(audit.entries(store)) == n_audit

    assert env.cli("retention", "apply", "--as-of", as_of, "--json") == 0
    done = _json(capsys)
    assert done["removed"] == expected and done["kept_under_hold"] == kept and not done["dry_run"]
    ips, bios = _warehouse(env.path)
    assert ips == {N1[0]: "10.1.0.0/24", N2[0]: None, N2[1]: "10.3.0.0/24"}
    assert bios == {N1[1]: "held bio", N2[0]: None, N2[1]: "active bio"}
    assert all(
        s.evidence == {"removed": "retention", "on": done["as_of"]} and s.screen_name is None
        for s in get_case(store, free).subjects
    )
    assert all(s.evidence.get("network_id") == "N0001" for s in get_case(store, held).subjects)
    assert get_case(store, free, with_subjects=False).counts == {"executed": len(N2)}  # the decision stays
    with store.connect() as conn:
        assert [r.case_id for r in conn.execute(select(ops_access_log).order_by(ops_access_log.c.at))] == [held, None]
    [entry] = [e for e in audit.entries(store) if e.action == "retention.apply"]
    assert entry.after["removed"] == expected and entry.after["kept_under_hold"] == kept
    assert "old bio" not in json.dumps(entry.to_dict())

    # idempotent: nothing is due any more, nothing changes, no second entry
    assert env.cli("retention", "apply", "--as-of", as_of, "--json") == 0
    again = _json(capsys)
    assert set(again["removed"].values()) == {0} and again["ledger_entry"] is None
    assert [e.action for e in audit.entries(store)].count("retention.apply") == 1

    # the hold released, the next run removes what it kept
    assert env.cli("case", "release-hold", held, "--reason", "matter closed", *env.as_user("admin")) == 0
    capsys.readouterr()
    assert env.cli("retention", "apply", "--as-of", as_of, "--json") == 0
    assert _json(capsys)["removed"] == kept
    ips, bios = _warehouse(env.path)
    assert ips[N1[0]] is None and bios[N1[1]] is None
    # `jobs run` applies retention too (as of now: nothing of this workspace is due yet)
    assert env.cli("jobs", "run", "--json") == 0
    assert _json(capsys)["retention"] == {"login_ips": 0, "profile_text": 0, "case_evidence": 0, "access_logs": 0}
    assert env.cli("audit", "verify") == 0


def test_a_crash_between_the_two_stores_is_audited_once_by_the_next_run():
    store = memory_store()
    with Workspace.memory() as ws:
        e = ws.engine
        e.sql("INSERT INTO infrastructure VALUES ('twitter', 'tw:1', ?, '10.0.0.0/24', 1, 'CN', false)", [OLD])
        # a run that committed its warehouse removals and ledger row, then died before the store's transaction
        with e.transaction():
            e.sql("UPDATE infrastructure SET ip_prefix = NULL")
            ledger.record(e, "crashed01", "retention", {"removed": {"login_ips": 1}})
        # and one whose audit entry committed but whose ledger row was not yet marked
        with e.transaction():
            ledger.record(e, "crashed02", "retention", {"removed": {"login_ips": 0}})
        audit.append(
            store,
            actor="x",
            action="retention.apply",
            object_ref="retention",
            evidence=[ledger.evidence_ref("crashed02")],
        )
        report = apply_retention(e, store, RetentionPolicy())
        assert report.recovered == 2
        recovered = [x for x in audit.entries(store) if x.action == "retention.recovered"]
        assert [x.after for x in recovered] == [{"removed": {"login_ips": 1}}]
        assert e.sql("SELECT count(*) FROM privacy_ledger WHERE NOT audited").scalar() == 0
        assert apply_retention(e, store, RetentionPolicy()).recovered == 0
    assert audit.verify(store).ok


def test_policy_file(tmp_path):
    assert load_policy(tmp_path) == RetentionPolicy()
    (tmp_path / "retention.toml").write_text("[retention]\nlogin_ips_days = 90\n")
    p = load_policy(tmp_path)
    assert p.limits() == {"login_ips": 90, "profile_text": 365, "case_evidence": 730, "access_logs": 365}
    for bad in (
        "[retention]\nlogin_ip_days = 90\n",
        "[retention]\nbios_days = 0\n",
        "[retention]\nlogin_ips_days = 0\n",
        "[retention]\nlogin_ips_days = '90'\n",
        "login_ips_days = 90\n",
        "[retention\n",
    ):
        (tmp_path / "retention.toml").write_text(bad)
        with pytest.raises(InputFileError, match=r"retention\.toml"):
            load_policy(tmp_path)


def test_on_postgresql_access_records_expire_only_through_the_guarded_function(ops_store):
    if ops_store.dialect != "postgresql":
        pytest.skip("the application role's grants exist on PostgreSQL only")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with ops_store.begin() as conn:
        conn.execute(insert(ops_access_log).values(at="2019-01-01T00:00:00+00:00", actor="eve", account_id="tw:1"))
    audit.log_access(ops_store, actor="eve", account_id="tw:2")  # today
    with pytest.raises(DBAPIError, match="permission denied"), ops_store.begin() as conn:
        conn.execute(text("DELETE FROM ops_access_log"))
    with ops_store.begin() as conn:  # a cutoff in the future still spares the record younger than 30 days
        assert conn.execute(text("SELECT ops_access_log_expire('9999-01-01')")).scalar_one() == 1
    assert [r["account_id"] for r in audit.accesses(ops_store)] == ["tw:2"]
