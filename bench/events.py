"""Benchmark: the event study (all events × the universe) vs a plain per-company statsmodels loop.

    python bench/events.py      # target: the study in < 1 s on the demo store

The data is SYNTHETIC: the demo source's prices for the shipped universe, generated into a
temporary SCREENER_HOME (not timed). Timed in this process, on the same frame of closes:

* ``study``: :func:`screener.screen.event_study.study`: every dated event × every listed
  company × SPY and REMX × the three CAR windows, with the BMP, sign and Welch tests and
  the tercile and stage groups;
* the store read (``read_panel``) beside it, for the whole command's cost;
* the loop: for each benchmark and company, its own-day returns and the benchmark aligned
  with pandas, then for each event one ``statsmodels.OLS`` fit and the three CARs. It
  computes the CARs only (no tests, no groups), so the ratio flatters the loop.

The two CAR sets are compared; the output prints their largest difference.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

from screener import settings
from screener.pipeline import event_study
from screener.screen.event_study import BENCHMARKS, from_store, study
from screener.screen.events import (
    ESTIMATION,
    WINDOWS,
    Announcement,
    Window,
    event_day,
    market_model,
)
from screener.screen.panel import read_panel
from screener.sources.exchanges import exchange_of
from screener.store import Store
from screener.universe.records import Event
from screener.universe.scored import load_scored

TARGET_S = 1.0


def aligned(close: pd.DataFrame, ticker: str, bench: str) -> tuple[pd.Series, pd.Series]:
    """Own-day returns of ``ticker`` and the benchmark over the same intervals (pandas asof)."""
    ex = exchange_of(ticker)
    assert ex is not None
    own = close[ticker].dropna()
    b = close[bench].dropna()
    hh, mm = (int(x) for x in ex.close.split(":"))
    inst = (
        (own.index + pd.Timedelta(hours=hh, minutes=mm)).tz_localize(ex.timezone).tz_convert("UTC")
    )
    b_inst = (b.index + pd.Timedelta(hours=16)).tz_localize("America/New_York").tz_convert("UTC")
    level = pd.Series(b.to_numpy(), index=b_inst).asof(inst)
    return own.pct_change(), pd.Series(level.to_numpy(), index=own.index).pct_change()


def statsmodels_loop(
    close: pd.DataFrame, scored_events: list[Event], listing: dict[str, str]
) -> dict[tuple[str, str, str, Window], float]:
    """CARs by (benchmark, event id, company id, window), one OLS fit per event and company."""
    out: dict[tuple[str, str, str, Window], float] = {}
    for bench in BENCHMARKS:
        for cid, ticker in listing.items():
            r, rm = aligned(close, ticker, bench)
            ex = exchange_of(ticker)
            assert ex is not None
            for ev in scored_events:
                day = pd.Timestamp(event_day(Announcement(ev.id, ev.date, ev.time, ev.tz), ex))
                k0 = int((r.index < day).sum())
                lo, hi = k0 + ESTIMATION[0], k0 + ESTIMATION[1] + 1
                if lo < 1 or k0 + 10 >= len(r):
                    continue
                y, x = r.iloc[lo:hi].to_numpy(), rm.iloc[lo:hi].to_numpy()
                fit = sm.OLS(y, sm.add_constant(x)).fit()
                for w in WINDOWS:
                    sl = slice(k0 + w[0], k0 + w[1] + 1)
                    ar = (
                        r.iloc[sl].to_numpy()
                        - fit.params[0]
                        - fit.params[1] * rm.iloc[sl].to_numpy()
                    )
                    out[(bench, ev.id, cid, w)] = float(ar.sum())
    return out


def main() -> None:
    today = date.today()
    with tempfile.TemporaryDirectory() as home:
        print("building the demo store (synthetic prices; not timed) ...")
        event_study(universe=None, mode="demo", data_dir=Path(home), today=today)
        scored = load_scored(None, today=today)
        with Store.open(settings.store_dir(Path(home), demo=True)) as store:
            t0 = time.perf_counter()
            s_full = from_store(scored, store, today=today)
            t_cmd = time.perf_counter() - t0
            start = (
                pd.Timestamp(min(e.date for e in scored.universe.events)) - pd.DateOffset(days=420)
            ).date()
            panel = read_panel(
                store,
                [*scored.universe.tickers(), *BENCHMARKS],
                as_of=None,
                today=today,
                start=start,
            )
    close = panel.close
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        s = study(scored, close, as_of=panel.as_of, synthetic=panel.synthetic)
        best = min(best, time.perf_counter() - t0)
    chosen = {e.id for e in s.events}
    events = [e for e in scored.universe.events if e.id in chosen]
    listing = {}
    for c in scored.universe.listed:
        t = next((t for t in c.tickers if t in close.columns), None)
        if t is not None:
            listing[c.id] = t
    t0 = time.perf_counter()
    ref = statsmodels_loop(close, events, listing)
    t_loop = time.perf_counter() - t0
    # Like for like with the loop: the market model and CARs only, both benchmarks.
    cols = [listing[c] for c in listing]
    anns_all = [Announcement(e.id, e.date, e.time, e.tz) for e in events]
    t_mm = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for bench in BENCHMARKS:
            market_model(close[cols], close[bench], anns_all)
        t_mm = min(t_mm, time.perf_counter() - t0)

    ids = list(listing)
    diffs = []
    anns = [Announcement(e.id, e.date, e.time, e.tz) for e in events]
    for bench in BENCHMARKS:
        mm = market_model(close[[listing[c] for c in ids]], close[bench], anns)
        for (b, eid, cid, w), car in ref.items():
            if b == bench:
                diffs.append(abs(mm.car[w][mm.events.index(eid), ids.index(cid)] - car))
    n_pairs = len(events) * len(listing)
    print(
        f"SYNTHETIC demo store: {len(events)} events × {len(listing)} companies × {len(BENCHMARKS)} benchmarks × {len(WINDOWS)} windows"
    )
    print(
        f"study (engine, tests, groups):  {best:.3f} s   target < {TARGET_S:.0f} s   {'OK' if best < TARGET_S else 'MISSED'}"
    )
    print(
        f"store read + study (command):   {t_cmd:.3f} s   (read_panel included; {len(s_full.events)} events)"
    )
    print(
        f"statsmodels per-company loop:   {t_loop:.3f} s   ({len(ref)} CARs from {n_pairs * len(BENCHMARKS)} event × company × benchmark fits)"
    )
    print(f"market model + CARs only:       {t_mm:.3f} s   (what the loop computes)")
    print(
        f"ratio: the whole study is {t_loop / best:.0f}× faster than the loop; "
        f"like for like (CARs only) {t_loop / t_mm:.0f}×"
    )
    print(f"largest |CAR difference| between the two: {np.nanmax(diffs):.2e}")


if __name__ == "__main__":
    main()
