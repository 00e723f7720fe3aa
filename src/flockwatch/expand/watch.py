"""Incremental scoring of newly arriving actions: flag amplifiers from their first few actions.

Consumes an open workspace (the history: known networks, their posts, infrastructure, account metadata), a seed set,
and then micro-batches of new actions (Arrow tables in the canonical ``actions`` shape, plus optional entity lists:
``hashtags``, ``urls``, ``mentions``); produces :class:`Flag` rows — accounts whose evidence crossed the threshold,
with the evidence — as soon as the batch that pushes them over arrives.

Known network: the seeds plus, by default, the expansion of the seeds at ``min_score`` (``expand_first``). The
anchor index (the anchors' events by target and time bucket, their posts, the targets' anchor rates) is built once
from the workspace and then grows with every batch: anchors keep posting, and a fresh amplifier reposting a post
published a minute ago must match it. Candidates keep a small state row (actions seen, co-action hits and
expectation, amplification hits); a batch touches only its own accounts, so nothing is rescanned.

Scores use the same behavioural evidence as expansion (``expansion.evidence_nats``: co-actions, amplification,
shared logins) plus account-level priors (:mod:`flockwatch.expand.priors`: handle template, creation day and
creation bursts, language, reported location, description — log-likelihood ratios of the account's profile against
the known network and the workspace background), so an account whose sign-up already looks like the network's can
be flagged at its first action. Profiles of new accounts arrive with the stream (``process(accounts=...)``, twarc2
``includes.users``, canonical profile lines) or are looked up in the workspace's ``accounts`` table when an unknown
account first acts. Accounts flagged with behavioural evidence join the network's profile counts, so the network's
new creation days and templates are learned as the stream goes. The expansion's target-decoy calibration maps
evidence to an estimated precision; the flag threshold is the least evidence at which the expansion reached
``min_score``. Order matters: an event is matched against anchor events already seen (this batch or earlier), so a
candidate acting *before* an anchor on the same target is not counted — the stream is assumed roughly time-ordered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from flockwatch import schema
from flockwatch.core.records import RecordError, twarc2_account, twarc2_page_tweets, twarc2_tweet
from flockwatch.core.text import hashtag_key, mention_key
from flockwatch.engine import Scratch
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.expand import links
from flockwatch.expand.expansion import CORROBORATION_MIN_NATS, ExpansionParams, evidence_nats, run_expansion
from flockwatch.expand.priors import PROFILE_COLUMNS, WORKSPACE_PROFILES, AccountPriors, PriorParams
from flockwatch.expand.seeds import resolve_seeds
from flockwatch.workspace import Workspace

#: Used when no calibration is available (expansion off, or nothing reached ``min_score``).
DEFAULT_MIN_NATS = 12.0

#: The calibrated threshold never goes below this (~1 in 22,000 by chance): the expansion can reach a high score at
#: less evidence when its anchors are a large share of the accounts, and a stream sees partial histories.
MIN_CALIBRATED_NATS = 10.0

#: Evidence of a single kind (co-action, amplification, infrastructure, account signals) flags only at this much.
SINGLE_KIND_MIN_NATS = 12.0

ACTION_COLUMNS = ("action_id", "account_id", "kind", "acted_at", "target_action_id", "target_account_id", "text")


@dataclass
class Flag:
    """An account whose first actions link it to a known network."""

    account_id: str
    score: float
    nats: float
    actions_seen: int
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "score": round(self.score, 4),
            "nats": round(self.nats, 3),
            "actions_seen": self.actions_seen,
            "evidence": self.evidence,
        }


class Watcher:
    """Scores micro-batches of new actions against known networks. One per workspace connection."""

    def __init__(
        self,
        ws: Workspace,
        seeds: Any,
        min_score: float = 0.95,
        expand_first: bool = True,
        params: ExpansionParams | None = None,
        record_trajectories: bool = False,
        prior_params: PriorParams | None = None,
        use_priors: bool = True,
    ) -> None:
        if not 0 < min_score <= 1:
            raise ValidationError("min_score must be in (0, 1]")
        self.ws = ws
        self.e = ws.engine
        self.params = params or ExpansionParams()
        self.min_score = min_score
        self.window_s = int(self.params.window_s)
        self.seeds = resolve_seeds(ws, seeds)
        self.record = record_trajectories
        self.trajectories: list[pa.Table] = []
        self.batches = 0
        self.actions_seen = 0
        members = list(self.seeds.account_ids)
        self._calib_raw = np.array([])
        self._calib_score = np.array([])
        self.min_nats = DEFAULT_MIN_NATS
        # The watcher's own tables (anchor index, candidate state) live in a scratch until close(); the expansion's
        # (workspace-wide event tables) only until the index is built from them.
        self.s = self.e.scratch("watch")
        try:
            with self.e.scratch("expand") as xs:
                if expand_first:
                    x = run_expansion(self.e, xs, self.seeds, self.params)
                    members = x.members(min_score)
                    order = np.argsort(x.raw_nats, kind="stable")
                    self._calib_raw = x.raw_nats[order]
                    self._calib_score = np.maximum.accumulate(x.scores[order]) if len(order) else np.array([])
                    reached = x.raw_nats[x.scores >= min_score]
                    if len(reached):
                        self.min_nats = max(float(reached.min()), MIN_CALIBRATED_NATS)
                else:
                    links.prepare(self.e, xs, min_text_chars=self.params.min_text_chars)
                self.anchors = sorted(set(members))
                self.priors = AccountPriors(ws, self.anchors, prior_params) if use_priors else None
                self._build_index(xs)
        except BaseException:
            self.s.close()
            raise

    # -- the anchor index ---------------------------------------------------------------------------------------
    def _build_index(self, x: Scratch) -> None:
        """Build the anchor index in the watcher's scratch from the expansion tables in ``x``."""
        e, w, s = self.e, self.window_s, self.s
        anc_in = s.register("anc_in", pa.table({"account_id": pa.array(self.anchors, pa.string())}))
        try:
            e.sql(f"CREATE OR REPLACE TEMP TABLE {s.anc} AS SELECT DISTINCT account_id FROM {anc_in}")
        finally:
            s.unregister(anc_in)
        e.sql(
            f"CREATE OR REPLACE TEMP TABLE {s.anchor_tbl} AS SELECT m.acct FROM {x.acct} m SEMI JOIN {s.anc} USING (account_id)"
        )
        # Account-level evidence (infrastructure, creation, name template) against the final anchors, for accounts
        # the workspace already knows (a fresh account's sign-up and logins usually are).
        prior = links.anchor_links(e, x, s.anchor_tbl, w)
        prior_in = s.register(
            "prior_in",
            prior.select(["account_id", "infra_nats", "created_llr", "template_llr"])
            if prior.num_rows
            else pa.table(
                {
                    "account_id": pa.array([], pa.string()),
                    "infra_nats": pa.array([], pa.float64()),
                    "created_llr": pa.array([], pa.float64()),
                    "template_llr": pa.array([], pa.float64()),
                }
            ),
        )
        try:
            e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.prior} AS
                     SELECT account_id, CAST(infra_nats AS DOUBLE) AS infra_nats,
                            CAST(created_llr AS DOUBLE) AS created_llr, CAST(template_llr AS DOUBLE) AS template_llr
                       FROM {prior_in}""")
        finally:
            s.unregister(prior_in)
        total = e.sql(f"SELECT count(*) FROM {x.act} WHERE acct NOT IN (SELECT acct FROM {s.anchor_tbl})").scalar() or 1
        amp = (
            e.sql(
                f"SELECT count(DISTINCT action_id) FROM {x.amp_rows} WHERE acct NOT IN "
                f"(SELECT acct FROM {s.anchor_tbl})"
            ).scalar()
            or 0
        )
        self.amp_rate = max(float(amp) / float(total), 1e-6)
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.ae} AS
                 SELECT ev.target, ev.t, ev.action_id, m.account_id FROM {x.events} ev JOIN {x.acct} m USING (acct)
                  WHERE ev.acct IN (SELECT acct FROM {s.anchor_tbl})""")
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.ab} AS
                  SELECT target, t // {w} AS b, min(t) AS t0, max(t) AS t1,
                         arg_min(action_id, (t, action_id)) AS rep_action,
                         arg_min(account_id, (t, action_id)) AS rep_account
                    FROM {s.ae} GROUP BY ALL""")
        e.add_unique_key(s.ab, ["target", "b"], s.ab_key)
        # p_static: the expansion's chance estimate for targets the history knows (bursty targets stay cheap);
        # new targets fall back to the anchors' rate over the span seen so far
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.tp} AS
                 WITH a AS (SELECT target, count(*) AS n_anchor FROM {s.ae} GROUP BY target)
                 SELECT a.target, a.n_anchor, min(ev.t) AS t0, max(ev.t) AS t1,
                        coalesce(any_value(tp.p_hit), 0.0) AS p_static
                   FROM a JOIN {x.events} ev USING (target) LEFT JOIN {x.tp} tp USING (target)
                  GROUP BY a.target, a.n_anchor""")
        e.add_unique_key(s.tp, ["target"], s.tp_key)
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.anchor_actions} AS
                 SELECT x.action_id, m.account_id FROM {x.act} x JOIN {x.acct} m USING (acct)
                  WHERE x.acct IN (SELECT acct FROM {s.anchor_tbl})""")
        # Weights of the prefixes / ASNs anchors log in from (links.prefix_weights, as anchor_links just built
        # them for these anchors), for logins that arrive with the stream.
        n_infra = e.sql(f"SELECT count(DISTINCT acct) FROM {x.infra}").scalar() or 0
        e.sql(f"CREATE OR REPLACE TEMP TABLE {s.prefix_weights} AS SELECT k, v, weight FROM {x.pw} WHERE weight > 0")
        # VPN use, as in expansion (links.anchor_links): evidence only when most anchors log in through VPNs, weighted
        # by how rare VPN logins are among all accounts with login data.
        vpn_anchor_share = (
            e.sql(
                f"SELECT avg(CASE WHEN v THEN 1.0 ELSE 0.0 END) FROM (SELECT acct, bool_or(via_vpn) v FROM {x.infra} "
                f"WHERE acct IN (SELECT acct FROM {s.anchor_tbl}) GROUP BY acct)"
            ).scalar()
            or 0.0
        )
        n_vpn = e.sql(f"SELECT count(DISTINCT acct) FROM {x.infra} WHERE via_vpn").scalar() or 0
        if vpn_anchor_share >= 0.5 and n_vpn:
            e.sql(f"INSERT INTO {s.prefix_weights} VALUES ('v', 'true', 0.5 * ln(({n_infra} + 1.0) / ({n_vpn} + 1.0)))")
        e.sql(f"CREATE OR REPLACE TEMP TABLE {s.logins} (account_id VARCHAR, k VARCHAR, v VARCHAR)")
        e.add_unique_key(s.logins, ["account_id", "k", "v"], s.logins_key)
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.state} (
                   account_id VARCHAR PRIMARY KEY, n_actions BIGINT, co_hits BIGINT, co_expected DOUBLE,
                   amp_hits BIGINT, flagged BOOLEAN, examples VARCHAR[])""")

    # -- scoring ------------------------------------------------------------------------------------------------
    def process(
        self,
        actions: pa.Table,
        hashtags: pa.Table | None = None,
        urls: pa.Table | None = None,
        mentions: pa.Table | None = None,
        logins: pa.Table | None = None,
        accounts: pa.Table | None = None,
    ) -> list[Flag]:
        """Score one micro-batch; returns the accounts flagged by it (each account is flagged once).

        ``accounts`` (``accounts``-shaped rows: ``account_id, screen_name, created_at, language, reported_location,
        description``): sign-ups and profile changes seen up to this batch; they feed the account-level priors.

        ``logins`` (``account_id, ip_prefix, asn``, optional ``via_vpn``), when the stream carries them, add
        shared-infrastructure evidence (prefixes and ASNs the anchors use, weighted as in expansion; VPN use when the
        anchors mostly use VPNs) for accounts the workspace did not know (a new account's sign-up and first logins).
        """
        if logins is not None and logins.num_rows:
            self._add_logins(logins)
        if self.priors is not None and accounts is not None and accounts.num_rows:
            self.priors.observe(accounts)
        if actions.num_rows == 0:
            return []
        e, w, s = self.e, self.window_s, self.s
        self.batches += 1
        self.actions_seen += actions.num_rows
        tables = {
            "act": _normalise_actions(actions),
            "ht": hashtags if hashtags is not None else _empty("hashtag"),
            "ur": urls if urls is not None else _empty("url"),
            "mn": mentions if mentions is not None else _empty("mentioned_account_id"),
        }
        registered = {name: s.register(f"in_{name}", t) for name, t in tables.items()}
        try:
            e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.b_act} AS
                     SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(action_id AS VARCHAR) AS action_id,
                            epoch(CAST(acted_at AS TIMESTAMP))::BIGINT AS t, CAST(kind AS VARCHAR) AS kind,
                            CAST(target_action_id AS VARCHAR) AS target_action_id,
                            CAST(target_account_id AS VARCHAR) AS target_account_id, CAST(text AS VARCHAR) AS text
                       FROM {registered["act"]}""")
            for name, col in (("ht", "hashtag"), ("ur", "url"), ("mn", "mentioned_account_id")):
                e.sql(
                    f"CREATE OR REPLACE TEMP TABLE {s.name('b_' + name)} AS "
                    f"SELECT CAST(action_id AS VARCHAR) AS action_id, CAST({col} AS VARCHAR) AS {col} "
                    f"FROM {registered[name]}"
                )
        finally:
            for name in registered.values():
                s.unregister(name)
        body = links.events_sql(
            s.b_act, s.b_act, s.b_ht, s.b_ur, s.b_mn, key="account_id", min_text_chars=self.params.min_text_chars
        )
        e.sql(f"CREATE OR REPLACE TEMP TABLE {s.b_ev} AS {body}")
        # 1. anchors' new events grow the index first, so within-batch co-actions count
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.b_ae} AS
                 SELECT target, t, action_id, account_id FROM {s.b_ev} WHERE account_id IN (SELECT account_id FROM {s.anc})""")
        e.sql(f"INSERT INTO {s.ae} SELECT * FROM {s.b_ae}")
        e.upsert(
            s.ab,
            f"""SELECT target, t // {w}, min(t), max(t), arg_min(action_id, (t, action_id)),
                                  arg_min(account_id, (t, action_id)) FROM {s.b_ae} GROUP BY ALL""",
            ["target", "b"],
            {"t0": f"least({s.ab}.t0, excluded.t0)", "t1": f"greatest({s.ab}.t1, excluded.t1)"},
        )
        e.upsert(
            s.tp,
            f"SELECT target, count(*), min(t), max(t), 0.0 FROM {s.b_ae} GROUP BY target",
            ["target"],
            {
                "n_anchor": f"{s.tp}.n_anchor + excluded.n_anchor",
                "t0": f"least({s.tp}.t0, excluded.t0)",
                "t1": f"greatest({s.tp}.t1, excluded.t1)",
            },
        )
        e.upsert(
            s.tp,
            f"""SELECT target, 0, min(t), max(t), 0.0 FROM {s.b_ev}
                            WHERE target IN (SELECT target FROM {s.tp}) GROUP BY target""",
            ["target"],
            {"t0": f"least({s.tp}.t0, excluded.t0)", "t1": f"greatest({s.tp}.t1, excluded.t1)"},
        )
        e.sql(
            f"INSERT INTO {s.anchor_actions} SELECT action_id, account_id FROM {s.b_act} "
            f"WHERE account_id IN (SELECT account_id FROM {s.anc})"
        )
        # 2. per-action contributions of candidates (not anchors, not yet flagged)
        e.sql(f"""CREATE OR REPLACE TEMP TABLE {s.b_contrib} AS
            WITH cand AS (SELECT * FROM {s.b_act} WHERE account_id NOT IN (SELECT account_id FROM {s.anc})
                            AND account_id NOT IN (SELECT account_id FROM {s.state} WHERE flagged)),
                 ce AS (SELECT ev.account_id, ev.action_id, ev.t, ev.tk, ev.target,
                               greatest(tp.p_static,
                                        1 - exp(-2.0 * {w} * tp.n_anchor / (tp.t1 - tp.t0 + 2.0 * {w}))) AS p_hit
                          FROM {s.b_ev} ev JOIN {s.tp} tp USING (target)
                         WHERE ev.account_id IN (SELECT account_id FROM cand)),
                 ab3 AS (SELECT ab.*, ab.b + d.d AS jb, d.d FROM {s.ab} ab, (VALUES (-1), (0), (1)) d(d)
                          WHERE ab.target IN (SELECT target FROM ce)),
                 -- an event meets up to three anchor buckets: one bucket's representative, picked by its offset
                 -- d, so the same on every run and action and account from one row (as links.anchor_links)
                 hits AS (SELECT ce.account_id, ce.action_id, ce.tk, ce.target,
                                 arg_min(ab3.rep_action, ab3.d) AS rep_action,
                                 arg_min(ab3.rep_account, ab3.d) AS rep_account
                            FROM ce JOIN ab3 ON ce.target = ab3.target AND ce.t // {w} = ab3.jb
                           WHERE ab3.d = 0 OR (ab3.d = 1 AND ab3.t1 >= ce.t - {w})
                                           OR (ab3.d = -1 AND ab3.t0 <= ce.t + {w})
                           GROUP BY ALL),
                 per_action_co AS (SELECT action_id, sum(p_hit) AS co_expected FROM ce GROUP BY action_id),
                 per_action_hit AS (SELECT action_id, count(*) AS co_hits,
                                           list(action_id || '~' || rep_action || '~' || rep_account || '~' || tk ORDER BY tk, target)
                                             AS examples
                                      FROM hits GROUP BY action_id),
                 amp AS (SELECT c.action_id FROM cand c
                          WHERE c.target_account_id IN (SELECT account_id FROM {s.anc})
                             OR c.target_action_id IN (SELECT action_id FROM {s.anchor_actions})
                         UNION SELECT mn.action_id FROM {s.b_mn} mn
                          WHERE mn.mentioned_account_id IN (SELECT account_id FROM {s.anc}))
            SELECT c.account_id, c.action_id, c.t,
                   coalesce(h.co_hits, 0) AS co_hits, coalesce(pc.co_expected, 0.0) AS co_expected,
                   CASE WHEN c.action_id IN (SELECT action_id FROM amp) THEN 1 ELSE 0 END AS amp_hits,
                   h.examples
              FROM cand c LEFT JOIN per_action_co pc USING (action_id) LEFT JOIN per_action_hit h USING (action_id)""")
        # 3. running totals per account, continuing from the stored state
        # with priors on, creation and template evidence come from the priors (not the expansion's gated copy)
        prior_off = 0 if self.priors is not None else 1
        traj = links.fetch_arrow(
            e.sql(f"""
            SELECT c.account_id, c.action_id,
                   coalesce(s.n_actions, 0) + row_number() OVER w AS n_actions,
                   coalesce(s.co_hits, 0) + sum(c.co_hits) OVER w AS co_hits,
                   coalesce(s.co_expected, 0) + sum(c.co_expected) OVER w AS co_expected,
                   coalesce(s.amp_hits, 0) + sum(c.amp_hits) OVER w AS amp_hits,
                   greatest(coalesce(p.infra_nats, 0.0), coalesce(li.infra_nats, 0.0)) AS infra_nats,
                   CAST({prior_off} AS DOUBLE) * coalesce(p.created_llr, 0.0) AS created_llr,
                   CAST({prior_off} AS DOUBLE) * coalesce(p.template_llr, 0.0) AS template_llr
              FROM {s.b_contrib} c LEFT JOIN {s.state} s USING (account_id) LEFT JOIN {s.prior} p USING (account_id)
              LEFT JOIN (SELECT l.account_id, sum(pw.weight) AS infra_nats FROM {s.logins} l JOIN {s.prefix_weights} pw USING (k, v)
                          GROUP BY l.account_id) li USING (account_id)
            WINDOW w AS (PARTITION BY c.account_id ORDER BY c.t, c.action_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ORDER BY c.account_id, n_actions""")
        )
        if traj.num_rows == 0:
            return []
        n = traj.column("n_actions").to_numpy(zero_copy_only=False).astype(float)
        traj = traj.append_column("amp_expected", pa.array(n * self.amp_rate, pa.float64()))
        nats = evidence_nats(traj)
        accounts = traj.column("account_id").to_pylist()
        prior_ev = self._prior_evidence(accounts)
        prior_sum = np.array([sum(x.nats for x in prior_ev.get(a, ())) for a in accounts], float)
        prior_max = np.array([max((x.nats for x in prior_ev.get(a, ())), default=0.0) for a in accounts], float)
        behaviour = nats["co_action"] + nats["amplification"] + nats["infrastructure"]
        # Corroboration: no single account-level feature carries a flag. The strongest one counts only when the
        # rest of the evidence (behaviour and the other features) adds CORROBORATION_MIN_NATS — an ordinary user who
        # happened to sign up on a burst day, or to pick a template-like handle, has just that one thing.
        corroborated = behaviour + prior_sum - prior_max >= CORROBORATION_MIN_NATS
        nats["account_prior"] = np.where(corroborated, prior_sum, 0.0)
        total = nats["total"] + nats["account_prior"]
        nats["total"] = total
        if self.record:
            self.trajectories.append(
                pa.table(
                    {
                        "account_id": traj.column("account_id"),
                        "n_actions": traj.column("n_actions"),
                        "nats": pa.array(total, pa.float64()),
                    }
                )
            )
        # One kind of evidence alone flags only far above the threshold: the threshold is calibrated on the
        # expansion's histories, where evidence usually comes from several kinds at once; in a stream an ordinary
        # user who reposts two of the network's posts has ~8 nats of amplification and nothing else.
        families = np.vstack(
            [
                nats["co_action"],
                nats["amplification"],
                nats["infrastructure"],
                nats["account_prior"] + nats["creation"] + nats["name_template"],
            ]
        )
        corroborated_total = total - families.max(axis=0) >= CORROBORATION_MIN_NATS
        crossed = (total >= self.min_nats) & (corroborated_total | (total >= max(self.min_nats, SINGLE_KIND_MIN_NATS)))
        flags: list[Flag] = []
        seen: set[str] = set()
        for i in np.flatnonzero(crossed):
            acc = accounts[i]
            if acc in seen:
                continue
            seen.add(acc)
            ev = self._evidence(traj, nats, i)
            ev["account_priors"] = [x.to_dict() for x in prior_ev.get(acc, ())]
            flags.append(Flag(acc, self.score_of(float(total[i])), float(total[i]), int(n[i]), ev))
        if self.priors is not None:
            # Only behaviourally corroborated flags teach the network's profile: a flag carried by the priors alone
            # must not reinforce the very values that carried it.
            self.priors.add_to_network(
                accounts[i] for i in np.flatnonzero(crossed) if behaviour[i] >= CORROBORATION_MIN_NATS
            )
        # 4. store the state (last running total per account)
        e.upsert(
            s.state,
            f"""SELECT account_id, count(*), sum(co_hits), sum(co_expected), sum(amp_hits), false,
                                     flatten(list(examples ORDER BY t, action_id) FILTER (WHERE examples IS NOT NULL))[1:5]
                                FROM {s.b_contrib} GROUP BY account_id""",
            ["account_id"],
            {
                "n_actions": f"{s.state}.n_actions + excluded.n_actions",
                "co_hits": f"{s.state}.co_hits + excluded.co_hits",
                "co_expected": f"{s.state}.co_expected + excluded.co_expected",
                "amp_hits": f"{s.state}.amp_hits + excluded.amp_hits",
                "examples": f"list_concat({s.state}.examples, excluded.examples)[1:5]",
            },
        )
        if flags:
            flag_in = s.register(
                "flag_in", pa.table({"account_id": pa.array([f.account_id for f in flags], pa.string())})
            )
            try:
                e.sql(f"UPDATE {s.state} SET flagged = true WHERE account_id IN (SELECT account_id FROM {flag_in})")
            finally:
                s.unregister(flag_in)
            ex = dict(
                e.sql(
                    f"SELECT account_id, examples FROM {s.state} WHERE flagged AND account_id IN "
                    f"(SELECT account_id FROM {s.b_contrib})"
                ).rows()
            )
            for f in flags:
                f.evidence["co_action_examples"] = [_example(x) for x in (ex.get(f.account_id) or [])]
        return flags

    def _add_logins(self, logins: pa.Table) -> None:
        e, s = self.e, self.s
        cols = logins.column_names
        if "account_id" not in cols:
            raise ValidationError("logins need an account_id column")
        n = logins.num_rows
        t = pa.table(
            {
                "account_id": logins.column("account_id").cast(pa.string()),
                "ip_prefix": logins.column("ip_prefix").cast(pa.string())
                if "ip_prefix" in cols
                else pa.nulls(n, pa.string()),
                "asn": logins.column("asn").cast(pa.string()) if "asn" in cols else pa.nulls(n, pa.string()),
                "via_vpn": logins.column("via_vpn").cast(pa.bool_()) if "via_vpn" in cols else pa.nulls(n, pa.bool_()),
            }
        )
        logins_in = s.register("logins_in", t)
        try:
            e.upsert(
                s.logins,
                f"""SELECT DISTINCT account_id, 'p', ip_prefix FROM {logins_in} WHERE ip_prefix IS NOT NULL
                     UNION SELECT DISTINCT account_id, 'a', asn FROM {logins_in} WHERE asn IS NOT NULL
                     UNION SELECT DISTINCT account_id, 'v', 'true' FROM {logins_in} WHERE via_vpn""",
                ["account_id", "k", "v"],
                {},
            )
        finally:
            s.unregister(logins_in)

    def score_of(self, nats: float) -> float:
        """Estimated precision at this much evidence, from the expansion's target-decoy calibration."""
        if not len(self._calib_raw):
            return float("nan")
        i = np.searchsorted(self._calib_raw, nats, side="right") - 1
        return float(self._calib_score[i]) if i >= 0 else 0.0

    def _evidence(self, traj: pa.Table, nats: dict[str, np.ndarray], i: int) -> dict[str, Any]:
        row = {c: traj.column(c)[i].as_py() for c in ("n_actions", "co_hits", "co_expected", "amp_hits")}
        return {
            "actions_seen": row["n_actions"],
            "co_action": {
                "hits": row["co_hits"],
                "expected": round(row["co_expected"], 3),
                "nats": round(float(nats["co_action"][i]), 3),
            },
            "amplification": {
                "actions": row["amp_hits"],
                "expected": round(row["n_actions"] * self.amp_rate, 3),
                "nats": round(float(nats["amplification"][i]), 3),
            },
            "infrastructure_nats": round(float(nats["infrastructure"][i]), 3),
            "account_signal_nats": round(float(nats["creation"][i] + nats["name_template"][i]), 3),
            "account_prior_nats": round(float(nats["account_prior"][i]), 3),
        }

    def _prior_evidence(self, accounts: list[str]) -> dict[str, list]:
        """Per-feature prior evidence of the batch's accounts; profiles of accounts the priors have not seen are
        looked up in the workspace (a platform's accounts table is updated at sign-up)."""
        if self.priors is None:
            return {}
        ids = sorted(set(accounts))
        unknown = [a for a in ids if not self.priors.knows(a)]
        if unknown:
            unknown_in = self.s.register("unknown_in", pa.table({"account_id": pa.array(unknown, pa.string())}))
            try:
                rows = links.fetch_arrow(
                    self.e.sql(
                        f"SELECT {', '.join(PROFILE_COLUMNS)} FROM {WORKSPACE_PROFILES} "
                        f"WHERE account_id IN (SELECT account_id FROM {unknown_in})"
                    )
                )
            finally:
                self.s.unregister(unknown_in)
            if rows.num_rows:
                self.priors.observe(rows)
        return {a: self.priors.evidence(a) for a in ids}

    def trajectory_table(self) -> pa.Table:
        """Per-action evidence of every candidate seen (needs ``record_trajectories=True``)."""
        if not self.trajectories:
            return pa.table(
                {
                    "account_id": pa.array([], pa.string()),
                    "n_actions": pa.array([], pa.int64()),
                    "nats": pa.array([], pa.float64()),
                }
            )
        return pa.concat_tables(self.trajectories)

    def close(self) -> None:
        """Drop the watcher's tables (its scratch)."""
        self.s.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _example(x: str) -> dict[str, str]:
    a, s, acc, tk = (x.split("~") + ["", "", "", ""])[:4]
    return {"action_id": a, "seed_action_id": s, "seed": acc, "why": links.TARGET_KINDS.get(tk, tk)}


def _empty(col: str) -> pa.Table:
    return pa.table({"action_id": pa.array([], pa.string()), col: pa.array([], pa.string())})


def _normalise_actions(t: pa.Table) -> pa.Table:
    missing = [c for c in ("action_id", "account_id", "acted_at") if c not in t.column_names]
    if missing:
        raise ValidationError(f"new actions lack required columns: {', '.join(missing)}")
    cols = {}
    for c in ACTION_COLUMNS:
        cols[c] = t.column(c) if c in t.column_names else pa.nulls(t.num_rows, pa.string())
    if "kind" not in t.column_names:
        cols["kind"] = pa.array(["post"] * t.num_rows, pa.string())
    return pa.table(cols)


# -- input: canonical JSONL / twarc2 pages / CSV ------------------------------------------------------------------
@dataclass
class Batch:
    actions: pa.Table
    hashtags: pa.Table
    urls: pa.Table
    mentions: pa.Table
    source: str = ""
    logins: pa.Table | None = None
    accounts: pa.Table | None = None


def batch_from_records(records: Iterable[dict[str, Any]], source: str = "") -> Batch:
    """Canonical action dicts (``hashtags``/``urls``/``mentions`` lists optional), login events (``account_id,
    ip_prefix, asn`` without ``action_id``), account profiles (``account_id`` plus ``screen_name`` / ``created_at``
    without ``action_id``) or twarc2 pages (their ``includes.users`` become profiles) → a Batch."""
    acts: list[dict[str, Any]] = []
    ht: list[tuple[str, str]] = []
    ur: list[tuple[str, str]] = []
    mn: list[tuple[str, str]] = []
    logins: list[tuple[str, Any, Any]] = []
    profiles: list[dict[str, Any]] = []
    for rec in records:
        if "data" in rec and isinstance(rec["data"], list):  # a twarc2 page: the same mapping as ingest's
            tweets, ref_authors, users = twarc2_page_tweets(rec)
            profiles += [_twarc2_profile(u) for u in users]
            for t in tweets:
                try:
                    tw = twarc2_tweet(t, ref_authors)
                except RecordError as exc:
                    raise ValidationError(f"{source}: {exc}: {json.dumps(t, ensure_ascii=False)[:200]}") from exc
                a = {
                    "action_id": tw.action_id,
                    "account_id": tw.account_id,
                    "kind": tw.kind,
                    "acted_at": tw.acted_at.isoformat(),
                    "target_action_id": tw.target_action_id,
                    "target_account_id": tw.target_account_id,
                    "text": tw.text,
                }
                acts.append(a)
                ht += [(tw.action_id, h) for h in tw.hashtags]
                ur += [(tw.action_id, u) for u, _ in tw.urls]
                mn += [(tw.action_id, m) for m in tw.mentions]
            continue
        if "action_id" not in rec and "ip_prefix" in rec:  # a login event riding along with the actions
            logins.append(
                (
                    str(rec.get("account_id")),
                    rec.get("ip_prefix"),
                    None if rec.get("asn") is None else str(rec.get("asn")),
                    None if rec.get("via_vpn") is None else bool(rec.get("via_vpn")),
                )
            )
            continue
        if "action_id" not in rec and ("screen_name" in rec or "created_at" in rec):  # a sign-up / profile
            profiles.append({c: rec.get(c) for c in PROFILE_COLUMNS})
            continue
        a = {c: rec.get(c) for c in ACTION_COLUMNS}
        if a["action_id"] is None or a["account_id"] is None or a["acted_at"] is None:
            raise ValidationError(f"{source}: an action needs action_id, account_id and acted_at: {rec!r:.200}")
        a = {k: (str(v) if v is not None else None) for k, v in a.items()}
        a["kind"] = a["kind"] or "post"
        acts.append(a)
        ht += [(a["action_id"], hashtag_key(str(h))) for h in rec.get("hashtags") or []]
        ur += [(a["action_id"], str(u)) for u in rec.get("urls") or []]
        mn += [(a["action_id"], mention_key(str(m))) for m in rec.get("mentions") or []]
    actions = pa.table({c: pa.array([a[c] for a in acts], pa.string()) for c in ACTION_COLUMNS})
    actions = actions.set_column(
        actions.column_names.index("acted_at"),
        "acted_at",
        pa.array([_parse_time(a["acted_at"]) for a in acts], pa.timestamp("us")),
    )
    login_table = pa.table(
        {
            "account_id": pa.array([x[0] for x in logins], pa.string()),
            "ip_prefix": pa.array([x[1] for x in logins], pa.string()),
            "asn": pa.array([x[2] for x in logins], pa.string()),
            "via_vpn": pa.array([x[3] for x in logins], pa.bool_()),
        }
    )
    return Batch(
        actions,
        _pairs(ht, "hashtag"),
        _pairs(ur, "url"),
        _pairs(mn, "mentioned_account_id"),
        source,
        login_table,
        _profile_table(profiles),
    )


def _profile_table(profiles: list[dict[str, Any]]) -> pa.Table:
    cols = {
        c: pa.array([None if p.get(c) is None else str(p.get(c)) for p in profiles], pa.string())
        for c in PROFILE_COLUMNS
        if c != "created_at"
    }
    cols["created_at"] = pa.array(
        [None if p.get("created_at") is None else _parse_time(p["created_at"]) for p in profiles], pa.timestamp("us")
    )
    return pa.table({c: cols[c] for c in PROFILE_COLUMNS})


def _twarc2_profile(u: dict[str, Any]) -> dict[str, Any]:
    row = dict(zip(schema.CANONICAL_TABLES["accounts"].column_names, twarc2_account(u, ""), strict=False))
    row["language"] = u.get("lang")
    return {c: row.get(c) for c in PROFILE_COLUMNS}


def read_batch_file(path: str | Path) -> Batch:
    """A file of new actions: ``.jsonl`` (canonical lines or twarc2 pages) or ``.csv`` (canonical columns)."""
    p = Path(path)
    try:
        if p.suffix == ".jsonl" or p.name.endswith(".jsonl.gz"):
            import gzip

            opener = gzip.open if p.name.endswith(".gz") else open
            with opener(p, "rt", encoding="utf-8") as f:
                return batch_from_records((json.loads(line) for line in f if line.strip()), str(p))
        if p.suffix == ".csv":
            import pyarrow.csv as pacsv

            t = pacsv.read_csv(
                p,
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in ACTION_COLUMNS if c != "acted_at"}
                ),
            )
            recs = t.to_pylist()
            for r in recs:
                for k in ("hashtags", "urls", "mentions"):
                    if isinstance(r.get(k), str):
                        r[k] = [x for x in r[k].replace(",", " ").split() if x]
            return batch_from_records(recs, str(p))
    except (OSError, json.JSONDecodeError, pa.ArrowInvalid) as exc:
        raise InputFileError(p, f"cannot read new actions: {exc}") from exc
    raise InputFileError(p, "new actions must be .jsonl, .jsonl.gz or .csv")


def iter_jsonl_batches(lines: Iterable[str], batch_lines: int = 1000) -> Iterator[Batch]:
    """Micro-batches of ``batch_lines`` JSONL lines (stdin)."""
    buf: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            buf.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"stdin line {n}: not JSON ({exc})") from exc
        if len(buf) >= batch_lines:
            yield batch_from_records(buf, "stdin")
            buf = []
    if buf:
        yield batch_from_records(buf, "stdin")


class DirectoryFeed:
    """Files in a directory, oldest name first; remembers which it has processed (this process)."""

    SUFFIXES = (".jsonl", ".jsonl.gz", ".csv")

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        if not self.dir.is_dir():
            raise InputFileError(self.dir, "not a directory")
        self.done: set[str] = set()

    def new_files(self) -> list[Path]:
        files = sorted(
            p
            for p in self.dir.iterdir()
            if p.is_file() and p.name.endswith(self.SUFFIXES) and not p.name.startswith(".")
        )
        return [p for p in files if p.name not in self.done]

    def mark(self, path: Path) -> None:
        self.done.add(path.name)


def _parse_time(v: Any):
    import datetime as dt

    if v is None:
        raise ValidationError("an action needs acted_at")
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.replace(".", "", 1).isdigit()):
        return dt.datetime.fromtimestamp(float(v), dt.UTC).replace(tzinfo=None)
    s = str(v).replace("Z", "+00:00")
    try:
        t = dt.datetime.fromisoformat(s)
    except ValueError as exc:
        raise ValidationError(f"acted_at {v!r} is not an ISO time or epoch seconds") from exc
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t


def _pairs(rows: list[tuple[str, str]], col: str) -> pa.Table:
    return pa.table(
        {"action_id": pa.array([r[0] for r in rows], pa.string()), col: pa.array([r[1] for r in rows], pa.string())}
    )
