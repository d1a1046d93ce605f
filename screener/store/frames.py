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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class WideRead:
    """Some price fields of some tickers over some dates, read in one query.

    ``values[field]`` and ``present`` are ``columns × days`` arrays (``present``: a bar is
    stored, whatever its values); ``days`` holds every date on which any column has a bar.
    :meth:`frame` cuts out exactly what :func:`read_wide` returns for any subset of the
    columns and dates, so one read can serve several consumers.
    """

    days: np.ndarray  # datetime64[us], ascending
    columns: list[str]
    values: dict[str, np.ndarray]
    present: np.ndarray

    def frame(
        self,
        field: str,
        tickers: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        *,
        share: bool = False,
    ) -> pd.DataFrame:
        """``field`` as dates × ``tickers`` (all columns when None) from ``start`` to ``end``.

        The index holds the dates on which one of ``tickers`` has a bar, as :func:`read_wide`.
        ``share``: with nothing to cut, return the read's own array (the caller owns the read).
        """
        columns = self.columns if tickers is None else list(dict.fromkeys(tickers))
        position = {name: i for i, name in enumerate(self.columns)}
        unread = [c for c in columns if c not in position]
        if unread:
            raise ValueError(f"not in this read: {', '.join(unread[:5])}")
        rows = np.array([position[c] for c in columns], dtype=np.int64)
        lo = 0 if start is None else int(np.searchsorted(self.days, _day(start), side="left"))
        hi = len(self.days) if end is None else int(np.searchsorted(self.days, _day(end), "right"))
        every_row = len(rows) == len(self.columns) and bool((rows == np.arange(len(rows))).all())
        present = self.present[:, lo:hi] if every_row else self.present[rows, lo:hi]
        keep = present.any(axis=0)
        names = pd.Index(columns, name="ticker")
        if not keep.any():
            index = pd.DatetimeIndex([], dtype=DATE_DTYPE, name="date")
            return pd.DataFrame(np.nan, index=index, columns=names)
        values = self.values[field]
        if every_row and lo == 0 and hi == len(self.days) and keep.all():
            out = values if share else values.copy()
        else:
            out = (values if every_row else values[rows])[:, lo:hi][:, keep]
        index = pd.DatetimeIndex(self.days[lo:hi][keep], name="date")
        return pd.DataFrame(out.T, index=index, columns=names, copy=False)


def _day(d: date) -> np.datetime64:
    day: np.datetime64 = np.datetime64(pd.Timestamp(d).date(), "D").astype(DATE_DTYPE)
    return day


def read_wide_many(
    con: duckdb.DuckDBPyConnection,
    fields: Sequence[str],
    tickers: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> WideRead:
    """``fields`` of ``tickers`` (every stored ticker, sorted, when None) in one query.

    Columns are ``tickers`` in the order given (all-NaN for a ticker with no stored bar).
    """
    for field in fields:
        if field not in FIELDS:
            raise ValueError(f"unknown price field {field!r}: choose one of {', '.join(FIELDS)}")
    where, params = where_clause(tickers, start, end)
    names = _distinct(con, "ticker", where, params)
    columns = list(dict.fromkeys(tickers)) if tickers is not None else names
    if not names:
        empty = np.empty((len(columns), 0))
        return WideRead(
            np.array([], dtype=DATE_DTYPE),
            columns,
            {f: empty for f in fields},
            np.zeros(empty.shape, dtype=bool),
        )
    chosen = ", ".join(f"{f}::DOUBLE AS v_{f}" for f in fields)
    sql = (
        f"SELECT enum_code(ticker::{_enum(names)})::INTEGER AS c, "
        f"(date - DATE '1970-01-01')::INTEGER AS d, {chosen} FROM prices {where}"
    )
    got = con.execute(sql, params).fetchnumpy()
    code = np.asarray(got["c"], dtype=np.int64)
    day = np.asarray(got["d"], dtype=np.int64)
    # Map day numbers to row positions in O(n): mark the days present, then rank them.
    lo = int(day.min())
    seen = np.zeros(int(day.max()) - lo + 1, dtype=bool)
    seen[day - lo] = True
    row_of_day = (np.cumsum(seen) - 1)[day - lo]
    position = {name: i for i, name in enumerate(columns)}
    col = np.array([position[n] for n in names], dtype=np.int64)[code]
    # Filled as tickers × dates: rows arrive grouped by ticker, so writes run sequentially;
    # the transpose is a free view that pandas stores as-is (its blocks are columns × rows).
    shape = (len(columns), int(seen.sum()))
    values = {}
    for f in fields:
        out = np.full(shape, np.nan)
        out[col, row_of_day] = np.ma.filled(np.ma.asarray(got[f"v_{f}"], dtype=np.float64), np.nan)
        values[f] = out
    present = np.zeros(shape, dtype=bool)
    present[col, row_of_day] = True
    days = (np.flatnonzero(seen) + lo).astype("datetime64[D]").astype(DATE_DTYPE)
    return WideRead(days, columns, values, present)


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
    return read_wide_many(con, [field], tickers, start, end).frame(field, share=True)


def read_flagged(
    con: duckdb.DuckDBPyConnection,
    tickers: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> pd.DataFrame:
    """The flagged bars (``ticker``, ``date``, ``flags``), sorted by ticker and date.

    The rows of :func:`read_long` whose ``flags`` is not empty, without reading the others.
    """
    where, params = where_clause(tickers, start, end)
    rows = con.execute(
        f"SELECT ticker, epoch_us(date::TIMESTAMP), flags FROM prices "
        f"{where} {'AND' if where else 'WHERE'} flags <> '' ORDER BY ticker, date",
        params,
    ).fetchall()
    categories = pd.Index(["", *sorted({f for _, _, f in rows})], dtype="str")
    return pd.DataFrame(
        {
            "ticker": pd.Series([t for t, _, _ in rows], dtype="str"),
            "date": np.array([u for _, u, _ in rows], dtype=np.int64).view(DATE_DTYPE),
            "flags": pd.Categorical([f for _, _, f in rows], categories=categories),
        }
    )


def read_instruments(con: duckdb.DuckDBPyConnection, tickers: Sequence[str] | None) -> pd.DataFrame:
    """Instrument metadata indexed by ticker (sorted)."""
    where, params = where_clause(tickers, None, None)
    frame = con.execute(f"SELECT * FROM instruments {where} ORDER BY ticker", params).df()
    return frame.set_index("ticker")


def synthetic_tickers(con: duckdb.DuckDBPyConnection, tickers: Sequence[str]) -> set[str]:
    """Those of ``tickers`` with any synthetic bar or synthetic instrument record."""
    rows = con.execute(
        "SELECT DISTINCT ticker FROM prices WHERE synthetic AND ticker IN (SELECT unnest(?::VARCHAR[])) "
        "UNION SELECT ticker FROM instruments WHERE synthetic AND ticker IN (SELECT unnest(?::VARCHAR[]))",
        [list(tickers), list(tickers)],
    ).fetchall()
    return {str(r[0]) for r in rows}
