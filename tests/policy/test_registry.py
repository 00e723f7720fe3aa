"""Registry: validation of bad input, all-or-nothing writes, inheritance, the store's own migrations."""

from __future__ import annotations

import sqlite3

import pytest

from flockwatch.errors import ValidationError, WorkspaceError
from flockwatch.policy import Registry
from flockwatch.policy.countries import country_code
from flockwatch.store import head_revision
from flockwatch.workspace import Workspace

from .policy_helpers import fact


def test_country_codes_and_names():
    assert country_code("GB") == "GB"
    assert country_code("United Kingdom") == "GB"
    assert country_code("united states of america") == "US"
    assert country_code("DR Congo") == "CD"
    with pytest.raises(ValidationError, match="unknown country 'Atlantis'"):
        country_code("Atlantis")


def test_unknown_country_is_rejected(reg):
    with pytest.raises(ValidationError, match="unknown country"):
        reg.add_outlet("Radio Nowhere", "Atlantis")
    assert reg.counts()["outlets"] == 0


def test_duplicate_outlet_is_rejected(reg):
    reg.add_outlet("Example News", "GB")
    with pytest.raises(ValidationError, match=r"duplicate outlet 'example  NEWS' in GB \(already registered as id"):
        reg.add_outlet("example  NEWS", "United Kingdom")
    # the same name in another country is another outlet
    reg.add_outlet("Example News", "IE")
    assert reg.counts()["outlets"] == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (fact("funding", {"mode": "direct"}, source=""), "missing source"),
        ({k: v for k, v in fact("funding", {"mode": "direct"}).items() if k != "source"}, "missing source"),
        (fact("funding", {"mode": "direct"}, date="2019-02-30"), "not a calendar date"),
        (fact("funding", {"mode": "direct"}, date="19/08/2019"), "expected YYYY-MM-DD"),
        (fact("funding", {"mode": "direct"}, date="2999-01-01"), "in the future"),
        (fact("funding", {"mode": "direct"}, confidence=1.5), "confidence"),
        (fact("funding", {"mode": "sometimes"}), "mode"),
        (fact("funding", {"mode": "direct", "state_share": 2}), "state_share"),
        (fact("rumour", {"x": 1}), "unknown fact kind"),
        (fact("scope", {"scope": "news", "colour": "red"}), "unknown field"),
    ],
)
def test_bad_facts_are_rejected_and_nothing_changes(reg, bad, message):
    oid = reg.add_outlet("Example News", "GB")
    reg.add_fact(oid, fact("scope", {"scope": "news"}))
    before = reg.counts()
    with pytest.raises(ValidationError, match=message):
        reg.add_fact(oid, bad)
    assert reg.counts() == before


def test_a_bad_entry_rejects_the_whole_document(reg):
    reg.add_outlet("Existing", "GB")
    before = reg.counts()
    doc = {
        "outlets": [
            {
                "name": "Good One",
                "country": "SE",
                "facts": [fact("scope", {"scope": "news"})],
                "assets": [{"kind": "domain", "value": "good.example", "source": "test"}],
            },
            {"name": "Bad One", "country": "SE", "facts": [fact("scope", {"scope": "news"}, date="2019-13-01")]},
        ]
    }
    with pytest.raises(ValidationError, match=r"outlets\[1\].*Bad One.*2019-13-01"):
        reg.load(doc)
    assert reg.counts() == before
    with pytest.raises(ValidationError, match="duplicate outlet"):
        reg.load({"outlets": [{"name": "New", "country": "SE"}, {"name": "Existing", "country": "GB"}]})
    assert reg.counts() == before
    with pytest.raises(ValidationError, match="Valhalla"):
        reg.load({"outlets": [{"name": "New", "country": "Valhalla"}]})
    assert reg.counts() == before


def test_bad_assets_are_rejected(reg):
    oid = reg.add_outlet("Example News", "GB")
    with pytest.raises(ValidationError, match="not a valid domain"):
        reg.add_asset(oid, "domain", "not a domain", source="x")
    with pytest.raises(ValidationError, match="missing source"):
        reg.add_asset(oid, "domain", "example.com")
    with pytest.raises(ValidationError, match="platform and a valid handle"):
        reg.add_asset(oid, "account", "far_too_long_for_twitter_handle", platform="twitter", source="x")
    asset_id = reg.add_asset(oid, "domain", "https://www.Example.com/path", source="x")
    assert isinstance(asset_id, int)
    assert reg.add_asset(oid, "domain", "example.com", source="again") is None  # same link, nothing new
    assert [(a.asset_id, a.value) for a in reg.assets(oid)] == [(asset_id, "example.com")]


def test_change_fact_supersedes_and_keeps_the_old(reg):
    oid = reg.add_outlet("Example News", "GB")
    f1 = reg.add_fact(oid, fact("funding", {"mode": "direct", "state_share": 0.9}))
    f2 = reg.change_fact(
        f1, {"value": {"mode": "indirect"}, "source": "Annual report", "date": "2021-01-01", "confidence": 0.8}
    )
    assert [f.fact_id for f in reg.facts(oid)] == [f2]
    assert [f.fact_id for f in reg.facts(oid, current_only=False)] == [f1, f2]
    assert reg.fact(f1).superseded_by == f2
    with pytest.raises(ValidationError, match="already superseded"):
        reg.change_fact(f1, {"value": {"mode": "none"}, "source": "x", "date": "2021-01-01", "confidence": 1})
    with pytest.raises(ValidationError, match="cannot turn it into"):
        reg.change_fact(
            f2, {"kind": "scope", "value": {"scope": "news"}, "source": "x", "date": "2021-01-01", "confidence": 1}
        )


def test_sub_outlets_inherit_control_facts_but_not_scope(reg):
    parent = reg.add_outlet("State Broadcaster", "RU")
    reg.add_fact(parent, fact("editorial_control", {"state_editorial_control": True}))
    reg.add_fact(parent, fact("scope", {"scope": "news"}))
    child = reg.add_outlet("State Sports", "RU", parent=parent)
    reg.add_fact(child, fact("scope", {"scope": "entertainment_sports_travel"}))
    facts = {f.kind: f for f in reg.facts(child)}
    assert facts["scope"].value == {"scope": "entertainment_sports_travel"}
    assert facts["editorial_control"].inherited_from == "State Broadcaster"
    assert [f.kind for f in reg.facts(child, include_inherited=False)] == ["scope"]


def test_outlet_lookup_by_alias_and_ambiguity(reg):
    reg.add_outlet("Example News", "GB", aliases=["EN"])
    reg.add_outlet("Example News", "IE")
    assert reg.outlet("en").country_code == "GB"
    with pytest.raises(ValidationError, match="ambiguous"):
        reg.outlet("Example News")
    assert reg.outlet("Example News", "IE").country_code == "IE"
    with pytest.raises(ValidationError, match="no outlet named"):
        reg.outlet("Nothing")


def test_memory_workspace_shares_one_store():
    ws = Workspace.memory()
    Registry.open(ws).add_outlet("Example News", "GB")
    assert Registry.open(ws).counts()["outlets"] == 1
    ws.close()


def test_on_disk_store_is_versioned(tmp_path):
    with Workspace.create(tmp_path / "ws") as ws:
        Registry.open(ws).add_outlet("Example News", "GB")
        path = ws.ops_path
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    from flockwatch.store import close_store

    close_store(f"sqlite:///{path}")  # a new process would open the store afresh
    with Workspace.open(tmp_path / "ws") as ws, pytest.raises(WorkspaceError, match="newer flockwatch"):
        Registry.open(ws)


def test_registry_as_context_manager(tmp_path):
    with Workspace.create(tmp_path / "ws", registry=False) as ws:
        with Registry.open(ws) as r:
            r.add_outlet("Example News", "GB")
        with Registry.open(ws) as r:
            assert r.counts()["outlets"] == 1
    ws = Workspace.memory()
    with Registry.open(ws) as r:
        r.add_outlet("Example News", "GB")
    assert Registry.open(ws).counts()["outlets"] == 1  # the in-memory store outlives the with-block
    ws.close()
