"""Hand-off files: one record per subject in force, a reverse record after a reversal, stable idempotency keys, JSONL
and CSV agree."""

from __future__ import annotations

import csv
import json

import pytest

from flockwatch.errors import ValidationError
from flockwatch.review import actions, appeals
from flockwatch.review.actor import Actor
from flockwatch.review.cases import open_case
from flockwatch.review.handoff import handoff_records, write_handoff
from flockwatch.store.users import add_user, get_user


def test_handoff_records_and_keys(ops_store, tmp_path):
    for name, role in (("alice", "analyst"), ("bob", "reviewer"), ("dan", "reviewer")):
        add_user(ops_store, name, role)
    a = {n: Actor(get_user(ops_store, n), None, "embedded") for n in ("alice", "bob", "dan")}
    case_id = open_case(ops_store, by="alice", accounts=["tw:1", "tw:2"], accounts_ref="x")
    assert handoff_records(ops_store) == []  # nothing approved yet: nothing to hand off
    actions.propose(ops_store, case_id, a["alice"], "suspend", "fake accounts")
    actions.approve(ops_store, case_id, a["bob"])
    appeals.file_appeal(ops_store, case_id, "tw:2", a["alice"], "hacked")
    appeals.decide_appeal(ops_store, case_id, "tw:2", a["dan"], "reversed", "owner regained control")
    rows = handoff_records(ops_store, case_id)
    assert [(r["subject_id"], r["action"]) for r in rows] == [
        ("tw:1", "suspend"),
        ("tw:2", "suspend"),
        ("tw:2", "reverse"),
    ]
    assert len({r["idempotency_key"] for r in rows}) == 3
    assert [r["idempotency_key"] for r in handoff_records(ops_store)] == [r["idempotency_key"] for r in rows]
    assert all(r["approved_by"] == "bob" for r in rows)

    assert write_handoff(ops_store, tmp_path / "a.jsonl") == 3
    assert write_handoff(ops_store, tmp_path / "a.csv") == 3
    from_jsonl = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    with (tmp_path / "a.csv").open(newline="") as f:
        from_csv = list(csv.DictReader(f))
    assert [r["idempotency_key"] for r in from_jsonl] == [r["idempotency_key"] for r in from_csv]
    with pytest.raises(ValidationError, match="jsonl or csv"):
        write_handoff(ops_store, tmp_path / "a.xml")
