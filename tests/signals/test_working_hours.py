import datetime as dt

import numpy as np
import pytest

from flockwatch.signals import fingerprints_by_account, working_hours_fingerprint
from flockwatch.signals.working_hours import fingerprint_histograms

from .helpers import actions_for, insert, office_timeline


@pytest.mark.parametrize("offset", [8, 3, -5, 0])
def test_recovers_standard_offset_of_office_timeline(ws, offset):
    rng = np.random.default_rng(offset + 20)
    insert(ws, "actions", actions_for("a", office_timeline(rng, 400, offset)))
    fp = working_hours_fingerprint(ws)
    assert fp.utc_offset_h == offset and fp.dst_rule == "none"
    assert fp.shape == "office"
    assert fp.confidence_level == "high"
    assert fp.office_hours["weekday_share"] > 0.95


def test_europe_zone_with_summer_time_finds_standard_offset(ws):
    rng = np.random.default_rng(5)
    insert(ws, "actions", actions_for("berlin", office_timeline(rng, 600, 1, dst="eu")))
    fp = working_hours_fingerprint(ws)
    assert fp.utc_offset_h == 1
    assert fp.dst_rule == "eu"
    assert fp.observed_offsets_h == [1, 2]
    assert fp.label == "UTC+1 with EU summer time"


def test_summer_only_activity_reports_both_readings(ws):
    rng = np.random.default_rng(6)
    times = office_timeline(rng, 300, 1, start=dt.date(2019, 5, 1), days=120, dst="eu")
    insert(ws, "actions", actions_for("berlin", times))
    fp = working_hours_fingerprint(ws)
    readings = {(a["utc_offset_h"], a["dst_rule"]) for a in fp.alternatives[:3]}
    # summer-only data cannot tell UTC+1 with summer time from UTC+2 without: both must be on the table, reported
    # as one reading of the data (their mass together), not as a coin flip between rivals
    assert {(1, "eu"), (2, "none")} <= readings
    assert {"UTC+2", "UTC+1 with EU summer time"} <= set(fp.equivalent_readings)
    assert fp.observed_offsets_h[-1] == 2 and "UTC+2" in fp.label and "UTC+1 with EU summer time" in fp.label
    assert fp.confidence > 0.9


def test_sparse_account_gets_low_confidence_not_a_wrong_certainty(ws):
    rng = np.random.default_rng(7)
    insert(ws, "actions", actions_for("sparse", office_timeline(rng, 4, 8)))
    insert(ws, "actions", actions_for("busy", office_timeline(rng, 300, 8)))
    fps = fingerprints_by_account(ws)
    sparse, busy = fps[("t", "sparse")], fps[("t", "busy")]
    assert sparse.n_slots == 4
    assert sparse.confidence_level == "low" and sparse.confidence < 0.6
    assert busy.confidence_level == "high" and busy.utc_offset_h == 8


def test_round_the_clock_activity_is_not_given_a_zone_with_confidence():
    # uniform activity over all 168 hours: every offset fits equally
    h = np.full(168, 10.0)
    fp = fingerprint_histograms(h, np.zeros(168), np.zeros(168))[0]
    assert fp.shape == "flat"
    assert fp.confidence < 0.2 and fp.confidence_level == "low"
    assert fp.equivalent_readings == [fp.alternatives[0]["label"]]


def test_bursts_count_once_per_hour_slot(ws):
    t = dt.datetime(2019, 3, 4, 2, 0)
    insert(ws, "actions", actions_for("burst", [t + dt.timedelta(seconds=i) for i in range(100)]))
    fp = working_hours_fingerprint(ws)
    assert fp.n_slots == 1 and fp.confidence_level == "low"


def test_account_set_pools_members(ws):
    rng = np.random.default_rng(8)
    for i in range(5):
        insert(ws, "actions", actions_for(f"m{i}", office_timeline(rng, 15, 8)))
    insert(ws, "actions", actions_for("other", office_timeline(rng, 300, -5)))
    fp = working_hours_fingerprint(ws, account_ids=[f"m{i}" for i in range(5)])
    assert fp.utc_offset_h == 8 and fp.n_slots == 75


def test_empty_scope(ws):
    fp = working_hours_fingerprint(ws, account_ids=["nobody"])
    assert fp.utc_offset_h is None and fp.confidence == 0.0
