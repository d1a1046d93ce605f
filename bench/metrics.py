"""Benchmark: screener.metrics.compute on a large synthetic panel vs a per-ticker empyrical loop.

    python bench/metrics.py            # 5,000 tickers × 2,520 days (targets: ≤ 1 s, ≥ 50× empyrical)
    python bench/metrics.py --quick    # 500 × 1,260, for a smoke run

Also timed, alternately with the current code in the same process, the previous implementation
of the helpers an optimisation replaced (kept below as ``previous_*``): the whole-array jump
count of the data-quality table and the element-wise input check with numpy's transposing copy.

The data is SYNTHETIC (seeded random walks with ~3 % missing closes per ticker, a block of
late listings and a share of AUD/CAD tickers). The empyrical side computes, ticker by ticker on
its own dropna'd series, the metrics empyrical-reloaded (plus scipy for skew/kurtosis) can
compute: the four point returns, three volatilities, downside risk, two max drawdowns, VaR,
CVaR, skewness, kurtosis and two weekly betas. It is timed on a subset and scaled linearly to
all tickers (its cost is linear in the number of tickers); the output says so.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from screener import settings
from screener.metrics import METRICS, _panel, compute

quality = importlib.import_module("screener.metrics.quality")  # the package exports a function
core = importlib.import_module("screener.metrics.core")
liquidity = importlib.import_module("screener.metrics.liquidity")


def synthetic_panel(n: int, t: int, seed: int = 7) -> dict[str, object]:
    """Seeded synthetic closes/volume/benchmarks/fx (labelled synthetic; not market data)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end="2025-12-31", periods=t)
    tickers = [f"SYN{i:05d}" for i in range(n)]
    sig = rng.uniform(0.01, 0.05, n)
    close = 50.0 * np.exp(np.cumsum(rng.standard_normal((t, n)) * sig, axis=0))
    close[rng.random((t, n)) < 0.03] = np.nan  # scattered non-trading days
    late = rng.choice(n, n // 20, replace=False)  # 5 % listed recently
    for k, j in enumerate(late):  # setup only, not the timed code
        close[: t - 50 - 10 * (k % 40), j] = np.nan
    volume = rng.lognormal(11, 1, (t, n))
    bench = 100.0 * np.exp(np.cumsum(rng.standard_normal((t, 2)) * 0.01, axis=0))
    fx = pd.DataFrame(
        {
            "AUD": 0.7 * np.exp(np.cumsum(rng.normal(0, 0.004, t))),
            "CAD": 0.75 * np.exp(np.cumsum(rng.normal(0, 0.003, t))),
        },
        index=dates,
    )
    ccy = dict(zip(tickers, rng.choice(["USD", "AUD", "CAD"], n, p=[0.5, 0.3, 0.2]), strict=True))
    return {
        "close": pd.DataFrame(close, index=dates, columns=tickers),
        "volume": pd.DataFrame(volume, index=dates, columns=tickers),
        "benchmarks": pd.DataFrame(bench, index=dates, columns=["SPY", "REMX"]),
        "fx": fx,
        "currency": ccy,
        "market_cap": dict(zip(tickers, rng.lognormal(20, 2, n), strict=True)),
    }


def empyrical_loop(close: pd.DataFrame, benchmarks: pd.DataFrame) -> int:
    """The comparable metrics with empyrical, one ticker at a time. Returns metrics computed."""
    import empyrical as ep

    wk_b = benchmarks.resample("W-FRI").last().pct_change().iloc[-104:]
    done = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in close.columns:
            s = close[t].dropna()
            r = ep.simple_returns(s)
            r1 = r.iloc[-252:]
            out = [ep.cum_returns_final(r.iloc[-w:]) for w in (5, 21, 63, 252)]
            out += [ep.annual_volatility(r.iloc[-w:]) for w in (21, 63, 252)]
            out += [ep.downside_risk(r1), ep.max_drawdown(r1), ep.max_drawdown(r.iloc[-756:])]
            out += [ep.value_at_risk(r1), ep.conditional_value_at_risk(r1)]
            out += [stats.skew(r1, bias=False), stats.kurtosis(r1, bias=False)]
            wk = s.resample("W-FRI").last().pct_change().reindex(wk_b.index)
            out += [ep.beta(wk, wk_b["SPY"]), ep.beta(wk, wk_b["REMX"])]
            done += len(out)
    return done


def previous_own_day_jumps(arr: np.ndarray, runs: Any) -> np.ndarray:
    """The jump count before it went block-wise (three array-sized temporaries)."""
    jump = float(settings.get("jump_return"))
    with np.errstate(invalid="ignore", divide="ignore"):
        adjacent = np.abs(arr[1:] / arr[:-1] - 1.0) > jump
        across = np.abs(arr[runs.after, runs.col] / arr[runs.before, runs.col] - 1.0) > jump
    out: np.ndarray = adjacent.sum(axis=0) + np.bincount(runs.col[across], minlength=runs.n)
    return out


def previous_check_frame(
    frame: pd.DataFrame, what: str, *, positive: bool, c_contiguous: bool = True
) -> np.ndarray:
    """The input check before: numpy's transposing copy, then an element-wise mask."""
    del what, c_contiguous
    arr = np.ascontiguousarray(frame.to_numpy(dtype=np.float64, na_value=np.nan))
    bad = np.isinf(arr) | ((arr <= 0) if positive else (arr < 0))
    assert not bad.any()
    return arr


@contextmanager
def previous() -> Iterator[None]:
    """Swap the previous helpers in (every module that imported them by name)."""
    saved = [
        (quality, "_own_day_jumps"),
        *((m, "check_frame") for m in (_panel, core, liquidity, quality)),
    ]
    old = [getattr(m, n) for m, n in saved]
    quality._own_day_jumps = previous_own_day_jumps
    for m in (_panel, core, liquidity, quality):
        m.check_frame = previous_check_frame
    try:
        yield
    finally:
        for (m, n), fn in zip(saved, old, strict=True):
            setattr(m, n, fn)


def row(figure: str, value: str, target: str, ratio: str) -> None:
    print(f"{figure:<40} {value:>9}  {target:>8}  {ratio}")


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 tickers × 1,260 days")
    ap.add_argument("--tickers", type=int, default=None)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--subset", type=int, default=200, help="tickers timed in the empyrical loop")
    ap.add_argument("--repeat", type=int, default=5, help="runs of compute (median shown)")
    args = ap.parse_args()
    n = args.tickers or (500 if args.quick else 5000)
    t = args.days or (1260 if args.quick else 2520)
    data = synthetic_panel(n, t)
    close = data["close"]
    assert isinstance(close, pd.DataFrame)

    print(f"bench/metrics.py: {n} tickers × {t} days (synthetic); {load()}")

    def run() -> pd.DataFrame:
        return compute(
            close,
            data["volume"],
            data["benchmarks"],  # type: ignore[arg-type]
            currency=data["currency"],
            fx=data["fx"],
            market_cap=data["market_cap"],  # type: ignore[arg-type]
        )

    times: dict[str, list[float]] = {"now": [], "previous": []}
    cpu: dict[str, list[float]] = {"now": [], "previous": []}
    for _ in range(args.repeat):  # alternately, so both see the same machine load
        for name in ("now", "previous"):
            with previous() if name == "previous" else nullcontext():
                t0, c0 = time.perf_counter(), time.process_time()
                out = run()
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            assert list(out.columns) == list(METRICS)
            if name == "now":
                now_out = out
            else:  # the previous helpers give the very same table
                pd.testing.assert_frame_equal(out, now_out)
    ours, before = statistics.median(times["now"]), statistics.median(times["previous"])

    sub = min(args.subset, n)
    t0 = time.perf_counter()
    count = empyrical_loop(close.iloc[:, :sub], data["benchmarks"])  # type: ignore[arg-type]
    emp_sub = time.perf_counter() - t0
    emp = emp_sub * n / sub
    scaled = f"scaled from {sub} tickers" if sub < n else "all tickers"
    print(f"compute, {args.repeat} runs: {', '.join(f'{x:.2f}' for x in times['now'])}")
    print(f"previous helpers: {', '.join(f'{x:.2f}' for x in times['previous'])}")
    print(
        f"CPU seconds (median; load-proof where wall time is not): "
        f"{statistics.median(cpu['now']):.2f} now, {statistics.median(cpu['previous']):.2f} previous"
    )
    print(
        f"empyrical loop: {count // sub} metrics/ticker, {scaled} ({emp_sub:.2f} s), "
        f"{len(METRICS)} metrics in compute\n"
    )
    full = n == 5000 and t == 2520
    row("figure", "value", "target", "ratio")
    row(
        f"metrics.compute {n}×{t} (median)",
        f"{ours:.2f} s",
        "≤ 1 s" if full else "-",
        f"{before / ours:.2f}x faster than the previous helpers ({before:.2f} s)",
    )
    row(
        "empyrical per-ticker loop (scaled)",
        f"{emp:.1f} s",
        "-",
        f"{emp / ours:.0f}x (target ≥ 50x)",
    )
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
