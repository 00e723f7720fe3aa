"""Profile evidence: proposed links with evidence, their measurement on the Matrix, and the review loop."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flockwatch.cli.app import main
from flockwatch.policy.profile_eval import evaluate_profile_linking
from flockwatch.policy.profile_links import LinkIndex, OutletKeys, Profile
from flockwatch.workspace import Workspace

SHARED_MATRIX = Path(__file__).parents[3] / "shared" / "data" / "state-media" / "State_Media_Matrix.csv"


@pytest.fixture(scope="module")
def index(_shipped_template):
    return LinkIndex.from_registry(_shipped_template)


def test_a_sub_brand_links_by_profile_url_name_and_handle(index):
    p = index.propose(Profile("twitter", "cgtncult_fx1", "CGTN Culture Express", "", "https://www.cgtn.com/culture"))
    assert (p.outlet, p.role) == ("CGTN", "outlet") and p.confidence > 0.9
    kinds = {e.kind for e in p.evidence}
    assert {"profile_url_domain", "display_name_prefix"} <= kinds
    assert kinds & {"handle_pattern", "handle_name_pattern"}  # starts with @cgtn, a registered handle
    assert all(e.detail and 0 < e.confidence <= 1 for e in p.evidence)


def test_a_person_who_says_they_report_for_an_outlet_is_proposed_as_staff(index):
    p = index.propose(Profile("twitter", "jdoe_fx2", "J. Doe (synthetic)", "Reporter @XHNews. Views my own.", ""))
    assert (p.outlet, p.role) == ("Xinhua News Agency", "journalist")
    assert p.evidence[0].kind == "bio_affiliation" and "reporter" in p.evidence[0].detail
    q = index.propose(Profile("twitter", "bsmith_fx3", "B", "correspondent for China Daily in Brussels", ""))
    assert (q.outlet, q.role) == ("China Daily", "journalist")
    r = index.propose(Profile("twitter", "ed_fx8", "E", "Deputy editor at @PDChina", ""))
    assert (r.outlet, r.role) == ("People's Daily", "senior_staff")


def test_weak_or_shared_evidence_proposes_nothing(index):
    # a reader who links a news site, a bare mention, an acronym many outlets share: none is enough alone
    assert index.propose(Profile("twitter", "reader_fx4", "Reader", "I read chinadaily.com.cn daily", "")) is None
    assert index.propose(Profile("twitter", "fan_fx5", "Fan", "great piece by @XHNews today", "")) is None
    assert index.propose(Profile("twitter", "atv_fan_fx6", "ATV", "", "")) is None
    assert index.propose(Profile("twitter", "newsfan_fx7", "Daily News Fan", "love news", "")) is None


def test_a_registered_account_is_not_proposed_again(index):
    assert index.propose(Profile("twitter", "XHNews", "Xinhua News", "", "http://xinhuanet.com")) is None


def test_a_domain_several_outlets_share_splits_its_weight():
    ix = LinkIndex(
        [
            OutletKeys(1, "Alpha Synthetic News", (), ("shared-example.org",)),
            OutletKeys(2, "Beta Synthetic", (), ("shared-example.org",)),
        ]
    )
    assert ix.propose(Profile("twitter", "x_fx", "", "", "https://shared-example.org/")) is None
    alpha = ix.propose(Profile("twitter", "x_fx", "Alpha Synthetic News desk", "", "https://shared-example.org/"))
    assert alpha.outlet == "Alpha Synthetic News" and alpha.alternatives[0]["outlet"] == "Beta Synthetic"


def _mini_matrix(tmp_path: Path) -> Path:
    rows = [
        [
            "Asia",
            "China",
            "Synthetic Media Group (SMG)",
            "SMG News",
            "https://news.smg-example.cn/",
            "SC",
            "",
            "",
            "",
            "https://twitter.com/smgx",
        ],
        [
            "Asia",
            "China",
            "Synthetic Media Group (SMG)",
            "SMG Sport",
            "https://sport.smg-example.cn/",
            "SC",
            "",
            "",
            "",
            "https://twitter.com/smgx_sport",
        ],
        [
            "Europe",
            "Sweden",
            "Exempel Radio",
            "Exempel Radio",
            "https://exempelradio.se/",
            "IP",
            "",
            "",
            "",
            "https://twitter.com/exempelradio",
        ],
        ["Europe", "Sweden", "Annat Bolag", "Annat TV", "https://annat-tv.se/", "IP", "", "", "", ""],
    ]
    header = [
        "Region",
        "Country",
        "Media company",
        "Main assets",
        "URL",
        "Typology",
        "Status",
        "Notes",
        "Instagram Link",
        "Twitter Link",
    ]
    p = tmp_path / "matrix.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return p


def test_evaluation_protocols_on_a_small_matrix(tmp_path):
    negatives = [Profile("twitter", "someone_fx", "Someone", "I like Annat TV shows", "")]
    results = {r.protocol: r for r in evaluate_profile_linking(_mini_matrix(tmp_path), negatives)}
    assert set(results) == {"accounts_unknown", "name_only", "url_only", "leave_one_out", "handle_only"}
    assert results["url_only"].correct == 3  # every profile website is on its company's domain
    known = results["accounts_unknown"]
    assert (known.accounts, known.correct, known.negatives, known.negative_proposals) == (3, 3, 1, 0)
    assert (known.precision, known.recall) == (1.0, 1.0)
    loo = results["leave_one_out"]
    # the two SMG accounts are found through each other's row (domain and name); the single-row radio cannot be
    assert loo.correct == 2 and [m["handle"] for m in loo.missed] == ["exempelradio"]
    # smgx_sport starts with its sibling's registered handle smgx; smgx alone has nothing to go on
    assert (results["handle_only"].correct, results["handle_only"].proposals) == (1, 1)


@pytest.mark.skipif(not SHARED_MATRIX.exists(), reason="shared data (State Media Matrix) not present")
def test_on_the_real_matrix_profiles_with_known_names_and_domains_link_correctly():
    (res,) = evaluate_profile_linking(SHARED_MATRIX, protocols=("accounts_unknown",))
    assert res.accounts > 100
    assert res.precision is not None and res.precision >= 0.95 and res.recall >= 0.95, res.wrong[:5]


def test_link_profiles_review_accept_then_import(tmp_path, capsys):
    ws_path = tmp_path / "ws"
    assert main(["init", str(ws_path)]) == 0
    with Workspace.open(ws_path) as ws:
        ws.engine.executemany(
            "INSERT INTO accounts (platform, account_id, screen_name, display_name, description, profile_url, "
            "id_is_pseudonymised) VALUES (?, ?, ?, ?, ?, ?, false)",
            [
                ("twitter", "1", "cgtncult_fx1", "CGTN Culture Express", "", "https://www.cgtn.com/culture"),
                ("twitter", "2", "jdoe_fx2", "J. Doe (synthetic)", "Reporter @XHNews", ""),
                ("twitter", "3", "gardener_fx3", "Gardener", "roses and tulips", ""),
            ],
        )
    out = tmp_path / "proposals.csv"
    capsys.readouterr()
    assert main(["media", "link-profiles", "--out", str(out), "--workspace", str(ws_path)]) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["handle"]: r["entity"] for r in rows} == {"@cgtncult_fx1": "CGTN", "@jdoe_fx2": "Xinhua News Agency"}
    assert all(r["evidence"] and r["review"] == "" for r in rows)
    for r in rows:
        r["review"] = "accept" if r["handle"] == "@cgtncult_fx1" else "reject"
        r["reviewer"] = "analyst-a"
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    capsys.readouterr()
    assert main(["media", "import-affiliations", str(out), "--workspace", str(ws_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["linked"] == 1 and summary["not_accepted"] == [
        {"line": 3, "account": "@jdoe_fx2", "review": "reject"}
    ]
    batch = tmp_path / "b.txt"
    batch.write_text("@cgtncult_fx1\n@jdoe_fx2\n", encoding="utf-8")
    assert main(["ads", "check", "--batch", str(batch), "--json", "-w", str(ws_path)]) == 0
    accepted, rejected = (json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip())
    assert accepted["eligible"] is False and rejected["outcome"] == "not_linked"
    capsys.readouterr()
    assert main(["media", "show", "CGTN", "--json", "--workspace", str(ws_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    (asset,) = [a for a in shown["assets"] if a["value"] == "cgtncult_fx1"]
    assert "review: accept by analyst-a" in asset["source"] and "proposals.csv, line 2" in asset["source"]
    rows[0]["reviewer"] = ""
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["media", "import-affiliations", str(out), "--strict", "--workspace", str(ws_path)]) == 2
    assert "without a reviewer" in capsys.readouterr().err


def test_stored_proposals_reviewed_with_audit_feed_determinations(tmp_path, capsys):
    ws_path = tmp_path / "ws"
    assert main(["init", str(ws_path)]) == 0
    with Workspace.open(ws_path) as ws:
        ws.engine.executemany(
            "INSERT INTO accounts (platform, account_id, screen_name, display_name, description, profile_url, "
            "id_is_pseudonymised) VALUES (?, ?, ?, ?, ?, ?, false)",
            [
                ("twitter", "1", "cgtncult_fx1", "CGTN Culture Express", "", "https://www.cgtn.com/culture"),
                ("twitter", "2", "jdoe_fx2", "J. Doe (synthetic)", "Reporter @XHNews", ""),
            ],
        )
    assert main(["users", "add", "alice", "--role", "reviewer", "--workspace", str(ws_path)]) == 0
    assert main(["media", "link-profiles", "--workspace", str(ws_path)]) == 0
    assert main(["media", "link-profiles", "--json", "--workspace", str(ws_path)]) == 0  # again: nothing new
    capsys.readouterr()
    assert main(["media", "link-profiles", "--json", "--workspace", str(ws_path)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["stored"], again["already_proposed"]) == (0, 2)
    assert main(["media", "links", "--json", "--workspace", str(ws_path)]) == 0
    listed = {p["account"]: p for p in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"@cgtncult_fx1", "@jdoe_fx2"} and all(p["evidence"] for p in listed.values())
    cgtn, jdoe = listed["@cgtncult_fx1"]["proposal_id"], listed["@jdoe_fx2"]["proposal_id"]
    w = ["--workspace", str(ws_path)]
    assert main(["media", "review-link", str(cgtn), "--accept", "--note", "site is cgtn.com", "--by", "alice", *w]) == 0
    assert main(["media", "review-link", str(jdoe), "--reject", "--note", "bio only", "--by", "alice", *w]) == 0
    assert main(["media", "review-link", str(jdoe), "--accept", "--note", "again", "--by", "alice", *w]) == 2
    assert "already rejected" in capsys.readouterr().err
    assert main(["media", "review-link", str(cgtn), "--accept", "--note", "x", "--by", "mallory", *w]) == 2
    capsys.readouterr()
    batch = tmp_path / "b.txt"
    batch.write_text("@cgtncult_fx1\n@jdoe_fx2\n", encoding="utf-8")
    assert main(["ads", "check", "--batch", str(batch), "--json", *w]) == 0
    accepted, rejected = (json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip())
    assert accepted["eligible"] is False and accepted["outlet"]["name"] == "CGTN"
    assert rejected["outcome"] == "not_linked"
    assert main(["audit", "show", "--json", *w]) == 0
    entries = json.loads(capsys.readouterr().out)
    actions = {e["action"]: e for e in (entries if isinstance(entries, list) else entries["entries"])}
    assert actions["media.link.accept"]["actor"] == "alice" and actions["media.link.accept"]["evidence"]
    assert actions["media.link.reject"]["reason"] == "bio only"
    assert main(["audit", "verify", *w]) == 0
