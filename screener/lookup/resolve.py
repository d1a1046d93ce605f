"""Resolve what the user typed: a company (by id, any listing, its name or part of it) or a
symbol outside the universe.

Exact matches win: an id, a listing symbol (current or former), or the whole name, all
case-insensitive. Otherwise the query is looked for as the start of words of a name
(``lynas``, ``rare earths``): one company matches → it; several → :class:`AmbiguousError`
listing them; none → the query is kept as a symbol outside the universe.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from screener.errors import NotFoundError, SymbolError
from screener.universe.records import Company, Universe
from screener.universe.symbols import parse_symbol

#: How many candidates an ambiguous query lists before "and N more".
CANDIDATES_SHOWN = 8
#: Shorter queries are matched exactly only: "T" or "GM" is a ticker, not a part of a name.
MIN_PART = 3


class AmbiguousError(NotFoundError):
    """A part of a name that several companies share (exit 2, the candidates named)."""


def _norm(text: str) -> str:
    return " ".join(text.strip().upper().split())


def _exact(universe: Universe, query: str) -> Company | None:
    """A company whose id, listing (current or former) or whole name is ``query``."""
    q = _norm(query)
    company = universe.find(q)
    if company is not None:
        return company
    for c in universe.companies:
        if q in (t.upper() for t in c.former_tickers) or _norm(c.name) == q:
            return c
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9A-Z]+", text.upper())


def name_matches(universe: Universe, query: str) -> list[Company]:
    """Companies whose name holds the query's words as consecutive word starts, in order
    (``lynas`` and ``lynas rare`` match "Lynas Rare Earths"; ``ynas`` does not). Queries
    shorter than MIN_PART characters match nothing."""
    want = _words(query)
    if not want or len(query.strip()) < MIN_PART:
        return []
    out = []
    for c in universe.companies:
        words = _words(c.name)
        for i in range(len(words) - len(want) + 1):
            window = words[i : i + len(want)]
            # every word but the last whole; the last may be a prefix ("lynas rare ear")
            if window[:-1] == want[:-1] and window[-1].startswith(want[-1]):
                out.append(c)
                break
    return out


def _label(c: Company) -> str:
    return f"{c.name} ({c.primary_ticker or c.id})"


def suggestions(universe: Universe, query: str) -> str:
    """ "; close matches: A, B" for the nearest tickers, ids and names, or ""."""
    candidates = {t.upper(): t for c in universe.companies for t in c.tickers}
    candidates.update({c.id.upper(): c.id for c in universe.companies})
    candidates.update({c.name.upper(): c.name for c in universe.companies})
    close = difflib.get_close_matches(query.strip().upper(), list(candidates), n=3, cutoff=0.6)
    return f"; close matches: {', '.join(candidates[c] for c in close)}" if close else ""


def find_company(universe: Universe, query: str) -> Company:
    """The company ``query`` names; AmbiguousError when a part of a name fits several,
    NotFoundError with close matches when nothing fits."""
    company = _exact(universe, query)
    if company is not None:
        return company
    matches = name_matches(universe, query)
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(_label(c) for c in matches[:CANDIDATES_SHOWN])
        more = len(matches) - CANDIDATES_SHOWN
        raise AmbiguousError(
            f"{query!r} matches {len(matches)} companies in universe '{universe.name}': "
            f"{shown}{f' and {more} more' if more > 0 else ''}; give a ticker, an id or more "
            "of the name"
        )
    raise NotFoundError(
        f"{query!r} is not in universe '{universe.name}'{suggestions(universe, query)}"
    )


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


def join_words(universe: Universe, queries: Sequence[str]) -> list[str]:
    """An unquoted name typed as several words (``lookup Lynas Rare Earths``) as one query,
    when the words together name one company and not every word names a company alone."""
    if len(queries) < 2:
        return list(queries)
    whole = " ".join(q.strip() for q in queries)
    if _exact(universe, whole) is None and len(name_matches(universe, whole)) != 1:
        return list(queries)
    alone = [
        _exact(universe, q) is not None or len(name_matches(universe, q)) == 1 for q in queries
    ]
    return list(queries) if all(alone) else [whole]


def resolve(universe: Universe, queries: Sequence[str]) -> list[Resolved]:
    """Each query's company; a query that matches none is kept as an outside symbol. A part of
    a name that several companies share raises AmbiguousError.

    An outside query must be a Yahoo symbol (:func:`parse_symbol`): anything else is bad
    input (SymbolError, exit 2) before a price is fetched for it.
    """
    out = []
    for q in join_words(universe, queries):
        try:
            out.append(Resolved(q, find_company(universe, q)))
        except AmbiguousError:
            raise
        except NotFoundError as exc:
            try:
                symbol = parse_symbol(q)
            except SymbolError as bad:
                raise SymbolError(
                    f"not a company of universe '{universe.name}' (an id, a listing or a "
                    f"name) and not a symbol to price on its own: {bad}"
                    f"{suggestions(universe, q)}"
                ) from None
            out.append(Resolved(symbol, None, str(exc)))
    return out
