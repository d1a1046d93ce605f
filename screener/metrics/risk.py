"""Volatility, downside, drawdown, VaR and higher-moment metrics on a whole panel at once.

Input of every function: ``r``, an ``(L, N)`` array of daily simple returns compacted per ticker
(right-aligned: column ``j``'s last ``n_j`` rows are its last ``n_j`` returns, NaN above), and
``n_ret``, each ticker's number of returns. A window of ``w`` returns is the slice ``r[-w:]``;
the statistics are NaN-aware along axis 0, so short columns are handled by the counts.
Conventions (252 days, ddof=1, minimum observations) are in :mod:`screener.metrics.registry`.
"""

from __future__ import annotations

import numpy as np

from screener.metrics._panel import F64, I64, Obj, cumsum0, no_reason, short_history
from screener.metrics.registry import TRADING_DAYS

Column = tuple[F64, Obj]
RET = "daily returns"


def _window(r: F64, n_ret: I64, w: int) -> tuple[F64, I64]:
    return r[-w:], np.minimum(n_ret, min(w, r.shape[0]))


def _finish(values: F64, reason: Obj) -> Column:
    values = np.where(~no_reason(reason), np.nan, values)
    return values, reason


def _moments(rw: F64, n: I64) -> tuple[F64, F64, F64, F64]:
    """Mean and central moments m2, m3, m4 (divided by n) of each column, two-pass."""
    valid = ~np.isnan(rw)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, rw, 0.0).sum(axis=0) / n
        d = np.where(valid, rw - mean, 0.0)
        d2 = d * d
        m2 = d2.sum(axis=0) / n
        m3 = (d2 * d).sum(axis=0) / n
        m4 = (d2 * d2).sum(axis=0) / n
    return mean, m2, m3, m4


def volatility(r: F64, n_ret: I64, w: int, need: int) -> Column:
    """Annualised volatility ``std(r, ddof=1) × sqrt(252)`` of the last ``w`` returns.

    Same as ``empyrical.annual_volatility`` on the ticker's own last ``w`` returns.
    """
    rw, n = _window(r, n_ret, w)
    _, m2, _, _ = _moments(rw, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.sqrt(m2 * n / (n - 1) * TRADING_DAYS)
    return _finish(values, short_history(n, need, RET))


def ewma_volatility(r: F64, n_ret: I64, w: int, need: int, lam: float) -> Column:
    """RiskMetrics EWMA volatility, zero mean, annualised.

    ``σ²_0 = mean(r²)`` over the window (an equally weighted, zero-mean seed), then
    ``σ²_i = λ σ²_(i-1) + (1-λ) r_i²`` through the window's ``n`` returns. Unrolled:
    ``σ²_n = λ^n σ²_0 + (1-λ) Σ_i λ^(n-1-i) r_i²``, which is one weighted column sum on the
    right-aligned layout (the weight of a row depends only on its distance from the last row).
    Reference: RiskMetrics Technical Document (1996), §5.2.1.
    """
    rw, n = _window(r, n_ret, w)
    sq = np.where(np.isnan(rw), 0.0, rw * rw)
    weights = (1.0 - lam) * lam ** np.arange(rw.shape[0] - 1, -1, -1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        seed = sq.sum(axis=0) / n
    var = lam ** n.astype(np.float64) * seed + weights @ sq
    return _finish(np.sqrt(var * TRADING_DAYS), short_history(n, need, RET))


def downside_deviation(r: F64, n_ret: I64, w: int, need: int) -> Column:
    """``sqrt(mean(min(r, 0)²)) × sqrt(252)``, minimum acceptable return 0, mean over all ``n``
    returns (empyrical.downside_risk's convention; Sortino & Price 1994)."""
    rw, n = _window(r, n_ret, w)
    down = np.where(np.isnan(rw), 0.0, np.minimum(rw, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.sqrt((down * down).sum(axis=0) / n) * np.sqrt(TRADING_DAYS)
    return _finish(values, short_history(n, need, RET))


def max_drawdown(closes: F64, n_ret: I64, w: int, need: int) -> Column:
    """Largest fall from a running peak over the ``w + 1`` closes spanning the last ``w`` returns:
    ``min_t (P_t / max_(s≤t) P_s − 1)``, in [−1, 0]. Matches ``empyrical.max_drawdown`` of those
    returns (which starts its wealth index at the close before the first return)."""
    cw = closes[-(w + 1) :]
    peak = np.fmax.accumulate(cw, axis=0)  # fmax skips the NaN rows above a short column
    with np.errstate(invalid="ignore"):
        dd = cw / peak - 1.0
    n = np.minimum(n_ret, w)
    values = np.where(n > 0, np.nanmin(np.where(np.isnan(dd), np.inf, dd), axis=0), np.nan)
    return _finish(values, short_history(n, need, RET))


def drawdown_from_high(closes: F64, n_closes: I64, w: int, need: int) -> Column:
    """``P_t / max(last w closes) − 1``: distance below the 52-week (252-day) high, ≤ 0."""
    cw = closes[-w:]
    high = np.fmax.reduce(cw, axis=0)
    with np.errstate(invalid="ignore"):
        values = cw[-1] / high - 1.0
    return _finish(values, short_history(np.minimum(n_closes, w), need, "closes"))


def historical_var(r: F64, n_ret: I64, w: int, need: int, cutoff: float) -> tuple[Column, Column]:
    """Historical VaR and CVaR (expected shortfall), one day, as negative returns.

    VaR: ``np.percentile(r, 100·cutoff)`` with numpy's default linear interpolation — position
    ``h = (n − 1)·cutoff`` in the ascending sort, ``s[⌊h⌋] + (h − ⌊h⌋)(s[⌊h⌋+1] − s[⌊h⌋])``
    (``empyrical.value_at_risk``). CVaR: mean of the ``k + 1`` lowest returns,
    ``k = ⌊(n − 1)·cutoff⌋`` (``empyrical.conditional_value_at_risk``). Sorting puts NaN last,
    so the valid returns of every column are its first ``n`` sorted rows.
    """
    rw, n = _window(r, n_ret, w)
    s = np.sort(rw, axis=0)
    cols = np.arange(s.shape[1])
    nn = np.maximum(n, 1)
    h = (nn - 1) * cutoff
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, nn - 1)
    frac = h - lo
    a, b = s[lo, cols], s[hi, cols]
    var = np.where(frac >= 0.5, b - (b - a) * (1.0 - frac), a + (b - a) * frac)
    k = ((nn - 1) * cutoff).astype(np.int64)
    csum = cumsum0(np.where(np.isnan(s), 0.0, s))
    cvar = csum[k, cols] / (k + 1)
    reason = short_history(n, need, RET)
    return _finish(var, reason), _finish(cvar, reason.copy())


def moments_var(r: F64, n_ret: I64, w: int, need: int, cutoff: float) -> dict[str, Column]:
    """Normal VaR, Cornish–Fisher VaR, bias-corrected skewness G1 and excess kurtosis G2.

    ``z = Φ⁻¹(cutoff)``; normal VaR = ``mean + z·std(ddof=1)``. Cornish–Fisher (Favre & Galeano
    2002): ``z_cf = z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36`` with ``S = G1``, ``K = G2``,
    VaR = ``mean + z_cf·std``. ``G1 = sqrt(n(n−1))/(n−2)·m3/m2^1.5`` and
    ``G2 = (n−1)/((n−2)(n−3))·((n+1)·m4/m2² − 3(n−1))`` (Joanes & Gill 1998; scipy.stats skew
    and kurtosis with ``bias=False``). Constant returns give NaN with a reason.
    """
    rw, n = _window(r, n_ret, w)
    mean, m2, m3, m4 = _moments(rw, n)
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(m2 * nf / (nf - 1))
        g1 = np.sqrt(nf * (nf - 1)) / (nf - 2) * m3 / m2**1.5
        g2 = (nf - 1) / ((nf - 2) * (nf - 3)) * ((nf + 1) * m4 / m2**2 - 3 * (nf - 1))
    from scipy.special import ndtri  # scipy.stats.norm.ppf is ndtri; scipy.stats costs 0.4 s

    z = float(ndtri(cutoff))
    z_cf = z + (z * z - 1) * g1 / 6 + (z**3 - 3 * z) * g2 / 24 - (2 * z**3 - 5 * z) * g1 * g1 / 36
    reason = short_history(n, need, RET)
    flat = (no_reason(reason)) & (m2 <= 0)
    higher = reason.copy()
    higher[flat] = "returns are constant over the window"
    return {
        "var95_normal": _finish(mean + z * std, reason),
        "var95_cf": _finish(mean + z_cf * std, higher.copy()),
        "skew_1y": _finish(g1, higher.copy()),
        "kurt_1y": _finish(g2, higher.copy()),
    }


def vol_regime(r: F64, n_ret: I64, w: int, sub: int, need: int) -> Column:
    """Percentile (0–1) of today's rolling ``sub``-day volatility among its last ``w`` values.

    Rolling variances come from cumulative sums of returns centred on the column mean (the
    centring keeps the sum-of-squares cancellation error near 1e-14 relative). A value counts as
    "≤ today's" within a relative tolerance of 1e-9, so numerically equal vols tie.
    """
    rows = w + sub - 1
    x = r[-rows:]
    valid = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(valid, x, 0.0).sum(axis=0) / valid.sum(axis=0)
    xc = np.where(valid, x - np.nan_to_num(centre), 0.0)
    zero = np.zeros((1, x.shape[1]))
    c1 = np.concatenate([zero, cumsum0(xc)])
    c2 = np.concatenate([zero, cumsum0(xc * xc)])
    cn = np.concatenate([zero, cumsum0(valid, np.float64)])
    s1 = c1[sub:] - c1[:-sub]
    s2 = c2[sub:] - c2[:-sub]
    full = (cn[sub:] - cn[:-sub]) == sub
    var = np.maximum(s2 - s1 * s1 / sub, 0.0) / (sub - 1)
    v = np.where(full, var, np.nan)
    has = full.sum(axis=0)
    current = v[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        le = (v <= current * (1 + 1e-9) + 1e-300) & full
        values = le.sum(axis=0) / has
    reason = short_history(has.astype(np.int64), need, "rolling vol_1m values")
    return _finish(values, reason)
