"""Hand-off delivery to a real loopback receiver, on SQLite and PostgreSQL: a 500 then success (retried, delivered
once), a stalled receiver (timeouts, retried, then failed with the reason; `jobs run` finishes it with the same key),
a 302 (not followed, failed), the same key answered 2xx twice (the receiver de-duplicates; the store counts one
delivery), Retry-After honoured, signatures that a tampered body fails, and a host off the allow-list (refused,
no connection)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select, update
from webhook_receiver import Receiver

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import actions, audit, delivery
from flockwatch.review.actor import Actor
from flockwatch.review.cases import open_case
from flockwatch.review.delivery import DeliveryPolicy, sign, verify_signature
from flockwatch.review.jobs import run_jobs
from flockwatch.store.tables import ops_deliveries
from flockwatch.store.users import add_user, get_user

SECRET = b"0123456789abcdef-test-secret"
FAST = DeliveryPolicy(timeout_s=2.0, max_attempts=3, base_delay_s=0.01, max_delay_s=0.05, batch_records=2)
ACCOUNTS = ["tw:1", "tw:2", "tw:3"]


def _approved_case(store) -> str:
    add_user(store, "alice", "analyst")
    add_user(store, "bob", "reviewer")
    alice, bob = (Actor(get_user(store, n), None, "embedded") for n in ("alice", "bob"))
    case_id = open_case(store, by="alice", accounts=ACCOUNTS, accounts_ref="list")
    actions.propose(store, case_id, alice, "suspend", "fake accounts")
    actions.approve(store, case_id, bob)
    delivery.allow_host(store, "127.0.0.1", "admin")
    return case_id


def _rows(store):
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(ops_deliveries).order_by(ops_deliveries.c.position))]


def test_server_error_then_success_is_delivered_once(ops_store):
    _approved_case(ops_store)
    with Receiver(SECRET, ["500", "ok"]) as rx:
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=FAST)
        # 3 records in batches of 2: the first batch fails once and succeeds; the second succeeds at once
        assert report.records_delivered == 3 and report.records_failed == 0
        assert report.batches_sent == 2 and report.requests == 3
        assert [r.answer for r in rx.requests] == ["500", "ok", "ok"]
        assert rx.requests[0].key == rx.requests[1].key != rx.requests[2].key  # the re-send carries the same key
        assert all(r.signature_ok for r in rx.requests)
        assert sorted(rec["subject_id"] for rec in rx.applied.values()) == ACCOUNTS
        rows = _rows(ops_store)
        assert [r["status"] for r in rows] == ["delivered"] * 3
        assert [r["attempts"] for r in rows] == [2, 2, 1]
        assert rows[0]["last_http_status"] == 200 and rows[0]["next_attempt_at"] is None

        # delivered records are never sent again as new
        again = delivery.deliver(ops_store, rx.url(), SECRET, policy=FAST)
        assert again.queued == 0 and again.requests == 0 and len(rx.requests) == 3
    logged = [e.action for e in audit.entries(ops_store) if e.object_ref == "webhook:127.0.0.1"]
    assert logged.count("handoff.deliver") == 2
    assert audit.verify(ops_store).ok


def test_timeouts_fail_with_the_reason_then_jobs_finish_with_the_same_key(ops_store):
    _approved_case(ops_store)
    policy = DeliveryPolicy(timeout_s=0.3, max_attempts=2, base_delay_s=0.01, batch_records=10)
    with Receiver(SECRET, ["stall:1.5"]) as rx:
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=policy)
        assert report.records_failed == 3 and report.records_delivered == 0 and report.requests == 2
        rows = _rows(ops_store)
        assert {r["status"] for r in rows} == {"failed"}
        assert rows[0]["attempts"] == 2 and rows[0]["last_http_status"] is None
        assert "timeout" in rows[0]["last_error"]
        assert rows[0]["next_attempt_at"] is not None  # jobs run will come back
        first_key = rx.requests[0].key
        # not due at once: the retry waits at least a second after the last failed request (judged from the stored
        # time, not from how fast this test runs — a loaded machine may take longer than that to get here)
        retry_at = datetime.fromisoformat(rows[0]["next_attempt_at"]).timestamp()
        assert retry_at >= rx.requests[-1].at + 1.0
        assert any(e.action == "handoff.fail" and "timeout" in e.reason for e in audit.entries(ops_store))

        # time passes; the receiver is healthy again; jobs run retries with the same key
        with ops_store.begin() as conn:
            conn.execute(update(ops_deliveries).values(next_attempt_at="2000-01-01T00:00:00+00:00"))
        without = run_jobs(ops_store)
        assert without["deliveries_due_without_secret"] == 3
        rx.script = ["ok"]
        summary = run_jobs(ops_store, SECRET)
        assert summary["deliveries"][0]["records_delivered"] == 3
        assert [r.key for r in rx.requests[2:]] == [first_key]
    rows = _rows(ops_store)
    assert {r["status"] for r in rows} == {"delivered"} and rows[0]["attempts"] == 3
    assert run_jobs(ops_store, SECRET)["deliveries"] == []  # idempotent: nothing left to do


def test_redirect_is_a_failed_delivery_and_never_followed(ops_store):
    _approved_case(ops_store)
    with Receiver(SECRET, ["302"]) as rx:
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=FAST)
        assert report.records_delivered == 0 and report.records_failed == 3
        assert [r.path for r in rx.requests] == ["/hook", "/hook"]  # one per batch; /elsewhere never requested
        assert report.requests == 2  # a redirect is not retried either
    rows = _rows(ops_store)
    assert {r["status"] for r in rows} == {"failed"}
    assert {r["last_http_status"] for r in rows} == {302}
    assert all("not followed" in r["last_error"] and r["next_attempt_at"] is None for r in rows)
    assert delivery.requeue_failed(ops_store, rx.url()) == 3  # an operator re-queues after fixing the receiver


def test_duplicate_answers_for_one_key_count_one_delivery(ops_store):
    _approved_case(ops_store)
    policy = DeliveryPolicy(timeout_s=0.3, max_attempts=3, base_delay_s=0.01, batch_records=10)
    # the receiver applies the batch but answers too late; the re-send (same key) is answered 2xx as a duplicate
    with Receiver(SECRET, ["stall:0.8", "ok"]) as rx:
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=policy)
        assert report.records_delivered == 3 and report.requests == 2
        assert rx.requests[0].key == rx.requests[1].key
        assert len(rx.keys_seen) == 1 and len(rx.applied) == 3  # applied once
    rows = _rows(ops_store)
    assert len(rows) == 3 and {r["status"] for r in rows} == {"delivered"}
    assert [e.action for e in audit.entries(ops_store)].count("handoff.deliver") == 1


def test_retry_after_is_honoured(ops_store):
    _approved_case(ops_store)
    policy = DeliveryPolicy(timeout_s=2.0, max_attempts=2, base_delay_s=0.01, batch_records=10)
    with Receiver(SECRET, ["503:1", "ok"]) as rx:
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=policy)
        assert report.records_delivered == 3
        assert rx.requests[1].at - rx.requests[0].at >= 0.9


def test_host_off_the_allow_list_is_refused_before_any_connection(ops_store):
    _approved_case(ops_store)
    with Receiver(SECRET) as rx:
        with pytest.raises(RefusedError) as exc:
            delivery.deliver(ops_store, rx.url(host="localhost"), SECRET, policy=FAST)
        assert exc.value.code == "HOST_NOT_ALLOWED"
        assert rx.connections == 0 and rx.requests == []
        assert _rows(ops_store) == []
        # a host removed from the list after queueing: jobs run skips it without contacting it
        delivery.deliver(ops_store, rx.url(), SECRET, policy=DeliveryPolicy(timeout_s=0.01, max_attempts=1))
    with ops_store.begin() as conn:
        conn.execute(update(ops_deliveries).values(status="failed", next_attempt_at="2000-01-01T00:00:00+00:00"))
    delivery.disallow_host(ops_store, "127.0.0.1", "admin")
    with Receiver(SECRET) as rx2:
        reports = delivery.retry_due(ops_store, SECRET, FAST)
        assert "HOST_NOT_ALLOWED" in reports[0].failures[0]["error"]
        assert rx2.connections == 0


def test_signature_verifies_and_a_tampered_body_fails():
    body = json.dumps({"batch": "k", "records": [{"subject_id": "tw:1"}]}).encode()
    header = sign(SECRET, body, 1_700_000_000)
    assert verify_signature(SECRET, body, header, now_s=1_700_000_010)
    assert not verify_signature(SECRET, body.replace(b"tw:1", b"tw:2"), header, now_s=1_700_000_010)
    assert not verify_signature(b"another-secret-of-16b", body, header, now_s=1_700_000_010)
    assert not verify_signature(SECRET, body, header, now_s=1_700_000_000 + 301)  # replayed outside the window
    assert not verify_signature(SECRET, body, header.replace("t=1700000000", "t=1700000100"), now_s=1_700_000_100)
    assert not verify_signature(SECRET, body, None)
    assert not verify_signature(SECRET, body, "v1=abc")
    # while rotating, a header with two v1 values verifies with either secret
    rotated = header + "," + sign(b"new-secret-0123456789", body, 1_700_000_000).split(",")[1]
    assert verify_signature(b"new-secret-0123456789", body, rotated, now_s=1_700_000_000)


def test_secret_and_url_checks(tmp_path, monkeypatch):
    monkeypatch.delenv(delivery.SECRET_ENV, raising=False)
    with pytest.raises(ValidationError, match="shorter than 16"):
        delivery.read_secret()
    f = tmp_path / "s"
    f.write_text("short\n")
    with pytest.raises(ValidationError) as exc:
        delivery.read_secret(f)
    assert "short" not in str(exc.value).replace("shorter", "")  # the secret itself is never echoed
    f.write_text("a-long-enough-secret\n")
    assert delivery.read_secret(f) == b"a-long-enough-secret"
    for bad in ("ftp://h/x", "http:///x", "https://user:pw@h/x"):
        with pytest.raises(ValidationError):
            delivery.endpoint_host(bad)
    assert delivery.endpoint_host("https://Enforce.Example.org:8443/hook?t=1") == "enforce.example.org"


def test_cli_allow_list_deliver_and_status(review_env, capsys, tmp_path):
    env = review_env
    secret_file = tmp_path / "hook.secret"
    secret_file.write_text(SECRET.decode() + "\n")
    assert env.cli("case", "open", "--network", "N0001", "--json", *env.as_user("alice")) == 0
    case_id = json.loads(capsys.readouterr().out)["case_id"]
    assert env.cli("case", "propose", case_id, "--action", "suspend", "--reason", "x", *env.as_user("alice")) == 0
    assert env.cli("case", "approve", case_id, *env.as_user("bob")) == 0
    with Receiver(SECRET) as rx:
        capsys.readouterr()
        deliver = ["handoff", "deliver", "--url", rx.url(), "--secret-file", str(secret_file), "--json"]
        assert env.cli(*deliver) == 4
        assert "HOST_NOT_ALLOWED" in capsys.readouterr().err and rx.connections == 0
        assert env.cli("handoff", "allow-host", "127.0.0.1", *env.as_user("bob")) == 4  # admins only
        assert "ROLE_REQUIRED" in capsys.readouterr().err
        assert env.cli("handoff", "allow-host", "127.0.0.1", *env.as_user("admin")) == 0
        capsys.readouterr()
        assert env.cli(*deliver) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["records_delivered"] == 12 and out["records_failed"] == 0
        assert SECRET.decode() not in json.dumps(out)
        assert len(rx.applied) == 12 and all(r.signature_ok for r in rx.requests)
    assert env.cli("case", "open", "--network", "N0002", "--json", *env.as_user("alice")) == 0
    second = json.loads(capsys.readouterr().out)["case_id"]
    assert env.cli("case", "propose", second, "--action", "label", "--reason", "x", *env.as_user("alice")) == 0
    assert env.cli("case", "approve", second, *env.as_user("bob")) == 0
    with Receiver(SECRET, ["500"]) as rx3:  # a second endpoint that fails: exit 3, the state kept for jobs run
        capsys.readouterr()
        retry = ["handoff", "deliver", "--url", rx3.url(), "--secret-file", str(secret_file), "--max-attempts", "1"]
        assert env.cli(*retry) == 3
        assert "not delivered" in capsys.readouterr().err
    assert env.cli("handoff", "status", "--json", "--url", rx.url()) == 0
    [row] = json.loads(capsys.readouterr().out)
    first = f"127.0.0.1:{rx.port}"
    assert (row["endpoint"], row["status"], row["records"]) == (first, "delivered", 12)
    assert env.cli("case", "show", case_id, "--json") == 0
    # the second endpoint got this case's records too (each endpoint is owed every record) and failed them
    assert json.loads(capsys.readouterr().out)["handoff"] == {
        first: {"delivered": 12},
        f"127.0.0.1:{rx3.port}": {"failed": 12},
    }
    assert env.cli("audit", "verify") == 0


def test_a_reversal_after_delivery_is_sent_as_one_new_record(ops_store):
    from flockwatch.review import appeals

    case_id = _approved_case(ops_store)
    add_user(ops_store, "dan", "reviewer")
    with Receiver(SECRET) as rx:
        assert delivery.deliver(ops_store, rx.url(), SECRET, policy=FAST).records_delivered == 3
        alice, dan = (Actor(get_user(ops_store, n), None, "embedded") for n in ("alice", "dan"))
        appeals.file_appeal(ops_store, case_id, "tw:2", alice, "hacked")
        appeals.decide_appeal(ops_store, case_id, "tw:2", dan, "reversed", "owner regained control")
        report = delivery.deliver(ops_store, rx.url(), SECRET, policy=FAST)
        assert (report.queued, report.records_delivered, report.requests) == (1, 1, 1)
        [rec] = json.loads(rx.requests[-1].body)["records"]
        assert (rec["subject_id"], rec["action"]) == ("tw:2", "reverse")
        assert len(rx.applied) == 4
