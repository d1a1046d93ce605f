"""Benchmark of the price store: write and read back N tickers × 10 years of daily bars.

Not a test: it prints timings. The data is synthetic (a seeded random walk per ticker) and
is written to a temporary directory that is removed afterwards.

    python bench/store.py                     # 5,000 tickers, DuckDB (the shipped Store)
    python bench/store.py --backend sqlite    # the same operations on SQLite (stdlib)
    python bench/store.py --quick             # 500 tickers: a smoke run
    SCREENER_BENCH_STORE=/tmp/bs python bench/store.py   # keep the store; later runs only read
    python bench/store.py --baseline /path/to/older/checkout   # its reads too, interleaved

Each run times: writing the store, reading all bars into a long frame, reading adj_close
into a wide dates × tickers frame (medians of ``--repeat`` reads, each in a fresh process
as a command makes it; target ≤ 1 s each at 5,000 tickers × 10 years), and, as the peers in the same process, reading one CSV per ticker
with ``pd.read_csv`` + ``pd.concat`` (long) and pivoting the long frame with pandas (wide).
Each figure is printed beside its target with the load average. The ``duckdb`` backend goes through ``screener.store.Store``
(including the sanity checks of every upsert); ``sqlite`` is a minimal stand-in written here
only for the comparison (same table, executemany in, fetchall out).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult  # noqa: E402
from screener.store import STORE_FILENAME, Store  # noqa: E402

YEARS = 10
#: A folder in which to keep the written store between runs (and read it instead of writing).
STORE_ENV = "SCREENER_BENCH_STORE"
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


@contextmanager
def timed(label: str, out: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    out[label] = time.perf_counter() - t0


# --- backends ------------------------------------------------------------------------------


def duckdb_backend(
    folder: Path, make_bars: Callable[[], pd.DataFrame], t: dict[str, float], repeat: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    kept = STORE_ENV in os.environ
    if kept:  # a store kept from an earlier run of the same size: reads only
        folder = Path(os.environ[STORE_ENV])
    reuse = kept and (folder / STORE_FILENAME).exists()
    store = Store.open(folder)
    empty_inst = pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    if not reuse:
        bars = make_bars()
        with timed("write", t):
            for part in chunks(bars, CHUNK):
                store.upsert(FetchResult("demo", True, part, empty_inst))
        del bars
    # The timed reads run in fresh processes, as a command meets the store: one read in a
    # process that holds nothing else. (Holding the ~1 GB of synthetic bars here slowed the
    # reads in the child by a third on the 2-core VM this was measured on, so they are
    # dropped first.) Medians of `repeat`, long and wide interleaved: the machine may be shared.
    # With --baseline, the older checkout's reads of the same store alternate with these.
    codes = {"": ROOT, **({"baseline_": BASELINE[0]} if BASELINE else {})}
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(max(1, repeat)):
        for kind in ("long", "wide"):
            for prefix, code in codes.items():
                runs.setdefault(prefix + kind, []).append(read_in_child(folder, kind, code))
    for name, got in runs.items():
        for k in ("wall", "cpu", "faults"):
            t[f"{name}_{k}"] = statistics.median(g[k] for g in got)
        t[name] = t[f"{name}_wall"]
    return store.prices_long(), store.wide("adj_close")


#: The older checkout given with --baseline, if any.
BASELINE: list[Path] = []


#: One timed read in a new process, from the code under argv[1] (this checkout, or an older
#: one given with --baseline): wall, CPU (user + system) and minor page faults of the read
#: alone (imports and the open excluded), as JSON.
CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from screener.store import Store
store = Store.open(Path(sys.argv[3]), read_only=True)
before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
store.prices_long() if sys.argv[2] == "long" else store.wide("adj_close")
wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "faults": after.ru_minflt - before.ru_minflt}))
"""


def read_in_child(folder: Path, kind: str, code: Path = ROOT) -> dict[str, float]:
    """Time one ``kind`` read ("long" or "wide") of the store in ``folder`` in a new process
    running the code under ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), kind, str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    got: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return got


def sqlite_backend(
    folder: Path, make_bars: Callable[[], pd.DataFrame], t: dict[str, float], repeat: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    del repeat  # one read: each takes tens of seconds at full size
    bars = make_bars()
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
    str,
    Callable[
        [Path, Callable[[], pd.DataFrame], dict[str, float], int],
        tuple[pd.DataFrame, pd.DataFrame],
    ],
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
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an older checkout: its reads are timed too, interleaved with this one's",
    )
    args = parser.parse_args(argv)
    if args.baseline:
        BASELINE[:] = [args.baseline.resolve()]
    n = 500 if args.quick else args.tickers

    bars = synthetic_bars(n)
    rows = len(bars)
    first = bars["ticker"].iloc[0]
    expect = bars.loc[bars["ticker"] == first, "adj_close"].to_numpy()
    del bars  # made again (seeded, the same) where needed: not held while reads are timed
    t: dict[str, float] = {}
    print(
        f"{args.backend}: {n} tickers × {YEARS} years = {rows / 1e6:.2f}M synthetic rows; {load()}"
    )
    with tempfile.TemporaryDirectory(prefix="screener-bench-") as tmp:
        folder = Path(tmp)
        long, wide = BACKENDS[args.backend](folder, lambda: synthetic_bars(n), t, args.repeat)
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        # The bench must measure correct reads, not fast wrong ones.
        assert len(long) == rows, (len(long), rows)
        assert wide.shape == (252 * YEARS, n), wide.shape
        assert np.array_equal(wide[first].to_numpy(), expect)
        with timed("pivot", t):
            pivoted = long.pivot(index="date", columns="ticker", values="adj_close")
        assert np.array_equal(pivoted[first].to_numpy(), expect)
        del pivoted
        if not args.no_csv:
            del long, wide
            csv_long = csv_baseline(folder, synthetic_bars(n), t)
            assert len(csv_long) == rows
            del csv_long
    target = "≤ 1 s" if n == 5000 else "-"
    print()
    row("figure", "value", "target", "ratio")
    if "write" in t:
        row(
            f"write {rows / 1e6:.1f}M rows",
            f"{t['write']:.1f} s",
            "-",
            f"{rows / t['write'] / 1e6:.2f}M rows/s, file {size / 1e6:.0f} MB",
        )
    else:
        row(f"write {rows / 1e6:.1f}M rows", "-", "-", f"kept store in ${STORE_ENV}")
    row(
        f"read wide adj_close {252 * YEARS}×{n}",
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
    if "long_cpu" in t:
        print("\nEach read timed in a fresh process (median of --repeat); CPU = user + system:")
        for name in ("wide", "long", "baseline_wide", "baseline_long"):
            if f"{name}_wall" in t:
                print(
                    f"  {name.replace('_', ' '):<13} wall {t[f'{name}_wall']:.2f} s, "
                    f"CPU {t[f'{name}_cpu']:.2f} s, {t[f'{name}_faults']:,.0f} page faults"
                )
        for kind in ("wide", "long"):
            if f"baseline_{kind}" in t:
                print(
                    f"  {kind}: baseline / now {t[f'baseline_{kind}'] / t[kind]:.2f}x (wall), "
                    f"{t[f'baseline_{kind}_cpu'] / t[f'{kind}_cpu']:.2f}x (CPU)"
                )
    print(f"\n{load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
