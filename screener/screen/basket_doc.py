"""The exposure basket as the run document's ``basket`` record, and each row's ``price`` series
(docs/basket.md, docs/screen-json.md).

compute (:mod:`screener.screen.basket`) → **arrange** (this module) → render (report). Series
are sampled weekly and rounded so a stored run re-renders without the store and the JSON stays
small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from screener.metrics._panel import currency_codes, fx_on_dates, usd_factor
from screener.screen import basket as bk
from screener.screen.types import (
    BasketLineRecord,
    BasketRecord,
    BasketStatsRecord,
    BasketVariantRecord,
    BasketWindowRecord,
    HoldingRecord,
    PriceRecord,
    Row,
)

#: The basket's benchmarks (the universe's): beta and tracking error are against the first.
REFERENCE = "REMX"
MARKET = "SPY"
WindowName = Literal["1y", "3y"]
WINDOWS: tuple[tuple[WindowName, int], ...] = (("1y", 1), ("3y", 3))
#: Decimals kept in the document: returns and drawdowns to 0.01 %, weights to 0.0001 %.
RET_DECIMALS = 4
WEIGHT_DECIMALS = 6
#: A listing whose first close is this close to a window's start covers the window.
START_SLACK_DAYS = 10

VARIANT_LABELS: dict[bk.Variant, str] = {
    "score": "Exposure basket (score-weighted)",
    "invvol": "Exposure basket (score ÷ volatility)",
}
METHOD = (
    "Companies that pass the gates, each once through its primary listing, weighted by "
    "exposure score (and, as a variant, by score divided by 1-year USD volatility); no issuer "
    "above 8 %, the excess spread over the others in proportion to their weights; equal weight "
    "when there are fewer than 13 names. USD returns, rebalanced daily to these weights, no "
    "costs."
)


@dataclass(frozen=True)
class StoredRun:
    """A stored weekly run's basket inputs: its date and the members it screened in."""

    run_id: str
    as_of: date
    members: tuple[bk.Member, ...]


def members_of(rows: Sequence[Row]) -> list[bk.Member]:
    """The rows that pass the gates, once per company (its primary listing)."""
    out = []
    for r in rows:
        if r["gates"]["pass"] is not True or not r["ticker"]:
            continue
        vol = r["risk"].get("vol_1y_usd")
        out.append(bk.Member(r["id"], r["ticker"], float(r["exposure"]["score"]), vol))
    return out


def stored_runs(frame: pd.DataFrame) -> list[StoredRun]:
    """``Store.run_members`` as one :class:`StoredRun` per run, oldest first (same rule as
    :func:`members_of`: gate passed, a primary listing, once per company)."""
    out = []
    for (as_of, run_id), g in frame.groupby(["as_of", "run_id"], sort=True)[
        ["company_id", "ticker", "score", "gate_pass", "vol_1y_usd"]
    ]:
        keep = g[(g["gate_pass"] == True) & g["ticker"].notna() & g["score"].notna()]  # noqa: E712
        ms = tuple(
            bk.Member(
                str(m.company_id),
                str(m.ticker),
                float(m.score),
                None if pd.isna(m.vol_1y_usd) else float(m.vol_1y_usd),
            )
            for m in keep.itertuples(index=False)
        )
        out.append(StoredRun(str(run_id), pd.Timestamp(as_of).date(), ms))
    return out


def usd_returns(
    close: pd.DataFrame, fx: pd.DataFrame, currency: Mapping[str, str], as_of: date
) -> pd.DataFrame:
    """Daily simple returns of USD closes up to ``as_of`` (see :mod:`screener.screen.basket`)."""
    close = close[close.index <= pd.Timestamp(as_of)]
    codes = currency_codes(close.columns, {c: currency.get(c, "USD") for c in close.columns})
    factor, _ = usd_factor(codes, fx_on_dates(fx if not fx.empty else None, close.index))
    usd = bk.usd_closes(close, pd.DataFrame(factor, index=close.index, columns=close.columns))
    return bk.daily_returns(usd)


def _round(values: Any, decimals: int = RET_DECIMALS) -> list[float | None]:
    return [None if v is None or np.isnan(v) else round(float(v), decimals) for v in values]


def _r(v: float | None, decimals: int = RET_DECIMALS) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), decimals)


def _grid(index: pd.DatetimeIndex, start: pd.Timestamp, as_of: date) -> pd.DatetimeIndex:
    """Sample dates of a window: its base day (the last trading day at or before ``start``),
    then each later week's last trading day."""
    before = index[index <= start]
    base = before.max() if len(before) else index.min()
    days = index[(index > base) & (index <= pd.Timestamp(as_of))]
    base_week = base.to_period("W-FRI")
    last = pd.Series(days, index=days).groupby(days.to_period("W-FRI")).last()
    last = last[last.index != base_week]
    return pd.DatetimeIndex([base, *last.to_numpy()])


def _window_returns(r: pd.Series, base: pd.Timestamp) -> pd.Series:
    """Returns from the base day on, the base day's own return not counted."""
    out = r[r.index >= base].copy()
    if len(out):
        out.iloc[0] = np.nan
    return out


def _stats(s: bk.Stats) -> BasketStatsRecord:
    return {
        "total_return": _r(s.total_return),
        "vol": _r(s.vol),
        "max_dd": _r(s.max_dd),
        "beta": _r(s.beta, 3),
        "tracking_error": _r(s.tracking_error),
    }


def _line(
    key: str, label: str, r: pd.Series, ref: pd.Series | None, grid: pd.DatetimeIndex
) -> BasketLineRecord:
    cum = bk.cumulative(r)
    dd = bk.drawdown(cum)
    first = cum.first_valid_index()
    return {
        "key": key,
        "label": label,
        "start": None if first is None else first.date().isoformat(),
        "ret": _round(cum.reindex(grid).to_numpy()),
        "dd": _round(dd.reindex(grid).to_numpy()),
        "stats": _stats(bk.stats(r, None if key == REFERENCE else ref)),
    }


def _holdings(w: bk.Weights, tickers: Mapping[str, str]) -> list[HoldingRecord]:
    ranked = sorted(w.weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"id": k, "ticker": tickers[k], "weight": round(v, WEIGHT_DECIMALS)} for k, v in ranked]


def _variant(
    variant: bk.Variant,
    members: Sequence[bk.Member],
    previous: StoredRun | None,
) -> tuple[bk.Weights, BasketVariantRecord]:
    w = bk.weights_for(members, variant)
    tickers = {m.id: m.ticker for m in members}
    largest = w.largest
    old = bk.weights_for(previous.members, variant).weights if previous else None
    record: BasketVariantRecord = {
        "variant": variant,
        "label": VARIANT_LABELS[variant],
        "rule": w.rule,
        "cap": round(w.cap, WEIGHT_DECIMALS),
        "names": len(w.weights),
        "largest": (
            None
            if largest is None
            else {
                "id": largest[0],
                "ticker": tickers[largest[0]],
                "weight": round(largest[1], WEIGHT_DECIMALS),
            }
        ),
        "turnover": None if old is None else _r(bk.turnover(w.weights, old)),
        "holdings": _holdings(w, tickers),
    }
    return w, record


def _by_ticker(w: bk.Weights, members: Sequence[bk.Member]) -> dict[str, float]:
    tickers = {m.id: m.ticker for m in members}
    return {tickers[k]: v for k, v in w.weights.items()}


def build_basket(
    rows: Sequence[Row],
    returns: pd.DataFrame,
    *,
    as_of: date,
    synthetic: bool,
    history: Sequence[StoredRun] = (),
) -> tuple[BasketRecord, dict[str, PriceRecord | None]]:
    """The ``basket`` record and each row's ``price`` series (by company id).

    ``returns``: daily USD returns of the primary listings and the benchmarks (from
    :func:`usd_returns`); ``history``: the stored runs before this week, oldest first.
    """
    members = members_of(rows)
    previous = history[-1] if history else None
    w_score, v_score = _variant("score", members, previous)
    w_inv, v_inv = _variant("invvol", members, previous)
    ref = returns[REFERENCE] if REFERENCE in returns.columns else None
    daily: list[tuple[str, str, pd.Series]] = []
    if w_score.weights:
        daily.append(
            ("basket", v_score["label"], bk.basket_returns(returns, _by_ticker(w_score, members)))
        )
    if w_inv.weights:
        daily.append(
            (
                "basket_invvol",
                v_inv["label"],
                bk.basket_returns(returns, _by_ticker(w_inv, members)),
            )
        )
    schedule = [
        (run.as_of, _by_ticker(bk.score_weights(run.members), run.members)) for run in history
    ]
    schedule = [(d, w) for d, w in schedule if w]
    if schedule:
        pit = bk.point_in_time_returns(returns, schedule)
        daily.append(("point_in_time", "Basket rebuilt from each week's stored scores", pit))
    for sym in (REFERENCE, MARKET):
        if sym in returns.columns:
            daily.append((sym, sym, returns[sym]))
    windows: list[BasketWindowRecord] = []
    grids: dict[WindowName, pd.DatetimeIndex] = {}
    for name, years in WINDOWS:
        start = bk.window_start(as_of, years)
        grid = _grid(pd.DatetimeIndex(returns.index), start, as_of)
        grids[name] = grid
        base = grid[0]
        ref_w = None if ref is None else _window_returns(ref, base)
        windows.append(
            {
                "window": name,
                "start": base.date().isoformat(),
                "dates": [min(d.date(), as_of).isoformat() for d in grid],
                "lines": [
                    _line(key, label, _window_returns(r, base), ref_w, grid)
                    for key, label, r in daily
                ],
            }
        )
    notes = []
    if not members:
        notes.append("no company passes the gates: the basket is empty")
    if ref is None:
        notes.append(f"the store holds no {REFERENCE} prices: no beta or tracking error")
    unpriced = sorted(
        m.ticker for m in members if m.ticker not in returns or returns[m.ticker].isna().all()
    )
    if unpriced:
        notes.append(
            f"{len(unpriced)} member(s) without USD prices (no prices or no FX rate) are left "
            f"out of the return lines, the others rescaled: {', '.join(unpriced[:5])}"
            + (" …" if len(unpriced) > 5 else "")
        )
    record: BasketRecord = {
        "label": bk.LOOK_AHEAD_LABEL,
        "method": METHOD,
        "as_of": as_of.isoformat(),
        "currency": "USD",
        "synthetic": synthetic,
        "cap": bk.ISSUER_CAP,
        "previous_run": previous.run_id if previous else None,
        "variants": [v_score, v_inv],
        "windows": windows,
        "point_in_time": {
            "runs": len(schedule),
            "first": schedule[0][0].isoformat() if schedule else None,
            "note": (
                f"rebuilt from {len(schedule)} stored weekly run(s), each week's own scores and "
                "gates, chained week to week: no look-ahead"
                if schedule
                else "no stored run before this week: the point-in-time basket starts next week"
            ),
        },
        "note": "; ".join(notes) or None,
    }
    prices = {
        r["id"]: _price(returns, r["ticker"], grids, as_of) if r["ticker"] else None for r in rows
    }
    return record, prices


def _price(
    returns: pd.DataFrame, ticker: str, grids: Mapping[WindowName, pd.DatetimeIndex], as_of: date
) -> PriceRecord | None:
    """A listing's USD cumulative return and drawdown on the longest window it covers (3y,
    else 1y), sampled on that window's dates."""
    if ticker not in returns.columns:
        return None
    r = returns[ticker]
    first = r.first_valid_index()
    if first is None:
        return None
    slack = pd.Timedelta(days=START_SLACK_DAYS)
    name: WindowName = "3y" if first - slack <= grids["3y"][0] else "1y"
    grid = grids[name]
    cum = bk.cumulative(_window_returns(r, grid[0]))
    start = cum.first_valid_index()
    if start is None:
        return None
    return {
        "window": name,
        "currency": "USD",
        "start": start.date().isoformat(),
        "ret": _round(cum.reindex(grid).to_numpy()),
        "dd": _round(bk.drawdown(cum).reindex(grid).to_numpy()),
    }


def apply(doc: Any, record: BasketRecord, prices: Mapping[str, PriceRecord | None]) -> None:
    """Fill the document's ``basket`` record and its rows' weights and price series."""
    doc["basket"] = record
    weights = {
        v["variant"]: {h["id"]: h["weight"] for h in v["holdings"]} for v in record["variants"]
    }
    for row in doc["rows"]:
        row["basket_weight"] = weights["score"].get(row["id"], 0.0)
        row["basket_weight_invvol"] = weights["invvol"].get(row["id"], 0.0)
        row["price"] = prices.get(row["id"])
