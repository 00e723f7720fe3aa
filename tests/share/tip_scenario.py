"""A sending platform with one flagged candidate network, and a receiving platform with some of its accounts.

Sender ("twitter"): members m0..m19 created on two days in June 2019, reposting one another, pushing #hkriots and
links to a fake news site (hk-truth.example), logging in through a VPN prefix (203.0.113.0/24, AS 64500), posting
one copy-paste text; one member runs a news Page and a Group. Background b0..b59: ordinary accounts with common
display names that link bbc.co.uk and use #hongkong like everyone. Detection run R1 holds network N0001 (members)
and N0002 (three background accounts, not flagged).

Receiver ("facebook"): five accounts whose handles are the same people's (peer0..peer4 = m0..m4's screen names in
another case), one renamed (its old handle is in ``account_handles``), accounts with common display names, an
account whose handle collides with a common word, and accounts that post the copy-paste text with a small change.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

MEMBERS = [f"m{i}" for i in range(20)]
BACKGROUND = [f"b{i}" for i in range(60)]
COPYPASTA = "The rioters in Hong Kong are paid by foreign forces and do not speak for the people of the city"
FAKE_SITE = "hk-truth.example"
VPN_PREFIX = "203.0.113.0/24"
VPN_ASN = 64500
COMMON_NAMES = ["John Smith", "Maria Garcia", "David Lee", "Anna Müller", "Wei Zhang"]


def _table(rows: list[dict], types: dict) -> pa.Table:
    return pa.table({c: pa.array([r.get(c) for r in rows], t) for c, t in types.items()})


ACCOUNT_TYPES = {
    "platform": pa.string(),
    "account_id": pa.string(),
    "screen_name": pa.string(),
    "display_name": pa.string(),
    "created_at": pa.timestamp("us"),
}
ACTION_TYPES = {
    "platform": pa.string(),
    "action_id": pa.string(),
    "account_id": pa.string(),
    "kind": pa.string(),
    "acted_at": pa.timestamp("us"),
    "target_action_id": pa.string(),
    "text": pa.string(),
}


def member_handle(i: int) -> str:
    return f"HKvoice{1000 + i}"


def build_sender(ws) -> None:
    e = ws.engine
    accounts = [
        {
            "platform": "twitter",
            "account_id": m,
            "screen_name": member_handle(i),
            "display_name": f"HK Voice {i}",
            "created_at": dt.datetime(2019, 6, 1 + i % 2, 3, i),
        }
        for i, m in enumerate(MEMBERS)
    ]
    accounts += [
        {
            "platform": "twitter",
            "account_id": b,
            "screen_name": f"reader{i}",
            "display_name": COMMON_NAMES[i % len(COMMON_NAMES)],
            "created_at": dt.datetime(2011, 1, 1) + dt.timedelta(days=41 * i),
        }
        for i, b in enumerate(BACKGROUND)
    ]
    e.insert_arrow("accounts", _table(accounts, ACCOUNT_TYPES))
    acts, tags, urls, infra = [], [], [], []
    t0 = dt.datetime(2019, 8, 5, 2)
    for d in range(10):
        for i, m in enumerate(MEMBERS):
            aid = f"a-{m}-{d}"
            text = COPYPASTA if d % 3 == 0 else f"Day {d}: stand with the police #hkriots https://{FAKE_SITE}/p/{d}"
            acts.append(
                {
                    "platform": "twitter",
                    "action_id": aid,
                    "account_id": m,
                    "kind": "post",
                    "acted_at": t0 + dt.timedelta(days=d, minutes=i),
                    "text": text,
                }
            )
            tags.append({"platform": "twitter", "action_id": aid, "hashtag": "hkriots"})
            urls.append(
                {"platform": "twitter", "action_id": aid, "url": f"https://{FAKE_SITE}/p/{d}", "domain": FAKE_SITE}
            )
            infra.append(
                {
                    "platform": "twitter",
                    "account_id": m,
                    "seen_at": t0 + dt.timedelta(days=d),
                    "ip_prefix": VPN_PREFIX,
                    "asn": VPN_ASN,
                    "country": "US",
                    "via_vpn": True,
                }
            )
        for i, b in enumerate(BACKGROUND):
            aid = f"a-{b}-{d}"
            acts.append(
                {
                    "platform": "twitter",
                    "action_id": aid,
                    "account_id": b,
                    "kind": "post",
                    "acted_at": t0 + dt.timedelta(days=d, hours=i % 12),
                    "text": f"reading the news #hongkong {i} {d}",
                }
            )
            tags.append({"platform": "twitter", "action_id": aid, "hashtag": "hongkong"})
            urls.append(
                {
                    "platform": "twitter",
                    "action_id": aid,
                    "url": f"https://www.bbc.co.uk/news/{i}",
                    "domain": "bbc.co.uk",
                }
            )
            infra.append(
                {
                    "platform": "twitter",
                    "account_id": b,
                    "seen_at": t0 + dt.timedelta(days=d),
                    "ip_prefix": f"81.2.{i}.0/24",
                    "asn": 2856,
                    "country": "GB",
                    "via_vpn": False,
                }
            )
    # members also link the BBC and use #hongkong, like everyone: neither may become an indicator
    for i, m in enumerate(MEMBERS[:5]):
        aid = f"a-{m}-bbc"
        acts.append(
            {
                "platform": "twitter",
                "action_id": aid,
                "account_id": m,
                "kind": "post",
                "acted_at": t0,
                "text": "bbc #hongkong",
            }
        )
        tags.append({"platform": "twitter", "action_id": aid, "hashtag": "hongkong"})
        urls.append(
            {"platform": "twitter", "action_id": aid, "url": f"https://www.bbc.co.uk/news/x{i}", "domain": "bbc.co.uk"}
        )
    e.insert_arrow("actions", _table(acts, ACTION_TYPES))
    e.insert_arrow(
        "action_hashtags", _table(tags, {"platform": pa.string(), "action_id": pa.string(), "hashtag": pa.string()})
    )
    e.insert_arrow(
        "action_urls",
        _table(urls, {"platform": pa.string(), "action_id": pa.string(), "url": pa.string(), "domain": pa.string()}),
    )
    e.insert_arrow(
        "infrastructure",
        _table(
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
    e.insert_arrow(
        "assets",
        _table(
            [
                {
                    "platform": "twitter",
                    "asset_id": "page1",
                    "kind": "page",
                    "name": "Hong Kong Truth Daily News",
                    "created_at": dt.datetime(2019, 6, 3),
                },
                {
                    "platform": "twitter",
                    "asset_id": "group1",
                    "kind": "group",
                    "name": "Friends of HK police",
                    "created_at": dt.datetime(2019, 6, 4),
                },
            ],
            {
                "platform": pa.string(),
                "asset_id": pa.string(),
                "kind": pa.string(),
                "name": pa.string(),
                "created_at": pa.timestamp("us"),
            },
        ),
    )
    e.insert_arrow(
        "asset_admins",
        _table(
            [
                {"platform": "twitter", "asset_id": "page1", "account_id": "m0", "role": "admin"},
                {"platform": "twitter", "asset_id": "group1", "account_id": "m1", "role": "admin"},
            ],
            {"platform": pa.string(), "asset_id": pa.string(), "account_id": pa.string(), "role": pa.string()},
        ),
    )
    store_run(ws)


def store_run(ws, run_id: str = "R1") -> None:
    e = ws.engine
    e.sql(
        "INSERT INTO detection_runs VALUES (?, '{}', ?, ?, 'co_repost,co_hashtag', 0, 0, 'done')",
        [run_id, dt.datetime(2019, 9, 1), dt.datetime(2019, 9, 1, 1)],
    )
    e.sql(
        """INSERT INTO networks (run_id, network_id, size, score, flagged, density, signals, first_at, last_at,
           top_targets_json, timeline_json, explanation) VALUES
           (?, 'N0001', 20, 0.83, true, 0.4, '{"co_repost": 120, "co_hashtag": 80}', ?, ?, '{}', '[]',
            'Members repost one another within minutes and flood #hkriots.'),
           (?, 'N0002', 3, 0.12, false, 0.1, '{"co_link": 2}', ?, ?, '{}', '[]', 'weak')""",
        [
            run_id,
            dt.datetime(2019, 8, 5),
            dt.datetime(2019, 8, 15),
            run_id,
            dt.datetime(2019, 8, 5),
            dt.datetime(2019, 8, 15),
        ],
    )
    rows = [(run_id, "N0001", m, 0.8, 3, 2.0) for m in MEMBERS] + [
        (run_id, "N0002", b, 0.1, 1, 0.1) for b in BACKGROUND[:3]
    ]
    e.executemany(
        "INSERT INTO network_members (run_id, network_id, account_id, account_score, degree, strength) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    e.sql(
        "INSERT INTO operations VALUES (?, 'O0001', 1, 20, 0.83, '{}', ?, ?)",
        [run_id, dt.datetime(2019, 8, 5), dt.datetime(2019, 8, 15)],
    )
    e.sql("INSERT INTO operation_networks VALUES (?, 'O0001', 'N0001')", [run_id])


RECEIVER_MATCHES = [f"fb{i}" for i in range(5)]


def build_receiver(ws) -> None:
    """The receiving platform: fb0..fb4 are the tipped people (fb3 renamed since; fb4 only posts the copy-paste
    text reworded a little); c0..c9 carry common display names and common handles and share nothing with the
    operation; r0..r29 are ordinary users, some linking the BBC."""
    e = ws.engine
    accounts = []
    for i, a in enumerate(RECEIVER_MATCHES):
        accounts.append(
            {
                "platform": "facebook",
                "account_id": a,
                "screen_name": "hk_new_voice" if i == 3 else member_handle(i).lower(),
                "display_name": f"HK Voice {i}",
                "created_at": dt.datetime(2019, 6, 2),
            }
        )
    common_handles = ["news", "johnsmith", "maria", "david", "anna", "weizhang", "reader", "hello", "truth", "voice"]
    for i in range(10):
        accounts.append(
            {
                "platform": "facebook",
                "account_id": f"c{i}",
                "screen_name": common_handles[i],
                "display_name": COMMON_NAMES[i % len(COMMON_NAMES)],
                "created_at": dt.datetime(2012, 1, 1),
            }
        )
    for i in range(30):
        accounts.append(
            {
                "platform": "facebook",
                "account_id": f"r{i}",
                "screen_name": f"person.{i}",
                "display_name": f"Person {i}",
                "created_at": dt.datetime(2014, 1, 1),
            }
        )
    e.insert_arrow("accounts", _table(accounts, ACCOUNT_TYPES))
    # fb3's handle before it was renamed (what ingest records when a later export shows the new name)
    e.sql("DELETE FROM account_handles")
    e.sql("INSERT INTO account_handles SELECT platform, account_id, screen_name, NULL, NULL FROM accounts")
    e.sql("INSERT INTO account_handles VALUES ('facebook', 'fb3', ?, NULL, NULL)", [member_handle(3)])
    acts, urls = [], []
    t0 = dt.datetime(2019, 8, 6)
    for i, a in enumerate(RECEIVER_MATCHES):
        if i < 4:
            aid = f"fa-{a}"
            acts.append(
                {
                    "platform": "facebook",
                    "action_id": aid,
                    "account_id": a,
                    "kind": "share",
                    "acted_at": t0,
                    "text": "look",
                }
            )
            urls.append(
                {"platform": "facebook", "action_id": aid, "url": f"https://{FAKE_SITE}/p/{i}", "domain": FAKE_SITE}
            )
        else:
            aid = f"fa-{a}"
            acts.append(
                {
                    "platform": "facebook",
                    "action_id": aid,
                    "account_id": a,
                    "kind": "post",
                    "acted_at": t0,
                    "text": COPYPASTA.replace("foreign forces", "foreign powers"),
                }
            )
    for i in range(30):
        aid = f"fa-r{i}"
        acts.append(
            {
                "platform": "facebook",
                "action_id": aid,
                "account_id": f"r{i}",
                "kind": "share",
                "acted_at": t0,
                "text": "news",
            }
        )
        urls.append(
            {"platform": "facebook", "action_id": aid, "url": f"https://www.bbc.co.uk/news/{i}", "domain": "bbc.co.uk"}
        )
    e.insert_arrow("actions", _table(acts, ACTION_TYPES))
    e.insert_arrow(
        "action_urls",
        _table(urls, {"platform": pa.string(), "action_id": pa.string(), "url": pa.string(), "domain": pa.string()}),
    )
    e.insert_arrow(
        "assets",
        _table(
            [
                {
                    "platform": "facebook",
                    "asset_id": "fbpage9",
                    "kind": "page",
                    "name": "Hong Kong Truth Daily News",
                    "created_at": dt.datetime(2019, 6, 5),
                }
            ],
            {
                "platform": pa.string(),
                "asset_id": pa.string(),
                "kind": pa.string(),
                "name": pa.string(),
                "created_at": pa.timestamp("us"),
            },
        ),
    )


def collision_bundle() -> dict:
    """A peer's bundle naming people by common display names and handles that others hold here (no content)."""
    import stix2

    objs = [stix2.v21.TLP_AMBER]
    peer = stix2.v21.Identity(name="Peer platform", identity_class="organization")
    objs.append(peer)
    for handle, name in [
        ("johnsmith", "John Smith"),
        ("maria", "Maria Garcia"),
        ("news", "David Lee"),
        ("anna", "Anna Müller"),
    ]:
        objs.append(
            stix2.v21.UserAccount(
                account_login=handle, display_name=name, account_type="vk", object_marking_refs=[stix2.v21.TLP_AMBER.id]
            )
        )
    return json_of(stix2.v21.Bundle(objects=objs))


def json_of(bundle) -> dict:
    import json

    return json.loads(bundle.serialize())
