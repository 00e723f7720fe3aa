"""Appeals of actions: an appeal reopens a subject and the case; a reviewer who took no part decides; a reversal is
recorded and audited; disclosure-relevant statuses (executed, not appealed) follow."""

from __future__ import annotations

import pytest

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import actions, appeals, audit
from flockwatch.review.actor import Actor
from flockwatch.review.cases import get_case, open_case
from flockwatch.store.users import add_user, get_user


def _a(store, name):
    return Actor(get_user(store, name), None, "embedded")


def test_appeal_reversed_and_upheld(ops_store):
    for name, role in (("alice", "analyst"), ("bob", "reviewer"), ("dan", "reviewer")):
        add_user(ops_store, name, role)
    case_id = open_case(ops_store, by="alice", accounts=["tw:1", "tw:2", "tw:3"], accounts_ref="x")
    with pytest.raises(ValidationError, match="only an executed action"):
        appeals.file_appeal(ops_store, case_id, "tw:1", _a(ops_store, "alice"), "real person")
    actions.propose(ops_store, case_id, _a(ops_store, "alice"), "suspend", "fake accounts")
    actions.approve(ops_store, case_id, _a(ops_store, "bob"))

    appeals.file_appeal(ops_store, case_id, "tw:1", _a(ops_store, "alice"), "I am a journalist")
    appeals.file_appeal(ops_store, case_id, "tw:2", _a(ops_store, "alice"), "hacked account")
    snap = get_case(ops_store, case_id, with_subjects=False)
    assert snap.status == "appealed" and snap.counts == {"executed": 1, "appealed": 2}

    with pytest.raises(RefusedError) as info:  # bob approved the action: he may not judge its appeal
        appeals.decide_appeal(ops_store, case_id, "tw:1", _a(ops_store, "bob"), "reversed", "x")
    assert info.value.code == "SELF_REVIEW"
    with pytest.raises(RefusedError, match="ROLE_REQUIRED"):
        appeals.decide_appeal(ops_store, case_id, "tw:1", _a(ops_store, "alice"), "reversed", "x")

    assert (
        appeals.decide_appeal(ops_store, case_id, "tw:1", _a(ops_store, "dan"), "reversed", "verified press")
        == "reversed"
    )
    assert get_case(ops_store, case_id, with_subjects=False).status == "appealed"  # tw:2 still open
    appeals.decide_appeal(ops_store, case_id, "tw:2", _a(ops_store, "dan"), "upheld", "same operator")
    snap = get_case(ops_store, case_id, with_subjects=False)
    assert snap.status == "actioned" and snap.counts == {"executed": 1, "upheld": 1, "reversed": 1}
    with pytest.raises(ValidationError, match="no open appeal"):
        appeals.decide_appeal(ops_store, case_id, "tw:2", _a(ops_store, "dan"), "reversed", "again")
    trail = [e.action for e in audit.entries(ops_store, object_ref=f"case:{case_id}")]
    assert trail[-4:] == ["appeal.file", "appeal.file", "appeal.reverse", "appeal.uphold"]
    assert audit.verify(ops_store).ok


def test_appeal_filed_on_a_stale_read_is_refused(ops_store, monkeypatch):
    """Two appeals filed at once both read the subject as executed before either commits. The second one's guarded
    UPDATE then changes no row: it must be refused, not audited a second time. The stale read is reproduced by
    replaying the first read's row."""
    add_user(ops_store, "alice", "analyst")
    add_user(ops_store, "bob", "reviewer")
    case_id = open_case(ops_store, by="alice", accounts=["tw:1"], accounts_ref="x")
    actions.propose(ops_store, case_id, _a(ops_store, "alice"), "suspend", "fake accounts")
    actions.approve(ops_store, case_id, _a(ops_store, "bob"))
    first_read = []
    real_subject = appeals._subject

    def replay_first_read(*args):
        if not first_read:
            first_read.append(real_subject(*args))
        return first_read[0]

    monkeypatch.setattr(appeals, "_subject", replay_first_read)

    appeals.file_appeal(ops_store, case_id, "tw:1", _a(ops_store, "alice"), "I am a journalist")
    with pytest.raises(RefusedError) as info:
        appeals.file_appeal(ops_store, case_id, "tw:1", _a(ops_store, "alice"), "same appeal, sent twice")
    assert info.value.code == "ALREADY_DECIDED"
    filed = [e for e in audit.entries(ops_store, object_ref=f"case:{case_id}") if e.action == "appeal.file"]
    assert len(filed) == 1
