"""Labels by policy version with effective dates; appeals that add determinations and never edit old ones."""

from __future__ import annotations

import csv
import json

import pytest

from flockwatch.errors import ValidationError
from flockwatch.policy import (
    appeals,
    check_ad_eligibility,
    decide,
    export_labels,
    file_appeal,
    history,
    review_appeal,
)
from flockwatch.policy.labels import write_labels

from .policy_helpers import fact


def test_twitter_labels(shipped, tmp_path):
    decide(shipped, "twitter-2020-08-labels", as_of="2020-08-06")
    rows = export_labels(shipped, "twitter-2020-08-labels", on_date="2020-09-01")
    by_account = {r.account.lower(): r for r in rows}
    assert by_account["@xhnews"].label == "China state-affiliated media"
    assert by_account["@xhnews"].amplify is False and by_account["@xhnews"].effective_from == "2020-08-06"
    assert by_account["@m_simonyan"].role == "editor_in_chief" and by_account["@m_simonyan"].outlet == "RT"
    assert by_account["@mfa_china"].label == "China government account"
    for independent in ("@bbcworld", "@npr", "@svtnyheter", "@dwnews"):
        assert independent not in by_account
    assert all(r.platform == "twitter" for r in rows)
    assert export_labels(shipped, "twitter-2020-08-labels", on_date="2020-08-01") == []
    out = write_labels(rows, tmp_path / "labels.csv")
    with out.open() as f:
        assert len(list(csv.DictReader(f))) == len(rows)
    data = json.loads(write_labels(rows, tmp_path / "labels.json").read_text())
    assert data[0]["policy"] == "twitter-2020-08-labels" and "determination_id" in data[0]


def test_meta_labels_only_on_meta_platforms(shipped):
    decide(shipped, "meta-2020-06", as_of="2020-06-04")
    rows = export_labels(shipped, "meta-2020-06", on_date="2020-07-01")
    assert rows and {r.platform for r in rows} <= {"facebook", "instagram"}
    assert any(r.label == "Russia state-controlled media" for r in rows)
    with pytest.raises(ValidationError, match="gives no labels"):
        export_labels(shipped, "twitter-2019-08-ads")


def test_upheld_appeal_adds_a_determination(reg):
    oid = reg.add_outlet("Reformed Radio", "HU")
    reg.add_asset(oid, "domain", "reformed.example", source="test")
    reg.add_fact(oid, fact("scope", {"scope": "news"}))
    contested = reg.add_fact(oid, fact("editorial_control", {"state_editorial_control": True}, source="2019 report"))
    (old,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    assert old.outcome == "refuse"
    ap = file_appeal(
        reg,
        old.determination_id,
        "new independent charter and board since 2021",
        filed_on="2021-06-01",
        evidence=[
            fact(
                "editorial_control",
                {"state_editorial_control": False},
                source="Charter 2021",
                date="2021-05-01",
                supersedes=contested,
            ),
            fact(
                "safeguards",
                {"charter_or_statute": True, "independent_board": True, "legal_editorial_independence": True},
                source="Charter 2021",
                date="2021-05-01",
            ),
            fact("funding", {"mode": "indirect", "mechanism": "licence fee"}, source="Budget law", date="2021-01-01"),
        ],
    )
    assert ap.status == "filed" and len(ap.evidence_fact_ids) == 3
    # until reviewed, the evidence does not count
    assert decide(reg, "twitter-2019-08-ads", as_of="2021-06-02").created == []
    ap2, new = review_appeal(
        reg, ap.appeal_id, "upheld", reviewer="policy-team", note="charter verified", as_of="2021-07-01"
    )
    assert ap2.status == "upheld" and ap2.new_determination_id == new.determination_id
    assert new.outcome == "exempt" and new.appeal_id == ap.appeal_id and new.reason_codes[0] == "APPEAL_UPHELD"
    assert new.supersedes == old.determination_id
    assert [d.outcome for d in history(reg, oid)] == ["refuse", "exempt"]
    assert history(reg, oid)[0] == old  # never edited
    assert reg.fact(contested).superseded_by == ap.evidence_fact_ids[0]
    (c,) = check_ad_eligibility(reg, "reformed.example", on_date="2021-07-02")
    assert c.eligible is True
    with pytest.raises(ValidationError, match="already upheld"):
        review_appeal(reg, ap.appeal_id, "rejected", reviewer="x", note="y")


def test_rejected_appeal_changes_nothing(reg):
    oid = reg.add_outlet("Stubborn TV", "RU")
    reg.add_fact(oid, fact("editorial_control", {"state_editorial_control": True}))
    (old,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    ap = file_appeal(
        reg,
        old.determination_id,
        "we are independent",
        evidence=[fact("safeguards", {"independent_board": True}, source="Own website")],
    )
    before = [f.fact_id for f in reg.facts(oid)]
    ap2, new = review_appeal(reg, ap.appeal_id, "rejected", reviewer="policy-team", note="board appointed by ministry")
    assert new is None and ap2.status == "rejected"
    assert [f.fact_id for f in reg.facts(oid)] == before
    assert [d.determination_id for d in history(reg, oid)] == [old.determination_id]
    assert [a.status for a in appeals(reg, oid)] == ["rejected"]


def test_bad_appeals_are_rejected(reg):
    oid = reg.add_outlet("X", "RU")
    (d,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    with pytest.raises(ValidationError, match="no determination"):
        file_appeal(reg, 999, "grounds")
    with pytest.raises(ValidationError, match="needs its grounds"):
        file_appeal(reg, d.determination_id, " ")
    with pytest.raises(ValidationError, match="missing source"):
        file_appeal(reg, d.determination_id, "grounds", evidence=[fact("scope", {"scope": "news"}, source="")])
    assert appeals(reg, oid) == [] and reg.counts()["facts"] == 0
