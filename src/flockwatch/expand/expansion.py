"""Seed expansion: grow a confirmed core into the accounts most likely run with it, with calibrated scores.

Consumes an open workspace and seeds (ids, a file, or ``network:<id>``); produces an :class:`Expansion` — every
linked non-seed account with ``score`` (estimated precision of the list cut at that account), the raw evidence in
nats, and per-account evidence (which seeds, which action pairs, which prefixes).

How the score is calibrated (target-decoy, as in proteomics FDR control): each candidate's link observations
(``links.anchor_links``) become evidence in nats — a Poisson surprise ``-ln P(X >= hits | expected)`` for co-actions
and amplification, shared infrastructure (weighted by how much more the anchors use it than unrelated accounts),
and creation-date / name-template likelihood ratios that only corroborate (they count at half weight, and only when
behaviour or infrastructure already links the account: a creation burst alone also sweeps in ordinary sign-ups of
that day). The same computation is then run against a
*decoy* anchor set — random accounts matched to the seeds' activity levels, drawn from the accounts that show no
link to the seeds (< ``DECOY_MAX_NATS``) — which shows how much evidence unrelated accounts collect against an
unrelated set of the same size. The decoy run's candidates are likewise restricted to that unlinked pool, and its
tail is scaled to all candidates: at a threshold ``s`` the estimated false discovery rate is
``(pool decoy hits >= s + 1) * (candidates / pool size) / (candidates >= s)``; ``score = 1 - q`` where ``q`` is the
monotone q-value. The estimate is made separately per activity stratum (``floor(log2(actions + 1))``, small strata
pooled; :func:`stratified_q_values`): very active ordinary accounts collect far more chance evidence than an account
with one action can, and a pooled null would let their tail set the bar for the operation's one-action accounts;
each account with at least ``CORROBORATION_MIN_NATS`` of evidence takes the better of the pooled and the stratified
estimate. Drawing decoys from unlinked accounts keeps
an operation that is a large share of the accounts from becoming its own null model (decoys from the operation make
every score look like chance); its cost is a mildly optimistic estimate where the background is itself tightly
knit, and with few candidates the ``+ 1`` keeps scores modest (a list of 5 cannot be estimated better than 80%
precise). Taking the better of two estimates is itself mildly optimistic: read scores as confidence, not proof.

Expansion runs in ``rounds``: after round 1, accounts with ``score >= snowball_min_score`` join the anchors and
round 2 scores the rest against the grown set (amplifiers of core accounts that were not among the seeds are found
this way). Accounts added in an earlier round keep their earlier score and evidence; the others keep the best of
their rounds' scores (a later round, against an anchor set that may be most of the operation, has few unlinked
accounts left to draw decoys from and scores conservatively).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.core.stats import poisson_surprise
from flockwatch.engine import Engine, Scratch
from flockwatch.errors import ValidationError
from flockwatch.expand import links
from flockwatch.expand.seeds import SeedSet, resolve_seeds
from flockwatch.workspace import Workspace

#: Accounts with at least this much evidence against the seeds are never drawn as decoys.
DECOY_MAX_NATS = 1.0

#: Account-signal likelihood ratios corroborate: they count only above this much behavioural/infrastructure evidence.
CORROBORATION_MIN_NATS = 2.0


@dataclass
class ExpansionParams:
    window_s: int = 3600
    creation_window_days: int = 1
    rounds: int = 2
    snowball_min_score: float = 0.99
    decoy_salt: int = 7
    min_text_chars: int = 20


@dataclass
class Expansion:
    """The ranked candidates of one expansion (highest score first)."""

    seeds: SeedSet
    account_ids: list[str]
    scores: np.ndarray
    raw_nats: np.ndarray
    rounds: np.ndarray
    #: per candidate, why it is linked (built when read: :class:`LazyEvidence`)
    evidence: Sequence[dict[str, Any]]
    params: ExpansionParams
    stats: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.account_ids)

    def top(self, n: int = 10) -> list[dict[str, Any]]:
        return [self.row(i) for i in range(min(n, len(self)))]

    def row(self, i: int) -> dict[str, Any]:
        return {
            "account_id": self.account_ids[i],
            "score": float(self.scores[i]),
            "raw_nats": float(self.raw_nats[i]),
            "round": int(self.rounds[i]),
            "evidence": self.evidence[i],
        }

    def members(self, min_score: float) -> list[str]:
        """Seeds plus candidates at or above ``min_score`` (the expanded candidate network)."""
        return sorted(
            set(self.seeds.account_ids)
            | {a for a, s in zip(self.account_ids, self.scores, strict=False) if s >= min_score}
        )

    def write_csv(self, path: str | Path) -> Path:
        """``account_id, score, evidence`` (evidence as JSON), highest first."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["account_id", "score", "evidence"])
            for i in range(len(self)):
                ev = dict(self.evidence[i], raw_nats=round(float(self.raw_nats[i]), 3), round=int(self.rounds[i]))
                w.writerow([self.account_ids[i], f"{self.scores[i]:.4f}", json.dumps(ev, ensure_ascii=False)])
        return out


def expand(ws: Workspace, seeds: Any, params: ExpansionParams | None = None) -> Expansion:
    """Rank every account linked to ``seeds`` by a calibrated score with evidence (see module docstring)."""
    p = _checked(params)
    seed_set = resolve_seeds(ws, seeds)
    with ws.engine.scratch("expand") as s:
        return run_expansion(ws.engine, s, seed_set, p)


def _checked(params: ExpansionParams | None) -> ExpansionParams:
    p = params or ExpansionParams()
    if p.rounds < 1 or p.window_s <= 0:
        raise ValidationError("rounds must be >= 1 and window_s > 0")
    return p


def run_expansion(engine: Engine, s: Scratch, seed_set: SeedSet, params: ExpansionParams | None = None) -> Expansion:
    """:func:`expand` inside the caller's scratch ``s``, whose tables (``links.prepare``, the last round's
    ``links.anchor_links``) stay for the caller to read (the watcher's anchor index) until it closes the scratch."""
    p = _checked(params)
    stats: dict[str, Any] = {"prepared": links.prepare(engine, s, min_text_chars=p.min_text_chars)}
    _anchor_table(engine, s, s.anchor_ids, seed_set.account_ids)
    rounds: list[_Round] = []
    for rnd in range(1, p.rounds + 1):
        scored = _score_round(engine, s, s.anchor_ids, p, rnd)
        rounds.append(scored)
        # an account that reaches the snowball score becomes an anchor, so it is never a candidate again
        new_anchors = scored.account_ids.filter(pa.array(scored.score >= p.snowball_min_score)).to_pylist()
        stats[f"round_{rnd}"] = {"linked": len(scored.score), "added_to_anchors": len(new_anchors)}
        if rnd == p.rounds or not new_anchors:
            break
        _anchor_table(engine, s, s.anchor_ids, new_anchors, append=True)
    pick = _final_results(rounds, p.snowball_min_score)
    round_no = pick.column("round").to_numpy().astype(int)
    return Expansion(
        seeds=seed_set,
        account_ids=pick.column("account_id").to_pylist(),
        scores=pick.column("score").to_numpy(),
        raw_nats=pick.column("raw").to_numpy(),
        rounds=round_no,
        evidence=LazyEvidence(rounds, round_no - 1, pick.column("row").to_numpy()),
        params=p,
        stats=stats,
    )


def _final_results(rounds: list[_Round], snowball_min_score: float) -> pa.Table:
    """One row per candidate (``account_id, score, raw, round, row``), highest score first (then raw evidence, then
    id): the round where it reached ``snowball_min_score`` (it was an anchor from then on), else its best round.

    A later round scores against a larger anchor set that may be most of the operation, where few unlinked accounts
    are left to draw decoys from and scores drop; an account not fixed by the snowball keeps the better of its
    calibrated results (the earlier round on a tie). Columnar (Arrow sorts): a round links nearly every active
    account of a large platform, and per-account Python bookkeeping cost seconds.
    """
    parts = [
        pa.table(
            {
                "account_id": r.account_ids,
                "score": pa.array(r.score, pa.float64()),
                "raw": pa.array(r.total, pa.float64()),
                "round": pa.array(np.full(len(r.score), i + 1, np.int64)),
                "row": pa.array(np.arange(len(r.score), dtype=np.int64)),
                # per account, ascending: the row that reached the snowball score (there is at most one), else
                # the best score; ties go to the earliest round
                "rank": pa.array(np.where(r.score >= snowball_min_score, -np.inf, -r.score), pa.float64()),
            }
        )
        for i, r in enumerate(rounds)
    ]
    all_rows = pa.concat_tables(parts)
    by_account = all_rows.take(
        pc.sort_indices(
            all_rows, sort_keys=[("account_id", "ascending"), ("rank", "ascending"), ("round", "ascending")]
        )
    )
    ids = by_account.column("account_id").combine_chunks()
    first = np.ones(len(ids), bool)  # the first row of each account
    if len(ids) > 1:
        first[1:] = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(zero_copy_only=False)
    best = by_account.filter(pa.array(first))
    order = pc.sort_indices(
        best, sort_keys=[("score", "descending"), ("raw", "descending"), ("account_id", "ascending")]
    )
    return best.take(order).select(["account_id", "score", "raw", "round", "row"])


def _anchor_table(engine: Engine, s: Scratch, name: str, account_ids: list[str], append: bool = False) -> None:
    anchor_in = s.register("anchor_in", pa.table({"account_id": pa.array(account_ids, pa.string())}))
    try:
        if not append:
            engine.sql(f"CREATE OR REPLACE TEMP TABLE {name} (acct INTEGER)")
        engine.sql(f"INSERT INTO {name} SELECT m.acct FROM {anchor_in} i JOIN {s.acct} m USING (account_id)")
    finally:
        s.unregister(anchor_in)


def _decoys(engine: Engine, s: Scratch, anchors: str, salt: int, linked: str) -> None:
    """Random accounts with the anchors' activity profile (same count per log2 activity stratum), drawn from
    accounts that show no link to the anchors (not in ``linked``); into ``s.decoy``."""
    engine.sql(
        f"""CREATE OR REPLACE TEMP TABLE {s.decoy} AS
            WITH act AS (SELECT m.acct, CAST(floor(log2(coalesce(n.n_actions, 0) + 1)) AS INTEGER) AS stratum
                           FROM {s.acct} m LEFT JOIN {s.nact} n USING (acct)),
                 need AS (SELECT stratum, count(*) AS k FROM act SEMI JOIN {anchors} USING (acct) GROUP BY stratum),
                 pool AS (SELECT act.*, row_number() OVER (PARTITION BY stratum ORDER BY hash(acct, {int(salt)}))
                                 AS r
                            FROM act WHERE acct NOT IN (SELECT acct FROM {anchors})
                                       AND acct NOT IN (SELECT acct FROM {linked}))
            SELECT acct FROM pool JOIN need USING (stratum) WHERE r <= k"""
    )


def evidence_nats(t: pa.Table) -> dict[str, np.ndarray]:
    """Per-feature evidence (nats) and the total for rows of ``links.anchor_links``."""
    co = poisson_surprise(_np(t, "co_hits"), _np(t, "co_expected"))
    amp = poisson_surprise(_np(t, "amp_hits"), _np(t, "amp_expected"))
    infra = _np(t, "infra_nats")
    behaviour = co + amp + infra
    gate = (behaviour >= CORROBORATION_MIN_NATS).astype(float)
    created = 0.5 * _np(t, "created_llr") * gate
    template = 0.5 * _np(t, "template_llr") * gate
    return {
        "co_action": co,
        "amplification": amp,
        "infrastructure": infra,
        "creation": created,
        "name_template": template,
        "total": behaviour + created + template,
    }


def q_values(real: np.ndarray, decoy: np.ndarray, decoy_scale: float = 1.0) -> np.ndarray:
    """Target-decoy q-values of ``real`` scores: min over thresholds t <= s of
    ``(decoys >= t + 1) * decoy_scale / (reals >= t)``; ``decoy_scale`` turns counts in the decoy pool into counts
    expected among all candidates."""
    real = np.asarray(real, dtype=float)
    order = np.argsort(-real, kind="stable")
    r_sorted = real[order]
    d_sorted = np.sort(np.asarray(decoy, dtype=float))
    n_decoy_ge = len(d_sorted) - np.searchsorted(d_sorted, r_sorted, side="left")
    # reals >= s counts ties too
    n_real_ge = len(r_sorted) - np.searchsorted(np.sort(real), r_sorted, side="left")
    fdr = (n_decoy_ge + 1.0) * decoy_scale / np.maximum(n_real_ge, 1)
    q_sorted = np.minimum.accumulate(fdr[::-1])[::-1]
    q = np.empty_like(q_sorted)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


#: Activity strata are ``floor(log2(actions + 1))``, the last one open-ended.
STRATA_MAX = 12

#: A stratum with fewer real candidates than this is pooled with the next more active one (so that the ``+ 1`` of a
#: tiny stratum does not cap its scores).
MIN_STRATUM_CANDIDATES = 200


def _activity_strata(engine: Engine, s: Scratch) -> np.ndarray:
    """``stratum[acct]`` for every account id of the scratch (``floor(log2(actions + 1))``, capped)."""
    rows = engine.sql(
        f"""SELECT m.acct, least(CAST(floor(log2(coalesce(n.n_actions, 0) + 1)) AS INTEGER), {STRATA_MAX})
              FROM {s.acct} m LEFT JOIN {s.nact} n USING (acct)"""
    ).arrow()
    acct = rows.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
    out = np.zeros(int(acct.max()) + 1 if len(acct) else 1, dtype=np.int64)
    out[acct] = rows.column(1).to_numpy(zero_copy_only=False).astype(np.int64)
    return out


def stratified_q_values(
    real: np.ndarray,
    real_stratum: np.ndarray,
    decoy: np.ndarray,
    decoy_stratum: np.ndarray,
    accounts_per_stratum: np.ndarray,
    pool_per_stratum: np.ndarray,
    min_candidates: int = MIN_STRATUM_CANDIDATES,
) -> np.ndarray:
    """Target-decoy q-values computed separately per activity stratum (the separate-class model of Efron, 2008).

    Why: the null is not the same at every activity level. A very active ordinary account that reposts a few
    popular accounts, logs in from several networks and joins many hashtags collects tens of nats against any large
    account set by chance (its amplification of a decoy set that happens to hold accounts it follows is 1.5x the
    platform rate over hundreds of actions), while an account with one action can collect only what its one action
    and its logins give. Pooled, the active accounts' tail sets the bar for everyone, and a one-action account whose
    only evidence is the operation's login prefix (5-6 nats, far beyond any one-action decoy) is scored as chance.
    Strata with fewer than ``min_candidates`` real candidates are pooled with the next more active stratum (the last
    group absorbs the rest). ``accounts_per_stratum`` counts the non-anchor accounts, ``pool_per_stratum`` the
    accounts the decoy candidates were drawn from; their ratio scales the decoy tail within each group.
    """
    real = np.asarray(real, dtype=float)
    q = np.ones(len(real), dtype=float)
    n_strata = len(accounts_per_stratum)
    groups: list[list[int]] = [[]]
    for st in range(n_strata):
        groups[-1].append(st)
        if int(np.isin(real_stratum, groups[-1]).sum()) >= min_candidates and st < n_strata - 1:
            groups.append([])
    if not groups[-1] and len(groups) > 1:
        groups.pop()
    elif len(groups) > 1 and int(np.isin(real_stratum, groups[-1]).sum()) < min_candidates:
        groups[-2].extend(groups.pop())
    for g in groups:
        in_r = np.isin(real_stratum, g)
        if not in_r.any():
            continue
        in_d = np.isin(decoy_stratum, g)
        n_acc = float(accounts_per_stratum[g].sum())
        n_pool = max(float(pool_per_stratum[g].sum()), 1.0)
        q[in_r] = q_values(real[in_r], decoy[in_d], decoy_scale=n_acc / n_pool)
    return q


@dataclass(frozen=True)
class _Round:
    """One round's candidates: the :func:`links.anchor_links` rows, their evidence in nats, calibrated scores."""

    table: pa.Table
    nats: dict[str, np.ndarray]
    score: np.ndarray
    total: np.ndarray

    @property
    def account_ids(self) -> pa.Array:
        return self.table.column("account_id").combine_chunks()

    def evidence(self, i: int) -> dict[str, Any]:
        return _evidence(self.table.slice(i, 1).to_pylist()[0], self.nats, i)


def _score_round(engine: Engine, s: Scratch, anchors: str, p: ExpansionParams, rnd: int) -> _Round:
    real = links.anchor_links(engine, s, anchors, window_s=p.window_s, creation_window_days=p.creation_window_days)
    real_nats = evidence_nats(real)
    # Decoys come from accounts with (almost) no evidence against the seeds: an operation that is a large share of
    # the accounts (as in compressed simulations) must not become its own null model.
    linked = pa.table(
        {
            "acct": pa.array(
                real.column("acct").to_numpy(zero_copy_only=False)[real_nats["total"] >= DECOY_MAX_NATS], pa.int32()
            )
        }
    )
    linked_t = s.register("linked", linked)
    try:
        _decoys(engine, s, anchors, p.decoy_salt + rnd, linked_t)
    finally:
        s.unregister(linked_t)
    # only the decoys' evidence totals are read: no example lists
    decoy = links.anchor_links(
        engine, s, s.decoy, window_s=p.window_s, creation_window_days=p.creation_window_days, examples=0
    )
    # The decoy run's candidates stand for the unrelated accounts: keep out the real anchors and every account that
    # shows evidence against them, then scale the decoy tail from that pool to all candidates -- within each
    # activity stratum (see stratified_q_values).
    anchor_ids = np.array([r[0] for r in engine.sql(f"SELECT acct FROM {anchors}").rows()], dtype=np.int64)
    linked_ids = linked.column("acct").to_numpy(zero_copy_only=False).astype(np.int64)
    decoy_ids = np.array([r[0] for r in engine.sql(f"SELECT acct FROM {s.decoy}").rows()], dtype=np.int64)
    stratum_of = _activity_strata(engine, s)
    decoy_acct = decoy.column("acct").to_numpy(zero_copy_only=False).astype(np.int64)
    keep = ~np.isin(decoy_acct, np.concatenate([anchor_ids, linked_ids]))
    decoy_total = evidence_nats(decoy)["total"][keep]
    total = real_nats["total"]
    real_acct = real.column("acct").to_numpy(zero_copy_only=False).astype(np.int64)
    non_anchor = np.ones(len(stratum_of), bool)
    non_anchor[anchor_ids] = False
    non_anchor[0] = False  # acct ids start at 1
    pool = non_anchor.copy()
    pool[linked_ids] = False
    pool[decoy_ids] = False
    # Both estimates are kept, the account taking the better one (with at least CORROBORATION_MIN_NATS): the pooled estimate favours very active members of
    # a large operation (they rank high among all candidates), the stratified one the one-action accounts whose
    # evidence is far beyond any decoy of their own activity level (see stratified_q_values).
    n_pool_all = max(int(pool.sum()), 1)
    pooled = q_values(total, decoy_total, decoy_scale=float(non_anchor.sum()) / n_pool_all)
    q = stratified_q_values(
        total,
        stratum_of[real_acct],
        decoy_total,
        stratum_of[decoy_acct[keep]],
        np.bincount(stratum_of[non_anchor], minlength=STRATA_MAX + 1),
        np.bincount(stratum_of[pool], minlength=STRATA_MAX + 1),
    )
    # only for accounts with real behavioural or infrastructure evidence (the corroboration bar): in a stratum whose
    # decoys collect almost nothing, a block of accounts tied on a fraction of a nat (a national ISP, one repost of a
    # viral post) would otherwise pass on the pseudo-count alone
    q = np.where(total >= CORROBORATION_MIN_NATS, np.minimum(q, pooled), pooled)
    score = np.where(total > 0, 1.0 - q, 0.0)
    return _Round(real, real_nats, np.asarray(score, np.float64), np.asarray(total, np.float64))


class LazyEvidence(Sequence[dict[str, Any]]):
    """The candidates' evidence dicts, each built on first read. A round links nearly every active account of a
    large platform (157k of 201k accounts on a 5M-action retweet log) and most are never read: growth reads the
    accounts it adds, a list its top rows; building every dict up front cost more than the round's SQL."""

    def __init__(self, rounds: list[_Round], round_index: np.ndarray, row: np.ndarray) -> None:
        self._rounds = rounds
        self._round_index = round_index
        self._row = row
        self._built: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._row)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if i not in self._built:
            self._built[i] = self._rounds[int(self._round_index[i])].evidence(int(self._row[i]))
        return self._built[i]


def _evidence(r: dict[str, Any], nats: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    ev: dict[str, Any] = {}
    if r["co_hits"]:
        ev["co_action"] = {
            "hits": r["co_hits"],
            "expected": round(r["co_expected"], 3),
            "nats": _r(nats["co_action"][i]),
            "examples": [
                {
                    "action_id": x["action"],
                    "seed_action_id": x["seed_action"],
                    "seed": x["seed"],
                    "why": links.TARGET_KINDS.get(x["via"], x["via"]),
                }
                for x in (r["co_examples"] or [])
            ],
        }
    if r["amp_hits"]:
        ev["amplification"] = {
            "actions": r["amp_hits"],
            "expected": round(r["amp_expected"], 3),
            "nats": _r(nats["amplification"][i]),
            "action_ids": r["amp_actions"] or [],
            "seeds": r["amp_seeds"] or [],
        }
    if r["infra_nats"]:
        ev["infrastructure"] = {
            "nats": _r(r["infra_nats"]),
            "shared_prefixes": r["shared_prefixes"] or [],
            "shared_asns": r["shared_asns"] or [],
        }
    if nats["creation"][i] > 0:
        ev["creation"] = {"created_day": r["created_day"], "nats": _r(nats["creation"][i])}
    if nats["name_template"][i] > 0:
        ev["name_template"] = {"template": r["name_template"], "nats": _r(nats["name_template"][i])}
    seeds = list(dict.fromkeys((r["co_seeds"] or []) + (r["amp_seeds"] or [])))
    ev["seeds"] = seeds[:5]
    return ev


def _np(t: pa.Table, col: str) -> np.ndarray:
    return t.column(col).to_numpy(zero_copy_only=False).astype(float)


def _r(x: float) -> float:
    return round(float(x), 3) if math.isfinite(float(x)) else float(x)
