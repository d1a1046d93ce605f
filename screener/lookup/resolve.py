"""Resolve what the user typed: a listing symbol or company id, or a symbol outside the universe."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from screener.errors import NotFoundError, SymbolError
from screener.universe.records import Company, Universe
from screener.universe.symbols import parse_symbol


def find_company(universe: Universe, query: str) -> Company:
    """A company by any listing symbol or its id; NotFoundError with close matches otherwise."""
    company = universe.find(query)
    if company is not None:
        return company
    candidates = {t.upper(): t for c in universe.companies for t in c.tickers}
    candidates.update({c.id.upper(): c.id for c in universe.companies})
    candidates.update({c.name.upper(): c.name for c in universe.companies})
    close = difflib.get_close_matches(query.strip().upper(), list(candidates), n=3, cutoff=0.6)
    hint = f"; close matches: {', '.join(candidates[c] for c in close)}" if close else ""
    raise NotFoundError(f"{query!r} is not in universe '{universe.name}'{hint}")


@dataclass(frozen=True)
class Resolved:
    """One query: its company, or (outside the universe) the symbol to price on its own."""

    query: str
    company: Company | None
    not_found: str | None = None  # why no company matched (close matches included)

    @property
    def symbol(self) -> str:
        """The symbol as typed, normalised: what an outside query is priced under."""
        return self.query.strip().upper()


def resolve(universe: Universe, queries: Sequence[str]) -> list[Resolved]:
    """Each query's company; a query that matches none is kept as an outside symbol.

    An outside query must be a Yahoo symbol (:func:`parse_symbol`): anything else is bad
    input (SymbolError, exit 2) before a price is fetched for it.
    """
    out = []
    for q in queries:
        try:
            out.append(Resolved(q, find_company(universe, q)))
        except NotFoundError as exc:
            try:
                symbol = parse_symbol(q)
            except SymbolError as bad:
                raise SymbolError(
                    f"not a company of universe '{universe.name}' (an id or a listing symbol) "
                    f"and not a symbol to price on its own: {bad}"
                ) from None
            out.append(Resolved(symbol, None, str(exc)))
    return out
