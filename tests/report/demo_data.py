"""A small hand-made platform: a 30-account candidate network (office hours at UTC+8, created in a burst,
re-posting the same posts, pushing a few hashtags and one domain) among 80 ordinary accounts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from flockwatch import schema

NETWORK = [f"op{i:02d}" for i in range(30)]


def _t(name, rows):
    cols = schema.CANONICAL_TABLES[name].column_names
    return pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])


def load(ws, seed: int = 3) -> list[str]:
    rng = np.random.default_rng(seed)
    accounts, actions, tags, urls, mentions = [], [], [], [], []
    start = dt.datetime(2019, 6, 3)
    for i, a in enumerate(NETWORK):
        accounts.append(
            {
                "platform": "t",
                "account_id": a,
                "screen_name": f"hkvoice{int(rng.integers(10**7, 10**8))}",
                "created_at": dt.datetime(2019, 5, 20, 3) + dt.timedelta(minutes=i),
                "description": "Love Hong Kong, oppose violence and chaos",
                "reported_location": "Hong Kong",
            }
        )
    for i in range(80):
        accounts.append(
            {
                "platform": "t",
                "account_id": f"user{i:02d}",
                "screen_name": f"person_{i}",
                "created_at": dt.datetime(2015, 1, 1) + dt.timedelta(days=int(rng.integers(1500))),
                "description": f"my own words number {i}",
                "reported_location": "London",
            }
        )
    posts = [f"src{k}" for k in range(40)]
    tag_pool = ["反暴力", "hongkong", "protectHK", "riots"]
    n = 0
    for a in NETWORK:
        for k in range(40):
            day = start + dt.timedelta(days=int(rng.integers(70)))
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            local_hour = int(rng.choice([9, 10, 11, 13, 14, 15, 16, 17]))
            when = day.replace(hour=local_hour, minute=int(rng.integers(60))) - dt.timedelta(hours=8)
            aid = f"x{n}"
            n += 1
            if k % 2:
                actions.append(
                    {
                        "platform": "t",
                        "action_id": aid,
                        "account_id": a,
                        "kind": "repost",
                        "acted_at": when,
                        "target_action_id": str(rng.choice(posts)),
                        "target_account_id": "statenews",
                        "language": "zh",
                        "client": "Twitter Web App",
                    }
                )
            else:
                actions.append(
                    {
                        "platform": "t",
                        "action_id": aid,
                        "account_id": a,
                        "kind": "post",
                        "acted_at": when,
                        "text": "香港暴徒破坏社会秩序 stop the violence now",
                        "language": "zh",
                        "client": "Twitter Web App",
                    }
                )
                tags.append({"platform": "t", "action_id": aid, "hashtag": str(rng.choice(tag_pool))})
                urls.append(
                    {
                        "platform": "t",
                        "action_id": aid,
                        "url": f"https://news.example.cn/a/{k}",
                        "domain": "news.example.cn",
                    }
                )
                mentions.append({"platform": "t", "action_id": aid, "mentioned_account_id": "statenews"})
    for i in range(80):
        for k in range(20):
            when = start + dt.timedelta(
                days=int(rng.integers(70)), hours=int(rng.integers(7, 23)), minutes=int(rng.integers(60))
            )
            aid = f"x{n}"
            n += 1
            actions.append(
                {
                    "platform": "t",
                    "action_id": aid,
                    "account_id": f"user{i:02d}",
                    "kind": "post",
                    "acted_at": when,
                    "text": "what a lovely day at the market",
                    "language": "en",
                    "client": "Twitter for iPhone",
                }
            )
            if k == 0:
                tags.append({"platform": "t", "action_id": aid, "hashtag": "weekend"})
    for name, rows in (
        ("accounts", accounts),
        ("actions", actions),
        ("action_hashtags", tags),
        ("action_urls", urls),
        ("action_mentions", mentions),
    ):
        ws.engine.insert_arrow(name, _t(name, rows))
    return NETWORK
