"""The exposure basket's report view: return and drawdown charts against REMX and SPY (1y and
3y), the statistics table, and the compact line for the summary (drawn by ``_basket.html``).

Arranges the document's ``basket`` record (computed by ``screen.basket_doc``); nothing here
computes a return. :func:`time_chart` is the shared geometry of a dated return chart with a
drawdown panel below it, also used by the cards' price charts (``report.price_chart``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from screener.report import formatters
from screener.report.charts import Tick, nice_ticks
from screener.screen.types import BasketLineRecord, BasketRecord, BasketWindowRecord, RunDoc

#: SVG user units, drawn 1:1 at 360 px wide. On a 360 px phone the page's padding leaves the
#: chart about 305 px, where 12.5-unit text is 10.6 px; wider screens scale it up (the page
#: shrinks the units from 700 px on, templates/_basket.html).
WIDTH = 360.0
FONT = 12.5
LEFT, RIGHT = 48.0, 10.0
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Line order and names the reader sees; css classes colour them (templates/_basket.html).
LINE_NAMES: dict[str, str] = {
    "basket": "Basket (score-weighted)",
    "basket_invvol": "Basket (score ÷ volatility)",
    "point_in_time": "Basket rebuilt each week (no look-ahead)",
    "REMX": "REMX (rare-earth ETF)",
    "SPY": "SPY (S&P 500)",
}


@dataclass(frozen=True)
class PanelView:
    """One panel of a chart: its vertical extent, y ticks and the zero line."""

    title: str
    top: float
    bottom: float
    title_y: float
    y_ticks: tuple[Tick, ...]
    zero_y: float


@dataclass(frozen=True)
class LineView:
    key: str
    label: str
    ret_path: str  # SVG path data ("" when the line has no value)
    dd_path: str
    last: str  # the last cumulative return, as text (tooltip)
    deepest: str  # the deepest drawdown, as text


@dataclass(frozen=True)
class TimeChart:
    """A dated chart: cumulative return on top, drawdown below, month ticks under both."""

    width: float
    height: float
    font: float
    plot_left: float
    plot_right: float
    ret: PanelView
    dd: PanelView
    x_ticks: tuple[Tick, ...]
    x_tick_end: float
    x_label_y: float
    y_tick_start: float
    y_label_x: float
    lines: tuple[LineView, ...]
    first_date: str
    last_date: str


def _month_ticks(first: date, last: date, x: _X) -> tuple[Tick, ...]:
    """Month starts inside [first, last], every 1, 2, 3, 6 or 12 months (≤ 6 labels); the
    first label of each year carries the year."""
    months = (last.year - first.year) * 12 + last.month - first.month
    step = next(s for s in (1, 2, 3, 6, 12) if months / s <= 6)
    y, m = first.year, first.month + 1
    if m > 12:
        y, m = y + 1, 1
    out: list[Tick] = []
    seen_year: set[int] = set()
    while date(y, m, 1) <= last:
        if (m - 1) % step == 0:
            label = MONTHS[m - 1] + (f" {y}" if y not in seen_year else "")
            seen_year.add(y)
            pos = x(date(y, m, 1))
            out.append(Tick(pos, label, pos))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


class _X:
    """Dates → x in user units."""

    def __init__(self, first: date, last: date, left: float, right: float) -> None:
        self.first, self.span = first, max((last - first).days, 1)
        self.left, self.right = left, right

    def __call__(self, d: date) -> float:
        return round(self.left + (d - self.first).days / self.span * (self.right - self.left), 1)


def _panel(
    title: str, values: Sequence[float], top: float, bottom: float, target: int
) -> tuple[PanelView, list[float]]:
    lo, hi = min([0.0, *values]), max([0.0, *values])
    ticks = nice_ticks(lo, hi if hi > lo else lo + 0.01, target=target)

    def y(v: float) -> float:
        return round(bottom - (v - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - top), 1)

    view = PanelView(
        title=title,
        top=top,
        bottom=bottom,
        title_y=top - 4,
        y_ticks=tuple(
            Tick(y(v), formatters.signed_pct(v, 0), round(y(v) + FONT / 3, 1)) for v in ticks
        ),
        zero_y=y(0.0),
    )
    return view, ticks


def _path(
    dates: Sequence[date],
    values: Sequence[float | None],
    x: _X,
    ticks: Sequence[float],
    p: PanelView,
) -> str:
    """SVG path data through the dated values (missing ones skipped, as a polyline would).

    Relative moves in tenths of a pixel: ``M48 101.4l2.2-.7 1.9 1.3`` draws exactly the
    polyline ``48,101.4 50.2,100.7 52.1,102`` in about 60% of its bytes (the 57 cards' charts
    were a quarter of the report). Deltas are taken between coordinates already rounded to
    tenths, so no rounding error accumulates along the line.
    """
    lo, hi = ticks[0], ticks[-1]

    def y(v: float) -> int:
        return round((p.bottom - (v - lo) / (hi - lo) * (p.bottom - p.top)) * 10)

    pts = [(round(x(d) * 10), y(v)) for d, v in zip(dates, values, strict=True) if v is not None]
    if not pts:
        return ""
    (x0, y0), out = pts[0], []
    for x1, y1 in pts[1:]:
        dy = _tenths(y1 - y0)
        out.append(_tenths(x1 - x0) + ("" if dy.startswith("-") else " ") + dy)
        x0, y0 = x1, y1
    head = f"M{_tenths(pts[0][0])} {_tenths(pts[0][1])}"
    return head + ("l" + " ".join(out) if out else "")


def _tenths(v: int) -> str:
    """Tenths as the shortest decimal: 22 -> ``2.2``, -7 -> ``-.7``, 10 -> ``1``, 0 -> ``0``."""
    sign, v = ("-" if v < 0 else ""), abs(v)
    whole, tenth = divmod(v, 10)
    if tenth == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{tenth}"


def time_chart(
    dates: Sequence[str],
    lines: Sequence[tuple[str, str, Sequence[float | None], Sequence[float | None]]],
    *,
    height: float,
    dd_share: float = 0.3,
) -> TimeChart | None:
    """The geometry of ``lines`` (key, label, cumulative returns, drawdowns) over ``dates``.

    None when no line has a value.
    """
    values = [v for _, _, ret, _ in lines for v in ret if v is not None]
    if not dates or not values:
        return None
    ds = [date.fromisoformat(d) for d in dates]
    x = _X(ds[0], ds[-1], LEFT, WIDTH - RIGHT)
    axis = FONT + 8  # room under the lower panel for the month labels
    gap = FONT + 16  # between the panels: the lower panel's title
    usable = height - FONT - 6 - axis - gap
    ret_top = FONT + 6
    ret_bottom = round(ret_top + usable * (1 - dd_share), 1)
    dd_top = round(ret_bottom + gap, 1)
    dd_bottom = height - axis
    ret, ret_ticks = _panel("Cumulative return", values, ret_top, ret_bottom, 6)
    dds = [v for _, _, _, dd in lines for v in dd if v is not None]
    dd, dd_ticks = _panel("Drawdown", dds or [0.0], dd_top, dd_bottom, 3)
    return TimeChart(
        width=WIDTH,
        height=height,
        font=FONT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        ret=ret,
        dd=dd,
        x_ticks=_month_ticks(ds[0], ds[-1], x),
        x_tick_end=dd_bottom + 3,
        x_label_y=dd_bottom + 3 + FONT,
        y_tick_start=LEFT - 3,
        y_label_x=LEFT - 5,
        lines=tuple(
            LineView(
                key=key,
                label=label,
                ret_path=_path(ds, r, x, ret_ticks, ret),
                dd_path=_path(ds, d, x, dd_ticks, dd),
                last=formatters.signed_pct(next((v for v in reversed(r) if v is not None), None)),
                deepest=formatters.pct(min((v for v in d if v is not None), default=None)),
            )
            for key, label, r, d in lines
        ),
        first_date=dates[0],
        last_date=dates[-1],
    )


# --- the basket section ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatsRow:
    key: str
    label: str
    total_return: float | None
    vol: float | None
    max_dd: float | None
    beta: float | None
    tracking_error: float | None
    since: str | None  # the point-in-time line: the date its own span starts


@dataclass(frozen=True)
class WindowView:
    window: str  # 1y | 3y
    title: str  # "1 year" | "3 years"
    start: str
    chart: TimeChart | None
    stats: tuple[StatsRow, ...]


@dataclass(frozen=True)
class CompactRow:
    label: str
    total_return: float | None
    vol: float | None
    max_dd: float | None


@dataclass(frozen=True)
class BasketView:
    label: str  # "today's basket on past prices, not a backtest"
    method: str
    synthetic: bool
    names: int
    names_invvol: int
    largest: str  # "MP 8.0%"
    turnover: float | None
    turnover_invvol: float | None
    previous_run: str | None
    rule_note: str | None  # equal weight instead of the cap, in words
    point_in_time: str
    note: str | None
    windows: tuple[WindowView, ...]
    compact: tuple[CompactRow, ...]  # basket, REMX, SPY over 1 year (the summary's line)
    compact_window: str


def _stats(line: BasketLineRecord) -> StatsRow:
    s = line["stats"]
    return StatsRow(
        key=line["key"],
        label=LINE_NAMES.get(line["key"], line["label"]),
        total_return=s["total_return"],
        vol=s["vol"],
        max_dd=s["max_dd"],
        beta=s["beta"],
        tracking_error=s["tracking_error"],
        since=line["start"] if line["key"] == "point_in_time" else None,
    )


def _window(w: BasketWindowRecord) -> WindowView:
    chart = time_chart(
        w["dates"],
        [
            (ln["key"], LINE_NAMES.get(ln["key"], ln["label"]), ln["ret"], ln["dd"])
            for ln in w["lines"]
        ],
        height=320.0,
    )
    years = w["window"][:-1]
    return WindowView(
        window=w["window"],
        title=f"{years} year" + ("" if years == "1" else "s"),
        start=w["start"],
        chart=chart,
        stats=tuple(_stats(ln) for ln in w["lines"]),
    )


def basket_view(doc: RunDoc) -> BasketView | None:
    """The report's view of the run's basket; None in runs stored before the basket was kept."""
    rec: BasketRecord | None = doc.get("basket")
    if rec is None:
        return None
    score, inv = rec["variants"][0], rec["variants"][1]
    largest = score["largest"]
    windows = tuple(_window(w) for w in rec["windows"])
    first = rec["windows"][0] if rec["windows"] else None
    compact = tuple(
        CompactRow(
            LINE_NAMES.get(ln["key"], ln["label"]).split(" (")[0],
            ln["stats"]["total_return"],
            ln["stats"]["vol"],
            ln["stats"]["max_dd"],
        )
        for ln in (first["lines"] if first else [])
        if ln["key"] in ("basket", "REMX", "SPY")
    )
    rule_note = None
    if score["rule"] == "equal_weight":
        rule_note = (
            f"Only {score['names']} names pass the gates, too few for an 8 % issuer cap "
            f"(13 needed): equal weight, {formatters.pct(score['cap'])} each."
        )
    return BasketView(
        label=rec["label"],
        method=rec["method"],
        synthetic=rec["synthetic"],
        names=score["names"],
        names_invvol=inv["names"],
        largest=(f"{largest['ticker']} {formatters.pct(largest['weight'])}" if largest else "–"),
        turnover=score["turnover"],
        turnover_invvol=inv["turnover"],
        previous_run=rec["previous_run"],
        rule_note=rule_note,
        point_in_time=rec["point_in_time"]["note"],
        note=rec["note"],
        windows=windows,
        compact=compact,
        compact_window=first["window"] if first else "1y",
    )
