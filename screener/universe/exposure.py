"""The exposure score: Company -> factor breakdown, China multiplier, flags, evidence interval.

Implements docs/exposure-model.md (v2). Every number comes from the Model and Jurisdictions
data; nothing here is a literal weight.

    strength  s = tier(country) × maturity(status) × scale(capacity) × feed(origin)
    factor    F = 1 − Π(1 − s_i)                          (noisy-OR within a stage)
    score       = 100 × M × Σ_k w_k F_k,   M = max(0, 1 − Σ penalties)

Unknowns (a capacity, a feed origin, a revenue share) take the model's central value for the
score and the bottom or top of their range for the interval ``[low, high]``; the score is
monotone in each, so those are the true bounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from screener.universe.jurisdictions import Jurisdictions
from screener.universe.model import FACTORS, Model
from screener.universe.records import CAPTIVE, FEED_STAGES, Company, Segment

FLAG_HELP: dict[str, str] = {
    "FEOC": "Chinese HQ, state control, or a Chinese stake of 25% or more",
    "COVERED_CHAIN": "a segment or its feedstock sits in a covered country (CN, HK, MO, RU, KP, IR)",
    "PRE_REVENUE": "purity uses the share expected once its assets produce, times readiness",
    "PURITY_UNKNOWN": "rare-earth share of revenue unknown; counted as the model's default",
    "FEED_UNKNOWN": "a separation, metal or magnet plant's feed origin is unknown (not counted clean)",
    "CAPACITY_UNKNOWN": "a producing, commissioning or construction plant has no known capacity",
    "STALE_PROFILE": "newest fact in the profile is older than the freshness limit",
    "LOW_CONFIDENCE": "the profile's facts are low confidence (rated so, or resting on secondary sources)",
    "UNSOURCED": "a segment, China link or support item cites no source",
}
#: The same flags in full sentences, for the report's legend and cards; ``{feoc}``,
#: ``{purity_unknown}`` and ``{stale}`` are filled from the model in force (flag_meaning).
FLAG_MEANINGS: dict[str, str] = {
    "FEOC": "Chinese ownership or control: HQ in China, state control, or a Chinese stake of at least {feoc}%.",
    "COVERED_CHAIN": "A segment or its feedstock sits in a covered country (CN, HK, MO, RU, KP, IR).",
    "PRE_REVENUE": "Not yet producing revenue: purity uses the expected rare-earth share.",
    "PURITY_UNKNOWN": "No rare-earth revenue share known: purity counts {purity_unknown} (interval 0 to 1).",
    "FEED_UNKNOWN": "A separation, metal or magnet plant's feed origin is unknown: it counts {feed_unknown}, not as clean feed.",
    "CAPACITY_UNKNOWN": "A producing, commissioning or construction plant has no known capacity: its scale counts {scale_unknown}.",
    "STALE_PROFILE": "The profile's newest fact is older than {stale} days at the run date.",
    "LOW_CONFIDENCE": "The profile's evidence is low confidence: rated so, or a scored fact rests on secondary sources alone.",
    "UNSOURCED": "A segment, China link or support item cites no source.",
}


def _central(spec: Any) -> str:
    """An unknown's central value for a sentence: ``{value, low, high}`` → "0.6"."""
    if isinstance(spec, Mapping) and "value" in spec:
        return f"{float(spec['value']):g}"
    return "?" if spec is None else str(spec)


def flag_meaning(code: str, model: Mapping[str, Any]) -> str:
    """The flag's sentence with the thresholds of ``model`` (a run's ``run.model``)."""
    text = FLAG_MEANINGS.get(code, "See docs/exposure-model.md §7.")
    return text.format(
        feoc=model["china"].get("feoc_ownership_pct", "?"),
        purity_unknown=_central(model.get("purity_unknown")),
        feed_unknown=_central((model.get("feed") or {}).get("unknown")),
        scale_unknown=_central((model.get("scale") or {}).get("unknown")),
        stale=model.get("stale_profile_days", "?"),
    )


#: Where an unknown sits within its range: the central value (the score), bottom, or top.
Position = Literal["mid", "low", "high"]
CONFIDENCE_ORDER = ("low", "medium", "high")


@dataclass(frozen=True)
class Evidence:
    """One segment's contribution to a factor."""

    stage: str
    country: str
    tier: str
    status: str
    site: str | None
    strength: float
    sources: tuple[str, ...]
    heavy_ree: bool = False
    feed_origin: str | None = None
    capacity_tpa: float | None = None
    scale: float = 1.0
    feed: float = 1.0
    #: The unknowns of this segment that widen the interval ("capacity", "feed").
    unknowns: tuple[str, ...] = ()

    def describe(self, source_numbers: Mapping[str, int] | None = None) -> str:
        where = f" at {self.site}" if self.site else ""
        refs = ""
        if self.sources:
            refs = " " + "".join(
                f"[{source_numbers[s]}]" if source_numbers and s in source_numbers else f"[{s}]"
                for s in self.sources
            )
        size = f", {self.capacity_tpa:,.0f} t/yr" if self.capacity_tpa is not None else ""
        feed = ""
        if self.stage in FEED_STAGES:
            feed = ", feed unknown" if self.feed_origin is None else f", feed {self.feed_origin}"
        return (
            f"{self.stage.replace('_', '/')}{where}, {self.country} "
            f"({self.tier}, {self.status}{size}{feed}){refs}"
        )


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None
    low: float | None = None  # the factor with every unknown at the bottom of its range
    high: float | None = None

    @property
    def points(self) -> float:
        return 100.0 * self.value * self.weight


@dataclass(frozen=True)
class Penalty:
    link: str
    penalty: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Driver:
    """One unknown and how far it alone moves the score (others at their central value)."""

    what: str
    kind: str  # capacity | feed | revenue_share
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class Exposure:
    company_id: str
    score: float
    raw_score: float
    china_multiplier: float
    factors: Mapping[str, Factor]
    penalties: tuple[Penalty, ...]
    flags: tuple[str, ...]
    as_of: date
    age_days: int
    confidence: str
    low: float = 0.0
    high: float = 0.0
    drivers: tuple[Driver, ...] = ()
    confidence_note: str | None = None

    def top_factors(self, n: int = 3) -> list[Factor]:
        ranked = sorted(self.factors.values(), key=lambda f: f.points, reverse=True)
        return [f for f in ranked[:n] if f.points > 0]

    def factor_bounds(self) -> tuple[list[float], list[float]]:
        """Factor values (FACTORS order) with every unknown at the bottom, and at the top."""
        fs = [self.factors[f] for f in FACTORS]
        lo = [f.value if f.low is None else f.low for f in fs]
        hi = [f.value if f.high is None else f.high for f in fs]
        return lo, hi

    def to_dict(self, source_numbers: Mapping[str, int] | None = None) -> dict[str, Any]:
        return {
            "score": self.score,
            "low": self.low,
            "high": self.high,
            "interval_drivers": [
                {"what": d.what, "kind": d.kind, "low": d.low, "high": d.high} for d in self.drivers
            ],
            "raw_score": self.raw_score,
            "china_multiplier": self.china_multiplier,
            "factors": {
                f.name: {
                    "value": f.value,
                    "low": f.low,
                    "high": f.high,
                    "weight": f.weight,
                    "points": f.points,
                    "note": f.note,
                    "evidence": [
                        {
                            "stage": e.stage,
                            "country": e.country,
                            "tier": e.tier,
                            "status": e.status,
                            "site": e.site,
                            "strength": e.strength,
                            "heavy_ree": e.heavy_ree,
                            "feed_origin": e.feed_origin,
                            "capacity_tpa": e.capacity_tpa,
                            "scale": e.scale,
                            "feed": e.feed,
                            "unknowns": list(e.unknowns),
                            "sources": list(e.sources),
                            "text": e.describe(source_numbers),
                        }
                        for e in f.evidence
                    ],
                }
                for f in self.factors.values()
            },
            "china_penalties": [
                {"link": p.link, "penalty": p.penalty, "sources": list(p.sources)}
                for p in self.penalties
            ],
            "flags": list(self.flags),
            "as_of": self.as_of.isoformat(),
            "age_days": self.age_days,
            "confidence": self.confidence,
            "confidence_note": self.confidence_note,
        }


def noisy_or(strengths: Iterable[float]) -> float:
    """``1 − Π(1 − s_i)``: several assets add up, but a factor never exceeds 1."""
    prod = 1.0
    for s in strengths:
        prod *= 1.0 - s
    return 1.0 - prod


#: Which unknowns sit away from their central value: ``{(segment index, "capacity"): "low"}``,
#: ``{("purity",): "high"}``; anything absent is at "mid".
Knobs = Mapping[tuple[Any, ...], Position]


def _pick(spec: Mapping[str, Any], pos: Position) -> float:
    return float(spec["value"] if pos == "mid" else spec[pos])


def scale(seg: Segment, model: Model, pos: Position = "mid") -> float:
    """``floor + (1 − floor) × min(1, capacity / reference)^exponent``; unknown: a range."""
    spec = model.raw["scale"]
    if seg.capacity_tpa is None:
        return _pick(spec["unknown"], pos)
    ref = float(spec["references"][seg.stage])
    floor, exponent = float(spec["floor"]), float(spec["exponent"])
    share: float = min(1.0, seg.capacity_tpa / ref) ** exponent
    return floor + (1.0 - floor) * share


def feed(seg: Segment, model: Model, jur: Jurisdictions, pos: Position = "mid") -> float:
    """1 for captive or clean feed; the origin's tier weight for covered or high-risk feed;
    unknown: a range (most non-China plants buy oxide on a market China dominates)."""
    spec = model.raw["feed"]
    if seg.stage not in FEED_STAGES:
        return 1.0
    if seg.feed_origin is None:
        return _pick(spec["unknown"], pos)
    if seg.feed_origin == CAPTIVE:
        return 1.0
    if jur.tier(seg.feed_origin) in spec["tiered_origins"]:
        return jur.weight(seg.feed_origin)
    return 1.0


def segment_unknowns(seg: Segment) -> tuple[str, ...]:
    out = []
    if seg.capacity_tpa is None:
        out.append("capacity")
    if seg.stage in FEED_STAGES and seg.feed_origin is None:
        out.append("feed")
    return tuple(out)


def strength(
    seg: Segment, model: Model, jur: Jurisdictions, cap: Position = "mid", fd: Position = "mid"
) -> float:
    """``tier(country) × maturity(status) × scale × feed``."""
    return (
        jur.weight(seg.country)
        * model.maturity[seg.status]
        * scale(seg, model, cap)
        * feed(seg, model, jur, fd)
    )


def _evidence(seg: Segment, s: float, model: Model, jur: Jurisdictions) -> Evidence:
    return Evidence(
        stage=seg.stage,
        country=seg.country,
        tier=jur.tier(seg.country),
        status=seg.status,
        site=seg.site,
        strength=s,
        sources=seg.sources,
        heavy_ree=seg.heavy_ree,
        feed_origin=seg.feed_origin,
        capacity_tpa=seg.capacity_tpa,
        scale=scale(seg, model),
        feed=feed(seg, model, jur),
        unknowns=segment_unknowns(seg),
    )


def _segment_value(
    name: str, company: Company, model: Model, jur: Jurisdictions, knobs: Knobs
) -> float:
    spec = model.factor(name)
    stages: Mapping[str, float] = spec.get("stages", {})
    only_heavy = bool(spec.get("only_heavy_ree", False))
    by_stage: dict[str, list[float]] = {}
    for i, seg in enumerate(company.segments):
        if seg.stage not in stages or (only_heavy and not seg.heavy_ree):
            continue
        s = strength(
            seg, model, jur, knobs.get((i, "capacity"), "mid"), knobs.get((i, "feed"), "mid")
        )
        by_stage.setdefault(seg.stage, []).append(s)
    if spec.get("combine") == "weighted_sum":
        # noisy-OR within each stage, then the stage weights: separation, metal, magnet.
        value = sum(stages[st] * noisy_or(ss) for st, ss in by_stage.items())
    else:
        # one noisy-OR across the segments, each scaled by its stage's multiplier.
        value = noisy_or(stages[st] * s for st, ss in by_stage.items() for s in ss)
    return min(1.0, value)


def _segment_evidence(
    name: str, company: Company, model: Model, jur: Jurisdictions
) -> tuple[Evidence, ...]:
    spec = model.factor(name)
    stages: Mapping[str, float] = spec.get("stages", {})
    only_heavy = bool(spec.get("only_heavy_ree", False))
    evidence = [
        _evidence(seg, strength(seg, model, jur), model, jur)
        for seg in company.segments
        if seg.stage in stages and not (only_heavy and not seg.heavy_ree)
    ]
    return tuple(sorted(evidence, key=lambda e: e.strength, reverse=True))


def readiness(company: Company, model: Model) -> float:
    """The highest maturity among a company's segments (an explorer's is 0.1)."""
    return max((model.maturity[s.status] for s in company.segments), default=0.0)


def _purity_value(company: Company, model: Model, pos: Position) -> float:
    share = company.ree_revenue_share
    if share is None:
        spec = model.raw["purity_unknown"]
        share = _pick(spec, pos)
    if company.revenue_basis == "pre_revenue":
        return share * readiness(company, model)
    return share


def _purity_note(company: Company, model: Model) -> str:
    pre = company.revenue_basis == "pre_revenue"
    ready = f" × readiness {readiness(company, model):g}" if pre else ""
    if company.ree_revenue_share is None:
        spec = model.raw["purity_unknown"]
        return (
            f"share of revenue unknown: counted as {float(spec['value']):g} "
            f"(range {float(spec['low']):g}–{float(spec['high']):g}){ready}"
        )
    basis = (company.revenue_basis or "unstated basis").replace("_", "-")
    return f"{company.ree_revenue_share:.0%} of revenue ({basis}){ready}"


def _support(company: Company, model: Model) -> Factor:
    kinds = model.support_kinds
    counted = [s for s in company.support if s.ree_related]
    total = sum(kinds[s.kind] for s in counted)
    value = min(float(model.raw.get("support_cap", 1.0)), total)
    parts = [f"{s.kind.replace('_', ' ')} ({s.counterparty})" for s in counted]
    context = [s for s in company.support if not s.ree_related]
    if context:
        parts.append(
            f"not counted, not for rare earths: {', '.join(s.counterparty for s in context)}"
        )
    return Factor(
        "support",
        value,
        model.weights["support"],
        note=", ".join(parts) or None,
        low=value,
        high=value,
    )


def china_penalties(company: Company, model: Model) -> tuple[list[Penalty], bool]:
    """The penalties of §5 and whether the FEOC test is met."""
    ch, params = company.china, model.china
    out: list[Penalty] = []
    feoc = ch.hq_in_china or ch.state_control or ch.ownership_pct >= params["feoc_ownership_pct"]
    if feoc:
        link = (
            "hq_in_china"
            if ch.hq_in_china
            else "state_control"
            if ch.state_control
            else "ownership_pct"
        )
        out.append(Penalty(link, float(params["feoc_penalty"]), ch.sources))
    elif ch.ownership_pct >= params["minority_ownership_min_pct"]:
        out.append(Penalty("ownership_pct", ch.ownership_pct / 100.0, ch.sources))
    if ch.processing_in_china:
        out.append(Penalty("processing_in_china", float(params["processing_in_china"]), ch.sources))
    if ch.sales_to_china:
        out.append(Penalty("sales_to_china", float(params["sales_to_china"]), ch.sources))
    return out, feoc


def effective_confidence(company: Company) -> tuple[str, str | None]:
    """The stated confidence, one step lower when a scored fact rests on secondary sources alone."""
    kinds = {s.id: s.kind for s in company.sources}
    weak = [
        f"{s.stage} at {s.site or s.country}"
        for s in company.segments
        if s.sources and all(kinds.get(x) == "secondary" for x in s.sources)
    ] + [
        f"{s.kind.replace('_', ' ')} from {s.counterparty}"  # the kind tells items apart
        for s in company.support
        if s.ree_related and s.sources and all(kinds.get(x) == "secondary" for x in s.sources)
    ]
    if (
        company.china.any_link
        and company.china.sources
        and all(kinds.get(x) == "secondary" for x in company.china.sources)
    ):
        weak.append("China links")
    if not weak:
        return company.confidence, None
    level = CONFIDENCE_ORDER[max(0, CONFIDENCE_ORDER.index(company.confidence) - 1)]
    note = f"lowered from {company.confidence}: secondary sources only for {'; '.join(weak)}"
    return (level, note) if level != company.confidence else (level, None)


def flags(
    company: Company,
    model: Model,
    jur: Jurisdictions,
    *,
    feoc: bool,
    today: date,
    confidence: str | None = None,
) -> tuple[str, ...]:
    out: list[str] = []
    if feoc:
        out.append("FEOC")
    if any(
        jur.tier(s.country) == "covered"
        or (s.feed_origin not in (None, CAPTIVE) and jur.tier(str(s.feed_origin)) == "covered")
        for s in company.segments
    ):
        out.append("COVERED_CHAIN")
    if company.revenue_basis == "pre_revenue":
        out.append("PRE_REVENUE")
    if company.ree_revenue_share is None:
        out.append("PURITY_UNKNOWN")
    if any(s.stage in FEED_STAGES and s.feed_origin is None for s in company.segments):
        out.append("FEED_UNKNOWN")
    sized = set(model.raw["capacity_flag_statuses"])
    if any(s.status in sized and s.capacity_tpa is None for s in company.segments):
        out.append("CAPACITY_UNKNOWN")
    if (today - company.as_of).days > int(model.raw["stale_profile_days"]):
        out.append("STALE_PROFILE")
    if (confidence or company.confidence) == "low":
        out.append("LOW_CONFIDENCE")
    if (
        any(not s.sources for s in company.segments)
        or any(not s.sources for s in company.support)
        or (company.china.any_link and not company.china.sources)
    ):
        out.append("UNSOURCED")
    return tuple(out)


def _knobs(company: Company) -> list[tuple[tuple[Any, ...], str, str]]:
    """Every unknown of a profile: its key, its kind and a reader's name for it."""
    out: list[tuple[tuple[Any, ...], str, str]] = []
    for i, seg in enumerate(company.segments):
        where = seg.site or seg.country
        label = seg.stage.replace("_", "/")
        for kind in segment_unknowns(seg):
            out.append(((i, kind), kind, f"{label} {kind} at {where}"))
    if company.ree_revenue_share is None:
        out.append((("purity",), "revenue_share", "revenue share"))
    return out


def _factor_values(
    company: Company, model: Model, jur: Jurisdictions, knobs: Knobs
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in FACTORS:
        if name == "purity":
            out[name] = _purity_value(company, model, knobs.get(("purity",), "mid"))
        elif name == "support":
            out[name] = _support(company, model).value
        else:
            out[name] = _segment_value(name, company, model, jur, knobs)
    return out


def _total(values: Mapping[str, float], model: Model) -> float:
    return sum(100.0 * values[f] * model.weights[f] for f in FACTORS)


def score(company: Company, model: Model, jur: Jurisdictions, *, today: date) -> Exposure:
    """Score one company with its evidence interval. Pure: same inputs, same result."""
    knobs = _knobs(company)
    mid = _factor_values(company, model, jur, {})
    lo = _factor_values(company, model, jur, {k: "low" for k, _, _ in knobs})
    hi = _factor_values(company, model, jur, {k: "high" for k, _, _ in knobs})
    factors: dict[str, Factor] = {}
    evidence: tuple[Evidence, ...]
    for name in FACTORS:
        if name == "purity":
            note, evidence = _purity_note(company, model), ()
        elif name == "support":
            factors[name] = _support(company, model)
            continue
        else:
            note, evidence = None, _segment_evidence(name, company, model, jur)
        factors[name] = Factor(
            name, mid[name], model.weights[name], evidence, note, low=lo[name], high=hi[name]
        )
    raw = _total(mid, model)
    penalties, feoc = china_penalties(company, model)
    multiplier = max(0.0, 1.0 - sum(p.penalty for p in penalties))
    drivers = []
    for key, kind, what in knobs:
        d_lo = _total(_factor_values(company, model, jur, {key: "low"}), model) * multiplier
        d_hi = _total(_factor_values(company, model, jur, {key: "high"}), model) * multiplier
        if d_hi - d_lo > 0:
            drivers.append(Driver(what, kind, d_lo, d_hi))
    drivers.sort(key=lambda d: (-d.width, d.what))
    confidence, confidence_note = effective_confidence(company)
    return Exposure(
        company_id=company.id,
        score=raw * multiplier,
        raw_score=raw,
        china_multiplier=multiplier,
        factors=factors,
        penalties=tuple(penalties),
        flags=flags(company, model, jur, feoc=feoc, today=today, confidence=confidence),
        as_of=company.as_of,
        age_days=(today - company.as_of).days,
        confidence=confidence,
        low=_total(lo, model) * multiplier,
        high=_total(hi, model) * multiplier,
        drivers=tuple(drivers),
        confidence_note=confidence_note,
    )


def score_all(
    companies: Iterable[Company], model: Model, jur: Jurisdictions, *, today: date
) -> dict[str, Exposure]:
    return {c.id: score(c, model, jur, today=today) for c in companies}
