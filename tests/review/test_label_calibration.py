"""Sample labels feed calibration (on both backends): per-band observed false-positive rates with exact bounds across
every labelled sample, the expected false positives of a case from them, and the sample size they suggest."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest

from flockwatch.cli.app import main
from flockwatch.review import actions, label_calibration, sampling
from flockwatch.review.actor import Actor
from flockwatch.review.cases import Subject, open_case
from flockwatch.store.users import add_user, get_user
from flockwatch.workspace import Workspace


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 100), (8, 8), (50, 400)])
def test_lower_bound_matches_the_exact_binomial_interval(x, n):
    expected = binomtest(x, n).proportion_ci(confidence_level=0.90, method="exact").low
    assert label_calibration.clopper_pearson_lower(x, n, 0.95) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_suggested_sample_size():
    assert label_calibration.suggested_sample_size(0.0, 0.05) == 59  # no false positive ever seen
    n = label_calibration.suggested_sample_size(0.01, 0.05)
    assert n is not None and n > 59
    assert sampling.clopper_pearson_upper(-(-n // 100), n) <= 0.05  # ceil(n * 1%) false positives still pass
    assert label_calibration.suggested_sample_size(0.05, 0.05) is None  # at the limit: more labels cannot help
    assert label_calibration.suggested_sample_size(0.2, 0.05) is None


def _actor(store, name):
    return Actor(get_user(store, name), None, "embedded")


def _labelled_action(store, n_high, n_low, fp_low, tag):
    """A proposed bulk action whose sample is labelled: every low-band draw up to ``fp_low`` is a false positive."""
    subjects = [Subject("account", f"{tag}:{i:04d}", "twitter", None, 0.99) for i in range(n_high)]
    subjects += [Subject("account", f"{tag}:L{i:04d}", "twitter", None, 0.3) for i in range(n_low)]
    case_id = open_case(store, by="alice", subjects=subjects, accounts_ref=tag)
    actions.propose(store, case_id, _actor(store, "alice"), "suspend", "amplifiers")
    drawn = sampling.draw_sample(store, case_id, _actor(store, "carol"), size=50, seed=7)
    k = 0
    for r in drawn:
        fp = r["band"] == "low" and k < fp_low
        k += r["band"] == "low"
        sampling.label_subject(
            store, case_id, _actor(store, "carol"), r["subject_id"], "false-positive" if fp else "correct"
        )
    return case_id, drawn


def test_labels_across_actions_calibrate_the_bands(ops_store):
    for name, role in (("alice", "analyst"), ("carol", "reviewer")):
        add_user(ops_store, name, role)
    assert all(c.fp_rate is None for c in label_calibration.band_calibration(ops_store))  # nothing labelled yet
    _, d1 = _labelled_action(ops_store, 400, 100, 4, "a")
    _, d2 = _labelled_action(ops_store, 300, 200, 6, "b")
    low_drawn = sum(r["band"] == "low" for r in d1 + d2)
    high_drawn = sum(r["band"] == "high" for r in d1 + d2)
    cal = {c.band: c for c in label_calibration.band_calibration(ops_store)}
    assert (cal["low"].labelled, cal["low"].false_positives) == (low_drawn, 10)
    assert cal["low"].fp_rate == pytest.approx(10 / low_drawn)
    assert cal["low"].fp_lower < cal["low"].fp_rate < cal["low"].fp_upper
    assert (cal["high"].labelled, cal["high"].false_positives, cal["high"].fp_rate) == (high_drawn, 0, 0.0)
    assert cal["high"].fp_upper == pytest.approx(sampling.clopper_pearson_upper(0, high_drawn))
    assert cal["middle"].fp_rate is None and cal["middle"].labelled == 0
    pooled = label_calibration.pooled(ops_store)
    assert (pooled.labelled, pooled.false_positives) == (low_drawn + high_drawn, 10)

    # a new case: its subjects per band beside the observed rates
    subjects = [Subject("account", f"c:{i}", "twitter", None, 0.99) for i in range(1000)]
    subjects += [Subject("account", f"c:L{i}", "twitter", None, 0.3) for i in range(50)]
    subjects += [Subject("account", f"c:M{i}", "twitter", None, 0.6) for i in range(7)]
    case_id = open_case(ops_store, by="alice", subjects=subjects, accounts_ref="new")
    e = label_calibration.case_expectation(ops_store, case_id)
    assert e["expected_false_positives"] == pytest.approx(50 * 10 / low_drawn, abs=0.01)
    assert e["subjects_without_calibration"] == 7  # the middle band has no labels: not guessed
    by = {b["band"]: b for b in e["bands"]}
    assert by["high"]["subjects"] == 1000 and by["high"]["precision"] == 1.0
    assert by["high"]["precision_lower"] == pytest.approx(1 - cal["high"].fp_upper)
    assert e["false_positives_upper"] > e["expected_false_positives"]


def test_cli_calibration_and_case_show(ops_store, tmp_path, capsys, monkeypatch):
    for name, role in (("alice", "analyst"), ("carol", "reviewer")):
        add_user(ops_store, name, role)
    case_id, _ = _labelled_action(ops_store, 80, 20, 2, "a")
    ws = tmp_path / "ws"
    with Workspace.create(ws, registry=False):
        pass
    monkeypatch.setenv("FLOCKWATCH_OPS_URL", ops_store.url)  # the workspace's commands use this store
    capsys.readouterr()
    assert main(["case", "calibration", "--json", "--workspace", str(ws)]) == 0
    out = json.loads(capsys.readouterr().out)
    low = next(b for b in out["bands"] if b["band"] == "low")
    assert low["false_positives"] == 2 and out["all"]["false_positives"] == 2
    assert out["suggested_sample_size"] is None or out["suggested_sample_size"] > 59
    assert main(["case", "show", case_id, "--json", "--workspace", str(ws)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["calibration"]["expected_false_positives"] > 0
    assert main(["case", "show", case_id, "--workspace", str(ws)]) == 0
    assert "calibrated precision" in capsys.readouterr().out
    if ops_store.dialect == "sqlite":  # the embedded store takes --by without a password
        subjects = [Subject("account", f"n:{i}", "twitter", None, 0.99) for i in range(300)]
        new_case = open_case(ops_store, by="alice", subjects=subjects, accounts_ref="next")
        actions.propose(ops_store, new_case, _actor(ops_store, "alice"), "suspend", "amplifiers")
        assert main(["case", "sample", new_case, "--by", "carol", "--workspace", str(ws)]) == 0
        expected, _ = label_calibration.next_sample_size(ops_store)
        assert f"sample size {expected}:" in capsys.readouterr().out
        assert sampling.sample_bound(ops_store, 2).drawn == min(expected, 300)  # never more than the action holds


def test_next_sample_size_follows_the_labels(ops_store):
    for name, role in (("alice", "analyst"), ("carol", "reviewer")):
        add_user(ops_store, name, role)
    n, why = label_calibration.next_sample_size(ops_store)
    assert n == 59 and "no labels yet" in why
    _labelled_action(ops_store, 80, 20, 1, "a")  # one false positive in the sample
    n1, why1 = label_calibration.next_sample_size(ops_store)
    assert n1 > 59 and "1/" in why1
    _labelled_action(ops_store, 0, 100, 50, "b")  # a sample full of false positives: no size is enough
    n2, why2 = label_calibration.next_sample_size(ops_store, fallback=100)
    assert n2 == 100 and "exclud" in why2
