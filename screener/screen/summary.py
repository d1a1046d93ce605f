"""Numbers and verdicts the report shows that ``screen.json`` does not store.

Each is derived from the run document alone, so a stored run re-renders the same way; the
report arranges what these functions return and never works them out itself.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from screener import settings
from screener.screen.types import Row, RunInfo


@dataclass(frozen=True)
class Medians:
    """The medians the screen splits its quadrants at (None when no name has a vol_1y)."""

    score: float | None
    vol_1y: float | None


def _finite(x: float | None) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def plotted(row: Row) -> tuple[float, float] | None:
    """``(score, vol_1y)`` of a row that has both, else None (it has no place on the chart)."""
    score, vol = _finite(row["exposure"]["score"]), _finite(row["risk"].get("vol_1y"))
    return None if score is None or vol is None else (score, vol)


def medians(rows: Sequence[Row]) -> Medians:
    """Medians of score and vol_1y over the names with both: the quadrant split
    (docs/screen-json.md ``quadrant``) and the scatter's dashed lines."""
    pairs = [p for r in rows if (p := plotted(r)) is not None]
    if not pairs:
        return Medians(None, None)
    return Medians(statistics.median(s for s, _ in pairs), statistics.median(v for _, v in pairs))


def synthetic_prices(run: RunInfo, row: Row) -> bool:
    """Whether a row's prices are generated: its own mark, or the demo source of a synthetic run.

    The demo source only ever generates prices, so a synthetic run's ``demo`` rows count even
    when the per-row mark is missing or false.
    """
    dq = row["data_quality"]
    return bool(dq["synthetic"]) or (run["synthetic"] and dq["source"] == "demo")


def stale_price(row: Row) -> bool:
    """The last price is ``stale_price_days`` or more before the run date."""
    days = row["data_quality"]["stale_days"]
    return days is not None and days >= int(settings.get("stale_price_days"))


def stale_profiles(rows: Sequence[Row]) -> int:
    """How many rows carry STALE_PROFILE."""
    return sum("STALE_PROFILE" in r["exposure"]["flags"] for r in rows)


def stale_is_common(rows: Sequence[Row]) -> bool:
    """Whether half the rows or more are stale: a badge on each would then mark the fresh
    minority by its absence, so the report says it once in the header instead."""
    return bool(rows) and 2 * stale_profiles(rows) >= len(rows)


@dataclass(frozen=True)
class CountryCount:
    """How many listed names a country holds: headquartered there, and operating there (any
    segment, whatever its stage or status)."""

    country: str
    hq: int
    operations: int


@dataclass(frozen=True)
class StageCount:
    """How many listed names have a segment at a value-chain stage, how many of them produce
    there, and their median exposure score."""

    stage: str
    companies: int
    producing: int
    median_score: float | None


def by_country(rows: Sequence[Row]) -> tuple[CountryCount, ...]:
    """Listed names per country, by HQ and by where segments are; busiest first, then by code."""
    hq: dict[str, int] = {}
    ops: dict[str, int] = {}
    for r in rows:
        hq[r["hq"]] = hq.get(r["hq"], 0) + 1
        for c in {s["country"] for s in r["segments"]}:
            ops[c] = ops.get(c, 0) + 1
    countries = set(hq) | set(ops)
    out = [CountryCount(c, hq.get(c, 0), ops.get(c, 0)) for c in countries]
    return tuple(sorted(out, key=lambda x: (-max(x.hq, x.operations), -x.hq, x.country)))


def by_stage(rows: Sequence[Row], stages: Sequence[str]) -> tuple[StageCount, ...]:
    """Listed names per value-chain stage (in ``stages`` order; stages nobody has are left out)."""
    out = []
    for st in stages:
        names = [r for r in rows if any(s["stage"] == st for s in r["segments"])]
        if not names:
            continue
        producing = sum(
            any(s["stage"] == st and s["status"] == "producing" for s in r["segments"])
            for r in names
        )
        scores = [x for r in names if (x := _finite(r["exposure"]["score"])) is not None]
        median = statistics.median(scores) if scores else None
        out.append(StageCount(st, len(names), producing, median))
    return tuple(out)
