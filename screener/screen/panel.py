"""What the store holds for a universe, read once: closes, volumes, FX, instruments, flags.

:func:`read_panel` reads the store; :func:`compute_risk` runs the metric registry over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screener import settings
from screener.errors import PriceDataError
from screener.sources.exchanges import exchange_of, fx_for, major_unit

if TYPE_CHECKING:
    import duckdb

    from screener.metrics import MetricsResult
    from screener.store import Store
    from screener.store.frames import WideRead


@dataclass(frozen=True)
class Panel:
    """What the store holds for a set of symbols, up to ``as_of``."""

    close: pd.DataFrame  # adjusted closes, dates × symbols
    raw_close: pd.DataFrame  # unadjusted closes (for value traded)
    volume: pd.DataFrame
    fx: pd.DataFrame  # dates × currency, USD per unit
    instruments: pd.DataFrame
    as_of: date
    synthetic: bool
    currency: dict[str, str] = field(default_factory=dict)
    flags: pd.DataFrame | None = None  # ticker, date, flags: the store's flagged bars


@dataclass(frozen=True)
class StoreRead:
    """One read of the store for a set of symbols and dates, with their FX pairs.

    :func:`panel_of` cuts from it the :class:`Panel` of any subset of those symbols and
    dates, equal to what :func:`read_panel` would read for them: the weekly run reads once
    for its screen and its event study.
    """

    prices: WideRead  # adj_close, close, volume
    fx: WideRead  # close of the FX pairs of every currency met
    instruments: pd.DataFrame
    no_instruments: pd.DataFrame  # the store's answer for symbols without a record (its dtypes)
    synthetic: frozenset[str]  # symbols and FX pairs with any synthetic bar or record
    flags: pd.DataFrame  # ticker, date, flags: the flagged bars
    start: date
    end: date


def default_start(end: date) -> date:
    """The metrics' longest window plus a year before ``end``."""
    default = end - pd.DateOffset(years=max(3, int(settings.get("beta_years"))) + 1)
    start: date = default.date()
    return start


#: The price fields a panel holds: adjusted closes, raw closes (value traded), volumes.
_FIELDS = ("adj_close", "close", "volume")


def read_store(store: Store, symbols: Sequence[str], *, start: date, end: date) -> StoreRead:
    """Read ``symbols`` (and the FX pairs of their currencies) from ``start`` to ``end``."""
    from screener.store import frames

    def reader(con: duckdb.DuckDBPyConnection) -> StoreRead:
        syms = list(dict.fromkeys(symbols))
        prices = frames.read_wide_many(con, _FIELDS, syms, start, end)
        inst = frames.read_instruments(con, syms)
        fx_syms = fx_for(list(_currencies(syms, inst).values()))
        fx = frames.read_wide_many(con, ["close"], fx_syms, start, end)
        synthetic = frozenset(frames.synthetic_tickers(con, syms + fx_syms))
        flags = frames.read_flagged(con, syms, start, end)
        none = frames.read_instruments(con, [])
        return StoreRead(prices, fx, inst, none, synthetic, flags, start, end)

    return store.read_with(reader)


def _currencies(symbols: Sequence[str], inst: pd.DataFrame) -> dict[str, str]:
    """Each symbol's currency: the stored one, else its exchange's (major unit)."""
    currency: dict[str, str] = {}
    for s in symbols:
        c = inst["currency"].get(s) if "currency" in inst else None
        if not isinstance(c, str):
            ex = exchange_of(s)
            c = major_unit(ex.currency)[0] if ex else None
        if c:
            currency[s] = c
    return currency


def panel_of(
    read: StoreRead,
    symbols: Sequence[str],
    *,
    as_of: date | None,
    start: date | None = None,
    end: date | None = None,
) -> Panel:
    """The panel of ``symbols`` (all read) from ``start`` to ``end`` (default: the read's)."""
    start_d, end_d = start or read.start, end or read.end
    if start_d < read.start or end_d > read.end:
        raise ValueError(f"{start_d}..{end_d} is outside the read {read.start}..{read.end}")
    syms = list(symbols)
    close = read.prices.frame("adj_close", syms, start_d, end_d)
    if close.empty or close.dropna(how="all").empty:
        raise PriceDataError(
            "no stored prices for this universe up to "
            f"{end_d.isoformat()}: run `screener prices refresh`, or pass --demo for synthetic data"
        )
    raw = read.prices.frame("close", syms, start_d, end_d)
    volume = read.prices.frame("volume", syms, start_d, end_d)
    inst = read.instruments.loc[read.instruments.index.isin(syms)]
    inst = inst if len(inst) else read.no_instruments
    currency = _currencies(syms, inst)
    fx_syms = fx_for(list(currency.values()))
    fx = read.fx.frame("close", fx_syms, start_d, end_d) if fx_syms else pd.DataFrame()
    fx = fx.rename(columns=lambda s: s[:3])
    last = close.dropna(how="all").index.max()
    used_as_of = as_of or pd.Timestamp(last).date()
    synthetic = any(s in read.synthetic for s in syms + fx_syms)
    f = read.flags
    dates = f["date"].to_numpy()
    flagged = f.loc[f["ticker"].isin(syms) & (dates >= _stamp(start_d)) & (dates <= _stamp(end_d))]
    # Non-positive prices stay in the store, flagged; no return can be taken from them.
    close = close.where(close > 0)
    return Panel(close, raw, volume, fx, inst, used_as_of, synthetic, currency, flagged)


def _stamp(d: date) -> np.datetime64:
    day: np.datetime64 = np.datetime64(d, "D").astype("datetime64[us]")
    return day


def read_panel(
    store: Store,
    symbols: Sequence[str],
    *,
    as_of: date | None,
    today: date,
    start: date | None = None,
) -> Panel:
    """Read ``symbols`` up to ``as_of`` (else ``today``), from ``start`` (default: the metrics'
    longest window plus a year; the event study asks for more)."""
    end = as_of or today
    start_d = start or default_start(end)
    read = read_store(store, symbols, start=start_d, end=end)
    return panel_of(read, symbols, as_of=as_of)


def compute_risk(panel: Panel, equities: Sequence[str], benchmarks: Sequence[str]) -> MetricsResult:
    """``metrics.compute_detailed`` on what the store holds (benchmarks measured too)."""
    from screener.metrics import compute_detailed

    cols = [s for s in [*equities, *benchmarks] if s in panel.close.columns]
    bench = panel.close[[b for b in benchmarks if b in panel.close.columns]]
    cap = panel.instruments["market_cap"].to_dict() if "market_cap" in panel.instruments else {}
    # Per-ticker synthetic flag, so each row's data quality labels demo prices as synthetic.
    synth = (
        panel.instruments["synthetic"]
        if "synthetic" in panel.instruments
        else pd.Series(dtype=bool)
    )
    return compute_detailed(
        panel.close[cols],
        panel.volume.reindex(index=panel.close.index, columns=cols),
        bench.rename(columns=str.upper),
        currency={s: panel.currency.get(s, "USD") for s in cols},
        fx=panel.fx if not panel.fx.empty else None,
        market_cap={k: v for k, v in cap.items() if k in cols},
        as_of=panel.as_of,
        synthetic={k: bool(v) for k, v in synth.items() if k in cols},
        flags=panel.flags,
    )


def gate_adv(panel: Panel, equities: Sequence[str], window: int) -> pd.Series:
    """USD average daily value traded over a gate's own window (the panel ends at as_of)."""
    from screener.metrics import adv_usd

    cols = [s for s in equities if s in panel.close.columns]
    return adv_usd(
        panel.raw_close[cols],
        panel.volume.reindex(index=panel.raw_close.index, columns=cols),
        fx=panel.fx if not panel.fx.empty else None,
        currency={s: panel.currency.get(s, "USD") for s in cols},
        window=window,
    )
