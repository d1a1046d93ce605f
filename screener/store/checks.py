"""Price sanity checks: every bar that enters the store is checked and flagged here.

Checks mark bars, they never drop them: a flagged bar stays in the store with its codes in
``flags`` so that a reader can decide (metrics may skip ``bad_tick`` bars, a status page shows
the count).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from screener import settings

#: Flag codes, in the order they appear in a ``flags`` string.
FLAG_CODES: tuple[str, ...] = ("nonpositive", "duplicate_date", "bad_tick", "future_date")

_PRICE_FIELDS = ("open", "high", "low", "close", "adj_close")


def join_flags(masks: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Semicolon-joined codes per row from boolean masks (``''`` where no mask is set)."""
    out = np.full(n, "", dtype=object)
    any_set = np.zeros(n, dtype=bool)
    for code in FLAG_CODES:
        if code in masks:
            any_set |= masks[code]
    for i in np.flatnonzero(any_set):  # flagged rows are rare: a loop over them is cheap
        out[i] = ";".join(c for c in FLAG_CODES if c in masks and masks[c][i])
    return out


def split_flags(flags: pd.Series, code: str) -> np.ndarray:
    """Boolean mask of rows whose ``flags`` string contains ``code``."""
    text = flags.astype(object).fillna("").to_numpy(dtype=object)
    return (
        np.array([code in s.split(";") for s in text], dtype=bool)
        if len(text)
        else np.zeros(0, bool)
    )


def bad_ticks(long: pd.DataFrame, move: float | None = None) -> np.ndarray:
    """Mask of one-day spikes that reverse the next trading day.

    Method. Per ticker, on bars sorted by date with a usable price ``p`` (``adj_close``, or
    ``close`` where it is missing; bars with a non-positive or missing price are skipped so
    they cannot create spikes of their own), with log returns ``l_t = ln(p_t / p_{t-1})``
    between consecutive usable bars, bar ``t`` is a bad tick when

    * ``|exp(l_t) - 1| > move`` (a simple one-day move larger than ``bad_tick_move``, 50 %),
    * ``l_{t+1} * l_t < 0`` (the next bar moves the other way), and
    * ``|l_{t+1}| >= 0.5 * |l_t|`` (it undoes at least half of the move, measured in log
      terms so that +100 % followed by −50 % counts as a full reversal).

    ``adj_close`` is preferred because a split is a permanent raw-close jump that the
    adjusted series removes. The last bar of a ticker cannot be judged until the next bar
    arrives; the store re-checks the neighbouring bars on every upsert for that reason.
    ``long`` must be sorted by (ticker, date) with unique keys; returns a mask aligned to it.
    """
    limit = float(settings.get("bad_tick_move") if move is None else move)
    price = long["adj_close"].astype("float64").fillna(long["close"].astype("float64"))
    usable = (price > 0).to_numpy()
    out = np.zeros(len(long), dtype=bool)
    if not usable.any():
        return out
    p = price.to_numpy()[usable]
    ticker = long["ticker"].astype(object).to_numpy()[usable]
    first = np.r_[True, ticker[1:] != ticker[:-1]]  # first usable bar of each ticker
    last = np.r_[ticker[1:] != ticker[:-1], True]
    logp = np.log(p)
    lr = np.r_[np.nan, np.diff(logp)]
    lr[first] = np.nan
    lr_next = np.r_[lr[1:], np.nan]
    lr_next[last] = np.nan
    # over: a move from a denormal price overflows expm1 to inf, which is still "> limit".
    with np.errstate(invalid="ignore", over="ignore"):
        spike = (
            (np.abs(np.expm1(lr)) > limit)
            & (lr_next * lr < 0)
            & (np.abs(lr_next) >= 0.5 * np.abs(lr))
        )
    out[np.flatnonzero(usable)[spike]] = True
    return out


def value_masks(long: pd.DataFrame, today: date) -> dict[str, np.ndarray]:
    """``nonpositive``, ``bad_tick`` and ``future_date`` masks of a sorted, de-duplicated frame."""
    prices = long[list(_PRICE_FIELDS)].astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        nonpositive = (prices <= 0).any(axis=1)  # NaN compares False: missing is not a flag
    future = (pd.to_datetime(long["date"]) > pd.Timestamp(today)).to_numpy()
    return {"nonpositive": nonpositive, "bad_tick": bad_ticks(long), "future_date": future}


def check_prices(long: pd.DataFrame, *, today: date) -> pd.DataFrame:
    """Sanity-check a long price frame; return it de-duplicated, sorted, with a ``flags`` column.

    Codes (semicolon-joined in :data:`FLAG_CODES` order, ``''`` when clean):

    * ``nonpositive``: any of open/high/low/close/adj_close is ≤ 0 (NaN is not flagged).
    * ``duplicate_date``: the input held the same (ticker, date) more than once; the last
      occurrence is kept and carries the flag.
    * ``bad_tick``: a spike that reverses next day, see :func:`bad_ticks`.
    * ``future_date``: dated after ``today`` (a clock or time-zone problem at the source).

    Nothing is dropped except the earlier copies of duplicated keys. The input is not mutated.
    """
    frame = long.copy()
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[us]")
    dup_any = frame.duplicated(["ticker", "date"], keep=False).to_numpy()
    keep = ~frame.duplicated(["ticker", "date"], keep="last").to_numpy()
    frame = frame.loc[keep]
    frame["_dup"] = dup_any[keep]
    frame = frame.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    masks = value_masks(frame, today)
    masks["duplicate_date"] = frame.pop("_dup").to_numpy(dtype=bool)
    frame["flags"] = pd.array(join_flags(masks, len(frame)), dtype="str")
    return frame
