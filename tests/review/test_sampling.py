"""Sampled sign-off: the exact Clopper–Pearson bound, proportional stratified draws, and approval refused until a
labelled sample bounds the false-positive rate under the limit (on both backends)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from flockwatch.errors import RefusedError
from flockwatch.review import actions, sampling
from flockwatch.review.actor import Actor
from flockwatch.review.cases import Subject, get_case, open_case
from flockwatch.store.users import add_user, get_user


@pytest.mark.parametrize(("x", "n"), [(0, 59), (0, 100), (3, 100), (10, 100), (1, 5), (50, 400)])
def test_upper_bound_matches_the_exact_binomial_interval(x, n):
    # a one-sided 95% bound is the upper end of the two-sided exact 90% interval
    expected = binomtest(x, n).proportion_ci(confidence_level=0.90, method="exact").high
    assert sampling.clopper_pearson_upper(x, n, 0.95) == pytest.approx(expected, rel=1e-9)


def test_59_clean_labels_bound_the_rate_below_five_percent():
    assert sampling.clopper_pearson_upper(0, 58) > 0.05 > sampling.clopper_pearson_upper(0, 59)


@given(st.integers(1, 500), st.data())
def test_bound_grows_with_false_positives_and_covers_the_estimate(n, data):
    x = data.draw(st.integers(0, n - 1))
    u = sampling.clopper_pearson_upper(x, n)
    assert x / n < u <= 1.0
    assert sampling.clopper_pearson_upper(x + 1, n) > u


def _actor(store, name):
    return Actor(get_user(store, name), None, "embedded")


def test_bulk_approval_needs_a_clean_enough_sample(ops_store):
    add_user(ops_store, "alice", "analyst")
    add_user(ops_store, "bob", "reviewer")
    add_user(ops_store, "carol", "reviewer")
    # 1,200 amplifiers with scores spread over the bands (most high, a tail of low scores)
    subjects = [
        Subject("account", f"tw:{i:05d}", "twitter", f"amp{i}", 0.99 if i < 900 else 0.85 if i < 1100 else 0.3)
        for i in range(1200)
    ]
    case_id = open_case(ops_store, by="alice", subjects=subjects, accounts_ref="expansion.csv")
    action_id = actions.propose(ops_store, case_id, _actor(ops_store, "alice"), "suspend", "amplifiers")
    with pytest.raises(RefusedError) as info:
        actions.approve(ops_store, case_id, _actor(ops_store, "bob"))
    assert info.value.code == "SAMPLE_REQUIRED"

    drawn = sampling.draw_sample(ops_store, case_id, _actor(ops_store, "carol"), size=100, seed=2019)
    bands = {}
    for r in drawn:
        bands[r["band"]] = bands.get(r["band"], 0) + 1
    assert bands == {"high": 75, "upper": 17, "low": 8}  # proportional to 900 / 200 / 100
    # the low band is full of false positives
    for r in drawn:
        sampling.label_subject(
            ops_store,
            case_id,
            _actor(ops_store, "carol"),
            r["subject_id"],
            "false-positive" if r["band"] == "low" else "correct",
        )
    b = sampling.sample_bound(ops_store, action_id)
    assert (b.labelled, b.false_positives) == (100, 8) and b.upper_bound > 0.05
    assert b.by_band["low"] == {"drawn": 8, "labelled": 8, "false_positives": 8}
    with pytest.raises(RefusedError) as info:
        actions.approve(ops_store, case_id, _actor(ops_store, "bob"))
    assert info.value.code == "SAMPLE_BOUND" and "upper bound" in str(info.value)
    assert get_case(ops_store, case_id, with_subjects=False).status == "in_review"

    # on re-examination the sampled low-score accounts were correct after all: the bound falls under the limit
    for r in drawn:
        sampling.label_subject(ops_store, case_id, _actor(ops_store, "carol"), r["subject_id"], "correct")
    assert sampling.sample_bound(ops_store, action_id).upper_bound < 0.05
    assert actions.approve(ops_store, case_id, _actor(ops_store, "bob")) == action_id
    assert get_case(ops_store, case_id, with_subjects=False).counts == {"executed": 1200}


def test_only_reviewers_sample(ops_store):
    add_user(ops_store, "alice", "analyst")
    case_id = open_case(ops_store, by="alice", accounts=["tw:1", "tw:2"], accounts_ref="x")
    actions.propose(ops_store, case_id, _actor(ops_store, "alice"), "label", "state media")
    with pytest.raises(RefusedError, match="ROLE_REQUIRED"):
        sampling.draw_sample(ops_store, case_id, _actor(ops_store, "alice"))
