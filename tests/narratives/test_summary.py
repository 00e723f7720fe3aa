import datetime as dt

import pyarrow as pa
import pytest

from flockwatch import schema
from flockwatch.engine import DuckDBEngine
from flockwatch.narratives import summarise_narratives
from flockwatch.narratives.tokens import terms_sql


def _insert(ws, name, rows):
    cols = schema.CANONICAL_TABLES[name].column_names
    ws.engine.insert_arrow(name, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows]))


def test_chinese_aware_terms():
    e = DuckDBEngine.memory()
    got = e.sql(
        f"SELECT {terms_sql('t')} FROM (SELECT 'RT @hk: 反对暴徒! Stop the riots #HK https://x.co/a 5' t)"
    ).one()[0]
    assert {"反对", "对暴", "暴徒"} <= set(got)
    assert {"stop", "riots", "stop riots"} <= set(got)
    assert not {"the", "hk", "rt", "https", "5"} & set(got)


@pytest.fixture
def corpus(ws):
    week1, week2 = dt.datetime(2019, 8, 12, 10), dt.datetime(2019, 8, 19, 10)
    actions, tags, urls, mentions = [], [], [], []
    for i in range(6):  # network: 3 accounts, pushes #riots and a state-media domain
        aid = f"n{i}"
        when = week1 if i < 3 else week2
        actions.append(
            {
                "platform": "t",
                "action_id": aid,
                "account_id": f"net{i % 3}",
                "kind": "post",
                "acted_at": when + dt.timedelta(minutes=i),
                "text": "香港暴徒 riots must stop",
                "language": "zh",
            }
        )
        tags.append({"platform": "t", "action_id": aid, "hashtag": "riots"})
        if i >= 3:
            tags.append({"platform": "t", "action_id": aid, "hashtag": "antiviolence"})
        urls.append(
            {
                "platform": "t",
                "action_id": aid,
                "url": f"https://www.statenews.example/{i}",
                "domain": "www.statenews.example",
            }
        )
    actions.append(
        {
            "platform": "t",
            "action_id": "n-rt",
            "account_id": "net0",
            "kind": "repost",
            "acted_at": week2,
            "target_account_id": "statemedia",
            "language": "zh",
        }
    )
    actions.append(
        {
            "platform": "t",
            "action_id": "n-rt2",
            "account_id": "net1",
            "kind": "repost",
            "acted_at": week2,
            "target_account_id": "statemedia",
            "language": "zh",
        }
    )
    mentions.append({"platform": "t", "action_id": "n0", "mentioned_account_id": "statemedia"})
    for i in range(40):  # background: many accounts, mostly other things
        aid = f"b{i}"
        actions.append(
            {
                "platform": "t",
                "action_id": aid,
                "account_id": f"user{i}",
                "kind": "post",
                "acted_at": week1 + dt.timedelta(hours=i),
                "text": "lovely weather in the park",
                "language": "en",
            }
        )
        tags.append({"platform": "t", "action_id": aid, "hashtag": "weather"})
        if i == 0:
            tags.append({"platform": "t", "action_id": aid, "hashtag": "riots"})
    _insert(ws, "actions", actions)
    _insert(ws, "action_hashtags", tags)
    _insert(ws, "action_urls", urls)
    _insert(ws, "action_mentions", mentions)
    return ws


def test_top_items_with_lift(corpus):
    s = summarise_narratives(corpus, ["net0", "net1", "net2"])
    assert s.network_actions == 8 and s.background_actions == 40
    tags = {r["item"]: r for r in s.top_items("hashtag")}
    assert tags["riots"]["network_n"] == 6 and tags["riots"]["background_n"] == 1
    assert tags["riots"]["lift"] > 10
    assert "weather" not in tags  # the network never used it
    assert s.top_items("domain")[0]["item"] == "statenews.example"
    terms = {r["item"] for r in s.top_items("term")}
    assert {"香港", "暴徒", "riots", "riots must"} <= terms
    langs = {r["item"]: r["network_n"] for r in s.top_items("language")}
    assert langs == {"zh": 8}
    targets = s.top_items("target")
    assert targets[0]["item"] == "statemedia" and targets[0]["network_n"] == 3


def test_weekly_change(corpus):
    s = summarise_narratives(corpus, ["net0", "net1", "net2"])
    weekly = {(r["week"], r["item"]): r for r in s.weekly_items("hashtag")}
    assert weekly[("2019-W33", "riots")]["n"] == 3 and weekly[("2019-W33", "riots")]["is_new"]
    assert weekly[("2019-W34", "riots")]["previous_week_n"] == 3 and weekly[("2019-W34", "riots")]["change"] == 0
    assert weekly[("2019-W34", "antiviolence")]["is_new"]
    assert s.activity.column("actions").to_pylist() == [3, 5]


def test_unknown_accounts_give_empty_summary(corpus):
    s = summarise_narratives(corpus, ["ghost"])
    assert s.network_actions == 0 and s.top.num_rows == 0 and s.weekly.num_rows == 0


def test_background_terms_from_a_sample_are_flagged_and_scaled(corpus):
    exact = summarise_narratives(corpus, ["net0", "net1", "net2"], facets=["term"])
    sampled = summarise_narratives(corpus, ["net0", "net1", "net2"], facets=["term"], background_term_sample_actions=20)
    ex = {r["item"]: r for r in exact.top_items("term")}
    sa = {r["item"]: r for r in sampled.top_items("term")}
    assert not any(r["background_estimated"] for r in ex.values())
    assert all(r["background_estimated"] for r in sa.values())
    # the network side is never sampled
    assert {k: v["network_n"] for k, v in sa.items()} == {k: v["network_n"] for k, v in ex.items()}
    again = summarise_narratives(corpus, ["net0", "net1", "net2"], facets=["term"], background_term_sample_actions=20)
    assert again.top.to_pylist() == sampled.top.to_pylist()  # deterministic sample
