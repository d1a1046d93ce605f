"""The event study of a universe: per event, mean CAR by exposure tercile and value-chain stage.

:func:`study` takes scored companies and a frame of closes and returns an :class:`EventStudy`,
typed records a renderer arranges (the CLI text in :mod:`screener.screen.event_text`, JSON via
:func:`as_dict`). :func:`from_store` reads the closes through :func:`screen.panel.read_panel`.

Conventions: one listing per company (its first ticker with prices); exposure terciles are cut
once over the companies with prices, by the score **of the run date** (not of each event's
date: the universe file holds today's facts only); a company counts in every stage it has a
segment in; approximate-date events are kept but flagged so renderers report them apart;
scheduled events (outcome not verified) are skipped.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from screener.errors import NotFoundError, PriceDataError
from screener.screen.document import clean
from screener.screen.events import (
    F64,
    WINDOWS,
    Announcement,
    MarketModel,
    Stat,
    Window,
    bmp_test,
    market_model,
    one_sample_t,
    overlaps,
    sign_test,
    welch,
)
from screener.universe.records import STAGES, Direction, Event
from screener.universe.scored import Scored

if TYPE_CHECKING:
    from screener.screen.panel import StoreRead
    from screener.store import Store

TERCILES = ("high", "mid", "low")
#: Benchmarks of the market model: the market first (the headline), the sector second.
BENCHMARKS = ("SPY", "REMX")


@dataclass(frozen=True)
class GroupCar:
    """Mean CAR of a group of companies (a tercile or a stage) for one event and window."""

    group: str
    n: int
    mean: float
    se: float  # std(ddof=1) / sqrt(n)


@dataclass(frozen=True)
class PathPoint:
    """Mean CAR from τ = −5 to ``tau`` of one tercile, with a 95 % t-interval."""

    tau: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class WindowResult:
    window: Window
    n: int
    mean_car: float
    bmp: Stat  # standardised cross-sectional t (Boehmer, Musumeci & Poulsen 1991)
    sign: Stat  # stat = number of positive CARs
    terciles: tuple[GroupCar, ...]  # high, mid, low
    high_minus_low: float
    welch: Stat  # Welch t of high vs low
    stages: tuple[GroupCar, ...]


@dataclass(frozen=True)
class BenchmarkResult:
    benchmark: str
    windows: tuple[WindowResult, ...]
    paths: tuple[tuple[str, tuple[PathPoint, ...]], ...]  # (tercile, points over −5..+10)
    excluded: tuple[tuple[str, str], ...]  # (company id, reason)


@dataclass(frozen=True)
class EventResult:
    id: str
    date: date
    title: str
    direction: Direction
    kind: str
    approximate: bool
    time: str | None
    tz: str | None
    overlaps: tuple[str, ...]  # ids of events whose [−1, +10] window meets this one's
    results: tuple[BenchmarkResult, ...]

    def window(self, window: Window, benchmark: str = BENCHMARKS[0]) -> WindowResult | None:
        for b in self.results:
            if b.benchmark == benchmark:
                return next((w for w in b.windows if w.window == window), None)
        return None


@dataclass(frozen=True)
class DirectionSummary:
    """Across the exact-dated events of one direction: mean high-minus-low CAR difference."""

    direction: Direction
    window: Window
    benchmark: str
    n_events: int
    mean_difference: float
    test: Stat  # one-sample t of the per-event differences (events treated as independent)


@dataclass(frozen=True)
class EventStudy:
    universe: str
    as_of: date  # last price date used
    scores_as_of: date  # the run date: every event is grouped by today's scores
    synthetic: bool
    benchmarks: tuple[str, ...]
    windows: tuple[Window, ...]
    terciles: tuple[tuple[str, str], ...]  # (company id, tercile)
    events: tuple[EventResult, ...]
    skipped: tuple[tuple[str, str], ...]  # (event id, reason)
    by_direction: tuple[DirectionSummary, ...]
    headline: Window = (0, 5)  # the window a table shows (``--window``)


def unknown_event(event_id: str) -> str:
    return (
        f"unknown event id {event_id!r}; the ids are in universes/events.yaml "
        "(`screener events` lists every event)"
    )


def _group(values: F64, members: np.ndarray[Any, np.dtype[np.bool_]], name: str) -> GroupCar:
    v = values[members & np.isfinite(values)]
    n = len(v)
    mean = float(v.mean()) if n else float("nan")
    se = float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return GroupCar(name, n, mean, se)


def _paths(
    mm: MarketModel, e: int, tercile: np.ndarray[Any, np.dtype[np.str_]]
) -> tuple[tuple[str, tuple[PathPoint, ...]], ...]:
    """Mean CAR(−5, τ) per tercile with a 95 % t-interval, all τ at once."""
    cum = np.cumsum(mm.ar[e], axis=1)  # CAR(−5, τ) per company
    out = []
    for t in TERCILES:
        rows = cum[(tercile == t) & np.isfinite(cum[:, -1])]
        n = len(rows)
        mean = rows.mean(axis=0) if n else np.full(len(mm.taus), np.nan)
        half = (
            _t975(n - 1) * rows.std(axis=0, ddof=1) / math.sqrt(n)
            if n > 1
            else np.full(len(mm.taus), np.nan)
        )
        pts = tuple(
            PathPoint(tau, float(m), float(m - h), float(m + h))
            for tau, m, h in zip(mm.taus, mean, half, strict=True)
        )
        out.append((t, pts))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _t975(df: int) -> float:
    """Student's t 97.5 % quantile (``special.stdtrit``, as ``scipy.stats.t.ppf``; cached)."""
    return float(special.stdtrit(df, 0.975))


def terciles(scored: Scored, with_prices: Sequence[str]) -> dict[str, str]:
    """Company id → high/mid/low by exposure score (run date), over companies with prices.

    Ranked as :meth:`Scored.ranked` (score, then id); split into three near-equal groups
    (``numpy.array_split``: the high and mid terciles take the remainder).
    """
    have = set(with_prices)
    ranked = [c.id for c, _ in scored.ranked(listed_only=True) if c.id in have]
    parts = np.array_split(np.array(ranked, dtype=object), 3)
    return {str(cid): t for t, part in zip(TERCILES, parts, strict=True) for cid in part}


def _listing(scored: Scored, columns: Sequence[str]) -> dict[str, str]:
    """Company id → its first ticker that has prices."""
    cols = set(columns)
    out: dict[str, str] = {}
    for c in scored.universe.listed:
        t = next((t for t in c.tickers if t in cols), None)
        if t is not None:
            out[c.id] = t
    return out


def study(
    scored: Scored,
    close: pd.DataFrame,
    *,
    as_of: date,
    synthetic: bool,
    event_ids: Sequence[str] | None = None,
    windows: Sequence[Window] = WINDOWS,
    benchmarks: Sequence[str] = BENCHMARKS,
    headline: Window = (0, 5),
) -> EventStudy:
    """The whole study over ``close`` (dates × tickers, benchmarks included).

    ``headline`` is measured too when it is not among ``windows``.
    """
    if headline not in windows:
        windows = (*windows, headline)
    events = list(scored.universe.events)
    known = {e.id for e in events}
    for eid in event_ids or ():
        if eid not in known:
            raise NotFoundError(unknown_event(eid))
    skipped: list[tuple[str, str]] = []
    chosen: list[Event] = []
    last = pd.Timestamp(as_of)
    for ev in events:
        if event_ids and ev.id not in event_ids:
            continue
        if ev.scheduled:
            skipped.append((ev.id, "scheduled; outcome not verified"))
        elif pd.Timestamp(ev.date) > last:
            skipped.append((ev.id, f"after the last price date {as_of.isoformat()}"))
        else:
            chosen.append(ev)
    listing = _listing(scored, list(close.columns))
    ids = list(listing)
    tickers = [listing[c] for c in ids]
    tercile_of = terciles(scored, ids)
    tercile = np.array([tercile_of[c] for c in ids], dtype=str)
    stage_sets = {c.id: {s.stage for s in c.segments} for c in scored.universe.listed}
    stage_mask = {s: np.array([s in stage_sets[c] for c in ids], dtype=bool) for s in STAGES}
    anns = [Announcement(e.id, e.date, e.time, e.tz) for e in chosen]
    bench_syms = [b for b in benchmarks if b in close.columns and close[b].notna().any()]
    if not bench_syms:
        raise PriceDataError(
            f"the event study needs benchmark prices ({', '.join(benchmarks)}) and none are "
            "stored: run `screener prices refresh`, or pass --demo for synthetic data"
        )
    models = {b: market_model(close[tickers], close[b], anns, windows=windows) for b in bench_syms}
    cal = pd.DatetimeIndex(close[bench_syms[0]].dropna().index)
    # Overlap is judged on the widest span studied ([−1, +10] unless a wider window is asked),
    # against every dated event, not only the chosen ones, on the market benchmark's calendar.
    every = (*WINDOWS, *windows)
    span: Window = (min(w[0] for w in every), max(w[1] for w in every))
    days = {e.id: pd.Timestamp(e.date) for e in events if not e.scheduled and e.date <= as_of}
    marks = overlaps(days, cal, span)

    results: list[EventResult] = []
    for k, ev in enumerate(chosen):
        per_bench = []
        for b, mm in models.items():
            wins = []
            for win in windows:
                car, var = mm.car[win][k], mm.car_var[win][k]
                ok = np.isfinite(car)
                groups = tuple(_group(car, tercile == t, t) for t in TERCILES)
                hi, lo = car[(tercile == "high") & ok], car[(tercile == "low") & ok]
                wins.append(
                    WindowResult(
                        window=win,
                        n=int(ok.sum()),
                        mean_car=float(car[ok].mean()) if ok.any() else float("nan"),
                        bmp=bmp_test(car, var),
                        sign=sign_test(car),
                        terciles=groups,
                        high_minus_low=groups[0].mean - groups[2].mean,
                        welch=welch(hi, lo),
                        stages=tuple(_group(car, stage_mask[s], s) for s in STAGES),
                    )
                )
            excluded = tuple(
                (ids[j], str(mm.reason[k, j]))
                for j in range(len(ids))
                if mm.reason[k, j] is not None
            )
            per_bench.append(BenchmarkResult(b, tuple(wins), _paths(mm, k, tercile), excluded))
        results.append(
            EventResult(
                id=ev.id,
                date=ev.date,
                title=ev.title,
                direction=ev.direction,
                kind=ev.kind,
                approximate=ev.approximate,
                time=ev.time,
                tz=ev.tz,
                overlaps=marks.get(ev.id, ()),
                results=tuple(per_bench),
            )
        )
    return EventStudy(
        universe=scored.universe.name,
        as_of=as_of,
        scores_as_of=scored.today,
        synthetic=synthetic,
        benchmarks=tuple(bench_syms),
        windows=tuple(windows),
        terciles=tuple(tercile_of.items()),
        events=tuple(results),
        skipped=tuple(skipped),
        by_direction=_by_direction(results, windows, bench_syms),
        headline=headline,
    )


def _by_direction(
    results: Sequence[EventResult], windows: Sequence[Window], benchmarks: Sequence[str]
) -> tuple[DirectionSummary, ...]:
    out = []
    for d in ("tightening", "easing"):
        for b in benchmarks:
            for win in windows:
                diffs = np.array(
                    [
                        wr.high_minus_low
                        for r in results
                        if r.direction == d and not r.approximate
                        for wr in [r.window(win, b)]
                        if wr is not None and math.isfinite(wr.high_minus_low)
                    ]
                )
                if len(diffs) >= 2 and np.std(diffs) > 0:
                    test = one_sample_t(diffs)
                else:
                    test = Stat(float("nan"), float("nan"), len(diffs))
                mean = float(diffs.mean()) if len(diffs) else float("nan")
                out.append(DirectionSummary(d, win, b, len(diffs), mean, test))
    return tuple(out)


def from_store(
    scored: Scored,
    store: Store,
    *,
    today: date,
    as_of: date | None = None,
    event_ids: Sequence[str] | None = None,
    headline: Window = (0, 5),
    read: StoreRead | None = None,
) -> EventStudy:
    """Read what the store holds for the universe (from a year before the first event) and study it.

    ``read``: a read of the store that covers :func:`study_symbols` from :func:`study_start`
    (the weekly run reads once for its screen and this study); else the store is read here.
    """
    from screener.screen.panel import panel_of, read_panel

    start = study_start(scored, today)
    symbols = study_symbols(scored)
    if read is None:
        panel = read_panel(store, symbols, as_of=as_of, today=today, start=start)
    else:
        panel = panel_of(read, symbols, as_of=as_of, start=start, end=as_of or today)
    return study(
        scored,
        panel.close,
        as_of=panel.as_of,
        synthetic=panel.synthetic,
        event_ids=event_ids,
        headline=headline,
    )


def study_symbols(scored: Scored) -> list[str]:
    """The symbols the study reads: every listing of the universe and the benchmarks."""
    return [*scored.universe.tickers(), *BENCHMARKS]


def study_start(scored: Scored, today: date) -> date:
    """The first date the study reads: 420 days before the first event (its estimation window)."""
    first = min((e.date for e in scored.universe.events), default=today)
    start: date = (pd.Timestamp(first) - pd.DateOffset(days=420)).date()
    return start


def as_dict(s: EventStudy) -> dict[str, Any]:
    """The study as JSON-ready data (``document.clean``: NaN → null, dates as ISO text, tuples as lists)."""
    out: dict[str, Any] = clean(asdict(s))
    out["scores_note"] = (
        f"Exposure terciles use the scores of the run date ({s.scores_as_of.isoformat()}) "
        "for every event, not the scores as they stood on each event's date."
    )
    return out
