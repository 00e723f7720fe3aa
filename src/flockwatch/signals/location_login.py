"""Claimed location against login country: a persona "in Hong Kong" that logs in from elsewhere or through VPNs.

Consumes ``accounts.reported_location`` (matched against the gazetteer of ``language_location.PLACES``) and
``infrastructure(country, via_vpn)``; produces ``location_login_mismatch`` rows for scoped accounts whose location
matches a known place and that have login observations (no logins → no row, never a "consistent" verdict).

What it measures: ``value`` = share of the account's logins that either went through a VPN exit or came from a
country other than the one its location claims. The 2019 case's own giveaway: accounts posing as Hong Kong residents
that logged in through VPNs and, when the VPN slipped, from unblocked mainland IP addresses. Evidence: the claimed
location and country, login count, VPN share, the countries seen.

False-positive risks: travellers, expatriates and people who keep an old location; privacy-minded users and people in
countries that block the platform use VPNs all the time; stale or ironic locations. On its own it is never evidence
of coordination, and it only counts against a network when most members show it (``networks/assessment.py``).
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish, platform_filter
from flockwatch.signals.language_location import PLACES

NAME = "location_login_mismatch"


def compute(engine: Engine, scope: Scope) -> pa.Table:
    plat, params = platform_filter(scope, "WHERE")
    places = pa.table({"keyword": list(PLACES), "country": [v[0] for v in PLACES.values()]})
    with engine.scratch("locationlogin") as s:
        name = s.register("places", places)
        out = fetch_arrow(
            engine,
            f"""
            WITH loc AS (
              SELECT a.platform, a.account_id, a.reported_location, p.country AS claimed,
                row_number() OVER (PARTITION BY a.platform, a.account_id ORDER BY len(p.keyword) DESC, p.keyword) AS rk
              FROM accounts a JOIN {scope.accounts_sql} sc USING (platform, account_id)
              JOIN {name} p ON contains(lower(a.reported_location), p.keyword)
            ), obs AS (SELECT * FROM infrastructure {plat})
            SELECT l.platform, l.account_id, '{NAME}' AS signal,
              avg(CASE WHEN coalesce(o.via_vpn, false) OR o.country IS DISTINCT FROM l.claimed THEN 1.0 ELSE 0.0 END)
                AS value,
              json_object('reported_location', any_value(l.reported_location), 'claimed_country', any_value(l.claimed),
                          'logins', count(*), 'vpn_share', round(avg(CASE WHEN o.via_vpn THEN 1.0 ELSE 0.0 END), 4),
                          'login_countries', list(DISTINCT o.country ORDER BY o.country)
                            FILTER (WHERE o.country IS NOT NULL)) AS evidence
            FROM loc l JOIN obs o ON o.platform = l.platform AND o.account_id = l.account_id
            WHERE l.rk = 1 GROUP BY l.platform, l.account_id
            ORDER BY value DESC, account_id
            """,
            params,
        )
    return finish(out)
