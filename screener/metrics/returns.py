"""Point-to-point returns: ret_1w, ret_1m, ret_3m, ret_1y and ret_ytd.

Input: adjusted closes, compacted per ticker (see :mod:`screener.metrics._panel`), so a horizon
of ``w`` trading days is the ticker's own last ``w`` trading days, not calendar rows shared by
tickers on different exchanges. Reference: Bacon, *Practical Portfolio Performance Measurement
and Attribution* (2008), ch. 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screener.metrics._panel import F64, Compacted, Obj, no_reason, short_history

Column = tuple[F64, Obj]

#: A year-end base close must fall in the last this-many calendar days of the previous year.
YTD_BASE_DAYS = 10


def point_return(closes: Compacted, window: int) -> Column:
    """``P_t / P_(t-w) - 1`` on each ticker's own closes; needs ``w + 1`` closes.

    Equal to ``empyrical.cum_returns_final`` of the ticker's last ``w`` daily simple returns.
    """
    c = closes.values
    if c.shape[0] < window + 1:
        values = np.full(c.shape[1], np.nan)
    else:
        values = c[-1] / c[-1 - window] - 1.0
    reason = short_history(closes.count, window + 1, "closes")
    values[~no_reason(reason)] = np.nan
    return values, reason


def ytd_return(close: F64, dates: pd.DatetimeIndex, last_close: F64, as_of: pd.Timestamp) -> Column:
    """Return from the last close of the previous calendar year to the last close.

    ``close`` is the uncompacted T × N array (rows = ``dates``, all on or before ``as_of``),
    ``last_close`` each ticker's last close. The base is the ticker's last close on or before
    31 December of ``as_of.year - 1``, which must lie within that year's last
    :data:`YTD_BASE_DAYS` calendar days: a ticker halted in October would otherwise get a
    "YTD" return that spans a quarter. A ticker with no close in ``as_of``'s year gets NaN
    (its last close *is* the base; 0 would look like a real flat year).
    """
    year_end = pd.Timestamp(year=as_of.year - 1, month=12, day=31)
    lo = dates.searchsorted(year_end - pd.Timedelta(days=YTD_BASE_DAYS - 1), side="left")
    hi = dates.searchsorted(year_end, side="right")
    n = close.shape[1]
    base = np.full(n, np.nan)
    sub = close[lo:hi]
    if len(sub):
        valid = ~np.isnan(sub)
        last = np.where(valid, np.arange(len(sub))[:, None], 0).max(axis=0)
        base = np.where(valid.any(axis=0), sub[last, np.arange(n)], np.nan)
    traded_this_year = (~np.isnan(close[hi:])).any(axis=0)
    values = last_close / base - 1.0
    reason = np.full(n, None, dtype=object)
    reason[~traded_this_year] = f"no close in {as_of.year} up to as_of"
    reason[np.isnan(base)] = (
        f"no close between {(year_end - pd.Timedelta(days=YTD_BASE_DAYS - 1)).date()} and {year_end.date()} to start from"
    )
    values[~no_reason(reason)] = np.nan
    return values, reason
