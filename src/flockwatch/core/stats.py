"""Statistics every stage shares: the Poisson upper tail and Benjamini–Hochberg control, both in log space.

Consumes observed counts and their expected values under a null model (numpy arrays or scalars), or log p-values;
produces log p-values, log q-values, or the mask of discoveries. Log space because the p-values of real
coordination underflow doubles (a pair with 40 co-actions where 0.01 were expected has p ≈ 1e-150, and a cell
of a troll farm far less); ranks and comparisons are done on logarithms so nothing rounds to 0.

- :func:`poisson_log_sf` — ``ln P(X >= k)`` for ``X ~ Poisson(lam)`` (0 for ``k <= 0``).
- :func:`poisson_surprise` — ``-ln P(X >= k)``, and 0 where ``k`` does not exceed ``lam`` (evidence in nats that
  only counts excesses).
- :func:`bh_log_q` — BH q-values (step-up, monotone, capped at 1) of ``m`` tests whose log p-values are given;
  tests not listed (pairs never observed together) count as p = 1: they only raise ``m``.
- :func:`bh_discoveries` — the mask ``q <= fdr``.

- :func:`chi2_log_sf`, :func:`chi2_isf`, :func:`chi2_ppf` — the chi-squared tail and its inverses (Fisher's
  combination, conservative rate bounds).
- :func:`ranked_counts` — counts largest first, ties by key: the order every stored tally is written in.

Built on ``scipy.special`` (the same functions scipy.stats calls, so the numbers are identical): importing
scipy.stats costs most of a second, paid by every CLI process that tests a pair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CountT = TypeVar("CountT", int, float)
BoolArray = npt.NDArray[np.bool_]

#: the smallest expected count used (a zero expectation would make every observation infinitely surprising)
MIN_EXPECTED = 1e-300
#: the largest surprise one Poisson feature contributes, in nats
MAX_SURPRISE = -math.log(1e-300)


def poisson_log_sf(k: Any, lam: Any) -> FloatArray:
    """``ln P(X >= k)`` for ``X ~ Poisson(lam)``, element-wise; 0 where ``k <= 0``."""
    from scipy import special

    k_arr, lam_arr = np.broadcast_arrays(
        np.asarray(k, dtype=np.float64), np.maximum(np.asarray(lam, dtype=np.float64), MIN_EXPECTED)
    )
    k1, lam1 = k_arr.ravel(), lam_arr.ravel()
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # P(X >= k) = P(X > k - 1): pdtrc is scipy's Poisson survival function (what scipy.stats.poisson.sf calls)
        out = np.minimum(np.log(special.pdtrc(np.floor(k1 - 1), lam1)), 0.0)
        out[k1 < 1] = 0.0  # P(X >= k) = 1 for k <= 0 (scipy.stats returns the same for any k below 1)
        # scipy's logsf underflows to -inf below ~1e-308 (a dense troll cell reaches p ~ 1e-800); there the tail is
        # the first term times a geometric-like series: P(X >= k) = pmf(k) * sum_j lam^j k!/(k+j)!, bounded by
        # pmf(k) / (1 - lam/(k+1)) for k + 1 > lam — exact to a few percent in p, i.e. to < 0.1 in ln p.
        deep = ~np.isfinite(out) | (out < -700.0)
        if np.any(deep):
            ratio = np.clip(lam1[deep] / (k1[deep] + 1.0), 0.0, 1.0 - 1e-12)
            kd, ld = k1[deep], lam1[deep]
            log_pmf = special.xlogy(kd, ld) - special.gammaln(kd + 1) - ld
            out[deep] = np.minimum(log_pmf - np.log1p(-ratio), 0.0)
    return np.asarray(out.reshape(k_arr.shape), dtype=np.float64)


def chi2_log_sf(x: Any, df: Any) -> FloatArray:
    """``ln P(X >= x)`` for ``X ~ chi2(df)``, element-wise (``-inf`` where the tail underflows)."""
    from scipy import special

    x_arr, df_arr = np.broadcast_arrays(np.maximum(np.asarray(x, dtype=np.float64), 0.0), np.asarray(df, np.float64))
    sf = np.asarray(special.chdtrc(df_arr, x_arr), dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = np.log(sf)
    # near sf = 1 the log of the complement keeps the digits that ln(sf) rounds away
    near_one = sf > 0.5
    out[near_one] = np.log1p(-special.chdtr(df_arr[near_one], x_arr[near_one]))
    return out


def chi2_isf(p: float, df: float) -> float:
    """The ``x`` with ``P(X >= x) = p`` for ``X ~ chi2(df)``."""
    from scipy import special

    return float(special.chdtri(df, p))


def chi2_ppf(q: float, df: float) -> float:
    """The ``x`` with ``P(X <= x) = q`` for ``X ~ chi2(df)``."""
    from scipy import special

    return float(2.0 * special.gammaincinv(df / 2.0, q))


def poisson_surprise(k: Any, lam: Any) -> FloatArray:
    """``-ln P(X >= k)``; 0 where there are no hits or no more than expected."""
    k_arr = np.asarray(k, dtype=np.float64)
    lam_arr = np.asarray(lam, dtype=np.float64)
    # capped at -ln(1e-300): expansion scores were calibrated with that bound, and beyond it the evidence of one
    # feature should not drown every other
    s = np.minimum(-poisson_log_sf(k_arr, np.maximum(lam_arr, 1e-9)), MAX_SURPRISE)
    return np.asarray(np.where((k_arr <= 0) | (k_arr <= lam_arr), 0.0, s), dtype=np.float64)


def bh_log_q(log_p: Any, m: float | None = None) -> FloatArray:
    """Benjamini–Hochberg log q-values of the given log p-values among ``m`` tests (default: as many as given).

    ``q_(i) = min_{j >= i} p_(j) m / j``, capped at 1; ties keep their input order (stable sort), so the result is
    deterministic.
    """
    lp = np.asarray(log_p, dtype=np.float64)
    n = lp.size
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    total = float(n if m is None else max(m, n))
    order = np.argsort(lp, kind="stable")
    ranks = np.arange(1, n + 1, dtype=np.float64)
    raw = lp[order] + math.log(total) - np.log(ranks)
    sorted_q = np.minimum(np.minimum.accumulate(raw[::-1])[::-1], 0.0)
    out = np.empty(n, dtype=np.float64)
    out[order] = sorted_q
    return out


def bh_discoveries(log_p: Any, fdr: float, m: float | None = None) -> BoolArray:
    """True for the tests BH declares discoveries at false discovery rate ``fdr``."""
    return np.asarray(bh_log_q(log_p, m) <= math.log(fdr), dtype=np.bool_)


def neg_log10(log_p: Any, cap: float = 300.0) -> FloatArray:
    """``-log10 p`` from ``ln p`` (the edge weight unit), capped."""
    return np.asarray(np.minimum(-np.asarray(log_p, dtype=np.float64) / math.log(10), cap), dtype=np.float64)


def ranked_counts(counts: Mapping[str, CountT]) -> dict[str, CountT]:
    """``counts`` largest first, equal counts by key. A ``Counter``'s ``most_common`` keeps equal counts in the order
    they were first counted, which follows whatever order the counted items came in (a set of account ids: a
    different one in every process), and a stored tally must read the same on every run of the same data."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
