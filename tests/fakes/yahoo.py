"""An offline Yahoo Finance for tests: yfinance's real code, a fake HTTP layer.

``FakeYahooSession`` subclasses ``curl_cffi.requests.Session`` (the backend yfinance uses by
default) and overrides ``request()``, so every GET/POST yfinance makes is answered by
:class:`FakeYahoo` from in-memory listings without any I/O. Because the responses are real
``curl_cffi`` ``Response`` objects, ``raise_for_status()`` and the exception classes are the
production ones, and yfinance's cookie/crumb flow, tz lookup and sqlite tz cache, chart
parsing, timezone handling, threads and frame assembly all run unchanged.

What the fake serves (shaped like Yahoo's v8 chart API):

* ``fc.yahoo.com`` -> 404 plus the ``A3`` cookie (the real host does exactly that);
* ``/v1/test/getcrumb`` -> a crumb;
* ``/v8/finance/chart/<SYM>`` with ``period1``/``period2`` (epoch seconds, end exclusive) or
  ``range=1d|5d|...``; unknown symbol -> Yahoo's 404 "No data found, symbol may be delisted";
* ``/v7/finance/quote?symbols=A,B`` -> one ``quoteResponse`` entry per known symbol (unknown
  ones are left out, as Yahoo does), with ``marketCap`` when the listing has ``shares``;
* ``/v10/finance/quoteSummary/<SYM>`` -> Yahoo's 404 "Quote not found" (yfinance only asks for
  it as a timezone fallback for unknown symbols), ``fundamentals-timeseries`` -> empty results.

Anything else is *refused*: recorded in ``FakeYahoo.refused`` and answered with a
``curl_cffi`` connection error, never passed through. The ``interval`` parameter is ignored
(daily bars only).
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import curl_cffi.requests as cr
import numpy as np
import pandas as pd
from curl_cffi.requests import exceptions as cr_exc

#: suffix -> (exchangeName, fullExchangeName, quote currency, timezone, session open)
#: as Yahoo's chart ``meta`` reports them.
YAHOO_EXCHANGES: dict[str, tuple[str, str, str, str, str]] = {
    "": ("NYQ", "NYSE", "USD", "America/New_York", "09:30"),
    ".AX": ("ASX", "ASX", "AUD", "Australia/Sydney", "10:00"),
    ".TO": ("TOR", "Toronto", "CAD", "America/Toronto", "09:30"),
    ".L": ("LSE", "LSE", "GBp", "Europe/London", "08:00"),
    ".T": ("JPX", "Tokyo", "JPY", "Asia/Tokyo", "09:00"),
    ".JO": ("JNB", "Johannesburg", "ZAc", "Africa/Johannesburg", "09:00"),
    "=X": ("CCY", "CCY", "USD", "Europe/London", "00:00"),
    # The shipped universe's other listings (codes as expected from Yahoo, not checked live).
    ".V": ("VAN", "TSXV", "CAD", "America/Toronto", "09:30"),
    ".BR": ("BRU", "Brussels", "EUR", "Europe/Brussels", "09:00"),
    ".KS": ("KSC", "KSE", "KRW", "Asia/Seoul", "09:00"),
    ".KQ": ("KOE", "KOSDAQ", "KRW", "Asia/Seoul", "09:00"),
    ".SR": ("SAU", "Saudi", "SAR", "Asia/Riyadh", "10:00"),
    ".SS": ("SHH", "Shanghai", "CNY", "Asia/Shanghai", "09:30"),
    ".SZ": ("SHZ", "Shenzhen", "CNY", "Asia/Shanghai", "09:30"),
    ".HK": ("HKG", "HKSE", "HKD", "Asia/Hong_Kong", "09:30"),
}

CRUMB = "FakeCrumb-0001"
_NOT_FOUND_CHART = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
_REASONS = {
    200: "OK",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FakeYahooRefused(cr_exc.ConnectionError):
    """The fake does not know this URL (it never passes a request through)."""


#: What a faulty chart answer looks like, by fault name (see :class:`Fault`).
FAULT_KINDS = ("timeout", "status", "malformed", "empty", "html", "refused", "dns")


@dataclass(frozen=True)
class Fault:
    """A fault the fake serves on a symbol's chart requests, the first ``times`` of them.

    ``kind``: ``timeout`` (curl 28, as after ``yahoo_timeout``), ``status`` (HTTP ``status``,
    e.g. 500/502/503, with Yahoo's JSON error body or, for 502/503, an HTML page), ``malformed``
    (200 with JSON cut short), ``empty`` (200, no body), ``html`` (200 with an HTML page, as a
    captive portal or Yahoo's "will be right back" page), ``refused`` (curl 7) and ``dns``
    (curl 6). ``times=None``: every request. A renamed or delisted symbol needs no fault: it
    is simply not listed (Yahoo's 404 "No data found").
    """

    kind: str
    times: int | None = None
    status: int = 503

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r} (choose {', '.join(FAULT_KINDS)})")


@dataclass(frozen=True)
class Listing:
    """One instrument the fake knows: chart ``meta`` fields plus daily bars.

    ``bars`` is indexed by tz-naive trading dates with columns
    ``open high low close adj_close volume``; prices are in ``currency`` (so pence for GBp).
    """

    symbol: str
    exchange: str
    full_exchange: str
    currency: str
    timezone: str
    session_open: str
    bars: pd.DataFrame
    long_name: str | None = None
    instrument_type: str = "EQUITY"
    shares: float | None = None


def make_listing(
    symbol: str,
    start: str,
    end: str,
    *,
    seed: int,
    price: float,
    holidays: Iterable[str] = (),
    ex_dividend: str | None = None,
    dividend_factor: float = 0.97,
    long_name: str | None = None,
    shares: float | None = None,
    kind: str | None = None,
) -> Listing:
    """A listing with seeded random-walk bars on weekdays of ``[start, end]`` minus ``holidays``.

    ``adj_close`` equals ``close`` from ``ex_dividend`` on and ``close * dividend_factor``
    before it, the way Yahoo back-adjusts for a cash dividend. ``kind`` is Yahoo's
    ``quoteType`` (``EQUITY``, or ``CURRENCY`` for ``=X``, unless given: ``ETF``).
    """
    sfx = "=X" if symbol.endswith("=X") else (symbol[symbol.rfind(".") :] if "." in symbol else "")
    exch, full, ccy, tz, opening = YAHOO_EXCHANGES[sfx]
    days = pd.bdate_range(start, end).difference(pd.DatetimeIndex(pd.to_datetime(list(holidays))))
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, 0.02, len(days))))
    open_ = close * (1 + rng.normal(0.0, 0.005, len(days)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, 0.005, len(days))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, 0.005, len(days))))
    volume = rng.integers(10_000, 2_000_000, len(days)).astype(float)
    adj = close.copy()
    if ex_dividend is not None:
        adj = np.where(days < pd.Timestamp(ex_dividend), close * dividend_factor, close)
    bars = pd.DataFrame(
        {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "adj_close": adj,
            "volume": volume,
        },
        index=days,
    )
    kind = kind or ("CURRENCY" if sfx == "=X" else "EQUITY")
    return Listing(
        symbol, exch, full, ccy, tz, opening, bars, long_name or f"{symbol} Fake Corp", kind, shares
    )


def _epoch(listing: Listing, day: pd.Timestamp) -> int:
    """Yahoo stamps a daily bar at the exchange's session open, as UTC epoch seconds."""
    hh, mm = map(int, listing.session_open.split(":"))
    local = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(listing.timezone))
    return int(local.timestamp())


def chart_payload(listing: Listing, bars: pd.DataFrame, range_label: str) -> dict[str, Any]:
    """A v8 chart ``result`` with the fields yfinance reads (meta, timestamp, indicators)."""
    stamps = [_epoch(listing, d) for d in bars.index]
    offset = int(dt.datetime.now(ZoneInfo(listing.timezone)).utcoffset().total_seconds())  # type: ignore[union-attr]
    last = stamps[-1] if stamps else 0

    def period(a: int, b: int) -> dict[str, Any]:
        return {"timezone": "X", "start": a, "end": b, "gmtoffset": offset}

    def values(col: str) -> list[float | None]:
        return [None if pd.isna(v) else float(v) for v in bars[col].tolist()]

    meta = {
        "currency": listing.currency,
        "symbol": listing.symbol,
        "exchangeName": listing.exchange,
        "fullExchangeName": listing.full_exchange,
        "instrumentType": listing.instrument_type,
        "firstTradeDate": _epoch(listing, listing.bars.index[0]),
        "regularMarketTime": last,
        "hasPrePostMarketData": False,
        "gmtoffset": offset,
        "timezone": "X",
        "exchangeTimezoneName": listing.timezone,
        "regularMarketPrice": float(bars["close"].iloc[-1]) if len(bars) else None,
        "chartPreviousClose": float(bars["close"].iloc[0]) if len(bars) else None,
        "priceHint": 2,
        "longName": listing.long_name,
        "shortName": listing.long_name,
        "currentTradingPeriod": {
            "pre": period(last - 3600, last),
            "regular": period(last, last + 6 * 3600),
            "post": period(last + 6 * 3600, last + 8 * 3600),
        },
        "dataGranularity": "1d",
        "range": range_label,
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    quote = {k: values(k) for k in ("open", "high", "low", "close")}
    quote["volume"] = [None if pd.isna(v) else int(v) for v in bars["volume"].tolist()]
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": values("adj_close")}]},
    }
    return {"chart": {"result": [result], "error": None}}


#: Quote units worth 1/100 of the ISO currency (Yahoo's own minor-unit codes).
MINOR_UNITS = {"GBp": 100.0, "ZAc": 100.0, "ILA": 100.0}


def quote_entry(listing: Listing) -> dict[str, Any]:
    """One v7 ``quoteResponse.result`` entry, with the fields and types Yahoo sends.

    ``regularMarketPrice`` is in the quote unit (pence for GBp); ``marketCap`` is
    ``sharesOutstanding * price`` in the *major* unit (GBP for a GBp quote), as Yahoo reports
    it. Listings without ``shares`` (FX, funds) get neither field.
    """
    bars = listing.bars
    price = float(bars["close"].iloc[-1])
    offset = int(dt.datetime.now(ZoneInfo(listing.timezone)).utcoffset().total_seconds())  # type: ignore[union-attr]
    entry: dict[str, Any] = {
        "language": "en-US",
        "region": "US",
        "quoteType": listing.instrument_type,
        "typeDisp": listing.instrument_type.title(),
        "quoteSourceName": "Delayed Quote",
        "triggerable": False,
        "customPriceAlertConfidence": "LOW",
        "currency": listing.currency,
        "exchange": listing.exchange,
        "shortName": listing.long_name,
        "longName": listing.long_name,
        "messageBoardId": f"finmb_{abs(hash(listing.symbol)) % 10**8}",
        "exchangeTimezoneName": listing.timezone,
        "exchangeTimezoneShortName": "X",
        "gmtOffSetMilliseconds": offset * 1000,
        "market": "fake_market",
        "esgPopulated": False,
        "marketState": "CLOSED",
        "regularMarketPrice": price,
        "regularMarketTime": _epoch(listing, bars.index[-1]),
        "regularMarketVolume": int(bars["volume"].iloc[-1]),
        "regularMarketPreviousClose": float(bars["close"].iloc[-2]),
        "fullExchangeName": listing.full_exchange,
        "financialCurrency": listing.currency,
        "priceHint": 2,
        "tradeable": False,
        "cryptoTradeable": False,
        "sourceInterval": 15,
        "exchangeDataDelayedBy": 0,
        "firstTradeDateMilliseconds": _epoch(listing, bars.index[0]) * 1000,
        "symbol": listing.symbol,
    }
    if listing.shares is not None:
        entry["sharesOutstanding"] = int(listing.shares)
        entry["marketCap"] = round(listing.shares * price / MINOR_UNITS.get(listing.currency, 1.0))
    return entry


@dataclass
class FakeYahoo:
    """The fake server: routes URLs to canned Yahoo answers and records every call.

    ``rate_limited`` maps a symbol to seconds (on the fake clock) during which its chart
    requests get HTTP 429; :meth:`advance` moves the clock, so passing it as the code under
    test's ``sleep`` lifts the limit exactly when the client backs off long enough.
    ``down`` makes every request fail like an unreachable network (a curl DNS error, or with
    ``down="refused"`` a refused connection); ``unreachable`` makes the chart and quote
    requests of some symbols time out; ``faults`` serves a :class:`Fault` on a symbol's chart
    requests (``fault_hits`` counts them). ``hits_429`` counts the 429 answers per symbol.

    The v7 quote endpoint answers 429 while the clock is below ``quote_rate_limited``, and with
    ``quote_status`` (e.g. 404) when that is set; ``quote_overrides`` replaces fields of a
    symbol's quote entry (``None`` removes the field).
    """

    listings: dict[str, Listing] = field(default_factory=dict)
    rate_limited: dict[str, float] = field(default_factory=dict)
    down: bool | str = False
    unreachable: set[str] = field(default_factory=set)
    faults: dict[str, Fault] = field(default_factory=dict)
    fault_hits: dict[str, int] = field(default_factory=dict)
    hits_429: dict[str, int] = field(default_factory=dict)
    quote_rate_limited: float = 0.0
    quote_status: int | None = None
    quote_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: float = 0.0
    calls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *listings: Listing) -> FakeYahoo:
        for listing in listings:
            self.listings[listing.symbol] = listing
        return self

    def session(self) -> FakeYahooSession:
        """A fresh curl_cffi session wired to this server (pass it as ``session=``)."""
        return FakeYahooSession(self)

    def advance(self, seconds: float) -> None:
        """Fake passage of time (use as the code under test's ``sleep``)."""
        with self._lock:
            self.clock += seconds

    def chart_calls(self, symbol: str) -> list[dict[str, str]]:
        """Query parameters of every chart request made for ``symbol``, in order."""
        out = []
        for call in list(self.calls):
            u = urllib.parse.urlsplit(call.split(" ", 1)[1])
            if urllib.parse.unquote(u.path) == f"/v8/finance/chart/{symbol}":
                out.append({k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()})
        return out

    def quote_calls(self) -> list[list[str]]:
        """The ``symbols`` of every v7 quote request, in order (one list per HTTP request)."""
        out = []
        for call in list(self.calls):
            u = urllib.parse.urlsplit(call.split(" ", 1)[1])
            if u.path == "/v7/finance/quote":
                syms = urllib.parse.parse_qs(u.query).get("symbols", [""])[0]
                out.append([s for s in syms.split(",") if s])
        return out

    def route(self, method: str, url: str) -> tuple[int, bytes, str]:
        """Answer one request: ``(status, body, content type)``; raise for unknown URLs."""
        with self._lock:
            self.calls.append(f"{method} {url}")
        if self.down:
            host = urllib.parse.urlsplit(url).hostname
            if self.down == "refused":
                raise cr_exc.ConnectionError(
                    f"Failed to perform, curl: (7) Failed to connect to {host} port 443 after "
                    "0 ms: Couldn't connect to server. Connection refused",
                    7,
                )
            raise cr_exc.DNSError(
                f"Failed to perform, curl: (6) Could not resolve host: {host}.", 6
            )
        u = urllib.parse.urlsplit(url)
        path = urllib.parse.unquote(u.path)
        if u.hostname == "fc.yahoo.com":
            return 404, b"", "text/html"
        if u.hostname in ("query1.finance.yahoo.com", "query2.finance.yahoo.com"):
            if path == "/v1/test/getcrumb":
                return 200, CRUMB.encode(), "text/plain"
            if m := re.fullmatch(r"/v8/finance/chart/([^/]+)", path):
                return self._chart(m.group(1), urllib.parse.parse_qs(u.query))
            if m := re.fullmatch(r"/v10/finance/quoteSummary/([^/]+)", path):
                body = {
                    "quoteSummary": {
                        "result": None,
                        "error": {
                            "code": "Not Found",
                            "description": f"Quote not found for symbol: {m.group(1)}",
                        },
                    }
                }
                return 404, json.dumps(body).encode(), "application/json"
            if path == "/v7/finance/quote":
                return self._quote(urllib.parse.parse_qs(u.query))
            if "/fundamentals-timeseries/" in path:
                return 200, b'{"timeseries":{"result":[],"error":null}}', "application/json"
        with self._lock:
            self.refused.append(f"{method} {url}")
        raise FakeYahooRefused(f"fake Yahoo refuses unknown URL {method} {url}")

    def _quote(self, query: dict[str, list[str]]) -> tuple[int, bytes, str]:
        with self._lock:
            limited = self.quote_rate_limited > self.clock
        symbols = [s.strip().upper() for s in query.get("symbols", [""])[0].split(",") if s.strip()]
        if self.unreachable.intersection(symbols):
            raise cr_exc.ConnectTimeout(
                "Failed to perform, curl: (28) Connection timed out after 20001 ms", 28
            )
        if limited:
            return 429, b"Too Many Requests\r\n", "text/plain"
        if self.quote_status is not None:
            body = {
                "finance": {
                    "result": None,
                    "error": {
                        "code": _REASONS.get(self.quote_status, "Error"),
                        "description": f"HTTP {self.quote_status} {_REASONS.get(self.quote_status, '')}",
                    },
                }
            }
            return self.quote_status, json.dumps(body).encode(), "application/json"
        result = []
        for sym in symbols:
            listing = self.listings.get(sym)
            if listing is None:
                continue
            entry = quote_entry(listing)
            for key, value in self.quote_overrides.get(listing.symbol, {}).items():
                if value is None:
                    entry.pop(key, None)
                else:
                    entry[key] = value
            result.append(entry)
        body = {"quoteResponse": {"result": result, "error": None}}
        return 200, json.dumps(body).encode(), "application/json"

    def requests_by_path(self) -> dict[str, int]:
        """How many requests went to each kind of path (``chart``, ``quote``, ``crumb``, ...)."""
        counts: dict[str, int] = {}
        for call in list(self.calls):
            u = urllib.parse.urlsplit(call.split(" ", 1)[1])
            path = urllib.parse.unquote(u.path)
            key = (
                "cookie"
                if u.hostname == "fc.yahoo.com"
                else "chart"
                if path.startswith("/v8/finance/chart/")
                else "quote"
                if path == "/v7/finance/quote"
                else "crumb"
                if path == "/v1/test/getcrumb"
                else f"other {u.hostname}{path}"
            )
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _fault(self, symbol: str) -> tuple[int, bytes, str] | None:
        """The faulty answer due for this chart request of ``symbol``, if any (or raise)."""
        fault = self.faults.get(symbol)
        if fault is None:
            return None
        with self._lock:
            hits = self.fault_hits.get(symbol, 0)
            if fault.times is not None and hits >= fault.times:
                return None
            self.fault_hits[symbol] = hits + 1
        host = "query2.finance.yahoo.com"
        if fault.kind == "timeout":
            raise cr_exc.Timeout(
                "Failed to perform, curl: (28) Operation timed out after 20002 milliseconds "
                "with 0 bytes received",
                28,
            )
        if fault.kind == "refused":
            raise cr_exc.ConnectionError(
                f"Failed to perform, curl: (7) Failed to connect to {host} port 443 after 0 ms: "
                "Couldn't connect to server. Connection refused",
                7,
            )
        if fault.kind == "dns":
            raise cr_exc.DNSError(
                f"Failed to perform, curl: (6) Could not resolve host: {host}.", 6
            )
        if fault.kind == "malformed":
            return (
                200,
                b'{"chart":{"result":[{"meta":{"currency":"USD","symbol":',
                "application/json",
            )
        if fault.kind == "empty":
            return 200, b"", "application/json"
        page = b"<html><head><title>Yahoo</title></head><body>Will be right back...</body></html>"
        if fault.kind == "html":
            return 200, page, "text/html"
        if fault.status in (502, 503, 504):
            return fault.status, page, "text/html"
        body = {
            "chart": {
                "result": None,
                "error": {"code": "Internal Server Error", "description": "fake server error"},
            }
        }
        return fault.status, json.dumps(body).encode(), "application/json"

    def _chart(self, symbol: str, query: dict[str, list[str]]) -> tuple[int, bytes, str]:
        if (faulty := self._fault(symbol)) is not None:
            return faulty
        with self._lock:
            limited = self.rate_limited.get(symbol, 0.0) > self.clock
        if symbol in self.unreachable:
            raise cr_exc.ConnectTimeout(
                "Failed to perform, curl: (28) Connection timed out after 20001 ms", 28
            )
        if limited:
            with self._lock:
                self.hits_429[symbol] = self.hits_429.get(symbol, 0) + 1
            return 429, b"Too Many Requests\r\n", "text/plain"
        listing = self.listings.get(symbol)
        if listing is None:
            return 404, json.dumps(_NOT_FOUND_CHART).encode(), "application/json"
        bars = listing.bars
        if "period1" in query:
            p1, p2 = int(query["period1"][0]), int(query["period2"][0])
            stamps = np.array([_epoch(listing, d) for d in bars.index])
            bars, label = bars[(stamps >= p1) & (stamps < p2)], "1mo"
        else:
            label = query.get("range", ["1mo"])[0]
            bars = bars.iloc[-{"1d": 1, "5d": 5}.get(label, len(bars)) :]
        return 200, json.dumps(chart_payload(listing, bars, label)).encode(), "application/json"


class FakeYahooSession(cr.Session):  # type: ignore[misc]
    """A curl_cffi session whose ``request()`` asks :class:`FakeYahoo` instead of the network."""

    def __init__(self, server: FakeYahoo) -> None:
        super().__init__(impersonate="chrome")
        self.server = server

    def request(self, method: str, url: str, params: Any = None, **kwargs: Any) -> cr.Response:
        if params:
            url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        status, body, ctype = self.server.route(method, url)
        if urllib.parse.urlsplit(url).hostname == "fc.yahoo.com":
            # The real host answers 404 but sets the A3 cookie that yfinance then persists.
            self.cookies.jar.set_cookie(
                http.cookiejar.Cookie(
                    0,
                    "A3",
                    "d=FAKE",
                    None,
                    False,
                    ".yahoo.com",
                    True,
                    True,
                    "/",
                    True,
                    True,
                    int(time.time()) + 86_400,
                    False,
                    None,
                    None,
                    {},
                )
            )
        response = cr.Response()
        response.url, response.status_code, response.content = url, status, body
        response.reason, response.ok = _REASONS.get(status, ""), 200 <= status < 400
        response.headers = cr.Headers({"Content-Type": ctype})
        return response


def reset_yfinance_state(cache_dir: str | None = None) -> None:
    """Forget yfinance's process-global state so tests do not leak into each other.

    The ``YfData`` singleton (session, cookie, crumb), the lru cache of past-range GETs, the
    twice-per-process tz->info fallback budget, and the sqlite tz/cookie caches (pointed at
    ``cache_dir`` and re-opened there).
    """
    import yfinance as yf
    import yfinance.base
    import yfinance.cache
    import yfinance.data

    yfinance.data.YfData._instances.clear()
    yfinance.data.YfData.cache_get.cache_clear()
    yfinance.base._tz_info_fetch_ctr = 0
    if cache_dir is not None:
        yf.set_tz_cache_location(cache_dir)
    yfinance.cache._TzCacheManager._tz_cache = None
    yfinance.cache._CookieCacheManager._Cookie_cache = None
    yfinance.cache._ISINCacheManager._isin_cache = None
