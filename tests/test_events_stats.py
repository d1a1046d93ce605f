"""The event study's and the screen's statistics, computed without scipy.stats (whose import
and per-call overhead were a third of the weekly run), against scipy.stats itself: the same
bits for the t-tests, Kendall's τ and the quantiles; the sign test's exact binomial p-value
within 1e-13 relative (it is the correctly rounded value, scipy's last digits wander)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from screener.screen import event_study, events
from screener.screen.table import _ranks, kendall_tau_b

returns = st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False)
samples = hnp.arrays(np.float64, st.integers(2, 40), elements=returns)


@contextmanager
def quiet() -> Iterator[None]:
    """scipy warns of precision loss on near-constant samples; we compare its numbers only."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=300, deadline=None)
@given(a=samples, b=samples)
def test_welch_equals_scipy_bit_for_bit(a: np.ndarray, b: np.ndarray) -> None:
    got = events.welch(a, b)
    with quiet():
        want = stats.ttest_ind(a, b, equal_var=False)
    assert same(got.stat, float(want.statistic)) and same(got.p, float(want.pvalue))
    assert got.n == len(a) + len(b)


def test_welch_of_constant_samples_is_like_scipy() -> None:
    a, b = np.full(5, 0.01), np.full(4, 0.02)
    with quiet():
        want = stats.ttest_ind(a, b, equal_var=False)
    got = events.welch(a, b)
    assert same(got.stat, float(want.statistic)) and same(got.p, float(want.pvalue))


@settings(max_examples=300, deadline=None)
@given(x=samples.filter(lambda x: np.std(x) > 0))
def test_one_sample_t_equals_scipy_bit_for_bit(x: np.ndarray) -> None:
    got = events.one_sample_t(x)
    with quiet():
        want = stats.ttest_1samp(x, 0.0)
    assert got.stat == float(want.statistic) and got.p == float(want.pvalue)
    assert got.n == len(x)


@settings(max_examples=200, deadline=None)
@given(stat=st.floats(-50, 50), k=st.integers(3, 500))
def test_bmp_p_value_is_scipys_t_distribution(stat: float, k: int) -> None:
    assert events.t_two_sided(stat, k - 1) == float(2 * stats.t.sf(abs(stat), k - 1))


@pytest.mark.parametrize("df", [1, 2, 5, 29, 30, 120, 1000])
def test_t_quantile_and_normal_quantile_are_scipys(df: int) -> None:
    event_study._t975.cache_clear()
    assert event_study._t975(df) == float(stats.t.ppf(0.975, df))
    for q in (0.01, 0.05, 0.5):
        assert float(special.ndtri(q)) == float(stats.norm.ppf(q))


def test_binomial_p_is_exact_and_within_1e13_of_scipy() -> None:
    worst = 0.0
    for n in range(1, 121):
        for k in range(n + 1):
            events._binom_p.cache_clear()
            got = events._binom_p(k, n)
            # Independent check of the tails: every outcome at most as likely as k.
            pmf = [Fraction(math.comb(n, x), 2**n) for x in range(n + 1)]
            exact = min(Fraction(1), sum(p for p in pmf if p <= pmf[k]))
            assert got == float(exact)
            want = float(stats.binomtest(k, n, 0.5).pvalue)
            worst = max(worst, abs(got - want) / want)
    assert worst < 1e-13


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(3, 60),
    draws=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_kendall_tau_equals_scipy_bit_for_bit(n: int, draws: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = _ranks(rng.normal(size=(1, n)))[0]
    ranks = _ranks(rng.normal(size=(draws, n)) + 0.3 * base[None, :])
    got = kendall_tau_b(base, ranks)
    want = [float(stats.kendalltau(base, r).statistic) for r in ranks]
    assert got.tolist() == want


def test_kendall_tau_of_identical_and_reversed_rankings() -> None:
    base = np.arange(1, 11)
    got = kendall_tau_b(base, np.stack([base, base[::-1]])).tolist()
    assert got == pytest.approx([1.0, -1.0], abs=1e-15)  # 45 / √45 / √45, as scipy divides
    assert got == [float(stats.kendalltau(base, r).statistic) for r in (base, base[::-1])]
