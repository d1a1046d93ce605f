"""A card's price chart: the company's primary listing against REMX, cumulative return on top
and drawdown below (drawn by the ``price_chart`` macro of ``_price_chart.html``).

Arranges the row's ``price`` series and REMX's line of the same basket window (both computed
by ``screen.basket_doc``, in USD); nothing here computes a return.
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.report.basket_chart import TimeChart, time_chart
from screener.screen import summary
from screener.screen.types import Row, RunDoc

BENCHMARK = "REMX"
HEIGHT = 230.0


@dataclass(frozen=True)
class PriceChart:
    ticker: str
    window: str  # 1y | 3y
    title: str  # "3 years"
    start: str  # the company's first date on the chart
    first_date: str
    last_date: str
    benchmark: str | None  # REMX, when the run measured it
    chart: TimeChart
    caption: str  # what the chart shows, in words (says "synthetic" on demo prices)


def price_chart_view(doc: RunDoc, row: Row) -> PriceChart | None:
    """The chart of ``row``'s primary listing; None when the run kept no price series for it
    (runs stored before the basket was kept, or a listing without prices)."""
    price = row.get("price")
    basket = doc.get("basket")
    if not price or basket is None or not row["ticker"]:
        return None
    window = next((w for w in basket["windows"] if w["window"] == price["window"]), None)
    if window is None or len(window["dates"]) != len(price["ret"]):
        return None
    bench = next((ln for ln in window["lines"] if ln["key"] == BENCHMARK), None)
    lines = [(row["ticker"], row["ticker"], price["ret"], price["dd"])]
    if bench is not None:
        # REMX's return only: the drawdown panel is the company's own
        lines.append((BENCHMARK, BENCHMARK, bench["ret"], [None] * len(bench["dd"])))
    chart = time_chart(window["dates"], lines, height=HEIGHT, dd_share=0.32)
    if chart is None:
        return None
    years = price["window"][:-1]
    title = f"{years} year" + ("" if years == "1" else "s")
    synthetic = summary.synthetic_prices(doc["run"], row)  # the card's own rule
    since = (
        "" if price["start"] == window["start"] else f", from its first close on {price['start']}"
    )
    caption = (
        f"{row['ticker']} against {BENCHMARK if bench else 'no benchmark (REMX not stored)'}: "
        f"cumulative return and drawdown in USD, weekly, {title}{since}"
        + (". SYNTHETIC prices, not market data." if synthetic else ".")
    )
    return PriceChart(
        ticker=row["ticker"],
        window=price["window"],
        title=title,
        start=price["start"],
        first_date=window["dates"][0],
        last_date=window["dates"][-1],
        benchmark=BENCHMARK if bench else None,
        chart=chart,
        caption=caption,
    )
