"""Benchmark: the exposure basket step of a run vs a plain pandas loop, and its report views.

    python bench/basket.py      # target: the basket step well under a second on the demo store

The data is SYNTHETIC: the demo source's prices for the shipped universe, generated into a
temporary SCREENER_HOME by one ``screener run --demo`` (not timed). Timed in this process:

* ``basket step``: :func:`screener.screen.basket_doc.usd_returns` + ``build_basket``: weights,
  USD returns, the 1y and 3y lines with their statistics, every row's weekly price series;
* the loop: the same score-weighted daily basket return computed day by day in Python over
  the same returns frame (rescaling the weights of the names with a return), the plain way;
  it computes that one series only, so the ratio flatters the loop;
* the report views (``basket_view`` + every card's ``price_chart_view``).

The two basket return series are compared; the output prints their largest difference.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from screener import settings
from screener.pipeline import run
from screener.report.basket_chart import basket_view
from screener.report.price_chart import price_chart_view
from screener.screen import basket as bk
from screener.screen.basket_doc import build_basket, members_of, usd_returns
from screener.screen.panel import read_panel
from screener.store import Store


def loop_basket(returns: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    out = {}
    for day, row in returns.iterrows():
        num = wsum = 0.0
        for t, w in weights.items():
            r = row.get(t)
            if r is not None and not np.isnan(r):
                num += w * r
                wsum += w
        out[day] = num / wsum if wsum > 0 else np.nan
    return pd.Series(out, dtype=float)


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    today = date.today()
    with tempfile.TemporaryDirectory() as home:
        print("building the demo store and one run (synthetic prices; not timed) ...")
        result = run(
            universe=None, mode="demo", data_dir=Path(home), out_dir=Path(home) / "out", today=today
        )
        doc = result.document
        with Store.open(settings.store_dir(Path(home), demo=True)) as store:
            symbols = [r["ticker"] for r in doc["rows"] if r["ticker"]] + ["REMX", "SPY"]
            panel = read_panel(store, symbols, as_of=None, today=today)
    as_of = panel.as_of

    def step() -> None:
        returns = usd_returns(panel.close, panel.fx, panel.currency, as_of)
        build_basket(doc["rows"], returns, as_of=as_of, synthetic=True)

    returns = usd_returns(panel.close, panel.fx, panel.currency, as_of)
    members = members_of(doc["rows"])
    tick = {m.id: m.ticker for m in members}
    weights = {tick[k]: v for k, v in bk.score_weights(members).weights.items()}
    fast = bk.basket_returns(returns, weights)
    slow = loop_basket(returns, weights)
    diff = float(np.nanmax(np.abs(fast.to_numpy() - slow.reindex(fast.index).to_numpy())))

    t_step = best(step)
    t_vec = best(lambda: bk.basket_returns(returns, weights))
    t_loop = best(lambda: loop_basket(returns, weights), repeat=1)
    t_views = best(lambda: (basket_view(doc), [price_chart_view(doc, r) for r in doc["rows"]]))
    print(f"{len(members)} members, {returns.shape[0]} days × {returns.shape[1]} listings")
    print(f"basket step (weights, returns, 1y/3y lines, stats, row series): {t_step:.3f} s")
    print(
        f"daily basket return: vectorised {t_vec * 1e3:.1f} ms vs Python loop {t_loop:.2f} s "
        f"(×{t_loop / t_vec:.0f}); largest difference {diff:.1e}"
    )
    print(f"report views (basket + {len(doc['rows'])} card charts): {t_views:.3f} s")


if __name__ == "__main__":
    main()
