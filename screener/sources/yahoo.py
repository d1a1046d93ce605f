"""Daily bars from Yahoo Finance through yfinance (the only module that imports yfinance).

Method
------
* Symbols are stripped, upper-cased and de-duplicated in order, then fetched with
  ``yf.download`` in chunks of ``chunk`` symbols with a ``pause`` between chunks. Every
  download argument is explicit: raw ``Close`` *and* ``Adj Close`` (``auto_adjust=False``),
  no repair, no progress bar, daily bars, ``end`` made inclusive by passing ``end + 1 day``
  (yfinance's ``end`` is exclusive).
* ``ignore_tz=True``: a daily bar belongs to its exchange's calendar day. With
  ``ignore_tz=False`` yfinance converts every index to the *most common* timezone of the
  batch, so a Tokyo bar would land on the previous New York day, and on a different day
  depending on which other symbols share the chunk.
* ``yf.download`` never raises for one bad symbol: it returns an all-NaN column and logs the
  reason on the ``yfinance`` logger. A symbol failed when it is missing from the ``Close``
  block or all-NaN; its reason is read from the log records captured during the call. With
  yfinance's default ``hide_exceptions`` every cause (a timeout, an HTTP 503, a body that is
  not JSON) would read "possibly delisted; no price data found", so the download runs with
  it off: yfinance then logs the exception itself (``Timeout(...)``, ``JSONDecodeError(...)``).
  yfinance reads a chart body without its HTTP status, so the session's answers are also
  recorded per symbol (``_Answers``): the last one's status names a 5xx, a non-JSON body or
  a 404. Each failure's :data:`~screener.sources.yahoo_log.FailureKind` leads its reason in
  the result, hence in the fetch log (the ledger) and the command's output.
* Failed symbols are retried (only those) up to ``retries`` times after a backoff of
  ``backoff * 2**(r-1) * (1 + u)``, ``u ~ U[0, 1)``, for retry ``r = 1, 2, ...``. Rate limits,
  timeouts, server errors, bad bodies and network errors use the full budget; "not found"
  (Yahoo's 404: renamed or delisted) is retried once only. yfinance's in-process cache of
  GETs is cleared before a retry round, else a bad answer would be replayed, not asked again.
* ``deadline`` (``yahoo_deadline``) bounds one refresh, from the source's first fetch: no
  chunk, backoff or retry starts that would end after it; what is left fails as
  ``deadline``, naming its last failure. ``sleep`` and ``clock`` are injectable (tests run on
  a fake clock).
* Before the first request the source asks for yfinance's cookie and crumb (which its first
  request would do anyway): a DNS failure, refused connection or timeout there raises
  :class:`~screener.errors.NetworkError` ("network unreachable: ...") after at most two
  attempts. Later, if nothing of a first chunk could be fetched and every failure is a
  DNS or connection error, the same error is raised. Partial failures are data.
* Quotes in minor units (``GBp``, ``ZAc``, ``ILA``) are divided by 100 into the major unit
  (:func:`screener.sources.exchanges.major_unit`).

Metadata comes from the chart response's ``meta`` (currency, exchange, timezone, name). yfinance
does not expose the meta of a ``download``, so it costs one extra chart request per symbol
(``Ticker.history(period="5d")``; the timezone is already in yfinance's sqlite cache). Pass
``want_metadata=False`` (or the symbols still lacking metadata) to skip it; for the others the
quote unit comes from ``quote_currencies`` (what was looked up before) or else the exchange
table, and the result's ``metadata_fetched`` lists only the symbols really looked up, so that
the store does not let those guesses overwrite what it knows.

Market cap, for the same symbols (minus FX pairs and indices), comes from Yahoo's v7 ``quote``
endpoint, which answers for a comma-separated batch: ``ceil(n / chunk)`` extra requests for
``n`` symbols, sent through yfinance's ``YfData`` (cookie and crumb). ``fast_info`` would cost
two requests per symbol (1-year chart + fundamentals-timeseries shares, times a price that is in
pence for LSE) and ``info`` three. Each batch waits ``pause`` first and is retried with the price
backoff on 429 or network errors; a batch still failing ends the market-cap lookups. A missing
cap is NaN with the reason logged at INFO, never a price failure. Unit: see
:func:`~screener.sources.yahoo_log.market_cap_major`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFException, YFRateLimitError

from screener import settings
from screener.errors import NetworkError
from screener.sources import exchanges
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult, SourceName
from screener.sources.yahoo_log import (
    NETWORK,
    TRANSIENT,
    Failure,
    FailureKind,
    classify,
    drop_yfinance_warning_filter,
    failures_from_log,
    market_cap_major,
    quotes_by_symbol,
    yfinance_quiet,
)

try:  # curl_cffi is yfinance's default HTTP backend; its CurlError is not an OSError
    from curl_cffi import CurlError as _CurlError
except ImportError:  # pragma: no cover - yfinance falls back to requests
    _CurlError = OSError  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)
drop_yfinance_warning_filter()  # yfinance's import turned its deprecation warnings on for all

_FIELDS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}
_PRICE_FIELDS = ("open", "high", "low", "close", "adj_close")
_META_KEYS = ("currency", "fullExchangeName", "exchangeTimezoneName", "longName", "shortName")
# The endpoint behind yfinance's ``Ticker.info`` (``Quote._fetch_additional_info``), which takes a
# comma-separated symbol list; yfinance itself only ever sends one symbol.
_QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"


def fx_pairs(currencies: Collection[str | None]) -> list[str]:
    """Yahoo FX symbols (``'AUDUSD=X'``, USD per unit) for every non-USD currency, sorted.

    Minor units count as their major currency (``GBp`` -> ``GBPUSD=X``); blanks are skipped.
    """
    majors = {
        exchanges.major_unit(c.strip())[0] for c in currencies if isinstance(c, str) and c.strip()
    }
    return [exchanges.fx_symbol(c) for c in sorted(m for m in majors if m and m != "USD")]


def normalise_symbols(tickers: Sequence[str]) -> list[str]:
    """Strip, upper-case, drop blanks and duplicates, keeping first-seen order.

    yfinance upper-cases but does not strip (``"AAPL "`` fails), and de-duplicates through a
    ``set`` (losing order), hence doing it here.
    """
    return list(dict.fromkeys(s.strip().upper() for s in tickers if s and s.strip()))


_cache_location: str | None = None


def _use_cache_dir(cache_dir: Path | None) -> None:
    """Point yfinance's sqlite caches at ``cache_dir`` and open them on this thread.

    ``set_tz_cache_location`` moves all of yfinance's caches: time zones (``tkr-tz.db``), the
    Yahoo cookie (``cookies.db``) and ISINs. The crumb is not cached on disk; it lives in
    yfinance's ``YfData`` for the process. It must be called before the caches are first
    used, so it is called before any request of a fetch.

    Then the caches are opened here, before ``yf.download`` starts a thread per symbol. Each of
    those threads opens its own SQLite connection, and every new connection runs
    ``PRAGMA journal_mode = wal``; on a database file that is not yet in WAL mode (a new cache
    dir) two of them doing so at once can fail at once with "database is locked", without
    waiting for the busy timeout (measured: 4 in 400 rounds of 4 threads on a fresh file, 0
    in 400 once one connection had switched it to WAL first). That failed the symbol for no
    reason of Yahoo's (the flaky ``test_market_cap_http_error_leaves_nan_and_prices``). Opened
    here, the file is in WAL mode before any thread connects.
    """
    global _cache_location
    if cache_dir is None:
        return
    if str(cache_dir) != _cache_location:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:  # yfinance then runs without a cache: slower, still correct
            log.warning(
                "yfinance cache dir %s unusable (%s); continuing without it", cache_dir, err
            )
            return
        yf.set_tz_cache_location(str(cache_dir))
        _cache_location = str(cache_dir)
    _open_caches()


def _open_caches() -> None:
    """Open yfinance's time-zone and cookie caches on the calling thread (see above)."""
    try:
        from yfinance import cache as yf_cache

        yf_cache.get_tz_cache().lookup("^PRIME")
        yf_cache.get_cookie_cache().lookup("curlCffi")
    except Exception as err:  # a cache problem must never stop a fetch
        log.info("yfinance caches could not be opened in advance (%r)", err)


def _long_frame(wide: pd.DataFrame, symbols: Sequence[str]) -> pd.DataFrame:
    """``yf.download`` column frame -> long PRICE_COLUMNS rows, only where the symbol traded."""
    if not symbols:
        empty = {c: pd.Series(dtype="float64") for c in PRICE_COLUMNS}
        empty |= {"ticker": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[ns]")}
        return pd.DataFrame(empty)[list(PRICE_COLUMNS)]
    keep = wide.columns.get_level_values("Ticker").isin(list(symbols))
    keep &= wide.columns.get_level_values("Price").isin(list(_FIELDS))
    long = wide.loc[:, keep].stack(level="Ticker").rename(columns=_FIELDS)
    for col in _FIELDS.values():
        if col not in long.columns:
            long[col] = np.nan
    # The union of all symbols' dates leaves all-NaN rows on other exchanges' trading days.
    long = long.dropna(how="all", subset=list(_PRICE_FIELDS)).reset_index()
    long = long.rename(columns={"Ticker": "ticker", "Date": "date"})
    long["ticker"] = long["ticker"].astype(str)
    long["date"] = pd.to_datetime(long["date"]).dt.tz_localize(None).astype("datetime64[ns]")
    for col in (*_PRICE_FIELDS, "volume"):
        long[col] = long[col].astype("float64")
    return long[list(PRICE_COLUMNS)]


class YahooSource:
    """Yahoo Finance daily bars (network). See the module docstring for the method."""

    name: SourceName = "yahoo"
    synthetic = False
    supports_metadata = True  # see screener.sources.base.MetadataSource

    def __init__(
        self,
        *,
        chunk: int = settings.get("yahoo_chunk"),
        threads: int = settings.get("yahoo_threads"),
        pause: float = settings.get("yahoo_pause"),
        retries: int = settings.get("yahoo_retries"),
        timeout: float = settings.get("yahoo_timeout"),
        backoff: float = settings.get("yahoo_backoff"),
        deadline: float = settings.get("yahoo_deadline"),
        cache_dir: Path | None = None,
        session: Any = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if chunk < 1 or threads < 1 or retries < 0 or deadline <= 0:
            raise ValueError("chunk and threads must be >= 1, retries >= 0 and deadline > 0")
        self.chunk, self.threads, self.pause = chunk, threads, pause
        self.retries, self.timeout, self.backoff = retries, timeout, backoff
        self.deadline = deadline
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.session = session  # None: yfinance's own curl_cffi session (TLS-impersonating)
        self.sleep, self.clock = sleep, clock
        self.rng = rng or random.Random()
        self.download_calls = 0
        self.quote_calls = 0  # v7 quote (market cap) requests, retries included
        self._deadline_at: float | None = None  # set by the first fetch: one per refresh
        self._reachable = False  # the first fetch checks the network once
        self.answers = _Answers()  # what Yahoo answered to each chart request, by symbol

    # -- public ---------------------------------------------------------------------------
    def fetch(
        self,
        tickers: Sequence[str],
        start: dt.date | None,
        end: dt.date | None,
        *,
        want_metadata: bool | Collection[str] = True,
        quote_currencies: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """Daily bars for ``tickers`` from ``start`` to ``end`` inclusive.

        ``end=None`` means today; ``start=None`` means ``history_years`` before ``end``.
        ``want_metadata``: True (all fetched symbols), False, or the symbols to look up.
        ``quote_currencies``: known quote unit per symbol, for the symbols not looked up.
        """
        symbols = normalise_symbols(tickers)
        # A datetime is a date too; keep only the calendar day so the dates we pass are days.
        start = start.date() if isinstance(start, dt.datetime) else start
        end = end.date() if isinstance(end, dt.datetime) else (end or dt.date.today())
        start = start or end - dt.timedelta(days=round(365.25 * settings.get("history_years")))
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        if self._deadline_at is None:
            self._deadline_at = self.clock() + self.deadline
        _use_cache_dir(self.cache_dir)
        if self.session is None:  # one session for the refresh, so its answers can be read
            from yfinance.data import new_session

            self.session = new_session()
        self.answers.listen(self.session)
        if symbols:
            self._check_reachable()
        frames, failures = self._fetch_with_retries(symbols, start, end)
        ok = [s for s in symbols if s not in failures]
        prices = pd.concat(frames, ignore_index=True) if frames else _long_frame(_empty_wide(), [])
        wanted = (
            ok
            if want_metadata is True
            else []
            if want_metadata is False
            else [s for s in normalise_symbols(list(want_metadata)) if s in ok]
        )
        metas = self._metadata(wanted)
        known = {k.strip().upper(): v for k, v in (quote_currencies or {}).items() if v}
        instruments = pd.DataFrame(
            [self._instrument(s, metas.get(s, {}), known.get(s)) for s in ok],
            columns=list(INSTRUMENT_COLUMNS),
        )
        caps = self._market_caps(wanted, instruments)
        instruments["market_cap"] = [caps.get(s, np.nan) for s in instruments["ticker"]]
        for row in instruments.itertuples():
            if row.price_divisor != 1.0:
                mask = prices["ticker"] == row.ticker
                prices.loc[mask, list(_PRICE_FIELDS)] = (
                    prices.loc[mask, list(_PRICE_FIELDS)] / row.price_divisor
                )
        order = {s: i for i, s in enumerate(symbols)}
        prices = prices.sort_values(
            ["ticker", "date"], key=lambda c: c.map(order) if c.name == "ticker" else c
        )
        return FetchResult(
            source=self.name,
            synthetic=False,
            prices=prices.reset_index(drop=True),
            instruments=instruments.astype({"market_cap": "float64", "price_divisor": "float64"}),
            failures={s: failures[s].ledger() for s in symbols if s in failures},
            metadata_fetched=frozenset(metas),
        )

    # -- deadline, reachability -----------------------------------------------------------
    def _time_left(self, seconds: float = 0.0) -> bool:
        """True when waiting ``seconds`` still ends before the refresh's deadline."""
        return self._deadline_at is None or self.clock() + seconds < self._deadline_at

    def _deadline_failure(self, previous: Failure | None) -> Failure:
        why = f"yahoo_deadline of {self.deadline:g} s reached"
        if previous is None:
            return Failure(f"{why} before this symbol was fetched", "deadline")
        return Failure(f"{why}; the last attempt failed with {previous.ledger()}", "deadline")

    def _check_reachable(self) -> None:
        """Fail fast, with one message, when the network is down.

        Asks for yfinance's cookie and crumb (what its first request would ask for anyway, and
        then reuses for the process: no extra request when Yahoo answers). A DNS failure, a
        refused connection or a timeout there raises :class:`NetworkError` after at most two
        attempts (``fc.yahoo.com``, then yfinance's consent fallback), instead of every
        symbol's tz lookup and download failing through all the retries.
        """
        if self._reachable:
            return
        try:
            from yfinance.data import YfData
        except ImportError:  # pragma: no cover - a yfinance without it: let the download tell
            self._reachable = True
            return
        # Internal to yfinance (1.7), like YfData itself: if a release renames it, the check
        # is skipped and a dead network is still recognised after the first chunk.
        ask = getattr(YfData(session=self.session), "_get_cookie_and_crumb", None)
        if ask is None:  # pragma: no cover - depends on the yfinance release
            self._reachable = True
            return
        with yfinance_quiet():
            try:
                ask(timeout=self.timeout)
            except (YFException, OSError, _CurlError, ValueError) as err:
                if classify([repr(err)]) in ("network", "timeout"):
                    raise NetworkError(_unreachable(_curl_message(err))) from None
                # Anything else (a 429 on the crumb, say): Yahoo answered; the download decides.
        self._reachable = True

    # -- download + retry -----------------------------------------------------------------
    def _fetch_with_retries(
        self, symbols: list[str], start: dt.date, end: dt.date
    ) -> tuple[list[pd.DataFrame], dict[str, Failure]]:
        frames: list[pd.DataFrame] = []
        failures: dict[str, Failure] = {}
        todo = list(symbols)
        for attempt in range(self.retries + 1):
            if attempt:
                todo = [
                    s
                    for s, f in failures.items()
                    if f.kind in TRANSIENT or (f.kind == "not_found" and attempt == 1)
                ]
                if not todo:
                    break
                delay = self._backoff(attempt)
                if not self._time_left(delay):
                    for s in todo:
                        failures[s] = self._deadline_failure(failures[s])
                    break
                log.info(
                    "retry %d of %d for %d symbols in %.1f s",
                    attempt,
                    self.retries,
                    len(todo),
                    delay,
                )
                self.sleep(delay)
            if attempt:
                _forget_answers()  # else yfinance replays a bad answer from its lru cache
            for i in range(0, len(todo), self.chunk):
                if i and self._time_left(self.pause):
                    self.sleep(self.pause)
                if not self._time_left():
                    for s in todo[i:]:
                        failures[s] = self._deadline_failure(failures.get(s))
                    break
                part = todo[i : i + self.chunk]
                frame, failed = self._download(part, start, end)
                frames.append(frame)
                for s in part:
                    if s in failed:
                        failures[s] = failed[s]
                    else:
                        failures.pop(s, None)
                if attempt == 0 and i == 0 and not frame.size and failed:
                    self._raise_if_offline(failed)
        if not frames or not any(f.size for f in frames):
            self._raise_if_offline(failures)
        return [f for f in frames if f.size], failures

    def _backoff(self, retry: int) -> float:
        """Seconds before retry ``r``: ``backoff * 2**(r-1) * (1 + u)``, ``u ~ U[0, 1)``."""
        return float(self.backoff * 2 ** (retry - 1) * (1 + self.rng.random()))

    @staticmethod
    def _raise_if_offline(failures: dict[str, Failure]) -> None:
        # Offline: the network failed for at least one symbol and nothing else answered. A local
        # cache error (yfinance's SQLite tz cache locked by its own threads) proves nothing
        # either way, so it neither counts for nor against.
        kinds = {f.kind for f in failures.values()}
        if "network" in kinds and kinds <= {"network", "local"}:
            # Quote the network error itself, not the "possibly delisted" it caused.
            parts = [
                p for f in failures.values() for p in f.reason.split("; ") if NETWORK.search(p)
            ]
            raise NetworkError(_unreachable((parts or [next(iter(failures.values())).reason])[0]))

    def _download(
        self, part: list[str], start: dt.date, end: dt.date
    ) -> tuple[pd.DataFrame, dict[str, Failure]]:
        """One ``yf.download`` call: (long frame of the fetched symbols, failures)."""
        self.download_calls += 1
        with yfinance_quiet() as capture, _real_errors():
            try:
                wide = yf.download(
                    part,
                    start=start.isoformat(),
                    end=(end + dt.timedelta(days=1)).isoformat(),
                    interval="1d",
                    auto_adjust=False,
                    back_adjust=False,
                    actions=False,
                    repair=False,
                    keepna=False,
                    ignore_tz=True,
                    prepost=False,
                    rounding=False,
                    group_by="column",
                    multi_level_index=True,
                    threads=min(self.threads, len(part)),
                    progress=False,
                    timeout=self.timeout,
                    session=self.session,
                )
            except (YFException, OSError, _CurlError, ValueError) as err:  # the whole call failed
                kind: FailureKind = (
                    "rate_limit" if isinstance(err, YFRateLimitError) else classify([repr(err)])
                )
                return _long_frame(_empty_wide(), []), {s: Failure(repr(err), kind) for s in part}
        if wide is None or not isinstance(wide.columns, pd.MultiIndex):
            wide = _empty_wide()
        close = (
            wide["Close"] if "Close" in wide.columns.get_level_values("Price") else pd.DataFrame()
        )
        ok = [s for s in part if s in close.columns and close[s].notna().any()]
        logged = failures_from_log(capture.messages, set(part))
        failed = {
            s: self.answers.explain(
                s, logged.get(s, Failure("no data returned for the requested dates", "not_found"))
            )
            for s in part
            if s not in ok
        }
        return _long_frame(wide, ok), failed

    # -- metadata -------------------------------------------------------------------------
    def _metadata(self, symbols: list[str]) -> dict[str, dict[str, Any]]:
        """Chart ``meta`` per symbol: one 5-day chart request each (tz already cached)."""
        metas: dict[str, dict[str, Any]] = {}
        for i, sym in enumerate(symbols):
            if i and i % self.chunk == 0:
                self.sleep(self.pause)
            if not self._time_left():
                log.info(
                    "metadata of %d symbols not looked up: yahoo_deadline reached",
                    len(symbols) - i,
                )
                break
            with yfinance_quiet():
                try:
                    ticker = yf.Ticker(sym, session=self.session)
                    ticker.history(
                        period="5d",
                        interval="1d",
                        auto_adjust=False,
                        actions=False,
                        repair=False,
                        timeout=self.timeout,
                    )
                    meta = ticker.get_history_metadata()
                except (YFException, OSError, _CurlError, ValueError) as err:
                    log.info("metadata for %s unavailable (%r); using the exchange table", sym, err)
                    continue
            # Only plain keys: iterating the lazy mapping would fetch intraday `tradingPeriods`.
            found = {k: meta.get(k) for k in _META_KEYS} if meta else {}
            if found.get("currency"):
                metas[sym] = found
        return metas

    # -- market cap -----------------------------------------------------------------------
    def _market_caps(self, symbols: list[str], instruments: pd.DataFrame) -> dict[str, float]:
        """Market cap (major unit) per symbol from batched v7 quotes; misses are only logged.

        FX pairs and indices have none and are not asked for. If a batch still meets a rate
        limit or network error once its retries are spent, the later batches are skipped too:
        they would meet the same wall, and the prices are already in hand.
        """
        units = {r.ticker: (r.quote_currency, r.price_divisor) for r in instruments.itertuples()}
        todo = [s for s in symbols if s in units and not s.endswith("=X") and not s.startswith("^")]
        caps: dict[str, float] = {}
        for i in range(0, len(todo), self.chunk):
            batch = todo[i : i + self.chunk]
            if not self._time_left(self.pause):
                for sym in todo[i:]:
                    log.info("market cap for %s left NaN: yahoo_deadline reached", sym)
                break
            self.sleep(self.pause)  # every quote request follows a burst of chart requests
            quotes = self._quote_batch(batch)
            if isinstance(quotes, Failure):
                give_up = quotes.kind in ("rate_limit", "network")
                for sym in todo[i:] if give_up else batch:
                    log.info("market cap for %s left NaN: %s", sym, quotes.reason)
                if give_up:
                    break
                continue
            for sym in batch:
                cap, why = market_cap_major(quotes.get(sym), *units[sym])
                if why is None:
                    caps[sym] = cap
                else:
                    log.info("market cap for %s left NaN: %s", sym, why)
        return caps

    def _quote_batch(self, batch: list[str]) -> dict[str, Mapping[str, Any]] | Failure:
        """One v7 quote request for ``batch``: entries by symbol, or why it failed.

        Rate limits and network errors are retried with the price backoff; anything else
        (404, a body that is not JSON) is final. yfinance's ``YfData`` supplies the cookie and
        crumb the endpoint needs, and itself repeats a >= 400 answer once with its other
        cookie strategy, so one attempt is one or two HTTP requests.
        """
        try:
            # Internal to yfinance (1.7): if a release moves it, market caps go missing (logged)
            # and prices are unaffected.
            from yfinance.data import YfData
        except ImportError as err:
            return Failure(f"yfinance has no YfData to send a quote request with: {err}", "other")
        params = {"symbols": ",".join(batch), "formatted": "false", "lang": "en-US", "region": "US"}
        failure = Failure("no request made", "other")
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self._backoff(attempt)
                if not self._time_left(delay):
                    break
                self.sleep(delay)
            self.quote_calls += 1
            with yfinance_quiet():
                try:
                    data = YfData(session=self.session)
                    return quotes_by_symbol(data.get_raw_json(_QUOTE_URL, params, self.timeout))
                except (YFException, OSError, _CurlError, ValueError) as err:
                    kind: FailureKind = (
                        "rate_limit" if isinstance(err, YFRateLimitError) else classify([repr(err)])
                    )
                    failure = Failure(f"v7 quote request failed: {err!r}", kind)
                    if kind not in ("rate_limit", "network", "timeout", "server_error", "local"):
                        break
        return failure

    @staticmethod
    def _instrument(symbol: str, meta: dict[str, Any], known_quote: str | None) -> dict[str, Any]:
        fallback = exchanges.exchange_of(symbol)
        quote_ccy = meta.get("currency") or known_quote or (fallback.currency if fallback else None)
        currency, divisor = exchanges.major_unit(quote_ccy)
        return {
            "ticker": symbol,
            "name": meta.get("longName") or meta.get("shortName"),
            "currency": currency,
            "exchange": meta.get("fullExchangeName") or (fallback.name if fallback else None),
            "timezone": meta.get("exchangeTimezoneName")
            or (fallback.timezone if fallback else None),
            "market_cap": np.nan,  # filled from the v7 quote by _market_caps
            "price_divisor": divisor,
            "quote_currency": quote_ccy,
        }


class _Answers:
    """The HTTP status of each chart answer, and whether its body was JSON, per symbol.

    yfinance reads a chart body without looking at its status, so an HTTP 503 page, or a 500
    whose JSON says "error", reaches its log as "possibly delisted" or a JSON error. Listening
    on the session tells what Yahoo really said, for the ledger.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_symbol: dict[str, list[tuple[int, bool]]] = {}

    def listen(self, session: Any) -> None:
        """Record the answers ``session`` gets (wraps its ``request`` once; idempotent)."""
        original = getattr(session, "_screener_request", None) or session.request
        answers = self

        def request(*args: Any, **kwargs: Any) -> Any:
            response = original(*args, **kwargs)
            url = kwargs.get("url") or (args[1] if len(args) > 1 else "")
            answers.note(str(url), response)
            return response

        session._screener_request = original
        session.request = request

    def note(self, url: str, response: Any) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        if not path.startswith("/v8/finance/chart/"):
            return
        symbol = path.rsplit("/", 1)[-1].upper()
        status = int(getattr(response, "status_code", 0) or 0)
        body = bytes(getattr(response, "content", b"") or b"")
        with self._lock:
            self.by_symbol.setdefault(symbol, []).append((status, body.lstrip()[:1] == b"{"))

    def explain(self, symbol: str, failure: Failure) -> Failure:
        """``failure`` with the kind the last chart answer of ``symbol`` shows, if it shows one."""
        with self._lock:
            seen = list(self.by_symbol.get(symbol, []))
        if not seen or failure.kind in ("rate_limit", "network", "timeout", "local"):
            return failure
        status, is_json = seen[-1]
        if status >= 500:
            return Failure(f"Yahoo answered HTTP {status} ({failure.reason})", "server_error")
        if status < 400 and not is_json:
            return Failure(f"Yahoo's answer was not JSON ({failure.reason})", "bad_response")
        if status == 404:
            return Failure(
                f"Yahoo has no data for this symbol (HTTP 404): possibly delisted or renamed "
                f"({failure.reason})",
                "not_found",
            )
        return failure


def _forget_answers() -> None:
    """Clear yfinance's in-process cache of GETs (tz lookups and past-range charts)."""
    try:
        from yfinance.data import YfData

        YfData.cache_get.cache_clear()
    except (ImportError, AttributeError):  # pragma: no cover - a yfinance without it
        pass


def _curl_message(err: BaseException) -> str:
    """The error's own words (``curl: (6) Could not resolve host: ...``), not its repr."""
    text = str(err) or repr(err)
    return text.removeprefix("Failed to perform, ").rstrip(". ")


def _unreachable(detail: str) -> str:
    """The one message for a network that is down (a :class:`NetworkError`)."""
    return (
        f"network unreachable: Yahoo Finance could not be reached ({detail}). Check the "
        "connection. Use --offline to work from the stored prices, or --demo for synthetic data."
    )


@contextmanager
def _real_errors() -> Iterator[None]:
    """Let ``Ticker.history`` raise inside ``yf.download`` (which logs what it raised).

    With yfinance's default ``hide_exceptions`` a timeout, an HTTP 5xx or a body that is not
    JSON all end as "possibly delisted; no price data found", which would be retried as a
    wrong symbol. Raised, ``download`` logs the exception itself (``Timeout(...)``,
    ``JSONDecodeError(...)``), which :func:`~screener.sources.yahoo_log.classify` reads.
    """
    saved = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = False
    try:
        yield
    finally:
        yf.config.debug.hide_exceptions = saved


def _empty_wide() -> pd.DataFrame:
    return pd.DataFrame(
        columns=pd.MultiIndex.from_tuples([], names=["Price", "Ticker"]),
        index=pd.DatetimeIndex([], name="Date"),
    )
