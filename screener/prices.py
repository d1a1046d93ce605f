"""Price sanity checks and the incremental refresh that fills the store.

Checks mark bars, they never drop them: a flagged bar stays in the store with its codes in
``flags`` so that a reader can decide (metrics may skip ``bad_tick`` bars, a status page shows
the count). Refresh asks a :class:`~screener.sources.base.Source` only for what is missing
plus a small overlap, writes one transaction per chunk and logs every ticker's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from screener import settings
from screener.errors import NetworkError
from screener.sources.base import FetchResult, MetadataSource, Source, SourceName

if TYPE_CHECKING:
    from screener.store import Store

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


def stale(last_date: date | None, today: date, limit: int | None = None) -> bool:
    """True when the last bar is more than ``limit`` calendar days (``stale_price_days``) old.

    A ticker with no bar at all (``last_date`` None) is stale. Calendar days, not trading
    days: over a weekend Friday's bar is 3 days old on Monday, within the default 4.
    """
    if last_date is None:
        return True
    days = int(settings.get("stale_price_days") if limit is None else limit)
    return bool((today - pd.Timestamp(last_date).date()).days > days)


# --- refresh --------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RefreshReport:
    """Outcome of one refresh: bars written per ticker and the reason for each failure."""

    requested: tuple[str, ...]
    updated: Mapping[str, int]
    failures: Mapping[str, str]
    source: SourceName
    synthetic: bool
    started_at: datetime
    finished_at: datetime
    starts: Mapping[str, date] = field(default_factory=dict)  # first date asked per ticker


def _utcnow() -> datetime:
    return datetime.now(UTC)


def years_before(day: date, years: int) -> date:
    """``day`` minus whole calendar years (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def plan_starts(
    tickers: Sequence[str], last: Mapping[str, date], *, since: date | None, today: date
) -> dict[str, date]:
    """First date to fetch per ticker.

    ``since`` when given (a forced re-fetch); else the last stored date minus
    ``refresh_overlap_days`` calendar days, so late revisions of recent bars (dividend
    adjustments, corrected closes) are picked up; else ``history_years`` before ``today``.
    """
    overlap = timedelta(days=int(settings.get("refresh_overlap_days")))
    first = years_before(today, int(settings.get("history_years")))
    out: dict[str, date] = {}
    for t in tickers:
        if since is not None:
            out[t] = since
        elif t in last:
            out[t] = last[t] - overlap
        else:
            out[t] = first
    return out


def _needs_market_cap(ticker: str) -> bool:
    """FX pairs (``AUDUSD=X``) and indices (``^GSPC``) have no market cap to wait for."""
    return not (ticker.endswith("=X") or ticker.startswith("^"))


def metadata_due(
    tickers: Sequence[str],
    instruments: pd.DataFrame,
    *,
    now: datetime,
    max_age_days: int | None = None,
) -> list[str]:
    """Tickers whose instrument metadata should be looked up again, in input order.

    ``instruments`` is :meth:`Store.instruments` (indexed by ticker, ``updated_at`` = when
    the metadata was last looked up, naive UTC). A ticker is due when it has no row; when its
    ``currency`` or ``name`` is missing (a row written from exchange-table guesses has no
    name); when its ``market_cap`` is missing (except FX pairs and indices, which have none);
    or when ``updated_at`` is more than ``max_age_days`` (``metadata_max_age_days``, 7)
    whole calendar days (UTC) before ``now``. Whole days, so that a weekly job a few minutes
    late is not due: metadata is then looked up every second week at a 7-day setting.
    """
    days = int(settings.get("metadata_max_age_days") if max_age_days is None else max_age_days)
    today = (now.astimezone(UTC) if now.tzinfo else now).date()
    due = []
    for t in tickers:
        if t not in instruments.index:
            due.append(t)
            continue
        row = instruments.loc[t]
        missing = any(pd.isna(row.get(c)) for c in ("currency", "name"))
        missing |= _needs_market_cap(t) and pd.isna(row.get("market_cap"))
        stamp = row.get("updated_at")
        old = pd.isna(stamp) or (today - pd.Timestamp(stamp).date()).days > days
        if missing or old:
            due.append(t)
    return due


def _fetch(
    source: Source,
    batch: Sequence[str],
    start: date,
    end: date | None,
    instruments: pd.DataFrame,
    now: datetime,
) -> FetchResult:
    """One source call; metadata is asked only where :func:`metadata_due` says so.

    Only sources that opt in (``supports_metadata``) get the extra arguments, so a plain
    :class:`~screener.sources.base.Source` is called exactly as before.
    """
    if not getattr(source, "supports_metadata", False):
        return source.fetch(batch, start, end)
    known = (
        instruments["quote_currency"].dropna().astype(str).to_dict()
        if "quote_currency" in instruments
        else {}
    )
    return cast(MetadataSource, source).fetch(
        batch,
        start,
        end,
        want_metadata=metadata_due(batch, instruments, now=now),
        quote_currencies={t: known[t] for t in batch if t in known},
    )


def _outcomes(
    batch: Sequence[str], result: FetchResult, started: datetime, finished: datetime
) -> list[dict[str, Any]]:
    """One fetch-log record per requested ticker of a batch."""
    prices = result.prices
    stats: dict[str, tuple[int, date, date]] = {}
    if len(prices):
        dates = pd.to_datetime(prices["date"])
        grouped = dates.groupby(prices["ticker"].astype(str).to_numpy())
        for t, n, lo, hi in zip(
            grouped.size().index, grouped.size(), grouped.min(), grouped.max(), strict=True
        ):
            stats[str(t)] = (int(n), lo.date(), hi.date())
    records = []
    for t in batch:
        base = {
            "ticker": t,
            "source": result.source,
            "started_at": started,
            "finished_at": finished,
        }
        if t in stats:
            n, lo, hi = stats[t]
            records.append({**base, "status": "ok", "rows": n, "first_date": lo, "last_date": hi})
        else:
            reason = result.failures.get(t) or "the source returned no bars"
            records.append({**base, "status": "failed", "reason": reason})
    return records


def refresh(
    store: Store,
    tickers: Sequence[str],
    source: Source,
    *,
    since: date | None = None,
    end: date | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
) -> RefreshReport:
    """Fetch what is missing for ``tickers`` from ``source`` and upsert it into ``store``.

    Tickers are grouped by their start date (:func:`plan_starts`) so the source is called
    once per group and chunk of ``refresh_chunk`` tickers. Each chunk is written with its
    fetch-log records in one transaction: a refresh killed at any moment loses at most the
    chunk in flight. A ticker that fails is logged and reported; the others are still
    written. A :class:`~screener.errors.NetworkError` (source unreachable) stops the refresh:
    the chunks already written stay, nothing else is written except a ``failed`` log record
    for every ticker not yet fetched, and the error propagates.

    Instrument metadata costs a source like Yahoo extra requests (one chart request per
    symbol, one quote request per chunk), so a source that ``supports_metadata`` is asked for
    it only for the tickers :func:`metadata_due` names (new, incomplete, or older than
    ``metadata_max_age_days``); the store keeps what it knows for the others.
    """
    today = today or date.today()
    size = max(1, int(settings.get("refresh_chunk") if chunk is None else chunk))
    started_at = _utcnow()
    wanted = list(dict.fromkeys(t.strip() for t in tickers if t and t.strip()))
    starts = plan_starts(wanted, store.last_dates(wanted), since=since, today=today)
    known = store.instruments(wanted)
    groups: dict[date, list[str]] = {}
    for t in wanted:
        groups.setdefault(starts[t], []).append(t)
    batches = [
        (s, names[i : i + size])
        for s, names in sorted(groups.items())
        for i in range(0, len(names), size)
    ]

    updated: dict[str, int] = {}
    failures: dict[str, str] = {}
    synthetic = bool(source.synthetic)
    done = 0
    for index, (start, batch) in enumerate(batches):
        t0 = _utcnow()
        try:
            result = _fetch(source, batch, start, end, known, t0)
        except NetworkError as exc:
            pending = [t for _, b in batches[index:] for t in b]
            now = _utcnow()
            store.log_fetch(
                [
                    {
                        "ticker": t,
                        "source": source.name,
                        "started_at": t0,
                        "finished_at": now,
                        "status": "failed",
                        "reason": f"network error: {exc}",
                    }
                    for t in pending
                ]
            )
            raise
        finished = _utcnow()
        records = _outcomes(batch, result, t0, finished)
        # Our clock, not the store's: metadata_due judges updated_at against _utcnow().
        store.upsert(result, fetched_at=finished, log=records)
        synthetic = synthetic or bool(result.synthetic)
        for rec in records:
            if rec["status"] == "ok":
                updated[rec["ticker"]] = rec["rows"]
            else:
                failures[rec["ticker"]] = rec["reason"]
            done += 1
            if progress is not None:
                progress(done, len(wanted), rec["ticker"])
    return RefreshReport(
        requested=tuple(wanted),
        updated=updated,
        failures=failures,
        source=source.name,
        synthetic=synthetic,
        started_at=started_at,
        finished_at=_utcnow(),
        starts=starts,
    )
