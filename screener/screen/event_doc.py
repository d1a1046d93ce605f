"""The event study arranged for the run document (``events``, docs/screen-json.md).

:func:`events_record` keeps, per measured event, what the report's "Policy events" section
shows: the headline window's mean CAR by exposure tercile against the market benchmark, the
tests' p-values, the overlap marks and the tercile paths over −5..+10 with their 95 % bands.
Events no company could be measured on (too little price history before them) are listed
under ``skipped`` with the reason, not shown as empty rows. :func:`events_not_run` is the
record of a run whose store cannot carry the study (no SPY prices).
"""

from __future__ import annotations

import math
from dataclasses import replace

from screener.screen.event_study import BENCHMARKS, EventResult, EventStudy, PathPoint
from screener.screen.event_text import SYNTHETIC_NOTE, caveat, direction_sentences
from screener.screen.types import (
    BandRecord,
    EventRecord,
    EventsRecord,
    PathsRecord,
    SkippedEvent,
)

#: The market benchmark the report's section is measured against.
MARKET = BENCHMARKS[0]
NO_HISTORY = "too little price history before it for the market model"


def _f(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _band(points: tuple[PathPoint, ...]) -> BandRecord:
    return {
        "mean": [_f(p.mean) for p in points],
        "lower": [_f(p.low) for p in points],
        "upper": [_f(p.high) for p in points],
    }


def _event(ev: EventResult, s: EventStudy) -> EventRecord | None:
    """The event's record, or None when no company was measured on it."""
    w = ev.window(s.headline, MARKET)
    bench = next((b for b in ev.results if b.benchmark == MARKET), None)
    if w is None or bench is None or w.n == 0:
        return None
    paths = dict(bench.paths)
    taus = [p.tau for p in paths["high"]]
    hi, mid, lo = (t.mean for t in w.terciles)
    paths_record: PathsRecord = {
        "tau": taus,
        "high": _band(paths["high"]),
        "mid": _band(paths["mid"]),
        "low": _band(paths["low"]),
    }
    return {
        "id": ev.id,
        "date": ev.date.isoformat(),
        "title": ev.title,
        "direction": ev.direction,
        "approximate": ev.approximate,
        "n": w.n,
        "mean_car": _f(w.mean_car),
        "terciles": {"high": _f(hi), "mid": _f(mid), "low": _f(lo)},
        "difference": _f(w.high_minus_low),
        "p": _f(w.welch.p),
        "bmp_p": _f(w.bmp.p),
        "sign_p": _f(w.sign.p),
        "overlaps": list(ev.overlaps),
        "paths": paths_record,
    }


def scores_note(s: EventStudy) -> str:
    return (
        f"Exposure terciles use the scores of the run date ({s.scores_as_of.isoformat()}) for "
        "every event, not the scores as they stood on each event's date."
    )


def events_record(s: EventStudy) -> EventsRecord:
    """The study as the document's ``events`` record (measured events only, by date)."""
    kept: list[EventResult] = []
    records: list[EventRecord] = []
    skipped: list[SkippedEvent] = [{"id": i, "reason": why} for i, why in s.skipped]
    for ev in s.events:
        rec = _event(ev, s)
        if rec is None:
            skipped.append({"id": ev.id, "reason": NO_HISTORY})
        else:
            kept.append(ev)
            records.append(rec)
    measured = replace(s, events=tuple(kept))  # the caveat counts the events shown
    return {
        "benchmark": MARKET,
        "window": list(s.headline),
        "as_of": s.as_of.isoformat(),
        "companies": len(s.terciles),
        "synthetic": s.synthetic,
        "events": records,
        "skipped": skipped,
        "takeaways": direction_sentences(measured),
        "caveat": caveat(measured),
        "synthetic_note": SYNTHETIC_NOTE if s.synthetic else None,
        "scores_note": scores_note(s),
        "note": None,
    }


def events_not_run(reason: str, *, synthetic: bool) -> EventsRecord:
    """The record of a run whose store cannot carry the study, saying why."""
    return {
        "benchmark": None,
        "window": [0, 5],
        "as_of": None,
        "companies": 0,
        "synthetic": synthetic,
        "events": [],
        "skipped": [],
        "takeaways": [],
        "caveat": "",
        "synthetic_note": None,
        "scores_note": "",
        "note": reason,
    }
