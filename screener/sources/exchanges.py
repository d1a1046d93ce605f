"""Yahoo symbol suffixes: exchange, currency and timezone, and minor currency units.

Used as a fallback when a source does not report an instrument's currency (the demo source,
a CSV without a currency column) and to normalise quotes in minor units (pence, cents, agorot)
to the major unit every other module works in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    suffix: str
    name: str
    currency: str  # the currency prices are quoted in on Yahoo (may be a minor unit)
    timezone: str
    #: End of the regular session (closing auction included), local time, HH:MM. The event
    #: study uses it to put an announcement after the close on the next session and to align
    #: a New York benchmark's close with this exchange's close.
    close: str = "16:00"


_EXCHANGES = (
    Exchange("", "US (NYSE/Nasdaq/NYSE American/OTC)", "USD", "America/New_York"),
    Exchange(".AX", "ASX", "AUD", "Australia/Sydney", "16:10"),
    Exchange(".TO", "TSX", "CAD", "America/Toronto"),
    Exchange(".V", "TSX Venture", "CAD", "America/Toronto"),
    Exchange(".CN", "CSE", "CAD", "America/Toronto"),
    Exchange(".NE", "Cboe Canada", "CAD", "America/Toronto"),
    Exchange(".L", "London Stock Exchange", "GBp", "Europe/London", "16:30"),
    Exchange(".IL", "LSE International Order Book", "USD", "Europe/London", "16:30"),
    Exchange(".T", "Tokyo Stock Exchange", "JPY", "Asia/Tokyo", "15:30"),
    Exchange(".KS", "Korea Exchange (KOSPI)", "KRW", "Asia/Seoul", "15:30"),
    Exchange(".KQ", "KOSDAQ", "KRW", "Asia/Seoul", "15:30"),
    Exchange(".SR", "Saudi Exchange (Tadawul)", "SAR", "Asia/Riyadh", "15:10"),
    Exchange(".SS", "Shanghai Stock Exchange", "CNY", "Asia/Shanghai", "15:00"),
    Exchange(".SZ", "Shenzhen Stock Exchange", "CNY", "Asia/Shanghai", "15:00"),
    Exchange(".HK", "Hong Kong Exchange", "HKD", "Asia/Hong_Kong", "16:10"),
    Exchange(".PA", "Euronext Paris", "EUR", "Europe/Paris", "17:35"),
    Exchange(".BR", "Euronext Brussels", "EUR", "Europe/Brussels", "17:35"),
    Exchange(".AS", "Euronext Amsterdam", "EUR", "Europe/Amsterdam", "17:35"),
    Exchange(".DE", "Xetra", "EUR", "Europe/Berlin", "17:35"),
    Exchange(".F", "Frankfurt", "EUR", "Europe/Berlin", "20:00"),
    Exchange(".JO", "Johannesburg", "ZAc", "Africa/Johannesburg", "17:00"),
    Exchange(".TA", "Tel Aviv", "ILA", "Asia/Jerusalem", "17:25"),
    Exchange(".SA", "B3 (Brazil)", "BRL", "America/Sao_Paulo", "17:00"),
    Exchange(".NS", "NSE India", "INR", "Asia/Kolkata", "15:30"),
    Exchange(".KL", "Bursa Malaysia", "MYR", "Asia/Kuala_Lumpur", "17:00"),
    Exchange(".OL", "Oslo Bors", "NOK", "Europe/Oslo", "16:25"),
    Exchange(".ST", "Nasdaq Stockholm", "SEK", "Europe/Stockholm", "17:30"),
    Exchange(".NZ", "NZX", "NZD", "Pacific/Auckland", "16:45"),
)

EXCHANGES: dict[str, Exchange] = {e.suffix: e for e in _EXCHANGES}

#: Yahoo quote units that are 1/100 of a major currency: unit -> (major currency, divisor).
MINOR_UNITS: dict[str, tuple[str, float]] = {
    "GBp": ("GBP", 100.0),
    "GBX": ("GBP", 100.0),
    "ZAc": ("ZAR", 100.0),
    "ZAC": ("ZAR", 100.0),
    "ILA": ("ILS", 100.0),
}


def suffix(symbol: str) -> str:
    """``'LYC.AX' -> '.AX'``; US symbols (``'MP'``, ``'BRK-B'``) and FX/indices -> ``''``."""
    s = symbol.strip().upper()
    if s.endswith("=X") or s.startswith("^"):
        return ""
    dot = s.rfind(".")
    if dot <= 0:
        return ""
    return "." + s[dot + 1 :]


def exchange_of(symbol: str) -> Exchange | None:
    """The exchange a Yahoo symbol trades on, or None for an unknown suffix."""
    return EXCHANGES.get(suffix(symbol))


def major_unit(currency: str | None) -> tuple[str | None, float]:
    """``'GBp' -> ('GBP', 100.0)``; a major currency maps to itself with divisor 1."""
    if currency is None:
        return None, 1.0
    if currency in MINOR_UNITS:
        return MINOR_UNITS[currency]
    return currency.upper(), 1.0


def fx_symbol(currency: str) -> str:
    """Yahoo symbol of the USD rate of ``currency``: ``'AUD' -> 'AUDUSD=X'`` (USD per 1 AUD)."""
    return f"{currency.upper()}USD=X"


def fx_for(currencies: Sequence[str | None]) -> list[str]:
    """The FX symbols (USD per unit) needed to convert these currencies, minor units folded."""
    majors = {major_unit(c)[0] for c in currencies if c}
    return [fx_symbol(c) for c in sorted(m for m in majors if m and m != "USD")]
