"""Pages and Groups in cases, on SQLite and on PostgreSQL: the seed's shape (7 Pages, 3 Groups run by 5 accounts of
a candidate network) read by the platform_assets reader; `case open --with-assets` adds exactly the assets the
members administer, each with its admins as evidence; an account list may name page:ID / group:ID; a legal hold on
such a case covers the admins."""

from __future__ import annotations

import json

from flockwatch.ingest import ingest_paths
from flockwatch.review.cases import get_case
from flockwatch.review.holds import held_accounts
from flockwatch.workspace import Workspace

from .conftest import RUN
from fwtest import FIXTURES

ADMINS = [f"fb:u:{501 + i}" for i in range(5)]
SEED = FIXTURES / "ingest" / "platform_assets" / "assets.jsonl"


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _seed(path, tmp_path):
    other = tmp_path / "other.jsonl"  # a Page run by someone outside the network: not part of its case
    other.write_text(
        json.dumps({"asset_id": "fb:page:9001", "kind": "page", "name": "Cooking", "admins": ["fb:u:900"]}) + "\n"
    )
    with Workspace.open(path) as ws:
        [s1, _] = ingest_paths(ws, [SEED, other])
        assert (s1.format, s1.rows_loaded, s1.rows_quarantined) == ("platform_assets", 10, 0)
        e = ws.engine
        e.executemany(
            "INSERT INTO accounts (platform, account_id, screen_name) VALUES ('facebook', ?, ?)",
            [(a, f"user{a[-3:]}") for a in ADMINS],
        )
        e.sql(
            "INSERT INTO networks (run_id, network_id, size, score, flagged) VALUES (?, 'N0003', 5, 0.9, true)", [RUN]
        )
        e.executemany(
            "INSERT INTO network_members (run_id, network_id, account_id, account_score, degree, strength, joined_by) "
            "VALUES (?, 'N0003', ?, 0.9, 4, 4.0, 'cluster')",
            [(RUN, a) for a in ADMINS],
        )


def test_case_with_assets_has_the_seed_shape(review_env, capsys, tmp_path):
    env = review_env
    _seed(env.path, tmp_path)
    capsys.readouterr()
    assert env.cli("case", "open", "--network", "N0003", "--with-assets", "--json", *env.as_user("alice")) == 0
    opened = _json(capsys)
    assert opened["subjects"] == {"open": 15} and opened["detail"]["with_assets"] == 10
    snap = get_case(env.store(), opened["case_id"])
    kinds: dict[str, int] = {}
    for s in snap.subjects:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    assert kinds == {"account": 5, "page": 7, "group": 3}
    assets = {s.subject_id: s for s in snap.subjects if s.kind != "account"}
    assert "fb:page:9001" not in assets
    page = assets["fb:page:1001"]
    assert page.platform == "facebook" and page.screen_name == "HK Truth"
    assert page.evidence["asset"]["follower_count"] == 1237
    assert page.evidence["joined_by"] == "administered by a case account"
    assert page.evidence["admins"] == [
        {"account_id": "fb:u:501", "role": "admin", "admin_in_case": True},
        {"account_id": "fb:u:503", "role": "editor", "admin_in_case": True},
    ]
    group = assets["fb:group:2002"]
    assert [a["role"] for a in group.evidence["admins"]] == ["admin", "moderator"]
    assert group.evidence["asset"]["created_at"] == "2019-07-02T04:30:00"  # +08:00 read as UTC

    # without --with-assets the case holds the accounts only
    assert env.cli("case", "open", "--network", "N0003", "--json", *env.as_user("alice")) == 0
    assert _json(capsys)["subjects"] == {"open": 5}

    # an account list naming Pages and Groups
    listed = tmp_path / "list.txt"
    listed.write_text("fb:u:501\npage:fb:page:1002\ngroup:fb:group:2003\npage:fb:page:404\n")
    assert env.cli("case", "open", "--accounts", str(listed), "--json", *env.as_user("alice")) == 0
    other = get_case(env.store(), _json(capsys)["case_id"])
    got = {(s.kind, s.subject_id): s for s in other.subjects}
    assert set(got) == {
        ("account", "fb:u:501"),
        ("page", "fb:page:1002"),
        ("group", "fb:group:2003"),
        ("page", "fb:page:404"),
    }
    assert got[("page", "fb:page:1002")].evidence["admins"][0]["account_id"] == "fb:u:502"
    assert got[("page", "fb:page:404")].evidence["asset"] is None

    # a legal hold on the assets case covers their admins too
    assert env.cli("case", "hold", opened["case_id"], "--reason", "litigation", *env.as_user("bob")) == 0
    with env.store().connect() as conn:
        held = held_accounts(conn)
    assert set(held) == set(ADMINS) and "fb:u:900" not in held
