"""Geometry of the policy-event small multiples (computed here, drawn by ``_events.html``).

One small chart per event: the mean CAR(−5, τ) of the high, mid and low exposure terciles over
τ = −5..+10 trading days as three lines, each with its 95 % band shaded, the event day marked.
Every chart shares one frame (the same axes and ticks), so the charts compare at a glance:
the y range covers every band of every event, with zero always in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from screener.report import formatters
from screener.report.charts import Tick, nice_ticks
from screener.screen.types import BandRecord, EventRecord

# One small chart in SVG user units; the page never draws it narrower (CSS min width), so the
# 10-unit text stays at least 10 px.
WIDTH, HEIGHT = 280.0, 210.0
LEFT, RIGHT, TOP, BOTTOM = 46.0, 10.0, 16.0, 36.0
TAU_TICKS = (-5, 0, 5, 10)


@dataclass(frozen=True)
class Frame:
    """The axes every small chart shares."""

    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    event_x: float  # the event day (τ = 0)
    zero_y: float  # CAR = 0
    x_tick_end: float
    x_label_y: float
    x_title_x: float
    x_title_y: float
    y_tick_start: float
    y_label_x: float


@dataclass(frozen=True)
class TercileLine:
    tercile: str  # high | mid | low
    points: str  # SVG polyline points of the mean ("" when no point has a value)
    band: str  # SVG polygon points of the 95 % band ("" when none)
    last: str  # the mean at τ = +10, as text (for the tooltip)


@dataclass(frozen=True)
class EventChart:
    id: str
    date: str
    title: str
    direction: str
    approximate: bool
    lines: tuple[TercileLine, ...]  # high, mid, low


def _bands(ev: EventRecord) -> tuple[tuple[str, BandRecord], ...]:
    """(tercile, band) in the order high, mid, low."""
    p = ev["paths"]
    return (("high", p["high"]), ("mid", p["mid"]), ("low", p["low"]))


def _values(ev: EventRecord) -> list[float]:
    return [
        v
        for _, band in _bands(ev)
        for series in (band["mean"], band["lower"], band["upper"])
        for v in series
        if v is not None
    ]


@dataclass(frozen=True)
class _Scale:
    y_ticks: list[float]
    x0: float = LEFT
    x1: float = WIDTH - RIGHT
    y0: float = HEIGHT - BOTTOM
    y1: float = TOP
    tau0: int = TAU_TICKS[0]
    tau1: int = TAU_TICKS[-1]

    def px(self, tau: float) -> float:
        return round(self.x0 + (tau - self.tau0) / (self.tau1 - self.tau0) * (self.x1 - self.x0), 1)

    def py(self, v: float) -> float:
        lo, hi = self.y_ticks[0], self.y_ticks[-1]
        return round(self.y0 - (v - lo) / (hi - lo) * (self.y0 - self.y1), 1)


def _scale(events: Sequence[EventRecord]) -> _Scale:
    values = [v for ev in events for v in _values(ev)]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    return _Scale(nice_ticks(lo, hi if hi > lo else lo + 0.01, target=6))


def frame(events: Sequence[EventRecord]) -> Frame:
    """The shared axes of the charts of ``events``."""
    sc = _scale(events)
    return Frame(
        width=WIDTH,
        height=HEIGHT,
        plot_left=sc.x0,
        plot_right=sc.x1,
        plot_top=sc.y1,
        plot_bottom=sc.y0,
        x_ticks=tuple(Tick(sc.px(t), f"{t:+d}" if t else "0", sc.px(t)) for t in TAU_TICKS),
        y_ticks=tuple(
            Tick(sc.py(v), formatters.signed_pct(v, 0), sc.py(v) + 3.5) for v in sc.y_ticks
        ),
        event_x=sc.px(0),
        zero_y=sc.py(0.0),
        x_tick_end=sc.y0 + 4,
        x_label_y=sc.y0 + 15,
        x_title_x=(sc.x0 + sc.x1) / 2,
        x_title_y=HEIGHT - 4,
        y_tick_start=sc.x0 - 4,
        y_label_x=sc.x0 - 6,
    )


def _line(tercile: str, tau: Sequence[int], band: BandRecord, sc: _Scale) -> TercileLine:
    mean = [(t, m) for t, m in zip(tau, band["mean"], strict=True) if m is not None]
    bounds = [
        (t, lo, hi)
        for t, lo, hi in zip(tau, band["lower"], band["upper"], strict=True)
        if lo is not None and hi is not None
    ]
    upper = [f"{sc.px(t)},{sc.py(hi)}" for t, _, hi in bounds]
    lower = [f"{sc.px(t)},{sc.py(lo)}" for t, lo, _ in reversed(bounds)]
    return TercileLine(
        tercile=tercile,
        points=" ".join(f"{sc.px(t)},{sc.py(m)}" for t, m in mean),
        band=" ".join(upper + lower),
        last=formatters.signed_pct(mean[-1][1] if mean else None),
    )


def charts(events: Sequence[EventRecord], shared: Sequence[EventRecord]) -> tuple[EventChart, ...]:
    """One chart per event of ``events``, on the frame of ``shared`` (every charted event)."""
    sc = _scale(shared)
    return tuple(
        EventChart(
            id=ev["id"],
            date=ev["date"],
            title=ev["title"],
            direction=ev["direction"],
            approximate=ev["approximate"],
            lines=tuple(_line(t, ev["paths"]["tau"], band, sc) for t, band in _bands(ev)),
        )
        for ev in events
    )
