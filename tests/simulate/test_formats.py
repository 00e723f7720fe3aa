"""The simulator writes the archive, logins and truth formats exactly as specified."""

from __future__ import annotations

import re

from flockwatch.simulate import TACTIC_NAMES
from flockwatch.simulate.writer import TWEETS_COLUMNS, USERS_COLUMNS

USERS = [
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
]
TWEETS = [
    "tweetid",
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
]
DIGITS = re.compile(r"^[0-9]+$")
LIST = re.compile(r"^\[(.+)?\]$")


def test_archive_columns_exactly_as_published(small_run):
    assert small_run.users_header == USERS == list(USERS_COLUMNS)
    assert small_run.tweets_header == TWEETS == list(TWEETS_COLUMNS)
    # Headers are bare (no quotes), as in the published archives.
    first = small_run.result.tweets_files[0].read_text(encoding="utf-8").split("\n", 1)[0]
    assert first == ",".join(TWEETS)


def test_file_names_follow_the_archive_convention(small_run):
    assert small_run.result.users_file.name == "sim_062019_1_users_csv_unhashed.csv"
    assert [p.name for p in small_run.result.tweets_files] == ["sim_062019_1_tweets_csv_unhashed.csv"]


def test_tweet_values(small_run):
    assert len(small_run.tweets) == small_run.result.counts["actions"]
    ids = [t["tweetid"] for t in small_run.tweets]
    assert len(set(ids)) == len(ids)
    users = {u["userid"] for u in small_run.users}
    for t in small_run.tweets:
        assert DIGITS.match(t["tweetid"]) and DIGITS.match(t["userid"]) and t["userid"] in users
        assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", t["tweet_time"])
        assert t["is_retweet"] in ("True", "False")
        for col in ("hashtags", "urls", "user_mentions"):
            assert LIST.match(t[col]), (col, t[col])
        if t["is_retweet"] == "True":
            orig = small_run.by_id[t["retweet_tweetid"]]
            assert orig["userid"] == t["retweet_userid"]
            assert t["tweet_text"].startswith(f"RT @{orig['user_screen_name']}: ")
            assert orig["is_retweet"] == "False"
        else:
            assert t["retweet_tweetid"] == t["retweet_userid"] == ""
        if t["in_reply_to_tweetid"]:
            assert small_run.by_id[t["in_reply_to_tweetid"]]["userid"] == t["in_reply_to_userid"]
            assert t["in_reply_to_userid"] in t["user_mentions"]
        for m in LIST.match(t["user_mentions"]).group(1).split(", ") if t["user_mentions"] != "[]" else []:
            assert DIGITS.match(m) and m in users
        for col in ("follower_count", "following_count", "quote_count", "reply_count", "like_count", "retweet_count"):
            assert DIGITS.match(t[col])


def test_lists_match_text(small_run):
    """A hashtag or URL in the list columns appears in the text (the reader may rely on either)."""
    checked = 0
    for t in small_run.tweets:
        if t["hashtags"] != "[]":
            for tag in t["hashtags"][1:-1].split(", "):
                assert f"#{tag}" in t["tweet_text"]
            checked += 1
        if t["urls"] != "[]":
            for url in t["urls"][1:-1].split(", "):
                assert url in t["tweet_text"]
    assert checked > 100


def test_languages_and_state_media(small_run):
    langs = {t["tweet_language"] for t in small_run.tweets}
    assert {"en", "zh", "sv"} <= langs
    screens = {u["user_screen_name"]: u for u in small_run.users}
    for handle in ("XHNews", "PDChina", "ChinaDaily", "CGTNOfficial"):
        assert handle in screens
        uid = screens[handle]["userid"]
        assert sum(t["userid"] == uid for t in small_run.tweets) > 50  # they post every day


def test_users_unique_and_creation_spread(small_run):
    ids = [u["userid"] for u in small_run.users]
    names = [u["user_screen_name"] for u in small_run.users]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    organic_years = {u["account_creation_date"][:4] for u in small_run.users if u["userid"] not in small_run.planted}
    assert len(organic_years) >= 8  # sign-ups spread over years


def test_logins_structure(small_run):
    assert small_run.logins_header == ["userid", "login_time", "ip_prefix", "asn", "country", "via_vpn"]
    users = {u["userid"] for u in small_run.users}
    for row in small_run.logins:
        assert row["userid"] in users
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", row["login_time"])
        assert re.match(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.0/24$", row["ip_prefix"])
        assert DIGITS.match(row["asn"]) and re.match(r"^[A-Z]{2}$", row["country"])
        assert row["via_vpn"] in ("true", "false")
    assert {r["userid"] for r in small_run.logins} == users  # everyone logs in at least once


def test_login_infrastructure_differs(small_run):
    organic = [r for r in small_run.logins if r["userid"] not in small_run.planted]
    op = [r for r in small_run.logins if r["userid"] in small_run.planted]
    asns_by_country: dict[str, set[str]] = {}
    for r in organic:
        asns_by_country.setdefault(r["country"], set()).add(r["asn"])
    assert asns_by_country["US"].__len__() >= 4 and len(asns_by_country) >= 8
    assert sum(r["via_vpn"] == "true" for r in organic) / len(organic) < 0.1
    assert len({r["asn"] for r in op}) <= 10  # a handful of exits plus mainland networks
    assert sum(r["via_vpn"] == "true" for r in op) / len(op) > 0.5
    assert any(r["country"] == "CN" and r["via_vpn"] == "false" for r in op)


def test_truth_csv_structure(small_run):
    assert small_run.truth_header == ["account_id", "operation_id", "role", "is_fresh", "created_at", "tactics"]
    op = small_run.op
    roles = [r["role"] for r in small_run.truth]
    assert roles.count("core") == op["n_core"] and roles.count("amplifier") == op["n_amplifiers"]
    for r in small_run.truth:
        assert r["operation_id"] == op["operation_id"]
        assert r["is_fresh"] in ("true", "false")
        assert set(filter(None, r["tactics"].split(";"))) <= set(TACTIC_NAMES)
    doc = small_run.truth_doc
    assert doc["preset"] == "small" and doc["seed"] == 3
    assert op["zone_offset_h"] == 8 and op["schedule"]["weekdays_only"] is True
    assert len(op["target_accounts"]) == op["n_targets"]
    assert {a["screen_name"] for a in op["state_media_accounts"]} == set(op["state_media"])
    assert doc["counts"]["actions"] == len(small_run.tweets)
