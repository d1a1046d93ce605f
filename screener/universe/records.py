"""Frozen records of a universe: what ``universe.load`` hands to ``exposure.score``.

Field meanings are in docs/universe-format.md; the scoring that reads them in
docs/exposure-model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, get_args

Stage = Literal["mining", "separation", "metal_alloy", "magnet", "recycling"]
Status = Literal[
    "producing",
    "commissioning",
    "construction",
    "pilot",
    "development",
    "exploration",
    "suspended",
]
SupportKind = Literal[
    "price_floor",
    "government_equity",
    "government_loan",
    "government_grant",
    "strategic_offtake",
    "other",
]
RevenueBasis = Literal["reported", "estimated", "pre_revenue"]
#: What a source is: an exchange or regulator filing, the company's own release or page, a
#: government page, an established news outlet, or a secondary summary (blog, aggregator).
SourceKind = Literal["filing", "company", "government", "news", "secondary"]
Confidence = Literal["high", "medium", "low"]

# The option sets in file order, read off the Literal types (one list to edit, not two).
STAGES: tuple[Stage, ...] = get_args(Stage)
STATUSES: tuple[Status, ...] = get_args(Status)
SUPPORT_KINDS: tuple[SupportKind, ...] = get_args(SupportKind)
REVENUE_BASES: tuple[RevenueBasis, ...] = get_args(RevenueBasis)
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
#: Stages whose segments process bought or mined feed (``feed_origin`` applies to them).
FEED_STAGES: tuple[Stage, ...] = ("separation", "metal_alloy", "magnet")
#: ``feed_origin`` of a segment that runs on the company's own mined feed.
CAPTIVE = "captive"


@dataclass(frozen=True)
class Citation:
    id: str
    url: str
    #: As precise as the evidence: ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or None (undated).
    date: str | None
    title: str
    kind: SourceKind = "secondary"

    @property
    def secondary(self) -> bool:
        return self.kind == "secondary"


@dataclass(frozen=True)
class Segment:
    stage: Stage
    country: str
    status: Status
    site: str | None = None
    capacity_tpa: float | None = None
    heavy_ree: bool = False
    #: ISO code of the feedstock's country, ``captive`` (own mined feed), or None (unknown).
    feed_origin: str | None = None
    note: str | None = None
    sources: tuple[str, ...] = ()
    #: What the capacity figure measures when that needs saying (e.g. "t/yr contained TREO").
    capacity_note: str | None = None


@dataclass(frozen=True)
class ChinaLinks:
    hq_in_china: bool = False
    ownership_pct: float = 0.0
    state_control: bool = False
    processing_in_china: bool = False
    sales_to_china: bool = False
    notes: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def any_link(self) -> bool:
        return (
            self.hq_in_china
            or self.state_control
            or self.processing_in_china
            or self.sales_to_china
            or self.ownership_pct > 0
        )


@dataclass(frozen=True)
class Support:
    kind: SupportKind
    counterparty: str
    country: str | None = None
    date: str | None = None
    note: str | None = None
    sources: tuple[str, ...] = ()
    #: True when the money, equity, floor or offtake is for rare-earth activity; other
    #: support is shown as context and scores nothing.
    ree_related: bool = True


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    tickers: tuple[str, ...]
    listed: bool
    hq: str
    segments: tuple[Segment, ...]
    china: ChinaLinks
    support: tuple[Support, ...]
    sources: tuple[Citation, ...]
    as_of: date
    confidence: Confidence
    ree_revenue_share: float | None = None
    revenue_basis: RevenueBasis | None = None
    revenue_note: str | None = None
    former_tickers: tuple[str, ...] = ()
    notes: str | None = None

    @property
    def primary_ticker(self) -> str | None:
        return self.tickers[0] if self.tickers else None

    def source(self, source_id: str) -> Citation | None:
        return next((s for s in self.sources if s.id == source_id), None)


@dataclass(frozen=True)
class Benchmark:
    symbol: str
    name: str
    role: Literal["market", "sector"]
    notes: str | None = None
    sources: tuple[Citation, ...] = ()


Direction = Literal["tightening", "easing", "neutral"]
#: An event's direction for China-origin supply (the rule is in universes/events.yaml's header).
DIRECTIONS: tuple[Direction, ...] = ("tightening", "easing", "neutral")


@dataclass(frozen=True)
class Event:
    date: date
    title: str
    kind: str
    major: bool = False
    approximate: bool = False
    scheduled: bool = False
    detail: str | None = None
    companies: tuple[str, ...] = ()
    note: str | None = None
    id: str = ""
    direction: Direction = "neutral"
    #: Announcement time ``HH:MM`` and its IANA zone, only where a source gives them.
    time: str | None = None
    tz: str | None = None


@dataclass(frozen=True)
class Universe:
    name: str
    title: str
    version: str
    description: str
    path: Path
    sha256: str
    companies: tuple[Company, ...]
    benchmarks: tuple[Benchmark, ...] = ()
    events: tuple[Event, ...] = field(default=())

    @property
    def listed(self) -> tuple[Company, ...]:
        return tuple(c for c in self.companies if c.listed)

    def tickers(self) -> list[str]:
        """Every listing symbol of every listed company, primary first, in file order."""
        return [t for c in self.listed for t in c.tickers]

    def primary_tickers(self) -> list[str]:
        return [c.tickers[0] for c in self.listed if c.tickers]

    def benchmark_symbols(self) -> list[str]:
        return [b.symbol for b in self.benchmarks]

    def priced_symbols(self) -> list[str]:
        """Primary listings of listed companies, then benchmarks (what a run prices)."""
        seen: dict[str, None] = {}
        for t in [*self.primary_tickers(), *self.benchmark_symbols()]:
            seen.setdefault(t.upper(), None)
        return list(seen)

    def find(self, query: str) -> Company | None:
        """A company by id or by any of its listing symbols, case-insensitive."""
        q = query.strip().upper()
        for c in self.companies:
            if c.id.upper() == q or q in (t.upper() for t in c.tickers):
                return c
        return None

    def as_of_range(self) -> tuple[date, date] | None:
        dates = [c.as_of for c in self.companies]
        return (min(dates), max(dates)) if dates else None
