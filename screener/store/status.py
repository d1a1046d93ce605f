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


def status_text(status: PriceStatus, width: int = 80) -> str:
    """``prices status`` for a terminal: a summary line, then one row per symbol (the first
    date only when ``width`` leaves room), a failed symbol's last error wrapped below its row."""
    import textwrap

    table = status.table
    if table.empty:  # nothing stored yet is an empty status, not an error
        return f"the store at {status.folder} holds no prices yet"
    wide = width >= 80
    sym_w = max(6, *(len(str(t)) for t in table.index))
    cols: list[tuple[str, int, str]] = [  # header, width, alignment
        ("symbol", sym_w, "<"),
        ("source", 6, "<"),
        *([("first", 10, "<")] if wide else []),
        ("last", 10, "<"),
        ("rows", 6, ">"),
        ("cur", 3, "<"),
        ("stale", 7, ">"),
        ("flagged", 7, ">"),
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, (_, w, a) in zip(cells, cols, strict=True)).rstrip()

    def text(value: Any) -> str:
        return "–" if value is None or value is pd.NA or pd.isna(value) else str(value)

    def day(value: Any) -> str:
        return "–" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()

    errors = table["last_error"].map(lambda e: isinstance(e, str) and bool(e))
    synthetic = int(table["synthetic"].sum())
    last = table["last_date"].dropna()
    n = len(table)
    summary = (
        f"{n} symbol{'s' if n != 1 else ''}"
        + (f"; newest bar {day(max(last))}" if len(last) else "")
        + (f"; {int(errors.sum())} with a failed last fetch" if errors.any() else "")
        + (f"; {synthetic} SYNTHETIC (demo prices, not market data)" if synthetic else "")
    )
    out = [
        *textwrap.wrap(summary, width),
        f"store: {status.folder}",  # whole, to copy: a path is not wrapped
        "",
        line([h for h, _, _ in cols]),
    ]
    for ticker, r in table.iterrows():
        stale = r["days_stale"]
        cells = [
            str(ticker),
            text(r["source"])[:6],
            *([day(r["first_date"])] if wide else []),
            day(r["last_date"]),
            f"{int(r['rows']):,}",
            text(r["currency"]),
            "–" if stale is None or stale is pd.NA else f"{int(stale)} d",
            str(int(r["flagged"])),
        ]
        out.append(line(cells))
        if errors[ticker]:
            out += textwrap.wrap(
                f"last error: {r['last_error']}",
                width,
                initial_indent="  ",
                subsequent_indent="    ",
            )
    legend = "stale: calendar days from the last bar to today; flagged: bars with a price flag"
    out += ["", *textwrap.wrap(legend, width)]
    return "\n".join(out)
