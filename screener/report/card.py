"""One company's view: the card of the report and of `screener lookup --html`.

Turns a row of the run document (or a ``context`` entry of an unlisted company) into a frozen
:class:`Company` record: the factor breakdown with its evidence lines and numbered sources, the
stage × country map, China links, support, flags with their meaning (thresholds read from
``run.model``), risk cells with the reason a value is missing, and the year's weekly closes in numbers.
Verdicts (synthetic, stale) come from :mod:`screener.screen.summary`. Text composed here is
plain text; the templates escape it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from screener.report import formatters
from screener.report.charts import CloseSummary, close_summary
from screener.report.facts import (
    Citations,
    Driver,
    Line,
    Plant,
    Ref,
    SourceView,
    SupportView,
    drivers,
    plants,
    support,
)
from screener.report.price_chart import PriceChart, price_chart_view
from screener.screen import summary
from screener.screen.types import (
    BenchmarkRow,
    CompanyRecord,
    ContextRow,
    ExposureRecord,
    MetricInfo,
    Risk,
    RiskReasons,
    Row,
    RunDoc,
    SegmentRecord,
)
from screener.universe.exposure import flag_meaning
from screener.universe.records import STAGES

TABLE_METRICS = (
    "vol_1y",
    "max_dd_1y",
    "beta_remx",
    "adv_3m_usd",
    "market_cap_usd",
    "ret_1m",
    "ret_1y",
)

# Short badge text for the ranked table, where nearly every row carries a flag or two; the
# full code and meaning (universe.exposure.FLAG_MEANINGS) stay in the badge's title, the
# table's legend and the card.
FLAG_SHORT = {
    "FEOC": "FEOC",
    "COVERED_CHAIN": "covered",
    "UNSOURCED": "unsourced",
    "LOW_CONFIDENCE": "low conf",
    "PURITY_UNKNOWN": "purity?",
    "FEED_UNKNOWN": "feed?",
    "CAPACITY_UNKNOWN": "size?",
    "PRE_REVENUE": "pre-rev",
    "STALE_PROFILE": "stale",
}


@dataclass(frozen=True)
class FactorView:
    name: str
    value: float | None
    weight: float | None
    points: float | None
    max_points: float | None
    fill: float  # 0..1: points / max possible points (= the factor value)
    fill_pct: float  # the bar's width in %, to 0.1
    evidence: tuple[Line, ...]


@dataclass(frozen=True)
class FlagView:
    code: str
    meaning: str
    short: str


@dataclass(frozen=True)
class Badge:
    status: str
    site: str
    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class StageMap:
    countries: tuple[str, ...]
    rows: tuple[tuple[str, tuple[tuple[Badge, ...], ...]], ...]  # (stage, one cell per country)


@dataclass(frozen=True)
class MetricCell:
    name: str
    label: str
    unit: str
    value: float | None
    reason: str | None


#: The card's risk block, grouped: (heading, which metric names belong to it).
RISK_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Returns", ("ret_",)),
    ("Volatility", ("vol_", "downside_dev")),
    ("Drawdown", ("max_dd", "dd_from_high")),
    ("Tail", ("var", "cvar", "skew", "kurt")),
    ("Market", ("beta", "corr")),
    ("Liquidity", ("adv", "days_to_trade", "market_cap")),
)


def risk_groups(
    risk: Sequence[MetricCell],
) -> tuple[tuple[str, tuple[MetricCell, ...]], ...]:
    """The risk cells under their group headings (a metric no group claims goes to "Other")."""
    groups: dict[str, list[MetricCell]] = {title: [] for title, _ in RISK_GROUPS}
    other: list[MetricCell] = []
    for m in risk:
        title = next((t for t, pre in RISK_GROUPS if m.name.startswith(pre)), None)
        (groups[title] if title else other).append(m)
    out = [(t, tuple(ms)) for t, ms in groups.items() if ms]
    return tuple(out) + ((("Other", tuple(other)),) if other else ())


@dataclass(frozen=True)
class Company:
    id: str
    anchor: str
    listed: bool
    rank: int | None
    ticker: str
    tickers: tuple[str, ...]
    name: str
    hq: str
    hq_tier: str | None
    unlisted_reason: str | None
    score: float | None
    low: float | None  # the evidence interval: every unknown at the bottom / top of its range
    high: float | None
    drivers: tuple[Driver, ...]  # the unknowns the interval rests on, widest first
    confidence_note: str | None
    raw_score: float | None
    china_multiplier: float | None
    factors: tuple[FactorView, ...]
    penalties: tuple[Line, ...]
    china: tuple[Line, ...]
    support: tuple[SupportView, ...]
    plants: tuple[Plant, ...]
    flags: tuple[FlagView, ...]
    sources: tuple[SourceView, ...]
    stage_map: StageMap
    stages: tuple[str, ...]
    risk: tuple[MetricCell, ...]
    risk_groups: tuple[tuple[str, tuple[MetricCell, ...]], ...]
    table_risk: tuple[MetricCell, ...]
    feoc: bool  # Chinese ownership or control (flag FEOC)
    countries: tuple[str, ...]  # where its segments are, in the order of its profile
    gate_pass: bool | None
    gate: Literal["pass", "fail", "unknown"]
    gate_detail: str
    quadrant: str | None
    frontier: bool
    exposure_per_vol: float | None
    robustness: str | None
    unstable: bool
    quality: tuple[Line, ...]
    profile: str
    profile_as_of: str
    profile_age_days: int | None
    confidence: str
    revenue: str | None
    closes: CloseSummary | None
    stale_price: bool
    synthetic_price: bool
    currency: str | None  # of the weekly closes (local currency)
    # The flags the ranked table shows as badges: all of them, less STALE_PROFILE when nearly
    # every row carries it (the header then says so once); set by report.context.
    badges: tuple[FlagView, ...] = ()
    price_chart: PriceChart | None = None  # against REMX, from the run's basket windows


def metric_info(doc: RunDoc) -> dict[str, MetricInfo]:
    return {m["name"]: m for m in doc["metrics"]}


def cells(
    names: Sequence[str], risk: Risk, reasons: RiskReasons, info: Mapping[str, MetricInfo]
) -> tuple[MetricCell, ...]:
    out = []
    for n in names:
        m = info.get(n)
        value = risk.get(n)  # a metric the run did not compute is absent, not null
        out.append(
            MetricCell(
                n,
                (m["label"] if m else "") or n,
                (m["unit"] if m else "") or "",
                value,
                None if value is not None else (reasons.get(n) or "not computed"),
            )
        )
    return tuple(out)


def benchmark_cells(b: BenchmarkRow, info: Mapping[str, MetricInfo]) -> tuple[MetricCell, ...]:
    return cells(TABLE_METRICS, b["risk"], b["risk_reasons"], info)


def flag_view(code: str, model: Mapping[str, Any]) -> FlagView:
    return FlagView(code, flag_meaning(code, model), FLAG_SHORT.get(code, code))


def _factors(exp: ExposureRecord, cite: Citations) -> tuple[FactorView, ...]:
    out = []
    for name, f in exp["factors"].items():
        evidence = tuple(
            Line(
                f"{formatters.label(e['stage'])} at {e['site'] or 'unnamed site'}, {e['country']} "
                f"({e['tier']}, {e['status']})",
                cite.refs(e["sources"]),
            )
            for e in f["evidence"]
        )
        w, v = f["weight"], f["value"]
        fill = max(0.0, min(1.0, float(v or 0.0)))  # points / max points = the factor value
        out.append(
            FactorView(name, v, w, f["points"], 100.0 * w, fill, round(fill * 100, 1), evidence)
        )
    return tuple(out)


def _stage_map(segs: Sequence[SegmentRecord], cite: Citations) -> StageMap:
    countries = tuple(dict.fromkeys(s["country"] for s in segs))
    rows = tuple(
        (
            stage,
            tuple(
                tuple(
                    Badge(s["status"], s["site"] or "", cite.refs(s["sources"]))
                    for s in segs
                    if s["stage"] == stage and s["country"] == c
                )
                for c in countries
            ),
        )
        for stage in STAGES
    )
    return StageMap(countries, rows)


def _china(c: CompanyRecord, cite: Citations) -> tuple[Line, ...]:
    ch = c["china"]
    refs = cite.refs(ch["sources"])
    texts = (
        f"HQ in China: {formatters.yesno(ch['hq_in_china'])}",
        f"Chinese ownership: {formatters.num(ch['ownership_pct'])}%",
        f"State control by a covered government: {formatters.yesno(ch['state_control'])}",
        f"Processes or tolls in China: {formatters.yesno(ch['processing_in_china'])}",
        f"Material sales to Chinese processors: {formatters.yesno(ch['sales_to_china'])}",
    )
    notes = (Line(f"Notes: {ch['notes']}"),) if ch["notes"] else ()
    return tuple(Line(t, refs) for t in texts) + notes


def _penalties(exp: ExposureRecord, cite: Citations) -> tuple[Line, ...]:
    return tuple(
        Line(
            f"{formatters.label(p['link'])}: −{formatters.num(p['penalty'], 3)}",
            cite.refs(p["sources"]),
        )
        for p in exp["china_penalties"]
    )


def _revenue(c: CompanyRecord) -> str:
    rev = c["revenue"]
    basis = formatters.label(rev["basis"]) if rev["basis"] else "?"
    return f"rare-earth revenue share {formatters.pct(rev['share'], 0)} ({basis})" + (
        f": {rev['note']}" if rev["note"] else ""
    )


def _quality(row: Row, synthetic: bool) -> tuple[Line, ...]:
    dq = row["data_quality"]
    return (
        Line(
            f"{dq['observations']} daily observations, {formatters.isodate(dq['first_date'])} to "
            f"{formatters.isodate(dq['last_date'])}; {dq['gaps']} gaps, {dq['flagged_jumps']} flagged jumps"
        ),
        Line(
            f"Last price {dq['stale_days']} days before the run date; currency {dq['currency'] or '?'}; "
            f"source {dq['source'] or '?'}" + ("; SYNTHETIC prices" if synthetic else "")
        ),
    ) + ((Line(f"Last error: {dq['last_error']}"),) if dq["last_error"] else ())


def _gate_detail(row: Row) -> str:
    gates = row["gates"]
    return (
        f"market cap {formatters.yesno(gates['market_cap'], 'pass', 'fail')}, "
        f"adv {formatters.yesno(gates['adv'], 'pass', 'fail')}"
    )


def _gate(verdict: bool | None) -> Literal["pass", "fail", "unknown"]:
    return "unknown" if verdict is None else "pass" if verdict else "fail"


def _robustness(row: Row) -> str:
    rr = row["rank_robustness"]
    return f"median rank {rr['median_rank']}, 5–95% interval {rr['p05']}–{rr['p95']}"


@dataclass(frozen=True)
class _Priced:
    """The card fields only a listed (screened, priced) company has."""

    rank: int | None = None
    risk: tuple[MetricCell, ...] = ()
    table_risk: tuple[MetricCell, ...] = ()
    gate_pass: bool | None = None
    gate: Literal["pass", "fail", "unknown"] = "unknown"
    gate_detail: str = ""
    quadrant: str | None = None
    frontier: bool = False
    exposure_per_vol: float | None = None
    robustness: str | None = None
    unstable: bool = False
    quality: tuple[Line, ...] = ()
    closes: CloseSummary | None = None
    stale_price: bool = False
    synthetic_price: bool = False
    currency: str | None = None
    price_chart: PriceChart | None = None


def _priced(doc: RunDoc, row: Row) -> _Priced:
    info = metric_info(doc)
    synthetic = summary.synthetic_prices(doc["run"], row)
    risk, reasons = row["risk"], row["risk_reasons"]
    return _Priced(
        rank=row["rank"],
        risk=cells(list(info) or sorted(risk), risk, reasons, info),
        table_risk=cells(TABLE_METRICS, risk, reasons, info),
        gate_pass=row["gates"]["pass"],
        gate=_gate(row["gates"]["pass"]),
        gate_detail=_gate_detail(row),
        quadrant=row["quadrant"],
        frontier=row["frontier"],
        exposure_per_vol=row["exposure_per_vol"],
        robustness=_robustness(row),
        unstable=bool(row["rank_robustness"]["unstable"]),
        quality=_quality(row, synthetic),
        closes=close_summary(row["series"]["dates"], row["series"]["close"]),
        stale_price=summary.stale_price(row),
        synthetic_price=synthetic,
        currency=row["data_quality"]["currency"] or None,
        price_chart=price_chart_view(doc, row),
    )


def _card(
    doc: RunDoc, c: CompanyRecord, p: _Priced, *, listed: bool, unlisted_reason: str | None
) -> Company:
    """The card: profile, exposure and evidence of ``c``, with the priced fields ``p``."""
    model = doc["run"]["model"]
    anchor = f"card-{c['id']}"
    cite = Citations(anchor, c["sources"])
    exp = c["exposure"]
    flags = tuple(flag_view(code, model) for code in exp["flags"])
    return Company(
        id=c["id"],
        anchor=anchor,
        listed=listed,
        rank=p.rank,
        ticker=c["ticker"] or "",
        tickers=tuple(c["tickers"]),
        name=c["name"] or c["id"],
        hq=c["hq"] or "?",
        hq_tier=c["hq_tier"],
        unlisted_reason=unlisted_reason,
        score=exp["score"],
        # .get: a run stored before model v2 has no interval; it re-renders without one.
        low=exp.get("low"),
        high=exp.get("high"),
        drivers=drivers(exp.get("interval_drivers", [])),
        confidence_note=exp.get("confidence_note"),
        raw_score=exp["raw_score"],
        china_multiplier=exp["china_multiplier"],
        factors=_factors(exp, cite),
        penalties=_penalties(exp, cite),
        china=_china(c, cite),
        support=support(c["support"], cite),
        plants=plants(c["segments"], cite),
        flags=flags,
        sources=cite.views,
        stage_map=_stage_map(c["segments"], cite),
        stages=tuple(st for st in STAGES if any(s["stage"] == st for s in c["segments"])),
        risk=p.risk,
        risk_groups=risk_groups(p.risk),
        table_risk=p.table_risk,
        feoc="FEOC" in exp["flags"],
        countries=tuple(dict.fromkeys(s["country"] for s in c["segments"])),
        gate_pass=p.gate_pass,
        gate=p.gate,
        gate_detail=p.gate_detail,
        quadrant=p.quadrant,
        frontier=p.frontier,
        exposure_per_vol=p.exposure_per_vol,
        robustness=p.robustness,
        unstable=p.unstable,
        quality=p.quality,
        profile=f"profile as of {formatters.isodate(exp['as_of'])} ({exp['age_days']} days old), "
        f"confidence {exp['confidence'] or '?'}",
        profile_as_of=formatters.isodate(exp["as_of"]),
        profile_age_days=exp["age_days"],
        confidence=exp["confidence"] or "?",
        revenue=_revenue(c),
        closes=p.closes,
        stale_price=p.stale_price,
        synthetic_price=p.synthetic_price,
        currency=p.currency,
        badges=flags,
        price_chart=p.price_chart,
    )


def company(doc: RunDoc, row: Row) -> Company:
    """The card of a listed company: its profile plus risk, gates, quality and closes."""
    return _card(doc, row, _priced(doc, row), listed=True, unlisted_reason=None)


def context_company(doc: RunDoc, c: ContextRow) -> Company:
    """The card of an unlisted company: scored for context, never priced."""
    return _card(doc, c, _Priced(), listed=False, unlisted_reason=c["reason"])
