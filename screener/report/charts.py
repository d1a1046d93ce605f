"""Geometry of the report's inline SVG charts (computed here, drawn by the templates).

The exposure-vs-volatility scatter is laid out server-side so the report needs no JavaScript
and no chart library: this module turns numbers into pixel coordinates, tick labels and label
positions; ``templates/_scatter.html`` only loops over them. :func:`close_summary` gives a
card's year of weekly closes in numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from screener.report import formatters
from screener.screen import summary
from screener.screen.summary import Medians
from screener.screen.types import Row

# Plot box of the scatter, in SVG user units (the SVG scales to the page width).
WIDTH, HEIGHT = 900.0, 520.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 24.0, 16.0, 52.0
CHAR_W, LABEL_H = 6.1, 11.0  # approximate glyph box of the 10.5px label font


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    text_pos: float  # where the label sits along the same axis (x ticks: pos; y ticks: below)


@dataclass(frozen=True)
class ScatterPoint:
    id: str
    ticker: str
    name: str
    score: float
    vol: float
    cx: float
    cy: float
    # The evidence interval as a vertical whisker from low to high (None: the run has none).
    low: float | None
    high: float | None
    y_low: float | None
    y_high: float | None
    quadrant: str | None
    frontier: bool
    feoc: bool  # Chinese ownership or control: drawn as a square
    anchor: str  # the company's card
    label_x: float | None  # None: no room for a label without overlap (the tooltip remains)
    label_y: float | None
    label_anchor: str


@dataclass(frozen=True)
class Scatter:
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    points: tuple[ScatterPoint, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    median_vol: float | None
    median_score: float | None
    median_x: float | None
    median_y: float | None
    frontier_path: str  # SVG polyline points, "" when fewer than one frontier point
    not_plotted: tuple[tuple[str, str], ...]  # (ticker, reason)
    unlabelled: int
    # Where the axis furniture goes: tick marks stick out 5 units, tick labels sit beyond them.
    x_tick_end: float
    x_label_y: float
    y_tick_start: float
    y_label_x: float
    x_title_x: float
    x_title_y: float
    y_title_y: float


@dataclass(frozen=True)
class CloseSummary:
    """A year of weekly closes in numbers: a card's line under its price chart."""

    first_date: str
    last_date: str
    first_close: float
    last_close: float
    low: float
    high: float
    max_drawdown: float  # ≤ 0, from the same weekly closes


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 × 10^k."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 10))
    return ticks


def _overlaps(
    box: tuple[float, float, float, float], boxes: list[tuple[float, float, float, float]]
) -> bool:
    x0, y0, x1, y1 = box
    return any(not (x1 <= a0 or x0 >= a1 or y1 <= b0 or y0 >= b1) for a0, b0, a1, b1 in boxes)


_LABEL_SPOTS = (  # (dx, dy, text-anchor) around a point, in the order they are tried
    (7, -3, "start"),
    (-7, -3, "end"),
    (0, -9, "middle"),
    (0, 15, "middle"),
    (7, 9, "start"),
    (-7, 9, "end"),
    (7, -11, "start"),
    (-7, -11, "end"),
)
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Axes:
    """Value → pixel scales of the plot box, with their round tick values."""

    x_ticks: list[float]
    y_ticks: list[float]
    x0: float = LEFT
    x1: float = WIDTH - RIGHT
    y0: float = HEIGHT - BOTTOM
    y1: float = TOP

    def px(self, v: float) -> float:
        xt = self.x_ticks
        return round(self.x0 + (v - xt[0]) / (xt[-1] - xt[0]) * (self.x1 - self.x0), 1)

    def py(self, s: float) -> float:
        yt = self.y_ticks
        return round(self.y0 - (s - yt[0]) / (yt[-1] - yt[0]) * (self.y0 - self.y1), 1)


def _split(rows: Sequence[Row]) -> tuple[list[tuple[Row, float, float]], list[tuple[str, str]]]:
    """Rows with a score and a vol_1y (row, score, vol), and the others with the reason."""
    plotted: list[tuple[Row, float, float]] = []
    not_plotted: list[tuple[str, str]] = []
    for r in rows:
        point = summary.plotted(r)
        if point is None:
            why = r["risk_reasons"].get("vol_1y") or "no 1-year volatility"
            not_plotted.append((r["ticker"] or r["id"], why))
        else:
            plotted.append((r, *point))
    return plotted, not_plotted


def _interval(row: Row) -> tuple[float, float] | None:
    """The row's evidence interval, or None for a run stored before model v2."""
    exp = row["exposure"]
    low, high = exp.get("low"), exp.get("high")
    return None if low is None or high is None else (float(low), float(high))


def _axes(plotted: Sequence[tuple[Row, float, float]]) -> _Axes:
    x_hi = max((v for _, _, v in plotted), default=1.0)
    # The axis covers the whiskers' tops, not only the points.
    y_hi = max((max(s, (_interval(r) or (s, s))[1]) for r, s, _ in plotted), default=100.0)
    return _Axes(
        nice_ticks(0.0, x_hi * 1.05),
        nice_ticks(0.0, min(100.0, y_hi * 1.08) if y_hi > 0 else 100.0),
    )


def _frontier_corners(
    plotted: Sequence[tuple[Row, float, float]], ax: _Axes
) -> list[tuple[float, float]]:
    """The step line through the frontier names by volatility: right along the lower name's
    score, then up to the next one."""
    frontier = sorted(((v, s) for r, s, v in plotted if r["frontier"]), key=lambda t: (t[0], t[1]))
    corners: list[tuple[float, float]] = []
    for i, (v, s) in enumerate(frontier):
        if i > 0:
            corners.append((ax.px(v), ax.py(frontier[i - 1][1])))
        corners.append((ax.px(v), ax.py(s)))
    return corners


def _place_label(
    cx: float, cy: float, text: str, ax: _Axes, others: list[Box]
) -> tuple[float, float, str, Box] | None:
    """The first spot around (cx, cy) where ``text`` stays in the plot and overlaps nothing."""
    w = CHAR_W * len(text)
    for dx, dy, anchor in _LABEL_SPOTS:
        lx, ly = cx + dx, cy + dy + 3.5
        left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
        box = (left, ly - LABEL_H + 2, left + w, ly + 2)
        inside = box[0] >= ax.x0 and box[2] <= ax.x1 + RIGHT and box[1] >= 0 and box[3] <= ax.y0
        if inside and not _overlaps(box, others):
            return round(lx, 1), round(ly, 1), anchor, box
    return None


def _points(
    plotted: Sequence[tuple[Row, float, float]], ax: _Axes, corners: list[tuple[float, float]]
) -> tuple[list[ScatterPoint], int]:
    """The plotted points in rank order with their labels placed, and how many got none."""
    # Points occupy space too: a label must not cover another point's circle.
    boxes: list[Box] = [
        (ax.px(v) - 4, ax.py(s) - 4, ax.px(v) + 4, ax.py(s) + 4) for _, s, v in plotted
    ]
    # Nor cross the frontier's step line (each segment is horizontal or vertical).
    lines = [
        (min(a[0], b[0]) - 1, min(a[1], b[1]) - 1, max(a[0], b[0]) + 1, max(a[1], b[1]) + 1)
        for a, b in pairwise(corners)
    ]
    points: list[ScatterPoint] = []
    unlabelled = 0
    for r, s, v in sorted(plotted, key=lambda t: t[0]["rank"]):
        cx, cy = ax.px(v), ax.py(s)
        interval = _interval(r)
        ticker = r["ticker"] or r["id"]
        own = (cx - 4, cy - 4, cx + 4, cy + 4)
        placed = _place_label(cx, cy, ticker, ax, [b for b in boxes if b != own] + lines)
        if placed is None:
            unlabelled += 1
        else:
            boxes.append(placed[3])
        points.append(
            ScatterPoint(
                id=r["id"],
                ticker=ticker,
                name=r["name"] or "",
                score=s,
                vol=v,
                cx=cx,
                cy=cy,
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
                y_low=ax.py(interval[0]) if interval else None,
                y_high=ax.py(interval[1]) if interval else None,
                quadrant=r["quadrant"],
                frontier=r["frontier"],
                feoc="FEOC" in r["exposure"]["flags"],
                anchor=f"card-{r['id']}",
                label_x=placed[0] if placed else None,
                label_y=placed[1] if placed else None,
                label_anchor=placed[2] if placed else "start",
            )
        )
    return points, unlabelled


def scatter(rows: Sequence[Row], medians: Medians) -> Scatter:
    """Lay out the score (y) against vol_1y (x) scatter of ``rows`` (the document's rows).

    Only rows with both a score and a vol_1y are plotted; the others are listed with the reason
    from ``risk_reasons``. ``medians`` (:func:`screener.screen.summary.medians`) place the
    dashed lines. The Pareto frontier is drawn as a step line through the rows marked
    ``frontier``, sorted by volatility: right along the lower name's score, then up to the next
    one (the boundary of the region the frontier dominates). Labels are placed greedily in rank
    order at the first of eight positions around the point that overlaps no earlier label,
    point or frontier segment; a label with no free position is left out and counted.
    """
    plotted, not_plotted = _split(rows)
    ax = _axes(plotted)
    corners = _frontier_corners(plotted, ax)
    points, unlabelled = _points(plotted, ax, corners)
    med_s, med_v = medians.score, medians.vol_1y
    return Scatter(
        width=WIDTH,
        height=HEIGHT,
        plot_left=ax.x0,
        plot_right=ax.x1,
        plot_top=ax.y1,
        plot_bottom=ax.y0,
        points=tuple(points),
        x_ticks=tuple(Tick(ax.px(t), formatters.pct(t, 0), ax.px(t)) for t in ax.x_ticks),
        y_ticks=tuple(Tick(ax.py(t), formatters.num(t, 0), ax.py(t) + 4) for t in ax.y_ticks),
        median_vol=med_v,
        median_score=med_s,
        median_x=ax.px(med_v) if med_v is not None else None,
        median_y=ax.py(med_s) if med_s is not None else None,
        frontier_path=" ".join(f"{x},{y}" for x, y in corners),
        not_plotted=tuple(not_plotted),
        unlabelled=unlabelled,
        x_tick_end=ax.y0 + 5,
        x_label_y=ax.y0 + 18,
        y_tick_start=ax.x0 - 5,
        y_label_x=ax.x0 - 8,
        x_title_x=(ax.x0 + ax.x1) / 2,
        x_title_y=HEIGHT - 10,
        y_title_y=(ax.y1 + ax.y0) / 2,
    )


def close_summary(dates: Sequence[str], close: Sequence[float | None]) -> CloseSummary | None:
    """First, last, low and high of a short close series and its deepest drawdown, or None
    with fewer than two closes.

    Drawdown at t is ``close_t / max(close_0..close_t) − 1`` (≤ 0) over these weekly closes,
    so it can be shallower than the daily ``max_dd_1y`` metric, which sees intra-week troughs.
    """
    pairs = [(d, float(c)) for d, c in zip(dates, close, strict=False) if c is not None and c > 0]
    if len(pairs) < 2:
        return None
    values = [c for _, c in pairs]
    peak, deepest = values[0], 0.0
    for c in values:
        peak = max(peak, c)
        deepest = min(deepest, c / peak - 1.0)
    return CloseSummary(
        first_date=pairs[0][0],
        last_date=pairs[-1][0],
        first_close=values[0],
        last_close=values[-1],
        low=min(values),
        high=max(values),
        max_drawdown=deepest,
    )
