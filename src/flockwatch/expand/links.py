"""Seed-anchored links: for every account outside an anchor set, how strongly it is tied to the anchors.

Consumes the canonical tables (``accounts``, ``actions``, ``action_hashtags``, ``action_urls``, ``action_mentions``,
``infrastructure``) through the Engine; produces, per candidate account, the raw observations one expansion round
scores (:func:`anchor_links` returns an Arrow table, one row per linked candidate):

- ``co_hits`` / ``co_expected``: how many of the candidate's events (an action hitting a *target*: the reposted or
  replied-to post, the normalised text, a URL, a hashtag, a mentioned account) fall within ``window_s`` of an anchor's
  event on the same target, and how many would by chance. The chance rate of a target is the anchors' event rate on
  it over the span the target is active (all accounts' events), so hot hashtags and viral cascades, where anchors
  act all the time, contribute almost nothing, while a rare text reposted within minutes counts a lot.
- ``amp_hits`` / ``amp_expected``: actions that repost, reply to, quote or mention an anchor, against the
  platform-wide share of such actions times the candidate's activity.
- ``infra_nats``: shared login prefixes / ASNs, each weighted by how much more often anchors use it than accounts
  unrelated to them (:func:`prefix_weights`), so a national ISP weighs ~0 and a rented range the anchors share a lot;
  VPN use counts when most anchors use VPNs.
- ``created_llr`` / ``template_llr``: log-likelihood ratios of the creation date (anchors created within
  ``creation_window_days``) and of the screen-name template (``aaaa9999``-style shape) against all accounts.
- evidence columns: example (candidate action, anchor action, anchor account, target kind) pairs, amplified
  anchors, shared prefixes.

Only pairs with one side in the anchor set are ever formed, so the cost is linear in the events (one pass to pick
the events on anchor targets, a ≤3-way bucketed join into the anchors' time buckets) — never all pairs.

Extending: a new target kind is one more ``UNION ALL`` branch in :func:`events_sql` with a two-letter kind code.
Platform qualifiers are not part of the join keys: a workspace is expected to hold one platform per investigation.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from flockwatch.core.handles import handle_shape_sql
from flockwatch.core.sql import exact_sum
from flockwatch.core.text import normalised_text_sql
from flockwatch.engine import Engine, Scratch

#: Target kind codes (stored in evidence): why two events share a target.
TARGET_KINDS = {
    "rp": "reposted/quoted the same post",
    "re": "replied to the same post",
    "tx": "posted the same text",
    "ht": "used the same hashtag",
    "ur": "shared the same URL",
    "mn": "mentioned the same account",
}


def events_sql(
    act: str,
    texts: str,
    hashtags: str,
    urls: str,
    mentions: str,
    key: str = "acct",
    min_text_chars: int = 20,
    text_source: str | None = None,
) -> str:
    """SELECT of target events ``(key, action_id, t, tk, target)`` from action-shaped relations.

    ``act``: ``key, action_id, t (epoch s), kind, target_action_id``; ``texts``: ``key, action_id, t, kind, text``;
    entity relations: ``action_id`` plus ``hashtag`` / ``url`` / ``mentioned_account_id``. ``target`` is a 64-bit
    hash of ``kind:value`` so the join keys stay small at platform scale. Normalised texts shorter than
    ``min_text_chars`` are not a target. Texts are normalised once per distinct raw text (posts repeat their text;
    the regular expressions cost more than the join back), as in ``detect/co_text.py``; ``text_source`` (default
    ``texts``): a relation with ``kind`` and ``text`` whose distinct texts are normalised, when a cheaper one than
    ``texts`` holds every text of ``texts`` (the workspace's ``actions``, where ``texts`` is a join).
    """
    text_source = text_source or texts
    return rf"""
SELECT {key}, action_id, t, 'rp' AS tk, hash('rp:' || target_action_id) AS target
  FROM {act} WHERE kind IN ('repost', 'share', 'quote') AND target_action_id IS NOT NULL
UNION ALL
-- an original post is the first event of its own cascade, so a fast repost of an anchor's post is a co-action
SELECT {key}, action_id, t, 'rp', hash('rp:' || action_id) FROM {act} WHERE kind = 'post'
UNION ALL
SELECT {key}, action_id, t, 're', hash('re:' || target_action_id)
  FROM {act} WHERE kind = 'reply' AND target_action_id IS NOT NULL
UNION ALL
SELECT x.{key}, x.action_id, x.t, 'tx', n.target
  FROM {texts} x
  JOIN (WITH normed AS MATERIALIZED (
          SELECT text, {normalised_text_sql("text")} AS norm
            FROM (SELECT DISTINCT text FROM {text_source} WHERE kind IN ('post', 'reply', 'quote') AND text IS NOT NULL))
        SELECT text, hash('tx:' || norm) AS target FROM normed WHERE length(norm) >= {int(min_text_chars)}) n
    ON x.text = n.text
 WHERE x.kind IN ('post', 'reply', 'quote')
UNION ALL
SELECT x.{key}, x.action_id, x.t, 'ht', hash('ht:' || h.hashtag) FROM {hashtags} h JOIN {act} x USING (action_id)
UNION ALL
SELECT x.{key}, x.action_id, x.t, 'ur', hash('ur:' || u.url) FROM {urls} u JOIN {act} x USING (action_id)
UNION ALL
SELECT x.{key}, x.action_id, x.t, 'mn', hash('mn:' || mt.mentioned_account_id)
  FROM {mentions} mt JOIN {act} x USING (action_id)
"""


def _ws_texts(acct: str) -> str:
    return f"""(SELECT m.acct, a.action_id, epoch(a.acted_at)::BIGINT AS t, a.kind, a.text
                 FROM actions a JOIN {acct} m USING (account_id))"""


def prepare(engine: Engine, s: Scratch, min_text_chars: int = 20) -> dict[str, int]:
    """Build, in scratch ``s``, the per-workspace temp tables every expansion round reads; returns their sizes.

    ``min_text_chars``: normalised texts shorter than this ("ok", "lol") are not a shared target.
    """
    e = engine
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.acct} AS
           SELECT account_id, (row_number() OVER (ORDER BY account_id))::INTEGER AS acct
             FROM (SELECT account_id FROM accounts UNION SELECT account_id FROM actions)"""
    )
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.act} AS
           SELECT m.acct, a.action_id, epoch(a.acted_at)::BIGINT AS t, a.kind, a.target_action_id,
                  a.target_account_id
             FROM actions a JOIN {s.acct} m USING (account_id)"""
    )
    # the distinct texts straight from actions, not through the join with the account numbers (5M actions:
    # 4.8 -> 4.2 s for the text events)
    body = events_sql(
        s.act,
        _ws_texts(s.acct),
        "action_hashtags",
        "action_urls",
        "action_mentions",
        min_text_chars=min_text_chars,
        text_source="actions",
    )
    e.sql(f"CREATE OR REPLACE TEMP TABLE {s.events} AS {body}")
    e.sql(f"CREATE OR REPLACE TEMP TABLE {s.nact} AS SELECT acct, count(*) AS n_actions FROM {s.act} GROUP BY acct")
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.infra} AS
           SELECT DISTINCT m.acct, i.ip_prefix, i.asn, coalesce(i.via_vpn, false) AS via_vpn
             FROM infrastructure i JOIN {s.acct} m USING (account_id)"""
    )
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.prefix_df} AS
           SELECT 'p' AS k, ip_prefix AS v, count(DISTINCT acct) AS df FROM {s.infra}
            WHERE ip_prefix IS NOT NULL GROUP BY ip_prefix
           UNION ALL
           SELECT 'a', CAST(asn AS VARCHAR), count(DISTINCT acct) FROM {s.infra} WHERE asn IS NOT NULL GROUP BY asn"""
    )
    # Screen-name template: the handle's shape (core.handles: "Lina52831547" -> "L4D8").
    e.sql(
        rf"""CREATE OR REPLACE TEMP TABLE {s.profile} AS
           SELECT m.acct, CAST(a.created_at AS DATE) AS created_day,
                  {handle_shape_sql("a.screen_name")} AS tmpl
             FROM accounts a JOIN {s.acct} m USING (account_id)"""
    )
    return {
        "accounts": e.count(s.acct),
        "actions": e.count(s.act),
        "events": e.count(s.events),
        "infra_rows": e.count(s.infra),
    }


def anchor_links(
    engine: Engine,
    s: Scratch,
    anchors_table: str,
    window_s: int = 3600,
    creation_window_days: int = 1,
    min_template_anchors: int = 2,
    examples: int = 5,
) -> pa.Table:
    """Raw link observations of every candidate (non-anchor) account to the anchors in ``anchors_table(acct)``.

    Requires :func:`prepare` in the same scratch ``s`` (this call replaces its per-anchor-set tables there).
    ``window_s``: two events on one target within this many seconds are a co-action.
    ``examples``: evidence lists (co-action examples, linked seeds, amplified seeds, shared prefixes) keep this many
    items; 0 leaves them NULL and skips building them (a decoy run, of which only the counts are read).
    """
    e = engine
    w = int(window_s)
    e.sql(f"CREATE OR REPLACE TEMP TABLE {s.anc} AS SELECT DISTINCT acct FROM {anchors_table}")
    n_anchors = e.count(s.anc)
    e.sql(f"CREATE OR REPLACE TEMP TABLE {s.ae} AS SELECT ev.* FROM {s.events} ev SEMI JOIN {s.anc} USING (acct)")
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.ce} AS
           SELECT ev.* FROM {s.events} ev
            WHERE ev.target IN (SELECT target FROM {s.ae}) AND ev.acct NOT IN (SELECT acct FROM {s.anc})"""
    )
    # Chance that an event on target T lands within the window of an anchor event, the larger of two estimates:
    # - uniform: anchors' event rate on T over the span T is active (Poisson arrivals);
    # - bursty: c_T, the share of pairs of T's events (all accounts) that fall in neighbouring time buckets, so that
    #   joining a cascade everyone joins within minutes (a viral post, a trending hashtag hour) is what chance
    #   predicts: p = 1 - (1 - c_T)^n_anchor.
    # Co-action evidence therefore comes from repeated meetings on targets that are *not* bursty for everyone.
    _target_stats(e, s, w)
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.tp} AS
            WITH a AS (SELECT target, count(*) AS n_anchor FROM {s.ae} GROUP BY target)
            SELECT a.target, greatest(
                     1 - exp(-2.0 * {w} * a.n_anchor / (ts.t1 - ts.t0 + 2.0 * {w})),
                     1 - pow(1 - least(coalesce(ts.c_t, 0.0), 1.0), a.n_anchor)) AS p_hit
              FROM a JOIN {s.tstat} ts USING (target)"""
    )
    # the anchors' events per (target, window bucket); with examples, the earliest one too: ties broken by action
    # id (a struct compares field by field), as cheap as arg_min on t, whose pick among ties depends on the thread
    # schedule. Its account is resolved to its id here, once per bucket, so that the examples below need no join
    # back and no ordered re-aggregation per candidate (on a 5M-action retweet log that re-aggregation alone took
    # 0.4 s; growth as a whole showed no measurable change, the same rows).
    earliest = ", min({'t': t, 'a': action_id, 'c': acct}) AS rep" if examples else ""
    rep_cols = ", g.rep.a AS rep_action, m.account_id AS rep_seed" if examples else ""
    rep_join = f" JOIN {s.acct} m ON m.acct = g.rep.c" if examples else ""
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.ab} AS
            SELECT g.target, g.b, g.t0, g.t1{rep_cols}
              FROM (SELECT target, t // {w} AS b, min(t) AS t0, max(t) AS t1{earliest}
                      FROM {s.ae} GROUP BY target, t // {w}) g{rep_join}"""
    )
    # A candidate's event is a hit when an anchor acted on its target within the window: in its own bucket or, on the
    # near side, in a neighbouring one.
    if examples:
        # One row per candidate event, no aggregate: (target, b) is unique in s.ab, so each of the three bucket
        # lookups matches at most one row. A join to the three buckets followed by a GROUP BY per event spilled
        # until the disk was full at 100M actions (every event on a hot target, three times, keyed by strings).
        # The representative is the first bucket that meets, in the order next, own, previous: as before, when
        # the three were one join ranked by d (-1, 0, 1).
        b = f"ce.t // {w}"
        e.sql(
            f"""CREATE OR REPLACE TEMP TABLE {s.hits} AS
                SELECT ce.acct, ce.action_id, ce.tk, ce.target,
                       CASE WHEN nx.b IS NOT NULL THEN nx.rep_action WHEN cu.b IS NOT NULL THEN cu.rep_action
                            ELSE pv.rep_action END AS rep_action,
                       CASE WHEN nx.b IS NOT NULL THEN nx.rep_seed WHEN cu.b IS NOT NULL THEN cu.rep_seed
                            ELSE pv.rep_seed END AS rep_seed
                  FROM {s.ce} ce
                  LEFT JOIN {s.ab} nx ON nx.target = ce.target AND nx.b = {b} + 1 AND nx.t0 <= ce.t + {w}
                  LEFT JOIN {s.ab} cu ON cu.target = ce.target AND cu.b = {b}
                  LEFT JOIN {s.ab} pv ON pv.target = ce.target AND pv.b = {b} - 1 AND pv.t1 >= ce.t - {w}
                 WHERE nx.b IS NOT NULL OR cu.b IS NOT NULL OR pv.b IS NOT NULL"""
        )
    else:
        # counts only (a decoy run): whether an event meets some anchor bucket, not which. The semi join keeps each
        # event once; no DISTINCT over millions of hits (a decoy set reaches the popular targets: 3.6M hits at 5M
        # actions), as the expectation (``lam``, _co_sql) counts the same rows of ``s.ce``
        meets = f"""ce.target = ab3.target AND ce.t // {w} = ab3.jb
                    AND (ab3.d = 0 OR (ab3.d = 1 AND ab3.t1 >= ce.t - {w}) OR (ab3.d = -1 AND ab3.t0 <= ce.t + {w}))"""
        ab3 = f"ab3 AS (SELECT ab.*, ab.b + d.d AS jb, d.d FROM {s.ab} ab, (VALUES (-1), (0), (1)) d(d))"
        e.sql(
            f"""CREATE OR REPLACE TEMP TABLE {s.hits} AS
                WITH {ab3}
                SELECT ce.acct, ce.action_id, ce.tk, ce.target FROM {s.ce} ce SEMI JOIN ab3 ON {meets}"""
        )
    e.sql(_co_sql(s, examples))
    # Amplification: actions aimed at an anchor (its post, its account, a mention of it).
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.amp_rows} AS
           WITH anc_ids AS (SELECT m.account_id FROM {s.acct} m SEMI JOIN {s.anc} USING (acct)),
                anc_actions AS (SELECT action_id, acct FROM {s.act} SEMI JOIN {s.anc} USING (acct))
           SELECT x.acct, x.action_id, x.target_account_id AS seed FROM {s.act} x
            WHERE x.target_account_id IN (SELECT account_id FROM anc_ids)
           UNION
           SELECT x.acct, x.action_id, m.account_id FROM {s.act} x
             JOIN anc_actions aa ON aa.action_id = x.target_action_id JOIN {s.acct} m ON m.acct = aa.acct
           UNION
           SELECT x.acct, x.action_id, mt.mentioned_account_id FROM action_mentions mt JOIN {s.act} x USING (action_id)
            WHERE mt.mentioned_account_id IN (SELECT account_id FROM anc_ids)"""
    )
    amp_lists = (
        "list(DISTINCT r.action_id ORDER BY r.action_id) AS amp_actions, list(DISTINCT r.seed ORDER BY r.seed) AS amp_seeds"
        if examples
        else "CAST(NULL AS VARCHAR[]) AS amp_actions, CAST(NULL AS VARCHAR[]) AS amp_seeds"
    )
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.amp} AS
           SELECT r.acct, count(DISTINCT r.action_id) AS amp_hits,
                  {amp_lists}
             FROM {s.amp_rows} r WHERE r.acct NOT IN (SELECT acct FROM {s.anc}) GROUP BY r.acct"""
    )
    total_nonanchor = e.sql(
        f"SELECT sum(n_actions) FROM {s.nact} WHERE acct NOT IN (SELECT acct FROM {s.anc})"
    ).scalar()
    total_amp = e.sql(f"SELECT coalesce(sum(amp_hits), 0) FROM {s.amp}").scalar()
    amp_rate = float(total_amp) / float(total_nonanchor or 1)
    # Shared infrastructure: each prefix / ASN the anchors use weighs by how much more often anchors use it than
    # accounts unrelated to them do (prefix_weights).
    n_infra = e.sql(f"SELECT count(DISTINCT acct) FROM {s.infra}").scalar() or 0
    vpn_anchor_share = (
        e.sql(
            f"SELECT avg(CASE WHEN v THEN 1.0 ELSE 0.0 END) FROM (SELECT acct, bool_or(via_vpn) v FROM {s.infra} "
            f"SEMI JOIN {s.anc} USING (acct) GROUP BY acct)"
        ).scalar()
        or 0.0
    )
    n_vpn = e.sql(f"SELECT count(DISTINCT acct) FROM {s.infra} WHERE via_vpn").scalar() or 0
    vpn_nats = 0.5 * _ln_ratio(n_infra, n_vpn) if vpn_anchor_share >= 0.5 and n_vpn else 0.0
    prefix_weights(e, s, s.anc, s.pw)
    infra_lists = (
        "list(DISTINCT v ORDER BY v) FILTER (WHERE k = 'p') AS shared_prefixes, "
        "list(DISTINCT v ORDER BY v) FILTER (WHERE k = 'a') AS shared_asns"
        if examples
        else "CAST(NULL AS VARCHAR[]) AS shared_prefixes, CAST(NULL AS VARCHAR[]) AS shared_asns"
    )
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.inf} AS
            WITH cp AS (SELECT acct, 'p' AS k, ip_prefix AS v FROM {s.infra} WHERE ip_prefix IS NOT NULL
                        UNION SELECT acct, 'a', CAST(asn AS VARCHAR) FROM {s.infra} WHERE asn IS NOT NULL),
                 shared AS (SELECT cp.acct, cp.k, cp.v, pw.weight FROM cp JOIN {s.pw} pw USING (k, v)
                             WHERE cp.acct NOT IN (SELECT acct FROM {s.anc})),
                 vpn AS (SELECT acct, bool_or(via_vpn) AS vpn FROM {s.infra} GROUP BY acct)
            SELECT s.acct,
                   {exact_sum("s.weight")} + CASE WHEN any_value(vpn.vpn) THEN {vpn_nats} ELSE 0 END AS infra_nats,
                   {infra_lists}
              FROM shared s LEFT JOIN vpn USING (acct) GROUP BY s.acct"""
    )
    # Account-creation and name-template likelihood ratios against all accounts.
    cw = int(creation_window_days)
    n_all = e.sql(f"SELECT count(*) FROM {s.profile}").scalar() or 0
    e.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.sig} AS
            WITH days AS (SELECT created_day AS d, count(*) AS n_all,
                                 count(*) FILTER (WHERE acct IN (SELECT acct FROM {s.anc})) AS n_anc
                            FROM {s.profile} WHERE created_day IS NOT NULL GROUP BY created_day),
                 -- the days within cw of each day as an equi-join on day offsets (a range condition ran as a
                 -- nested loop over every pair of days: 0.4 s a call at 145k accounts)
                 win AS (SELECT d1.d, sum(d2.n_all) AS m, sum(d2.n_anc) AS k
                           FROM days d1 CROSS JOIN range({-cw}, {cw + 1}) o(off)
                           JOIN days d2 ON d2.d = d1.d + CAST(o.off AS INTEGER) GROUP BY d1.d),
                 tm AS (SELECT tmpl, count(*) AS m,
                               count(*) FILTER (WHERE acct IN (SELECT acct FROM {s.anc})) AS k
                          FROM {s.profile} WHERE tmpl IS NOT NULL GROUP BY tmpl)
            SELECT p.acct,
                   CASE WHEN win.k > 0 THEN greatest(0.0, ln(((win.k + 0.5) / ({n_anchors} + 1.0))
                                                             / ((win.m + 0.5) / ({n_all} + 1.0)))) ELSE 0 END
                     AS created_llr,
                   CASE WHEN tm.k >= {int(min_template_anchors)}
                        THEN greatest(0.0, ln(((tm.k + 0.5) / ({n_anchors} + 1.0)) / ((tm.m + 0.5) / ({n_all} + 1.0))))
                        ELSE 0 END AS template_llr,
                   p.created_day, p.tmpl
              FROM {s.profile} p LEFT JOIN win ON win.d = p.created_day LEFT JOIN tm USING (tmpl)
             WHERE p.acct NOT IN (SELECT acct FROM {s.anc})"""
    )
    keep = max(int(examples), 1)  # list slice bound (the lists are NULL when examples is 0)
    table = e.sql(
        f"""WITH linked AS (SELECT acct FROM {s.co} WHERE co_hits > 0 UNION SELECT acct FROM {s.amp}
                            UNION SELECT acct FROM {s.inf}
                            UNION SELECT acct FROM {s.sig} WHERE created_llr > 0 OR template_llr > 0)
            SELECT m.account_id, l.acct, coalesce(n.n_actions, 0) AS n_actions,
                   coalesce(co.co_hits, 0) AS co_hits, coalesce(co.co_expected, 0.0) AS co_expected,
                   coalesce(amp.amp_hits, 0) AS amp_hits, CAST(coalesce(n.n_actions, 0) AS DOUBLE) * CAST({amp_rate!r} AS DOUBLE) AS amp_expected,
                   coalesce(inf.infra_nats, 0.0) AS infra_nats,
                   coalesce(sig.created_llr, 0.0) AS created_llr, coalesce(sig.template_llr, 0.0) AS template_llr,
                   co.co_examples[1:{keep}] AS co_examples, co.co_seeds[1:{keep}] AS co_seeds,
                   amp.amp_actions[1:{keep}] AS amp_actions, amp.amp_seeds[1:{keep}] AS amp_seeds,
                   inf.shared_prefixes[1:{keep}] AS shared_prefixes,
                   inf.shared_asns[1:{keep}] AS shared_asns,
                   CAST(sig.created_day AS VARCHAR) AS created_day, sig.tmpl AS name_template
              FROM linked l JOIN {s.acct} m USING (acct)
              LEFT JOIN {s.nact} n USING (acct) LEFT JOIN {s.co} co USING (acct) LEFT JOIN {s.amp} amp USING (acct)
              LEFT JOIN {s.inf} inf USING (acct) LEFT JOIN {s.sig} sig USING (acct)
             WHERE l.acct NOT IN (SELECT acct FROM {s.anc})"""
    )
    return fetch_arrow(table)


def _target_stats(e: Engine, s: Scratch, w: int) -> None:
    """Add to ``s.tstat(target, t0, t1, c_t)`` the targets of ``s.ae`` it lacks: the span of the target's events
    and ``c_T``, the share of pairs of them in the same or neighbouring ``w``-second buckets.

    Both are properties of the target alone: the anchors' events on it and the candidates' (``s.ce``: everyone
    else's events on the anchors' targets) are all of its events, whatever the anchor set. So they are computed once
    per scratch and kept: the rounds and their decoy sets reach mostly the same targets (popular hashtags, viral
    posts, whose many events made this the round's costliest statement)."""
    e.sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {s.tstat} AS "
        f"SELECT target, t AS t0, t AS t1, CAST(NULL AS DOUBLE) AS c_t FROM {s.ae} LIMIT 0"
    )
    e.sql(
        f"""INSERT INTO {s.tstat}
            WITH new AS (SELECT DISTINCT target FROM {s.ae} ANTI JOIN {s.tstat} USING (target)),
                 ev AS (SELECT target, t FROM {s.ae} SEMI JOIN new USING (target)
                        UNION ALL SELECT target, t FROM {s.ce} SEMI JOIN new USING (target)),
                 b AS (SELECT target, t // {w} AS b, count(*) AS n, min(t) AS t0, max(t) AS t1 FROM ev GROUP BY ALL)
            SELECT target, min(t0), max(t1),
                   sum(n * (n - 1) + n * (CASE WHEN gap_prev = 1 THEN n_prev ELSE 0 END
                                          + CASE WHEN gap_next = 1 THEN n_next ELSE 0 END))
                     / nullif(sum(n) * (sum(n) - 1), 0)
              FROM (SELECT target, n, t0, t1, lag(n) OVER w AS n_prev, lead(n) OVER w AS n_next,
                           b - lag(b) OVER w AS gap_prev, lead(b) OVER w - b AS gap_next
                      FROM b WINDOW w AS (PARTITION BY target ORDER BY b))
             GROUP BY target"""
    )


def _co_sql(s: Scratch, examples: int) -> str:
    """``s.co``: per candidate, its events on anchor targets, their chance expectation and its hits, with the first
    ``examples`` hits and linked seeds as evidence (none when ``examples`` is 0)."""
    lam = f"""lam AS (SELECT ce.acct, {exact_sum("tp.p_hit")} AS co_expected, count(*) AS co_events
                          FROM {s.ce} ce JOIN {s.tp} tp USING (target) GROUP BY ce.acct)"""
    if not examples:
        return f"""CREATE OR REPLACE TEMP TABLE {s.co} AS
           WITH {lam}, hit AS (SELECT acct, count(*) AS co_hits FROM {s.hits} GROUP BY acct)
           SELECT lam.acct, lam.co_events, lam.co_expected, coalesce(hit.co_hits, 0) AS co_hits,
                  CAST(NULL AS STRUCT(action VARCHAR, seed_action VARCHAR, seed VARCHAR, via VARCHAR)[])
                    AS co_examples,
                  CAST(NULL AS VARCHAR[]) AS co_seeds
             FROM lam LEFT JOIN hit USING (acct)"""
    return f"""CREATE OR REPLACE TEMP TABLE {s.co} AS
           WITH {lam},
                -- examples: the first ``examples`` hits by action id (a hit's seed is its seed action's account, so
                -- the seed id in the struct never changes the order), seeds: the first by account id; top-n
                -- aggregates, no list of every hit
                agg AS (SELECT acct, count(*) AS co_hits,
                               min({{'action': action_id, 'via': tk, 'target': target, 'seed_action': rep_action,
                                    'seed': rep_seed}}, {int(examples)}) AS ex
                          FROM {s.hits} GROUP BY acct),
                sd AS (SELECT acct, min(rep_seed, {int(examples)}) AS co_seeds
                         FROM (SELECT DISTINCT acct, rep_seed FROM {s.hits}) GROUP BY acct),
                hit AS (SELECT agg.acct, agg.co_hits,
                               list_transform(agg.ex, lambda x: {{'action': x.action, 'seed_action': x.seed_action,
                                                                  'seed': x.seed, 'via': x.via}}) AS co_examples,
                               sd.co_seeds
                          FROM agg LEFT JOIN sd USING (acct))
           SELECT lam.acct, lam.co_events, lam.co_expected, coalesce(hit.co_hits, 0) AS co_hits,
                  hit.co_examples, hit.co_seeds
             FROM lam LEFT JOIN hit USING (acct)"""


def prefix_weights(engine: Engine, s: Scratch, anchors: str, out: str) -> None:
    """Create ``out(k, v, weight)``: evidence in nats that an account logging in from a prefix (``k = 'p'``) or ASN
    (``'a'``) the anchors in ``anchors(acct)`` use belongs with them. Requires :func:`prepare` and the behavioural
    tables of :func:`anchor_links` (``s.co``, ``s.amp``) in scratch ``s``.

    Two estimates, the larger counts:

    - likelihood ratio ``ln P(v | anchors) / P(v | background)`` (add-½ smoothing, floored at 0), the background
      being accounts with login data that are neither anchors nor in behavioural contact with them (amplified an
      anchor, or repeated co-actions well above chance). A national ISP that anchors use as often as everyone else
      weighs ~0; a household prefix with one anchor on it ~ln(1 / anchors' share), which is small when the anchors
      are a large share of the accounts (plain rarity, ln(N / df), would count every chance household match of a
      large anchor set as strongly as the operation's own servers);
    - rarity ``ln(N / df)``, but only up to the Poisson surprise of the anchors' count on ``v`` given their share:
      with a small seed set, the operation's *unseeded* members make its servers look common in the background (15
      seeds of an 870-account operation: 109 of a VPN exit's 220 users are not anchors, most of them the
      operation), while the anchors' concentration on them is still far beyond chance.

    ASNs are broader than prefixes and count half.
    """
    from flockwatch.core.stats import poisson_surprise

    t = engine.sql(f"""
        WITH ai AS (SELECT DISTINCT acct, ip_prefix, asn FROM {s.infra} SEMI JOIN {anchors} USING (acct)),
             contact AS (SELECT acct FROM {s.amp}
                         UNION SELECT acct FROM {s.co} WHERE co_hits >= 2 AND co_hits > 3 * co_expected
                         UNION SELECT acct FROM {anchors}),
             bg AS (SELECT DISTINCT acct, ip_prefix, asn FROM {s.infra} WHERE acct NOT IN (SELECT acct FROM contact)),
             kv AS (SELECT 'p' AS k, ip_prefix AS v, count(DISTINCT acct) AS k_anc FROM ai
                     WHERE ip_prefix IS NOT NULL GROUP BY ip_prefix
                    UNION ALL
                    SELECT 'a', CAST(asn AS VARCHAR), count(DISTINCT acct) FROM ai WHERE asn IS NOT NULL GROUP BY asn),
             b AS (SELECT 'p' AS k, ip_prefix AS v, count(DISTINCT acct) AS k_bg FROM bg
                    WHERE ip_prefix IS NOT NULL GROUP BY ip_prefix
                   UNION ALL
                   SELECT 'a', CAST(asn AS VARCHAR), count(DISTINCT acct) FROM bg WHERE asn IS NOT NULL GROUP BY asn)
        SELECT kv.k, kv.v, kv.k_anc::DOUBLE AS k_anc, coalesce(b.k_bg, 0)::DOUBLE AS k_bg, df.df::DOUBLE AS df,
               (SELECT count(DISTINCT acct) FROM ai)::DOUBLE AS n_anc,
               (SELECT count(DISTINCT acct) FROM bg)::DOUBLE AS n_bg,
               (SELECT count(DISTINCT acct) FROM {s.infra})::DOUBLE AS n_all
          FROM kv LEFT JOIN b USING (k, v) JOIN {s.prefix_df} df USING (k, v)""").arrow()
    col = {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names if c not in ("k", "v")}
    n_anc, n_bg, n_all = (float(col[c][0]) if t.num_rows else 1.0 for c in ("n_anc", "n_bg", "n_all"))
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = np.log(((col["k_anc"] + 0.5) / (n_anc + 1.0)) / ((col["k_bg"] + 0.5) / (n_bg + 1.0)))
        others = np.maximum(col["df"] - 1.0, 0.0)
        rarity = np.minimum(
            poisson_surprise(col["k_anc"], others * n_anc / max(n_all, 1.0)), np.log((n_all + 1.0) / (col["df"] + 1.0))
        )
    weight = np.maximum(np.maximum(llr, rarity), 0.0)
    kind = t.column("k").to_numpy(zero_copy_only=False)
    weight = np.where(kind == "a", 0.5 * weight, weight)
    pw_in = s.register(
        "pw_in", pa.table({"k": t.column("k"), "v": t.column("v"), "weight": pa.array(weight, pa.float64())})
    )
    try:
        engine.sql(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM {pw_in}")
    finally:
        s.unregister(pw_in)


def fetch_arrow(result) -> pa.Table:
    """An engine result as Arrow."""
    return result.arrow()


def _ln_ratio(n: int, k: int) -> float:
    import math

    return math.log((n + 1.0) / (k + 1.0))
