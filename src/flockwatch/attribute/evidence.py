"""Evidence collectors: each reads the canonical tables for a candidate network and states hedged claims, each
pointing to the rows that support it.

Consumes an Engine, the caller's :class:`~flockwatch.engine.Scratch` ``s`` (the member accounts registered in it as
``s.members(account_id)``; collectors add their own relations there) and a :class:`StateMediaReference`; produces
:class:`Claim` objects. A claim has a ``category`` (infrastructure, timing, state_media_amplification,
narrative_alignment, creation_pattern), a ``strength`` (0 = noted, 1 = supports, 2 = strongly supports), the countries it ``points_to`` (empty for claims about coordination rather than origin),
and ``rows`` (action ids, account ids, prefixes, counts) — the evidence an analyst can check.

Every comparison is against the rest of the workspace (the background): a network that logs in from a country where
everyone logs in from, or posts in the time zone every account posts in, earns no strength for it.

Extending: write ``collect_<category>(engine, s, ref) -> list[Claim]`` and add it to ``COLLECTORS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flockwatch.attribute.state_media import StateMediaReference
from flockwatch.engine import Engine, Scratch

#: Countries whose standard time is this many hours east of UTC (the ones information operations have been
#: attributed to most often, plus the populous ones); a time zone narrows, it never names, a country.
OFFSET_COUNTRIES: dict[int, list[str]] = {
    -8: ["US", "CA", "MX"],
    -7: ["US", "CA", "MX"],
    -6: ["US", "MX", "CA"],
    -5: ["US", "CA", "CU", "CO", "PE"],
    -4: ["VE", "BO", "CA"],
    -3: ["BR", "AR"],
    0: ["GB", "PT", "GH"],
    1: ["DE", "FR", "NG", "RS", "PL", "ES", "IT"],
    2: ["UA", "EG", "IL", "BY", "RO", "GR", "ZA"],
    3: ["RU", "BY", "TR", "SA", "IQ", "KE"],
    4: ["AE", "AM", "AZ", "GE"],
    5: ["PK", "UZ"],
    6: ["BD", "KZ"],
    7: ["TH", "VN", "ID"],
    8: ["CN", "HK", "TW", "SG", "MY", "PH"],
    9: ["KP", "KR", "JP"],
    10: ["AU"],
    3.5: ["IR"],
    4.5: ["AF"],
    5.5: ["IN"],
}


@dataclass
class Claim:
    category: str
    text: str
    strength: int
    points_to: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    contrary: bool = False
    """True when the claim points away from the leading hypothesis (set by the assessment)."""
    claim_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.claim_id,
            "category": self.category,
            "claim": self.text,
            "strength": self.strength,
            "points_to": self.points_to,
            "rows": self.rows,
        }


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# -- infrastructure ------------------------------------------------------------------------------------------------
def collect_infrastructure(e: Engine, s: Scratch, ref: StateMediaReference) -> list[Claim]:
    n = e.sql(
        f"SELECT count(DISTINCT account_id) FROM infrastructure SEMI JOIN {s.members} USING (account_id)"
    ).scalar()
    if not n:
        return []
    claims: list[Claim] = []
    prefixes = e.sql(
        f"""WITH m AS (SELECT DISTINCT i.ip_prefix, i.account_id FROM infrastructure i SEMI JOIN {s.members} USING
                       (account_id) WHERE ip_prefix IS NOT NULL),
                 allp AS (SELECT ip_prefix, count(DISTINCT account_id) AS n_all FROM infrastructure
                           WHERE ip_prefix IN (SELECT ip_prefix FROM m) GROUP BY ip_prefix)
            SELECT m.ip_prefix, count(*) AS members, any_value(allp.n_all) - count(*) AS others,
                   list(m.account_id ORDER BY m.account_id)[1:10] AS accounts
              FROM m JOIN allp USING (ip_prefix) GROUP BY m.ip_prefix HAVING count(*) >= 3
             ORDER BY members DESC, m.ip_prefix LIMIT 20"""
    ).dicts()
    covered = (
        e.sql(
            f"""WITH p AS (SELECT ip_prefix FROM infrastructure SEMI JOIN {s.members} USING (account_id)
                        WHERE ip_prefix IS NOT NULL GROUP BY ip_prefix HAVING count(DISTINCT account_id) >= 3)
            SELECT count(DISTINCT account_id) FROM infrastructure SEMI JOIN {s.members} USING (account_id)
             WHERE ip_prefix IN (SELECT ip_prefix FROM p)"""
        ).scalar()
        or 0
    )
    if prefixes:
        share = covered / n
        exclusive = [p for p in prefixes if p["others"] <= p["members"]]
        strength = 2 if share >= 0.5 and exclusive else 1 if share >= 0.2 else 0
        claims.append(
            Claim(
                "infrastructure",
                f"{covered} of {n} members with login data ({_pct(share)}) share {len(prefixes)} IP prefixes with at least "
                f"two other members; {len(exclusive)} of these prefixes are used mostly by members",
                strength,
                [],
                [
                    {
                        "ip_prefix": p["ip_prefix"],
                        "members": p["members"],
                        "other_accounts": p["others"],
                        "account_ids": p["accounts"],
                    }
                    for p in prefixes
                ],
            )
        )
    vpn = (
        e.sql(
            f"""SELECT avg(CASE WHEN v THEN 1.0 ELSE 0.0 END) FROM (SELECT account_id, bool_or(coalesce(via_vpn, false)) v
             FROM infrastructure SEMI JOIN {s.members} USING (account_id) GROUP BY account_id)"""
        ).scalar()
        or 0.0
    )
    vpn_bg = (
        e.sql(
            f"""SELECT avg(CASE WHEN v THEN 1.0 ELSE 0.0 END) FROM (SELECT account_id, bool_or(coalesce(via_vpn, false)) v
             FROM infrastructure WHERE account_id NOT IN (SELECT account_id FROM {s.members}) GROUP BY account_id)"""
        ).scalar()
        or 0.0
    )
    if vpn > 0:
        vpn_rows = e.sql(
            f"""SELECT ip_prefix, country, count(DISTINCT account_id) AS members FROM infrastructure
                SEMI JOIN {s.members} USING (account_id) WHERE via_vpn GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 10"""
        ).dicts()
        claims.append(
            Claim(
                "infrastructure",
                f"{_pct(vpn)} of members with login data logged in through VPN exits (other accounts: {_pct(vpn_bg)}); "
                "VPN use hides origin and is common among operators and ordinary users alike",
                1 if vpn >= 0.3 and vpn >= 2 * max(vpn_bg, 0.01) else 0,
                [],
                vpn_rows,
            )
        )
    countries = e.sql(
        f"""WITH m AS (SELECT country, count(DISTINCT account_id) AS n FROM infrastructure SEMI JOIN {s.members}
                        USING (account_id) WHERE NOT coalesce(via_vpn, false) AND country IS NOT NULL GROUP BY country),
                 b AS (SELECT country, count(DISTINCT account_id) AS n FROM infrastructure
                        WHERE account_id NOT IN (SELECT account_id FROM {s.members}) AND NOT coalesce(via_vpn, false)
                          AND country IS NOT NULL GROUP BY country)
            SELECT m.country, m.n AS members, coalesce(b.n, 0) AS others,
                   m.n / (SELECT sum(n) FROM m) AS share,
                   coalesce(b.n, 0) / greatest((SELECT sum(n) FROM b), 1) AS bg_share
              FROM m LEFT JOIN b USING (country) ORDER BY m.n DESC, m.country LIMIT 5"""
    ).dicts()
    if countries:
        top = countries[0]
        share, bg = float(top["share"]), float(top["bg_share"] or 0.0)
        lift = share / max(bg, 0.005)
        strength = 2 if share >= 0.5 and lift >= 3 else 1 if share >= 0.3 and lift >= 1.5 else 0
        claims.append(
            Claim(
                "infrastructure",
                f"of members' logins that did not use a VPN, {_pct(share)} of the accounts logged in from {top['country']} "
                f"(other accounts: {_pct(bg)}), a leak of origin of the kind platform attributions have rested on",
                strength,
                [str(top["country"])] if strength else [],
                [{k: (float(v) if k.endswith("share") else v) for k, v in r.items()} for r in countries],
            )
        )
    return claims


# -- timing --------------------------------------------------------------------------------------------------------
def collect_timing(e: Engine, s: Scratch, ref: StateMediaReference) -> list[Claim]:
    ids = [r[0] for r in e.sql(f"SELECT account_id FROM {s.members}").rows()]
    n_actions = e.sql(f"SELECT count(*) FROM actions SEMI JOIN {s.members} USING (account_id)").scalar() or 0
    if n_actions == 0:
        return []
    from flockwatch.signals.working_hours import fingerprint_of

    how = e.sql(
        f"""SELECT (isodow(acted_at) - 1) * 24 + hour(acted_at) AS hour_of_week_utc, count(*) AS actions
              FROM actions SEMI JOIN {s.members} USING (account_id) GROUP BY 1 ORDER BY 1"""
    ).dicts()
    sample = [
        r[0]
        for r in e.sql(
            f"SELECT action_id FROM actions SEMI JOIN {s.members} USING (account_id) ORDER BY acted_at, action_id LIMIT 10"
        ).rows()
    ]
    rows = [{"hour_of_week_utc": int(r["hour_of_week_utc"]), "actions": int(r["actions"])} for r in how]
    fp = fingerprint_of(e, ids)
    if fp.utc_offset_h is None:
        return []
    offset, label, level, shape = fp.utc_offset_h, fp.label, fp.confidence_level, fp.shape
    bg = fingerprint_of(e, None)
    method = "working-hours fingerprint (flockwatch.signals)"
    office = fp.office_hours
    strength = {"high": 2, "moderate": 1}.get(level, 0) if shape == "office" else (1 if level == "high" else 0)
    same_as_bg = bg.utc_offset_h == offset
    if same_as_bg:
        strength = max(0, strength - 1)
    countries = OFFSET_COUNTRIES.get(offset, [])
    text = (
        f"members' activity fits {label} ({shape or 'unknown'} shape, {level} confidence; {method})"
        + ("; the rest of the workspace is active in the same zone, so timing separates little" if same_as_bg else "")
        + (f"; countries in that zone include {', '.join(countries)}" if countries else "")
    )
    rows = [
        {
            "utc_offset_h": offset,
            "label": label,
            "shape": shape,
            "confidence_level": level,
            "office_hours": office,
            "first_action_ids": sample,
        }
    ] + rows
    return [Claim("timing", text, strength, countries if strength else [], rows)]


# -- state media ---------------------------------------------------------------------------------------------------
def _register_reference(e: Engine, s: Scratch, ref: StateMediaReference) -> None:
    import pyarrow as pa

    s.register(
        "sm_handles",
        pa.table(
            {
                "handle": pa.array(list(ref.handles), pa.string()),
                "country": pa.array(list(ref.handles.values()), pa.string()),
            }
        ),
    )
    s.register(
        "sm_domains",
        pa.table(
            {
                "domain": pa.array(list(ref.domains), pa.string()),
                "country": pa.array(list(ref.domains.values()), pa.string()),
            }
        ),
    )
    # state-media accounts in this workspace: by screen name, or by id when the reference lists ids
    e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.sm_accounts} AS
             SELECT DISTINCT a.account_id, h.handle, h.country FROM accounts a
               JOIN {s.sm_handles} h ON lower(a.screen_name) = h.handle OR lower(a.account_id) = h.handle""")


def collect_state_media_amplification(e: Engine, s: Scratch, ref: StateMediaReference) -> list[Claim]:
    if not ref.handles:
        return []
    _register_reference(e, s, ref)
    amp_sql = f"""SELECT a.action_id, a.account_id, s.handle, s.country FROM actions a
                   JOIN {s.sm_accounts} s ON a.target_account_id = s.account_id
                 UNION
                 SELECT a.action_id, a.account_id, h.handle, h.country FROM actions a
                   JOIN action_mentions m USING (action_id)
                   JOIN {s.sm_handles} h ON lower(m.mentioned_account_id) = h.handle
                 UNION
                 SELECT a.action_id, a.account_id, s.handle, s.country FROM actions a
                   JOIN action_mentions m USING (action_id)
                   JOIN {s.sm_accounts} s ON m.mentioned_account_id = s.account_id"""
    e.sql(f"CREATE OR REPLACE TEMP TABLE {s.sm_amp} AS {amp_sql}")
    m_total = e.sql(f"SELECT count(*) FROM actions SEMI JOIN {s.members} USING (account_id)").scalar() or 0
    b_total = (
        e.sql(f"SELECT count(*) FROM actions WHERE account_id NOT IN (SELECT account_id FROM {s.members})").scalar()
        or 0
    )
    m_amp = (
        e.sql(f"SELECT count(DISTINCT action_id) FROM {s.sm_amp} SEMI JOIN {s.members} USING (account_id)").scalar()
        or 0
    )
    b_amp = (
        e.sql(
            f"SELECT count(DISTINCT action_id) FROM {s.sm_amp} WHERE account_id NOT IN "
            f"(SELECT account_id FROM {s.members})"
        ).scalar()
        or 0
    )
    if not m_amp:
        return [
            Claim(
                "state_media_amplification",
                f"members did not repost, reply to or mention any of the {len(ref.handles)} state-media "
                "accounts in the reference",
                0,
                [],
                [{"state_media_handles": len(ref.handles), "member_actions": m_total}],
            )
        ]
    rate, bg = m_amp / max(m_total, 1), b_amp / max(b_total, 1)
    lift = rate / max(bg, 1e-6)
    strength = 2 if m_amp >= 10 and lift >= 5 else 1 if m_amp >= 3 and lift >= 2 else 0
    top = e.sql(f"""SELECT handle, country, count(DISTINCT action_id) AS actions,
                           list(DISTINCT action_id ORDER BY action_id)[1:10] AS action_ids
                      FROM {s.sm_amp} SEMI JOIN {s.members} USING (account_id) GROUP BY ALL
                     ORDER BY actions DESC, handle LIMIT 10""").dicts()
    cc = [r["country"] for r in top if r["country"]]
    lead = max(set(cc), key=cc.count) if cc else None
    return [
        Claim(
            "state_media_amplification",
            f"{m_amp} member actions ({_pct(rate)} of theirs) amplify state-media accounts, {lift:.1f}x the rate of "
            f"other accounts ({_pct(bg)}); most amplified: "
            + ", ".join(f"@{r['handle']}" for r in top[:3])
            + "; genuine supporters amplify state media too, so this shows alignment, not control",
            strength,
            [lead] if (lead and strength) else [],
            top,
        )
    ]


def collect_narrative_alignment(e: Engine, s: Scratch, ref: StateMediaReference) -> list[Claim]:
    claims: list[Claim] = []
    if ref.domains:
        _register_reference(e, s, ref)
        links = e.sql(f"""SELECT u.action_id, a.account_id, d.domain, d.country,
                                 a.account_id IN (SELECT account_id FROM {s.members}) AS is_member
                            FROM action_urls u JOIN actions a USING (action_id)
                            JOIN {s.sm_domains} d
                              ON regexp_replace(lower(u.domain), '^www\\.', '') = d.domain""").dicts()
        m_urls = (
            e.sql(
                f"SELECT count(*) FROM action_urls JOIN actions USING (action_id) "
                f"SEMI JOIN {s.members} USING (account_id)"
            ).scalar()
            or 0
        )
        b_urls = (
            e.sql(
                f"SELECT count(*) FROM action_urls JOIN actions USING (action_id) "
                f"WHERE account_id NOT IN (SELECT account_id FROM {s.members})"
            ).scalar()
            or 0
        )
        mine = [r for r in links if r["is_member"]]
        if mine:
            share = len(mine) / max(m_urls, 1)
            bg = (len(links) - len(mine)) / max(b_urls, 1)
            lift = share / max(bg, 1e-6)
            strength = 2 if len(mine) >= 10 and lift >= 5 and share >= 0.1 else 1 if len(mine) >= 3 and lift >= 2 else 0
            by_domain: dict[str, list[str]] = {}
            for r in mine:
                by_domain.setdefault(r["domain"], []).append(r["action_id"])
            cc = [r["country"] for r in mine if r["country"]]
            lead = max(set(cc), key=cc.count) if cc else None
            claims.append(
                Claim(
                    "narrative_alignment",
                    f"{_pct(share)} of members' links point to state-media sites ({len(mine)} links; other accounts: "
                    f"{_pct(bg)}), chiefly " + ", ".join(sorted(by_domain, key=lambda d: -len(by_domain[d]))[:3]),
                    strength,
                    [lead] if (lead and strength) else [],
                    [
                        {"domain": d, "links": len(a), "action_ids": sorted(a)[:10]}
                        for d, a in sorted(by_domain.items(), key=lambda kv: -len(kv[1]))[:10]
                    ],
                )
            )
    if ref.handles:
        _register_reference(e, s, ref)
        overlap = e.sql(f"""
            WITH sm AS (SELECT h.hashtag, count(*) AS n FROM action_hashtags h JOIN actions a USING (action_id)
                         WHERE a.account_id IN (SELECT account_id FROM {s.sm_accounts}) GROUP BY h.hashtag),
                 mem AS (SELECT h.hashtag, count(*) AS n, list(a.action_id ORDER BY a.action_id)[1:5] AS action_ids
                           FROM action_hashtags h JOIN actions a USING (action_id)
                          SEMI JOIN {s.members} ON a.account_id = {s.members}.account_id GROUP BY h.hashtag
                          ORDER BY n DESC, h.hashtag LIMIT 50)
            SELECT mem.hashtag, mem.n AS member_uses, sm.n AS state_media_uses, mem.action_ids
              FROM mem JOIN sm USING (hashtag) ORDER BY mem.n DESC, mem.hashtag LIMIT 20""").dicts()
        n_top = (
            e.sql(f"""SELECT count(*) FROM (SELECT DISTINCT h.hashtag FROM action_hashtags h JOIN actions a
                           USING (action_id) SEMI JOIN {s.members} ON a.account_id = {s.members}.account_id
                           LIMIT 50)""").scalar()
            or 0
        )
        if overlap and n_top:
            share = len(overlap) / n_top
            claims.append(
                Claim(
                    "narrative_alignment",
                    f"{len(overlap)} of members' top {n_top} hashtags are also used by the state-media accounts in "
                    "this workspace (" + ", ".join("#" + r["hashtag"] for r in overlap[:5]) + ")",
                    1 if share >= 0.3 and len(overlap) >= 3 else 0,
                    [],
                    overlap,
                )
            )
    return claims


# -- creation pattern ----------------------------------------------------------------------------------------------
def collect_creation_pattern(e: Engine, s: Scratch, ref: StateMediaReference) -> list[Claim]:
    rows = e.sql(f"""
        WITH m AS (SELECT account_id, CAST(created_at AS DATE) AS d FROM accounts SEMI JOIN {s.members} USING (account_id)
                    WHERE created_at IS NOT NULL),
             days AS (SELECT d, count(*) AS members, list(account_id ORDER BY account_id)[1:10] AS account_ids
                        FROM m GROUP BY d),
             bg AS (SELECT CAST(created_at AS DATE) AS d, count(*) AS n_all FROM accounts
                     WHERE created_at IS NOT NULL GROUP BY 1)
        SELECT CAST(days.d AS VARCHAR) AS created_day, days.members, bg.n_all - days.members AS other_accounts,
               days.account_ids, (SELECT count(*) FROM m) AS n_members,
               (SELECT count(*) FROM accounts WHERE created_at IS NOT NULL) AS n_all
          FROM days JOIN bg USING (d) ORDER BY days.members DESC, days.d LIMIT 5""").dicts()
    if not rows or not rows[0]["n_members"]:
        return []
    n_m, n_all = rows[0]["n_members"], rows[0]["n_all"]
    top = rows[:3]
    in_top = sum(r["members"] for r in top)
    share = in_top / n_m
    bg_share = sum(r["other_accounts"] for r in top) / max(n_all - n_m, 1)
    lift = share / max(bg_share, 1e-6)
    strength = 1 if share >= 0.3 and lift >= 5 and in_top >= 5 else 0
    return [
        Claim(
            "creation_pattern",
            f"{_pct(share)} of members with a creation date were created on {len(top)} days "
            f"({', '.join(r['created_day'] for r in top)}), {lift:.0f}x the share of other accounts created then; "
            "batch creation speaks to coordination, not to who coordinates",
            strength,
            [],
            [{k: v for k, v in r.items() if k not in ("n_members", "n_all")} for r in top],
        )
    ]


COLLECTORS: dict[str, Callable[[Engine, Scratch, StateMediaReference], list[Claim]]] = {
    "infrastructure": collect_infrastructure,
    "timing": collect_timing,
    "state_media_amplification": collect_state_media_amplification,
    "narrative_alignment": collect_narrative_alignment,
    "creation_pattern": collect_creation_pattern,
}
