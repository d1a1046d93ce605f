"""kill -9 at random moments of `run --demo`, `prices import` and `prices refresh` (fake Yahoo).

Each launch starts from the same data dir ("before"), is killed with SIGKILL after a random
delay (seeded; spread over the command's measured duration), and then must leave:

* every store file that exists passing ``screener store check``;
* each committed unit whole: the prices table equal to the before or the after state of a
  complete run, the runs table too, and never a run stored over before-state prices (the run
  is saved after the prices it measured);
* no partial report file: each of report.html, screen.csv, screen.json absent or complete
  (a temp file of a killed write may remain; the next write to the folder removes it).

The "after" state comes from one uninterrupted run of the same command. Points per command:
``SCREENER_KILL_POINTS`` (default 2, which CI runs); the figures in docs/store.md come from a
run with more points. Marked slow: subprocesses.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from fixtures.tiny import tiny_universe

from screener.sources.csvfile import remove_orphan_staging
from screener.store import STORE_FILENAME
from screener.store.connect import CONFIG
from screener.store.maintenance import check_store

TESTS = Path(__file__).resolve().parent
POINTS = int(os.environ.get("SCREENER_KILL_POINTS", "2"))
SEED = int(os.environ.get("SCREENER_KILL_SEED", "20261130"))
OUTPUTS = ("report.html", "screen.csv", "screen.json")


def kill_universe(folder: Path) -> Path:
    """Six listed companies on four exchanges (USD, AUD, GBp, CAD: FX is fetched too) and the
    SPY/REMX benchmarks, built from the worked example's company."""
    tickers = ("AAA", "BBB", "CCC", "DDD.AX", "EEE.L", "FFF.TO")
    return tiny_universe(folder, tickers, name="kill9", company_id="company-{i}")


def big_csv(path: Path, tickers: int = 120, days: int = 1500) -> Path:
    """About 180k rows of clean prices for tickers the seeded store does not hold."""
    dates = pd.bdate_range("2019-01-01", periods=days).strftime("%Y-%m-%d")
    rng = np.random.default_rng(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("date,ticker,close,volume\n")
        for k in range(tickers):
            close = 10 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
            fh.writelines(f"{d},K{k:03d},{c:.4f},1000\n" for d, c in zip(dates, close, strict=True))
    return path


@dataclass(frozen=True)
class Command:
    name: str
    argv: list[str]
    store: str  # the store file the command writes, relative to the data dir
    out: Path | None  # the report folder, for run


def state(path: Path) -> dict[str, Any] | None:
    """What a store holds, minus its clocks: price bars, instruments, fetch outcomes, runs."""
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True, config=CONFIG)
    try:
        q = {
            "prices": "SELECT ticker, date, open, high, low, close, adj_close, volume FROM prices",
            "instruments": "SELECT ticker, currency, quote_currency, price_divisor FROM instruments",
            "fetch_log": "SELECT ticker, status, rows FROM fetch_log",
            "runs": "SELECT r.run_id, r.as_of, r.universe_name, count(x.company_id) "
            "FROM runs r LEFT JOIN run_results x USING (run_id) GROUP BY ALL",
        }
        out: dict[str, Any] = {
            k: sorted(map(repr, con.execute(sql).fetchall())) for k, sql in q.items()
        }
        by_ticker: dict[str, list[str]] = {}
        for row in out["prices"]:
            by_ticker.setdefault(row.split("'")[1], []).append(row)
        out["prices"] = by_ticker  # a refresh commits chunk by chunk: judged per ticker
        return out
    finally:
        con.close()


def complete_outputs(out: Path) -> list[str]:
    """The report files that exist but are not complete (should be none)."""
    bad = []
    for name in OUTPUTS:
        path = out / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if name == "report.html" and not text.rstrip().endswith("</html>"):
            bad.append(name)
        if name == "screen.json":
            try:
                json.loads(text)
            except ValueError:
                bad.append(name)
        if name == "screen.csv" and (not text.endswith("\n") or text.count("\n") < 2):
            bad.append(name)
    return bad


def launch(cmd: Command, home: Path, *, errors: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCREENER_HOME": str(home)}
    stderr = subprocess.PIPE if errors else subprocess.DEVNULL
    return subprocess.Popen(
        cmd.argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=home.parent
    )


@pytest.fixture(scope="module")
def setups(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Command, Path, float]]:
    """Per command: the command, its "before" data dir, and its uninterrupted duration."""
    root = tmp_path_factory.mktemp("kill9")
    universe = kill_universe(root)
    py = sys.executable
    seeded = root / "seeded"
    done = subprocess.run(
        [py, "-m", "screener", "prices", "import", str(TESTS / "corpus" / "store" / "seed.csv")],
        env={**os.environ, "SCREENER_HOME": str(seeded)},
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    commands = [
        Command(
            "run --demo",
            [py, "-m", "screener", "run", "--demo", "-u", str(universe), "--out", "OUT"],
            f"demo/{STORE_FILENAME}",
            Path("OUT"),
        ),
        Command(
            "prices import",
            [py, "-m", "screener", "prices", "import", str(big_csv(root / "big.csv"))],
            STORE_FILENAME,
            None,
        ),
        Command(
            "prices refresh",
            [
                py,
                str(TESTS / "fakes" / "yahoo_universe_cli.py"),
                str(universe),
                "prices",
                "refresh",
                "-u",
                str(universe),
            ],
            STORE_FILENAME,
            None,
        ),
    ]
    out: dict[str, tuple[Command, Path, float]] = {}
    for cmd in commands:
        before = root / f"before-{cmd.name.replace(' ', '_')}" / "home"
        before.parent.mkdir()
        if cmd.name == "run --demo":
            before.mkdir()
        else:
            shutil.copytree(seeded, before)
        out[cmd.name] = (cmd, before, 0.0)
    for name, (cmd, before, _) in out.items():
        home = before.parent.parent / f"after-{name.replace(' ', '_')}" / "home"
        shutil.copytree(before, home)
        t0 = time.monotonic()
        proc = launch(cmd, home, errors=True)
        _, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, 1), (name, err.decode())
        out[name] = (cmd, before, time.monotonic() - t0)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["run --demo", "prices import", "prices refresh"])
def test_kill9_leaves_the_store_whole(
    name: str, setups: dict[str, tuple[Command, Path, float]], tmp_path: Path
) -> None:
    cmd, before_home, duration = setups[name]
    before = state(before_home / cmd.store)
    after_home = before_home.parent.parent / f"after-{name.replace(' ', '_')}" / "home"
    after = state(after_home / cmd.store)
    assert after is not None and after != before
    rng = random.Random(f"{SEED}-{name}")
    outcomes = []
    for point in range(POINTS):
        delay = rng.uniform(0.3, max(0.5, duration * 1.05))
        home = tmp_path / f"p{point}" / "home"
        shutil.copytree(before_home, home)
        proc = launch(cmd, home)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        where = f"{name}: point {point}, killed after {delay:.2f} s of {duration:.2f} s"
        store = home / cmd.store
        if store.exists():
            checked = check_store(store)
            assert checked.ok, f"{where}: {checked.problem}"
        got = state(store)
        if got is None:
            assert before is None, f"{where}: the store disappeared"
        else:
            base = before or {"prices": {}, "runs": []}
            old, new, now = base["prices"], after["prices"], got["prices"]
            for ticker in old.keys() | new.keys() | now.keys():
                assert now.get(ticker) in (old.get(ticker), new.get(ticker)), (
                    f"{where}: half-written bars of {ticker}"
                )
            assert got["runs"] in (base["runs"], after["runs"]), f"{where}: half-written run"
            if got["runs"] == after["runs"] and after["runs"] != base["runs"]:
                assert now == new, f"{where}: a run stored without the prices it measured"
        if cmd.out is not None:
            assert complete_outputs(home.parent / cmd.out) == [], f"{where}: partial report"
        outcomes.append("completed" if finished else "killed")
    if name == "prices import":  # a killed import leaves its staging folder: the next clears it
        remove_orphan_staging()
    print(f"\n{name}: {POINTS} launches ({outcomes.count('killed')} killed), 0 corruptions")
