"""Liquidity and size in USD: average daily traded value, days to trade, market cap.

Traded value on a day is ``close × volume × FX`` (FX = USD per unit of the ticker's currency on
that day, carried forward at most ``fx_fill_days``). ADV averages it over the ticker's own last
``window`` trading days (days with a close), counting only days that also have a volume and a
rate; the minimum-observation rule of the registry applies. Reference: MarketVector (MVIS)
index rules, liquidity screen on average daily traded value.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from screener import settings
from screener.errors import PriceDataError
from screener.metrics._panel import (
    F64,
    Bool,
    Obj,
    check_frame,
    compact,
    currency_codes,
    fx_on_dates,
    no_reason,
    short_history,
    tail_start,
    usd_factor,
)
from screener.metrics.registry import min_obs

Column = tuple[F64, Obj]


def adv_from_arrays(close: F64, volume: F64, factor: F64, foreign: Bool, window: int) -> Column:
    """ADV in USD from aligned arrays: ``close``, ``volume`` T × N, ``factor`` T × k = USD per
    local unit of the ``k`` columns flagged in ``foreign`` (the others are USD)."""
    traded_on = ~np.isnan(close)
    start = tail_start(traded_on, window)  # only the rows that hold the last `window` closes
    traded = close[start:] * volume[start:]
    if foreign.any():
        traded[:, foreign] *= factor[start:]
    comp = compact(traded, traded_on[start:], window)
    tw = comp.values
    has = (~np.isnan(tw)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.nansum(tw, axis=0) / has
    reason = short_history(has.astype(np.int64), min_obs(window), "trading days with volume")
    return np.where(no_reason(reason), values, np.nan), reason


def adv_usd(
    close: pd.DataFrame,
    volume: pd.DataFrame,
    fx: pd.DataFrame | None,
    currency: Mapping[str, str] | None,
    window: int,
) -> pd.Series:
    """Average daily traded value in USD over each ticker's last ``window`` trading days.

    E.g. ``window=63`` for ``adv_3m_usd``, ``window=126`` for the 6-month ADV of the eqm gate
    preset. NaN where fewer than ``ceil(min_obs_share × window)`` days have close, volume and
    a rate. ``currency=None`` means all prices are in USD.
    """
    c = check_frame(close, "close", positive=True)
    v = _check_volume(volume, close)
    factor, _ = usd_factor(currency_codes(close.columns, currency), fx_on_dates(fx, close.index))
    foreign = np.ones(c.shape[1], dtype=bool)
    values, _ = adv_from_arrays(c, v, factor, foreign, window)
    return pd.Series(values, index=close.columns, name=f"adv_{window}d_usd")


def _check_volume(volume: pd.DataFrame, close: pd.DataFrame) -> F64:
    if not isinstance(volume, pd.DataFrame) or not (
        volume.index.equals(close.index) and volume.columns.equals(close.columns)
    ):
        raise PriceDataError(
            "volume: must have exactly the dates and tickers of close (same index and columns); "
            "fix: volume = volume.reindex(index=close.index, columns=close.columns)."
        )
    # Not copied into C order: ADV reads only the last rows of the volumes.
    return check_frame(volume, "volume", positive=False, c_contiguous=False)


def days_to_trade(adv: Column, ticket: float, participation: float) -> Column:
    """``ticket / (participation × ADV)`` trading days; NaN with a reason when ADV is 0 or NaN."""
    values, reason = adv
    out_reason = reason.copy()
    out_reason[(no_reason(reason)) & ~(values > 0)] = "no traded value in the ADV window"
    with np.errstate(invalid="ignore", divide="ignore"):
        days = ticket / (participation * values)
    return np.where(no_reason(out_reason), days, np.nan), out_reason


def market_cap_usd(
    tickers: pd.Index,
    market_cap: Mapping[str, float] | None,
    factor_as_of: F64,
    fx_reason: Obj,
) -> Column:
    """``market_cap × FX(as_of)`` per ticker; NaN with a reason when either is missing."""
    n = len(tickers)
    if market_cap is None:
        return np.full(n, np.nan), np.full(n, "no market cap given", dtype=object)
    cap = pd.Series(tickers, index=tickers).map(market_cap).astype(np.float64).to_numpy()
    reason = fx_reason.copy()
    reason[(no_reason(reason)) & np.isnan(factor_as_of)] = (
        f"no USD rate within {settings.get('fx_fill_days')} days of as_of"
    )
    reason[np.isnan(cap) | (cap <= 0)] = "no market cap for this ticker"
    return np.where(no_reason(reason), cap * factor_as_of, np.nan), reason
