"""Infrastructure concentration: accounts logging in from the same IP prefixes, ASNs or VPN exits.

Consumes ``infrastructure(account_id, seen_at, ip_prefix, asn, country, via_vpn)`` — platform-internal data that
public archives do not carry (no rows → no signal rows, never a "clean" verdict); produces ``shared_infrastructure``
and ``vpn_use`` rows for scoped accounts with observations.

What it measures:
- ``shared_infrastructure``: n = the largest number of distinct accounts (platform-wide) seen on any one IP prefix
  this account used; ``value = 1 - 1/n``. Evidence: that prefix, its ASN and country, n, and how many of those
  accounts are in scope. 2019's attribution rested on exactly this: specific unblocked mainland IP addresses shared
  by accounts that otherwise posed as unrelated.
- ``vpn_use``: share of the account's observations made through a VPN exit, with the countries seen.

False-positive risks: carrier-grade NAT, mobile carriers, universities, corporate proxies and popular VPN exits put
thousands of unrelated people behind one prefix (n large for *everyone* there — compare with the prefix's size on the
platform before acting); VPN use is common among people who need privacy, including in countries that block the
platform — on its own it is never evidence of coordination.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish, platform_filter

SHARED = "shared_infrastructure"
VPN = "vpn_use"


def compute(engine: Engine, scope: Scope) -> pa.Table:
    plat, params = platform_filter(scope, "WHERE")
    out = fetch_arrow(
        engine,
        f"""
        WITH obs AS (SELECT * FROM infrastructure {plat}),
        prefix_size AS (
          SELECT platform, ip_prefix, count(DISTINCT account_id) AS n FROM obs
          WHERE ip_prefix IS NOT NULL GROUP BY ALL
        ), scoped AS (SELECT o.* FROM obs o JOIN {scope.accounts_sql} s USING (platform, account_id)),
        scope_prefix AS (
          SELECT platform, ip_prefix, count(DISTINCT account_id) AS scope_n FROM scoped GROUP BY ALL
        ), best AS (
          SELECT s.platform, s.account_id, s.ip_prefix, any_value(s.asn) AS asn, any_value(s.country) AS country,
            ps.n, sp.scope_n,
            row_number() OVER (PARTITION BY s.platform, s.account_id ORDER BY ps.n DESC, s.ip_prefix) AS rk
          FROM scoped s JOIN prefix_size ps USING (platform, ip_prefix) JOIN scope_prefix sp USING (platform, ip_prefix)
          GROUP BY s.platform, s.account_id, s.ip_prefix, ps.n, sp.scope_n
        ), vpn AS (
          SELECT platform, account_id, count(*) AS n_obs,
            avg(CASE WHEN via_vpn THEN 1.0 ELSE 0.0 END) AS vpn_share,
            list(DISTINCT country ORDER BY country) FILTER (WHERE country IS NOT NULL) AS countries,
            count(DISTINCT asn) AS n_asns
          FROM scoped GROUP BY ALL
        )
        SELECT platform, account_id, '{SHARED}' AS signal, 1.0 - 1.0 / n AS value,
          json_object('ip_prefix', ip_prefix, 'asn', asn, 'country', country, 'accounts_on_prefix', n,
                      'accounts_on_prefix_in_scope', scope_n) AS evidence
        FROM best WHERE rk = 1
        UNION ALL
        SELECT platform, account_id, '{VPN}', vpn_share,
          json_object('observations', n_obs, 'vpn_share', round(vpn_share, 4), 'countries', countries,
                      'distinct_asns', n_asns)
        FROM vpn
        ORDER BY signal, value DESC, account_id
        """,
        params,
    )
    return finish(out)
