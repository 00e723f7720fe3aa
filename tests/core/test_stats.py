"""Contract of core.stats: the Poisson tail and BH agree with direct formulas, in log space where doubles underflow."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from flockwatch.core.stats import (
    bh_discoveries,
    bh_log_q,
    chi2_isf,
    chi2_log_sf,
    chi2_ppf,
    neg_log10,
    poisson_log_sf,
    poisson_surprise,
    ranked_counts,
)


def test_poisson_tail_matches_the_textbook_formula():
    # P(X >= 1 | 0.1) = 1 - e^-0.1; P(X >= 0) = 1
    assert math.isclose(poisson_log_sf(1, 0.1), math.log(1 - math.exp(-0.1)), rel_tol=1e-12)
    assert poisson_log_sf(0, 3.0) == 0.0
    assert math.isclose(float(poisson_log_sf(5, 2.0)), math.log(sps.poisson.sf(4, 2.0)), rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=30),
    st.lists(st.floats(1e-12, 1e3), min_size=1, max_size=30),
)
def test_poisson_tail_equals_scipy_stats_where_it_is_finite(ks, lams):
    # built on scipy.special for start-up time; the numbers must be scipy.stats' own
    n = min(len(ks), len(lams))
    k, lam = np.array(ks[:n], dtype=float), np.array(lams[:n])
    ref = np.minimum(sps.poisson.logsf(k - 1, lam), 0.0)
    ref[k <= 0] = 0.0
    ours = poisson_log_sf(k, lam)
    finite = np.isfinite(ref) & (ref >= -700.0)
    assert np.array_equal(ours[finite], ref[finite])


@pytest.mark.parametrize("df", [2, 6, 40])
def test_chi2_helpers_agree_with_scipy_stats(df):
    x = np.linspace(0.0, 400.0, 801)
    assert np.allclose(chi2_log_sf(x, df), sps.chi2.logsf(x, df), rtol=1e-12, atol=1e-300)
    assert math.isclose(chi2_isf(1e-9, df), sps.chi2.isf(1e-9, df), rel_tol=1e-12)
    assert math.isclose(chi2_ppf(0.95, df), sps.chi2.ppf(0.95, df), rel_tol=1e-12)


def test_poisson_tail_does_not_underflow():
    # 200 co-actions where 0.01 were expected: p ~ 1e-800, below the smallest double
    lp = float(poisson_log_sf(200, 0.01))
    assert math.isfinite(lp) and abs(lp - sps.poisson.logpmf(200, 0.01)) < 0.01
    assert neg_log10(lp, cap=1e9) > 770
    # the deep-tail form joins the exact one smoothly where both are finite
    ks = np.arange(150, 400)
    tail = poisson_log_sf(ks, 0.5)
    assert np.all(np.isfinite(tail)) and np.all(np.diff(tail) < 0)


def test_surprise_counts_only_excesses():
    s = poisson_surprise(np.array([0, 1, 2, 5, 5]), np.array([1.0, 2.0, 0.1, 0.1, 1.0]))
    assert s[0] == 0 and s[1] == 0  # no hits / fewer than expected: no evidence
    assert s[3] > s[2] > 0 and s[3] > s[4] > 0
    # P(X >= 2 | 0.1) = 1 - e^-0.1 (1 + 0.1)
    assert math.isclose(s[2], -math.log(1 - math.exp(-0.1) * 1.1), rel_tol=1e-9)
    # P(X >= 5 | lam) = 1 - e^-lam (1 + lam + lam^2/2 + lam^3/6 + lam^4/24)
    for i, lam in ((3, 0.1), (4, 1.0)):
        below = math.exp(-lam) * sum(lam**k / math.factorial(k) for k in range(5))
        assert math.isclose(s[i], -math.log(1 - below), rel_tol=1e-6)


def _bh_reference(p: list[float], m: int) -> list[float]:
    """Textbook BH on plain p-values: q_(i) = min_{j>=i} p_(j) m / j."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    q = [0.0] * len(p)
    running = 1.0
    for rank in range(len(p), 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-12, max_value=1.0), min_size=1, max_size=40), st.integers(0, 50))
def test_bh_matches_the_textbook_step_up(p, extra):
    m = len(p) + extra  # untested hypotheses only raise m
    ours = np.exp(bh_log_q(np.log(p), m))
    ref = _bh_reference(p, m)
    assert np.allclose(ours, ref, rtol=1e-9, atol=0)
    mask = bh_discoveries(np.log(p), 0.05, m)
    # a q-value equal to alpha up to rounding (e.g. 0.02 * 10 / 4) may fall either side of it in log space
    decided = [abs(r - 0.05) > 1e-9 for r in ref]
    assert [bool(k) for k, d in zip(mask, decided, strict=True) if d] == [
        r <= 0.05 for r, d in zip(ref, decided, strict=True) if d
    ]


def test_bh_in_log_space_ranks_underflowing_p_values():
    log_p = np.array([-2000.0, -1500.0, -3.0])
    q = bh_log_q(log_p, 10)
    assert q[0] < q[1] < q[2] <= 0  # distinct even though exp(log_p) is 0 for the first two
    assert bh_discoveries(log_p, 1e-3, 10).tolist() == [True, True, False]
    assert bh_log_q([], 5).size == 0


@given(st.lists(st.tuples(st.text(max_size=3), st.integers(0, 4)), max_size=30), st.randoms())
def test_ranked_counts_do_not_depend_on_the_order_counted(items, rnd):
    """The same tally counted in any order reads the same: largest first, equal counts by key."""
    counts = dict(items)
    shuffled = list(counts.items())
    rnd.shuffle(shuffled)
    ranked = ranked_counts(dict(shuffled))
    assert list(ranked.items()) == list(ranked_counts(counts).items())
    assert ranked == counts
    pairs = list(ranked.items())
    assert all((-a[1], a[0]) < (-b[1], b[0]) for a, b in itertools.pairwise(pairs))
