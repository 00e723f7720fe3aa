"""Calibrated edge weights: how surprising is it that two accounts co-acted this often?

Consumes the kernel's ``s.visits``, ``s.cells``, ``s.rows`` / ``s.pairs`` (``s``: the caller's scratch); produces
``s.edges`` (the pairs that pass the threshold, with observed and expected counts, p- and q-values and a weight)
through :func:`significant_pairs`.

The null model (what we follow, and where we simplify):

* **Bipartite null with fixed expected degrees** — Neal's stochastic degree sequence model (SDSM; Neal 2014,
  "The backbone of bipartite projections", *Social Networks* 39) asks how many shared targets two accounts would have
  if every account kept its activity and every target its popularity, with the ties otherwise random. We use its
  closed-form Chung–Lu version: account ``a`` acts on target ``x`` with probability ``d_a * n_x / N``
  (``d_a``: distinct targets of ``a``; ``n_x``: distinct accounts on ``x``; ``N = sum n_x``).
* **Time.** Two accounts only co-act if they act on the same target within the window, so the bipartite graph is
  accounts x *cells* — (target, time bucket of ``window_s``) — and ``d_a`` counts the cells ``a`` visits, ``n_x``
  the accounts in cell ``x``. Co-acting means sharing a cell, or visiting adjacent cells of the same target within
  the window (about half of those pairs). Repeated actions of one account in one cell count once; an account that
  returns to a target in another burst counts again — on both sides of the test.
* The expected number of co-action episodes is then
  ``lambda_ab = sum_x P(a on x) P(b on x) = d_a * d_b * Q`` with
  ``Q = (sum_x n_x (n_x - 1) + sum_(x, x' adjacent) n_x n_x') / N**2`` (``n_x - 1``: given ``a`` is in ``x``,
  ``b`` is one of the others). Summed over all pairs this reproduces the total
  number of co-actions, so the model is calibrated on the data themselves. Popular targets raise ``Q`` through
  ``n_x**2``; hyperactive accounts raise their own ``lambda`` through ``d_a``.
* **Significance.** The observed count ``k_ab`` (distinct co-acted units) is a sum of independent rare Bernoulli
  trials (a Poisson-binomial, as in SDSM); its Poisson approximation gives ``p = P(Poisson(lambda_ab) >= k_ab)``.
* **Multiple testing.** Every unordered pair of accounts is a test (``m = A (A - 1) / 2``); edges are the pairs whose
  Benjamini–Hochberg q-value is at most ``fdr`` (Benjamini & Hochberg 1995). Because ``m`` grows with the data, the
  same ``fdr`` means the same thing — the expected share of chance edges — at 100k and at 100M actions, which a
  raw co-action count threshold (coordination-network-toolkit, CooRTweet) does not: there, background pairs grow
  quadratically with volume while planted ones grow linearly.
* **Weight.** ``-log10(p)`` (capped at ``MAX_WEIGHT``): additive across independent detectors, comparable across runs.
* **Effect size.** Significance alone is not enough where the expectation is large: a Poisson tail is thin, and
  mild overdispersion the model does not capture — two hyperactive accounts that are early on every viral post —
  turns 54 observed episodes against 18.6 expected into p ~ 1e-12. An edge therefore also needs a lift (observed /
  expected episodes) of at least ``min_lift`` (``run.DEFAULT_MIN_LIFT``). Coordinated pairs sit far above it (on the
  hk2019-like simulation at 5M actions every edge between planted accounts has lift >= 10); on a 1M-row Zipf load,
  lift >= 5 removed 598 of the 603 fast_repost edges among 52 hyperactive organic accounts and kept 23,977 of 24,344
  between planted ones (whose accounts all keep edges of other detectors).

Simplifications, stated: ``P(a on x)`` is not capped at 1 (it overstates ``lambda`` for the most active accounts on
the most viral targets — conservative); a near-text pair is counted in posts but its expectation in band keys
(conservative); accounts that share a daily rhythm are not modelled (``sync_post`` is the detector most exposed).

Only the final p-values of surviving candidate pairs are computed outside the engine (SciPy, vectorised): the engine
first removes every candidate whose Poisson point probability ``P(X = k) <= P(X >= k)`` already exceeds the loosest
Benjamini–Hochberg cut, a sound filter that keeps the Python step small — applied once with the pair's co-action
count as an upper bound of ``k`` (before the costlier episode count), then with ``k`` itself. For detectors whose
units have several targets (``first_shared_slot``), the first filter also drops pairs with a side of a single
episode, which can never reach ``min_co_actions >= 2`` (5M co_near_text: 3.80M -> 1.09M pairs to count episodes for,
56.7 and 51.9 -> 53.6 and 48.6 s in two A/B runs, the same edges and evidence).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from flockwatch.core.stats import bh_log_q, neg_log10, poisson_log_sf
from flockwatch.core.timing import Stages
from flockwatch.engine import Engine, Scratch

MAX_WEIGHT = 300.0


@dataclass(frozen=True)
class NullModel:
    accounts_count: int
    incidences_count: int  # N
    q: float  # Q
    tests_count: float  # m
    #: observable ordered pairs between neighbouring buckets of one target (the second sum of ``Q``'s numerator);
    #: 0 means no target has rows in two neighbouring buckets, so the kernel needs no shifted join
    #: (``kernel.pairs_sql(adjacent_buckets=False)``); None: not known
    adjacent_pairs: float | None = None

    def to_dict(self) -> dict[str, float]:
        return {
            "accounts": self.accounts_count,
            "incidences": self.incidences_count,
            "Q": self.q,
            "tests": self.tests_count,
        }


def null_model(engine: Engine, s: Scratch, hot_cell_actions: int = 0) -> NullModel:
    """Fit the Chung–Lu/SDSM null on the kernel's cells (``s.visits``, ``s.cells``: ``kernel.build_rows``, every
    detector row counted) and store per-account activity in ``s.activity``.

    Incidences are (account, cell) visits, cells being (target, time bucket). Observable co-action pairs are
    counted as the kernel sees them: in a hot cell (more than ``hot_cell_actions`` rows) each account meets at most
    ``2 * hot_cell_actions`` others, and between two adjacent hot cells at most ``hot_cell_actions**2`` pairs are
    joined. Statistic and expectation are thus computed on the same observable, which is how the hot-cell rule
    down-weights dense cells instead of silently dropping them.
    """
    k = int(hot_cell_actions)
    cap_same = f"CASE WHEN c > {k} THEN n * least(n - 1, 2.0 * {k}) ELSE n * (n - 1) END" if k > 0 else "n * (n - 1)"
    # adjacent buckets: 2 n n' ordered pairs of which about half fall within the window
    cap_next = (
        f"CASE WHEN c > {k} AND prev_c > {k} THEN least(n * prev_n, {k}.0 * {k}) ELSE n * prev_n END"
        if k > 0
        else "n * prev_n"
    )
    engine.drop_relations([s.activity])
    # the accounts' distinct cells as a plain count of their visits (one row per account and cell), the cells'
    # distinct accounts kept with the cells by build_rows, instead of two count(DISTINCT ...) aggregations over
    # every row (co_near_text, hk2019 simulation at 5M actions, 18.8M rows: 8.7 -> 4.3 s wall, the same numbers)
    engine.sql(f"CREATE TEMP TABLE {s.activity} AS SELECT acc, count(*) AS d FROM {s.visits} GROUP BY acc")
    res = engine.sql(f"""
WITH cells AS (
  SELECT CAST(c AS DOUBLE) AS c, CAST(n AS DOUBLE) AS n, CAST(prev_c AS DOUBLE) AS prev_c,
         CAST(prev_n AS DOUBLE) AS prev_n
  FROM {s.cells}
)
SELECT sum(n), sum({cap_same}), sum(coalesce({cap_next}, 0)), (SELECT count(*) FROM {s.activity})
FROM cells""").one()
    assert res is not None  # an aggregate without GROUP BY always returns one row
    n_inc = int(res[0] or 0)
    adjacent = float(res[2] or 0.0)
    accounts = int(res[3] or 0)
    q = (float(res[1] or 0.0) + adjacent) / (float(n_inc) * n_inc) if n_inc else 0.0
    return NullModel(accounts, n_inc, q, max(1.0, accounts * (accounts - 1) / 2), adjacent)


#: Memory, in bytes, the candidate aggregate needs per co-action while it aggregates them straight from the join,
#: for the choice in :func:`_keys_first`. Bounds seen: 43M co-actions (sync_post, hk2019 simulation at 5M actions)
#: failed in 400 MB (9.3 bytes each), and at 100M actions in 7.4 GiB (about 9, by the estimate of 20 times the
#: co-actions); the 20M run's 170M ran in 9.3 GiB (58 bytes each). The choice takes 32.
CO_ACTION_BYTES = 32

#: Account pairs are aggregated on one BIGINT key ``a * PAIR_KEY_BASE + b`` (account ids are INTEGER interned by
#: the kernel, so ``b < PAIR_KEY_BASE``): one 8-byte hash key instead of two columns.
PAIR_KEY_BASE = 2147483648


def _pair_key(left: str, right: str) -> str:
    return f"CAST(least({left}, {right}) AS BIGINT) * {PAIR_KEY_BASE} + greatest({left}, {right})"


def significant_pairs(
    engine: Engine,
    s: Scratch,
    model: NullModel,
    fdr: float,
    min_co_actions: int = 1,
    min_lift: float = 1.0,
    pairs_among: Callable[[str | None], str] | None = None,
    stages: Stages | None = None,
    counts: dict[str, int] | None = None,
    single_episode_test: bool = False,
) -> int:
    """Aggregate co-actions per pair, test them against ``model``, keep q <= ``fdr`` in ``s.edges``.

    ``min_lift``: an edge also needs an effect size — its episodes at least ``min_lift`` times their expectation
    (see the module docstring, *Effect size*). Pairs below it are still counted as tests.

    ``pairs_among``: the SELECT of the co-actions between the accounts of a relation (column ``acc``; None: all
    accounts) — ``kernel.pairs_sql`` with the run's settings, over rows it may first materialise in ``s``
    (``kernel.build_rows_among``) — aggregated as they are joined: all of them for the candidates, then those
    between the live pairs' accounts only; default: the table ``s.pairs``. ``s.cand`` holds every pair with at least
    ``min_co_actions`` co-actions (the candidates, counted in the run's statistics); episodes are counted only for
    the candidates that can still pass (see the stages below), from ``s.pairs_live``: the co-actions of those pairs
    only (also the edges' evidence). ``counts``, when given, receives ``co_actions`` (all co-actions) and
    ``candidates``. ``single_episode_test``: stage 1 also finds the pairs with a side of one episode, which can never
    reach ``min_co_actions >= 2`` episodes, and the live filter drops them (for units with several targets, see
    stage 1).
    """
    st = stages or Stages()
    pairs = f"({pairs_among(None)})" if pairs_among else s.pairs
    for t in (s.cand, s.edges, s.pairs_live, s.sides):
        engine.sql(f"DROP TABLE IF EXISTS {t}")
    # Stage 1 (one hash aggregate on a packed pair key, straight from the join): most account pairs co-act once; a
    # pair with fewer than min_co_actions co-actions can never reach min_co_actions episodes, so it is not tested
    # (p = 1), which can only make the Benjamini–Hochberg cut stricter for the others. The grand total (the
    # co-action count of the run) comes from the same pass as an extra grouping set.
    # Under single_episode_test the same pass tells, per pair, whether each side has more than one episode (the
    # smallest and largest episode hash of the side differ). Where one unit has several targets (co_near_text: a
    # post and its bands) a side with one unit often co-acts with many units of the other: at 5M actions 2.71M of
    # co_near_text's 3.80M live pairs had a side of one episode (k = 1), against <= 0.2% for co_repost, co_hashtag
    # and sync_post, so the test is asked for only there (two aggregates per side over every co-action).
    test_sides = single_episode_test and min_co_actions >= 2
    episode_cols = (
        ", CASE WHEN acc_l < acc_r THEN uh_l ELSE uh_r END AS ua, CASE WHEN acc_l < acc_r THEN uh_r ELSE uh_l END AS ub"
        if test_sides
        else ""
    )
    multi = "min(ua) < max(ua) AND min(ub) < max(ub)" if test_sides else "true"
    with st("candidates"):
        co_actions = f"(SELECT {_pair_key('acc_l', 'acc_r')} AS k{episode_cols} FROM {pairs} p)"
        if _keys_first(engine, model):
            engine.sql(f"CREATE TEMP TABLE {s.co_keys} AS SELECT * FROM {co_actions}")
            co_actions = s.co_keys
        engine.sql(f"""
CREATE TEMP TABLE {s.cand_all} AS
SELECT k, count(*) AS co_actions, grouping(k) AS g, {multi} AS multi
FROM {co_actions}
GROUP BY GROUPING SETS ((k), ())
HAVING count(*) >= {int(min_co_actions)} OR grouping(k) = 1""")
        engine.drop_relations([s.co_keys])
        total = engine.sql(f"SELECT max(co_actions) FROM {s.cand_all} WHERE g = 1").scalar()
        engine.sql(f"""
CREATE TEMP TABLE {s.cand} AS
SELECT CAST(k // {PAIR_KEY_BASE} AS INTEGER) AS a, CAST(k % {PAIR_KEY_BASE} AS INTEGER) AS b, k, co_actions, multi
FROM {s.cand_all} WHERE g = 0""")
        engine.sql(f"DROP TABLE {s.cand_all}")
    candidates = engine.count(s.cand)
    if counts is not None:
        counts["co_actions"] = int(total or 0)
        counts["candidates"] = candidates
    if candidates == 0 or model.q <= 0:
        engine.sql(
            f"CREATE TEMP TABLE {s.edges} AS SELECT a, b, co_actions, 0.0 AS first_t, 0.0 AS last_t, "
            f"0.0 AS mean_dt_s, 0 AS k, 0.0 AS expected, 0.0 AS p_value, 0.0 AS q_value, 0.0 AS weight, 0 AS d_a, "
            f"0 AS d_b FROM {s.cand} WHERE false"
        )
        engine.sql(f"CREATE TEMP TABLE {s.pairs_live} AS SELECT * FROM {pairs} p WHERE false")
        return 0
    # Loosest BH cut any candidate could meet: p <= fdr * R / m with R <= number of candidates.
    log_cut = math.log(fdr) + math.log(candidates) - math.log(model.tests_count)
    lam = f"(CAST(da.d AS DOUBLE) * db.d * {model.q!r})"
    # Stage 2 (sound filter, before the costly episode count): the episodes k of a pair are at most its co-actions
    # K, and P(X >= k) >= P(X >= K) >= P(X = K); a pair whose point probability at K is already above the loosest
    # cut cannot pass with any k <= K. On a 5M-row co_repost run this leaves ~1 in 10 candidates.
    with st("live filter"):
        engine.sql(f"DROP TABLE IF EXISTS {s.live}")
        engine.sql(f"""
CREATE TEMP TABLE {s.live} AS
SELECT c.a, c.b, c.k AS key, da.d AS d_a, db.d AS d_b, {lam} AS expected
FROM {s.cand} c JOIN {s.activity} da ON da.acc = c.a JOIN {s.activity} db ON db.acc = c.b
WHERE -{lam} + c.co_actions * ln({lam}) - lgamma(c.co_actions + 1) <= {log_cut!r} AND c.multi""")
        # the co-actions of the live pairs only: the join again, between the live pairs' accounts only (the rows
        # of other accounts never enter it), filtered to the live pairs before it is stored. On the hk2019
        # simulation those accounts hold about half of co_near_text's rows and a tenth of sync_post's.
        live_pairs = pairs
        if pairs_among:
            # the accounts come back as a small Arrow table (ints, at most one per account), registered as a leaf.
            # Chosen when Spark still cached its tables and a relation derived from the live pairs re-planned their
            # lineage (golden co_repost scenario twice as long); Spark now checkpoints them, so an IN-subquery on
            # s.live would be a leaf too — not re-measured, kept as it is
            accounts = engine.sql(f"SELECT a AS acc FROM {s.live} UNION SELECT b FROM {s.live}").arrow()
            live_pairs = f"({pairs_among(s.register('live_accounts', accounts))})"
        engine.sql(f"""
CREATE TEMP TABLE {s.pairs_live} AS
SELECT p.* FROM {live_pairs} p SEMI JOIN {s.live} l ON l.key = {_pair_key("p.acc_l", "p.acc_r")}""")
    # Stage 3: distinct episodes per side (a burst of reposts of one post is one episode), for the live pairs only;
    # then the same point-probability filter with the real k.
    with st("episodes"):
        # per live pair: distinct episodes of each side and the co-actions' span (first, last, mean gap) in one pass
        engine.sql(f"""
CREATE TEMP TABLE {s.sides} AS
WITH p AS (
  SELECT least(acc_l, acc_r) AS a, greatest(acc_l, acc_r) AS b,
         CASE WHEN acc_l < acc_r THEN uh_l ELSE uh_r END AS uh_a,
         CASE WHEN acc_l < acc_r THEN uh_r ELSE uh_l END AS uh_b, t_l, dt_s
  FROM {s.pairs_live}
)
SELECT a, b, count(DISTINCT uh_a) AS ka, count(DISTINCT uh_b) AS kb, min(t_l - dt_s) AS first_t, max(t_l) AS last_t,
       avg(dt_s) AS mean_dt_s
FROM p GROUP BY a, b""")
        tbl = engine.sql(f"""
SELECT l.a, l.b, least(s.ka, s.kb) AS k, l.d_a, l.d_b, l.expected
FROM {s.live} l JOIN {s.sides} s USING (a, b)
WHERE least(s.ka, s.kb) >= {int(min_co_actions)}
  AND -l.expected + least(s.ka, s.kb) * ln(l.expected) - lgamma(least(s.ka, s.kb) + 1) <= {log_cut!r}""").arrow()
        engine.sql(f"DROP TABLE IF EXISTS {s.live}")
    with st("test"):
        kept = _bh(tbl, model.tests_count, fdr)
        if min_lift > 1.0 and kept.num_rows:
            import pyarrow.compute as pc

            kept = kept.filter(
                pc.greater_equal(
                    pc.cast(kept.column("k"), pa.float64()), pc.multiply(kept.column("expected"), float(min_lift))
                )
            )
        sig_in = s.register("sig_in", kept)
        try:
            engine.sql(f"""
CREATE TEMP TABLE {s.edges} AS
SELECT c.a, c.b, c.co_actions, span.first_t, span.last_t, span.mean_dt_s, s.k, s.expected, s.p_value, s.q_value,
       s.weight, s.d_a, s.d_b
FROM {s.cand} c JOIN {sig_in} s ON s.a = c.a AND s.b = c.b JOIN {s.sides} span ON span.a = c.a AND span.b = c.b""")
        finally:
            s.unregister(sig_in)
    return engine.count(s.edges)


def _keys_first(engine: Engine, model: NullModel) -> bool:
    """Whether the candidate aggregate should read its co-actions from a table of their pair keys rather than
    straight from the join.

    Straight from the join is the fast path, but the join and the aggregate then hold memory at once, and neither
    can spill enough of it: where the co-actions outgrow the engine's memory the statement fails (sync_post at
    100M actions in 7.4 GiB: out of memory). Written out first, the join streams its keys to the table (spilled to
    disk beyond the limit) and the aggregate runs alone, spilling its partitions. The co-actions are estimated
    before the join from the null model: ``Q * N**2`` observable ordered pairs, half as many co-actions. At 5M actions
    with 7.4 GiB every detector stays on the fast path (the written-out form cost co_near_text 5-6 % more there)."""
    budget = engine.memory_budget_bytes()
    if budget is None:
        return False
    expected = model.q * float(model.incidences_count) ** 2 / 2.0
    return expected * CO_ACTION_BYTES > budget


def _bh(tbl: pa.Table, m: float, fdr: float) -> pa.Table:
    """Poisson upper-tail p-values and Benjamini–Hochberg q-values over ``m`` tests; rows with q <= fdr."""
    empty = pa.table(
        {
            "a": pa.array([], pa.int32()),
            "b": pa.array([], pa.int32()),
            "k": pa.array([], pa.int64()),
            "expected": pa.array([], pa.float64()),
            "p_value": pa.array([], pa.float64()),
            "q_value": pa.array([], pa.float64()),
            "weight": pa.array([], pa.float64()),
            "d_a": pa.array([], pa.int64()),
            "d_b": pa.array([], pa.int64()),
        }
    )
    if tbl.num_rows == 0:
        return empty
    k = tbl.column("k").to_numpy().astype(np.float64)
    lam = tbl.column("expected").to_numpy().astype(np.float64)
    log_p = poisson_log_sf(k, lam)  # ln P(X >= k)
    log_q = bh_log_q(log_p, m)
    keep = log_q <= math.log(fdr)
    weight = neg_log10(log_p, MAX_WEIGHT)
    return pa.table(
        {
            "a": tbl.column("a").filter(pa.array(keep)),
            "b": tbl.column("b").filter(pa.array(keep)),
            "k": tbl.column("k").filter(pa.array(keep)),
            "expected": pa.array(lam[keep]),
            "p_value": pa.array(np.exp(log_p[keep])),
            "q_value": pa.array(np.exp(log_q[keep])),
            "weight": pa.array(weight[keep]),
            "d_a": tbl.column("d_a").filter(pa.array(keep)),
            "d_b": tbl.column("d_b").filter(pa.array(keep)),
        }
    )
