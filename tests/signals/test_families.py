import datetime as dt
import json

import numpy as np
import pytest

from flockwatch.errors import UnknownNameError
from flockwatch.signals import SIGNAL_FAMILIES, SIGNAL_SCHEMA, compute_signals

from .helpers import actions_for, insert


def _rows(table, signal):
    return {
        r["account_id"]: (r["value"], json.loads(r["evidence"])) for r in table.to_pylist() if r["signal"] == signal
    }


def _accounts(ws, rows):
    insert(ws, "accounts", [{"platform": "t", **r} for r in rows])


def test_creation_burst_stands_out_against_background(ws):
    rng = np.random.default_rng(0)
    rows = []
    # background: about 2 accounts a day over 120 days
    for i in range(240):
        day = dt.datetime(2019, 1, 1) + dt.timedelta(days=int(rng.integers(120)))
        rows.append({"account_id": f"bg{i}", "created_at": day})
    for i in range(30):  # 30 accounts on one day
        rows.append({"account_id": f"op{i}", "created_at": dt.datetime(2019, 2, 15, 3, i)})
    _accounts(ws, rows)
    t = compute_signals(ws, families=["creation_burst"])
    got = _rows(t, "creation_burst")
    assert got["op0"][0] > 0.999
    assert got["op0"][1]["accounts_created_that_day"] >= 30
    ordinary = [
        v
        for k, (v, _) in got.items()
        if k.startswith("bg") and k not in {a for a, (_, e) in got.items() if e["created_on"] == "2019-02-15"}
    ]
    assert np.median(ordinary) < 0.9
    scoped = _rows(compute_signals(ws, account_ids=["op1", "op2"], families=["creation_burst"]), "creation_burst")
    assert set(scoped) == {"op1", "op2"} and scoped["op1"][1]["scope_accounts_created_that_day"] == 2


def test_name_template_and_prefix(ws):
    rows = [{"account_id": f"op{i}", "screen_name": f"hkvoice{10000000 + i * 7919}"} for i in range(8)]
    rows += [
        {"account_id": f"u{i}", "screen_name": n}
        for i, n in enumerate(["alice", "bob_smith", "carol1985", "dave", "erin_k", "frank", "grace_h", "heidi99"])
    ]
    _accounts(ws, rows)
    ops = [f"op{i}" for i in range(8)]
    t = compute_signals(ws, account_ids=ops + ["u0"], families=["name_template"])
    shapes = _rows(t, "name_template")
    assert shapes["op3"][1]["shape"] == "L7D8"
    assert shapes["op3"][1]["accounts_with_shape_in_scope"] == 8
    assert shapes["op3"][0] > 0.4 and shapes["u0"][0] == 0.0
    prefixes = _rows(t, "shared_prefix")
    assert prefixes["op0"][1]["prefix"] == "hkvoi" and "u0" not in prefixes


def test_profile_reuse(ws):
    bio = "Patriot. Love my country and my family!"
    _accounts(
        ws,
        [
            {"account_id": "a", "description": bio},
            {"account_id": "b", "description": "  patriot.  love my country and my family!"},
            {"account_id": "c", "description": bio},
            {"account_id": "d", "description": "hi"},
            {"account_id": "e", "description": "hi"},
            {"account_id": "f", "description": "Something entirely my own"},
        ],
    )
    got = _rows(compute_signals(ws, families=["profile_reuse"]), "profile_reuse")
    assert set(got) == {"a", "b", "c"}  # short "hi" ignored, unique bio ignored
    assert got["b"][1]["accounts_sharing_on_platform"] == 3
    assert got["a"][0] == pytest.approx(2 / 3)


def test_automation_cadence_separates_scheduler_from_human(ws):
    rng = np.random.default_rng(1)
    start = dt.datetime(2019, 6, 1)
    sched = [start + dt.timedelta(minutes=15 * i) for i in range(100)]
    human = list(start + np.cumsum(rng.exponential(900, 100)).astype("timedelta64[s]").astype(dt.timedelta))
    insert(ws, "actions", actions_for("bot", sched, client="PostScheduler"))
    insert(ws, "actions", actions_for("person", human, client="Twitter for Android"))
    insert(ws, "actions", actions_for("few", sched[:3]))
    got = _rows(compute_signals(ws, families=["automation_cadence"]), "automation_cadence")
    assert got["bot"][0] > 0.85 and got["bot"][1]["gap_cv"] == 0
    assert got["bot"][1]["top_client"] == "PostScheduler" and got["bot"][1]["top_client_share"] == 1
    assert got["person"][0] < 0.3
    assert "few" not in got  # under min_actions: no claim


def test_language_location_mismatch(ws):
    _accounts(
        ws,
        [
            {"account_id": "ohio", "reported_location": "Columbus, Ohio"},
            {"account_id": "local", "reported_location": "New York, NY"},
            {"account_id": "nowhere", "reported_location": "the moon"},
        ],
    )
    t0 = dt.datetime(2019, 1, 1)
    times = [t0 + dt.timedelta(hours=i) for i in range(20)]
    insert(
        ws,
        "actions",
        actions_for("ohio", times[:18], language="Russian")
        + [{**a, "action_id": a["action_id"] + "e"} for a in actions_for("ohio", times[18:], language="en")],
    )
    insert(ws, "actions", actions_for("local", times, language="en"))
    insert(ws, "actions", actions_for("nowhere", times, language="ru"))
    got = _rows(compute_signals(ws, families=["language_location"]), "language_location_mismatch")
    assert got["ohio"][0] == pytest.approx(0.9)
    assert got["ohio"][1]["dominant_language"] == "ru" and got["ohio"][1]["country"] == "US"
    assert got["local"][0] == 0.0
    assert "nowhere" not in got


def test_language_location_names_the_same_dominant_language_every_run(ws):
    _accounts(ws, [{"account_id": "even", "reported_location": "Columbus, Ohio"}])
    t0 = dt.datetime(2019, 1, 1)
    acts = actions_for("even", [t0 + dt.timedelta(hours=i) for i in range(20)])
    for i, a in enumerate(acts):  # ten Russian, ten German: a tie
        a["language"] = ["ru", "de"][i % 2]
    insert(ws, "actions", acts)
    named = {
        _rows(compute_signals(ws, families=["language_location"]), "language_location_mismatch")["even"][1][
            "dominant_language"
        ]
        for _ in range(5)
    }
    assert named == {"de"}


def test_infrastructure_concentration(ws):
    t0 = dt.datetime(2019, 8, 1)
    obs = [
        {
            "platform": "t",
            "account_id": f"op{i}",
            "seen_at": t0,
            "ip_prefix": "203.0.113.0/24",
            "asn": 4134,
            "country": "CN",
            "via_vpn": i % 2 == 0,
        }
        for i in range(6)
    ]
    obs += [
        {
            "platform": "t",
            "account_id": "solo",
            "seen_at": t0,
            "ip_prefix": "198.51.100.0/24",
            "asn": 7922,
            "country": "US",
            "via_vpn": False,
        }
    ]
    insert(ws, "infrastructure", obs)
    t = compute_signals(ws, families=["infrastructure"])
    shared = _rows(t, "shared_infrastructure")
    assert shared["op1"][0] == pytest.approx(5 / 6) and shared["op1"][1]["accounts_on_prefix"] == 6
    assert shared["solo"][0] == 0.0
    vpn = _rows(t, "vpn_use")
    assert vpn["op0"][0] == 1.0 and vpn["op1"][0] == 0.0


def test_registry_runs_every_family_on_an_empty_workspace(ws):
    t = compute_signals(ws)
    assert t.schema == SIGNAL_SCHEMA and t.num_rows == 0
    assert set(SIGNAL_FAMILIES) >= {"creation_burst", "working_hours", "infrastructure"}


def test_unknown_family(ws):
    with pytest.raises(UnknownNameError):
        compute_signals(ws, families=["astrology"])


def test_history_discontinuity_dormant_language_switch_and_renamed(ws):
    t0 = dt.datetime(2019, 1, 1)
    daily = [t0 + dt.timedelta(days=i) for i in range(20)]
    # woke up: 5 actions, 60 days of silence, then 5 more
    woke = daily[:5] + [t0 + dt.timedelta(days=65 + i) for i in range(5)]
    insert(ws, "actions", actions_for("woke", woke, language="en"))
    insert(ws, "actions", actions_for("steady", daily, language="en"))
    # first half Russian, second half English: repurposed for another audience
    insert(
        ws,
        "actions",
        actions_for("switch", daily[:10], language="ru")
        + [{**a, "action_id": a["action_id"] + "b"} for a in actions_for("switch", daily[10:], language="en")],
    )
    # bilingual throughout: no switch
    insert(ws, "actions", actions_for("bilingual", daily, language=None))
    ws.engine.sql(
        "UPDATE actions SET language = CASE WHEN hash(action_id) % 2 = 0 THEN 'en' ELSE 'es' END "
        "WHERE account_id = 'bilingual'"
    )
    _accounts(ws, [{"account_id": "renamed", "screen_name": "hk_patriot_88"}])
    # every handle an account was seen under (ingest adds a row when a later file shows a new screen name)
    for acc, handle in (
        ("steady", "Steady"),
        ("renamed", "hk_patriot_88"),
        ("renamed", "cryptodeals2017"),
        ("renamed", "CRYPTODEALS2017"),
    ):
        ws.engine.sql(
            "INSERT INTO account_handles (platform, account_id, screen_name) VALUES ('t', ?, ?)", [acc, handle]
        )
    got = _rows(compute_signals(ws, families=["history_discontinuity"]), "history_discontinuity")
    assert got["woke"][0] == 1.0 and got["woke"][1]["dormant_then_active"]
    assert got["woke"][1]["longest_silence_days"] == pytest.approx(61.0)
    assert got["switch"][0] == 1.0 and got["switch"][1]["language_switch"]
    assert (got["switch"][1]["language_before"], got["switch"][1]["language_after"]) == ("ru", "en")
    assert got["renamed"][0] == 1.0 and sorted(got["renamed"][1]["handles"]) == ["cryptodeals2017", "hk_patriot_88"]
    assert got["steady"][0] == 0.0 and not got["steady"][1]["renamed"]
    assert got["bilingual"][0] == 0.0


def test_history_discontinuity_breaks_ties_the_same_way_every_run(ws):
    # two silences of exactly 40 days: the first one is reported, with the 8 actions that followed it
    t0 = dt.datetime(2019, 1, 1)
    times = [t0, t0 + dt.timedelta(days=40)] + [t0 + dt.timedelta(days=40, hours=h) for h in range(1, 4)]
    times += [times[-1] + dt.timedelta(days=40)] + [times[-1] + dt.timedelta(days=40, hours=h) for h in range(1, 3)]
    acts = actions_for("twice", times)
    # both halves split evenly between two languages: the dominant one named is the first by code, 'en'
    for a, lang in zip(acts, ["sv", "en", "sv", "en"] + ["zh", "en", "zh", "en"], strict=True):
        a["language"] = lang
    insert(ws, "actions", acts)
    seen = set()
    for _ in range(5):
        got = _rows(compute_signals(ws, families=["history_discontinuity"]), "history_discontinuity")["twice"][1]
        seen.add((got["resumed_at"], got["language_before"], got["language_after"]))
    assert seen == {("2019-02-10T00:00:00", "en", "en")}
    assert got["dormant_then_active"] and got["longest_silence_days"] == pytest.approx(40.0)


def test_rhythm_signals_read_one_shared_timeline_equal_to_reading_the_actions(ws, monkeypatch):
    from flockwatch.signals import base

    rng = np.random.default_rng(3)
    start = dt.datetime(2019, 6, 1)
    for i in range(6):
        times = list(
            start + np.cumsum(rng.exponential(3600 * (i + 1), 30)).astype("timedelta64[s]").astype(dt.timedelta)
        )
        times += [None, times[3]]  # an untimed action and a repeated second: sorted last / a zero gap
        acts = actions_for(f"a{i}", times, language=["en", "es"][i % 2], client="web")
        insert(ws, "actions", acts)
    families = ["history_discontinuity", "automation_cadence"]
    built: list[str] = []
    real_sql = base.Timeline.sql

    def counting(self):
        built.append(self._name)
        return real_sql(self)

    monkeypatch.setattr(base.Timeline, "sql", counting)
    shared = compute_signals(ws, families=families).sort_by([("account_id", "ascending"), ("signal", "ascending")])
    assert len(built) == 2 and len(set(built)) == 1  # both signals, one scope: one table
    assert ws.engine.sql(f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{built[0]}'").scalar() == 0
    monkeypatch.setattr(base.Timeline, "sql", lambda self: f"({base.Timeline.select_sql(self._actions_sql)})")
    inline = compute_signals(ws, families=families).sort_by([("account_id", "ascending"), ("signal", "ascending")])
    assert shared.num_rows == 12 and shared.to_pylist() == inline.to_pylist()
