"""``co_domain``: accounts that link to the same web domain within the window.

Consumes ``action_urls`` joined to ``actions`` (reposts excluded); the target is the host name without ``www.``.
Domains are far more popular targets than URLs; the kernel's calibration discounts them accordingly. Link
shorteners (``SHORTENER_DOMAINS``: t.co, bit.ly, ...) say nothing about the destination and are left out; ``co_link``
still matches their full URLs.
"""

from flockwatch.core.urls import domain_or_host_sql
from flockwatch.detect.base import Detector, epoch_s

SHORTENER_DOMAINS = (
    "t.co",
    "bit.ly",
    "goo.gl",
    "ow.ly",
    "tinyurl.com",
    "buff.ly",
    "dlvr.it",
    "ift.tt",
    "fb.me",
    "is.gd",
    "trib.al",
)


def _sql(p):
    return f"""
SELECT account_id, target, target AS unit, acted_at_s, action_id FROM (
  SELECT a.account_id, {domain_or_host_sql("u.domain", "u.url")} AS target,
         {epoch_s("a.acted_at")} AS acted_at_s, a.action_id
  FROM action_urls u JOIN actions a ON a.platform = u.platform AND a.action_id = u.action_id
  WHERE a.kind <> 'repost' AND a.acted_at IS NOT NULL
) WHERE target IS NOT NULL AND target <> ''
  AND target NOT IN ({", ".join("'" + d + "'" for d in SHORTENER_DOMAINS)})"""


DETECTOR = Detector(
    name="co_domain",
    description="Linked to the same domain within the window.",
    build_sql=_sql,
    default_params={"window_s": 120.0},
)
