"""The run document's shape as types (docs/screen-json.md): what ``build_document`` produces,
``history.changes`` adds, ``takeaways`` and the renderers read.

A key that may be absent is ``NotRequired``; a value that may be null is ``X | None``.
Records whose keys are Python keywords (``pass``, ``from``) use the functional syntax. This
module imports nothing heavy: re-rendering a stored run must not load pandas.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# --- one company's profile and exposure (shared by rows and context rows) -------------------


class EvidenceRecord(TypedDict):
    stage: str
    country: str
    tier: str
    status: str
    site: str | None
    strength: float
    heavy_ree: bool
    feed_origin: str | None
    capacity_tpa: float | None
    scale: float
    feed: float
    unknowns: list[str]
    sources: list[str]
    text: str


class FactorRecord(TypedDict):
    value: float
    low: float | None
    high: float | None
    weight: float
    points: float
    note: str | None
    evidence: list[EvidenceRecord]


class DriverRecord(TypedDict):
    """One unknown and the score's range when it alone moves (others at their central value)."""

    what: str
    kind: str
    low: float
    high: float


class PenaltyRecord(TypedDict):
    link: str
    penalty: float
    sources: list[str]


class ExposureRecord(TypedDict):
    score: float
    low: float
    high: float
    interval_drivers: list[DriverRecord]
    raw_score: float
    china_multiplier: float
    factors: dict[str, FactorRecord]
    china_penalties: list[PenaltyRecord]
    flags: list[str]
    as_of: str
    age_days: int
    confidence: str
    confidence_note: str | None


class SegmentRecord(TypedDict):
    stage: str
    country: str
    tier: str
    status: str
    site: str | None
    capacity_tpa: float | None
    heavy_ree: bool
    feed_origin: str | None
    note: str | None
    capacity_note: str | None
    sources: list[str]
    refs: list[int]


class ChinaRecord(TypedDict):
    hq_in_china: bool
    ownership_pct: float
    state_control: bool
    processing_in_china: bool
    sales_to_china: bool
    notes: str | None
    sources: list[str]
    refs: list[int]


class SupportRecord(TypedDict):
    kind: str
    counterparty: str
    country: str | None
    date: str | None
    note: str | None
    ree_related: bool
    sources: list[str]
    refs: list[int]


class RevenueRecord(TypedDict):
    share: float | None
    basis: str | None
    note: str | None


class SourceRecord(TypedDict):
    n: int
    id: str
    url: str
    date: str | None
    title: str
    kind: str
    secondary: bool


class CompanyRecord(TypedDict):
    """The profile fields of a row or a context entry (``universe.profile.company_view``)."""

    ticker: str | None
    tickers: list[str]
    former_tickers: list[str]
    id: str
    name: str
    listed: bool
    hq: str
    hq_name: str
    hq_tier: str
    exposure: ExposureRecord
    segments: list[SegmentRecord]
    china: ChinaRecord
    support: list[SupportRecord]
    revenue: RevenueRecord
    sources: list[SourceRecord]
    confidence: str
    as_of: str
    notes: str | None


# --- a listed company's row ------------------------------------------------------------------

#: Risk metrics by registry name; null when not computable (the reason is in risk_reasons).
Risk = dict[str, float | None]
#: Why a metric is null, by metric name ("*": for every metric).
RiskReasons = dict[str, str]

GatesRecord = TypedDict(
    "GatesRecord",
    {
        "preset": str,
        "market_cap": bool | None,  # null: unknown (no market cap)
        "adv": bool | None,
        "adv_usd": float | None,  # the ADV the gate read (the preset's window)
        "pass": bool | None,
    },
)


class PercentilesRecord(TypedDict):
    score: float | None
    vol_1y: float | None
    exposure_per_vol: float | None


class RowRobustness(TypedDict):
    median_rank: float | None
    p05: float | None
    p95: float | None
    unstable: bool | None


class DataQualityRecord(TypedDict):
    observations: int | None
    first_date: str | None
    last_date: str | None
    gaps: int | None
    stale_days: int | None
    flagged_jumps: int | None
    currency: str | None
    synthetic: bool | None
    source: str | None
    last_error: str | None


class SeriesRecord(TypedDict):
    dates: list[str]
    close: list[float | None]


Quadrant = Literal["high_exp_low_vol", "high_exp_high_vol", "low_exp_low_vol", "low_exp_high_vol"]


class PriceRecord(TypedDict):
    """A listing's USD cumulative return and drawdown, sampled on the dates of the basket's
    window of the same name (``basket.windows``); null before its first close."""

    window: Literal["1y", "3y"]  # the longest window its history covers
    currency: str  # USD
    start: str  # the first date with a value (the window's base day, or its first close)
    ret: list[float | None]
    dd: list[float | None]


class Row(CompanyRecord):
    rank: int
    risk: Risk
    risk_reasons: RiskReasons
    gates: GatesRecord
    quadrant: Quadrant | None
    quadrant_label: str | None
    frontier: bool
    exposure_per_vol: float | None
    percentiles: PercentilesRecord
    rank_robustness: RowRobustness
    data_quality: DataQualityRecord
    series: SeriesRecord
    # the exposure basket (screen.basket_doc): weight in each variant, 0 when not a member;
    # null until the run fills them in (and in runs stored before the basket was recorded)
    basket_weight: NotRequired[float | None]
    basket_weight_invvol: NotRequired[float | None]
    price: NotRequired[PriceRecord | None]


class ContextRow(CompanyRecord):
    """An unlisted company: scored for context, never priced."""

    reason: Literal["delisted", "private or not listed"]


class BenchmarkRow(TypedDict):
    symbol: str
    name: str
    role: str
    notes: str | None
    risk: Risk
    risk_reasons: RiskReasons


# --- the run -----------------------------------------------------------------------------------


class UniverseInfo(TypedDict):
    name: str
    title: str
    version: str
    path: str
    hash: str
    companies: int
    listed: int
    newest_fact: str | None  # the newest company ``as_of`` (ISO date); null: no companies
    median_fact: str | None  # the median company ``as_of`` (the lower middle of an even count)


class RunInfo(TypedDict):
    id: str
    week: str
    as_of: str
    generated_at: str
    universe: UniverseInfo
    source: str
    synthetic: bool
    preset: str
    preset_label: str
    weights: dict[str, float]
    model: dict[str, Any]  # every model parameter in force (model.yaml after --weights)
    tool_version: str


class AuditRecord(TypedDict):
    """One of the companies to re-check first (``universe.audit``): how far a wrong or
    unknown fact could move its rank, and why."""

    id: str
    ticker: str | None
    name: str
    rank: int  # among listed companies, by score
    score: float
    low: float
    high: float
    best_rank: int  # its unknowns at the top, every other company's at the bottom
    worst_rank: int
    secondary_only: list[str]  # scored facts whose every source is secondary
    missing_capacity: list[str]
    missing_feed: list[str]
    age_days: int
    reasons: list[str]  # the case for a re-check, in sentences


class RobustnessSummary(TypedDict):
    draws: int
    concentration: float
    seed: int
    median_kendall_tau: float | None


class Failure(TypedDict):
    ticker: str
    reason: str


class MetricInfo(TypedDict):
    name: str
    label: str
    unit: str
    description: str
    formula: str
    reference: str
    fmt: str


# --- week-over-week changes (screen.history) ---------------------------------------------------

Regime = Literal["low", "normal", "high"]
Cause = Literal["profile", "weights", "profile+weights", "model"]


class PreviousRun(TypedDict):
    id: str
    as_of: str


class CompanyRef(TypedDict):
    id: str
    ticker: str | None
    name: str


RankMove = TypedDict(
    "RankMove", {"id": str, "ticker": str | None, "name": str, "from": int, "to": int}
)
ScoreChange = TypedDict(
    "ScoreChange",
    {
        "id": str,
        "ticker": str | None,
        "name": str,
        "from": float,
        "to": float,
        "cause": Cause,
        # what changed in the profile, in words ("separation at Kuantan: status a → b");
        # absent in runs stored before it was recorded
        "profile_changes": NotRequired[list[str]],
    },
)
RegimeShift = TypedDict(
    "RegimeShift",
    {
        "id": str,
        "ticker": str | None,
        "name": str,
        "from": float,
        "to": float,
        "regime": Regime,
        "previous_regime": Regime,
    },
)
GateChange = TypedDict(
    "GateChange",
    {"id": str, "ticker": str | None, "name": str, "from": bool | None, "to": bool | None},
)


class ChangesRecord(TypedDict):
    previous_run: PreviousRun | None  # null on the first run
    added: list[CompanyRef]
    removed: list[CompanyRef]
    rank_moves: list[RankMove]  # largest moves first
    score_changes: list[ScoreChange]
    regime_shifts: list[RegimeShift]
    gate_changes: list[GateChange]
    new_failures: list[Failure]


# --- the policy-event study (screen.event_doc; method: docs/event-study.md) ------------------


class BandRecord(TypedDict):
    """One tercile's mean CAR(−5, τ) over ``tau`` with its 95 % t-interval (null: too few names)."""

    mean: list[float | None]
    lower: list[float | None]
    upper: list[float | None]


class PathsRecord(TypedDict):
    tau: list[int]  # trading days from the event day, −5..+10
    high: BandRecord
    mid: BandRecord
    low: BandRecord


class TercileCars(TypedDict):
    high: float | None
    mid: float | None
    low: float | None


class EventRecord(TypedDict):
    """One measured event: mean CAR over the study's window, against the market benchmark."""

    id: str
    date: str
    title: str
    direction: str  # tightening | easing | neutral
    approximate: bool  # the date is uncertain: reported apart
    n: int  # companies measured
    mean_car: float | None  # all N names
    terciles: TercileCars  # mean CAR by exposure tercile
    difference: float | None  # high minus low
    p: float | None  # Welch t-test of high vs low
    bmp_p: float | None  # BMP test of the mean CAR of all N
    sign_p: float | None  # sign test of all N
    overlaps: list[str]  # ids of events whose window shares a session with this one's
    paths: PathsRecord


class SkippedEvent(TypedDict):
    id: str
    reason: str


class EventsRecord(TypedDict):
    benchmark: str | None  # the market model's benchmark (SPY); null when not measured
    window: list[int]  # [start, end] of the CAR in trading days, e.g. [0, 5]
    as_of: str | None  # last price date used
    companies: int  # names with prices, split into exposure terciles
    synthetic: bool  # demo prices: the effects are planted by the demo source
    events: list[EventRecord]  # by date; approximate ones flagged
    skipped: list[SkippedEvent]  # not measured, with the reason
    takeaways: list[str]  # one plain sentence per direction
    caveat: str  # what limits the tests' power
    synthetic_note: str | None  # on synthetic prices: the effects are synthetic by construction
    scores_note: str  # the exposure scores used are those of the run date
    note: str | None  # why the study was not run (e.g. no SPY prices in the store); else null


# --- the exposure basket (screen.basket_doc; method: docs/basket.md) ------------------------


class HoldingRecord(TypedDict):
    id: str
    ticker: str  # the company's primary listing
    weight: float


class BasketVariantRecord(TypedDict):
    variant: Literal["score", "invvol"]  # score-weighted | score ÷ 1y USD volatility
    label: str
    rule: Literal["capped", "equal_weight", "empty"]  # equal weight: too few names for the cap
    cap: float  # the largest weight allowed (1/n when equal weight replaced the cap)
    names: int
    largest: HoldingRecord | None
    turnover: float | None  # vs the previous stored run's basket; null: no previous run
    holdings: list[HoldingRecord]  # largest weight first


class BasketStatsRecord(TypedDict):
    total_return: float | None  # over the window (the point-in-time line: over its own span)
    vol: float | None  # annualised, daily returns
    max_dd: float | None
    beta: float | None  # to REMX, weekly returns; null for REMX itself
    tracking_error: float | None  # vs REMX, annualised, weekly returns


class BasketLineRecord(TypedDict):
    key: str  # basket | basket_invvol | point_in_time | REMX | SPY
    label: str
    start: str | None  # first date with a value
    ret: list[float | None]  # cumulative return on the window's dates
    dd: list[float | None]  # drawdown from the running peak
    stats: BasketStatsRecord


class BasketWindowRecord(TypedDict):
    window: Literal["1y", "3y"]
    start: str  # the base day (cumulative return 0)
    dates: list[str]  # the base day, then each week's last trading day
    lines: list[BasketLineRecord]


class PointInTimeRecord(TypedDict):
    runs: int  # stored weekly runs chained
    first: str | None  # the first of them (its as_of)
    note: str


class BasketRecord(TypedDict):
    label: str  # "today's basket on past prices, not a backtest"
    method: str
    as_of: str
    currency: str
    synthetic: bool
    cap: float
    previous_run: str | None  # the run turnover is measured against
    variants: list[BasketVariantRecord]
    windows: list[BasketWindowRecord]
    point_in_time: PointInTimeRecord
    note: str | None  # what could not be measured, in words


class RunDoc(TypedDict):
    schema_version: int
    run: RunInfo
    rows: list[Row]  # ranked by exposure score (rank 1 first)
    context: list[ContextRow]
    benchmarks: list[BenchmarkRow]
    rank_robustness: RobustnessSummary
    changes: ChangesRecord | None  # None until history.changes fills it in
    failures: list[Failure]
    metrics: list[MetricInfo]
    takeaways: list[str]
    audit: list[AuditRecord]  # what to re-check first: universe audit's top ten
    # the policy-event study over the same store (null until the run fills it in; absent in
    # runs stored before it was recorded)
    events: EventsRecord | None
    # the exposure basket (null until the run fills it in; absent in runs stored before it)
    basket: NotRequired[BasketRecord | None]
