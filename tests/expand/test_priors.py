"""Account-level priors on hand-made profiles: each feature raises the score of a matching new account and not of a
non-matching one; taking a feature's evidence away lowers the score; the watcher flags a network-like sign-up at its
first action, with the evidence, and not an ordinary one."""

import datetime as dt

import pyarrow as pa
import pytest

from flockwatch.expand.priors import FEATURES, AccountPriors, PriorParams
from flockwatch.expand.watch import Watcher, batch_from_records

from expand_scenario import at

COLS = ("account_id", "screen_name", "created_at", "language", "reported_location", "description")
NET_DAY = dt.datetime(2019, 5, 1, 3, 0)
BURST_DAY = dt.datetime(2019, 8, 1, 9, 0)
QUIET_DAY = dt.datetime(2019, 8, 20, 9, 0)
NET_BIO = "守护香港 love my country"

#: feature → (a value the network shares, an ordinary value)
MATCH = {
    "name_template": ("screen_name", "li34567890", "bob_99"),
    "language": ("language", "zh", "en"),
    "reported_location": ("reported_location", "", "London"),
    "description": ("description", NET_BIO, "runner and reader"),
    "creation": ("created_at", BURST_DAY, QUIET_DAY),
}


def _table(rows: list[dict]) -> pa.Table:
    return pa.table(
        {c: pa.array([r.get(c) for r in rows], pa.timestamp("us") if c == "created_at" else pa.string()) for c in COLS}
    )


def _insert(ws, rows: list[dict]) -> None:
    t = _table(rows)
    ws.engine.insert_arrow("accounts", t.append_column("platform", pa.array(["twitter"] * t.num_rows)))


def _network(n: int = 12) -> list[dict]:
    # bulk-made: one sign-up day, name + 8 digits, blank location, one shared bio
    return [
        {
            "account_id": f"n{i}",
            "screen_name": f"wan{10_000_000 + 7919 * i}",
            "created_at": NET_DAY + dt.timedelta(minutes=i),
            "language": "zh",
            "reported_location": "",
            "description": NET_BIO,
        }
        for i in range(n)
    ]


def _background(n: int = 300, prefix: str = "b") -> list[dict]:
    # ordinary users: one sign-up a day over the year before, varied names and profiles
    return [
        {
            "account_id": f"{prefix}{i}",
            "screen_name": f"{['anna', 'bob', 'chris'][i % 3]}_{i}",
            "created_at": dt.datetime(2018, 9, 1, 12) + dt.timedelta(days=i),
            "language": ["en", "es", "de"][i % 3],
            "reported_location": ["London", "Madrid", "Berlin"][i % 3],
            "description": f"my own bio number {i}",
        }
        for i in range(n)
    ]


def _signup_burst(n: int = 40) -> list[dict]:
    return [
        {
            "account_id": f"burst{i}",
            "screen_name": f"user_{i}",
            "created_at": BURST_DAY - dt.timedelta(hours=1),
            "language": "en",
            "reported_location": "Paris",
            "description": f"bio {i}",
        }
        for i in range(n)
    ]


def _ordinary(acc: str) -> dict:
    return {"account_id": acc, **{col: plain for col, _, plain in MATCH.values()}}


def _matching(acc: str, features=FEATURES) -> dict:
    row = _ordinary(acc)
    for f in features:
        col, value, _ = MATCH[f]
        row[col] = value
    return row


@pytest.fixture
def priors(ws):
    _insert(ws, _network() + _background())
    p = AccountPriors(ws, [f"n{i}" for i in range(12)])
    p.observe(_table(_signup_burst()))
    return p


def _features(p: AccountPriors, acc: str) -> dict[str, float]:
    return {x.feature: x.nats for x in p.evidence(acc)}


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_raises_a_matching_account_only(priors, feature):
    priors.observe(_table([_matching("new_match", [feature]), _ordinary("new_plain")]))
    match, plain = _features(priors, "new_match"), _features(priors, "new_plain")
    assert feature in match and match[feature] > 0.5
    assert feature not in plain
    assert priors.nats("new_match") > priors.nats("new_plain") + 0.5


@pytest.mark.parametrize("feature", FEATURES)
def test_removing_a_features_evidence_lowers_the_score(ws, priors, feature):
    priors.observe(_table([_matching("full")]))
    full = priors.nats("full")
    assert set(_features(priors, "full")) == set(FEATURES)
    # the same account with that one field made ordinary (a re-observed profile replaces the stored one)
    priors.observe(_table([_matching("full", [f for f in FEATURES if f != feature])]))
    assert priors.nats("full") < full - 0.5
    # or the feature family switched off
    without = AccountPriors(
        ws, [f"n{i}" for i in range(12)], PriorParams(features=tuple(f for f in FEATURES if f != feature))
    )
    without.observe(_table(_signup_burst() + [_matching("full")]))
    assert without.nats("full") < full - 0.5


def test_evidence_rows_say_which_feature_what_value_how_rare(priors):
    priors.observe(_table([_matching("full")]))
    ev = {x.feature: x.to_dict() for x in priors.evidence("full")}
    assert ev["name_template"]["value"] in ("L2D8", "LD8")
    assert ev["name_template"]["network_accounts_sharing"] == 12
    assert ev["name_template"]["background_accounts_sharing"] == 1  # the new account itself: not network (yet)
    assert ev["reported_location"]["value"] == "(none)"
    burst = ev["creation"]
    assert burst["measure"] == "creation_burst" and burst["accounts_created_that_day"] == 41
    assert burst["p_value"] < 1e-6 and burst["expected_per_day"] <= 1.0


def test_creation_on_the_networks_own_day_and_burst_free_days(priors):
    priors.observe(
        _table(
            [
                {**_ordinary("same_day"), "created_at": NET_DAY + dt.timedelta(hours=5)},
                {**_ordinary("quiet"), "created_at": QUIET_DAY},
            ]
        )
    )
    assert _features(priors, "same_day")["creation"] > 2.0  # 12 of 12 network sign-ups vs 1 of 340 others
    assert "creation" not in _features(priors, "quiet")


def test_a_network_that_was_not_bulk_made_gets_nothing_from_bursts(ws):
    # network sign-ups spread like everyone's: a sign-up burst in the stream says nothing about this network
    _insert(ws, _background(300))
    p = AccountPriors(ws, ["b1", "b50", "b100", "b200"])
    p.observe(_table(_signup_burst() + [{**_ordinary("x"), "created_at": BURST_DAY}]))
    assert p.bulk_nats <= 0
    assert "creation" not in _features(p, "x")


def test_accounts_joining_the_network_teach_it_new_values(priors):
    rows = [{**_ordinary(f"f{i}"), "screen_name": f"qz{i}_{i}x"} for i in range(3)]  # a new shape: L2D1_D1L1
    priors.observe(_table(rows))
    assert "name_template" not in _features(priors, "f0")
    priors.add_to_network(["f1", "f2"])
    assert "name_template" in _features(priors, "f0")


# -- the watcher ------------------------------------------------------------------------------------------------
def _post(acc: str, minute: float = 30.0) -> dict:
    return {
        "action_id": f"{acc}_p0",
        "account_id": acc,
        "kind": "post",
        "acted_at": at(minute).isoformat(),
        "text": f"a quiet day for {acc}, nothing to report",
    }


def _profile_line(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}


@pytest.fixture
def known(ws, scenario):
    seeds = scenario["seeds"]
    net = [{**r, "account_id": s} for r, s in zip(_network(len(seeds)), seeds, strict=False)]
    org = [
        {**r, "account_id": o} for r, o in zip(_background(len(scenario["organic"])), scenario["organic"], strict=False)
    ]
    _insert(ws, net + org + _background(200, prefix="z"))
    return scenario


def test_watcher_flags_a_network_like_signup_at_its_first_action(ws, known):
    w = Watcher(ws, known["seeds"], expand_first=False, record_trajectories=True)
    new = {**_matching("newbot", [f for f in FEATURES if f != "creation"]), "created_at": NET_DAY}
    b = batch_from_records([_profile_line(new), _profile_line(_ordinary("newbie")), _post("newbot"), _post("newbie")])
    assert b.accounts.num_rows == 2 and b.actions.num_rows == 2
    flags = {f.account_id: f for f in w.process(b.actions, b.hashtags, b.urls, b.mentions, b.logins, b.accounts)}
    assert set(flags) == {"newbot"}
    f = flags["newbot"]
    assert f.actions_seen == 1 and f.evidence["co_action"]["hits"] == 0
    feats = {x["feature"] for x in f.evidence["account_priors"]}
    assert {"name_template", "creation", "language", "reported_location", "description"} <= feats
    assert f.evidence["account_prior_nats"] >= w.min_nats
    nats = dict(
        zip(
            w.trajectory_table().column("account_id").to_pylist(),
            w.trajectory_table().column("nats").to_pylist(),
            strict=False,
        )
    )
    assert nats["newbie"] == 0.0


def test_one_strong_feature_alone_does_not_flag(ws, known):
    w = Watcher(ws, known["seeds"], expand_first=False, record_trajectories=True)
    lone = {**_ordinary("lone"), "created_at": NET_DAY}  # signed up on the network's day, nothing else alike
    b = batch_from_records([_profile_line(lone), _post("lone")])
    assert w.process(b.actions, b.hashtags, b.urls, b.mentions, b.logins, b.accounts) == []
    assert w.priors.nats("lone") > 2.0
    assert w.trajectory_table().column("nats").to_pylist() == [0.0]


def test_profiles_are_found_in_the_workspace_and_priors_can_be_off(ws, known):
    w = Watcher(ws, known["seeds"], expand_first=False)
    # the platform's accounts table gets the sign-up after the watcher started
    _insert(ws, [{**_matching("latebot", [f for f in FEATURES if f != "creation"]), "created_at": NET_DAY}])
    b = batch_from_records([_post("latebot")])
    assert [f.account_id for f in w.process(b.actions, b.hashtags, b.urls, b.mentions)] == ["latebot"]
    w.close()
    off = Watcher(ws, known["seeds"], expand_first=False, use_priors=False)
    b = batch_from_records([_post("latebot")])
    assert off.process(b.actions, b.hashtags, b.urls, b.mentions) == []


def test_twarc2_users_become_profiles():
    page = {
        "data": [{"id": "9", "author_id": "42", "created_at": "2019-08-12T02:00:00.000Z", "text": "hi there"}],
        "includes": {
            "users": [
                {
                    "id": "42",
                    "username": "wan12345678",
                    "created_at": "2019-08-11T00:00:00.000Z",
                    "lang": "zh",
                    "location": "",
                    "description": "x",
                }
            ]
        },
    }
    b = batch_from_records([page])
    assert b.accounts.to_pylist()[0]["screen_name"] == "wan12345678"
    assert b.accounts.to_pylist()[0]["created_at"] == dt.datetime(2019, 8, 11)


def test_vpn_logins_count_when_the_network_uses_vpns(ws, known):
    from expand_scenario import insert_infra

    # seeds log in through VPN exits on different prefixes; organic accounts from home broadband, few via VPN
    insert_infra(
        ws,
        [(s, f"45.76.{i}.0/24", 20473, "US", True) for i, s in enumerate(known["seeds"])]
        + [(f"o{i}", f"81.{i}.0.0/16", 2856, "GB", i < 3) for i in range(60)],
    )
    w = Watcher(ws, known["seeds"], expand_first=False, record_trajectories=True, use_priors=False)
    b = batch_from_records(
        [
            {"account_id": "vpnuser", "ip_prefix": "104.16.0.0/24", "asn": 13335, "via_vpn": True},
            {"account_id": "homeuser", "ip_prefix": "104.16.0.0/24", "asn": 13335, "via_vpn": False},
            _post("vpnuser"),
            _post("homeuser"),
        ]
    )
    assert b.logins.column("via_vpn").to_pylist() == [True, False]
    w.process(b.actions, b.hashtags, b.urls, b.mentions, b.logins)
    nats = dict(
        zip(
            w.trajectory_table().column("account_id").to_pylist(),
            w.trajectory_table().column("nats").to_pylist(),
            strict=False,
        )
    )
    assert nats["vpnuser"] > nats["homeuser"] + 0.5
    assert nats["homeuser"] == 0.0


def test_pseudonymised_handles_carry_no_template(ws):
    _insert(ws, _network() + _background())
    ws.engine.sql("UPDATE accounts SET id_is_pseudonymised = true WHERE account_id LIKE 'n%'")
    p = AccountPriors(ws, [f"n{i}" for i in range(12)])
    p.observe(_table([_matching("x", ["name_template"])]))
    assert "name_template" not in _features(p, "x")
