"""The user's own prices from CSV (a Bloomberg or broker export): :func:`stage_csv`,
:func:`parse_csv`, :class:`CsvSource`.

Format (one row per ticker and day)::

    date,ticker,open,high,low,close,adj_close,volume,currency
    2025-01-03,MP,20.1,20.9,19.8,20.5,20.5,3100000,USD

Required columns: ``date`` (YYYY-MM-DD), ``ticker`` (a Yahoo symbol: ``MP``, ``LYC.AX``; not
Bloomberg's ``MP US Equity``), ``close``. The others
may be absent; columns come in any order; header names are case-insensitive and trimmed, and
inner spaces count as underscores (``Adj Close`` = ``adj_close``). Unknown columns are ignored
(and reported as a note). A UTF-8 byte-order mark and Windows line endings are fine.

Rules: a missing ``adj_close`` is ``close`` (no dividend adjustment); an empty ``open``,
``high``, ``low`` or ``volume`` cell is NaN; a missing currency comes from the ticker's suffix
(:mod:`screener.sources.exchanges`). Quotes in a minor unit (``GBp``/``GBX``, ``ZAc``, ``ILA``, given in
the currency column or implied by the suffix, e.g. ``.L``) are divided by 100 to the major unit
and the instrument records ``price_divisor`` 100.

Bad input, each named with its file and line: a price that is not a finite number, ``<= 0``
or above :data:`MAX_PRICE` (as written in the file, i.e. in the quote currency); a date that
is not a calendar date, before :data:`MIN_DATE` or after today (judged in the earliest time
zone, UTC+14); a negative volume; a ticker that is not a Yahoo symbol
(:func:`screener.universe.symbols.parse_symbol`); one (ticker, date) twice; two currencies for one ticker; a line
longer than :data:`MAX_LINE` characters.

All or nothing, in bounded memory: :func:`stage_csv` reads the files in chunks of
:data:`CHUNK_ROWS` rows, checks each chunk and appends its rows to a staging DuckDB file in a
temporary folder; the checks across rows (duplicates, currencies) then run in SQL over the
staging table. Problems are counted in full and the first :data:`SHOWN_PROBLEMS` (in file and
line order) are named in :class:`CsvImportError`. A clean stage hands its rows out in batches
of whole tickers (:meth:`StagedCsv.batches`), so an import of any size never holds the file
in memory.
"""

from __future__ import annotations

import csv
import heapq
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO

import duckdb
import numpy as np
import pandas as pd

from screener.errors import PriceDataError, SymbolError
from screener.sources import exchanges
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult, SourceName
from screener.universe.symbols import parse_symbol

REQUIRED = ("date", "ticker", "close")
OPTIONAL = ("open", "high", "low", "adj_close", "volume", "currency")
NUMERIC = ("open", "high", "low", "close", "adj_close", "volume")
PRICE_FIELDS = ("open", "high", "low", "close", "adj_close")

#: The largest price accepted, as written in the file (the quote currency: pence for GBp).
#: The dearest listed shares trade below 1e6 in their currency (Berkshire A: ~7e5 USD);
#: anything above 1e7 is a unit or export mistake. Stated in docs/store.md.
MAX_PRICE = 1e7
#: The earliest date accepted: no exchange data the tool can use is older.
MIN_DATE = date(1900, 1, 1)
#: A CSV line longer than this (in characters) is refused before it is parsed: a price row
#: is under 200 characters, and a multi-megabyte "line" is a binary or broken file.
MAX_LINE = 10_000
#: Rows checked and staged at a time: bounds the memory of an import of any size.
CHUNK_ROWS = 100_000
#: Problems named in the error (the count covers all of them).
SHOWN_PROBLEMS = 20
#: Rows per batch handed to the store (whole tickers; a ticker has at most ~46k dates).
BATCH_ROWS = 250_000
#: The staging database may use this much memory before spilling to its temp folder.
STAGING_MEMORY = "256MB"
#: Yahoo symbols: letters, digits and . - = ^ & (``LYC.AX``, ``BRK-B``, ``AUDUSD=X``, ``^GSPC``).

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_CCY_RE = re.compile(r"[A-Za-z]{3}")


class CsvImportError(PriceDataError):
    """A CSV import failed. ``problems`` holds the first :data:`SHOWN_PROBLEMS` problems (one
    line each, in file and line order) and ``count`` how many there are in all."""

    def __init__(self, source: str, problems: Sequence[str], count: int | None = None) -> None:
        self.problems = list(problems)
        n = len(self.problems) if count is None else count
        self.count = n
        head = f"{source}: {n} problem{'s' if n != 1 else ''}, nothing imported"
        more = n - len(self.problems)
        tail = f"\n  … and {more} more (the first {len(self.problems)} are shown)" if more else ""
        super().__init__(head + "".join(f"\n  - {p}" for p in self.problems) + tail)


# --- problems, bounded ------------------------------------------------------------------------


@dataclass
class _Problems:
    """Every problem counted; the first :data:`SHOWN_PROBLEMS` by (file, line) kept."""

    limit: int = SHOWN_PROBLEMS
    count: int = 0
    _heap: list[tuple[int, int, int, str]] = field(default_factory=list)  # max-heap via negation

    def add(self, file_no: int, line: int, text: str) -> None:
        self.count += 1
        item = (-file_no, -line, -self.count, text)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def first(self) -> list[str]:
        return [t for *_, t in sorted(self._heap, reverse=True)]


# --- reading: files → chunks of raw cells ---------------------------------------------------


def _header_name(raw: str) -> str:
    return re.sub(r"\s+", "_", raw.strip().lower())


def _columns(
    label: str, header: list[str], fail: Callable[[str], None], notes: list[str]
) -> dict[str, int] | None:
    """Position of each known column in ``header``, or None when the header is unusable."""
    names = [_header_name(h) for h in header]
    for sep, name in ((";", "';'"), ("\t", "tabs")):
        if len(names) == 1 and sep in header[0]:
            fail(
                f"{label}: the header uses {name} as separator; export with ',' (comma) separators"
            )
            return None
    known = REQUIRED + OPTIONAL
    seen: dict[str, int] = {}
    for pos, name in enumerate(names):
        if name in known:
            if name in seen:
                fail(f"{label}: column '{name}' appears twice")
            seen[name] = pos
        elif name:
            notes.append(f"{label}: column '{header[pos].strip()[:40]}' ignored")
    for name in REQUIRED:
        if name not in seen:
            fail(f"{label}: missing column '{name}' (required: {', '.join(REQUIRED)})")
    if len(seen) != len([n for n in names if n in known]) or any(n not in seen for n in REQUIRED):
        return None
    return seen


class _LineTooLong(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _bounded_lines(fh: IO[str]) -> Iterator[str]:
    """The file's lines, refusing one longer than :data:`MAX_LINE` before it is all read."""
    n = 0
    while True:
        line = fh.readline(MAX_LINE + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            raise _LineTooLong(n)
        yield line


@dataclass
class _Chunk:
    """Raw cells of up to :data:`CHUNK_ROWS` rows: one list of stripped strings per column."""

    label: str
    file_no: int
    cells: dict[str, list[str]]
    lines: list[int]


def _fit_rows(
    label: str,
    raw_rows: list[list[str]],
    lines: list[int],
    width: int,
    fail: Callable[[str, int], None],
) -> tuple[list[list[str]], list[int]]:
    """Rows cut to the header's width: blank lines dropped, short or long ones reported."""
    drop: set[int] = set()
    for i in [i for i, r in enumerate(raw_rows) if len(r) != width]:
        row = raw_rows[i]
        if not any(c.strip() for c in row):
            drop.add(i)  # blank line
        elif len(row) < width or any(c.strip() for c in row[width:]):
            fail(f"{label} line {lines[i]}: expected {width} fields, found {len(row)}", lines[i])
            drop.add(i)
        else:
            raw_rows[i] = row[:width]  # trailing empty fields: tolerated
    if drop:
        raw_rows = [r for i, r in enumerate(raw_rows) if i not in drop]
        lines = [n for i, n in enumerate(lines) if i not in drop]
    return raw_rows, lines


def _chunk(
    label: str,
    file_no: int,
    seen: dict[str, int],
    width: int,
    raw_rows: list[list[str]],
    lines: list[int],
    problems: _Problems,
) -> _Chunk | None:
    raw_rows, lines = _fit_rows(
        label, raw_rows, lines, width, lambda text, line: problems.add(file_no, line, text)
    )
    cells = {name: [r[pos].strip() for r in raw_rows] for name, pos in seen.items()}
    if not lines:
        return None
    # a line of bare separators (",,,,") is blank too
    blank = np.logical_and.reduce([np.asarray(v, dtype=object) == "" for v in cells.values()])
    if blank.any():
        cells = {k: [c for c, b in zip(v, blank, strict=True) if not b] for k, v in cells.items()}
        lines = [n for n, b in zip(lines, blank, strict=True) if not b]
    return _Chunk(label, file_no, cells, lines) if lines else None


def _read_chunks(
    path: Path, file_no: int, problems: _Problems, notes: list[str]
) -> Iterator[_Chunk]:
    """One file's rows, :data:`CHUNK_ROWS` at a time; structural problems go to ``problems``."""
    label = path.name

    def fail(text: str, line: int = 0) -> None:
        problems.add(file_no, line, text)

    rows_seen = 0
    try:
        # utf-8-sig drops a BOM; newline="" lets csv handle \r\n and quoted newlines.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(_bounded_lines(fh))
            header = next(reader, None)
            while header is not None and not any(c.strip() for c in header):
                header = next(reader, None)
            if header is None:
                fail(f"{label}: file is empty (expected a header line: date,ticker,close,...)")
                return
            header_line = reader.line_num
            seen = _columns(label, header, fail, notes)
            if seen is None:
                return
            raw_rows: list[list[str]] = []
            lines: list[int] = []
            for row in reader:
                raw_rows.append(row)
                lines.append(reader.line_num)
                if len(raw_rows) >= CHUNK_ROWS:
                    chunk = _chunk(label, file_no, seen, len(header), raw_rows, lines, problems)
                    raw_rows, lines = [], []
                    if chunk is not None:
                        rows_seen += len(chunk.lines)
                        yield chunk
            chunk = _chunk(label, file_no, seen, len(header), raw_rows, lines, problems)
            if chunk is not None:
                rows_seen += len(chunk.lines)
                yield chunk
    except UnicodeDecodeError:
        fail(f"{label}: not UTF-8 text (save the export as 'CSV UTF-8')")
        return
    except _LineTooLong as exc:
        fail(
            f"{label} line {exc.line}: longer than {MAX_LINE:,} characters (not a price "
            "export, or a broken file)",
            exc.line,
        )
        return
    except csv.Error as exc:
        why = (
            "it contains NUL bytes: a binary file, not CSV text" if "NUL" in str(exc) else str(exc)
        )
        fail(f"{label}: unreadable CSV ({why})")
        return
    if rows_seen == 0:
        fail(f"{label}: no data rows after the header (line {header_line})")


# --- checks of one chunk (vectorised) -------------------------------------------------------

Report = Callable[..., None]


def _validate(rows: _Chunk, problems: _Problems, today: date) -> pd.DataFrame:
    """Typed frame of one chunk's rows; every bad cell becomes a problem."""
    line = np.asarray(rows.lines, dtype=np.int64)
    out = pd.DataFrame({"file_no": rows.file_no, "line": line})

    def report(mask: np.ndarray, message: str, cells: Sequence[str] = ()) -> None:
        """One problem per True in ``mask``; ``{v}`` in ``message`` is the offending cell."""
        for i in np.flatnonzero(mask).tolist():
            value = cells[i][:40] + ("…" if len(cells[i]) > 40 else "") if cells else ""
            text = message.format(v=value) if cells else message
            problems.add(rows.file_no, int(line[i]), f"{rows.label} line {line[i]}: {text}")

    out["date"], bad_date = _dates(rows.cells["date"], report, today)
    out["ticker"], bad_ticker = _tickers(rows.cells["ticker"], rows, line, problems)
    for name in NUMERIC:
        out[name] = _numbers(name, rows.cells[name], report) if name in rows.cells else np.nan
    out["currency"] = (
        _currencies(rows.cells["currency"], report) if "currency" in rows.cells else ""
    )
    out["key_ok"] = ~bad_date & ~bad_ticker
    return out


def _dates(cells: list[str], report: Report, today: date) -> tuple[np.ndarray, np.ndarray]:
    """Parsed dates and where they are bad. Dates repeat across rows: each is parsed once."""
    codes, uniq = pd.factorize(np.asarray(cells, dtype=object))
    shaped = np.array([re.fullmatch(_DATE_RE, u) is not None for u in uniq], dtype=bool)
    parsed_u = pd.to_datetime(
        pd.Series(uniq, dtype=object).where(shaped), format="%Y-%m-%d", errors="coerce"
    )
    parsed = parsed_u.to_numpy(dtype="datetime64[ns]")[codes]
    invalid = np.isnat(parsed)
    empty_date = (uniq == "")[codes]
    report(invalid & empty_date, "date is empty (use YYYY-MM-DD)")
    # A well-shaped date that pandas cannot hold (before 1677) is as useless as one before 1900.
    early_u = shaped & np.array([u[:4] < f"{MIN_DATE.year:04d}" for u in uniq], dtype=bool)
    early = early_u[codes] | (~invalid & (parsed < np.datetime64(MIN_DATE)))
    with np.errstate(invalid="ignore"):
        future = ~invalid & (parsed > np.datetime64(today))
    report(invalid & ~empty_date & ~early, "date '{v}' is not a date (use YYYY-MM-DD)", cells)
    report(early, f"date '{{v}}' is before {MIN_DATE} (no usable prices are that old)", cells)
    report(future, f"date '{{v}}' is in the future (today is {today})", cells)
    bad = invalid | early | future
    return np.where(bad, np.datetime64("NaT"), parsed), bad


def _tickers(
    cells: list[str], rows: _Chunk, line: np.ndarray, problems: _Problems
) -> tuple[np.ndarray, np.ndarray]:
    """Upper-cased Yahoo symbols and where they are missing or malformed."""
    codes, uniq = pd.factorize(np.asarray(cells, dtype=object))
    symbols = []
    why: list[str | None] = []
    for u in uniq:
        try:
            symbols.append(parse_symbol(u))
            why.append(None)
        except SymbolError as exc:
            symbols.append("")
            why.append(str(exc))
    bad_u = np.array([w is not None for w in why], dtype=bool)
    for i in np.flatnonzero(bad_u[codes]).tolist():
        problems.add(rows.file_no, int(line[i]), f"{rows.label} line {line[i]}: {why[codes[i]]}")
    ticker: np.ndarray = np.array(symbols, dtype=object)[codes]
    return ticker, bad_u[codes]


def _numbers(name: str, cells: list[str], report: Report) -> np.ndarray:
    """A numeric column as floats (NaN where empty or bad; bad cells reported)."""
    try:  # fast path: numpy parses a clean column in C
        values = np.array(cells, dtype=float)
        empty = np.zeros(len(cells), dtype=bool)
    except ValueError:
        raw = pd.Series(cells, dtype=object)
        empty = (raw == "").to_numpy()
        values = pd.to_numeric(raw.where(~empty), errors="coerce").to_numpy(dtype=float)
    # 'nan' and 'inf' parse as floats; both are rejected as "not a number".
    finite = np.isfinite(values)
    report(~empty & ~finite, f"{name} '{{v}}' is not a number", cells)
    if name == "close":
        report(empty, "close is empty")
    if name in PRICE_FIELDS:
        report(
            finite & (values <= 0), f"{name} '{{v}}' is not positive (a price must be > 0)", cells
        )
        report(
            finite & (values > MAX_PRICE),
            f"{name} '{{v}}' is above {MAX_PRICE:.0e}, the largest price accepted "
            "(check the unit and the decimal separator)",
            cells,
        )
    if name == "volume":
        report(finite & (values < 0), "volume '{v}' is negative (must be >= 0)", cells)
    out: np.ndarray = np.where(finite, values, np.nan)
    return out


def _currencies(cells: list[str], report: Report) -> np.ndarray:
    codes, uniq = pd.factorize(np.asarray(cells, dtype=object))
    wrong_u = np.array([u != "" and not _CCY_RE.fullmatch(u) for u in uniq], dtype=bool)
    report(
        wrong_u[codes],
        "currency '{v}' is not a currency code (use ISO codes like USD, or GBp for pence)",
        cells,
    )
    # ISO codes are case-insensitive, but GBp (pence) vs GBP (pounds) is not: keep the
    # minor-unit spellings as exchanges.MINOR_UNITS has them, upper-case the rest.
    # An invalid code is already reported; blank it so it is not also a "conflict".
    canon = [
        "" if w else u if u in exchanges.MINOR_UNITS else u.upper()
        for u, w in zip(uniq, wrong_u, strict=True)
    ]
    out: np.ndarray = np.array(canon, dtype=object)[codes]
    return out


# --- the staging table and the checks across rows -------------------------------------------

_STAGING_DDL = """
CREATE TABLE staging (
    pos BIGINT, file_no INTEGER, line BIGINT, ticker VARCHAR, date DATE,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE,
    currency VARCHAR
)
"""
_STAGED = ("pos", "file_no", "line", "ticker", "date", *NUMERIC, "currency")

_DUPLICATES = """
WITH dup AS (
    SELECT ticker, date, min(pos) AS first FROM staging GROUP BY ticker, date HAVING count(*) > 1)
SELECT s.file_no, s.line, s.ticker, s.date, f.file_no, f.line,
       (s.open, s.high, s.low, s.close, s.adj_close, s.volume)
           IS DISTINCT FROM (f.open, f.high, f.low, f.close, f.adj_close, f.volume) AS differs
FROM staging s JOIN dup USING (ticker, date) JOIN staging f ON f.pos = dup.first
WHERE s.pos <> dup.first
ORDER BY s.pos
"""

_CURRENCY_CLASHES = """
WITH c AS (
    SELECT ticker, arg_min(currency, pos) AS ccy, min(pos) AS first
    FROM staging WHERE currency <> '' GROUP BY ticker)
SELECT s.file_no, s.line, s.ticker, s.currency, c.ccy, f.file_no, f.line
FROM staging s JOIN c USING (ticker) JOIN staging f ON f.pos = c.first
WHERE s.currency <> '' AND s.currency <> c.ccy
ORDER BY s.pos
"""


def _utc14_today() -> date:
    """Today in the earliest time zone: a trading day can already be 'tomorrow' in UTC."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


class StagedCsv:
    """A clean CSV import waiting in a staging DuckDB file: instruments, notes, batches.

    Use as a context manager (or call :meth:`close`): the staging folder is removed on exit.
    """

    def __init__(
        self,
        root: Path,
        con: duckdb.DuckDBPyConnection,
        folder: Path,
        labels: list[str],
        notes: list[str],
    ) -> None:
        self.root = root
        self._labels = labels
        self._con = con
        self._folder = folder
        self.notes = notes
        row = con.execute("SELECT count(*), count(DISTINCT ticker) FROM staging").fetchone()
        self.rows, self.tickers = (int(row[0]), int(row[1])) if row else (0, 0)
        self.instruments, self._counts = self._instruments()

    def __enter__(self) -> StagedCsv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()  # closing twice is harmless
        shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The staging database, for a store that keeps its prepared bars there."""
        return self._con

    def release(self) -> Path:
        """Close the staging connection (so the file can be attached elsewhere); the file
        stays until :meth:`close`."""
        self._con.close()
        return self._folder / "staging.duckdb"

    def _instruments(self) -> tuple[pd.DataFrame, dict[str, int]]:
        per = self._con.execute(
            "SELECT ticker, arg_min(currency, pos) FILTER (WHERE currency <> '') AS ccy, "
            "count(*) AS n, bool_and(adj_close IS NULL) AS no_adj "
            "FROM staging GROUP BY ticker ORDER BY ticker"
        ).fetchall()
        if per and all(r[3] for r in per):
            self.notes.append(
                f"{self.root.name}: no adj_close; adj_close = close (no dividend or split adjustment)"
            )
        given = {r[0]: r[1] for r in per if r[1]}
        meta = [_instrument(r[0], given.get(r[0]), self.notes) for r in per]
        by_suffix = [
            f"{m['ticker']} -> {m['quote_currency']}"
            for m in meta
            if m["ticker"] not in given
            and m["quote_currency"] not in (None, *exchanges.MINOR_UNITS)
        ]
        if by_suffix:
            shown = ", ".join(by_suffix[:5]) + (
                f" and {len(by_suffix) - 5} more" if len(by_suffix) > 5 else ""
            )
            self.notes.append(
                f"no currency given for {len(by_suffix)} ticker(s); taken from the suffix ({shown})"
            )
        frame = pd.DataFrame(meta, columns=list(INSTRUMENT_COLUMNS))
        return frame, {r[0]: int(r[2]) for r in per}

    def first_line(self, ticker: str) -> str:
        """Where ``ticker`` first appears, as ``<file> line <n>``."""
        row = self._con.execute(
            "SELECT file_no, line FROM staging WHERE ticker = ? ORDER BY pos LIMIT 1", [ticker]
        ).fetchone()
        if row is None:
            return self.root.name
        return f"{self._labels[row[0]]} line {row[1]}"

    def batches(self, max_rows: int = BATCH_ROWS) -> Iterator[FetchResult]:
        """The staged bars as results of whole tickers, about ``max_rows`` rows each, in
        ticker order; prices in the major unit, ``adj_close`` filled from ``close``."""
        group: list[str] = []
        size = 0
        for ticker, n in self._counts.items():
            if group and size + n > max_rows:
                yield self._batch(group)
                group, size = [], 0
            group.append(ticker)
            size += n
        if group:
            yield self._batch(group)

    def _batch(self, tickers: list[str]) -> FetchResult:
        prices = self._con.execute(
            "SELECT ticker, date, open, high, low, close, coalesce(adj_close, close) AS adj_close, "
            "volume FROM staging WHERE ticker IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY ticker, date",
            [tickers],
        ).df()
        prices["date"] = prices["date"].astype("datetime64[ns]")
        inst = self.instruments[self.instruments.ticker.isin(tickers)].reset_index(drop=True)
        divisor = prices.ticker.map(inst.set_index("ticker").price_divisor)
        for col in PRICE_FIELDS:
            prices[col] = prices[col] / divisor
        return FetchResult("csv", False, prices[list(PRICE_COLUMNS)], inst, {})

    def everything(self) -> FetchResult:
        """All staged bars in one result (for small files: :class:`CsvSource`)."""
        prices = [b.prices for b in self.batches(max_rows=self.rows + 1)]
        frame = (
            pd.concat(prices, ignore_index=True)
            if prices
            else pd.DataFrame(columns=list(PRICE_COLUMNS))
        )
        return FetchResult("csv", False, frame, self.instruments, {})


def _instrument(ticker: str, given: str | None, notes: list[str]) -> dict[str, object]:
    """Currency, exchange and unit of one ticker: the file's currency, else the suffix's."""
    ex = exchanges.exchange_of(ticker)
    quote = given or (ex.currency if ex else None)
    if not given:
        if quote is None:
            notes.append(
                f"{ticker}: no currency given and suffix '{exchanges.suffix(ticker)}' is unknown; currency left empty"
            )
        elif quote in exchanges.MINOR_UNITS:
            notes.append(
                f"{ticker}: no currency given; {quote} assumed from the '{exchanges.suffix(ticker)}' suffix, prices divided by {exchanges.MINOR_UNITS[quote][1]:g}"
            )
    major, divisor = exchanges.major_unit(quote)
    fx = ticker.endswith("=X")
    return {
        "ticker": ticker,
        "name": None,
        "currency": major,
        "exchange": "CCY" if fx else (ex.name if ex else None),
        "timezone": "Europe/London" if fx else (ex.timezone if ex else None),
        "market_cap": float("nan"),
        "price_divisor": divisor,
        "quote_currency": quote,
    }


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            raise PriceDataError(f"{path}: folder has no *.csv files")
        return files
    if path.is_file():
        return [path]
    if path.exists():
        raise PriceDataError(f"{path}: not a regular file (give a CSV file or a folder of them)")
    raise PriceDataError(f"{path}: no such file or folder")


_STAGING_PREFIX = "screener-import-"


def remove_orphan_staging(root: Path | None = None) -> list[Path]:
    """Delete staging folders of imports whose process is gone (killed before it could clean
    up); returns them. A folder is named ``screener-import-<pid>-<random>``; one whose pid
    still runs is left alone."""
    removed = []
    base = Path(tempfile.gettempdir()) if root is None else root
    for folder in base.glob(f"{_STAGING_PREFIX}*-*"):
        pid = folder.name[len(_STAGING_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, not ours to judge
        return True
    return True


def _staging_connection(folder: Path) -> duckdb.DuckDBPyConnection:
    # The same settings as the store's connections (screener.store.connect.CONFIG and
    # SESSION; the store sits downstream of sources, so it is not imported here): never fetch
    # extensions, never draw a progress bar on the user's terminal.
    con = duckdb.connect(
        str(folder / "staging.duckdb"),
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": STAGING_MEMORY,
            "temp_directory": str(folder),
            "threads": 1,
        },
    )
    con.execute("SET enable_progress_bar = false")
    return con


def stage_csv(path: str | os.PathLike[str], *, today: date | None = None) -> StagedCsv:
    """Read and check a CSV file, or every ``*.csv`` in a folder (sorted by name).

    Returns a :class:`StagedCsv` (close it) or raises :class:`CsvImportError` naming the
    first problems and their count, or :class:`PriceDataError` when the path is missing.
    ``today`` (default: today in UTC+14) is the latest date accepted.
    """
    root = Path(path)
    files = _files(root)
    latest = today or _utc14_today()
    problems = _Problems()
    notes: list[str] = []
    remove_orphan_staging()
    folder = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-"))
    con = _staging_connection(folder)
    try:
        con.execute(_STAGING_DDL)
        pos = 0
        for no, f in enumerate(files):
            for chunk in _read_chunks(f, no, problems, notes):
                frame = _validate(chunk, problems, latest)
                frame = frame[frame.key_ok.to_numpy()]
                frame.insert(0, "pos", np.arange(pos, pos + len(frame), dtype=np.int64))
                pos += len(frame)
                con.register("chunk", frame[list(_STAGED)])
                con.execute("INSERT INTO staging SELECT * FROM chunk")
                con.unregister("chunk")
        labels = [f.name for f in files]
        _cross_checks(con, labels, problems)
        if problems.count:
            raise CsvImportError(str(root), problems.first(), problems.count)
        return StagedCsv(root, con, folder, labels, notes)
    except BaseException:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _cross_checks(con: duckdb.DuckDBPyConnection, labels: list[str], problems: _Problems) -> None:
    """Duplicates of (ticker, date) and conflicting currencies, over all files, in SQL."""

    def where(file_no: int, line: int, ref_file: int, ref_line: int) -> str:
        return f"line {ref_line}" if ref_file == file_no else f"{labels[ref_file]} line {ref_line}"

    cursor = con.execute(_DUPLICATES)
    while rows := cursor.fetchmany(10_000):
        for file_no, line, ticker, day, f_no, f_line, differs in rows:
            what = " with different values" if differs else ""
            problems.add(
                file_no,
                line,
                f"{labels[file_no]} line {line}: duplicate of {where(file_no, line, f_no, f_line)}"
                f"{what} ({ticker} {day:%Y-%m-%d})",
            )
    cursor = con.execute(_CURRENCY_CLASHES)
    while rows := cursor.fetchmany(10_000):
        for file_no, line, ticker, ccy, ref, f_no, f_line in rows:
            problems.add(
                file_no,
                line,
                f"{labels[file_no]} line {line}: currency '{ccy}' differs from '{ref}' on "
                f"{where(file_no, line, f_no, f_line)} for {ticker}",
            )


def parse_csv(
    path: str | os.PathLike[str], *, today: date | None = None
) -> tuple[FetchResult, list[str]]:
    """Parse a CSV file or folder into one result, all or nothing (see :func:`stage_csv`).

    Returns the result (``source='csv'``, ``synthetic=False``, no failures) and notes (ignored
    columns, assumed currencies). The whole file ends up in memory: for imports of any size
    use :func:`stage_csv` and its batches.
    """
    with stage_csv(path, today=today) as staged:
        return staged.everything(), staged.notes


class CsvSource:
    """:class:`~screener.sources.base.PriceSource` over a CSV file or folder (re-parsed on each fetch).

    ``fetch`` with an empty ticker list returns every ticker in the file. A requested ticker
    the file does not hold, or holds no rows for in the window, is a failure.
    """

    name: SourceName = "csv"
    synthetic: bool = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.notes: list[str] = []

    def fetch(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        result, self.notes = parse_csv(self.path)
        prices, where = result.prices, self.path.name
        wanted = list(dict.fromkeys(t.strip().upper() for t in tickers)) or sorted(
            set(prices.ticker)
        )
        in_window = pd.Series(True, index=prices.index)
        if start is not None:
            in_window &= prices.date >= pd.Timestamp(start)
        if end is not None:
            in_window &= prices.date <= pd.Timestamp(end)
        held = set(prices.ticker)
        found = set(prices.ticker[in_window])
        failures: dict[str, str] = {}
        for t in wanted:
            if t not in held:
                failures[t] = f"not in {where}"
            elif t not in found:
                failures[t] = (
                    f"no rows between {start or 'the start'} and {end or 'the end'} in {where}"
                )
        keep = [t for t in wanted if t in found]
        prices = prices[in_window & prices.ticker.isin(keep)].reset_index(drop=True)
        instruments = result.instruments[result.instruments.ticker.isin(keep)].reset_index(
            drop=True
        )
        return FetchResult("csv", False, prices, instruments, failures)
