"""Importing the State Media Matrix: shipped copy, mapping of typology codes, and the shared-data original."""

from __future__ import annotations

from pathlib import Path

import pytest

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.policy import Registry, import_registry
from flockwatch.policy.matrix import TYPOLOGY, classification_fact, shipped_matrix

SHARED_MATRIX = Path(__file__).resolve().parents[3] / "shared" / "data" / "state-media" / "State_Media_Matrix.csv"


def test_typology_becomes_a_classification_fact_not_a_primary_finding():
    f = classification_fact("SC")
    assert f["kind"] == "classification" and f["source"] == "State Media Matrix (ASD), MJRC typology"
    assert f["value"]["state_controlled"] is True and f["value"]["category"] == "SC"
    assert classification_fact("IP")["value"]["state_controlled"] is False
    assert classification_fact("ISFM?")["confidence"] < classification_fact("ISFM")["confidence"]
    assert set(TYPOLOGY) == {"SC", "CaPu", "CaPr", "ISFM", "ISF", "ISM", "IP"}


def test_shipped_import(shipped):
    assert shipped.counts()["outlets"] > 600
    cgtn = shipped.outlet("CGTN")
    assert cgtn.parent_id == shipped.outlet("China Media Group").outlet_id
    kinds = {f.kind for f in shipped.facts(cgtn, include_inherited=False)}
    assert "classification" in kinds  # CGTN's Matrix rows were claimed by the curated outlet
    svt = [f for f in shipped.facts("SVT") if f.kind == "classification"]
    assert [f.value["category"] for f in svt] == ["IP"]
    assert shipped.outlet("Xinhua (New China News Agency)").name == "Xinhua News Agency"


def test_missing_or_wrong_file(reg, tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        import_registry(reg, tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="missing columns"):
        import_registry(reg, bad)
    assert reg.counts()["outlets"] == 0


@pytest.mark.shared_data
def test_shared_data_original_matches_the_shipped_copy():
    if not SHARED_MATRIX.exists():
        pytest.skip(f"shared data not present: {SHARED_MATRIX}")
    original = SHARED_MATRIX
    assert original.read_bytes() == shipped_matrix().read_bytes()
    r = Registry.memory()
    s = import_registry(r, original, with_curated=False)
    assert s.rows_read == 1157 and s.outlets > 600


HEADER = "Region,Country,Media company,Main assets,URL,Typology,Twitter Link\n"


def test_a_later_snapshot_reclassifies_and_redeciding_keeps_history(reg, tmp_path):
    from flockwatch.policy import decide, history

    first = tmp_path / "matrix_2023.csv"
    first.write_text(
        HEADER + "Europe,Hungary,Example Public Media,EPM,https://epm.example/,IP,https://twitter.com/epm_news\n"
    )
    s1 = import_registry(reg, first, with_curated=False, snapshot_date="2023-08-24")
    assert (s1.outlets, s1.assets, s1.facts) == (1, 2, 1)
    assert import_registry(reg, first, with_curated=False, snapshot_date="2023-08-24").status == "already imported"
    (d1,) = decide(reg, "twitter-2019-08-ads", as_of="2023-09-01").created
    assert d1.outcome == "allow"
    second = tmp_path / "matrix_2024.csv"
    second.write_text(HEADER + "Europe,Hungary,Example Public Media,EPM,https://epm.example/,CaPu,\n")
    with pytest.raises(ValidationError, match="not after the last imported snapshot"):
        import_registry(reg, second, with_curated=False, snapshot_date="2023-01-01")
    s2 = import_registry(reg, second, with_curated=False, snapshot_date="2024-06-01")
    assert (s2.outlets, s2.facts) == (0, 1)
    current = [f for f in reg.facts("Example Public Media") if f.kind == "classification"]
    assert [(f.value["category"], f.value["year"]) for f in current] == [("CaPu", 2024)]
    (d2,) = decide(reg, "twitter-2019-08-ads", as_of="2024-06-02").created
    assert d2.outcome == "refuse" and d2.supersedes == d1.determination_id
    assert [d.outcome for d in history(reg, "Example Public Media")] == ["allow", "refuse"]


def test_reimporting_the_shipped_matrix_with_curated_changes_nothing(shipped):
    before = shipped.counts()
    assert import_registry(shipped).status == "already imported"
    assert shipped.counts() == before
