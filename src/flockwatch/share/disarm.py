"""DISARM techniques for the behaviours flockwatch finds, and which of them a set of accounts shows.

Consumes the shipped DISARM v1.6 subset (``data/disarm_v1_6.json``, CC BY-SA 4.0, see ``data/LICENSE.disarm.txt``)
and a workspace with a member set; produces :class:`Technique` rows and, per behaviour found, the evidence that
found it (:class:`Behaviour`). Every tag carries the framework version: v1.5 ids such as T0090 were removed in v1.6,
so a bare id without a version is ambiguous.

Behaviours (each with a threshold that says *why* it is tagged; none is proof):

- ``bot_amplification`` (T0049.003): the network's calibrated co-action edges include ``co_repost``/``fast_repost``;
- ``hashtag_flooding`` (T0049.002): edges include ``co_hashtag``;
- ``copypasta`` (T0084.001): edges include ``co_text``/``co_near_text``;
- ``bulk_created_accounts`` (T0150.008): at least ``BULK_MIN_ACCOUNTS`` members and ``BULK_MIN_SHARE`` of them
  created on one UTC day (the 2019 operation's accounts came in batches);
- ``newly_created_accounts`` (T0150.001): at least half the members created within ``NEW_ACCOUNT_DAYS`` days before
  their first action;
- ``vpn_use`` (T0149.007): members' login observations flagged ``via_vpn`` (infrastructure table);
- ``news_outlet_persona`` (T0097.202), ``online_community_page`` (T0151.003), ``online_community_group``
  (T0151.002): Pages/Groups administered by members (``assets``/``asset_admins``); a Page is a news-outlet persona
  when its name or description says news/media/daily/times/post.

To add a behaviour: add its technique to the shipped subset (from the DISARM bundle, same version) and a test here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from flockwatch.engine import Engine

FRAMEWORK_VERSION = "1.6"
BULK_MIN_ACCOUNTS = 5
BULK_MIN_SHARE = 0.3
NEW_ACCOUNT_DAYS = 90
_NEWS_WORDS = ("news", "media", "daily", "times", "post", "press", "tribune", "herald", "新闻", "日报")

_EDGE_BEHAVIOURS = {
    "co_repost": "bot_amplification",
    "fast_repost": "bot_amplification",
    "co_hashtag": "hashtag_flooding",
    "co_text": "copypasta",
    "co_near_text": "copypasta",
}


@dataclass(frozen=True)
class Technique:
    technique_id: str
    name: str
    url: str
    behaviour: str
    phases: tuple[str, ...]
    framework_version: str = FRAMEWORK_VERSION


@dataclass
class Behaviour:
    behaviour: str
    technique: Technique
    evidence: dict[str, Any] = field(default_factory=dict)


@cache
def catalogue() -> dict[str, Technique]:
    """Behaviour name → :class:`Technique` from the shipped subset."""
    doc = json.loads(resources.files("flockwatch.share").joinpath("data/disarm_v1_6.json").read_text("utf-8"))
    if doc.get("framework_version") != FRAMEWORK_VERSION:
        raise RuntimeError(f"shipped DISARM subset is v{doc.get('framework_version')}, expected v{FRAMEWORK_VERSION}")
    return {
        t["behaviour"]: Technique(t["technique_id"], t["name"], t["url"], t["behaviour"], tuple(t["phases"]))
        for t in doc["techniques"]
    }


def find_behaviours(engine: Engine, members_relation: str, signals: dict[str, int]) -> list[Behaviour]:
    """The behaviours the accounts in ``members_relation`` (a relation with ``account_id``) show, with evidence.

    ``signals``: detector name → number of member pairs it linked (a network's ``signals``)."""
    cat = catalogue()
    found: dict[str, Behaviour] = {}
    for det, n in sorted(signals.items()):
        b = _EDGE_BEHAVIOURS.get(det)
        if b and n:
            found.setdefault(b, Behaviour(b, cat[b], {"detectors": {}}))
            found[b].evidence["detectors"][det] = n
    m = members_relation
    n_members, top_day, top_day_n, n_new = engine.sql(
        f"""WITH a AS (SELECT a.account_id, a.created_at FROM accounts a SEMI JOIN {m} USING (account_id)),
            d AS (SELECT CAST(created_at AS DATE) AS day, count(*) AS n FROM a WHERE created_at IS NOT NULL
                  GROUP BY 1 ORDER BY n DESC, day LIMIT 1),
            f AS (SELECT account_id, min(acted_at) AS first_at FROM actions SEMI JOIN {m} USING (account_id) GROUP BY 1)
        SELECT (SELECT count(*) FROM {m}), (SELECT day FROM d), coalesce((SELECT n FROM d), 0),
               (SELECT count(*) FROM a JOIN f USING (account_id)
                WHERE f.first_at - a.created_at BETWEEN INTERVAL 0 DAY AND INTERVAL {NEW_ACCOUNT_DAYS} DAY)"""
    ).one() or (0, None, 0, 0)
    if n_members and top_day_n >= BULK_MIN_ACCOUNTS and top_day_n / n_members >= BULK_MIN_SHARE:
        found["bulk_created_accounts"] = Behaviour(
            "bulk_created_accounts",
            cat["bulk_created_accounts"],
            {"created_on": str(top_day), "accounts": int(top_day_n), "members": int(n_members)},
        )
    if n_members and n_new * 2 >= n_members:
        found["newly_created_accounts"] = Behaviour(
            "newly_created_accounts",
            cat["newly_created_accounts"],
            {"new_accounts": int(n_new), "members": int(n_members), "within_days": NEW_ACCOUNT_DAYS},
        )
    vpn_accounts, vpn_logins = engine.sql(
        f"SELECT count(DISTINCT account_id), count(*) FROM infrastructure SEMI JOIN {m} USING (account_id) "
        "WHERE via_vpn"
    ).one() or (0, 0)
    if vpn_accounts:
        found["vpn_use"] = Behaviour(
            "vpn_use", cat["vpn_use"], {"accounts_via_vpn": int(vpn_accounts), "logins_via_vpn": int(vpn_logins)}
        )
    assets = engine.sql(
        f"""SELECT DISTINCT s.asset_id, lower(s.kind), coalesce(s.name, ''), coalesce(s.description, '')
            FROM assets s JOIN asset_admins d ON s.platform = d.platform AND s.asset_id = d.asset_id
            SEMI JOIN {m} ON d.account_id = {m}.account_id ORDER BY 1"""
    ).rows()
    for kind, behaviour in (("page", "online_community_page"), ("group", "online_community_group")):
        ids = [a for a, k, _, _ in assets if k == kind]
        if ids:
            found[behaviour] = Behaviour(behaviour, cat[behaviour], {"asset_ids": ids})
    news = [
        a for a, k, name, desc in assets if k == "page" and any(w in (name + " " + desc).lower() for w in _NEWS_WORDS)
    ]
    if news:
        found["news_outlet_persona"] = Behaviour("news_outlet_persona", cat["news_outlet_persona"], {"asset_ids": news})
    return [found[k] for k in sorted(found)]
