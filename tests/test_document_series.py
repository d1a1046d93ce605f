"""Weekly closes read from one weekly grouping of all tickers equal the per-ticker grouping they
replaced (kept here as the reference)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.screen.document import clean, weekly_closes, weekly_series


def previous_weekly_series(close: pd.DataFrame, ticker: str, as_of: date, weeks: int = 53) -> dict:
    if ticker not in close.columns:
        return {"dates": [], "close": []}
    s = close[ticker].dropna()
    s = s[s.index <= pd.Timestamp(as_of)]
    if s.empty:
        return {"dates": [], "close": []}
    weekly = s.groupby(s.index.to_period("W-FRI")).last().tail(weeks)
    dates = [min(p.end_time.date(), as_of).isoformat() for p in weekly.index]
    return {"dates": dates, "close": [clean(v) for v in weekly.to_numpy()]}


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(1, 600),
    tickers=st.integers(1, 5),
    missing=st.floats(0.0, 0.95),
    cut=st.integers(-30, 10),
    weeks=st.sampled_from([1, 5, 53]),
    seed=st.integers(0, 2**32 - 1),
)
def test_weekly_series_from_one_grouping_equals_the_per_ticker_one(
    days: int, tickers: int, missing: float, cut: int, weeks: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2023-01-02", periods=days).astype("datetime64[us]")
    values = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (days, tickers)), axis=0))
    values[rng.random((days, tickers)) < missing] = np.nan
    close = pd.DataFrame(values, index=index, columns=[f"T{i}" for i in range(tickers)])
    as_of = index[-1].date() + timedelta(days=cut)  # before, on or after the last close
    weekly = weekly_closes(close, as_of)
    for t in [*close.columns, "ABSENT"]:
        want = previous_weekly_series(close, t, as_of, weeks)
        assert weekly_series(close, t, as_of, weeks, weekly=weekly) == want
        assert weekly_series(close, t, as_of, weeks) == want
