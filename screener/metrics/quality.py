"""Data quality per ticker: how much history, how fresh, how gappy, how jumpy.

Columns (one row per ticker):

* ``observations`` – closes on or before ``as_of``;
* ``first_date`` / ``last_date`` – first and last of them (NaT if none);
* ``gaps`` – runs of missing business days (Mon–Fri; exchange holidays are not modelled, which
  is why a run must be *longer than* ``gap_business_days`` = 3 to count: a holiday bridge of up
  to 3 days is normal) between two consecutive closes inside the ticker's span;
* ``stale_days`` – business days after ``last_date`` up to and including ``as_of``
  (0 = it traded on ``as_of``);
* ``flagged_jumps`` – daily own-day returns with ``|r| > jump_return`` (50 %), or, when the
  store's ``flags`` frame is given, the number of its rows for the ticker;
* ``currency`` – ISO code of the prices (``"USD"`` when no mapping is given, ``None`` if absent
  from the mapping); ``synthetic`` – whether the series is synthetic (demo) data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from screener import settings
from screener.errors import PriceDataError
from screener.metrics._panel import check_frame

QUALITY_COLUMNS: tuple[str, ...] = (
    "observations",
    "first_date",
    "last_date",
    "gaps",
    "stale_days",
    "flagged_jumps",
    "currency",
    "synthetic",
)


def quality(
    close: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str | None = None,
    synthetic: Mapping[str, bool] | None = None,
    currency: Mapping[str, str] | None = None,
    flags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Data-quality table of a dates × tickers close frame (see the module docstring).

    ``flags`` is a long frame with a ``ticker`` column (one row per flagged bar, optionally a
    ``date`` column, rows after ``as_of`` are ignored).
    """
    arr = check_frame(close, "close", positive=True)
    stamp = close.index[-1] if as_of is None else pd.Timestamp(as_of)
    rows = int(close.index.searchsorted(stamp, side="right"))
    return quality_from_array(
        arr[:rows], close.index[:rows], close.columns, stamp, synthetic, currency, flags
    )


def quality_from_array(
    arr: np.ndarray,
    dates: pd.DatetimeIndex,
    tickers: pd.Index,
    as_of: pd.Timestamp,
    synthetic: Mapping[str, bool] | None,
    currency: Mapping[str, str] | None,
    flags: pd.DataFrame | None,
) -> pd.DataFrame:
    valid = ~np.isnan(arr)
    obs = valid.sum(axis=0)
    has = obs > 0
    day = dates.to_numpy().astype("datetime64[D]")
    first, last = _first_last(valid, day, has)
    runs = _missing_runs(valid)
    gaps = _gaps(valid, day, runs)
    as_of_d = np.datetime64(as_of.date(), "D")
    stale = np.where(has, np.busday_count(np.where(has, last, as_of_d) + 1, as_of_d + 1), -1)
    jumps = _own_day_jumps(arr, runs) if flags is None else _count_flags(flags, tickers, as_of)
    ccy = (
        pd.Series("USD", index=tickers, dtype=object)
        if currency is None
        else pd.Series(tickers, index=tickers).map(currency).astype(object)
    )
    synth = (
        pd.Series(False, index=tickers)
        if synthetic is None
        else pd.Series(tickers, index=tickers).map(synthetic).fillna(False).astype(bool)
    )
    out = pd.DataFrame(
        {
            "observations": obs.astype(np.int64),
            "first_date": pd.to_datetime(first),
            "last_date": pd.to_datetime(last),
            "gaps": gaps.astype(np.int64),
            "stale_days": pd.array(np.where(has, stale, 0), dtype="Int64"),
            "flagged_jumps": np.asarray(jumps, dtype=np.int64),
            "currency": ccy.to_numpy(),
            "synthetic": synth.to_numpy(),
        },
        index=tickers.copy(),
    )
    out.loc[~has, "stale_days"] = pd.NA
    out.index.name = "ticker"
    return out


def _first_last(valid: np.ndarray, day: np.ndarray, has: np.ndarray) -> tuple[Any, Any]:
    """Each ticker's first and last date with a close (NaT where it has none)."""
    t = valid.shape[0]
    # First/last valid row as reductions over rows (argmax along axis 0 of a C-ordered array is
    # several times slower than a row-wise max).
    row = np.arange(t, dtype=np.int32)[:, None]
    last_i = np.where(valid, row, 0).max(axis=0, initial=0)
    first_i = t - 1 - np.where(valid, t - 1 - row, 0).max(axis=0, initial=0)
    nat = np.datetime64("NaT", "D")
    first = np.where(has, day[first_i] if t else nat, nat)
    last = np.where(has, day[last_i] if t else nat, nat)
    return first, last


@dataclass(frozen=True)
class _Runs:
    """Runs of missing rows inside a ticker's history: the row before, the row after, the column."""

    before: np.ndarray
    after: np.ndarray
    col: np.ndarray
    n: int


def _missing_runs(valid: np.ndarray) -> _Runs:
    # A run of missing rows is located by its two edges (few: one pair per run), so no
    # per-ticker work and no gather over the whole array is needed.
    n = valid.shape[1]
    v8 = valid.view(np.int8)
    edge = v8[1:] - v8[:-1]  # -1: last close before a run of NaN; +1: first close after it
    ev = np.flatnonzero(edge)
    er, ec = np.divmod(ev, max(n, 1))
    order = np.lexsort((er, ec))
    er, ec, sign = er[order], ec[order], edge.ravel()[ev][order]
    pair = (sign[:-1] == -1) & (sign[1:] == 1) & (ec[:-1] == ec[1:])
    return _Runs(er[:-1][pair], er[1:][pair] + 1, ec[:-1][pair], n)


def _gaps(valid: np.ndarray, day: np.ndarray, runs: _Runs) -> np.ndarray:
    """Per ticker, the runs of missing closes longer than ``gap_business_days``."""
    epoch = np.datetime64("1970-01-01", "D")
    bd = np.busday_count(epoch, day)  # business days before each date
    bd_next = np.busday_count(epoch, day + 1)
    gap_days = int(settings.get("gap_business_days"))
    long_run = bd[runs.after] - bd_next[runs.before] > gap_days
    gaps = np.bincount(runs.col[long_run], minlength=runs.n)
    # The index itself may skip more than gap_days business days (all markets shut, or data
    # missing for everyone): that is a gap for every ticker with closes on both sides.
    skip = np.flatnonzero(bd[1:] - bd_next[:-1] > gap_days)
    if skip.size:
        gaps = gaps + (valid[skip] & valid[skip + 1]).sum(axis=0)
    return gaps


#: Rows per block of :func:`_own_day_jumps` (64 × 5,000 doubles = 2.5 MB: cache-sized).
JUMP_BLOCK = 64


def _own_day_jumps(arr: np.ndarray, runs: _Runs) -> np.ndarray:
    """Moves beyond ``jump_return`` between a ticker's consecutive closes, across gaps too.

    Adjacent rows are compared block by block: the same element-wise operations as on the
    whole array at once, without three array-sized temporaries.
    """
    jump = float(settings.get("jump_return"))
    before, after, col = runs.before, runs.after, runs.col
    t, n = arr.shape
    adjacent = np.zeros(n, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(1, t, JUMP_BLOCK):  # over blocks of dates, not tickers
            end = min(i + JUMP_BLOCK, t)
            r = arr[i:end] / arr[i - 1 : end - 1]
            r -= 1.0
            np.abs(r, out=r)
            adjacent += (r > jump).sum(axis=0)  # NaN compares False
        across = np.abs(arr[after, col] / arr[before, col] - 1.0) > jump
    jumps: np.ndarray = adjacent + np.bincount(col[across], minlength=runs.n)
    return jumps


def _count_flags(flags: pd.DataFrame, tickers: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    if "ticker" not in flags.columns:
        raise PriceDataError(
            f"flags: expected a long frame with a 'ticker' column (one row per flagged bar), "
            f"got columns {list(flags.columns)}."
        )
    f = flags
    if "date" in f.columns:
        f = f[pd.to_datetime(f["date"]) <= as_of]
    counts = f["ticker"].value_counts()
    out: np.ndarray = counts.reindex(tickers, fill_value=0).to_numpy(dtype=np.int64)
    return out
