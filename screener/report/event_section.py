"""The report's "Policy events" section, arranged from the document's ``events`` record.

Exact-dated events first, approximate ones in a table of their own; one small chart per event
(geometry: :mod:`screener.report.event_charts`). Nothing is recomputed: every number is the
document's. A run stored before the study was recorded renders as "not recorded".
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.report.event_charts import EventChart, Frame, charts, frame
from screener.screen.types import EventRecord, EventsRecord, RunDoc


@dataclass(frozen=True)
class EventRow:
    id: str
    date: str
    title: str
    direction: str
    n: int
    high: float | None
    low: float | None
    difference: float | None
    p: float | None
    overlaps: tuple[str, ...]


@dataclass(frozen=True)
class EventsSection:
    recorded: bool  # false: a run stored before the study was kept
    note: str | None  # why the study was not run (no SPY prices)
    benchmark: str
    window: str  # "[0, +5]"
    companies: int
    exact: tuple[EventRow, ...]
    approximate: tuple[EventRow, ...]
    frame: Frame | None  # the charts' shared axes (None: no event measured)
    exact_charts: tuple[EventChart, ...]
    approximate_charts: tuple[EventChart, ...]
    takeaways: tuple[str, ...]
    caveat: str
    synthetic_note: str | None
    scores_note: str
    skipped: tuple[tuple[str, str], ...]  # (event id, reason)


def _row(ev: EventRecord) -> EventRow:
    t = ev["terciles"]
    return EventRow(
        id=ev["id"],
        date=ev["date"],
        title=ev["title"],
        direction=ev["direction"],
        n=ev["n"],
        high=t["high"],
        low=t["low"],
        difference=ev["difference"],
        p=ev["p"],
        overlaps=tuple(ev["overlaps"]),
    )


def _window(w: list[int]) -> str:
    a, b = w
    return f"[{a:+d},{b:+d}]".replace("+0,", "0,").replace("[-0", "[0")


NOT_RECORDED = EventsSection(
    recorded=False,
    note=None,
    benchmark="",
    window="",
    companies=0,
    exact=(),
    approximate=(),
    frame=None,
    exact_charts=(),
    approximate_charts=(),
    takeaways=(),
    caveat="",
    synthetic_note=None,
    scores_note="",
    skipped=(),
)


def events_section(doc: RunDoc) -> EventsSection:
    # .get: a run stored before the event study was kept has no key
    rec: EventsRecord | None = doc.get("events")
    if rec is None:
        return NOT_RECORDED
    exact = [e for e in rec["events"] if not e["approximate"]]
    approx = [e for e in rec["events"] if e["approximate"]]
    shown = exact + approx
    return EventsSection(
        recorded=True,
        note=rec["note"],
        benchmark=rec["benchmark"] or "",
        window=_window(rec["window"]),
        companies=rec["companies"],
        exact=tuple(_row(e) for e in exact),
        approximate=tuple(_row(e) for e in approx),
        frame=frame(shown) if shown else None,
        exact_charts=charts(exact, shown),
        approximate_charts=charts(approx, shown),
        takeaways=tuple(rec["takeaways"]),
        caveat=rec["caveat"],
        synthetic_note=rec["synthetic_note"],
        scores_note=rec["scores_note"],
        skipped=tuple((s["id"], s["reason"]) for s in rec["skipped"]),
    )
