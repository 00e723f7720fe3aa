import json
import re

from flockwatch.attribute import Claim, assess, attribute, from_lists
from flockwatch.attribute.assessment import LEVELS
from flockwatch.cli.app import main
from flockwatch.workspace import Workspace

from attr_scenario import BACKGROUND, MEMBERS, build

REF = from_lists(handles=["@XHNews:CN"], domains=["chinadaily.com.cn:CN"])
CERTAINTY = re.compile(r"\b(certain(ly)?|definitely|proves?|proven|confirmed|undoubtedly|beyond doubt)\b", re.I)


def _rank(level: str) -> int:
    return LEVELS.index(level)


def test_full_evidence_gives_a_hedged_high_confidence_assessment(ws):
    build(ws)
    a = attribute(ws, MEMBERS, network_id="7", state_media=REF, use_registry=False)
    assert a.hypothesis == "CN"
    assert a.confidence == "high"
    assert {"infrastructure", "timing", "state_media_amplification", "narrative_alignment"} <= set(a.categories)
    ids = {c.claim_id for c in a.claims}
    cited = set(re.findall(r"\bE\d+\b", a.rationale))
    assert cited and cited <= ids
    for c in a.claims:
        assert c.rows, c  # every claim points to evidence rows
    assert "candidate network 7" in a.rationale and "high confidence" in a.rationale
    assert not CERTAINTY.search(a.rationale + " ".join(a.would_change))
    timing = next(c for c in a.claims if c.category == "timing")
    assert timing.rows[0]["utc_offset_h"] == 8 and "working-hours fingerprint" in timing.text
    amp = next(c for c in a.claims if c.category == "state_media_amplification")
    assert amp.strength == 2 and amp.rows[0]["handle"] == "xhnews" and amp.rows[0]["action_ids"]


def test_removing_infrastructure_lowers_confidence(ws):
    build(ws, with_infra=False)
    a = attribute(ws, MEMBERS, state_media=REF, use_registry=False)
    assert _rank(a.confidence) < _rank("high")
    assert any("login data" in w for w in a.would_change)


def test_removing_state_media_evidence_lowers_confidence_further(ws):
    build(ws, with_infra=False)
    with_ref = attribute(ws, MEMBERS, state_media=REF, use_registry=False)
    without = attribute(ws, MEMBERS, state_media=from_lists(), use_registry=False)
    assert _rank(without.confidence) < _rank(with_ref.confidence)


def test_every_subset_of_evidence_gives_at_most_the_full_confidence(ws):
    build(ws)
    full = attribute(ws, MEMBERS, state_media=REF, use_registry=False)
    for cats in (
        ["infrastructure"],
        ["timing"],
        ["timing", "creation_pattern"],
        ["infrastructure", "narrative_alignment"],
    ):
        part = attribute(ws, MEMBERS, state_media=REF, use_registry=False, categories=cats)
        assert _rank(part.confidence) <= _rank(full.confidence)
        assert _rank(part.confidence) < _rank("high"), cats


def test_background_accounts_get_no_state_media_hypothesis(ws):
    build(ws)
    a = attribute(ws, BACKGROUND[:30], state_media=REF, use_registry=False)
    assert a.hypothesis != "CN"
    assert a.confidence != "high"


def test_assess_rules_on_hand_made_claims():
    infra = Claim("infrastructure", "logins from X", 2, ["XX"], [{"ip_prefix": "p"}])
    timing = Claim("timing", "fits UTC+8", 2, ["XX", "YY"], [{"utc_offset_h": 8}])
    narr = Claim("narrative_alignment", "links to state media of XX", 2, ["XX"], [{"domain": "d"}])
    for i, c in enumerate((infra, timing, narr), 1):
        c.claim_id = f"E{i}"
    assert assess([infra, timing, narr], "1", 10).confidence == "high"
    assert assess([timing, narr], "1", 10).confidence == "moderate"  # no infrastructure: never high
    assert assess([narr], "1", 10).confidence == "low"
    none = assess([], "1", 10)
    assert none.confidence == "low" and none.hypothesis is None and "cannot attribute" in none.rationale
    # a strong claim pointing elsewhere counts against the hypothesis
    other = Claim("infrastructure", "logins from ZZ", 2, ["ZZ"], [{"country": "ZZ"}], claim_id="E4")
    mixed = assess([infra, timing, narr, other], "1", 10)
    assert _rank(mixed.confidence) < _rank("high") and "Against this" in mixed.rationale


def test_state_media_lists_parse_countries():
    ref = from_lists(handles=["@XHNews:CN", "rt_com"], domains=["https://www.chinadaily.com.cn/x:CN"], country=None)
    assert ref.handles == {"xhnews": "CN", "rt_com": None}
    assert ref.domains == {"chinadaily.com.cn": "CN"}


def test_attribute_cli_json(tmp_path, capsys):
    path = tmp_path / "ws"
    ws = Workspace.create(path)
    build(ws)
    ws.close()
    accounts = tmp_path / "m.txt"
    accounts.write_text("\n".join(MEMBERS))
    domains = tmp_path / "d.txt"
    domains.write_text("chinadaily.com.cn:CN\n")
    handles = tmp_path / "h.txt"
    handles.write_text("XHNews:CN\n")
    out = tmp_path / "a.json"
    assert (
        main(
            [
                "attribute",
                "--workspace",
                str(path),
                "--accounts",
                str(accounts),
                "--state-media-domains",
                str(domains),
                "--state-media-handles",
                str(handles),
                "--no-registry",
                "--output",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["confidence"] == "high" and d["hypothesis"] == "CN"
    assert json.loads(out.read_text())["claims"][0]["rows"]
