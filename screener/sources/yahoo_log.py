"""Reading what yfinance and Yahoo say: log records -> failures, v7 quotes -> market caps.

``yf.download`` never raises for one bad symbol; the reason only reaches the ``yfinance``
logger. This module captures those records for the duration of one call
(:func:`yfinance_quiet`), maps them to symbols (:func:`failures_from_log`) and sorts a reason
into a :data:`FailureKind` (:func:`classify`). :func:`market_cap_major` reads one entry of a v7
quote response. Nothing here imports yfinance or makes a request, so
:mod:`screener.sources.yahoo` stays the one module that does.
"""

from __future__ import annotations

import ast
import logging
import math
import re
import warnings
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

#: The Yahoo source's logger: captured yfinance records are re-logged here at DEBUG.
log = logging.getLogger("screener.sources.yahoo")

#: Why a symbol could not be fetched; the fetch ledger (the store's fetch log) and the command's
#: output start each failure's reason with it (``"timeout: ..."``). Retried with backoff:
#: ``rate_limit`` (HTTP 429), ``timeout``, ``server_error`` (HTTP 5xx, Yahoo's "will be right
#: back" page), ``bad_response`` (a body that is not the JSON asked for: cut short, empty, an
#: HTML page), ``network`` (DNS failure, refused connection) and ``local`` (yfinance's own cache
#: on this machine). ``not_found`` (Yahoo's 404: a renamed or delisted symbol) is retried once,
#: ``deadline`` (``yahoo_deadline`` reached before the symbol's turn) and ``other`` never.
FailureKind = Literal[
    "rate_limit",
    "network",
    "timeout",
    "server_error",
    "bad_response",
    "not_found",
    "local",
    "deadline",
    "other",
]
#: Kinds worth another attempt after a backoff (``not_found`` gets one, separately).
TRANSIENT: frozenset[str] = frozenset(
    {"rate_limit", "network", "timeout", "server_error", "bad_response", "local", "other"}
)

#: The modules whose warnings a Yahoo call may raise: yfinance and what it calls into.
_THIRD_PARTY = r"(yfinance|curl_cffi|peewee|multitasking)(\.|$)"
RATE_LIMIT = re.compile(r"YFRateLimitError|Too Many Requests|Rate limited|\b429\b")
#: The network itself: no name resolution, no route, nothing listening (curl 6, 7).
NETWORK = re.compile(
    r"DNSError|Could not resolve|Connection refused|Couldn't connect|Failed to connect"
    r"|Network is unreachable|No route to host|curl: \((5|6|7)\)",
    re.IGNORECASE,
)
TIMEOUT = re.compile(r"Timeout|timed out|curl: \(28\)", re.IGNORECASE)
SERVER_ERROR = re.compile(
    r"HTTP Error 5\d\d|\b5\d\d (Server|Internal)|Internal Server Error|Bad Gateway"
    r"|Service Unavailable|Gateway Timeout|CURRENTLY DOWN|Will be right back"
    r"|curl: \((52|56)\)",
    re.IGNORECASE,
)
BAD_RESPONSE = re.compile(
    r"JSONDecodeError|Expecting value|Expecting property name|Unterminated string"
    r"|Expecting ',' delimiter|Extra data|<html",
    re.IGNORECASE,
)
NOT_FOUND = re.compile(r"possibly delisted|no timezone found|No data found|Not Found|\b404\b")
#: yfinance's own SQLite caches (time zones, cookies): a failure on this machine that says
#: nothing about Yahoo or the network.
LOCAL = re.compile(r"database is locked|OperationalError", re.IGNORECASE)
_ORDER: tuple[tuple[FailureKind, re.Pattern[str]], ...] = (
    ("rate_limit", RATE_LIMIT),
    ("network", NETWORK),
    ("timeout", TIMEOUT),
    ("server_error", SERVER_ERROR),
    ("bad_response", BAD_RESPONSE),
    ("not_found", NOT_FOUND),
    ("local", LOCAL),
)
_SUMMARY = re.compile(r"^(\[[^\]]*\]): (.*)$", re.DOTALL)  # "['A', 'B']: reason"
_TZ_CAUSE = re.compile(r"^Failed to get ticker '([^']+)' reason: (.*)$", re.DOTALL)
_SYMBOL_MSG = re.compile(r"^\$([^:\s]+): (.*)$", re.DOTALL)  # "$A: reason"


@dataclass(frozen=True)
class Failure:
    """Why one symbol could not be fetched; ``kind`` decides whether it is retried."""

    reason: str
    kind: FailureKind

    def ledger(self) -> str:
        """The reason as the fetch ledger and the command's output show it: kind first."""
        return f"{self.kind}: {self.reason}"


def classify(messages: Sequence[str]) -> FailureKind:
    """Failure kind of a symbol from every yfinance message naming it.

    The first kind in :data:`_ORDER` that any message shows wins: a rate limit or an
    unreachable network explains the "possibly delisted" that yfinance says after it, a
    timeout or a server error explains an empty answer, and only a plain 404 is "not found".
    """
    text = "\n".join(messages)
    for kind, pattern in _ORDER:
        if pattern.search(text):
            return kind
    return "other"


def failures_from_log(messages: Sequence[str], symbols: Collection[str]) -> dict[str, Failure]:
    """Map yfinance log messages to the symbols they name (symbols not named are absent)."""
    named: dict[str, list[str]] = {}
    for msg in messages:
        msg = msg.strip()
        syms: list[str] = []
        text = msg
        if m := _SUMMARY.match(msg):
            try:
                syms = [str(s) for s in ast.literal_eval(m.group(1))]
            except (ValueError, SyntaxError):
                continue
            text = m.group(2)
        elif m := (_TZ_CAUSE.match(msg) or _SYMBOL_MSG.match(msg)):
            syms, text = [m.group(1)], m.group(2)
            if msg.startswith("Failed to get ticker"):
                text = f"timezone lookup failed: {text}"
        for s in syms:
            if s.upper() in symbols and text not in named.setdefault(s.upper(), []):
                named[s.upper()].append(text)
    return {s: Failure("; ".join(texts), classify(texts)) for s, texts in named.items()}


class _Capture(logging.Handler):
    """Collects the message of every record yfinance logs while attached."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def drop_yfinance_warning_filter() -> int:
    """Remove the filter yfinance's import adds, which shows its DeprecationWarnings everywhere.

    ``import yfinance`` runs ``warnings.filterwarnings('default', category=DeprecationWarning,
    module='^yfinance')``: a process-wide filter that prints, once per line, every
    ``DeprecationWarning`` raised in yfinance's code (pandas 3.1's ``Pandas4Warning`` for its
    ``inplace=True`` calls among them), even where Python hides deprecation warnings by default.
    Only that entry is removed; :func:`yfinance_quiet` silences yfinance's warnings during our
    calls, and anything else follows the user's own filters. Returns how many were removed.
    """

    def is_yfinance_default(f: tuple[Any, ...]) -> bool:
        module = f[3]
        return (
            f[0] == "default"
            and f[2] is DeprecationWarning
            and module is not None
            and getattr(module, "pattern", module) == "^yfinance"
        )

    filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list at run time
    ours = [f for f in filters if is_yfinance_default(f)]
    for f in ours:
        filters.remove(f)
    if ours:
        mutated = getattr(warnings, "_filters_mutated", None)
        if callable(mutated):
            mutated()  # forget decisions taken under the removed filter
    return len(ours)


@contextmanager
def yfinance_quiet() -> Iterator[_Capture]:
    """Capture yfinance's log and silence the warnings it raises, for one call.

    yfinance 1.7 calls pandas with ``inplace=True``, which pandas 3.1 deprecates
    (``Pandas4Warning``, a ``DeprecationWarning``); under ``-W error`` that would fail every
    symbol, and with warnings shown (``-W default``, ``PYTHONWARNINGS``) it prints pandas'
    text on every refresh. Every warning attributed to yfinance (or curl_cffi, peewee,
    multitasking beneath it) is ignored inside the call, whatever its category; a warning
    from our own modules is not, inside the call or out. The records are our failure
    ledger, so they do not also propagate to the root logger (where they would print as
    noise); they are re-logged at DEBUG on the Yahoo source's logger.
    """
    yf_log = logging.getLogger("yfinance")
    capture = _Capture()
    saved = (yf_log.level, yf_log.propagate)
    if yf_log.getEffectiveLevel() > logging.WARNING:
        yf_log.setLevel(logging.WARNING)
    yf_log.addHandler(capture)
    yf_log.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=_THIRD_PARTY)
            yield capture
    finally:
        yf_log.removeHandler(capture)
        yf_log.setLevel(saved[0])
        yf_log.propagate = saved[1]
        for msg in capture.messages:
            log.debug("yfinance: %s", msg)


def quotes_by_symbol(payload: object) -> dict[str, Mapping[str, Any]]:
    """Entries of a v7 quote body ``{"quoteResponse": {"result": [...]}}`` by upper-case symbol.

    Yahoo leaves unknown symbols out of ``result`` instead of reporting them.
    """
    response = payload.get("quoteResponse") if isinstance(payload, dict) else None
    result = (response or {}).get("result") if isinstance(response, dict) else None
    return {str(q.get("symbol", "")).upper(): q for q in result or [] if isinstance(q, dict)}


def market_cap_major(
    quote: Mapping[str, Any] | None, quote_ccy: str | None, divisor: float
) -> tuple[float, str | None]:
    """Market cap from one v7 ``quote`` in the major unit of ``quote_ccy``: ``(value, why NaN)``.

    Yahoo reports ``marketCap`` in the listing's quote currency, but for minor-unit quotes
    (GBp, ZAc, ILA: ``divisor`` 100) in the *major* unit: LSEG.L at 7,390 GBp showed a market
    cap of 38.8bn on uk.finance.yahoo.com in 2022, i.e. about 526m shares x GBP 73.90, not
    pence. Because that convention is not documented, it is checked per symbol against the
    same quote: ``r = marketCap / (sharesOutstanding * regularMarketPrice)`` is about 1 when
    the cap is in the unit of the price (pence) and about ``1/divisor`` when it is in pounds.
    ``r >= 1/sqrt(divisor)`` (the geometric midpoint, 0.1) divides by ``divisor``; share-class
    mismatches move ``r`` by far less than the factor 10 either side. Without shares or price
    the major unit is assumed. A quote whose currency differs from ``quote_ccy`` (the unit the
    prices were converted with) gives NaN rather than a cap in the wrong currency.
    """
    if quote is None:
        return math.nan, "symbol missing from Yahoo's quote response"
    cap = _positive(quote.get("marketCap"))
    if cap is None:
        return math.nan, "Yahoo's quote has no marketCap (fund, ETF, or not reported)"
    ccy = quote.get("currency")
    if quote_ccy and isinstance(ccy, str) and ccy and ccy != quote_ccy:
        return math.nan, f"quote currency {ccy} differs from the price currency {quote_ccy}"
    if divisor == 1.0:
        return cap, None
    shares, price = (
        _positive(quote.get("sharesOutstanding")),
        _positive(quote.get("regularMarketPrice")),
    )
    if shares is not None and price is not None and cap / (shares * price) >= divisor**-0.5:
        return cap / divisor, None  # reported in the minor unit, like the price
    return cap, None


def _positive(value: object) -> float | None:
    """``value`` as a finite positive float, else None (Yahoo sends null, 0 or omits fields)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None
