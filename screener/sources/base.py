"""The source interface and the frames it hands to the store."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

import pandas as pd

SourceName = Literal["yahoo", "csv", "demo"]

#: Long price frame handed to the store: one row per (ticker, date). Prices are in the
#: instrument's *major* currency unit (GBP, not GBp). ``adj_close`` is split/dividend-adjusted;
#: ``close`` is the raw close. Missing values are NaN; ``volume`` is float (NaN allowed).
PRICE_COLUMNS: tuple[str, ...] = (
    "ticker",
    "date",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
)

#: Instrument metadata, one row per ticker. ``currency`` is the ISO code of the major unit;
#: ``price_divisor`` is what raw quotes were divided by (100 for GBp/ZAc/ILA, else 1).
INSTRUMENT_COLUMNS: tuple[str, ...] = (
    "ticker",
    "name",
    "currency",
    "exchange",
    "timezone",
    "market_cap",
    "price_divisor",
    "quote_currency",
)


@dataclass(frozen=True)
class FetchResult:
    """What one source call returns.

    ``prices`` has exactly :data:`PRICE_COLUMNS` (``date`` as ``datetime64``, tz-naive, the
    exchange's trading day). ``instruments`` has :data:`INSTRUMENT_COLUMNS` (NaN/None where
    unknown). ``failures`` maps a requested symbol to a human-readable reason; a symbol is in
    exactly one of ``prices`` or ``failures``. FX series (``AUDUSD=X``) are ordinary tickers.

    ``metadata_fetched`` names the tickers whose instrument row was looked up at the source in
    this call; the other rows hold guesses (Yahoo's exchange-table fallback) that the store
    uses only to fill fields it does not know yet. ``None`` (the default) means every row is
    the source's own metadata, as for the CSV and demo sources.
    """

    source: SourceName
    synthetic: bool
    prices: pd.DataFrame
    instruments: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)
    metadata_fetched: frozenset[str] | None = None


class PriceSource(Protocol):
    name: SourceName
    synthetic: bool

    def fetch(
        self, tickers: Sequence[str], start: date | None, end: date | None
    ) -> FetchResult:  # pragma: no cover - protocol
        """Daily bars for ``tickers`` from ``start`` to ``end`` (inclusive; None = source default)."""
        ...


class MetadataSource(PriceSource, Protocol):
    """A source whose metadata lookups cost extra requests, so a caller can ration them.

    Optional on top of :class:`PriceSource`: a class opts in with ``supports_metadata = True``
    (checked with ``getattr(source, "supports_metadata", False)``, so plain sources need no
    change). ``want_metadata``: True (every fetched symbol), False, or the symbols to look
    up. ``quote_currencies``: the quote unit already known per symbol (``'GBp'``, ``'USD'``),
    used for symbols not looked up instead of a guess from the exchange, because it decides
    the price divisor (a USD line on the LSE must not be divided by 100).
    """

    supports_metadata: bool

    def fetch(
        self,
        tickers: Sequence[str],
        start: date | None,
        end: date | None,
        *,
        want_metadata: bool | Collection[str] = True,
        quote_currencies: Mapping[str, str] | None = None,
    ) -> FetchResult:  # pragma: no cover - protocol
        """As :meth:`PriceSource.fetch`, looking up metadata only for ``want_metadata``."""
        ...
