"""Geometry of the report's inline SVG charts (computed here, drawn by the templates).

The exposure-vs-volatility scatter and the per-company sparklines are laid out server-side so
the report needs no JavaScript and no chart library: this module turns numbers into pixel
coordinates, tick labels and label positions; ``templates/_scatter.html`` and
``templates/_card.html`` only loop over them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from screener.report import formatters

# Plot box of the scatter, in SVG user units (the SVG scales to the page width).
WIDTH, HEIGHT = 900.0, 520.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 24.0, 16.0, 52.0
CHAR_W, LABEL_H = 6.1, 11.0  # approximate glyph box of the 10.5px label font


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class ScatterPoint:
    id: str
    ticker: str
    name: str
    score: float
    vol: float
    cx: float
    cy: float
    quadrant: str | None
    frontier: bool
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


@dataclass(frozen=True)
class Sparkline:
    width: float
    height: float
    price_points: str
    drawdown_points: str  # area outline of drawdown (0 at the top, the deepest at the bottom)
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


def scatter(rows: Sequence[dict[str, Any]]) -> Scatter:
    """Lay out the score (y) against vol_1y (x) scatter of ``rows`` (the document's rows).

    Only rows with both a score and a vol_1y are plotted; the others are listed with the reason
    from ``risk_reasons`` (or "no score"). Median lines are the medians of the plotted rows.
    The Pareto frontier is drawn as a step line through the rows marked ``frontier``, sorted by
    volatility: right along the lower name's score, then up to the next one (the boundary of
    the region the frontier dominates). Labels are placed greedily in rank order at the first of
    eight positions around the point that overlaps no earlier label, point or frontier segment;
    a label with no free position is left out and counted.
    """
    plotted: list[tuple[dict[str, Any], float, float]] = []
    not_plotted: list[tuple[str, str]] = []
    for r in rows:
        exp = r.get("exposure") or {}
        risk = r.get("risk") or {}
        score = exp.get("score") if isinstance(exp, dict) else None
        vol = risk.get("vol_1y") if isinstance(risk, dict) else None
        ticker = str(r.get("ticker") or r.get("id"))
        if not isinstance(score, int | float) or not math.isfinite(score):
            score = None
        if not isinstance(vol, int | float) or not math.isfinite(vol):
            vol = None
        if score is None or vol is None:
            reasons = r.get("risk_reasons") or {}
            why = (
                "no exposure score"
                if score is None
                else (
                    reasons.get("vol_1y")
                    if isinstance(reasons, dict) and reasons.get("vol_1y")
                    else "no 1-year volatility"
                )
            )
            not_plotted.append((ticker, str(why)))
            continue
        plotted.append((r, float(score), float(vol)))

    x_lo, x_hi = 0.0, max((v for _, _, v in plotted), default=1.0)
    y_hi = max((s for _, s, _ in plotted), default=100.0)
    xt = nice_ticks(x_lo, x_hi * 1.05)
    yt = nice_ticks(0.0, min(100.0, y_hi * 1.08) if y_hi > 0 else 100.0)
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = HEIGHT - BOTTOM, TOP

    def px(v: float) -> float:
        return round(x0 + (v - xt[0]) / (xt[-1] - xt[0]) * (x1 - x0), 1)

    def py(s: float) -> float:
        return round(y0 - (s - yt[0]) / (yt[-1] - yt[0]) * (y0 - y1), 1)

    med_v = statistics.median(v for _, _, v in plotted) if plotted else None
    med_s = statistics.median(s for _, s, _ in plotted) if plotted else None

    frontier = sorted(
        ((v, s) for r, s, v in plotted if r.get("frontier")), key=lambda t: (t[0], t[1])
    )
    corners: list[tuple[float, float]] = []
    for i, (v, s) in enumerate(frontier):
        if i > 0:
            corners.append((px(v), py(frontier[i - 1][1])))
        corners.append((px(v), py(s)))

    # Points occupy space too: a label must not cover another point's circle.
    boxes: list[tuple[float, float, float, float]] = [
        (px(v) - 4, py(s) - 4, px(v) + 4, py(s) + 4) for _, s, v in plotted
    ]
    # Nor cross the frontier's step line (each segment is horizontal or vertical).
    lines = [
        (min(a[0], b[0]) - 1, min(a[1], b[1]) - 1, max(a[0], b[0]) + 1, max(a[1], b[1]) + 1)
        for a, b in pairwise(corners)
    ]
    points: list[ScatterPoint] = []
    unlabelled = 0
    for r, s, v in sorted(plotted, key=lambda t: t[0].get("rank") or 0):
        cx, cy = px(v), py(s)
        ticker = str(r.get("ticker") or r.get("id"))
        w = CHAR_W * len(ticker)
        own = (cx - 4, cy - 4, cx + 4, cy + 4)
        others = [b for b in boxes if b != own] + lines
        placed = None
        for dx, dy, anchor in (
            (7, -3, "start"),
            (-7, -3, "end"),
            (0, -9, "middle"),
            (0, 15, "middle"),
            (7, 9, "start"),
            (-7, 9, "end"),
            (7, -11, "start"),
            (-7, -11, "end"),
        ):
            lx, ly = cx + dx, cy + dy + 3.5
            left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
            box = (left, ly - LABEL_H + 2, left + w, ly + 2)
            inside = box[0] >= x0 and box[2] <= x1 + RIGHT and box[1] >= 0 and box[3] <= y0
            if inside and not _overlaps(box, others):
                placed = (round(lx, 1), round(ly, 1), anchor, box)
                break
        if placed is None:
            unlabelled += 1
        else:
            boxes.append(placed[3])
        points.append(
            ScatterPoint(
                id=str(r.get("id")),
                ticker=ticker,
                name=str(r.get("name") or ""),
                score=s,
                vol=v,
                cx=cx,
                cy=cy,
                quadrant=r.get("quadrant") if isinstance(r.get("quadrant"), str) else None,
                frontier=bool(r.get("frontier")),
                label_x=placed[0] if placed else None,
                label_y=placed[1] if placed else None,
                label_anchor=placed[2] if placed else "start",
            )
        )

    return Scatter(
        width=WIDTH,
        height=HEIGHT,
        plot_left=x0,
        plot_right=x1,
        plot_top=y1,
        plot_bottom=y0,
        points=tuple(points),
        x_ticks=tuple(Tick(px(t), formatters.pct(t, 0)) for t in xt),
        y_ticks=tuple(Tick(py(t), formatters.num(t, 0)) for t in yt),
        median_vol=med_v,
        median_score=med_s,
        median_x=px(med_v) if med_v is not None else None,
        median_y=py(med_s) if med_s is not None else None,
        frontier_path=" ".join(f"{x},{y}" for x, y in corners),
        not_plotted=tuple(not_plotted),
        unlabelled=unlabelled,
    )


def sparkline(
    dates: Sequence[str], close: Sequence[float | None], width: float = 240.0, height: float = 48.0
) -> Sparkline | None:
    """Price line and drawdown of a short close series, or None with fewer than two closes.

    Drawdown at t is ``close_t / max(close_0..close_t) − 1`` (≤ 0) over the same closes the
    sparkline draws, so it is the weekly-sampled drawdown of the shown year — it can be
    shallower than the daily ``max_dd_1y`` metric, which sees intra-week troughs.
    """
    pairs = [(d, float(c)) for d, c in zip(dates, close, strict=False) if c is not None and c > 0]
    if len(pairs) < 2:
        return None
    values = [c for _, c in pairs]
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    n = len(values) - 1
    step = width / n
    price = " ".join(
        f"{i * step:.1f},{(height - 2) - (c - lo) / span * (height - 4):.1f}"
        for i, c in enumerate(values)
    )
    peak, dds = values[0], []
    for c in values:
        peak = max(peak, c)
        dds.append(c / peak - 1.0)
    deepest = min(dds)
    scale = (height - 2) / (abs(deepest) or 1.0)
    dd = " ".join(f"{i * step:.1f},{abs(d) * scale:.1f}" for i, d in enumerate(dds))
    dd_area = f"0,0 {dd} {width:.1f},0"
    return Sparkline(
        width=width,
        height=height,
        price_points=price,
        drawdown_points=dd_area,
        first_date=pairs[0][0],
        last_date=pairs[-1][0],
        first_close=values[0],
        last_close=values[-1],
        low=lo,
        high=hi,
        max_drawdown=deepest,
    )
