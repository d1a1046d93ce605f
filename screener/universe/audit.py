"""What to re-check first in a universe: ``screener universe audit``.

A wrong fact misleads a reader when it moves a company's rank. For each listed company this
module measures how far the rank could move within its evidence interval (every other company
held at the opposite end of its own), and how far it would move if a fact resting on secondary
sources alone were wrong (the fact removed and the company rescored). Companies are ordered by
the larger of the two, then by the interval's width, then by the profile's age.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from screener.universe.exposure import Exposure, score
from screener.universe.records import FEED_STAGES, Company
from screener.universe.scored import Scored, load_scored


@dataclass(frozen=True)
class AuditRow:
    """One company's case for being re-checked."""

    company_id: str
    name: str
    ticker: str | None
    rank: int
    score: float
    low: float
    high: float
    best_rank: int  # every unknown of this company at its top, every other company's at its bottom
    worst_rank: int
    secondary_only: tuple[str, ...]  # facts whose every source is secondary
    secondary_rank_shift: int  # largest rank move if one of those facts were wrong
    missing_capacity: tuple[str, ...]
    missing_feed: tuple[str, ...]
    as_of: date
    age_days: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def rank_span(self) -> int:
        return self.worst_rank - self.best_rank

    @property
    def priority(self) -> int:
        """Places a reader's ranking could be off by: the larger of the two measures."""
        return max(self.rank_span, self.secondary_rank_shift)

    def to_dict(self) -> dict[str, Any]:
        """The row's fields, what they imply (width, rank span, priority) and its reasons."""
        return {
            **asdict(self),
            "as_of": self.as_of.isoformat(),
            "width": self.width,
            "rank_span": self.rank_span,
            "priority": self.priority,
            "reasons": self.reasons(),
        }

    def reasons(self) -> list[str]:
        out = []
        if self.rank_span and self.width > 0:
            out.append(
                f"rank {self.rank} could be anywhere from {self.best_rank} to {self.worst_rank} "
                f"within its interval ({self.low:.1f}–{self.high:.1f})"
            )
        elif self.rank_span:  # its own score is known; other companies' intervals straddle it
            out.append(
                f"rank {self.rank} could be anywhere from {self.best_rank} to {self.worst_rank} "
                "within the other companies' intervals"
            )
        if self.secondary_only:
            out.append(
                f"{len(self.secondary_only)} fact(s) rest on secondary sources alone"
                + (
                    f"; if wrong, the rank moves up to {self.secondary_rank_shift} "
                    f"place{'' if self.secondary_rank_shift == 1 else 's'}"
                    if self.secondary_rank_shift
                    else ""
                )
            )
        if self.missing_capacity:
            out.append(f"capacity unknown: {', '.join(self.missing_capacity)}")
        if self.missing_feed:
            out.append(f"feed unknown: {', '.join(self.missing_feed)}")
        return out


def _label(stage: str, site: str | None, country: str) -> str:
    return f"{stage.replace('_', '/')} at {site or country}"


def secondary_only_facts(company: Company) -> list[tuple[str, Company]]:
    """Each scored fact whose every source is secondary, with the profile without that fact."""
    kinds = {s.id: s.kind for s in company.sources}

    def weak(ids: Sequence[str]) -> bool:
        return bool(ids) and all(kinds.get(i) == "secondary" for i in ids)

    out: list[tuple[str, Company]] = []
    for i, seg in enumerate(company.segments):
        if weak(seg.sources):
            rest = company.segments[:i] + company.segments[i + 1 :]
            out.append((_label(seg.stage, seg.site, seg.country), replace(company, segments=rest)))
    for i, sup in enumerate(company.support):
        if sup.ree_related and weak(sup.sources):
            rest_s = company.support[:i] + company.support[i + 1 :]
            label = f"{sup.kind.replace('_', ' ')} from {sup.counterparty}"
            out.append((label, replace(company, support=rest_s)))
    if company.china.any_link and weak(company.china.sources):
        out.append(("China links", replace(company, china=type(company.china)())))
    return out


def _rank_of(value: float, others: Sequence[float]) -> int:
    return 1 + sum(o > value for o in others)


def audit(scored: Scored) -> list[AuditRow]:
    """Listed companies, the ones a wrong fact could mislead most first."""
    ranked = scored.ranked(listed_only=True)
    exposures: dict[str, Exposure] = {c.id: e for c, e in ranked}
    rows = []
    for rank, (company, e) in enumerate(ranked, start=1):
        others = [x for cid, x in exposures.items() if cid != company.id]
        best = _rank_of(e.high, [o.low for o in others])
        worst = _rank_of(e.low, [o.high for o in others])
        facts = secondary_only_facts(company)
        shift = 0
        for _, without in facts:
            s = score(without, scored.model, scored.jurisdictions, today=scored.today).score
            shift = max(shift, abs(_rank_of(s, [o.score for o in others]) - rank))
        rows.append(
            AuditRow(
                company_id=company.id,
                name=company.name,
                ticker=company.primary_ticker,
                rank=rank,
                score=e.score,
                low=e.low,
                high=e.high,
                best_rank=best,
                worst_rank=worst,
                secondary_only=tuple(label for label, _ in facts),
                secondary_rank_shift=shift,
                missing_capacity=tuple(
                    _label(s.stage, s.site, s.country)
                    for s in company.segments
                    if s.capacity_tpa is None
                ),
                missing_feed=tuple(
                    _label(s.stage, s.site, s.country)
                    for s in company.segments
                    if s.stage in FEED_STAGES and s.feed_origin is None
                ),
                as_of=company.as_of,
                age_days=(scored.today - company.as_of).days,
            )
        )
    rows.sort(key=lambda r: (-r.priority, -r.width, -r.age_days, r.rank))
    return rows


@dataclass(frozen=True)
class Audit:
    """``screener universe audit``: a universe's listed companies, re-check first at the top."""

    universe: str
    listed: int  # listed companies ranked (``rows`` may be fewer, with --top)
    rows: list[AuditRow]


def audit_universe(
    universe: str | Path | None,
    *,
    weights: str | Path | None = None,
    top: int | None = None,
    today: date | None = None,
) -> Audit:
    """Load, score and audit ``universe``; the first ``top`` rows (all when None)."""
    scored = load_scored(universe, weights=weights, today=today)
    rows = audit(scored)
    listed = len(rows)
    return Audit(scored.universe.name, listed, rows if top is None else rows[:top])
