"""twitter-2019-08-ads over the shipped registry, scope, conflicts, dates, offboarding, regions."""

from __future__ import annotations

import pytest

from flockwatch.policy import check_ad_eligibility, decide, determinations

from .policy_helpers import fact

REFUSED = ["Xinhua", "People's Daily", "China Daily", "CGTN", "RT"]
ALLOWED = ["BBC", "NPR", "SVT", "Deutsche Welle"]


def _check(reg, who, **kw):
    (c,) = check_ad_eligibility(
        reg, who, policy=kw.pop("policy", "twitter-2019-08-ads"), on_date=kw.pop("on_date", "2019-09-01"), **kw
    )
    return c


def _cited(c):
    return {i for r in c.reasons for i in r["fact_ids"]}


@pytest.mark.parametrize("who", REFUSED)
def test_state_controlled_news_media_are_refused_with_cited_facts(shipped, who):
    c = _check(shipped, who)
    assert c.eligible is False and c.outcome == "refuse", c.reasons
    codes = [r["code"] for r in c.reasons]
    assert "STATE_EDITORIAL_CONTROL" in codes
    ctl = next(r for r in c.reasons if r["code"] == "STATE_EDITORIAL_CONTROL")
    assert ctl["fact_ids"], "the reason must cite the facts it rests on"
    cited = {s["fact_id"]: s for s in c.sources}
    assert set(ctl["fact_ids"]) <= set(cited)
    assert all(cited[i]["kind"] == "editorial_control" and cited[i]["source"] for i in ctl["fact_ids"])
    assert c.determination_id is not None and not c.provisional
    assert "unaffected" in c.organic_use


@pytest.mark.parametrize("who", ALLOWED)
def test_independent_public_broadcasters_are_exempt(shipped, who):
    c = _check(shipped, who)
    assert c.eligible is True and c.outcome == "exempt", c.reasons
    (exempt,) = [r for r in c.reasons if r["code"] == "EXEMPT_INDEPENDENT_PUBLIC_BROADCASTER"]
    kinds = {shipped.fact(i).kind for i in exempt["fact_ids"]}
    assert {"funding"} <= kinds and kinds & {"safeguards", "governance"}


@pytest.mark.parametrize(
    ("who", "outlet"),
    [
        ("@XHNews", "Xinhua News Agency"),
        ("XHNews", "Xinhua News Agency"),
        ("http://www.xinhuanet.com/english/x.htm", "Xinhua News Agency"),
        ("news.cn", "Xinhua News Agency"),
        ("@PDChina", "People's Daily"),
        ("people.com.cn", "People's Daily"),
        ("@ChinaDaily", "China Daily"),
        ("chinadaily.com.cn", "China Daily"),
        ("@CGTNOfficial", "CGTN"),
        ("https://www.cgtn.com/", "CGTN"),
        ("@RT_com", "RT"),
        ("rt.com", "RT"),
        ("https://de.rt.com/x", "RT"),
        ("@BBCWorld", "BBC"),
        ("bbcnews", "BBC"),
        ("bbc.co.uk", "BBC"),
        ("https://www.bbc.com/news", "BBC"),
        ("@NPR", "NPR"),
        ("npr.org", "NPR"),
        ("@svtnyheter", "SVT"),
        ("svt.se", "SVT"),
        ("@dwnews", "Deutsche Welle"),
        ("dw.com", "Deutsche Welle"),
    ],
)
def test_handles_and_domains_resolve_to_outlets(shipped, who, outlet):
    c = _check(shipped, who)
    assert c.outlet and c.outlet["name"] == outlet


def test_entertainment_only_outlet_is_out_of_scope_but_mixed_news_is_not(shipped):
    sports = _check(shipped, "CCTV-5")
    assert sports.outcome == "out_of_scope" and sports.eligible is True
    assert sports.reasons[0]["code"] == "SCOPE_ENTERTAINMENT_SPORTS_TRAVEL_ONLY" and sports.reasons[0]["fact_ids"]
    assert _check(shipped, "sports.cctv.com").outlet["name"] == "CCTV-5"
    mixed = _check(shipped, "CCTV-4")
    assert mixed.outcome == "refuse" and mixed.eligible is False
    assert "SCOPE_MIXED_IN_SCOPE" in [r["code"] for r in mixed.reasons]
    # the control facts come from the parent, China Media Group
    inherited = [s for s in mixed.sources if s.get("inherited_from") == "China Media Group"]
    assert inherited
    assert _check(shipped, "CCTV-13").outcome == "refuse"


def test_scope_rule_on_a_synthetic_state_broadcaster(reg):
    parent = reg.add_outlet("State TV", "RU")
    reg.add_fact(parent, fact("editorial_control", {"state_editorial_control": True}))
    sport = reg.add_outlet("State TV Sport", "RU", parent=parent)
    reg.add_fact(sport, fact("scope", {"scope": "entertainment_sports_travel"}))
    mixed = reg.add_outlet("State TV One", "RU", parent=parent)
    reg.add_fact(mixed, fact("scope", {"scope": "mixed"}))
    out = {d.outlet: d.outcome for d in decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created}
    assert out == {"State TV": "refuse", "State TV Sport": "out_of_scope", "State TV One": "refuse"}


def test_conflicting_classifications_go_to_review_never_refusal(reg):
    oid = reg.add_outlet("Disputed Radio", "HU")
    reg.add_asset(oid, "account", "disputedradio", platform="twitter", source="test")
    reg.add_fact(
        oid,
        fact("classification", {"scheme": "MJRC State Media Monitor", "category": "CaPu", "state_controlled": True}),
    )
    reg.add_fact(
        oid,
        fact(
            "classification",
            {"scheme": "Twitter state-affiliated label", "category": "never labelled", "state_controlled": False},
            source="Twitter label audit",
        ),
    )
    (d,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    assert d.outcome == "review" and d.effects["ads"] == "review"
    assert d.reason_codes[0] == "SOURCE_CONFLICT_CLASSIFICATION"
    assert len(d.reasons[0]["fact_ids"]) == 2
    c = _check(reg, "@disputedradio", on_date="2020-02-01")
    assert c.eligible is None and c.outcome == "review"
    assert c.offboarding is None


def test_npr_with_the_april_2023_label_goes_to_review(shipped):
    label = {
        "scheme": "Twitter account label",
        "category": "US state-affiliated media",
        "year": 2023,
        "state_controlled": True,
    }
    shipped.add_fact(
        "NPR", fact("classification", label, source="Twitter label on @NPR", date="2023-04-04", confidence=0.6)
    )
    (d,) = decide(shipped, "twitter-2019-08-ads", outlets=["NPR"], as_of="2023-04-05").created
    assert d.outcome == "review"
    assert _check(shipped, "@NPR", on_date="2023-04-06").eligible is None
    # the answer for a date before the new determination still rests on the old one
    assert _check(shipped, "@NPR", on_date="2020-01-01").eligible is True


def test_low_confidence_facts_are_not_used(reg):
    oid = reg.add_outlet("Rumoured Radio", "HU")
    reg.add_fact(oid, fact("editorial_control", {"state_editorial_control": True}, confidence=0.2))
    (d,) = decide(reg, "twitter-2019-08-ads", as_of="2020-01-01").created
    assert d.outcome == "review" and "FACTS_BELOW_MIN_CONFIDENCE" in d.reason_codes
    assert d.facts_ignored and not d.facts_used


def test_dates_policy_not_in_force_provisional_and_offboarding(shipped):
    before = _check(shipped, "@XHNews", on_date="2019-08-01")
    assert before.outcome == "policy_not_in_force" and before.eligible is True
    c = _check(shipped, "@XHNews", on_date="2019-09-01")
    assert c.offboarding == {
        **c.offboarding,
        "notice_on": "2019-08-19",
        "ends_on": "2019-09-18",
        "window_days": 30,
        "in_window": True,
    }
    assert _check(shipped, "@XHNews", on_date="2019-10-01").offboarding["in_window"] is False
    # an outlet never decided is evaluated on its current facts, and the answer says so
    oid = shipped.add_outlet("Late Entry", "RU")
    shipped.add_fact(oid, fact("editorial_control", {"state_editorial_control": True}))
    late = _check(shipped, "Late Entry")
    assert late.provisional and late.eligible is False and late.determination_id is None


def test_not_linked_and_several_linked(shipped):
    c = _check(shipped, "example.org")
    assert c.outcome == "not_linked" and c.eligible is True and c.outlet is None
    a = shipped.add_outlet("Shared A", "SE")
    shipped.add_fact(a, fact("editorial_control", {"state_editorial_control": False}))
    b = shipped.add_outlet("Shared B", "RU")
    shipped.add_fact(b, fact("editorial_control", {"state_editorial_control": True}))
    for o in (a, b):
        shipped.add_asset(o, "domain", "shared.example", source="test")
    both = _check(shipped, "shared.example")
    assert both.outlet["name"] == "Shared B" and both.eligible is False
    assert [x["name"] for x in both.also_linked] == ["Shared A"]


def test_meta_blocks_ads_only_in_the_us(shipped):
    decide(shipped, "meta-2020-06", as_of="2020-06-04")
    us = _check(shipped, "facebook:RTnews", policy="meta-2020-06", on_date="2020-07-01", region="US")
    assert us.eligible is False and us.outcome == "label_state_controlled"
    fr = _check(shipped, "facebook:RTnews", policy="meta-2020-06", on_date="2020-07-01", region="FR")
    assert fr.eligible is True and "ADS_RESTRICTION_OTHER_REGIONS" in [r["code"] for r in fr.reasons]


def test_every_shipped_outlet_gets_exactly_one_determination(shipped):
    dets = determinations(shipped, "twitter-2019-08-ads")
    assert len(dets) == len(shipped.outlets()) == len({d.outlet_id for d in dets})
