"""``compute``: every metric of the registry for a dates × tickers close frame.

Pipeline (all whole-array operations; loops run over metrics, windows and currencies only):

1. validate the frames, cut them at ``as_of``;
2. compact the closes per ticker (own trading days, newest last) and take simple returns;
3. local-currency metrics on that panel;
4. USD panel: close × FX for the non-USD tickers (FX on the ticker's own dates, carried forward
   at most ``fx_fill_days``; a day without a rate is dropped from the USD series), compacted
   again; USD tickers reuse their local values unchanged;
5. weekly USD returns for beta/correlation; ADV, days to trade and market cap in USD;
6. data quality; a reason for every NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from screener import settings
from screener.metrics import liquidity, market, returns, risk
from screener.metrics._panel import (
    F64,
    Compacted,
    Obj,
    check_frame,
    compact,
    currency_codes,
    first_reason,
    fx_on_dates,
    no_reason,
    simple_returns,
    usd_factor,
)
from screener.metrics.quality import quality_from_array
from screener.metrics.registry import (
    ADV_WINDOW,
    BENCHMARKS,
    METRICS,
    RETURN_WINDOWS,
    VOL_WINDOWS,
    W_1M,
    W_1Y,
    W_3Y,
    WEEKS_BETA,
)

Column = tuple[F64, Obj]
#: Closes kept per ticker in the compacted panel: the longest window (3y of returns) + 1.
KEEP = W_3Y + 1


@dataclass(frozen=True)
class MetricsResult:
    """``values``: tickers × metrics (registry order); ``reasons``: same shape, why a value is
    NaN (None where it is not); ``quality``: the data-quality table (see ``quality``)."""

    values: pd.DataFrame
    reasons: pd.DataFrame
    quality: pd.DataFrame
    as_of: pd.Timestamp


def _panel_metrics(closes: F64, count: np.ndarray, suffix: str) -> dict[str, Column]:
    """Returns and volatilities that exist in both local currency and USD."""
    comp_count = count.astype(np.int64)
    n_ret = np.maximum(comp_count - 1, 0)
    r = simple_returns(closes)
    out: dict[str, Column] = {}
    comp = Compacted(closes, comp_count)
    for stem, w in RETURN_WINDOWS.items():
        out[stem + suffix] = returns.point_return(comp, w)
    for stem, w in VOL_WINDOWS.items():
        out[stem + suffix] = risk.volatility(r, n_ret, w, METRICS[stem].need or w)
    return out


def compute_detailed(
    close: pd.DataFrame,
    volume: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    *,
    currency: Mapping[str, str] | None = None,
    fx: pd.DataFrame | None = None,
    market_cap: Mapping[str, float] | None = None,
    as_of: pd.Timestamp | str | None = None,
    synthetic: Mapping[str, bool] | None = None,
    flags: pd.DataFrame | None = None,
    adv_ticket_usd: float | None = None,
    adv_participation: float | None = None,
) -> MetricsResult:
    """All registry metrics, with the reason for every NaN and the data-quality table.

    ``close``: dates × tickers adjusted closes, NaN where a ticker did not trade. ``volume``:
    same dates and tickers. ``benchmarks``: dates × symbols (``SPY``, ``REMX``) in USD.
    ``currency``: ticker → ISO code of its prices (None: all USD). ``fx``: dates × currency,
    USD per 1 unit. ``market_cap``: ticker → market cap in local currency. ``as_of``: the
    measurement date (default: last date of ``close``); later rows are ignored.
    """
    arr = check_frame(close, "close", positive=True)
    stamp = close.index[-1] if as_of is None else pd.Timestamp(as_of)
    rows = int(close.index.searchsorted(stamp, side="right"))
    # A copy of the labels: naming the result's index must not rename the caller's columns.
    arr, dates, tickers = arr[:rows], close.index[:rows], close.columns.copy()
    usd = _usd_conversion(tickers, currency, fx, dates)
    cols = _local_metrics(arr, dates, stamp)
    cols.update(_usd_metrics(arr, dates, stamp, cols, usd))
    cols.update(_market_metrics(arr, dates, tickers, stamp, benchmarks, usd))
    vol_arr = None if volume is None else liquidity._check_volume(volume, close)[:rows]
    ticket = float(settings.get("adv_ticket_usd") if adv_ticket_usd is None else adv_ticket_usd)
    part = float(
        settings.get("adv_participation") if adv_participation is None else adv_participation
    )
    cols.update(_liquidity_metrics(arr, vol_arr, tickers, stamp, fx, market_cap, usd, ticket, part))
    values, reasons = _frames(cols, tickers)
    q = quality_from_array(arr, dates, tickers, stamp, synthetic, currency, flags)
    return MetricsResult(values=values, reasons=reasons, quality=q, as_of=stamp)


@dataclass(frozen=True)
class _Usd:
    """How each ticker's closes convert to USD on each date."""

    codes: np.ndarray  # ISO currency per ticker
    foreign: np.ndarray  # bool per ticker: priced in another currency than USD
    factor: F64  # dates × foreign tickers: USD per unit on that date
    reason: Obj  # per ticker: why it cannot be converted (None where it can)


def _usd_conversion(
    tickers: pd.Index, currency: Mapping[str, str] | None, fx: pd.DataFrame | None, dates: pd.Index
) -> _Usd:
    codes = currency_codes(tickers, currency)
    foreign = codes != "USD"
    factor, reason_f = usd_factor(codes[foreign], fx_on_dates(fx, dates))
    reason = np.full(len(tickers), None, dtype=object)
    reason[foreign] = reason_f
    return _Usd(codes, foreign, factor, reason)


def _local_metrics(arr: F64, dates: pd.Index, stamp: pd.Timestamp) -> dict[str, Column]:
    """Returns, volatilities, drawdowns, VaR and moments in the ticker's own currency."""
    comp = compact(arr, ~np.isnan(arr), KEEP)
    c, count = comp.values, comp.count
    n_ret = np.maximum(count - 1, 0)
    r = simple_returns(c)
    cols = _panel_metrics(c, count, "")
    cols["ret_ytd"] = returns.ytd_return(arr, dates, c[-1], stamp)
    lam = float(settings.get("ewma_lambda"))
    cols["vol_ewma"] = risk.ewma_volatility(r, n_ret, W_1Y, METRICS["vol_ewma"].need or W_1Y, lam)
    cols["downside_dev_1y"] = risk.downside_deviation(
        r, n_ret, W_1Y, METRICS["downside_dev_1y"].need or W_1Y
    )
    for name, w in (("max_dd_1y", W_1Y), ("max_dd_3y", W_3Y)):
        cols[name] = risk.max_drawdown(c, n_ret, w, METRICS[name].need or w)
    cols["dd_from_high"] = risk.drawdown_from_high(
        c, count, W_1Y, METRICS["dd_from_high"].need or W_1Y
    )
    cutoff = round(1.0 - float(settings.get("var_level")), 12)
    need_1y = METRICS["var95_hist"].need or W_1Y
    cols["var95_hist"], cols["cvar95_hist"] = risk.historical_var(r, n_ret, W_1Y, need_1y, cutoff)
    cols.update(risk.moments_var(r, n_ret, W_1Y, need_1y, cutoff))
    cols["vol_regime"] = risk.vol_regime(r, n_ret, W_1Y, W_1M, METRICS["vol_regime"].need or W_1Y)
    return cols


def _usd_metrics(
    arr: F64, dates: pd.Index, stamp: pd.Timestamp, local: Mapping[str, Column], usd: _Usd
) -> dict[str, Column]:
    """The returns and volatilities again on USD closes (USD tickers: the local values)."""
    usd_local = {k: local[k] for k in [*RETURN_WINDOWS, "ret_ytd", *VOL_WINDOWS]}
    cols: dict[str, Column] = {
        k + "_usd": (v.copy(), rs.copy()) for k, (v, rs) in usd_local.items()
    }
    foreign = usd.foreign
    if foreign.any():
        arr_f = arr[:, foreign] * usd.factor
        comp_f = compact(arr_f, ~np.isnan(arr_f), KEEP)
        sub = _panel_metrics(comp_f.values, comp_f.count, "_usd")
        sub["ret_ytd_usd"] = returns.ytd_return(arr_f, dates, comp_f.values[-1], stamp)
        for name, (v, rs) in sub.items():
            cols[name][0][foreign] = v
            cols[name][1][foreign] = first_reason(usd.reason[foreign], rs)
    for v, rs in cols.values():
        v[~no_reason(rs)] = np.nan
    return cols


def _market_metrics(
    arr: F64,
    dates: pd.Index,
    tickers: pd.Index,
    stamp: pd.Timestamp,
    benchmarks: pd.DataFrame | None,
    usd: _Usd,
) -> dict[str, Column]:
    """Beta and correlation to each registry benchmark, on weekly USD returns."""
    n = len(tickers)
    # Weekly USD closes of the last two years (+ margin) for beta and correlation.
    start = int(dates.searchsorted(stamp - pd.Timedelta(weeks=WEEKS_BETA + 2), side="right"))
    usd_recent = arr[start:].copy()
    if usd.foreign.any():
        usd_recent[:, usd.foreign] *= usd.factor[start:]
    wk = market.weekly_returns(
        pd.DataFrame(usd_recent, index=dates[start:], columns=tickers), stamp, WEEKS_BETA
    )
    bench = None
    if benchmarks is not None:
        b_arr = check_frame(benchmarks, "benchmarks", positive=True)
        bench = pd.DataFrame(
            b_arr, index=benchmarks.index, columns=[str(s).upper() for s in benchmarks.columns]
        )
        bench = bench.loc[bench.index <= stamp]
    cols: dict[str, Column] = {}
    ok = no_reason(usd.reason)
    for sym in BENCHMARKS:
        b_name, c_name = f"beta_{sym.lower()}", f"corr_{sym.lower()}"
        if bench is None or sym not in bench.columns:
            missing = np.full(n, f"no {sym} prices in benchmarks", dtype=object)
            cols[b_name] = (np.full(n, np.nan), missing)
            cols[c_name] = (np.full(n, np.nan), missing.copy())
            continue
        x = market.weekly_returns(bench[[sym]], stamp, WEEKS_BETA)[sym]
        (bv, br), (cv, cr) = market.beta_corr(wk, x, METRICS[b_name].need or 52, sym)
        cols[b_name] = (np.where(ok, bv, np.nan), first_reason(usd.reason, br))
        cols[c_name] = (np.where(ok, cv, np.nan), first_reason(usd.reason, cr))
    return cols


def _liquidity_metrics(
    arr: F64,
    vol_arr: F64 | None,
    tickers: pd.Index,
    stamp: pd.Timestamp,
    fx: pd.DataFrame | None,
    market_cap: Mapping[str, float] | None,
    usd: _Usd,
    ticket: float,
    participation: float,
) -> dict[str, Column]:
    """Average daily value traded, days to trade a ticket, and market cap, in USD."""
    n = len(tickers)
    cols: dict[str, Column] = {}
    if vol_arr is None:
        cols["adv_3m_usd"] = (np.full(n, np.nan), np.full(n, "no volume data", dtype=object))
    else:
        adv_v, adv_r = liquidity.adv_from_arrays(arr, vol_arr, usd.factor, usd.foreign, ADV_WINDOW)
        cols["adv_3m_usd"] = (
            np.where(no_reason(usd.reason), adv_v, np.nan),
            first_reason(usd.reason, adv_r),
        )
    cols["days_to_trade"] = liquidity.days_to_trade(cols["adv_3m_usd"], ticket, participation)
    f_now = np.ones(n)
    if usd.foreign.any():
        fx_now = fx_on_dates(fx, pd.DatetimeIndex([stamp]))
        f_now[usd.foreign] = usd_factor(usd.codes[usd.foreign], fx_now)[0][0]
    cols["market_cap_usd"] = liquidity.market_cap_usd(tickers, market_cap, f_now, usd.reason)
    return cols


def _frames(cols: Mapping[str, Column], tickers: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and reasons as tickers × metrics frames in registry order."""
    names = list(METRICS)
    values = pd.DataFrame({k: cols[k][0] for k in names}, index=tickers)
    reasons = pd.DataFrame({k: cols[k][1] for k in names}, index=tickers, dtype=object)
    unexplained = values.isna().to_numpy() & reasons.isna().to_numpy()
    if unexplained.any():
        reasons = reasons.mask(
            unexplained, "not computable from the data (e.g. zero prices or variance)"
        )
    values.index.name = reasons.index.name = "ticker"
    return values, reasons


def compute(
    close: pd.DataFrame,
    volume: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    *,
    currency: Mapping[str, str] | None = None,
    fx: pd.DataFrame | None = None,
    market_cap: Mapping[str, float] | None = None,
    as_of: pd.Timestamp | str | None = None,
    adv_ticket_usd: float | None = None,
    adv_participation: float | None = None,
) -> pd.DataFrame:
    """Tickers × metrics frame (registry order); see :func:`compute_detailed`."""
    return compute_detailed(
        close,
        volume,
        benchmarks,
        currency=currency,
        fx=fx,
        market_cap=market_cap,
        as_of=as_of,
        adv_ticket_usd=adv_ticket_usd,
        adv_participation=adv_participation,
    ).values
