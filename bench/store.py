"""Benchmark of the price store: write and read back N tickers × 10 years of daily bars.

Not a test: it prints timings. The data is synthetic (a seeded random walk per ticker) and
is written to a temporary directory that is removed afterwards.

    python bench/store.py                     # 5,000 tickers, DuckDB (the shipped Store)
    python bench/store.py --backend sqlite    # the same operations on SQLite (stdlib)
    python bench/store.py --quick             # 500 tickers: a smoke run

Each run times: writing the store, reading all bars into a long frame, reading adj_close
into a wide dates × tickers frame (medians of ``--repeat`` reads; target ≤ 1 s each at
5,000 tickers × 10 years), and, as the peers in the same process, reading one CSV per ticker
with ``pd.read_csv`` + ``pd.concat`` (long) and pivoting the long frame with pandas (wide).
Each figure is printed beside its target with the load average. The ``duckdb`` backend goes through ``screener.store.Store``
(including the sanity checks of every upsert); ``sqlite`` is a minimal stand-in written here
only for the comparison (same table, executemany in, fetchall out).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult
from screener.store import Store

YEARS = 10
CHUNK = 500  # tickers per write transaction, like a refresh chunk


def synthetic_bars(n_tickers: int, years: int = YEARS, seed: int = 7) -> pd.DataFrame:
    """Seeded random-walk OHLCV bars, one row per (ticker, business day), sorted."""
    dates = pd.bdate_range("2016-01-04", periods=252 * years)
    rng = np.random.default_rng(seed)
    n, d = n_tickers, len(dates)
    close = 10.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n, d)), axis=1)).ravel()
    tickers = np.array([f"SYN{i:05d}.AX" for i in range(n)], dtype=object)
    return pd.DataFrame(
        {
            "ticker": np.repeat(tickers, d),
            "date": np.tile(dates.to_numpy(), n),
            "open": close * 1.001,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close * 0.98,
            "volume": rng.integers(0, 1_000_000, n * d).astype("float64"),
        }
    )


def chunks(bars: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    names = bars["ticker"].unique()
    per = len(bars) // len(names)  # synthetic bars: every ticker has the same rows, in order
    for i in range(0, len(names), size):
        yield bars.iloc[i * per : (i + size) * per]


def keep(t: dict[str, float], runs: dict[str, list[float]], label: str) -> None:
    """Record the latest timing of ``label``; ``t[label]`` becomes the median so far."""
    runs.setdefault(label, []).append(t[label])
    t[label] = statistics.median(runs[label])


@contextmanager
def timed(label: str, out: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    out[label] = time.perf_counter() - t0


# --- backends ------------------------------------------------------------------------------


def duckdb_backend(
    folder: Path, bars: pd.DataFrame, t: dict[str, float], repeat: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = Store.open(folder)
    empty_inst = pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    with timed("write", t):
        for part in chunks(bars, CHUNK):
            store.upsert(FetchResult("demo", True, part, empty_inst))
    runs: dict[str, list[float]] = {}
    for _ in range(max(1, repeat)):  # median of `repeat`: the machine may be shared
        with timed("long", t):
            long = store.prices_long()
        keep(t, runs, "long")
        with timed("wide", t):
            wide = store.wide("adj_close")
        keep(t, runs, "wide")
    return long, wide


def sqlite_backend(
    folder: Path, bars: pd.DataFrame, t: dict[str, float], repeat: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    del repeat  # one read: each takes tens of seconds at full size
    path = folder / "screener.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE prices (ticker TEXT, date TEXT, open REAL, high REAL, low REAL, close REAL, "
        "adj_close REAL, volume REAL, PRIMARY KEY (ticker, date)) WITHOUT ROWID"
    )
    with timed("write", t):
        for part in chunks(bars, CHUNK):
            cols = [part[c].tolist() for c in PRICE_COLUMNS]
            cols[1] = part["date"].dt.strftime("%Y-%m-%d").tolist()
            with con:
                con.executemany(
                    "INSERT OR REPLACE INTO prices VALUES (?,?,?,?,?,?,?,?)",
                    zip(*cols, strict=True),
                )
    with timed("long", t):
        rows = con.execute("SELECT * FROM prices ORDER BY ticker, date").fetchall()
        long = pd.DataFrame(rows, columns=list(PRICE_COLUMNS))
        long["date"] = pd.to_datetime(long["date"])
    with timed("wide", t):
        rows = con.execute("SELECT date, ticker, adj_close FROM prices").fetchall()
        frame = pd.DataFrame(rows, columns=["date", "ticker", "adj_close"])
        frame["date"] = pd.to_datetime(frame["date"])
        wide = frame.pivot(index="date", columns="ticker", values="adj_close")
    con.close()
    return long, wide


BACKENDS: dict[
    str, Callable[[Path, pd.DataFrame, dict[str, float], int], tuple[pd.DataFrame, pd.DataFrame]]
] = {
    "duckdb": duckdb_backend,
    "sqlite": sqlite_backend,
}


def csv_baseline(folder: Path, bars: pd.DataFrame, t: dict[str, float]) -> pd.DataFrame:
    csv_dir = folder / "csv"
    csv_dir.mkdir()
    with timed("csv_write", t):
        # One CSV written by DuckDB, then cut into per-ticker files (every synthetic ticker has
        # the same number of rows, in order): pandas' to_csv would take minutes for 5,000 files.
        whole = folder / "all.csv"
        con = duckdb.connect()
        con.register("bars", bars)
        con.execute(
            f"COPY (SELECT * REPLACE (date::DATE AS date) FROM bars) TO '{whole}' (HEADER, DATEFORMAT '%Y-%m-%d')"
        )
        con.close()
        with whole.open() as fh:
            header = fh.readline()
            lines = fh.readlines()
        whole.unlink()
        names = bars["ticker"].unique()
        per = len(lines) // len(names)
        for i, name in enumerate(names):
            (csv_dir / f"{name}.csv").write_text(header + "".join(lines[i * per : (i + 1) * per]))
        del lines
    with timed("csv_read", t):
        files = sorted(csv_dir.glob("*.csv"))
        long = pd.concat([pd.read_csv(f, parse_dates=["date"]) for f in files], ignore_index=True)
    return long


def row(figure: str, value: str, target: str, ratio: str) -> None:
    print(f"{figure:<36} {value:>8}  {target:>6}  {ratio}")


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="duckdb")
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="500 tickers: a smoke run")
    parser.add_argument(
        "--repeat", type=int, default=3, help="reads are timed this often; the median is shown"
    )
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV baseline")
    args = parser.parse_args(argv)
    n = 500 if args.quick else args.tickers

    bars = synthetic_bars(n)
    rows = len(bars)
    t: dict[str, float] = {}
    print(
        f"{args.backend}: {n} tickers × {YEARS} years = {rows / 1e6:.2f}M synthetic rows; {load()}"
    )
    with tempfile.TemporaryDirectory(prefix="screener-bench-") as tmp:
        folder = Path(tmp)
        long, wide = BACKENDS[args.backend](folder, bars, t, args.repeat)
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        # The bench must measure correct reads, not fast wrong ones.
        assert len(long) == rows, (len(long), rows)
        assert wide.shape == (252 * YEARS, n), wide.shape
        first = bars["ticker"].iloc[0]
        expect = bars.loc[bars["ticker"] == first, "adj_close"].to_numpy()
        assert np.array_equal(wide[first].to_numpy(), expect)
        with timed("pivot", t):
            pivoted = long.pivot(index="date", columns="ticker", values="adj_close")
        assert np.array_equal(pivoted[first].to_numpy(), expect)
        del pivoted
        if not args.no_csv:
            csv_long = csv_baseline(folder, bars, t)
            assert len(csv_long) == rows
            del csv_long
    target = "≤ 1 s" if n == 5000 else "-"
    print()
    row("figure", "value", "target", "ratio")
    row(
        f"write {rows / 1e6:.1f}M rows",
        f"{t['write']:.1f} s",
        "-",
        f"{rows / t['write'] / 1e6:.2f}M rows/s, file {size / 1e6:.0f} MB",
    )
    row(
        f"read wide adj_close {wide.shape[0]}×{wide.shape[1]}",
        f"{t['wide']:.2f} s",
        target,
        f"{t['pivot'] / t['wide']:.1f}x faster than a pandas pivot of the long frame "
        f"({t['pivot']:.1f} s)",
    )
    csv = (
        f"{t['csv_read'] / t['long']:.1f}x faster than one CSV per ticker ({t['csv_read']:.1f} s)"
        if "csv_read" in t
        else "-"
    )
    row(f"read long {rows / 1e6:.1f}M rows", f"{t['long']:.2f} s", target, csv)
    print(f"\n{load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
