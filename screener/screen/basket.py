"""The exposure basket: the names that pass the gates, weighted by exposure score under an
issuer cap, and how that basket would have moved against REMX and SPY (docs/basket.md).

Pure functions over plain inputs; :mod:`screener.screen.basket_doc` arranges them into the run
document's ``basket`` record and the rows' ``price`` series.

Conventions (one for every series here):

* Returns are simple daily returns of **USD** closes on the union of the constituents' trading
  days; a listing's last close is carried over its own holidays (its local return is 0 that
  day, the FX move still counts).
* The basket is **rebalanced daily to fixed weights**: ``r_b,t = Σ w_i r_i,t / Σ w_i`` over
  the names with a return on day t (a name not yet listed drops out and the others are scaled
  up). This is what "the weighted constituents' returns" means in the tests, to 1e-12.
* Beta and tracking error use weekly (Friday) returns: Asian and Australian listings close
  before New York opens, so daily co-movement with REMX would be biased low.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

#: Largest weight of one issuer (MVIS-style issuer cap).
ISSUER_CAP = 0.08
#: Trading days and weeks per year for annualising.
DAYS_PER_YEAR = 252
WEEKS_PER_YEAR = 52
#: Weekly returns needed for beta and tracking error (a quarter): fewer would be noise.
MIN_WEEKS = 13
#: A close is carried over at most this many calendar days (holidays, not suspensions).
CARRY_DAYS = 7
#: The label every chart and table of today's weights on past prices carries.
LOOK_AHEAD_LABEL = "today's basket on past prices, not a backtest"

Variant = Literal["score", "invvol"]
Rule = Literal["capped", "equal_weight", "empty"]


@dataclass(frozen=True)
class Member:
    """A company that passes the gates: its id, primary listing, score and USD volatility."""

    id: str
    ticker: str
    score: float
    vol: float | None  # annualised 1y volatility of USD returns; None: not measurable


@dataclass(frozen=True)
class Weights:
    """Weights by company id (sum 1, or empty) and the rule that produced them."""

    weights: dict[str, float]
    rule: Rule
    cap: float  # the cap in force: ISSUER_CAP, or 1/n when equal weight replaced it

    @property
    def largest(self) -> tuple[str, float] | None:
        if not self.weights:
            return None
        k = max(self.weights, key=lambda i: (self.weights[i], i))
        return k, self.weights[k]


def cap_weights(raw: Mapping[str, float], cap: float = ISSUER_CAP) -> Weights:
    """Normalise positive ``raw`` weights to sum 1 with no weight above ``cap``.

    Notes
    -----
    MVIS-style redistribution: every weight above the cap is set to the cap and the excess is
    spread over the uncapped names in proportion to their weights; repeated until no weight
    exceeds the cap (at most n rounds, since each round caps at least one more name).

    A cap is feasible only when ``n · cap ≥ 1`` (n ≥ 13 for 8 %). With fewer names the basket is
    **equal weight**, which is the cap relaxed to 1/n: the tightest cap that n names can meet.
    Non-positive or non-finite raw weights are dropped.
    """
    w = {k: float(v) for k, v in raw.items() if math.isfinite(v) and v > 0}
    n = len(w)
    if n == 0:
        return Weights({}, "empty", cap)
    if n * cap < 1.0 - 1e-12:
        return Weights({k: 1.0 / n for k in w}, "equal_weight", 1.0 / n)
    keys = list(w)
    x = np.array([w[k] for k in keys])
    x = x / x.sum()
    capped = np.zeros(n, dtype=bool)
    for _ in range(n):
        over = (x > cap) & ~capped
        if not over.any():
            break
        capped |= over
        excess = float((x[capped] - cap).sum())
        x[capped] = cap
        free = ~capped
        x[free] += excess * x[free] / x[free].sum()
    return Weights({k: float(v) for k, v in zip(keys, x, strict=True)}, "capped", cap)


def score_weights(members: Sequence[Member], cap: float = ISSUER_CAP) -> Weights:
    """Weights proportional to the exposure score, capped."""
    return cap_weights({m.id: m.score for m in members}, cap)


def invvol_weights(members: Sequence[Member], cap: float = ISSUER_CAP) -> Weights:
    """Weights proportional to score × 1/volatility (exposure per unit of risk), capped.

    Names without a measurable volatility are left out of this variant.
    """
    return cap_weights(
        {m.id: m.score / m.vol for m in members if m.vol is not None and m.vol > 0}, cap
    )


def weights_for(members: Sequence[Member], variant: Variant, cap: float = ISSUER_CAP) -> Weights:
    return score_weights(members, cap) if variant == "score" else invvol_weights(members, cap)


def turnover(new: Mapping[str, float], old: Mapping[str, float]) -> float:
    """One-way turnover: half the sum of absolute weight changes over the union of names."""
    names = set(new) | set(old)
    return 0.5 * sum(abs(new.get(k, 0.0) - old.get(k, 0.0)) for k in names)


# --- prices ----------------------------------------------------------------------------------


def usd_closes(close: pd.DataFrame, factor: pd.DataFrame) -> pd.DataFrame:
    """Closes in USD: each listing's close carried over its holidays (≤ CARRY_DAYS), times
    ``factor`` (USD per unit of its currency on each date, aligned with ``close``)."""
    carried = _carry(close)
    return carried * factor.reindex(index=carried.index, columns=carried.columns)


def _carry(close: pd.DataFrame) -> pd.DataFrame:
    """Forward-fill each column's last close for at most CARRY_DAYS calendar days."""
    idx = close.index
    stamp = pd.DataFrame(
        np.where(close.notna().to_numpy(), idx.to_numpy()[:, None], np.datetime64("NaT")),
        index=idx,
        columns=close.columns,
    ).ffill()
    age = idx.to_numpy()[:, None] - stamp.to_numpy()
    return close.ffill().where(age <= np.timedelta64(CARRY_DAYS, "D"))


def daily_returns(usd: pd.DataFrame) -> pd.DataFrame:
    """Simple returns of USD closes (NaN before a listing's first close)."""
    return usd.pct_change(fill_method=None)


def basket_returns(returns: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Daily returns of a basket rebalanced daily to ``weights`` (keyed by column).

    On each day the weights of the names with a return are rescaled to sum 1; a day with no
    name is NaN.
    """
    cols = [c for c in weights if c in returns.columns]
    if not cols:
        return pd.Series(np.nan, index=returns.index, dtype=float)
    r = returns[cols].to_numpy(dtype=np.float64)
    w = np.array([weights[c] for c in cols])
    have = ~np.isnan(r)
    wsum = (have * w).sum(axis=1)
    num = (np.where(have, r, 0.0) * w).sum(axis=1)
    out = np.where(wsum > 0, num / np.where(wsum > 0, wsum, 1.0), np.nan)
    return pd.Series(out, index=returns.index, dtype=float)


def point_in_time_returns(
    returns: pd.DataFrame, schedule: Sequence[tuple[date, Mapping[str, float]]]
) -> pd.Series:
    """Daily returns of the basket rebuilt from each stored week's own weights.

    ``schedule`` is (run date, weights) in date order; a week's weights earn the returns after
    its run date up to and including the next run's date. Before the first run: NaN.
    """
    out = pd.Series(np.nan, index=returns.index, dtype=float)
    if not schedule:
        return out
    bounds = [pd.Timestamp(d) for d, _ in schedule]
    for k, (_, w) in enumerate(schedule):
        lo = bounds[k]
        hi = bounds[k + 1] if k + 1 < len(bounds) else returns.index.max()
        mask = (returns.index > lo) & (returns.index <= hi)
        if mask.any():
            out[mask] = basket_returns(returns.loc[mask], w)
    return out


# --- statistics over a window ---------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    total_return: float | None
    vol: float | None  # annualised, daily returns, ddof=1
    max_dd: float | None  # ≤ 0
    beta: float | None  # to the reference, weekly returns
    tracking_error: float | None  # annualised std of weekly active returns vs the reference


def window_start(as_of: date, years: int) -> pd.Timestamp:
    return pd.Timestamp(as_of) - pd.DateOffset(years=years)


def cumulative(r: pd.Series) -> pd.Series:
    """Cumulative return from 0 at the first date (whose own return is not counted).

    Dates before the series' first return stay NaN; later missing returns count as 0.
    """
    first = r.first_valid_index()
    out = pd.Series(np.nan, index=r.index, dtype=float)
    if first is None:
        return out
    pos = int(r.index.get_loc(first))
    if pos == 0:  # no base day in the series: the first return counts from 0
        out.iloc[:] = (1.0 + r.fillna(0.0)).cumprod().to_numpy() - 1.0
        return out
    tail = r.iloc[pos - 1 :].copy()  # the day before the first return is the base (0 %)
    tail.iloc[0] = 0.0
    out.iloc[pos - 1 :] = (1.0 + tail.fillna(0.0)).cumprod().to_numpy() - 1.0
    return out


def drawdown(cum: pd.Series) -> pd.Series:
    """Drawdown of a cumulative-return series from its running peak (≤ 0)."""
    level = 1.0 + cum
    return level / level.cummax() - 1.0


def weekly_last(s: pd.Series) -> pd.Series:
    """The last value of each Friday-ending week (indexed by the week's period)."""
    return s.groupby(s.index.to_period("W-FRI")).last()


def stats(r: pd.Series, ref: pd.Series | None) -> Stats:
    """Statistics of daily returns ``r`` (one window), beta and TE against ``ref``."""
    valid = r.dropna()
    if len(valid) < 2:
        return Stats(None, None, None, None, None)
    cum = cumulative(r)
    total = float(cum.dropna().iloc[-1])
    vol = float(valid.std(ddof=1) * math.sqrt(DAYS_PER_YEAR))
    mdd = float(drawdown(cum).min())
    beta = te = None
    if ref is not None:
        wk = pd.DataFrame(
            {"b": weekly_last(1.0 + cum), "m": weekly_last(1.0 + cumulative(ref))}
        ).pct_change(fill_method=None)
        wk = wk.dropna()
        if len(wk) >= MIN_WEEKS:
            var = float(wk["m"].var(ddof=1))
            beta = float(wk["b"].cov(wk["m"]) / var) if var > 0 else None
            te = float((wk["b"] - wk["m"]).std(ddof=1) * math.sqrt(WEEKS_PER_YEAR))
    return Stats(total, vol, mdd, beta, te)
