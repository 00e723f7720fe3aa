"""Importing an affiliation list: coverage of ads and labels, government scope, handle reuse, provenance, CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flockwatch.cli.app import main
from flockwatch.policy import check_ad_eligibility, export_labels
from flockwatch.policy.affiliation_import import apply_import, plan_import
from flockwatch.policy.affiliations import parse_affiliations, read_affiliations

FIXTURE = Path(__file__).parents[1] / "fixtures" / "policy" / "affiliations_prc.csv"
# lines of the fixture by what the list says they are
MEDIA_LINES = set(range(2, 24))
DIPLOMATIC_LINES = set(range(24, 34))  # ministry, embassies, consulate, mission, officials, a head of state
P5_DIPLOMATIC_LINES = DIPLOMATIC_LINES - {32}  # line 32 is Kenya's embassy: outside the labels' scope


@pytest.fixture
def imported(shipped):
    plan = plan_import(shipped, read_affiliations(FIXTURE, today="2025-01-01"))
    summary = apply_import(shipped, plan)
    return shipped, plan, summary


def _handles(plan, lines):
    return {a.row.display: a for a in plan.accounts if a.row.provenance.line in lines}


def test_every_media_account_is_refused_and_no_diplomatic_account_is_refused_as_news_media(imported):
    reg, plan, _ = imported
    media = _handles(plan, MEDIA_LINES)
    diplomatic = _handles(plan, DIPLOMATIC_LINES)
    assert len(media) == 22 and len(diplomatic) == 10
    media_checks = check_ad_eligibility(reg, list(media), "twitter-2019-08-ads", on_date="2025-01-02")
    assert all(c.eligible is False and c.outcome == "refuse" for c in media_checks), [
        (c.input, c.outcome) for c in media_checks if c.eligible is not False
    ]
    for c in check_ad_eligibility(reg, list(diplomatic), "twitter-2019-08-ads", on_date="2025-01-02"):
        assert c.eligible is None and c.outcome == "out_of_scope_government", c.input
        assert c.reasons[0]["code"] == "OUT_OF_SCOPE_GOVERNMENT_ENTITY"


def test_labels_cover_linked_accounts_persons_and_government_entities_with_facts(imported):
    reg, plan, _ = imported
    rows = {r.account.lower(): r for r in export_labels(reg, "twitter-2020-08-labels", on_date="2099-01-01")}
    media = _handles(plan, MEDIA_LINES)
    labelled_media = [h for h, a in media.items() if a.row.role != "staff"]
    for h in labelled_media:
        assert rows[h.lower()].label == "China state-affiliated media", h
        assert rows[h.lower()].facts_used and rows[h.lower()].fact_sources and rows[h.lower()].reasons
    assert "@xhrep_fx17" not in rows  # staff other than editors and senior staff: not labelled by this policy
    assert rows["@cgtnanch_fx15"].role == "senior_staff" and rows["@cd_editor_fx16"].role == "editor_in_chief"
    for h, a in _handles(plan, P5_DIPLOMATIC_LINES).items():
        if a.row.role == "head_of_state":
            assert h.lower() not in rows  # heads of state's personal accounts were not labelled
            continue
        assert rows[h.lower()].label.endswith("government account"), h
        assert rows[h.lower()].kind == "government"
    assert rows["@embru_fx24"].label == "Russia government account"
    assert "@embke_fx25" not in rows  # Kenya is outside the five permanent UN Security Council members
    emb = rows["@embxa_fx18"]
    assert "affiliations_prc.csv, line 25" in emb.account_source and "as of 2024-03-01" in emb.account_source
    assert "line 25" in emb.fact_sources


def test_the_import_reports_unresolved_entities_and_quarantined_rows(imported):
    _, plan, summary = imported
    d = summary.to_dict()
    unresolved = {u["entity"]: u for u in d["unresolved"]}
    assert set(unresolved) == {"Acme Riverside Broadcasting (synthetic)"}
    assert unresolved["Acme Riverside Broadcasting (synthetic)"]["lines"] == [34, 36]
    assert [q["line"] for q in d["quarantined"]] == [37, 38, 39, 40]
    assert d["closed_spans"] == 1 and d["accounts_read"] == len(plan.accounts)
    kinds = {(o["name"], o["status"]) for o in d["new_outlets"]}
    assert ("CMG Science Channel (synthetic)", "new_child") in kinds
    assert ("Chongqing City Portal (synthetic)", "new_state_owned") in kinds
    assert ("Embassy of Kenya in Exampleland", "new_government") in kinds
    assert d["determinations"]["twitter-2020-08-labels@v2"]["created"] >= 9


def test_a_new_child_inherits_its_parents_control_facts_and_a_party_body_outlet_gets_the_lists_facts(imported):
    reg, _, _ = imported
    child = reg.outlet("CMG Science Channel (synthetic)")
    assert reg.ancestors(child)[0].name == "China Media Group"
    assert {f.inherited_from for f in reg.facts(child)} == {"China Media Group"}
    portal = reg.outlet("Chongqing City Portal (synthetic)")
    facts = {f.kind: f for f in reg.facts(portal)}
    assert facts["editorial_control"].value["mechanisms"] == ["party_organ"]
    assert "line 19" in facts["ownership"].source


def test_a_later_owner_of_a_reused_handle_inherits_nothing(imported):
    reg, plan, _ = imported
    reused = next(a for a in plan.accounts if a.row.handle == "reused_fx28")
    assert reused.row.entity == "Acme Riverside Broadcasting (synthetic)" and not reused.resolution.ok
    assert reused.closed_spans[0]["entity"] == "Xinhua News Agency"
    (check,) = check_ad_eligibility(reg, "@reused_fx28", "twitter-2019-08-ads")
    assert check.outcome == "not_linked"  # the earlier owner's refusal does not pass to the new owner


def test_reimport_links_nothing_twice(imported):
    reg, _, first = imported
    again = apply_import(reg, plan_import(reg, read_affiliations(FIXTURE, today="2025-01-01")))
    assert again.linked == 0 and again.already_linked == first.linked + first.already_linked
    assert again.new_outlets == []


def test_a_handle_the_registry_links_elsewhere_is_a_conflict_not_repointed(shipped):
    text = "platform,handle,name,entity,parent_entity,source\ntwitter,XHNews,Xinhua,China Daily,,synthetic list\n"
    plan = plan_import(shipped, parse_affiliations(text.encode(), "c.csv", today="2025-01-01"))
    summary = apply_import(shipped, plan, decide_policies=False)
    assert summary.conflicts[0]["registry_says"] == ["Xinhua News Agency"]
    assert summary.conflicts[0]["list_says"] == "China Daily"


def test_cli_import_affiliations_then_ads_batch_and_labels_export(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["media", "import-affiliations", str(FIXTURE), "--workspace", str(ws), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "imported" and out["linked"] > 20 and out["quarantined_count"] == 4
    batch = tmp_path / "handles.txt"
    batch.write_text("@cgtncult_fx1\n@embxa_fx18\n", encoding="utf-8")
    args = ["ads", "check", "--batch", str(batch), "--policy", "twitter-2019-08-ads", "--json", "-w", str(ws)]
    assert main(args) == 0
    media, embassy = (json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip())
    assert (media["input"], media["eligible"]) == ("@cgtncult_fx1", False)
    assert embassy["eligible"] is None and embassy["reasons"][0]["code"] == "OUT_OF_SCOPE_GOVERNMENT_ENTITY"
    labels = tmp_path / "labels.csv"
    assert main(["labels", "export", "--policy", "twitter-2020-08-labels", "--out", str(labels), "-w", str(ws)]) == 0
    with labels.open(encoding="utf-8") as f:
        got = {r["account"]: r for r in csv.DictReader(f)}
    assert got["@embxa_fx18"]["label"] == "China government account"
    assert got["@cgtncult_fx1"]["label"] == "China state-affiliated media" and got["@cgtncult_fx1"]["facts_used"]


def test_cli_dry_run_writes_nothing_and_bad_files_are_user_errors(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["init", str(ws)]) == 0
    capsys.readouterr()
    assert main(["media", "import-affiliations", str(FIXTURE), "--workspace", str(ws), "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "dry run" and out["by_status"]["unresolved"] == 2
    assert main(["media", "show", "Embassy of Kenya in Exampleland", "--workspace", str(ws)]) == 2  # not written
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("handle,entity\nx,y\n", encoding="utf-8")
    assert main(["media", "import-affiliations", str(bad), "--workspace", str(ws)]) == 2
    assert "missing column" in capsys.readouterr().err
    assert main(["media", "import-affiliations", str(FIXTURE), "--workspace", str(ws), "--strict"]) == 2
    assert "line 37" in capsys.readouterr().err


def test_a_handle_taken_over_between_lists_stops_carrying_the_earlier_owners_refusal_and_label(shipped):
    header = "platform,handle,name,entity,parent_entity,source,as_of\n"
    first = header + "twitter,handover_fx,Old,Xinhua News Agency,,list one,2020-01-01\n"
    later = header + "twitter,handover_fx,New,Acme Synthetic Gardening Club,,list two,2024-03-01\n"
    apply_import(shipped, plan_import(shipped, parse_affiliations(first.encode(), "one.csv", today="2025-01-01")))
    (before,) = check_ad_eligibility(shipped, "@handover_fx", "twitter-2019-08-ads", on_date="2023-06-01")
    assert before.eligible is False and before.outlet["name"] == "Xinhua News Agency"
    summary = apply_import(
        shipped, plan_import(shipped, parse_affiliations(later.encode(), "two.csv", today="2025-01-01"))
    )
    assert summary.unresolved[0]["entity"] == "Acme Synthetic Gardening Club"
    (after,) = check_ad_eligibility(shipped, "@handover_fx", "twitter-2019-08-ads", on_date="2024-06-01")
    assert after.outcome == "not_linked"  # the new owner inherits nothing
    (then,) = check_ad_eligibility(shipped, "@handover_fx", "twitter-2019-08-ads", on_date="2023-06-01")
    assert then.eligible is False  # while the earlier owner held it, the answer stands
    labelled = {r.account for r in export_labels(shipped, "twitter-2020-08-labels", on_date="2099-01-01")}
    assert "@XHNews" in labelled and "@handover_fx" not in labelled  # the label does not follow the handle
