"""The incremental refresh that fills the store from a price source.

Refresh asks a :class:`~screener.sources.base.PriceSource` only for what is missing plus a
small overlap, writes one transaction per chunk and logs every ticker's outcome;
:func:`refresh_with_fx` also refreshes the FX series of the currencies it met.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from screener import settings
from screener.errors import NetworkError
from screener.sources.base import FetchResult, MetadataSource, PriceSource, SourceName
from screener.sources.exchanges import exchange_of, fx_for

if TYPE_CHECKING:
    from screener.store import Store


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


def last_business_day(today: date) -> date:
    """The weekday before ``today``: the newest bar a daily source can have finished.

    Stored bars that reach it are up to date and are not asked for again (Monday's refresh
    needs Friday's bar; an exchange holiday on that day costs that symbol one request).
    """
    day: date = (pd.Timestamp(today) - pd.offsets.BDay(1)).date()
    return day


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


def _needs_market_cap(ticker: str, funds: Collection[str] = ()) -> bool:
    """FX pairs (``AUDUSD=X``), indices (``^GSPC``) and ``funds`` (ETFs: Yahoo's quote has
    no ``marketCap`` for them) have no market cap to wait for."""
    return not (ticker.endswith("=X") or ticker.startswith("^") or ticker in funds)


def metadata_due(
    tickers: Sequence[str],
    instruments: pd.DataFrame,
    *,
    now: datetime,
    max_age_days: int | None = None,
    funds: Collection[str] = (),
) -> list[str]:
    """Tickers whose instrument metadata should be looked up again, in input order.

    ``instruments`` is :meth:`Store.instruments` (indexed by ticker, ``updated_at`` = when
    the metadata was last looked up, naive UTC). A ticker is due when it has no row; when its
    ``currency`` or ``name`` is missing (a row written from exchange-table guesses has no
    name); when its ``market_cap`` is missing (except FX pairs, indices and ``funds``, which
    have none: the universe's benchmarks are ETFs, and asking again each refresh only costs a
    request);
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
        missing |= _needs_market_cap(t, funds) and pd.isna(row.get("market_cap"))
        stamp = row.get("updated_at")
        old = pd.isna(stamp) or (today - pd.Timestamp(stamp).date()).days > days
        if missing or old:
            due.append(t)
    return due


def _fetch(
    source: PriceSource,
    batch: Sequence[str],
    start: date,
    end: date | None,
    instruments: pd.DataFrame,
    now: datetime,
    funds: Collection[str] = (),
) -> FetchResult:
    """One source call; metadata is asked only where :func:`metadata_due` says so.

    Only sources that opt in (``supports_metadata``) get the extra arguments, so a plain
    :class:`~screener.sources.base.PriceSource` is called exactly as before.
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
        want_metadata=metadata_due(batch, instruments, now=now, funds=funds),
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


def _batches(
    wanted: Sequence[str], starts: Mapping[str, date], size: int
) -> list[tuple[date, list[str]]]:
    """Tickers grouped by start date, each group cut into chunks of ``size``."""
    groups: dict[date, list[str]] = {}
    for t in wanted:
        groups.setdefault(starts[t], []).append(t)
    return [
        (s, names[i : i + size])
        for s, names in sorted(groups.items())
        for i in range(0, len(names), size)
    ]


def _failed_records(
    tickers: Sequence[str], source: str, started: datetime, reason: str
) -> list[dict[str, Any]]:
    """Fetch-log records for tickers a refresh could not reach."""
    now = _utcnow()
    return [
        {
            "ticker": t,
            "source": source,
            "started_at": started,
            "finished_at": now,
            "status": "failed",
            "reason": reason,
        }
        for t in tickers
    ]


def _write_chunk(
    store: Store,
    source: PriceSource,
    batch: list[str],
    start: date,
    end: date | None,
    known: pd.DataFrame,
    pending: list[str],
    funds: Collection[str] = (),
) -> tuple[list[dict[str, Any]], bool]:
    """Fetch one chunk and write it with its fetch-log records in one transaction.

    When the source is unreachable, every ``pending`` ticker is logged as failed and the
    :class:`~screener.errors.NetworkError` propagates.
    """
    t0 = _utcnow()
    try:
        result = _fetch(source, batch, start, end, known, t0, funds)
    except NetworkError as exc:
        store.log_fetch(_failed_records(pending, source.name, t0, f"network error: {exc}"))
        raise
    finished = _utcnow()
    records = _outcomes(batch, result, t0, finished)
    # Our clock, not the store's: metadata_due judges updated_at against _utcnow().
    store.upsert(result, fetched_at=finished, log=records)
    return records, bool(result.synthetic)


def refresh(
    store: Store,
    tickers: Sequence[str],
    source: PriceSource,
    *,
    since: date | None = None,
    end: date | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
    funds: Collection[str] = (),
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
    ``metadata_max_age_days``); the store keeps what it knows for the others. ``funds``
    (ETFs) are not asked again for the market cap they never have.
    """
    today = today or date.today()
    size = max(1, int(settings.get("refresh_chunk") if chunk is None else chunk))
    started_at = _utcnow()
    wanted = list(dict.fromkeys(t.strip() for t in tickers if t and t.strip()))
    if not wanted:  # nothing to fetch (e.g. every symbol fresh): no store reads either
        now = _utcnow()
        return RefreshReport((), {}, {}, source.name, bool(source.synthetic), now, now)
    starts = plan_starts(wanted, store.last_dates(wanted), since=since, today=today)
    known = store.instruments(wanted)
    batches = _batches(wanted, starts, size)

    updated: dict[str, int] = {}
    failures: dict[str, str] = {}
    synthetic = bool(source.synthetic)
    done = 0
    for index, (start, batch) in enumerate(batches):
        pending = [t for _, b in batches[index:] for t in b]
        records, fetched_synthetic = _write_chunk(
            store, source, batch, start, end, known, pending, funds
        )
        synthetic = synthetic or fetched_synthetic
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


@dataclass(frozen=True)
class Refreshed:
    failures: dict[str, str]
    updated: dict[str, int]
    source: str


def refresh_with_fx(
    store: Store,
    symbols: Sequence[str],
    source: PriceSource,
    *,
    end: date | None,
    today: date,
    progress: Progress | None = None,
    fresh_from: date | Callable[[str], date] | None = None,
    funds: Collection[str] = (),
) -> Refreshed:
    """Refresh ``symbols`` and then the FX series of their currencies.

    Symbols whose stored bars already reach ``fresh_from`` (a date, or a symbol's own date:
    the demo knows each market's holidays) are not fetched, so a refresh of an up-to-date
    store asks the source for nothing. It defaults to ``end`` (with a past ``--as-of`` an
    incremental fetch would start after ``end`` and fail for no reason), else to
    :func:`last_business_day` before ``today``. A lookup passes the last trading day, so only
    stale series are fetched. ``funds``: see :func:`refresh` (the universe's benchmarks).
    """
    skip_from = (
        fresh_from
        if fresh_from is not None
        else end
        if end is not None
        else last_business_day(today)
    )

    def needed(syms: Sequence[str]) -> list[str]:
        if skip_from is None:
            return list(syms)
        last = store.last_dates(list(syms))
        due = skip_from if callable(skip_from) else (lambda s: skip_from)
        return [s for s in syms if s not in last or last[s] < due(s)]

    report = refresh(
        store, needed(symbols), source, end=end, today=today, progress=progress, funds=funds
    )
    failures, updated = dict(report.failures), dict(report.updated)
    inst = store.instruments(list(symbols))
    currencies = list(inst["currency"].dropna()) if "currency" in inst else []
    currencies += [exchange_of(s).currency for s in symbols if exchange_of(s)]  # type: ignore[union-attr]
    fx = needed(fx_for(currencies))
    if fx:
        fxr = refresh(store, fx, source, end=end, today=today, progress=progress)
        failures.update(fxr.failures)
        updated.update(fxr.updated)
    return Refreshed(failures, updated, report.source)
