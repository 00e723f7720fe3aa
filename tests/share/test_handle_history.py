"""Renamed accounts: ingest keeps every handle an account was seen under, and a tip naming an old one finds it."""

from __future__ import annotations

import json

import stix2

from flockwatch.ingest.loader import ingest_paths
from flockwatch.share import intake

HEADER = (
    "userid,user_display_name,user_screen_name,user_reported_location,user_profile_description,user_profile_url,"
    "follower_count,following_count,account_creation_date,account_language\n"
)


def test_a_later_export_under_a_new_handle_is_remembered(tmp_path, ws):
    first, later = tmp_path / "june_users.csv", tmp_path / "august_users.csv"
    first.write_text(HEADER + "111,Alice,alice_hk,Hong Kong,,,10,20,2019-01-02,en\n222,Bob,bob,,,,1,2,2018-01-01,en\n")
    later.write_text(HEADER + "111,Alice,Alice_Renamed,Hong Kong,,,10,20,2019-01-02,en\n")
    ingest_paths(ws, [first, later], format="twitter_io_archive")
    rows = ws.engine.sql("SELECT account_id, screen_name FROM account_handles ORDER BY 1, 2").rows()
    assert rows == [("111", "Alice_Renamed"), ("111", "alice_hk"), ("222", "bob")]
    # the account row itself keeps the first description, as before
    assert ws.engine.sql("SELECT screen_name FROM accounts WHERE account_id = '111'").scalar() == "alice_hk"
    ingest_paths(ws, [later], format="twitter_io_archive")  # already ingested: nothing doubles
    assert ws.engine.count("account_handles") == 3

    ua = stix2.v21.UserAccount(account_login="ALICE_RENAMED", account_type="facebook")
    tip = json.loads(stix2.v21.Bundle(objects=[ua]).serialize())
    (m,) = intake.match_tip(ws, tip, trust=1.0).matches
    assert m.subject_id == "111" and "former handle" not in m.evidence[0].detail
    ua_old = stix2.v21.UserAccount(account_login="alice_hk", account_type="facebook")
    tip = json.loads(stix2.v21.Bundle(objects=[ua_old]).serialize())
    (m,) = intake.match_tip(ws, tip, trust=1.0).matches
    assert m.subject_id == "111"
