"""The user's own prices from CSV (a Bloomberg or broker export): :func:`parse_csv`, :class:`CsvSource`.

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
and the instrument records ``price_divisor`` 100. Non-numeric prices are errors; non-positive
ones are kept (the store's sanity checks flag them); volume must be >= 0.

All or nothing: :func:`parse_csv` returns a complete result or raises :class:`CsvImportError`
listing every bad row as ``<file> line <n>: <problem>`` (line 1 is the header).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import PriceDataError
from screener.sources import exchanges
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult, SourceName

REQUIRED = ("date", "ticker", "close")
OPTIONAL = ("open", "high", "low", "adj_close", "volume", "currency")
NUMERIC = ("open", "high", "low", "close", "adj_close", "volume")
PRICE_FIELDS = ("open", "high", "low", "close", "adj_close")
_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_CCY_RE = re.compile(r"[A-Za-z]{3}")


class CsvImportError(PriceDataError):
    """A CSV import failed; ``problems`` holds every problem, one line each."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''}, nothing imported"
        super().__init__(head + "".join(f"\n  - {p}" for p in self.problems))


@dataclass(frozen=True)
class _Problem:
    file_no: int
    line: int
    text: str


@dataclass
class _Rows:
    """Raw cells of one file: one list of stripped strings per known column."""

    label: str
    file_no: int
    cells: dict[str, list[str]]
    lines: list[int]


def _header_name(raw: str) -> str:
    return re.sub(r"\s+", "_", raw.strip().lower())


def _columns(
    label: str, header: list[str], fail: Callable[[str], None], notes: list[str]
) -> dict[str, int] | None:
    """Position of each known column in ``header``, or None when the header is unusable."""
    names = [_header_name(h) for h in header]
    if len(names) == 1 and ";" in header[0]:
        fail(f"{label}: the header uses ';' as separator; export with ',' (comma) separators")
        return None
    known = REQUIRED + OPTIONAL
    seen: dict[str, int] = {}
    for pos, name in enumerate(names):
        if name in known:
            if name in seen:
                fail(f"{label}: column '{name}' appears twice")
            seen[name] = pos
        elif name:
            notes.append(f"{label}: column '{header[pos].strip()}' ignored")
    for name in REQUIRED:
        if name not in seen:
            fail(f"{label}: missing column '{name}' (required: {', '.join(REQUIRED)})")
    if len(seen) != len([n for n in names if n in known]) or any(n not in seen for n in REQUIRED):
        return None
    return seen


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


def _read(path: Path, file_no: int, problems: list[_Problem], notes: list[str]) -> _Rows | None:
    """Read one file into raw cells; structural problems go to ``problems``."""
    label = path.name

    def fail(text: str, line: int = 0) -> None:
        problems.append(_Problem(file_no, line, text))

    try:
        # utf-8-sig drops a BOM; newline="" lets csv handle \r\n and quoted newlines.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            while header is not None and not any(c.strip() for c in header):
                header = next(reader, None)
            if header is None:
                fail(f"{label}: file is empty (expected a header line: date,ticker,close,...)")
                return None
            header_line = reader.line_num
            seen = _columns(label, header, fail, notes)
            if seen is None:
                return None
            # Collect first, check after: a per-row Python branch costs more than the parse.
            raw_rows: list[list[str]] = []
            lines: list[int] = []
            for row in reader:
                raw_rows.append(row)
                lines.append(reader.line_num)
    except UnicodeDecodeError:
        fail(f"{label}: not UTF-8 text (save the export as 'CSV UTF-8')")
        return None
    except csv.Error as exc:
        fail(f"{label}: unreadable CSV ({exc})")
        return None
    raw_rows, lines = _fit_rows(label, raw_rows, lines, len(header), fail)
    cells = {name: [r[pos].strip() for r in raw_rows] for name, pos in seen.items()}
    # a line of bare separators (",,,,") is blank too
    blank = np.logical_and.reduce([np.asarray(v, dtype=object) == "" for v in cells.values()])
    if blank.any():
        cells = {k: [c for c, b in zip(v, blank, strict=True) if not b] for k, v in cells.items()}
        lines = [n for n, b in zip(lines, blank, strict=True) if not b]
    if not lines:
        fail(f"{label}: no data rows after the header (line {header_line})")
        return None
    return _Rows(label, file_no, cells, lines)


Report = Callable[..., None]


def _validate(rows: _Rows, problems: list[_Problem]) -> pd.DataFrame:
    """Typed frame of one file's rows; every bad cell becomes a problem (vectorised checks)."""
    line = np.asarray(rows.lines)
    out = pd.DataFrame({"file_no": rows.file_no, "line": line, "label": rows.label})

    def report(mask: np.ndarray, message: str, cells: Sequence[str] = ()) -> None:
        """One problem per True in ``mask``; ``{v}`` in ``message`` is the offending cell."""
        for i in np.flatnonzero(mask).tolist():
            text = message.format(v=cells[i]) if cells else message
            problems.append(
                _Problem(rows.file_no, int(line[i]), f"{rows.label} line {line[i]}: {text}")
            )

    out["date"], bad_date = _dates(rows.cells["date"], report)
    out["ticker"], bad_ticker = _tickers(rows.cells["ticker"], report)
    for name in NUMERIC:
        out[name] = _numbers(name, rows.cells[name], report) if name in rows.cells else np.nan
    out["currency"] = (
        _currencies(rows.cells["currency"], report) if "currency" in rows.cells else ""
    )
    out["key_ok"] = ~bad_date & ~bad_ticker
    return out


def _dates(cells: list[str], report: Report) -> tuple[np.ndarray, np.ndarray]:
    """Parsed dates and where they are bad. Dates repeat across rows: each is parsed once."""
    codes, uniq = pd.factorize(np.asarray(cells, dtype=object))
    shaped = np.array([re.fullmatch(_DATE_RE, u) is not None for u in uniq], dtype=bool)
    parsed_u = pd.to_datetime(
        pd.Series(uniq, dtype=object).where(shaped), format="%Y-%m-%d", errors="coerce"
    )
    parsed = parsed_u.to_numpy(dtype="datetime64[ns]")[codes]
    bad = np.isnat(parsed)
    empty_date = (uniq == "")[codes]
    report(bad & empty_date, "date is empty (use YYYY-MM-DD)")
    report(bad & ~empty_date, "date '{v}' is not a date (use YYYY-MM-DD)", cells)
    return parsed, bad


def _tickers(cells: list[str], report: Report) -> tuple[np.ndarray, np.ndarray]:
    """Upper-cased tickers and where they are missing or malformed."""
    codes, uniq = pd.factorize(np.asarray(cells, dtype=object))
    ticker = np.array([u.upper() for u in uniq], dtype=object)[codes]
    no_ticker = ticker == ""
    report(no_ticker, "ticker is empty")
    # Bloomberg's "MP US Equity" style is the likely mistake: say which symbols to use.
    spaced = np.array([any(c.isspace() for c in u) for u in uniq], dtype=bool)[codes]
    report(
        spaced,
        "ticker '{v}' contains spaces (use Yahoo symbols such as MP, LYC.AX, 4063.T)",
        cells,
    )
    return ticker, no_ticker | spaced


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
    report(~empty & ~np.isfinite(values), f"{name} '{{v}}' is not a number", cells)
    if name == "close":
        report(empty, "close is empty")
    if name == "volume":
        negative = np.isfinite(values) & (values < 0)
        report(negative, "volume '{v}' is negative (must be >= 0)", cells)
    out: np.ndarray = np.where(np.isfinite(values), values, np.nan)
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


def _cross_checks(frame: pd.DataFrame, problems: list[_Problem]) -> None:
    """Duplicates of (ticker, date) and conflicting currencies, over all files."""
    ok = frame[frame.key_ok]
    first = ok.groupby(["ticker", "date"], sort=False)["pos"].transform("min")
    for row in ok[ok.pos != first].itertuples():
        orig = frame.loc[first[row.Index]]
        where = f"line {orig.line}" if orig.label == row.label else f"{orig.label} line {orig.line}"
        problems.append(
            _Problem(
                row.file_no,
                row.line,
                f"{row.label} line {row.line}: duplicate of {where} ({row.ticker} {row.date:%Y-%m-%d})",
            )
        )
    given = frame[(frame.ticker != "") & (frame.currency != "")]
    first_ccy = given.groupby("ticker", sort=False)["pos"].transform("min")
    ref = frame.loc[first_ccy.to_numpy()].set_index(given.index)
    for row in given[given.currency.to_numpy() != ref.currency.to_numpy()].itertuples():
        r = ref.loc[row.Index]
        where = f"line {r.line}" if r.label == row.label else f"{r.label} line {r.line}"
        problems.append(
            _Problem(
                row.file_no,
                row.line,
                f"{row.label} line {row.line}: currency '{row.currency}' differs from '{r.currency}' on {where} for {row.ticker}",
            )
        )


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
    raise PriceDataError(f"{path}: no such file or folder")


def parse_csv(path: str | os.PathLike[str]) -> tuple[FetchResult, list[str]]:
    """Parse a CSV file, or every ``*.csv`` in a folder (sorted by name), all or nothing.

    Returns the result (``source='csv'``, ``synthetic=False``, no failures) and notes (ignored
    columns, assumed currencies, non-positive prices kept). Raises :class:`CsvImportError`
    listing every problem, or :class:`PriceDataError` when the path is missing.
    """
    root = Path(path)
    files = _files(root)
    problems: list[_Problem] = []
    notes: list[str] = []
    frames = []
    for no, f in enumerate(files):
        rows = _read(f, no, problems, notes)
        if rows is not None:
            frames.append(_validate(rows, problems))
    if frames:
        frame = pd.concat(frames, ignore_index=True)
        frame["pos"] = np.arange(len(frame))
        _cross_checks(frame, problems)
    if problems:
        problems.sort(key=lambda p: (p.file_no, p.line))
        raise CsvImportError(str(root), [p.text for p in problems])

    if "adj_close" not in frame or frame.adj_close.isna().all():
        notes.append(
            f"{root.name}: no adj_close; adj_close = close (no dividend or split adjustment)"
        )
    frame["adj_close"] = frame.adj_close.fillna(frame.close)
    given = frame[frame.currency != ""].groupby("ticker").currency.first()
    meta = [_instrument(t, given.get(t), notes) for t in sorted(frame.ticker.unique())]
    by_suffix = [
        f"{m['ticker']} -> {m['quote_currency']}"
        for m in meta
        if m["ticker"] not in given and m["quote_currency"] not in (None, *exchanges.MINOR_UNITS)
    ]
    if by_suffix:
        shown = ", ".join(by_suffix[:5]) + (
            f" and {len(by_suffix) - 5} more" if len(by_suffix) > 5 else ""
        )
        notes.append(
            f"no currency given for {len(by_suffix)} ticker(s); taken from the suffix ({shown})"
        )
    instruments = pd.DataFrame(meta, columns=list(INSTRUMENT_COLUMNS))
    divisor = frame.ticker.map(instruments.set_index("ticker").price_divisor)
    for col in PRICE_FIELDS:
        frame[col] = frame[col] / divisor
    nonpos = frame[(frame[list(PRICE_FIELDS)] <= 0).any(axis=1)]
    if len(nonpos):
        where = ", ".join(f"{r.label} line {r.line}" for r in nonpos.head(10).itertuples())
        more = f" and {len(nonpos) - 10} more" if len(nonpos) > 10 else ""
        notes.append(
            f"{len(nonpos)} row(s) with a zero or negative price kept ({where}{more}); the store's checks will flag them"
        )
    prices = frame.sort_values(["ticker", "date"], kind="stable")[list(PRICE_COLUMNS)].reset_index(
        drop=True
    )
    return FetchResult("csv", False, prices, instruments, {}), notes


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
