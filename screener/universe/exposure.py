"""The exposure score: Company -> factor breakdown, China multiplier, flags (pure).

Implements docs/exposure-model.md. Every number comes from the Model and Jurisdictions data;
nothing here is a literal weight.

    strength  s = tier(country) × maturity(status)        [× tier(feed_origin) if covered]
    factor    F = 1 − Π(1 − s_i)                          (noisy-OR within a stage)
    score       = 100 × M × Σ_k w_k F_k,   M = max(0, 1 − Σ penalties)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from screener.universe.jurisdictions import Jurisdictions
from screener.universe.model import FACTORS, Model
from screener.universe.records import Company, Segment

FLAG_HELP: dict[str, str] = {
    "FEOC": "Chinese HQ, state control, or a Chinese stake of 25% or more",
    "COVERED_CHAIN": "a segment or its feedstock sits in a covered country (CN, HK, MO, RU, KP, IR)",
    "PRE_REVENUE": "purity uses the share expected once its assets produce",
    "PURITY_UNKNOWN": "rare-earth share of revenue unknown; counted as the model's default",
    "STALE_PROFILE": "newest fact in the profile is older than the freshness limit",
    "LOW_CONFIDENCE": "the compiler rated the profile's facts low confidence",
    "UNSOURCED": "a segment, China link or support item cites no source",
}
#: The same flags in full sentences, for the report's legend and cards; ``{feoc}``,
#: ``{purity_unknown}`` and ``{stale}`` are filled from the model in force (flag_meaning).
FLAG_MEANINGS: dict[str, str] = {
    "FEOC": "Chinese ownership or control: HQ in China, state control, or a Chinese stake of at least {feoc}%.",
    "COVERED_CHAIN": "A segment or its feedstock sits in a covered country (CN, HK, MO, RU, KP, IR).",
    "PRE_REVENUE": "Not yet producing revenue: purity uses the expected rare-earth share.",
    "PURITY_UNKNOWN": "No rare-earth revenue share known: purity counts {purity_unknown}.",
    "STALE_PROFILE": "The profile's newest fact is older than {stale} days at the run date.",
    "LOW_CONFIDENCE": "The profile's evidence was rated low confidence.",
    "UNSOURCED": "A segment, China link or support item cites no source.",
}


def flag_meaning(code: str, model: Mapping[str, Any]) -> str:
    """The flag's sentence with the thresholds of ``model`` (a run's ``run.model``)."""
    text = FLAG_MEANINGS.get(code, "See docs/exposure-model.md §7.")
    return text.format(
        feoc=model["china"].get("feoc_ownership_pct", "?"),
        purity_unknown=model.get("purity_unknown", "?"),
        stale=model.get("stale_profile_days", "?"),
    )


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

    def describe(self, source_numbers: Mapping[str, int] | None = None) -> str:
        where = f" at {self.site}" if self.site else ""
        refs = ""
        if self.sources:
            refs = " " + "".join(
                f"[{source_numbers[s]}]" if source_numbers and s in source_numbers else f"[{s}]"
                for s in self.sources
            )
        feed = f", feed from {self.feed_origin}" if self.feed_origin else ""
        return (
            f"{self.stage.replace('_', '/')}{where}, {self.country} "
            f"({self.tier}, {self.status}{feed}){refs}"
        )


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None

    @property
    def points(self) -> float:
        return 100.0 * self.value * self.weight


@dataclass(frozen=True)
class Penalty:
    link: str
    penalty: float
    sources: tuple[str, ...]


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

    def top_factors(self, n: int = 3) -> list[Factor]:
        ranked = sorted(self.factors.values(), key=lambda f: f.points, reverse=True)
        return [f for f in ranked[:n] if f.points > 0]

    def to_dict(self, source_numbers: Mapping[str, int] | None = None) -> dict[str, Any]:
        return {
            "score": self.score,
            "raw_score": self.raw_score,
            "china_multiplier": self.china_multiplier,
            "factors": {
                f.name: {
                    "value": f.value,
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
        }


def noisy_or(strengths: Iterable[float]) -> float:
    """``1 − Π(1 − s_i)``: several assets add up, but a factor never exceeds 1."""
    prod = 1.0
    for s in strengths:
        prod *= 1.0 - s
    return 1.0 - prod


def strength(seg: Segment, model: Model, jur: Jurisdictions) -> float:
    """``tier(country) × maturity(status)``, times the origin's tier for covered-country feed."""
    s = jur.weight(seg.country) * model.maturity[seg.status]
    if seg.feed_origin is not None and jur.tier(seg.feed_origin) in model.raw.get(
        "feed_origin_tiers", ("covered",)
    ):
        s *= jur.weight(seg.feed_origin)
    return s


def _evidence(seg: Segment, s: float, jur: Jurisdictions) -> Evidence:
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
    )


def _segment_factor(name: str, company: Company, model: Model, jur: Jurisdictions) -> Factor:
    spec = model.factor(name)
    stages: Mapping[str, float] = spec.get("stages", {})
    only_heavy = bool(spec.get("only_heavy_ree", False))
    evidence: list[Evidence] = []
    by_stage: dict[str, list[float]] = {}
    for seg in company.segments:
        if seg.stage not in stages or (only_heavy and not seg.heavy_ree):
            continue
        s = strength(seg, model, jur)
        evidence.append(_evidence(seg, s, jur))
        by_stage.setdefault(seg.stage, []).append(s)
    if spec.get("combine") == "weighted_sum":
        # noisy-OR within each stage, then the stage weights: separation, metal, magnet.
        value = sum(stages[st] * noisy_or(ss) for st, ss in by_stage.items())
    else:
        # one noisy-OR across the segments, each scaled by its stage's multiplier.
        value = noisy_or(stages[e.stage] * e.strength for e in evidence)
    evidence.sort(key=lambda e: e.strength, reverse=True)
    return Factor(name, min(1.0, value), model.weights[name], tuple(evidence))


def _purity(company: Company, model: Model) -> Factor:
    w = model.weights["purity"]
    if company.ree_revenue_share is None:
        v = float(model.raw["purity_unknown"])
        return Factor("purity", v, w, note=f"share of revenue unknown: counted as {v:g}")
    basis = company.revenue_basis or "unstated basis"
    note = f"{company.ree_revenue_share:.0%} of revenue ({basis.replace('_', '-')})"
    return Factor("purity", company.ree_revenue_share, w, note=note)


def _support(company: Company, model: Model) -> Factor:
    kinds = model.support_kinds
    total = sum(kinds[s.kind] for s in company.support)
    value = min(float(model.raw.get("support_cap", 1.0)), total)
    note = ", ".join(f"{s.kind.replace('_', ' ')} ({s.counterparty})" for s in company.support)
    return Factor("support", value, model.weights["support"], note=note or None)


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


def flags(
    company: Company, model: Model, jur: Jurisdictions, *, feoc: bool, today: date
) -> tuple[str, ...]:
    out: list[str] = []
    if feoc:
        out.append("FEOC")
    if any(
        jur.tier(s.country) == "covered"
        or (s.feed_origin is not None and jur.tier(s.feed_origin) == "covered")
        for s in company.segments
    ):
        out.append("COVERED_CHAIN")
    if company.revenue_basis == "pre_revenue":
        out.append("PRE_REVENUE")
    if company.ree_revenue_share is None:
        out.append("PURITY_UNKNOWN")
    if (today - company.as_of).days > int(model.raw["stale_profile_days"]):
        out.append("STALE_PROFILE")
    if company.confidence == "low":
        out.append("LOW_CONFIDENCE")
    if (
        any(not s.sources for s in company.segments)
        or any(not s.sources for s in company.support)
        or (company.china.any_link and not company.china.sources)
    ):
        out.append("UNSOURCED")
    return tuple(out)


def score(company: Company, model: Model, jur: Jurisdictions, *, today: date) -> Exposure:
    """Score one company. Pure: same inputs, same result."""
    factors: dict[str, Factor] = {}
    for name in FACTORS:
        if name == "purity":
            factors[name] = _purity(company, model)
        elif name == "support":
            factors[name] = _support(company, model)
        else:
            factors[name] = _segment_factor(name, company, model, jur)
    raw = sum(f.points for f in factors.values())
    penalties, feoc = china_penalties(company, model)
    multiplier = max(0.0, 1.0 - sum(p.penalty for p in penalties))
    return Exposure(
        company_id=company.id,
        score=raw * multiplier,
        raw_score=raw,
        china_multiplier=multiplier,
        factors=factors,
        penalties=tuple(penalties),
        flags=flags(company, model, jur, feoc=feoc, today=today),
        as_of=company.as_of,
        age_days=(today - company.as_of).days,
        confidence=company.confidence,
    )


def score_all(
    companies: Iterable[Company], model: Model, jur: Jurisdictions, *, today: date
) -> dict[str, Exposure]:
    return {c.id: score(c, model, jur, today=today) for c in companies}
