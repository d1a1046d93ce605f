"""Peak memory of `screener prices import` on a large generated CSV (issue 12).

Writes ``--rows`` rows of clean prices (``date,ticker,close,volume``; 2,500 business days
per ticker) to a temporary folder, imports them into an empty data dir with
``/usr/bin/time -v`` around the given screener executable, prints the maximum resident set
size and the wall time, and deletes everything. Run it against two checkouts to compare:

    python bench/import_memory.py --rows 2000000 --screener .venv/bin/screener
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = 2500


def write_csv(path: Path, rows: int) -> None:
    dates = pd.bdate_range("2015-01-01", periods=DAYS).strftime("%Y-%m-%d").to_numpy()
    rng = np.random.default_rng(1)
    tickers = -(-rows // DAYS)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("date,ticker,close,volume\n")
        left = rows
        for k in range(tickers):
            n = min(DAYS, left)
            close = 10 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
            lines = [f"{d},K{k:05d},{c:.4f},1000\n" for d, c in zip(dates[:n], close, strict=True)]
            fh.write("".join(lines))
            left -= n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--screener", default=".venv/bin/screener")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="screener-import-bench-"))
    try:
        csv = work / "prices.csv"
        write_csv(csv, args.rows)
        size = csv.stat().st_size / 1e6
        done = subprocess.run(
            [
                "/usr/bin/time",
                "-v",
                args.screener,
                "--data-dir",
                str(work / "home"),
                "prices",
                "import",
                str(csv),
            ],
            capture_output=True,
            text=True,
        )
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        wall = re.search(r"Elapsed \(wall clock\) time .*: (\S+)", done.stderr)
        print(
            f"{args.rows:,} rows ({size:.0f} MB CSV), exit {done.returncode}: peak RSS "
            f"{int(rss.group(1)) / 1024:,.0f} MB, wall {wall.group(1) if wall else '?'}"
            if rss
            else done.stderr[-2000:]
        )
        if done.returncode:
            print(done.stderr[-1500:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
