"""Affiliation lists: the reader (provenance, extra columns, quarantine), handle reuse, and entity resolution."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.errors import InputFileError
from flockwatch.policy.affiliations import account_timeline, parse_affiliations, read_affiliations, span_on
from flockwatch.policy.entities import EntityIndex, government_kind, name_forms, sending_state

FIXTURE = Path(__file__).parents[1] / "fixtures" / "policy" / "affiliations_prc.csv"
HEADER = "platform,handle,name,entity,parent_entity,source"


def _parse(text: str, **kw):
    return parse_affiliations(text.encode("utf-8"), "list.csv", today="2025-01-01", **kw)


def test_reads_rows_with_provenance_and_extra_columns():
    f = read_affiliations(FIXTURE, today="2025-01-01")
    first = f.rows[0]
    assert (first.platform, first.handle, first.display, first.role) == ("twitter", "cgtn", "@cgtn", "outlet")
    assert first.entity == "China Global Television Network (CGTN)"
    assert first.provenance.line == 2 and first.provenance.file == "affiliations_prc.csv"
    assert len(first.provenance.sha256) == 64 and "line 2" in first.provenance.cite()
    assert first.extra == {"language": "en", "notes": "handle from the public Matrix"}
    assert f.summary()["extra_columns"] == ["language", "notes"]
    by_handle = {r.handle: r for r in f.rows}
    assert by_handle["cgtnfrancais"].display == "@cgtnfrancais"  # a profile URL gives the handle
    assert by_handle["cd_editor_fx16"].is_person and by_handle["cd_editor_fx16"].role == "editor_in_chief"


def test_bad_rows_are_quarantined_with_line_and_reason_never_dropped():
    f = read_affiliations(FIXTURE, today="2025-01-01")
    reasons = {q.line: q.reason for q in f.quarantined}
    assert set(reasons) == {37, 38, 39, 40}
    assert "not a valid twitter handle" in reasons[37]
    assert "missing entity" in reasons[38]
    assert "not a calendar date" in reasons[39]
    assert "unknown platform 'myspace'" in reasons[40]
    assert all(q.raw.startswith(("twitter,", "myspace,")) for q in f.quarantined)
    data_lines = sum(1 for line in FIXTURE.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    assert len(f.rows) + len(f.quarantined) == data_lines


def test_strict_mode_stops_at_the_first_bad_row_naming_file_and_line():
    with pytest.raises(InputFileError, match=r"affiliations_prc.csv: line 37: 'bad handle!'"):
        read_affiliations(FIXTURE, strict=True, today="2025-01-01")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty file"),
        ("platform,handle,name\nx,a,b\n", r"line 1: not an affiliation list: missing column\(s\) \['entity'"),
        (HEADER + ",entity\n", r"duplicate column\(s\) \['entity'\]"),
    ],
)
def test_files_that_are_not_affiliation_lists_are_refused(text, match):
    with pytest.raises(InputFileError, match=match):
        _parse(text)


def test_not_utf8_is_refused(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes((HEADER + "\ntwitter,a,Caf\xe9,CGTN,,s\n").encode("latin-1"))
    with pytest.raises(InputFileError, match=r"latin1\.csv: not UTF-8"):
        read_affiliations(p)


def test_wrong_field_count_and_person_without_name_are_quarantined():
    f = _parse(HEADER + ",role\ntwitter,a_fx,A,CGTN,,s\ntwitter,b_fx,,CGTN,,s,senior_staff\ntwitter,c_fx,C,CGTN,,s,\n")
    assert [(q.line, q.reason) for q in f.quarantined] == [
        (2, "6 fields, the header has 7"),
        (3, "a person's row (role senior_staff) needs the person's name"),
    ]
    assert [r.handle for r in f.rows] == ["c_fx"]


def test_as_of_defaults_to_the_files_date():
    f = _parse(HEADER + "\nX,@Some_Fx,S,CGTN,,s\n", as_of="2024-05-01")
    assert (f.rows[0].platform, f.rows[0].handle, f.rows[0].as_of) == ("twitter", "some_fx", "2024-05-01")


def test_a_later_owner_of_a_reused_handle_inherits_nothing():
    f = _parse(
        HEADER + ",as_of,account_id\n"
        "twitter,reused_fx,Old,Xinhua News Agency,,list A,2020-01-01,111\n"
        "twitter,reused_fx,Old again,Xinhua,,list B,2021-06-01,111\n"
        "twitter,reused_fx,New,Acme Synthetic Radio,,list C,2024-03-01,222\n"
    )
    spans = account_timeline(f.rows)
    assert [(s.entity, s.valid_from, s.valid_until) for s in spans] == [
        ("Xinhua News Agency", "2020-01-01", "2021-06-01"),
        ("Xinhua", "2021-06-01", "2024-03-01"),
        ("Acme Synthetic Radio", "2024-03-01", None),
    ]
    assert span_on(spans, "twitter", "reused_fx", "2023-12-31").entity == "Xinhua"
    assert span_on(spans, "twitter", "reused_fx", "2024-03-01").entity == "Acme Synthetic Radio"
    assert span_on(spans, "twitter", "reused_fx", "2019-01-01") is None


def test_same_entity_different_account_id_is_a_new_owner():
    f = _parse(
        HEADER + ",as_of,account_id\n"
        "twitter,reused_fx,A,CGTN,,s,2020-01-01,1\n"
        "twitter,reused_fx,B,CGTN,,s,2022-01-01,2\n"
    )
    spans = account_timeline(f.rows)
    assert [(s.account_id, s.valid_until) for s in spans] == [("1", "2022-01-01"), ("2", None)]


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_cell, min_size=5, max_size=8), max_size=12))
def test_every_non_blank_line_is_a_row_or_quarantined(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # quotes fields holding \r or \n, as spreadsheet exports do
    w.writerow(HEADER.split(",") + ["as_of"])
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    f = _parse(text)
    written = [r for r in rows if any(c.strip() for c in r)]
    # a quoted newline joins physical lines, so count records, not lines
    assert len(f.rows) + len(f.quarantined) == len(written)
    for row in f.rows:
        assert row.entity and row.provenance.source and row.handle == row.handle.lower()


# -- entities ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def index(_shipped_template):
    return EntityIndex.from_registry(_shipped_template)


@pytest.mark.parametrize(
    ("entity", "parent", "outlet", "how"),
    [
        ("China Media Group (CMG)", "", "China Media Group", "alias"),
        ("CMG", "", "China Media Group", "alias"),
        ("People's Daily Press", "", "People's Daily", "listed_alias"),
        ("Global Times", "People's Daily Press", "People's Daily", "alias"),
        ("新华社", "", "Xinhua News Agency", "listed_alias"),
        ("China Radio International", "", "China Media Group", "listed_alias"),
        ("CGTN Africa", "China Media Group", "CGTN", "alias"),
        ("Print: Beijing Review", "", "China International Publishing Group", "alias"),
        ("Ministry of Foreign Affairs", "", "Ministry of Foreign Affairs of the People's Republic of China", None),
    ],
)
def test_entities_resolve_through_aliases_translations_and_abbreviations(index, entity, parent, outlet, how):
    r = index.resolve(entity, parent)
    assert r.status == "resolved" and r.outlet_name == outlet
    if how:
        assert r.matched_by == how
    assert r.evidence and 0 < r.confidence <= 1


def test_a_new_entity_under_a_registered_parent_is_a_child(index):
    r = index.resolve("CMG Synthetic Science Channel", "China Media Group (CMG)")
    assert r.status == "new_child" and r.outlet_name == "China Media Group" and r.country_code == "CN"
    assert "parent" in r.evidence[0]


def test_government_entities_belong_to_the_sending_state(index):
    emb = index.resolve("Embassy of the People's Republic of China in Kenya", "")
    assert (emb.status, emb.kind, emb.country_code, emb.government_kind) == (
        "new_government",
        "government",
        "CN",
        "embassy",
    )
    mfa = index.lookup("Ministry of Foreign Affairs of the People's Republic of China")
    assert emb.parent_outlet_id == mfa[0].outlet_id
    ru = index.resolve("Russian Embassy in the United Kingdom", "")
    assert (ru.country_code, ru.parent_outlet_id) == ("RU", None)
    assert index.resolve("Embassy of Kenya in Exampleland", "").country_code == "KE"


def test_a_news_outlet_of_a_party_body_is_state_owned(index):
    r = index.resolve("Synthetic City Daily", "Hubei Provincial Committee of the Communist Party of China")
    assert (r.status, r.kind, r.country_code) == ("new_state_owned", "media", "CN")


def test_unresolved_entities_say_why(index):
    r = index.resolve("Acme Synthetic Broadcasting", "Acme Holdings")
    assert r.status == "unresolved" and not r.ok
    assert "Acme Synthetic Broadcasting" in r.evidence[0] and "Acme Holdings" in r.evidence[0]


def test_name_forms_and_patterns():
    forms = dict(name_forms("China Media Group (CMG)"))
    assert list(forms)[:3] == ["china media group (cmg)", "china media group", "cmg"]
    assert (forms["china media group"], forms["cmg"]) == ("derived_name", "abbreviation")
    assert "china" not in forms  # suffixes never come off down to a bare country name
    assert "synthetic" not in dict(name_forms("Acme Radio (synthetic)"))  # not an abbreviation
    assert "people's daily" in dict(name_forms("People's Daily Press"))
    assert government_kind("Consulate General of the PRC in Example City") == "consulate"
    assert government_kind("中华人民共和国驻肯尼亚大使馆") == "embassy"
    assert government_kind("China Daily") is None
    assert sending_state("Embassy of the United States in China") == "US"
    assert sending_state("Chinese Embassy in the United States") == "CN"
    assert sending_state("Embassy in Kenya") is None  # the host state is not the sending state
    assert sending_state("中国驻肯尼亚大使馆") == "CN"
    assert sending_state("Hubei Provincial Committee of the CPC") == "CN"
    assert government_kind("Government of the People's Republic of China") == "government_body"


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60), st.text(max_size=40))
def test_resolution_never_fails_and_always_says_why(index, entity, parent):
    r = index.resolve(entity, parent)
    assert r.status in ("resolved", "new_child", "new_government", "new_state_owned", "unresolved")
    assert r.evidence
    assert (r.outlet_id is not None) == (r.status == "resolved")
