"""Fast reads of the prices table into pandas.

Three things keep a full read of millions of rows under one second on a small machine
(measured in ``bench/store.py``, see ``docs/store.md``):

* The ticker leaves DuckDB as ``hash(ticker)``, a plain integer, and becomes a code into the
  sorted distinct names in numpy (one lookup per run of equal hashes: rows are stored grouped
  by ticker). No Python string is made per row, and the frame gets a ``Categorical``
  (integer codes + one copy of each string). Casting to an ``ENUM`` of the names instead
  costs about twice as much inside DuckDB; it remains the way when two names share a hash.
* Results are streamed in chunks into arrays allocated once (see :func:`_fetch_columns`).
* The wide frame is filled by integer indexing into a preallocated ``dates × tickers`` array
  from (ticker code, day number, value) columns, instead of a hash-based ``pivot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property
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


@dataclass(frozen=True)
class _Tickers:
    """The distinct tickers a read selects, and how their rows are told apart.

    ``sql`` is the select expression of a row's ticker key; :meth:`codes` turns the fetched
    keys into positions in ``names``.
    """

    names: list[str]  # sorted
    hashes: np.ndarray  # uint64, hash(name) per name; empty when the ENUM route is taken
    rows: int  # rows the read selects

    @property
    def sql(self) -> str:
        if len(self.hashes):
            return "hash(ticker)"
        return f"enum_code(ticker::{_enum(self.names)})::INTEGER"

    @cached_property
    def _ranked(self) -> tuple[np.ndarray, np.ndarray]:
        """``hashes`` sorted, and the position in ``names`` of each (once per read, not per
        chunk)."""
        order = np.argsort(self.hashes)
        return self.hashes[order], order

    def codes(self, keys: np.ndarray | Sequence[int]) -> np.ndarray:
        """Positions in ``names`` (int64) of fetched ticker keys."""
        if not len(self.hashes):
            return np.asarray(keys, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.uint64)
        if len(keys) == 0:
            return np.zeros(0, dtype=np.int64)
        ranked, order = self._ranked
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        if len(starts) > len(keys) // 16:  # not grouped by ticker: look up every row
            return np.asarray(order[np.searchsorted(ranked, keys)], dtype=np.int64)
        starts = np.concatenate(([0], starts))
        lengths = np.diff(np.append(starts, len(keys)))
        per_run = order[np.searchsorted(ranked, keys[starts])]
        return np.asarray(np.repeat(per_run, lengths), dtype=np.int64)


def _tickers(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> _Tickers:
    rows = con.execute(
        f"SELECT ticker, hash(ticker), count(*) FROM prices {where} GROUP BY ticker "
        "ORDER BY ticker",
        params,
    ).fetchall()
    names = [r[0] for r in rows]
    hashes = np.array([r[1] for r in rows], dtype=np.uint64)
    if _hashes_collide(hashes):
        hashes = np.zeros(0, dtype=np.uint64)
    return _Tickers(names, hashes, sum(r[2] for r in rows))


def _hashes_collide(hashes: np.ndarray) -> bool:
    """Two names with one 64-bit hash (about 1 in 10¹² for 5,000 names): the rows could not
    be told apart by hash, so the read casts to an ENUM instead."""
    return len(np.unique(hashes)) < len(hashes)


#: Rows of a fetched chunk, in DuckDB vectors of 2,048 rows (about 100,000 rows).
CHUNK_VECTORS = 50

#: Reads of fewer rows are fetched in one piece: chunks and the buffer-pool setting cost a few
#: milliseconds a read, which a lookup of three symbols (about 2,000 rows) feels and saves
#: nothing on.
CHUNKED_ROWS = 500_000

#: DuckDB's buffer pool during a large fetch (see :func:`_fetch_columns`).
FETCH_MEMORY = "64MB"

#: Turns a chunk's columns into the columns to keep (it may rename, add or drop some).
Convert = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


def _fetch_columns(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any],
    rows: int,
    convert: Convert | None = None,
) -> dict[str, np.ndarray]:
    """The ``rows`` rows of ``sql`` as numpy columns, in the table's order; each chunk passes
    through ``convert`` first when given.

    Under :data:`CHUNKED_ROWS` rows the result comes in one piece. Above, on a small virtual
    machine most of the read is the kernel handing out fresh memory (about 3 µs a page here),
    not DuckDB or numpy. Three things keep it small (``bench/store.py`` prints the page faults
    beside the time):

    * The result is streamed in chunks of :data:`CHUNK_VECTORS` vectors, each copied into
      arrays allocated once for all ``rows`` (numpy asks for huge pages for those), so
      DuckDB's chunk buffers are reused rather than grown to the whole result
      (``fetchnumpy`` after ``execute`` first materialises the result in its own memory).
    * Keys become codes, and days dates, chunk by chunk (``convert``): the wide intermediate
      arrays are never made.
    * DuckDB's buffer pool is held to :data:`FETCH_MEMORY` for the read, so it recycles
      the pages of blocks already decoded instead of keeping all of them (the read touches
      each block once). It is put back afterwards; a read that needs more memory than that
      (none of ours should) is made again without the limit.
    """
    if rows < CHUNKED_ROWS:  # a lookup's or a run's read: one conversion, no settings to set
        got: dict[str, np.ndarray] = con.sql(sql, params=params).fetchnumpy()
        return got if convert is None else convert(got)
    try:
        with _buffer_pool(con, FETCH_MEMORY):
            return _fetch_chunks(con, sql, params, rows, convert)
    except duckdb.OutOfMemoryException:
        return _fetch_chunks(con, sql, params, rows, convert)


def _fetch_chunks(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any],
    rows: int,
    convert: Convert | None,
) -> dict[str, np.ndarray]:
    con.execute(sql, params)
    out: dict[str, np.ndarray] = {}
    filled = 0
    while True:
        chunk = con.fetch_df_chunk(CHUNK_VECTORS)
        n = len(chunk)
        if n == 0:
            break
        if filled + n > rows:
            con.abort()
            raise RuntimeError(f"the read returned more than the {rows:,} rows it counted")
        columns = {str(name): chunk[name].to_numpy() for name in chunk.columns}
        for name, values in (columns if convert is None else convert(columns)).items():
            if name not in out:
                out[name] = np.empty(rows, dtype=values.dtype)
            out[name][filled : filled + n] = values
        filled += n
    if filled != rows:
        raise RuntimeError(f"the read returned {filled:,} of the {rows:,} rows it counted")
    return out


@contextmanager
def _buffer_pool(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """Hold DuckDB's memory limit to ``limit`` inside the block, then restore it (the default
    exactly; a limit set before, to the precision DuckDB shows it in)."""

    def current() -> str:
        return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    before = current()
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute("RESET memory_limit")
        if current() != before:
            con.execute(f"SET memory_limit = '{before}'")


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

#: A row's day as days since 1970-01-01 (DuckDB ``DATE`` arithmetic, an ``INTEGER``).
_DAY_SQL = "(date - DATE '1970-01-01')::INTEGER"


def _row_key(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One sortable int64 per (ticker code, day): ``code · 2²¹ + day + 2²⁰`` (days since
    1970 within ±2²⁰, i.e. about ±2,870 years, so the day never spills into the code)."""
    key: np.ndarray = np.asarray(codes, dtype=np.int64) * (1 << 21) + (days + (1 << 20))
    return key


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
    chosen = _tickers(con, where, params)
    if not chosen.names:
        return empty_long()
    # Integer keys and plain numbers only: they are handed over at memory speed, where
    # converting text costs ~100 ns per row and column.
    sql = (
        f"SELECT {chosen.sql} AS key, {_DAY_SQL} AS day, "
        f"{', '.join(f'{f}::DOUBLE AS {f}' for f in FIELDS)}, synthetic FROM prices {where}"
    )
    in_order = _InOrder(chosen)
    got = _fetch_columns(con, sql, params, chosen.rows, in_order.convert)
    codes, stamps = got["code"], got["date"]
    # Rows come back in insertion order, which is (ticker, date) order after a bulk load but
    # not after refreshes append new days at the end: sort only when needed.
    order = (
        None
        if in_order.ordered
        else np.argsort(_row_key(codes, stamps // _US_PER_DAY), kind="stable")
    )

    def take(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    codes, stamps = take(codes), take(stamps)
    data: dict[str, object] = {
        "ticker": pd.Categorical.from_codes(codes, categories=pd.Index(chosen.names, dtype="str")),
        "date": stamps.view(DATE_DTYPE),
    }
    for f in FIELDS:
        data[f] = take(_column(got[f], "float64"))
    data["synthetic"] = take(np.asarray(got["synthetic"], dtype=bool))
    data["flags"] = _flags(con, chosen, where, params, codes, stamps)
    # copy=False: the arrays are ours already; consolidating them would copy ~100 MB per column.
    return pd.DataFrame(data, copy=False)


class _InOrder:
    """Chunk by chunk: ticker keys to codes, days to ``datetime64[us]`` integers, and whether
    the rows so far are in (ticker, date) order."""

    def __init__(self, chosen: _Tickers) -> None:
        self.chosen = chosen
        self.code_dtype = np.int16 if len(chosen.names) < 2**15 else np.int32
        self.last = -1
        self.ordered = True

    def convert(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        codes = self.chosen.codes(columns.pop("key"))
        days = np.asarray(columns.pop("day"), dtype=np.int64)
        if self.ordered:
            key = _row_key(codes, days)
            self.ordered = bool(key[0] > self.last) and bool((key[1:] > key[:-1]).all())
            self.last = int(key[-1])
        return {"code": codes.astype(self.code_dtype), "date": days * _US_PER_DAY, **columns}


def _flags(
    con: duckdb.DuckDBPyConnection,
    chosen: _Tickers,
    where: str,
    params: list[Any],
    codes: np.ndarray,
    stamps: np.ndarray,
) -> pd.Categorical:
    """The ``flags`` column for rows sorted by (``codes``, ``stamps``).

    Flagged bars are rare: fetch them apart and place them by ticker and date instead of
    converting a text column of millions of empty strings.
    """
    flagged = con.execute(
        f"SELECT {chosen.sql} AS code, {_DAY_SQL} AS day, flags "
        f"FROM prices {where} {'AND' if where else 'WHERE'} flags <> ''",
        params,
    ).fetchall()
    categories = sorted({f for _, _, f in flagged})
    flag_codes = np.zeros(len(codes), dtype=np.int8 if len(categories) < 127 else np.int32)
    if flagged:
        their_codes = chosen.codes([c for c, _, _ in flagged])
        firsts = np.searchsorted(codes, their_codes, side="left")
        lasts = np.searchsorted(codes, their_codes, side="right")
        for (_, day, text), code, lo, hi in zip(flagged, their_codes, firsts, lasts, strict=True):
            at = lo + int(np.searchsorted(stamps[lo:hi], day * _US_PER_DAY))
            if at >= hi or codes[at] != code or stamps[at] != day * _US_PER_DAY:
                raise RuntimeError(f"a flagged bar of {chosen.names[code]} is not in the read")
            flag_codes[at] = 1 + categories.index(text)
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
    chosen = _tickers(con, where, params)
    names = chosen.names
    columns = list(dict.fromkeys(tickers)) if tickers is not None else names
    if not names:
        empty = np.empty((len(columns), 0))
        return WideRead(
            np.array([], dtype=DATE_DTYPE),
            columns,
            {f: empty for f in fields},
            np.zeros(empty.shape, dtype=bool),
        )
    values_sql = ", ".join(f"{f}::DOUBLE AS v_{f}" for f in fields)
    sql = f"SELECT {chosen.sql} AS key, {_DAY_SQL} AS d, {values_sql} FROM prices {where}"
    position = {name: i for i, name in enumerate(columns)}
    column_of = np.array([position[n] for n in names], dtype=np.int32)

    def convert(chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"col": column_of[chosen.codes(chunk.pop("key"))], **chunk}

    got = _fetch_columns(con, sql, params, chosen.rows, convert)
    col, day = got["col"], np.asarray(got["d"], dtype=np.int32)
    # Map day numbers to row positions in O(n): mark the days present, then rank them.
    lo = int(day.min())
    seen = np.zeros(int(day.max()) - lo + 1, dtype=bool)
    offset = day - np.int32(lo)
    seen[offset] = True
    row_of_day = (np.cumsum(seen, dtype=np.int32) - 1)[offset]
    del offset
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
