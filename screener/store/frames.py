"""Fast reads of the prices table into pandas.

Two tricks keep a full read of millions of rows near one second on a small machine
(measured in ``bench/store.py``, see ``docs/store.md``):

* Text columns leave DuckDB cast to an ``ENUM`` built from their distinct values, which
  arrives in pandas as a ``Categorical`` (integer codes + one copy of each string) instead of
  one Python string object per row.
* The wide frame is filled by integer indexing into a preallocated ``dates × tickers`` array
  from (ticker code, day number, value) columns, instead of a hash-based ``pivot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

#: Price fields one may ask ``wide`` for.
FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close", "volume")

#: Columns of ``Store.prices_long``: the source frame's columns plus ``synthetic`` and ``flags``
#: (the source of each ticker is in ``Store.status``).
LONG_COLUMNS: tuple[str, ...] = ("ticker", "date", *FIELDS, "synthetic", "flags")

DATE_DTYPE = "datetime64[us]"


def where_clause(
    tickers: Sequence[str] | None, start: date | None, end: date | None
) -> tuple[str, list[Any]]:
    """SQL ``WHERE`` for the common (tickers, start, end) filter, with its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    if tickers is not None:
        parts.append("ticker IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(tickers))
    if start is not None:
        parts.append("date >= ?")
        params.append(pd.Timestamp(start).date())
    if end is not None:
        parts.append("date <= ?")
        params.append(pd.Timestamp(end).date())
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


def _enum(values: Sequence[str]) -> str:
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ENUM({quoted})"


def _distinct(
    con: duckdb.DuckDBPyConnection, column: str, where: str, params: list[Any]
) -> list[str]:
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM prices {where} ORDER BY 1", params
    ).fetchall()
    return [r[0] for r in rows]


def empty_long() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in LONG_COLUMNS})
    frame["ticker"] = pd.Categorical([])
    frame["date"] = frame["date"].astype(DATE_DTYPE)
    frame["synthetic"] = frame["synthetic"].astype(bool)
    frame["flags"] = pd.Categorical([])
    return frame


def _column(values: object, dtype: str) -> np.ndarray:
    """A fetchnumpy column as a plain array (masked = NULL becomes NaN)."""
    return np.ma.filled(np.ma.asarray(values, dtype=dtype), np.nan)


_US_PER_DAY = 86_400_000_000


def _row_key(codes: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """One sortable int64 per (ticker code, day): ``code · 2²¹ + day + 2²⁰`` (days since
    1970 within ±2²⁰, i.e. about ±2,870 years, so the day never spills into the code)."""
    return np.asarray(codes * (1 << 21) + (stamps // _US_PER_DAY + (1 << 20)), dtype=np.int64)


def read_long(
    con: duckdb.DuckDBPyConnection,
    tickers: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> pd.DataFrame:
    """Rows of ``prices`` as a long frame sorted by (ticker, date), columns :data:`LONG_COLUMNS`.

    ``ticker`` and ``flags`` are ``Categorical``; ``date`` is ``datetime64[us]``.
    """
    where, params = where_clause(tickers, start, end)
    names = _distinct(con, "ticker", where, params)
    if not names:
        return empty_long()
    enum = _enum(names)
    # Integer codes and plain numbers only: fetchnumpy hands those over at memory speed,
    # where converting text costs ~100 ns per row and column.
    sql = (
        f"SELECT enum_code(ticker::{enum})::INTEGER AS code, epoch_us(date::TIMESTAMP) AS us, "
        f"{', '.join(f'{f}::DOUBLE AS {f}' for f in FIELDS)}, synthetic FROM prices {where}"
    )
    got = con.execute(sql, params).fetchnumpy()
    codes = np.asarray(got["code"], dtype=np.int64)
    stamps = np.asarray(got["us"], dtype=np.int64)
    key = _row_key(codes, stamps)
    # Rows come back in insertion order, which is (ticker, date) order after a bulk load but
    # not after incremental refreshes append new days at the end: sort only when needed.
    order = None if bool((key[1:] > key[:-1]).all()) else np.argsort(key, kind="stable")

    def take(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    key = take(key)
    data: dict[str, object] = {
        "ticker": pd.Categorical.from_codes(take(codes), categories=pd.Index(names, dtype="str")),
        "date": take(stamps).view(DATE_DTYPE),
    }
    for f in FIELDS:
        data[f] = take(_column(got[f], "float64"))
    data["synthetic"] = take(np.asarray(got["synthetic"], dtype=bool))
    data["flags"] = _flags(con, enum, where, params, key)
    # copy=False: the arrays are ours already; consolidating them would copy ~100 MB per column.
    return pd.DataFrame(data, copy=False)


def _flags(
    con: duckdb.DuckDBPyConnection, enum: str, where: str, params: list[Any], key: np.ndarray
) -> pd.Categorical:
    """The ``flags`` column for rows sorted by ``key``.

    Flagged bars are rare: fetch them apart and place them by key instead of converting a
    text column of millions of empty strings.
    """
    flagged = con.execute(
        f"SELECT enum_code(ticker::{enum})::INTEGER AS code, epoch_us(date::TIMESTAMP) AS us, flags "
        f"FROM prices {where} {'AND' if where else 'WHERE'} flags <> ''",
        params,
    ).fetchall()
    categories = sorted({f for _, _, f in flagged})
    flag_codes = np.zeros(len(key), dtype=np.int64)
    if flagged:
        where_at = np.searchsorted(
            key,
            _row_key(
                np.array([c for c, _, _ in flagged], dtype=np.int64),
                np.array([u for _, u, _ in flagged], dtype=np.int64),
            ),
        )
        flag_codes[where_at] = [1 + categories.index(f) for _, _, f in flagged]
    return pd.Categorical.from_codes(
        flag_codes, categories=pd.Index(["", *categories], dtype="str")
    )


def read_wide(
    con: duckdb.DuckDBPyConnection,
    field: str,
    tickers: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> pd.DataFrame:
    """``field`` as a dates × tickers frame (NaN where a ticker has no bar on a date).

    Columns are ``tickers`` in the order given (all-NaN for a ticker with no stored bar), or
    every stored ticker sorted by name; the index holds every date on which at least one of
    the columns has a bar.
    """
    if field not in FIELDS:
        raise ValueError(f"unknown price field {field!r}: choose one of {', '.join(FIELDS)}")
    where, params = where_clause(tickers, start, end)
    names = _distinct(con, "ticker", where, params)
    columns = list(dict.fromkeys(tickers)) if tickers is not None else names
    if not names:
        index = pd.DatetimeIndex([], dtype=DATE_DTYPE, name="date")
        return pd.DataFrame(np.nan, index=index, columns=pd.Index(columns, name="ticker"))
    sql = (
        f"SELECT enum_code(ticker::{_enum(names)})::INTEGER AS c, "
        f"(date - DATE '1970-01-01')::INTEGER AS d, {field}::DOUBLE AS v "
        f"FROM prices {where}"
    )
    got = con.execute(sql, params).fetchnumpy()
    code = np.asarray(got["c"], dtype=np.int64)
    day = np.asarray(got["d"], dtype=np.int64)
    value = np.ma.filled(np.ma.asarray(got["v"], dtype=np.float64), np.nan)
    # Map day numbers to row positions in O(n): mark the days present, then rank them.
    lo = int(day.min())
    present = np.zeros(int(day.max()) - lo + 1, dtype=bool)
    present[day - lo] = True
    row_of_day = np.cumsum(present) - 1
    position = {name: i for i, name in enumerate(columns)}
    col_of_code = np.array([position[n] for n in names], dtype=np.int64)
    # Filled as tickers × dates: rows arrive grouped by ticker, so writes run sequentially;
    # the transpose is a free view that pandas stores as-is (its blocks are columns × rows).
    out = np.full((len(columns), int(present.sum())), np.nan)
    out[col_of_code[code], row_of_day[day - lo]] = value
    days = (np.flatnonzero(present) + lo).astype("datetime64[D]").astype(DATE_DTYPE)
    index = pd.DatetimeIndex(days, name="date")
    return pd.DataFrame(out.T, index=index, columns=pd.Index(columns, name="ticker"), copy=False)
