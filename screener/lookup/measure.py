"""A lookup's risk numbers without rebuilding the universe's screen.

The asked companies are read from the store with the benchmarks (and their FX) only, and
measured by the same registry, gates and pairing functions as the weekly run, as of the
universe's price date. What needs the whole universe (the medians that set the quadrant, the
frontier, the peers' volatility) comes from the universe's newest stored run: each listed
company's 1-year volatility there, beside today's scores. :mod:`query` falls back to the full
screen when no run is stored (and for ``--html``, whose card needs the document).

A symbol outside the universe is measured on its own history, as of its own last stored date,
whether or not the universe's prices are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from screener import settings
from screener.errors import PriceDataError
from screener.metrics import ADV_WINDOW, QUALITY_COLUMNS
from screener.screen.document import clean, risk_row
from screener.screen.panel import Panel, compute_risk, gate_adv, read_panel
from screener.screen.table import QUADRANT_LABELS, gates, pareto_frontier, quadrants
from screener.universe.records import Company
from screener.universe.scored import Scored

if TYPE_CHECKING:
    from screener.metrics import MetricsResult
    from screener.store import Store


@dataclass(frozen=True)
class RunContext:
    """The universe-wide part of a lookup, from a stored run."""

    run_id: str
    as_of: date
    vols: dict[str, float]  # company id → vol_1y in that run (NaN where it had none)


#: Where the weekly run stores a company's 1-year volatility in its result rows.
VOL_PATH = "$.payload.risk.vol_1y"


def run_context(store: Store, universe_name: str) -> RunContext | None:
    """The newest stored run of the universe as context, or None when none is stored."""
    run = store.newest_run_field(universe_name, VOL_PATH)
    if run is None:
        return None
    vols = {
        cid: float(text) if text not in (None, "null") else np.nan
        for cid, text in run["values"].items()
    }
    return RunContext(str(run["run_id"]), pd.Timestamp(run["as_of"]).date(), vols)


def universe_as_of(store: Store, scored: Scored, today: date, *, demo: bool = False) -> date:
    """The date the full screen would be measured at: the universe's newest stored close up to
    ``today`` within the panel's window. PriceDataError when none (``demo``: in the demo
    store, which ``lookup --demo`` fills)."""
    start = _window_start(today)
    last = store.last_dates(scored.universe.priced_symbols())
    dates = [d for d in last.values() if start <= d <= today]
    if not dates:
        what, hint = (
            ("demo prices", "drop --offline to make them")
            if demo
            else ("prices", "run `screener prices refresh`, or pass --demo for synthetic data")
        )
        raise PriceDataError(
            f"no stored {what} for this universe up to {today.isoformat()}: {hint}"
        )
    return max(dates)


def _window_start(end: date) -> date:
    """The first date :func:`read_panel` reads by default for a panel ending at ``end``."""
    years = max(3, int(settings.get("beta_years"))) + 1
    start: date = (pd.Timestamp(end) - pd.DateOffset(years=years)).date()
    return start


@dataclass(frozen=True)
class Measured:
    """The asked companies' risk parts (the keys a lookup view shows) and every listed
    company's 1-year volatility (the run's, the asked companies' measured now)."""

    parts: dict[str, dict[str, Any]]  # company id → risk part
    vols: dict[str, float | None]
    context: RunContext


def measure_companies(
    scored: Scored,
    store: Store,
    companies: Sequence[Company],
    *,
    as_of: date,
    today: date,
    preset: str,
    context: RunContext,
) -> Measured:
    """Each listed company's risk part as the full screen gives it, the context from the run."""
    uni = scored.universe
    bench = uni.benchmark_symbols()
    listed = [c for c in companies if c.listed and c.primary_ticker]
    tickers = list(dict.fromkeys(str(c.primary_ticker) for c in listed))
    equities = [t for t in tickers if t not in bench]
    panel, detailed = _measure(store, [*tickers, *bench], equities, bench, as_of, today)
    values = detailed.values if detailed is not None else pd.DataFrame()
    spec = scored.model.gate(preset)
    window = spec.get("adv_window_days")
    if panel is not None and window and int(window) != ADV_WINDOW:
        adv = gate_adv(panel, equities, int(window))
    else:
        adv = values["adv_3m_usd"] if "adv_3m_usd" in values else pd.Series(dtype=float)
    risk = values.reindex(tickers)
    gate = gates(risk, spec, adv.reindex(tickers))

    ranked = scored.ranked(listed_only=True)
    ids = [c.id for c, _ in ranked]
    score = pd.Series([e.score for _, e in ranked], index=ids, dtype=float)
    vol = pd.Series([context.vols.get(i, np.nan) for i in ids], index=ids, dtype=float)
    for c in listed:
        fresh = risk.at[c.primary_ticker, "vol_1y"] if "vol_1y" in risk else np.nan
        vol[c.id] = fresh
    with np.errstate(divide="ignore", invalid="ignore"):
        per_vol = score / vol.where(vol > 0)
    quadrant = quadrants(score, vol)
    frontier = pareto_frontier(score, vol)

    errors = store.last_errors(tickers)
    label = spec.get("label", preset)
    parts = {}
    for c in listed:
        t = str(c.primary_ticker)
        r, why = risk_row(values, detailed.reasons if detailed else pd.DataFrame(), t)
        unpriced = panel is None or t not in panel.close or panel.close[t].dropna().empty
        parts[c.id] = {
            "risk": r,
            "risk_reasons": why,
            "risk_as_of": as_of.isoformat(),
            "data_quality": _data_quality(detailed, panel, t, errors, unpriced),
            "gates": {
                "preset": preset,
                "market_cap": clean(gate.at[t, "gate_market_cap"]),
                "adv": clean(gate.at[t, "gate_adv"]),
                "adv_usd": clean(adv.get(t, np.nan)),
                "pass": clean(gate.at[t, "gate_pass"]),
                "label": label,
            },
            "quadrant": clean(quadrant[c.id]),
            "quadrant_label": QUADRANT_LABELS.get(str(quadrant[c.id])),
            "frontier": bool(frontier[c.id]),
            "exposure_per_vol": clean(per_vol[c.id]),
        }
    return Measured(parts, {i: clean(v) for i, v in vol.items()}, context)


def _measure(
    store: Store,
    symbols: list[str],
    equities: list[str],
    bench: list[str],
    as_of: date,
    today: date,
) -> tuple[Panel | None, MetricsResult | None]:
    """The panel of ``symbols`` and its metrics, on the window the full screen reads."""
    symbols = list(dict.fromkeys(symbols))
    try:
        # start: the full screen reads up to today, so its window starts from today
        panel = read_panel(store, symbols, as_of=as_of, today=today, start=_window_start(today))
    except PriceDataError:  # none of these symbols has a close in the window
        return None, None
    return panel, compute_risk(panel, equities, bench)


def _data_quality(
    detailed: MetricsResult | None,
    panel: Panel | None,
    ticker: str,
    errors: dict[str, str],
    unpriced: bool,
) -> dict[str, Any]:
    """The run row's data-quality record: the metrics' quality columns, source, last error."""
    dq: dict[str, Any] = dict.fromkeys(QUALITY_COLUMNS)
    if detailed is not None and ticker in detailed.quality.index:
        dq.update({k: clean(v) for k, v in detailed.quality.loc[ticker].items()})
    inst = panel.instruments if panel is not None else pd.DataFrame()
    dq["source"] = clean(inst["source"].get(ticker) if "source" in inst else None)
    dq["last_error"] = errors.get(ticker) or ("no stored prices" if unpriced else None)
    out: dict[str, Any] = clean(dq)
    return out


@dataclass(frozen=True)
class Outside:
    """A symbol outside the universe measured on its own history."""

    view: dict[str, Any]
    last: date


def measure_outside(
    scored: Scored, store: Store, symbol: str, *, today: date, reference: date | None
) -> Outside | None:
    """``symbol``'s risk view as of its own last stored date; None when nothing is stored.

    Staleness is counted in business days from that date to ``reference`` (the universe's
    price date), or to ``today`` when the universe has no stored prices.
    """
    last = store.last_dates([symbol]).get(symbol)
    if last is None or last > today:
        return None
    bench = scored.universe.benchmark_symbols()
    equities = [] if symbol in bench else [symbol]
    panel, detailed = _measure(store, [symbol, *bench], equities, bench, last, last)
    if panel is None or detailed is None or symbol not in detailed.values.index:
        return None
    risk, reasons = risk_row(detailed.values, detailed.reasons, symbol)
    quality = detailed.quality
    dq = {k: clean(v) for k, v in quality.loc[symbol].items()} if symbol in quality.index else {}
    ref = max(reference or today, last)
    dq["stale_days"] = int(np.busday_count(last + timedelta(days=1), ref + timedelta(days=1)))
    inst = panel.instruments
    name = inst["name"].get(symbol) if "name" in inst else None
    view = {
        "ticker": symbol,
        "tickers": [symbol],
        "id": None,
        "name": name if isinstance(name, str) else symbol,
        "exposure": None,
        "note": "no exposure profile",
        "risk": risk,
        "risk_reasons": reasons,
        "risk_as_of": last.isoformat(),
        "data_quality": dq,
        "gates": None,
        "quadrant": None,
        "frontier": None,
        "exposure_per_vol": None,
        "peers": [],
    }
    return Outside(view, last)
