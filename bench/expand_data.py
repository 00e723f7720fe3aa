"""Synthetic canonical data with a planted operation, generated in DuckDB SQL (through the Engine) for speed.

Consumes sizes and a random seed; produces the canonical tables (accounts, actions, action_hashtags, action_urls,
action_mentions, infrastructure) in a workspace, and returns the planted truth: ``{account_id: role}`` with roles
``core``, ``amplifier`` and ``fresh`` (amplifiers created during the observation window that act only a few times).

The planted operation follows the 2019 pattern: core accounts created in a few bursts with letter+digit names post a
shared narrative (copy-paste texts, a hashtag set, state-media links) in UTC+8 office hours and repost one another;
amplifiers repost and reply to core posts within minutes; logins come through a few VPN exits and mainland ranges.
The background: organic accounts posting, reposting popular posts (a few of them core posts: organic reach), using a
skewed hashtag pool, from a large pool of consumer prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flockwatch.engine import Engine

T0 = 1564617600  # 2019-08-01 00:00 UTC
SPAN_S = 30 * 86400


@dataclass
class Sizes:
    n_accounts: int = 50_000
    n_actions: int = 1_000_000
    n_core: int = 936
    n_amp: int = 5_000
    n_fresh: int = 1_000
    core_actions: int = 40
    amp_actions: int = 12
    fresh_actions: int = 8
    seed: int = 1


def generate(engine: Engine, s: Sizes) -> dict[str, str]:
    e = engine
    nc, na, nf = s.n_core, s.n_amp, s.n_fresh
    n_op = nc + na + nf
    n_org = s.n_accounts - n_op
    e.sql(f"SELECT setseed({(s.seed % 1000) / 1000.0})")
    # ---- accounts -----------------------------------------------------------------------------------------------
    e.sql(f"""CREATE OR REPLACE TEMP TABLE g_acc AS
        SELECT i, 'u' || i AS account_id,
               CASE WHEN i < {nc} THEN 'core' WHEN i < {nc + na} THEN 'amplifier'
                    WHEN i < {n_op} THEN 'fresh' ELSE 'organic' END AS role
          FROM range({s.n_accounts}) r(i)""")
    e.sql(f"""INSERT INTO accounts (platform, account_id, screen_name, display_name, created_at, follower_count,
                                    following_count, language, reported_location, description, profile_url,
                                    id_is_pseudonymised)
        SELECT 'twitter', account_id,
               CASE WHEN role = 'organic' THEN
                      (['anna', 'bob', 'chris', 'dee', 'eli', 'fay', 'gus', 'hal'])[1 + i % 8]
                      || (['_', '', '.', 'x'])[1 + (i // 8) % 4] || CAST(i % 9973 AS VARCHAR)
                    ELSE (['Lina', 'Mark', 'Wong', 'Chan'])[1 + i % 4] || lpad(CAST(hash(i, 3) % 100000000 AS VARCHAR), 8, '0')
               END,
               'name ' || i,
               CASE role
                 WHEN 'core' THEN to_timestamp({T0} - 86400 * (['400', '200', '60'])[1 + i % 3]::INT
                                             + (hash(i, 5) % 86400)::INT)
                 WHEN 'amplifier' THEN to_timestamp({T0} - 86400 * 20 + (hash(i, 5) % (3 * 86400))::INT)
                 WHEN 'fresh' THEN to_timestamp({T0} + 86400 * 24 + (hash(i, 5) % (86400))::INT)
                 ELSE to_timestamp({T0} - (hash(i, 5) % (3000 * 86400))::BIGINT) END,
               (hash(i, 7) % 2000)::BIGINT, (hash(i, 8) % 800)::BIGINT,
               CASE WHEN role = 'organic' THEN (['en', 'zh', 'es'])[1 + i % 3] ELSE 'zh' END,
               NULL, NULL, NULL, false
          FROM g_acc""")
    # ---- core posts (shared narrative, UTC+8 office hours on weekdays) -----------------------------------------
    n_core_posts = nc * s.core_actions // 2
    e.sql(f"""CREATE OR REPLACE TEMP TABLE g_core_posts AS
        WITH raw AS (SELECT j, (hash(j, 11) % {nc})::BIGINT AS i,
                            (hash(j, 12) % 30)::BIGINT AS day, (hash(j, 13) % 32400)::BIGINT AS sec FROM range({n_core_posts}) r(j))
        SELECT j, i, 'c' || j AS action_id,
               -- 01:00-10:00 UTC = 09:00-18:00 at UTC+8; weekend days are skipped forward to Monday
               {T0} + 86400 * (day + CASE dayofweek(to_timestamp({T0} + 86400 * day)) WHEN 6 THEN 2 WHEN 0 THEN 1
                                                ELSE 0 END) + 3600 + sec AS t
          FROM raw""")
    e.sql("""INSERT INTO actions (platform, action_id, account_id, kind, acted_at, target_action_id,
                                   target_account_id, text, language, client)
        SELECT 'twitter', action_id, 'u' || i, 'post', to_timestamp(t), NULL, NULL,
               'narrative ' || (j % 300) || ' the protesters are rioters and foreign agents ' || (j % 300), 'zh',
               'Twitter Web Client'
          FROM g_core_posts""")

    # ---- operation reposts / replies of core posts within minutes ---------------------------------------------
    def op_reacts(role: str, lo: int, n_per: int, fresh: bool) -> None:
        n = (
            (n_per * (na if role == "amplifier" else nf if fresh else nc))
            if role != "core"
            else nc * s.core_actions // 2
        )
        count_accounts = {"core": nc, "amplifier": na, "fresh": nf}[role]
        prefix = {"core": "k", "amplifier": "a", "fresh": "f"}[role]  # action ids must not collide with posts
        after = f"AND cp.t >= {T0} + 86400 * 24 + 86400" if fresh else ""
        pool = "g_core_posts_late" if fresh else "g_core_posts"
        e.sql(f"""INSERT INTO actions (platform, action_id, account_id, kind, acted_at, target_action_id,
                                       target_account_id, text, language, client)
            WITH r AS (SELECT k, {lo} + (hash(k, 21, '{role}') % {count_accounts})::BIGINT AS i,
                              (hash(k, 22, '{role}') % (SELECT count(*) FROM {pool}))::BIGINT AS pj,
                              (hash(k, 23, '{role}') % 1800)::BIGINT AS delay,
                              (hash(k, 24, '{role}') % 100)::BIGINT AS dice
                         FROM range({n}) rr(k))
            SELECT 'twitter', '{prefix}' || r.k, 'u' || r.i,
                   CASE WHEN r.dice < 80 THEN 'repost' ELSE 'reply' END, to_timestamp(cp.t + 30 + r.delay),
                   cp.action_id, 'u' || cp.i,
                   CASE WHEN r.dice < 80 THEN 'RT ' ELSE 'support the police ' || (r.k % 50) END,
                   'zh', 'Twitter for Android'
              FROM r JOIN (SELECT row_number() OVER (ORDER BY j) - 1 AS pj, * FROM {pool}) cp USING (pj)
             WHERE true {after}""")

    e.sql(f"CREATE OR REPLACE TEMP TABLE g_core_posts_late AS SELECT * FROM g_core_posts WHERE t >= {T0} + 86400 * 25")
    op_reacts("core", 0, 0, False)
    op_reacts("amplifier", nc, s.amp_actions, False)
    op_reacts("fresh", nc + na, s.fresh_actions, True)
    # ---- organic background -------------------------------------------------------------------------------------
    n_used = e.sql("SELECT count(*) FROM actions").scalar()
    n_org_actions = max(0, s.n_actions - n_used)
    n_org_posts = n_org_actions // 2
    e.sql(f"""INSERT INTO actions (platform, action_id, account_id, kind, acted_at, target_action_id,
                                   target_account_id, text, language, client)
        SELECT 'twitter', 'o' || k,
               -- heavy-tailed activity: a few organic accounts are as busy as the core
               'u' || ({n_op} + CAST(floor(pow(((hash(k, 31) % 1000003) + 0.5) / 1000003.0, 2.5) * {n_org}) AS BIGINT)), 'post',
               to_timestamp({T0} + (hash(k, 32) % {SPAN_S})::BIGINT), NULL, NULL,
               'my own words number ' || k || ' about things', 'en', 'Twitter for iPhone'
          FROM range({n_org_posts}) r(k)""")
    # organic reposts: mostly of popular organic posts (skewed), 1% of core posts (organic reach)
    e.sql(f"""INSERT INTO actions (platform, action_id, account_id, kind, acted_at, target_action_id,
                                   target_account_id, text, language, client)
        WITH r AS (SELECT k, {n_op} + CAST(floor(pow(((hash(k, 41) % 1000003) + 0.5) / 1000003.0, 2.5) * {n_org}) AS BIGINT) AS i, (hash(k, 42) % 100)::BIGINT AS dice,
                          CAST(floor(pow(((hash(k, 43) % 1000000) + 1) / 1000000.0, 3) * {max(n_org_posts, 1)}) AS BIGINT) AS pop,
                          (hash(k, 44) % {n_core_posts})::BIGINT AS cj,
                          (hash(k, 45) % (3 * 86400))::BIGINT AS delay
                     FROM range({n_org_actions - n_org_posts}) rr(k))
        SELECT 'twitter', 'or' || r.k, 'u' || r.i, 'repost',
               to_timestamp(CASE WHEN r.dice = 0 THEN {T0} + 86400 * 30 ELSE {T0} + {SPAN_S} END
                            - 1),
               CASE WHEN r.dice = 0 THEN 'c' || r.cj ELSE 'o' || r.pop END, NULL, 'RT', 'en', 'Twitter for iPhone'
          FROM r""")
    # organic repost times: after the original, spread over days (updated in one pass against the originals)
    e.sql(f"""UPDATE actions SET acted_at = to_timestamp(least(epoch(o.acted_at)::BIGINT + 60
                                                         + (hash(actions.action_id, 46) % (3 * 86400))::BIGINT,
                                                         {T0 + SPAN_S}))
              FROM actions o WHERE actions.action_id LIKE 'or%' AND o.action_id = actions.target_action_id""")
    e.sql("""UPDATE actions SET target_account_id = o.account_id FROM actions o
             WHERE actions.action_id LIKE 'or%' AND o.action_id = actions.target_action_id""")
    # ---- entities -----------------------------------------------------------------------------------------------
    e.sql("""INSERT INTO action_hashtags (platform, action_id, hashtag)
        SELECT 'twitter', action_id, 'hk' || (hash(action_id, 51) % 12) FROM actions
         WHERE action_id LIKE 'c%' OR (action_id LIKE 'a%' AND kind = 'reply') OR (action_id LIKE 'f%' AND kind = 'reply')
        UNION ALL
        SELECT 'twitter', action_id, 'tag' || CAST(floor(pow(((hash(action_id, 52) % 100000) + 1) / 100000.0, 2) * 5000) AS BIGINT)
          FROM actions WHERE action_id LIKE 'o%' AND action_id NOT LIKE 'or%' AND hash(action_id, 53) % 3 = 0""")
    e.sql("""INSERT INTO action_urls (platform, action_id, url, domain)
        SELECT 'twitter', action_id, 'https://www.chinadaily.com.cn/a/' || (hash(action_id, 61) % 500), 'www.chinadaily.com.cn'
          FROM actions WHERE action_id LIKE 'c%' AND hash(action_id, 62) % 4 = 0
        UNION ALL
        SELECT 'twitter', action_id, 'https://site' || (hash(action_id, 63) % 3000) || '.com/p' || (hash(action_id, 64) % 100),
               'site' || (hash(action_id, 63) % 3000) || '.com'
          FROM actions WHERE action_id LIKE 'o%' AND action_id NOT LIKE 'or%' AND hash(action_id, 65) % 5 = 0""")
    e.sql("""INSERT INTO action_mentions (platform, action_id, mentioned_account_id)
        SELECT 'twitter', action_id, target_account_id FROM actions WHERE kind = 'reply' AND target_account_id IS NOT NULL""")
    # ---- infrastructure: VPN exits + mainland ranges for the operation, consumer ranges for the rest ------------
    e.sql(f"""INSERT INTO infrastructure (platform, account_id, seen_at, ip_prefix, asn, country, via_vpn)
        SELECT 'twitter', account_id, to_timestamp({T0} + (hash(i, 71) % {SPAN_S})::BIGINT),
               CASE WHEN route = 'vpn' THEN '45.76.' || (hash(i, 73) % 4) || '.0/24'
                    WHEN route = 'cn' THEN '111.' || (200 + hash(i, 74) % 8) || '.0.0/16'
                    ELSE '10.' || (hash(i, 75) % 250) || '.' || (hash(i, 76) % 250) || '.0/24' END,
               CASE route WHEN 'vpn' THEN 20473 WHEN 'cn' THEN 4134 ELSE 7000 + hash(i, 77) % 400 END,
               CASE route WHEN 'vpn' THEN 'US' WHEN 'cn' THEN 'CN' ELSE 'HK' END,
               route = 'vpn'
          FROM (SELECT *,
                       -- ordinary users share the same VPN exits and mainland ranges now and then
                       CASE WHEN role <> 'organic' AND hash(i, 72) % 10 < 6 THEN 'vpn'
                            WHEN role <> 'organic' THEN 'cn'
                            WHEN hash(i, 72) % 100 < 5 THEN 'vpn' WHEN hash(i, 72) % 100 < 8 THEN 'cn'
                            ELSE 'home' END AS route
                  FROM g_acc WHERE role <> 'organic' OR hash(i, 78) % 2 = 0)""")
    truth = dict(e.sql("SELECT account_id, role FROM g_acc WHERE role <> 'organic'").rows())
    for t in ("g_acc", "g_core_posts", "g_core_posts_late"):
        e.sql(f"DROP TABLE IF EXISTS {t}")
    return truth
