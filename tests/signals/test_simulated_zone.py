"""The working-hours fingerprint recovers the time zone the simulator planted (truth.json)."""

import csv
import json
from collections import Counter

import pytest

from flockwatch.ingest.loader import ingest_paths
from flockwatch.signals import fingerprints_by_account, working_hours_fingerprint
from flockwatch.simulate import simulate


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    res = simulate(out, preset="small", seed=3)
    truth = json.loads(res.truth_json.read_text())
    members = {}
    with res.truth_csv.open() as fh:
        for row in csv.DictReader(fh):
            members.setdefault(row["operation_id"], []).append(row["account_id"])
    return res, truth, members


def test_fingerprint_recovers_planted_zone(small_world, ws):
    res, truth, members = small_world
    ingest_paths(ws, [res.users_file, *res.tweets_files])
    for op in truth["operations"]:
        zone = op["schedule"]["zone_offset_h"]
        fp = working_hours_fingerprint(ws, members[op["operation_id"]])
        assert zone in fp.observed_offsets_h or any(
            a["utc_offset_h"] == zone and a["equivalent_to_best"] for a in fp.alternatives
        ), fp.label
        assert fp.confidence_level == "high"
        assert fp.shape == "office"
        # per account, confident readings agree with the plan; the rest are honest "low"
        per = fingerprints_by_account(ws, members[op["operation_id"]])
        confident = [f for f in per.values() if f.confidence_level != "low"]
        wrong = [
            f
            for f in confident
            if zone not in f.observed_offsets_h
            and not any(a["utc_offset_h"] == zone and a["equivalent_to_best"] for a in f.alternatives)
        ]
        assert len(wrong) <= 0.05 * max(len(confident), 1), Counter(f.label for f in wrong)
