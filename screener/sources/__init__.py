"""Price sources behind one small interface (:class:`screener.sources.base.PriceSource`).

``yahoo`` (yfinance; the only module that imports it), ``csv`` (the user's own export) and
``demo`` (synthetic, always labelled). Nothing downstream reads a source directly: sources
feed the store, and everything else reads the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from screener.sources.base import PRICE_COLUMNS, FetchResult, PriceSource, SourceName
from screener.universe.records import Company, Universe

__all__ = ["PRICE_COLUMNS", "FetchResult", "Mode", "PriceSource", "get_source", "make_source"]

#: Where a command's prices come from: Yahoo, the synthetic demo, or the store alone.
Mode = Literal["yahoo", "demo", "offline"]


def get_source(name: SourceName, **kwargs: object) -> PriceSource:
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


def demo_profile(company: Company) -> str:
    """Volatility profile of the synthetic demo prices (explorers wilder than producers)."""
    if company.china.hq_in_china or company.china.state_control:
        return "contrast"
    statuses = {s.status for s in company.segments}
    if (
        company.ree_revenue_share is not None
        and company.ree_revenue_share < 0.25
        and company.revenue_basis != "pre_revenue"
    ):
        return "diversified"
    if "producing" in statuses:
        return "producer"
    if statuses & {"commissioning", "construction", "development"}:
        return "developer"
    return "explorer"


def make_source(mode: Mode, universe: Universe, data_dir: Path) -> PriceSource:
    if mode == "demo":
        profiles = {t: demo_profile(c) for c in universe.listed for t in c.tickers}
        profiles.update({b.symbol: b.role for b in universe.benchmarks})
        events = [e.date for e in universe.events if not e.scheduled]
        return get_source("demo", profiles=profiles, event_dates=events)
    return get_source("yahoo", cache_dir=data_dir / "yfinance-cache")
