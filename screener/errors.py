"""Domain errors. The CLI turns them into messages and exit codes; core code never imports click."""

from __future__ import annotations


class ScreenerError(Exception):
    """Base class. ``exit_code`` follows the CLI contract: 2 = bad input, 1 = job ran, data failed."""

    exit_code = 2


class UniverseError(ScreenerError):
    """A universe, jurisdiction or model file is missing or invalid.

    ``problems`` holds every problem found, one line each, so a data maintainer fixes them all
    in one pass instead of one per run.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class PriceDataError(ScreenerError):
    """Prices could not be fetched, parsed or imported."""


class FetchFailed(PriceDataError):
    """The job ran and fetched, but no usable prices came back (each symbol's reason is known)."""

    exit_code = 1


class CurrencyConflict(PriceDataError):
    """Incoming prices give a ticker another currency than its stored history (bad input):
    writing them would relabel every stored bar."""


class NetworkError(PriceDataError):
    """The price source could not be reached at all (as opposed to one ticker failing)."""

    exit_code = 1


class StoreError(ScreenerError):
    """The embedded store is unreadable, locked for too long, or from an incompatible version."""

    exit_code = 1


class StoreDamaged(StoreError):
    """The store file is not a DuckDB database, or DuckDB found it broken (truncated,
    a failed block checksum). The message names the file and how to rebuild or restore it."""

    exit_code = 2


class NotFoundError(ScreenerError):
    """A ticker, company, run or week the user asked for does not exist."""


class SymbolError(ScreenerError):
    """Text that is not a Yahoo symbol (``universe.symbols.parse_symbol`` says why and the fix)."""


class InputError(ScreenerError):
    """A command-line value out of its valid range (a date with no prices, a future date)."""
