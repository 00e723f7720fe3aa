"""The guarded status change under review decisions: one writer wins, every other is refused ALREADY_DECIDED and
leaves nothing behind. Real threads against the real database on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from flockwatch.errors import RefusedError
from flockwatch.review.cases import open_case
from flockwatch.review.decisions import decide_once
from flockwatch.store import utc_now
from flockwatch.store.tables import ops_case_subjects
from flockwatch.store.users import add_user

N_WRITERS = 5


def _subject(store):
    """A case with one open subject; returns the case id and the WHERE clauses naming that subject."""
    add_user(store, "alice", "analyst")
    case_id = open_case(store, by="alice", accounts=["tw:1"], accounts_ref="list.txt")
    s = ops_case_subjects.c
    return case_id, (s.case_id == case_id, s.subject_id == "tw:1")


def _status(store, where):
    with store.begin() as conn:
        return conn.execute(select(ops_case_subjects.c.status).where(*where)).scalar_one()


def test_the_second_decision_is_refused_and_rolls_back_its_transaction(ops_store):
    _case, where = _subject(ops_store)
    s = ops_case_subjects.c

    def decide(to: str) -> None:
        with ops_store.begin() as conn:
            conn.execute(update(ops_case_subjects).where(*where).values(updated_at="written-before-the-guard"))
            decide_once(
                conn,
                update(ops_case_subjects).where(*where, s.status == "open").values(status=to, updated_at=utc_now()),
                "the subject tw:1",
            )

    decide("excluded")
    with pytest.raises(RefusedError) as exc:
        decide("proposed")
    assert exc.value.code == "ALREADY_DECIDED"
    assert "the subject tw:1 was decided by someone else meanwhile" in str(exc.value)
    assert _status(ops_store, where) == "excluded"
    with ops_store.begin() as conn:
        assert conn.execute(select(s.updated_at).where(*where)).scalar_one() != "written-before-the-guard"


def test_of_racing_writers_exactly_one_wins(ops_store):
    _case, where = _subject(ops_store)
    s = ops_case_subjects.c
    barrier = threading.Barrier(N_WRITERS)
    outcomes: list[object] = [None] * N_WRITERS

    def write(i: int) -> None:
        barrier.wait()
        try:
            with ops_store.begin() as conn:
                decide_once(
                    conn,
                    update(ops_case_subjects)
                    .where(*where, s.status == "open")
                    .values(status="excluded", screen_name=f"writer{i}", updated_at=utc_now()),
                    "the subject tw:1",
                )
            outcomes[i] = "won"
        except RefusedError as exc:
            outcomes[i] = exc.code

    threads = [threading.Thread(target=write, args=(i,)) for i in range(N_WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == ["ALREADY_DECIDED"] * (N_WRITERS - 1) + ["won"], outcomes
    with ops_store.begin() as conn:
        winner = conn.execute(select(s.screen_name).where(*where)).scalar_one()
    assert winner == f"writer{outcomes.index('won')}"
