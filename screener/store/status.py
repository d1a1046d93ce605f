"""What the store holds, for ``screener prices status`` and ``screener history``.

Both read an existing store and never create one: nothing stored yet is an empty answer,
not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from screener import settings
from screener.store import STORE_FILENAME, Store


def open_existing(data_dir: Path | None, *, demo: bool) -> Store | None:
    """The (demo) store opened read-only, or None when nothing has been stored yet."""
    folder = settings.store_dir(data_dir, demo=demo)
    if not (folder / STORE_FILENAME).exists():
        return None
    return Store.open(folder, read_only=True)


@dataclass(frozen=True)
class PriceStatus:
    """Per ticker status (:meth:`Store.status`, indexed by ticker); empty when nothing is stored."""

    folder: Path
    table: pd.DataFrame

    def records(self) -> list[dict[str, Any]]:
        """One dict per ticker, the ticker first; not yet JSON-safe (dates, NaN)."""
        records: list[dict[str, Any]] = self.table.reset_index().to_dict(orient="records")
        return records


def price_status(data_dir: Path | None, *, demo: bool, today: date) -> PriceStatus:
    """The store's per-ticker status as of ``today`` (days stale are counted to it)."""
    folder = settings.store_dir(data_dir, demo=demo)
    store = open_existing(data_dir, demo=demo)
    return PriceStatus(folder, pd.DataFrame() if store is None else store.status(today))


def run_history(data_dir: Path | None, *, demo: bool) -> list[dict[str, Any]]:
    """Stored runs' metadata (:meth:`Store.list_runs`), newest first; [] when no store exists."""
    store = open_existing(data_dir, demo=demo)
    return store.list_runs()[::-1] if store else []  # the store lists oldest first
