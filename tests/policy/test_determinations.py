"""Determinations are versioned and never edited: re-deciding after a fact changes adds one; history shows all."""

from __future__ import annotations

import pytest

from flockwatch.errors import UnknownNameError, ValidationError
from flockwatch.policy import decide, get_policy, history, policies
from flockwatch.policy.determinations import record_human_determination
from flockwatch.policy.rules import compile_policy, evaluate

from .policy_helpers import fact


def test_redeciding_after_a_fact_change_keeps_history(reg):
    oid = reg.add_outlet("Changing Times", "HU")
    reg.add_fact(oid, fact("scope", {"scope": "news"}))
    old_fact = reg.add_fact(oid, fact("editorial_control", {"state_editorial_control": False}))
    (first,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    assert first.outcome == "allow"
    again = decide(reg, "twitter-2019-08-ads", as_of="2020-06-01")
    assert again.created == [] and again.unchanged == 1
    changed = {"state_editorial_control": True, "mechanisms": ["political_pressure"]}
    new_fact = reg.change_fact(
        old_fact, {"value": changed, "source": "Media regulator report", "date": "2021-03-01", "confidence": 0.9}
    )
    (second,) = decide(reg, "twitter-2019-08-ads", as_of="2021-03-02").created
    assert second.outcome == "refuse" and second.supersedes == first.determination_id
    assert new_fact in second.facts_used and old_fact not in second.facts_used
    hist = history(reg, oid)
    assert [(d.determination_id, d.outcome) for d in hist] == [
        (first.determination_id, "allow"),
        (second.determination_id, "refuse"),
    ]
    assert hist[0].facts_used == first.facts_used and old_fact in hist[0].facts_used  # the old one is untouched


def test_decide_before_the_policy_is_rejected(reg):
    reg.add_outlet("Any", "GB")
    with pytest.raises(ValidationError, match="takes effect on 2019-08-19"):
        decide(reg, "twitter-2019-08-ads", as_of="2019-01-01")


def test_human_determination_resolves_review(reg):
    oid = reg.add_outlet("Unclear FM", "HU")
    (d,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    assert d.outcome == "review"
    h = record_human_determination(
        reg, oid, "twitter-2019-08-ads", "allow", reviewer="policy-team", note="no state link found", as_of="2020-02-01"
    )
    assert h.decided_by == "reviewer:policy-team" and h.reason_codes[0] == "HUMAN_REVIEW"
    assert h.supersedes == d.determination_id
    with pytest.raises(ValidationError, match="outcome 'maybe'"):
        record_human_determination(reg, oid, "twitter-2019-08-ads", "maybe", reviewer="x", note="y")


def test_shipped_policies_and_versions():
    ids = {p.id for p in policies()}
    assert {"twitter-2019-08-ads", "twitter-2020-08-labels", "meta-2020-06"} <= ids
    assert get_policy("twitter-2019-08-ads@v1").version == 1
    assert get_policy("twitter-2019-08-ads").offboarding_window_days == 30
    with pytest.raises(UnknownNameError):
        get_policy("myspace-2007")
    with pytest.raises(ValidationError, match="no version 9"):
        get_policy("twitter-2019-08-ads@v9")


def test_policy_files_are_checked():
    good = get_policy("twitter-2019-08-ads").spec
    with pytest.raises(ValidationError, match="unknown criterion"):
        compile_policy({**good, "rules": [{"reason": "X_Y", "if": {"criterion": "nope"}, "outcome": "refuse"}]})
    with pytest.raises(ValidationError, match="'review' outcome"):
        compile_policy({**good, "outcomes": {"refuse": {"ads": "refuse"}}})
    with pytest.raises(ValidationError, match="UPPER_SNAKE_CASE"):
        compile_policy({**good, "rules": [{"reason": "lower", "if": {"always": True}, "outcome": "refuse"}]})


def test_one_engine_evaluates_any_policy_document(reg):
    spec = {
        "id": "test-policy",
        "version": 2,
        "platforms": ["twitter"],
        "effective_from": "2020-01-01",
        "criteria": {"owned": {"fact": "ownership", "where": {"state_owned": True}}},
        "rules": [
            {"reason": "STATE_OWNED", "if": {"criterion": "owned"}, "outcome": "refuse"},
            {"reason": "OTHER", "if": {"always": True}, "outcome": "allow"},
        ],
        "outcomes": {"refuse": {"ads": "refuse"}, "allow": {"ads": "allow"}, "review": {"ads": "review"}},
    }
    pol = compile_policy(spec)
    oid = reg.add_outlet("Owned", "CN")
    fid = reg.add_fact(oid, fact("ownership", {"state_owned": True}))
    d = evaluate(pol, reg.outlet(oid), reg.facts(oid))
    assert (d.outcome, d.reasons[0].code, d.reasons[0].fact_ids) == ("refuse", "STATE_OWNED", (fid,))
