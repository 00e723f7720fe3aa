"""STIX 2.1 tip bundles: they parse, every reference resolves, DISARM ids exist in v1.6, markings everywhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import stix2

from flockwatch.errors import ValidationError
from flockwatch.share import disarm, stix_export, subjects
from flockwatch.share.agreement import Pseudonymiser
from flockwatch.share.tlp import Level
from flockwatch.workspace import Workspace

import tip_scenario as sc
from fwtest import shared_data

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sender():
    ws = Workspace.memory()
    sc.build_sender(ws)
    yield ws
    ws.close()


def _bundle(ws, ref="N0001", **kw):
    subject = subjects.from_network(ws, ref)
    b = stix_export.build_bundle(ws, subject, stix_export.ExportOptions(now=NOW, **kw))
    return json.loads(b.serialize())


def _of(doc, typ):
    return [o for o in doc["objects"] if o["type"] == typ]


def test_network_bundle_parses_resolves_and_is_a_candidate(sender):
    doc = _bundle(sender)
    parsed = stix2.parse(json.dumps(doc), allow_custom=True)
    assert len(parsed.objects) == len(doc["objects"])
    assert stix_export.unresolved_refs(doc) == []
    (iset,) = _of(doc, "intrusion-set")
    assert iset["confidence"] == 83 and "candidate" in iset["labels"]
    assert "candidate network" in iset["description"] and "not a verdict" in iset["description"]
    (camp,) = _of(doc, "campaign")
    assert camp["first_seen"].startswith("2019-08-05") and camp["last_seen"].startswith("2019-08-15")
    assert "#hkriots" in camp["objective"]
    rels = {
        (r["source_ref"].split("--")[0], r["relationship_type"], r["target_ref"].split("--")[0])
        for r in _of(doc, "relationship")
    }
    assert ("campaign", "attributed-to", "intrusion-set") in rels
    assert ("intrusion-set", "uses", "attack-pattern") in rels and ("indicator", "indicates", "intrusion-set") in rels
    (grouping,) = _of(doc, "grouping")
    assert grouping["context"] == "suspicious-activity"
    assert set(grouping["object_refs"]) == {
        o["id"] for o in doc["objects"] if o["type"] not in ("marking-definition", "grouping")
    }


def test_every_object_is_marked_amber_and_red_on_request(sender):
    for level, mark in ((Level.AMBER, stix2.v21.TLP_AMBER.id), (Level.RED, stix2.v21.TLP_RED.id)):
        doc = _bundle(sender, tlp=level)
        unmarked = [
            o["id"]
            for o in doc["objects"]
            if o["type"] not in ("marking-definition", "identity", "extension-definition")
            and o.get("object_marking_refs") != [mark]
        ]
        assert unmarked == []
        assert any(o["id"] == mark for o in _of(doc, "marking-definition"))


def test_indicators_are_what_members_share_not_what_everyone_shares(sender):
    doc = _bundle(sender)
    patterns = {o["pattern"] for o in _of(doc, "indicator")}
    assert "[domain-name:value = 'hk-truth.example']" in patterns
    assert "[ipv4-addr:value = '203.0.113.0/24']" in patterns
    assert "[autonomous-system:number = 64500]" in patterns
    assert "[x-flockwatch-hashtag:value = 'hkriots']" in patterns
    assert any(p.startswith("[x-flockwatch-text-fingerprint:normalised_sha256 = ") for p in patterns)
    joined = " ".join(patterns)
    assert "bbc.co.uk" not in joined and "'hongkong'" not in joined and "number = 2856" not in joined
    exts = {o["id"] for o in _of(doc, "extension-definition")}
    assert {stix_export.HASHTAG_EXTENSION, stix_export.TEXT_EXTENSION} <= exts
    (tag,) = _of(doc, "x-flockwatch-hashtag")
    assert stix_export.HASHTAG_EXTENSION in tag["extensions"]


def test_disarm_techniques_found_with_their_version(sender):
    doc = _bundle(sender)
    aps = _of(doc, "attack-pattern")
    ids = {a["external_references"][0]["external_id"] for a in aps}
    # reposting and hashtag edges, batch creation, VPN logins, a news Page and a Group run by members
    assert {"T0049.003", "T0049.002", "T0150.008", "T0149.007", "T0097.202", "T0151.003", "T0151.002"} <= ids
    assert all(a["x_disarm_framework_version"] == "1.6" for a in aps)
    assert "T0090" not in ids  # a v1.5 id


def test_disarm_ids_exist_in_the_v1_6_bundle(sender):
    bundle = json.loads(shared_data("disarm", "DISARM.json").read_text())
    real = {
        o["external_references"][0]["external_id"]: o["name"]
        for o in bundle["objects"]
        if o["type"] == "attack-pattern"
    }
    for t in disarm.catalogue().values():
        assert real.get(t.technique_id) == t.name, t.technique_id
    for a in _of(_bundle(sender), "attack-pattern"):
        assert a["external_references"][0]["external_id"] in real


def test_accounts_pages_and_groups_travel_as_user_accounts(sender):
    doc = _bundle(sender)
    accts = _of(doc, "user-account")
    by_type = {}
    for a in accts:
        by_type.setdefault(a["account_type"], []).append(a)
    assert len(by_type["twitter"]) == 20
    assert {a["user_id"] for a in by_type["twitter:page"]} == {"page1"}
    assert {a["user_id"] for a in by_type["twitter:group"]} == {"group1"}
    assert {a["account_login"] for a in by_type["twitter"]} == {sc.member_handle(i) for i in range(20)}
    (obs,) = [o for o in _of(doc, "observed-data") if set(o["object_refs"]) & {a["id"] for a in accts}]
    assert obs["number_observed"] == 20 * 10 + 5


def test_hmac_mode_leaks_no_raw_id_or_handle(sender, tmp_path):
    key = tmp_path / "agreement.key"
    key.write_bytes(b"k" * 40)
    ps = Pseudonymiser.from_file(key, "hk-2019")
    text = json.dumps(_bundle(sender, pseudonymiser=ps))
    for i, m in enumerate(sc.MEMBERS):
        assert f'"{m}"' not in text and sc.member_handle(i) not in text and sc.member_handle(i).lower() not in text
    assert ps.handle(sc.member_handle(0)) in text and "hmac-sha256:hk-2019" in text


def test_short_key_is_refused(tmp_path):
    key = tmp_path / "short.key"
    key.write_bytes(b"tooshort")
    with pytest.raises(Exception, match="at least 32 bytes"):
        Pseudonymiser.from_file(key)


def test_same_network_same_ids(sender):
    a, b = _bundle(sender), _bundle(sender)
    assert [o["id"] for o in a["objects"]] == [o["id"] for o in b["objects"]]


def test_operation_bundle(sender):
    subject = subjects.from_operation(sender, "O0001")
    assert subject.candidate and subject.members == sorted(sc.MEMBERS) and subject.network_ids == ["N0001"]
    doc = json.loads(stix_export.build_bundle(sender, subject, stix_export.ExportOptions(now=NOW)).serialize())
    assert stix_export.unresolved_refs(doc) == []
    with pytest.raises(ValidationError, match="O0009"):
        subjects.from_operation(sender, "O0009")


def test_unresolved_refs_names_the_broken_reference():
    doc = {
        "type": "bundle",
        "objects": [
            {
                "type": "relationship",
                "id": "relationship--1",
                "source_ref": "indicator--a",
                "target_ref": "intrusion-set--b",
            },
            {"type": "indicator", "id": "indicator--a", "object_marking_refs": ["marking-definition--x"]},
        ],
    }
    problems = stix_export.unresolved_refs(doc)
    assert problems == [
        "relationship--1 target_ref -> intrusion-set--b",
        "indicator--a object_marking_refs -> marking-definition--x",
    ]


def test_threat_actor_and_sponsor_carry_the_attribution_confidence():
    import attr_scenario

    ws = Workspace.memory()
    try:
        attr_scenario.build(ws)
        ws.engine.sql("INSERT INTO detection_runs VALUES ('R9', '{}', now(), now(), 'co_link', 0, 0, 'done')")
        ws.engine.sql(
            "INSERT INTO networks (run_id, network_id, size, score, flagged, signals) VALUES ('R9', 'N0001', 20, 0.9, true, '{}')"
        )
        ws.engine.executemany(
            "INSERT INTO network_members (run_id, network_id, account_id) VALUES ('R9', 'N0001', ?)",
            [(m,) for m in attr_scenario.MEMBERS],
        )
        doc = _bundle(ws)
    finally:
        ws.close()
    (ta,) = _of(doc, "threat-actor")
    sponsor = [i for i in _of(doc, "identity") if "hypothesis" in i["name"]]
    assert len(sponsor) == 1 and "CN" in sponsor[0]["name"]
    rels = [
        r
        for r in _of(doc, "relationship")
        if r["relationship_type"] == "attributed-to" and r["source_ref"] in (ta["id"],)
    ]
    assert rels and rels[0]["target_ref"] == sponsor[0]["id"]
    assert rels[0]["confidence"] == ta["confidence"] in stix_export.CONFIDENCE.values()
    assert stix_export.unresolved_refs(doc) == []
