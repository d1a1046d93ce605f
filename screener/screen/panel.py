"""What the store holds for a universe, read once: closes, volumes, FX, instruments, flags.

:func:`read_panel` reads the store; :func:`compute_risk` runs the metric registry over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from screener import settings
from screener.errors import PriceDataError
from screener.sources.exchanges import exchange_of, fx_for, major_unit

if TYPE_CHECKING:
    from screener.metrics import MetricsResult
    from screener.store import Store


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
    default = end - pd.DateOffset(years=max(3, int(settings.get("beta_years"))) + 1)
    start_d = start or default.date()
    close = store.wide("adj_close", tickers=list(symbols), start=start_d, end=end)
    if close.empty or close.dropna(how="all").empty:
        raise PriceDataError(
            "no stored prices for this universe up to "
            f"{end.isoformat()}: run `screener prices refresh`, or pass --demo for synthetic data"
        )
    raw = store.wide("close", tickers=list(symbols), start=start_d, end=end)
    volume = store.wide("volume", tickers=list(symbols), start=start_d, end=end)
    inst = store.instruments(list(symbols))
    currency: dict[str, str] = {}
    for s in symbols:
        c = inst["currency"].get(s) if "currency" in inst else None
        if not isinstance(c, str):
            ex = exchange_of(s)
            c = major_unit(ex.currency)[0] if ex else None
        if c:
            currency[s] = c
    fx_syms = fx_for(list(currency.values()))
    fx = store.wide("close", tickers=fx_syms, start=start_d, end=end) if fx_syms else pd.DataFrame()
    fx = fx.rename(columns=lambda s: s[:3])
    last = close.dropna(how="all").index.max()
    used_as_of = as_of or pd.Timestamp(last).date()
    synthetic = bool(store.has_synthetic(list(symbols) + fx_syms))
    long = store.prices_long(list(symbols), start=start_d, end=end)
    flagged = long.loc[long["flags"].astype(str) != "", ["ticker", "date", "flags"]]
    flagged = flagged.assign(ticker=flagged["ticker"].astype(str))
    # Non-positive prices stay in the store, flagged; no return can be taken from them.
    close = close.where(close > 0)
    return Panel(close, raw, volume, fx, inst, used_as_of, synthetic, currency, flagged)


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
