"""A hand-made candidate network and background for attribution tests.

Members m0..m19: created on two days, active in UTC+8 office hours on weekdays, linking a state-media site and
replying to / mentioning a state-media account; logins through a VPN range or, leaking, from mainland prefixes.
Background b0..b79: created over years, active across the European day every day, linking other sites, logging in
from home prefixes in GB (a few through the same VPN provider).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

MEMBERS = [f"m{i}" for i in range(20)]
BACKGROUND = [f"b{i}" for i in range(80)]


def _t(rows, types):
    return pa.table({c: pa.array([r.get(c) for r in rows], types.get(c, pa.string())) for c in types})


def build(ws, with_infra: bool = True) -> None:
    e = ws.engine
    accounts = [
        {"platform": "twitter", "account_id": "sm1", "screen_name": "XHNews", "created_at": dt.datetime(2012, 3, 1)}
    ]
    for i, m in enumerate(MEMBERS):
        accounts.append(
            {
                "platform": "twitter",
                "account_id": m,
                "screen_name": f"Lina{10000000 + i}",
                "created_at": dt.datetime(2019, 6, 1 + i % 2, 3, i),
            }
        )
    for i, b in enumerate(BACKGROUND):
        accounts.append(
            {
                "platform": "twitter",
                "account_id": b,
                "screen_name": f"user{i}",
                "created_at": dt.datetime(2010, 1, 1) + dt.timedelta(days=37 * i),
            }
        )
    e.insert_arrow(
        "accounts",
        _t(
            accounts,
            {
                "platform": pa.string(),
                "account_id": pa.string(),
                "screen_name": pa.string(),
                "created_at": pa.timestamp("us"),
            },
        ),
    )
    acts, urls, ments = [], [], []
    day0 = dt.datetime(2019, 8, 5)  # a Monday
    for d in range(26):
        day = day0 + dt.timedelta(days=d)
        for i, m in enumerate(MEMBERS):
            if day.weekday() >= 5:
                continue
            for k in range(3):
                aid = f"{m}_{d}_{k}"
                t = day + dt.timedelta(hours=1 + (i + 3 * k) % 9, minutes=(7 * i + k) % 60)
                kind = "reply" if k == 2 else "post"
                acts.append(
                    {
                        "action_id": aid,
                        "account_id": m,
                        "kind": kind,
                        "acted_at": t,
                        "target_account_id": "sm1" if kind == "reply" else None,
                        "text": "the riots are paid for by foreign forces",
                    }
                )
                if k == 0:
                    urls.append(
                        {
                            "action_id": aid,
                            "url": f"https://www.chinadaily.com.cn/a/{d}{i}",
                            "domain": "www.chinadaily.com.cn",
                        }
                    )
                if k == 1:
                    ments.append({"action_id": aid, "mentioned_account_id": "XHNews"})
        for i, b in enumerate(BACKGROUND):
            for k in range(2):
                aid = f"{b}_{d}_{k}"
                t = day + dt.timedelta(hours=7 + (i * 5 + 7 * k) % 15, minutes=(3 * i) % 60)
                acts.append(
                    {"action_id": aid, "account_id": b, "kind": "post", "acted_at": t, "text": f"my day {d} was fine"}
                )
                if k == 0 and i % 2 == 0:
                    urls.append({"action_id": aid, "url": f"https://bbc.co.uk/news/{d}{i}", "domain": "bbc.co.uk"})
    for a in acts:
        a["platform"] = "twitter"
    e.insert_arrow(
        "actions",
        _t(
            acts,
            {
                "platform": pa.string(),
                "action_id": pa.string(),
                "account_id": pa.string(),
                "kind": pa.string(),
                "acted_at": pa.timestamp("us"),
                "target_account_id": pa.string(),
                "text": pa.string(),
            },
        ),
    )
    for u in urls:
        u["platform"] = "twitter"
    e.insert_arrow(
        "action_urls",
        _t(urls, {"platform": pa.string(), "action_id": pa.string(), "url": pa.string(), "domain": pa.string()}),
    )
    for m in ments:
        m["platform"] = "twitter"
    e.insert_arrow(
        "action_mentions",
        _t(ments, {"platform": pa.string(), "action_id": pa.string(), "mentioned_account_id": pa.string()}),
    )
    if with_infra:
        infra = []
        for i, m in enumerate(MEMBERS):
            vpn = i % 5 < 3
            infra.append(
                {
                    "account_id": m,
                    "ip_prefix": "45.76.1.0/24" if vpn else f"111.20{i % 2}.0.0/16",
                    "asn": 20473 if vpn else 4134,
                    "country": "US" if vpn else "CN",
                    "via_vpn": vpn,
                }
            )
        for i, b in enumerate(BACKGROUND):
            vpn = i % 20 == 0
            infra.append(
                {
                    "account_id": b,
                    "ip_prefix": "45.76.1.0/24" if vpn else f"81.{i}.0.0/16",
                    "asn": 20473 if vpn else 2856,
                    "country": "US" if vpn else "GB",
                    "via_vpn": vpn,
                }
            )
        for r in infra:
            r["platform"] = "twitter"
            r["seen_at"] = dt.datetime(2019, 8, 10)
        e.insert_arrow(
            "infrastructure",
            _t(
                infra,
                {
                    "platform": pa.string(),
                    "account_id": pa.string(),
                    "seen_at": pa.timestamp("us"),
                    "ip_prefix": pa.string(),
                    "asn": pa.int64(),
                    "country": pa.string(),
                    "via_vpn": pa.bool_(),
                },
            ),
        )
