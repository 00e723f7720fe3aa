"""``theme_profile``: accounts whose whole theme profiles — hashtags, linked domains, amplified accounts — are alike.

Consumes the theme tokens of ``co_theme`` (:func:`~flockwatch.detect.co_theme.theme_tokens_sql`: ``h:`` hashtags,
``d:`` linked domains without the shorteners of ``co_domain``, ``rt:`` reposted accounts; here with the hashtags of
reposted posts and ``m:`` mentioned accounts too, since a profile is everything an account pushes, written or
amplified — and archives such as the IRA tweets do not record a retweet's source, so the accounts a post names are
the nearest trace); produces calibrated, evidence-carrying edges through its own edge builder
(:func:`profile_edges`), not the co-action kernel: there is no time window. The
Internet Research Agency's topical teams (Linvill & Warren's LeftTroll, RightTroll, NonEnglish ...) worked the same
themes for months, but rarely in the same minute or even the same shift.

Steps (relational, on the engine, except the vectorised p-values of candidate pairs; Pacheco et al., ICWSM 2021, build
account x hashtag / URL / retweet-source profiles and compare them by TF-IDF cosine):

1. **Profiles.** ``tf`` = the number of distinct ``window_s`` buckets (days by default) in which an account used the
   token — a burst of fifty reposts of one hashtag in an afternoon is one day of that theme — and the TF-IDF weight
   ``(1 + ln tf) * ln(A / df)`` (``A`` accounts with a token, ``df`` accounts using it), L2-normalised over *all* the
   account's tokens.
2. **Sparse candidates (blocking).** Only *joinable* tokens are joined: ``2 <= df <= min(max_token_accounts,
   max_token_share * A)``. A token nobody else used links no one; one used by more accounts is a popular theme, not
   a team's (its IDF is small, and its ``df**2`` pairs would dominate the cost: the pair rows grow with the cap,
   ``sum df (df - 1) / 2``, which is why it is 200 accounts by default). Pairs come from one join on the
   token per chunk of accounts and need ``min_co_actions`` shared tokens (one shared hashtag is never an edge). Never
   all pairs. Per pair: the cosine (the sum of ``x_a * x_b`` over the shared joinable tokens, a lower bound of the
   full cosine) and the shared tokens per *rarity class* ``floor(log2 df)``.
3. **Null model** (:class:`RarityClassNull`): the Chung–Lu / SDSM null of ``calibration.py`` on the account x token
   bipartite graph — every account keeps its number of joinable tokens and every token its number of accounts in
   expectation (the degree-preserving configuration null) — per rarity class, Poisson tails combined by Fisher's
   method. Sharing nine tokens that six accounts use is far more surprising than sharing nine that a hundred use:
   IDF as a test. (A null of degree-preserving *shuffles* compared on the cosine itself was tried first: its
   empirical tail cannot reach the p ~ 1e-9 that Benjamini–Hochberg over all pairs needs, and extrapolating it
   conservatively left a planted 8-account cell sharing ten niche themes per pair unlinked; the analytic null has
   no such floor.)
4. **Test.** Benjamini–Hochberg at the run's ``fdr`` over all ``A (A - 1) / 2`` account pairs, as in
   ``calibration.py``, and an effect size: observed / expected shared tokens in the pair's most surprising class at
   least ``min_lift`` (guards against overdispersion among popular themes, as there). Weight ``-log10 p``, comparable
   with every other detector; ``expected_count`` is the Chung–Lu expectation of shared joinable tokens,
   ``dc_a * dc_b * Q`` (``Q = sum n_t (n_t - 1) / N**2``). Then **top-k** (Pacheco et al.'s similarity): an edge is
   kept when it is among the ``top_k`` most similar (cosine) significant neighbours of either account, which bounds
   the edges by ``A * top_k``. Before any pair leaves the engine, a sound bound drops the pairs whose p-value is
   certainly above the loosest cut Benjamini–Hochberg could apply (:meth:`RarityClassNull.can_pass_sql`): on the
   hk2019 simulation, 3.6M pairs sharing two or more tokens at 1M actions -> 1,854 scored (12.3 -> 8.3 s) and
   19.5M -> 23k at 5M (55 -> 38 s in the default set, quiet machine), with the same edges. The bound comes in two
   steps: a looser one over the pair's totals only (:meth:`RarityClassNull.may_pass_sql`) inside the pair join, so
   that the join aggregates three columns per pair rather than one per rarity class, then the exact one on the few
   pairs left, once their shared tokens are counted per class (5M: theme_profile 40-44 -> 27-28 s, the same
   candidates). ``candidate_pairs_count`` counts the pairs scored.

Edges carry evidence like the kernel's: per shared token (the largest cosine contribution first), the first action
of each account on it (``target`` = the token, ``dt_s`` = the time between them — days or months here, not seconds);
``co_actions_count`` and ``episodes_count`` are the shared joinable tokens, ``activity_*_count`` the accounts'
token counts.

Memory and time (the 1M-account argument): incidences ``N`` (account, token) are at most the rows; the join of
step 2 produces ``sum over joinable tokens df (df - 1) / 2 <= N * cap / 2`` pair rows, but never holds them at once:
accounts are split into ``ceil(pair rows / pair_rows_per_chunk)`` chunks, each chunk's pairs are aggregated and
scored alone (in batches of ``BATCH_ROWS``), and only pairs with ``p <= fdr`` are kept. Peak memory is one chunk's
distinct pairs (``pair_rows_per_chunk`` x ~60 bytes: ~1.2 GB at the default, spilled by DuckDB beyond its limit)
plus the incidences (~20 bytes each: 20 tokens per account at 1M accounts ~ 0.4 GB) plus the detector's rows, kept
for the edges' evidence (~70 bytes each; DuckDB spills them beyond its limit) plus the pairs with ``p <= fdr`` (then
at most ``A * top_k`` edges). Time is linear in the pair rows.

False-positive risks: genuine communities share themes for months (sports fans, a fandom, local news outlets); their
most common tokens are not joinable, and the inauthenticity assessment
(``networks/assessment.py``) is what separates the rest from operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from flockwatch.core.stats import bh_log_q, chi2_isf, chi2_log_sf, neg_log10, poisson_log_sf
from flockwatch.detect.base import Detector, EdgeRequest, EdgeTables
from flockwatch.detect.calibration import MAX_WEIGHT
from flockwatch.detect.co_theme import theme_tokens_sql
from flockwatch.engine import Engine, Scratch
from flockwatch.errors import ValidationError

#: Candidate pairs scored per batch (memory of the scoring step: ~100 bytes a pair).
BATCH_ROWS = 1_000_000
#: Rarity classes of tokens: floor(log2(accounts on the token)), 1 (2-3 accounts) up to this (open-ended).
RARITY_CLASSES = 10


def _sql(p):
    return theme_tokens_sql(reposted_hashtags=True, mentions=True)


def profile_edges(req: EdgeRequest) -> EdgeTables:
    """Significant overlaps of theme profiles, the most similar (TF-IDF cosine) per account; edges and evidence left
    in the scratch."""
    e, s, p = req.engine, req.scratch, req.params
    if (
        int(p["max_token_accounts"]) < 2
        or not 0 < float(p["max_token_share"]) <= 1
        or int(p["top_k"]) < 1
        or int(p["pair_rows_per_chunk"]) < 1
    ):
        raise ValidationError(
            "theme_profile needs max_token_accounts >= 2, 0 < max_token_share <= 1, top_k >= 1, pair_rows_per_chunk >= 1"
        )
    min_k = max(1, int(req.min_co_actions))
    with req.stages("profiles"):
        n_rows = _incidences(e, s, req.detector_sql, float(p["window_s"]), req.keep_visits)
    accounts = int(e.sql(f"SELECT count(*) FROM {s.acc}").scalar() or 0)
    # a theme used by more than max_token_accounts accounts, or by more than max_token_share of them, is popular,
    # not a team's: it is not joined (cost) and two accounts sharing it are not compared through it (see above)
    cap = min(int(p["max_token_accounts"]), max(2, int(float(p["max_token_share"]) * accounts)))
    e.sql(f"CREATE TEMP TABLE {s.tokdf} AS SELECT th, count(*) AS df FROM {s.inc} GROUP BY th")
    with req.stages("profiles"):
        pair_rows, q = _vectors(e, s.inc, s.vec, s.deg, cap, accounts)
    tests = max(1.0, accounts * (accounts - 1) / 2)
    chunks = max(1, math.ceil(pair_rows / int(p["pair_rows_per_chunk"])))
    model: dict[str, float] = {
        "accounts": accounts,
        "incidences": int(e.count(s.inc)),
        "joinable_tokens_max_accounts": cap,
        "Q": q,
        "tests": tests,
        "chunks": chunks,
    }
    if accounts < 2 or pair_rows == 0:
        _empty(e, s)
        return _tables(s, n_rows, 0, 0, 0, model, req.evidence_per_edge)
    with req.stages("profiles"):
        null = RarityClassNull.fit(e, s.vec)
    # only the classes that hold a joinable token are counted: a class no token falls in (with the default cap of
    # 200 accounts, classes 8 to 10) counts 0 for every pair, and each count is one more aggregate over every pair
    # row (at 5M actions on the hk2019 simulation, 65M pair rows: 25.1 -> 20.9 s for the pair statements)
    used = null.used_classes()
    classes = "".join(f", p.k{c}" for c in used)
    # Benjamini–Hochberg passes a pair only if p <= fdr * R / m with R <= the pairs sharing a token <= pair_rows:
    # pairs whose p-value is bounded above that cut never leave the engine (most pairs share two common-ish tokens)
    log_cut = min(math.log(req.fdr), math.log(req.fdr) + math.log(pair_rows) - math.log(tests))
    # the pairs of every chunk: enumerated, bounded and scored (the detector's main cost). Two bounds, both sound:
    # the loose one (may_pass_sql) needs only the pair's totals, so the join aggregates three columns per pair and
    # drops nearly all of them before the shared tokens are counted per class for the few left (at 5M actions on
    # the hk2019 simulation, 4.9M pairs of a chunk -> 20k); the exact one (can_pass_sql) then reads those counts.
    loose = null.may_pass_sql("p.lam", "p.k", "p.slq", log_cut)
    bound = null.can_pass_sql("da.dc", "db.dc", "p.k", log_cut)
    sig: list[pa.Table] = []
    candidates = 0
    with req.stages("candidates"):
        e.sql(f"""
CREATE TEMP TABLE {s.side} AS
SELECT v.acc, v.th, {null.ln_q_sql("v.cls")} AS lnq, ln(d.dc) AS ldc FROM {s.vec} v JOIN {s.deg} d USING (acc)""")
        for c in range(chunks):
            pairs = _pairs_sql(s.side, c, chunks, min_k, loose)
            if c:
                e.append(s.cand, ["a", "b"], pairs)
            else:
                e.sql(f"CREATE TEMP TABLE {s.cand} AS {pairs}")
        e.drop_relations([s.side])
        for batch in e.sql(f"""
    SELECT p.a, p.b, p.cos, p.k{classes}, da.d AS d_a, db.d AS d_b, da.dc AS dc_a, db.dc AS dc_b
    FROM ({_class_counts_sql(s.cand, s.vec, used)}) p JOIN {s.deg} da ON da.acc = p.a JOIN {s.deg} db ON db.acc = p.b
    WHERE {bound}""").batches(BATCH_ROWS):
            candidates += batch.num_rows
            t = pa.Table.from_batches([batch])
            shared = np.zeros((t.num_rows, RARITY_CLASSES))
            for cls in used:
                shared[:, cls - 1] = t.column(f"k{cls}").to_numpy()
            lam = t.column("dc_a").to_numpy() * t.column("dc_b").to_numpy().astype(float)
            log_p, lift = null.score(shared, lam)
            t = t.drop_columns([f"k{cls}" for cls in used])
            t = t.append_column("lift", pa.array(lift, pa.float64()))
            # a pair whose p already exceeds fdr cannot pass Benjamini–Hochberg over any number of tests
            live = log_p <= math.log(req.fdr)
            if live.any():
                sig.append(t.filter(pa.array(live)).append_column("log_p", pa.array(log_p[live], pa.float64())))
    with req.stages("test"):
        n_edges = _test(e, s, sig, tests, q, req.fdr, req.min_lift, int(p["top_k"]))
    return _tables(s, n_rows, pair_rows, candidates, n_edges, model, req.evidence_per_edge)


@dataclass(frozen=True)
class RarityClassNull:
    """The Chung–Lu null of ``calibration.py``, per popularity class of tokens, combined by Fisher's method.

    Account ``a`` holds joinable token ``t`` with probability ``dc_a * n_t / N`` (``dc_a``: its joinable tokens,
    ``n_t``: accounts on ``t``, ``N = sum n_t``), so a pair shares ``t`` with probability ``dc_a * dc_b * q_t``,
    ``q_t = n_t (n_t - 1) / N**2``. Tokens are grouped by rarity — class ``floor(log2 n_t)`` — and in each class the
    number of shared tokens is Poisson with mean ``dc_a * dc_b * Q_c`` (``Q_c`` = the class's ``q_t`` summed), as
    in SDSM. Sharing nine tokens that six accounts use is then far more surprising than sharing nine that a hundred
    use — the IDF idea, as a test — while a single count over all tokens would drown rare tokens in popular ones.
    The classes' tail probabilities are combined by Fisher's method (``-2 sum ln p_c ~ chi2(2C)``; conservative for
    discrete p-values, which are super-uniform).
    """

    q_class: np.ndarray

    @classmethod
    def fit(cls, e: Engine, vec: str) -> RarityClassNull:
        rows = e.sql(
            f"SELECT df, count(*) AS tokens FROM (SELECT th, any_value(df) AS df FROM {vec} GROUP BY th) GROUP BY df"
        ).rows()
        n_t = np.array([r[0] for r in rows], dtype=np.float64)
        tokens = np.array([r[1] for r in rows], dtype=np.float64)
        total = float((n_t * tokens).sum())
        q_class = np.zeros(RARITY_CLASSES)
        np.add.at(
            q_class,
            np.minimum(np.floor(np.log2(n_t)).astype(int), RARITY_CLASSES) - 1,
            tokens * n_t * (n_t - 1) / (total * total),
        )
        return cls(q_class)

    def used_classes(self) -> list[int]:
        """The classes (1-based) that hold at least one joinable token: the only ones a pair can share tokens in."""
        return [int(i) + 1 for i in np.flatnonzero(self.q_class > 0)]

    def can_pass_sql(self, dc_a: str, dc_b: str, k_prefix: str, log_cut: float) -> str:
        """SQL condition, false only for pairs whose combined p-value is certainly above ``exp(log_cut)``.

        A sound filter run in the engine before :meth:`score`: each class's tail ``P(X >= k_c)`` is at least the
        point probability ``P(X = k_c)``, so Fisher's statistic ``-2 sum ln p_c`` is at most
        ``2 sum (mu_c - k_c ln mu_c + lgamma(k_c + 1))`` over classes with ``k_c > 0``; a pair whose bound stays
        below the statistic the cut needs (``chi2.isf(cut, 2C)``) cannot reach it. ``k_prefix``: the pair's
        per-class count columns (``{k_prefix}1`` ...), ``dc_a`` / ``dc_b``: the accounts' joinable tokens.
        """
        used = self.used_classes()
        if not used:
            return "true"
        needed = self._needed(log_cut)
        lam = f"(CAST({dc_a} AS DOUBLE) * {dc_b})"
        terms = []
        for c in used:
            k = f"{k_prefix}{c}"
            mu = f"({lam} * {float(self.q_class[c - 1])!r})"
            terms.append(f"CASE WHEN {k} > 0 THEN 2.0 * ({mu} - {k} * ln({mu}) + lgamma({k} + 1)) ELSE 0.0 END")
        return f"({' + '.join(terms)}) >= {needed!r}"

    def may_pass_sql(self, lam: str, k: str, sum_lnq: str, log_cut: float) -> str:
        """SQL condition over a pair's totals, false only for pairs :meth:`can_pass_sql` drops too.

        ``lam``: ``dc_a * dc_b``; ``k``: the shared joinable tokens; ``sum_lnq``: the sum over them of their class's
        ``ln Q_c`` (:meth:`ln_q_sql`). With ``mu_c = lam * Q_c``, :meth:`can_pass_sql`'s bound is
        ``2 (sum_{k_c > 0} mu_c - k ln lam - sum_lnq + sum_c lgamma(k_c + 1))``; this one counts ``mu_c`` of every
        used class and ``lgamma(k + 1) >= sum_c lgamma(k_c + 1)`` (a multinomial coefficient is at least 1), so it
        is never smaller, and a pair it drops the exact bound drops. Why: it needs no per-class counts, so the pair
        join aggregates three columns, not one per class, and the exact bound reads only the pairs left.
        """
        if not self.used_classes():
            return "true"
        # below the exact bound's cut by a little more: both are computed in floating point, in different orders
        needed = self._needed(log_cut) * (1.0 - 1e-9) - 1e-6
        q_all = float(self.q_class.sum())
        return f"2.0 * ({lam} * {q_all!r} - {k} * ln({lam}) - {sum_lnq} + lgamma({k} + 1)) >= {needed!r}"

    def ln_q_sql(self, cls: str) -> str:
        """SQL of ``ln Q_c`` for a token of class ``cls`` (NULL for a class that holds no joinable token)."""
        whens = " ".join(f"WHEN {c} THEN {math.log(float(self.q_class[c - 1]))!r}" for c in self.used_classes())
        return f"CASE {cls} {whens} END" if whens else "CAST(NULL AS DOUBLE)"

    def _needed(self, log_cut: float) -> float:
        """Fisher's statistic a pair needs to reach ``exp(log_cut)``, a hair below: the bounds are computed in
        another arithmetic than the score."""
        return chi2_isf(math.exp(log_cut), 2 * len(self.used_classes())) * (1.0 - 1e-9) - 1e-9

    def score(self, shared: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ln p, lift)`` for pairs with ``shared[:, c]`` shared tokens of class ``c`` and ``dc_a * dc_b = lam``.

        The lift (effect size) is observed / expected shared tokens in the pair's most surprising class: a pair of
        accounts sharing nine tokens that few others use has a lift in the hundreds, while mild overdispersion
        among popular themes (54 shared where 18 are expected: p ~ 1e-12, lift 3) stays below ``min_lift``.
        """
        used = self.q_class > 0
        mean = lam[:, None] * self.q_class[None, used]
        k = shared[:, used]
        log_pc = poisson_log_sf(k, mean)
        log_p = np.minimum(chi2_log_sf(-2.0 * log_pc.sum(axis=1), 2 * int(used.sum())), 0.0)
        top = np.argmin(log_pc, axis=1)
        rows = np.arange(len(top))
        lift = k[rows, top] / np.maximum(mean[rows, top], 1e-300)
        return log_p, np.asarray(lift, dtype=float)


def _incidences(
    e: Engine, s: Scratch, detector_sql: str, window_s: float, keep_visits: Callable[[str], None] | None = None
) -> int:
    """``s.rows`` (the detector's rows, kept for the edges' evidence: :func:`_first_actions`), ``s.acc``
    (acc, account_id) and ``s.inc`` (acc, th, tf: the distinct buckets of the account on the token). The rows' distinct cell visits
    ``(account_id, th, b)`` are handed to ``keep_visits`` when given (the network build's attach step
    reads them: from here, not from the detector's SQL again, which cost 3.2 s of attach's 6.8 s at 5M actions)."""
    if window_s <= 0:
        raise ValidationError(f"window_s must be > 0, got {window_s}")
    e.sql(f"""
CREATE TEMP TABLE {s.rows} AS
SELECT account_id, target, hash(target) AS th, acted_at_s AS t, action_id,
       CAST(floor(acted_at_s / {float(window_s)!r}) AS BIGINT) AS b
FROM ({detector_sql}) src
WHERE account_id IS NOT NULL AND target IS NOT NULL AND acted_at_s IS NOT NULL""")
    n_rows = e.count(s.rows)
    e.sql(f"""
CREATE TEMP TABLE {s.acc} AS
SELECT account_id, CAST(row_number() OVER (ORDER BY account_id) AS INTEGER) AS acc
FROM (SELECT DISTINCT account_id FROM {s.rows})""")
    e.sql(f"""
CREATE TEMP TABLE {s.inc} AS
SELECT acc.acc, r.th, count(DISTINCT r.b) AS tf FROM {s.rows} r JOIN {s.acc} acc USING (account_id) GROUP BY acc.acc, r.th""")
    if keep_visits:
        # a separate pass: inc computed from these distinct visits instead (one pass fewer) left the candidate pairs
        # 2-3 s slower at 5M actions, in the order it left inc in
        keep_visits(f"SELECT DISTINCT account_id, th, b FROM {s.rows}")
    return n_rows


def _first_actions(s: Scratch) -> str:
    """SELECT of each edge account's first action on each of its tokens (acc, th, target, action_id, t), from
    ``s.rows``: the evidence of the edges, computed for their accounts only. Aggregating it for every incidence
    with the profiles took most of their time (at 5M actions on the hk2019 simulation, 5.0M incidences: 3.7 -> 1.1 s
    for that statement) for edges that are a few thousand pairs at most (``top_k`` per account)."""
    return f"""
SELECT acc.acc, r.th, min(r.target) AS target, arg_min(r.action_id, (r.t, r.action_id)) AS action_id,
       min(r.t) AS t
FROM {s.rows} r JOIN {s.acc} acc USING (account_id)
WHERE acc.acc IN (SELECT a FROM {s.edges} UNION SELECT b FROM {s.edges})
GROUP BY acc.acc, r.th"""


def _vectors(e: Engine, inc: str, vec: str, deg: str, cap: int, accounts: int) -> tuple[int, float]:
    """Normalised TF-IDF weights of the joinable tokens (``vec``: acc, th, x) and token counts per account (``deg``:
    acc, d = all tokens, dc = joinable tokens); returns (pair rows the join will produce, Chung–Lu ``Q``)."""
    e.drop_relations([vec, deg])
    e.sql(f"""
CREATE TEMP TABLE {vec} AS
WITH df AS (SELECT th, count(*) AS df FROM {inc} GROUP BY th),
w AS (
  SELECT i.acc, i.th, df.df, (1 + ln(i.tf)) * ln({float(max(accounts, 1))!r} / df.df) AS w
  FROM {inc} i JOIN df USING (th)
), n AS (SELECT acc, sqrt(sum(w * w)) AS norm, count(*) AS d FROM w GROUP BY acc)
SELECT w.acc, w.th, w.df, w.w / n.norm AS x, CAST(least(floor(log2(w.df)), {RARITY_CLASSES}) AS INTEGER) AS cls
FROM w JOIN n USING (acc) WHERE n.norm > 0 AND w.df BETWEEN 2 AND {int(cap)} AND w.w > 0""")
    e.sql(f"""
CREATE TEMP TABLE {deg} AS
SELECT i.acc, count(*) AS d, count(v.th) AS dc FROM {inc} i LEFT JOIN {vec} v USING (acc, th) GROUP BY i.acc""")
    res = e.sql(f"""
SELECT sum(df * (df - 1)) / 2, sum(CAST(df AS DOUBLE) * (df - 1)), sum(df)
FROM (SELECT th, count(*) AS df FROM {vec} GROUP BY th)""").one()
    assert res is not None
    pair_rows, same, n_inc = int(res[0] or 0), float(res[1] or 0.0), float(res[2] or 0.0)
    return pair_rows, (same / (n_inc * n_inc) if n_inc else 0.0)


def _pairs_sql(side: str, chunk: int, chunks: int, min_k: int, may_pass: str) -> str:
    """Pairs (a < b, a in this chunk) sharing at least ``min_k`` joinable tokens whose totals satisfy ``may_pass``
    (over ``p.lam`` = ``dc_a * dc_b``, ``p.k`` shared tokens and ``p.slq`` = the sum of their classes' ``ln Q``):
    ``a, b``. ``side``: the vectors with each token's ``lnq`` and its account's ``ldc = ln dc``.

    Three aggregates per pair, the fewest the bound needs (the group-by over every pair row is the detector's main
    cost): ``ln lam`` is the mean of ``ldc_a + ldc_b`` over the shared tokens (the same on every row of a pair)."""
    return f"""
SELECT a, b FROM (
  SELECT L.acc AS a, R.acc AS b, count(*) AS k, sum(L.lnq) AS slq, exp(sum(L.ldc + R.ldc) / count(*)) AS lam
  FROM (SELECT acc, th, lnq, ldc FROM {side} WHERE acc % {int(chunks)} = {int(chunk)}) L
  JOIN {side} R ON R.th = L.th AND R.acc > L.acc
  GROUP BY L.acc, R.acc HAVING count(*) >= {int(min_k)}) p
WHERE {may_pass}"""


def _class_counts_sql(cand: str, vec: str, classes: Sequence[int]) -> str:
    """The candidate pairs of ``cand`` (a, b: each pair once) with their cosine (the sum of ``x_a * x_b`` over the
    shared joinable tokens), shared tokens ``k`` and shared tokens per rarity class ``c`` in ``classes`` (``k{c}``:
    ``k1`` tokens of 2-3 accounts, ``k2`` of 4-7, ...).

    The token join runs over the candidates' own vectors only, then keeps the candidate pairs (5M hk2019: 73k
    pairs, 1.1M shared tokens, 0.6 s; joining each pair's two vectors by account first took 2.3 s)."""
    per_class = "".join(f", count(*) FILTER (WHERE L.cls = {int(c)}) AS k{int(c)}" for c in classes)
    return f"""
SELECT L.acc AS a, R.acc AS b, sum(L.x * R.x) AS cos, count(*) AS k{per_class}
FROM (SELECT acc, th, x, cls FROM {vec} WHERE acc IN (SELECT a FROM {cand})) L
JOIN (SELECT acc, th, x, cls FROM {vec} WHERE acc IN (SELECT b FROM {cand})) R ON R.th = L.th AND R.acc > L.acc
JOIN {cand} c ON c.a = L.acc AND c.b = R.acc
GROUP BY L.acc, R.acc"""


def _test(
    e: Engine, s: Scratch, parts: list[pa.Table], tests: float, q: float, fdr: float, min_lift: float, top_k: int
) -> int:
    """Benjamini–Hochberg over all pairs, the lift, then the top-k most similar (cosine) per account: ``s.edges``;
    returns its size."""
    if not parts:
        _empty(e, s)
        return 0
    sig = pa.concat_tables(parts)
    log_p = sig.column("log_p").to_numpy()
    log_q = bh_log_q(log_p, tests)
    expected = sig.column("dc_a").to_numpy().astype(np.float64) * sig.column("dc_b").to_numpy() * q
    keep = (log_q <= math.log(fdr)) & (sig.column("lift").to_numpy() >= min_lift)
    kept = pa.table(
        {
            "a": sig.column("a").filter(pa.array(keep)),
            "b": sig.column("b").filter(pa.array(keep)),
            "cos": sig.column("cos").filter(pa.array(keep)),
            "k": sig.column("k").filter(pa.array(keep)),
            "d_a": sig.column("d_a").filter(pa.array(keep)),
            "d_b": sig.column("d_b").filter(pa.array(keep)),
            "expected": pa.array(expected[keep], pa.float64()),
            "p_value": pa.array(np.exp(log_p[keep]), pa.float64()),
            "q_value": pa.array(np.exp(log_q[keep]), pa.float64()),
            "weight": pa.array(neg_log10(log_p[keep], MAX_WEIGHT), pa.float64()),
        }
    )
    name = s.register("kept", kept)
    e.sql(f"""
CREATE TEMP TABLE {s.edges} AS
WITH ends AS (
  SELECT a AS acc, a, b, weight, cos FROM {name} UNION ALL SELECT b AS acc, a, b, weight, cos FROM {name}
), ranked AS (
  SELECT a, b, row_number() OVER (PARTITION BY acc ORDER BY round(cos, 9) DESC, weight DESC, a, b) AS r FROM ends
)
SELECT k.* FROM {name} k SEMI JOIN (SELECT DISTINCT a, b FROM ranked WHERE r <= {int(top_k)}) t USING (a, b)""")
    s.unregister(name)
    # cosines and their terms are rounded where they rank: the weights are normalised by parallel sums, whose last
    # bits vary from run to run, and two tokens of equal weight then swapped places in the evidence (IRA dev data:
    # one evidence row of 13,833 differed between two runs of the same data)
    e.sql(f"""
CREATE TEMP TABLE {s.ev} AS
WITH firsts AS ({_first_actions(s)})
SELECT x.a, x.b, ia.target, ia.action_id AS action_id_a, ib.action_id AS action_id_b, ia.t AS t_a, ib.t AS t_b,
       row_number() OVER (PARTITION BY x.a, x.b ORDER BY round(va.x * vb.x, 9) DESC, ia.target) AS rn
FROM {s.edges} x JOIN {s.vec} va ON va.acc = x.a JOIN {s.vec} vb ON vb.acc = x.b AND vb.th = va.th
JOIN firsts ia ON ia.acc = x.a AND ia.th = va.th JOIN firsts ib ON ib.acc = x.b AND ib.th = va.th""")
    e.drop_relations([s.rows])
    return e.count(s.edges)


def _empty(e: Engine, s: Scratch) -> None:
    """No candidates: empty ``s.edges`` and ``s.ev`` (CREATE ... AS SELECT, which every engine runs); the rows kept
    for evidence go."""
    e.drop_relations([s.rows])
    e.sql(f"""
CREATE TEMP TABLE {s.edges} AS
SELECT CAST(NULL AS INTEGER) AS a, CAST(NULL AS INTEGER) AS b, CAST(NULL AS DOUBLE) AS cos, CAST(NULL AS BIGINT) AS k,
       CAST(NULL AS BIGINT) AS d_a, CAST(NULL AS BIGINT) AS d_b, CAST(NULL AS DOUBLE) AS expected,
       CAST(NULL AS DOUBLE) AS p_value, CAST(NULL AS DOUBLE) AS q_value, CAST(NULL AS DOUBLE) AS weight
WHERE false""")
    e.sql(f"""
CREATE TEMP TABLE {s.ev} AS
SELECT CAST(NULL AS INTEGER) AS a, CAST(NULL AS INTEGER) AS b, CAST(NULL AS VARCHAR) AS target,
       CAST(NULL AS VARCHAR) AS action_id_a, CAST(NULL AS VARCHAR) AS action_id_b, CAST(NULL AS DOUBLE) AS t_a,
       CAST(NULL AS DOUBLE) AS t_b, CAST(NULL AS BIGINT) AS rn
WHERE false""")


def _tables(
    s: Scratch, n_rows: int, pair_rows: int, candidates: int, n_edges: int, model: dict[str, float], evidence: int
) -> EdgeTables:
    edges_sql = f"""
SELECT aa.account_id AS account_a, ab.account_id AS account_b, x.k AS co_actions_count, x.k AS episodes_count,
       x.d_a AS activity_a_count, x.d_b AS activity_b_count, x.expected AS expected_count, x.p_value, x.q_value,
       x.weight, make_timestamp(CAST(ev.first_t * 1e6 AS BIGINT)) AS first_at,
       make_timestamp(CAST(ev.last_t * 1e6 AS BIGINT)) AS last_at, ev.mean_dt_s
FROM {s.edges} x JOIN {s.acc} aa ON aa.acc = x.a JOIN {s.acc} ab ON ab.acc = x.b
LEFT JOIN (SELECT a, b, min(least(t_a, t_b)) AS first_t, max(greatest(t_a, t_b)) AS last_t,
                  avg(abs(t_b - t_a)) AS mean_dt_s FROM {s.ev} GROUP BY a, b) ev ON ev.a = x.a AND ev.b = x.b"""
    evidence_sql = f"""
SELECT aa.account_id AS account_a, ab.account_id AS account_b, ev.action_id_a, ev.action_id_b, ev.target,
       make_timestamp(CAST(ev.t_a * 1e6 AS BIGINT)) AS acted_at_a, ev.t_b - ev.t_a AS dt_s
FROM {s.ev} ev JOIN {s.acc} aa ON aa.acc = ev.a JOIN {s.acc} ab ON ab.acc = ev.b
WHERE ev.rn <= {int(evidence)}"""
    return EdgeTables(edges_sql, evidence_sql, n_rows, pair_rows, candidates, n_edges, model)


DETECTOR = Detector(
    name="theme_profile",
    description="Theme profiles (hashtags, domains, reposted and mentioned accounts) far more alike than chance.",
    build_sql=_sql,
    default_params={
        "window_s": 86400.0,
        # 500 before: on the hk2019 simulation at 1M actions 30.9M pair rows (25 s) against 13.2M (11 s) at 200, with
        # the same edges on the IRA dev data (whose cap is its 20% share) and none lost on hk2019
        "max_token_accounts": 200,
        "max_token_share": 0.2,
        "top_k": 20,
        "pair_rows_per_chunk": 20_000_000,
    },
    fixed_window=True,
    edge_builder=profile_edges,
)
