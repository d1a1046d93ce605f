"""The source interface and the frames it hands to the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

import pandas as pd

SourceName = Literal["yahoo", "csv", "demo"]

#: Long price frame handed to the store: one row per (ticker, date). Prices are in the
#: instrument's *major* currency unit (GBP, not GBp). ``adj_close`` is split/dividend-adjusted;
#: ``close`` is the raw close. Missing values are NaN; ``volume`` is float (NaN allowed).
PRICE_COLUMNS: tuple[str, ...] = (
    "ticker", "date", "open", "high", "low", "close", "adj_close", "volume",
)

#: Instrument metadata, one row per ticker. ``currency`` is the ISO code of the major unit;
#: ``price_divisor`` is what raw quotes were divided by (100 for GBp/ZAc/ILA, else 1).
INSTRUMENT_COLUMNS: tuple[str, ...] = (
    "ticker", "name", "currency", "exchange", "timezone", "market_cap", "price_divisor",
    "quote_currency",
)


@dataclass(frozen=True)
class FetchResult:
    """What one source call returns.

    ``prices`` has exactly :data:`PRICE_COLUMNS` (``date`` as ``datetime64``, tz-naive, the
    exchange's trading day). ``instruments`` has :data:`INSTRUMENT_COLUMNS` (NaN/None where
    unknown). ``failures`` maps a requested symbol to a human-readable reason; a symbol is in
    exactly one of ``prices`` or ``failures``. FX series (``AUDUSD=X``) are ordinary tickers.
    """

    source: SourceName
    synthetic: bool
    prices: pd.DataFrame
    instruments: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)


class Source(Protocol):
    name: SourceName
    synthetic: bool

    def fetch(
        self, tickers: Sequence[str], start: date | None, end: date | None
    ) -> FetchResult:  # pragma: no cover - protocol
        """Daily bars for ``tickers`` from ``start`` to ``end`` (inclusive; None = source default)."""
        ...


def get_source(name: SourceName, **kwargs: object) -> Source:
    """Instantiate a source by name. Imports lazily: only ``yahoo`` pulls in yfinance."""
    if name == "yahoo":
        from screener.sources.yahoo import YahooSource

        return YahooSource(**kwargs)  # type: ignore[arg-type]
    if name == "demo":
        from screener.sources.demo import DemoSource

        return DemoSource(**kwargs)  # type: ignore[arg-type]
    if name == "csv":
        from screener.sources.csvfile import CsvSource

        return CsvSource(**kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown source {name!r}: choose yahoo, csv or demo")
