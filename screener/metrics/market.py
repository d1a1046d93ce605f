"""Beta and correlation to the benchmarks (SPY, REMX) on weekly returns.

Why weekly: Asian and Australian exchanges close before New York opens, so the same calendar
day's return of an ASX or TSE stock reflects news that SPY only prices the next US session.
Daily betas of such stocks against a US benchmark are therefore biased towards zero
(non-synchronous trading; Scholes & Williams 1977, Dimson 1979). A week shares four of five
sessions whatever the time zone, so weekly returns remove most of that bias.

Method: each series' weekly close is its last available close in the week ending Friday
(``resample("W-FRI").last()``, per column, no fill across weeks); weekly simple returns need
both weeks present; beta and correlation use the pairwise-complete weeks of the last
``weeks`` weekly returns ending with the week of ``as_of``. Beta is the OLS slope
``cov(r, r_b) / var(r_b)`` (the same estimator as ``empyrical.beta``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screener.metrics._panel import F64, Obj, no_reason, short_history

Column = tuple[F64, Obj]


def weekly_returns(close: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
    """The last ``weeks`` weekly simple returns (rows = week-ending Fridays) of each column."""
    start = as_of - pd.Timedelta(weeks=weeks + 2)
    sub = close.loc[close.index > start]
    wk = sub.resample("W-FRI").last()
    # Keep the calendar complete so a week with no trade is a NaN row, never a skipped row.
    wk = (
        wk.reindex(
            pd.date_range(wk.index.min(), as_of + pd.offsets.Week(weekday=4, n=0), freq="W-FRI")
        )
        if len(wk)
        else wk
    )
    arr = wk.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = arr[1:] / arr[:-1] - 1.0
    return pd.DataFrame(ret, index=wk.index[1:], columns=close.columns).iloc[-weeks:]


def beta_corr(y: pd.DataFrame, x: pd.Series, need: int, symbol: str) -> tuple[Column, Column]:
    """OLS beta and Pearson correlation of every column of ``y`` on ``x``, pairwise complete.

    ``beta = Σ dx·dy / Σ dx²`` and ``corr = Σ dx·dy / sqrt(Σ dx² Σ dy²)`` where ``dx, dy`` are
    deviations from the means over the weeks both series have a return.
    """
    xv = x.reindex(y.index).to_numpy(dtype=np.float64)[:, None]
    yv = y.to_numpy(dtype=np.float64)
    both = ~np.isnan(yv) & ~np.isnan(xv)
    n = both.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.where(both, xv, 0.0).sum(axis=0) / n
        my = np.where(both, yv, 0.0).sum(axis=0) / n
        dx = np.where(both, xv - mx, 0.0)
        dy = np.where(both, yv - my, 0.0)
        sxy = (dx * dy).sum(axis=0)
        sxx = (dx * dx).sum(axis=0)
        syy = (dy * dy).sum(axis=0)
        beta = sxy / sxx
        corr = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
    reason = short_history(n.astype(np.int64), need, f"weekly returns paired with {symbol}")
    ok = no_reason(reason)
    r_beta, r_corr = reason.copy(), reason.copy()
    r_beta[ok & ~(sxx > 0)] = f"{symbol} weekly returns are constant"
    r_corr[ok & ~(sxx * syy > 0)] = "constant weekly returns: correlation undefined"
    beta = np.where(no_reason(r_beta), beta, np.nan)
    corr = np.where(no_reason(r_corr), corr, np.nan)
    return (beta, r_beta), (corr, r_corr)
