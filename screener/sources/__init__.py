"""Price sources behind one small interface (:class:`screener.sources.base.Source`).

``yahoo`` (yfinance; the only module that imports it), ``csv`` (the user's own export) and
``demo`` (synthetic, always labelled). Nothing downstream reads a source directly: sources
feed the store, and everything else reads the store.
"""

from __future__ import annotations

from screener.sources.base import PRICE_COLUMNS, FetchResult, Source, get_source

__all__ = ["PRICE_COLUMNS", "FetchResult", "Source", "get_source"]
