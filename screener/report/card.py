"""One company's view: the card of the report and of `screener lookup --html`.

Turns a row of the run document (or a ``context`` entry of an unlisted company) into a frozen
:class:`Company` record: the factor breakdown with its evidence lines and numbered sources, the
stage × country map, China links, support, flags with their meaning (thresholds read from
``run.model``), risk cells with the reason a value is missing, and the sparkline geometry.
Text composed here is plain text; the templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from screener import settings
from screener.report import formatters
from screener.report.charts import Sparkline, sparkline

STAGES = ("mining", "separation", "metal_alloy", "magnet", "recycling")
TABLE_METRICS = (
    "vol_1y",
    "max_dd_1y",
    "beta_remx",
    "adv_3m_usd",
    "market_cap_usd",
    "ret_1m",
    "ret_1y",
)

_FLAG_MEANINGS = {
    "FEOC": "Chinese ownership or control: HQ in China, state control, or a Chinese stake of at least {feoc}%.",
    "COVERED_CHAIN": "A segment or its feedstock sits in a covered country (CN, HK, MO, RU, KP, IR).",
    "PRE_REVENUE": "Not yet producing revenue: purity uses the expected rare-earth share.",
    "PURITY_UNKNOWN": "No rare-earth revenue share known: purity counts {purity_unknown}.",
    "STALE_PROFILE": "The profile's newest fact is older than {stale} days at the run date.",
    "LOW_CONFIDENCE": "The profile's evidence was rated low confidence.",
    "UNSOURCED": "A segment, China link or support item cites no source.",
}
# Short badge text for the ranked table, where nearly every row carries a flag or two; the
# full code and meaning stay in the badge's title, the table's legend and the card.
FLAG_SHORT = {
    "FEOC": "FEOC",
    "COVERED_CHAIN": "covered",
    "UNSOURCED": "unsourced",
    "LOW_CONFIDENCE": "low conf",
    "PURITY_UNKNOWN": "purity?",
    "PRE_REVENUE": "pre-rev",
    "STALE_PROFILE": "stale",
}


@dataclass(frozen=True)
class SourceView:
    n: int
    id: str
    title: str
    date: str | None
    url: str
    href: str | None  # only http(s) URLs become links; anything else is shown as text
    anchor: str


@dataclass(frozen=True)
class Ref:
    n: int
    anchor: str


@dataclass(frozen=True)
class Line:
    text: str
    refs: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class FactorView:
    name: str
    value: float | None
    weight: float | None
    points: float | None
    max_points: float | None
    fill: float  # 0..1: points / max possible points (= the factor value)
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
    raw_score: float | None
    china_multiplier: float | None
    factors: tuple[FactorView, ...]
    penalties: tuple[Line, ...]
    china: tuple[Line, ...]
    support: tuple[Line, ...]
    flags: tuple[FlagView, ...]
    sources: tuple[SourceView, ...]
    stage_map: StageMap
    stages: tuple[str, ...]
    risk: tuple[MetricCell, ...]
    table_risk: tuple[MetricCell, ...]
    gate_pass: bool | None
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
    spark: Sparkline | None
    stale_price: bool
    synthetic_price: bool
    currency: str | None  # of the closes in the sparkline (local currency)


def safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None (shown as text)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def metric_info(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(m["name"]): m for m in doc.get("metrics") or [] if "name" in m}


def cells(
    names: list[str] | tuple[str, ...], row: dict[str, Any], info: dict[str, dict[str, Any]]
) -> tuple[MetricCell, ...]:
    risk, reasons = row.get("risk") or {}, row.get("risk_reasons") or {}
    out = []
    for n in names:
        m = info.get(n, {})
        out.append(
            MetricCell(
                n,
                str(m.get("label") or n),
                str(m.get("unit") or ""),
                risk.get(n),
                None if risk.get(n) is not None else (reasons.get(n) or "not computed"),
            )
        )
    return tuple(out)


def _flag_meaning(code: str, model: dict[str, Any]) -> str:
    china = model.get("china") or {}
    text = _FLAG_MEANINGS.get(code, "See docs/exposure-model.md §7.")
    return text.format(
        feoc=china.get("feoc_ownership_pct", "?"),
        purity_unknown=model.get("purity_unknown", "?"),
        stale=model.get("stale_profile_days", "?"),
    )


def flag_view(code: str, model: dict[str, Any]) -> FlagView:
    return FlagView(code, _flag_meaning(code, model), FLAG_SHORT.get(code, code))


def is_synthetic(doc: dict[str, Any], dq: dict[str, Any]) -> bool:
    """Whether a row's prices are generated: its own mark, or the demo source of a synthetic run.

    The demo source only ever generates prices, so a synthetic run's ``demo`` rows count even
    when the per-row mark is missing or false.
    """
    run = doc.get("run") or {}
    return bool(dq.get("synthetic")) or (bool(run.get("synthetic")) and dq.get("source") == "demo")


def _support_text(s: dict[str, Any]) -> str:
    who = str(s.get("counterparty") or "unknown counterparty")
    if s.get("country"):
        who += f" ({s['country']})"
    when = f", {formatters.isodate(s['date'])}" if s.get("date") else ""
    return f"{formatters.label(s.get('kind'))} — {who}{when}" + (
        f": {s['note']}" if s.get("note") else ""
    )


def company(doc: dict[str, Any], row: dict[str, Any], listed: bool) -> Company:
    model = (doc.get("run") or {}).get("model") or {}
    info = metric_info(doc)
    cid = str(row.get("id"))
    anchor = f"card-{cid}"
    exp = row.get("exposure") or {}
    sources = tuple(
        SourceView(
            n=int(s.get("n", i + 1)),
            id=str(s.get("id", "")),
            title=str(s.get("title") or s.get("url") or ""),
            date=s.get("date"),
            url=str(s.get("url") or ""),
            href=safe_href(str(s.get("url") or "")),
            anchor=f"{anchor}-src-{int(s.get('n', i + 1))}",
        )
        for i, s in enumerate(row.get("sources") or [])
    )
    by_id = {s.id: s for s in sources}

    def refs(ids: Any) -> tuple[Ref, ...]:
        return tuple(Ref(by_id[i].n, by_id[i].anchor) for i in ids or [] if i in by_id)

    factors = []
    for name, f in (exp.get("factors") or {}).items():
        ev = tuple(
            Line(
                f"{formatters.label(e.get('stage'))} at {e.get('site') or 'unnamed site'}, {e.get('country')} "
                f"({e.get('tier')}, {e.get('status')})",
                refs(e.get("sources")),
            )
            for e in f.get("evidence") or []
        )
        w, v = f.get("weight"), f.get("value")
        factors.append(
            FactorView(
                name,
                v,
                w,
                f.get("points"),
                None if w is None else 100.0 * w,
                max(0.0, min(1.0, float(v or 0.0))),
                ev,
            )
        )
    segs = row.get("segments") or []
    countries = tuple(dict.fromkeys(str(s.get("country")) for s in segs))
    stage_rows = tuple(
        (
            st,
            tuple(
                tuple(
                    Badge(str(s.get("status")), str(s.get("site") or ""), refs(s.get("sources")))
                    for s in segs
                    if s.get("stage") == st and str(s.get("country")) == c
                )
                for c in countries
            ),
        )
        for st in STAGES
    )
    ch = row.get("china") or {}
    china = tuple(
        Line(text, refs(ch.get("sources")))
        for text in (
            f"HQ in China: {formatters.yesno(ch.get('hq_in_china'))}",
            f"Chinese ownership: {formatters.num(ch.get('ownership_pct'))}%"
            if ch.get("ownership_pct") is not None
            else "Chinese ownership: unknown",
            f"State control by a covered government: {formatters.yesno(ch.get('state_control'))}",
            f"Processes or tolls in China: {formatters.yesno(ch.get('processing_in_china'))}",
            f"Material sales to Chinese processors: {formatters.yesno(ch.get('sales_to_china'))}",
        )
        if ch
    ) + ((Line(f"Notes: {ch['notes']}"),) if ch.get("notes") else ())
    penalties = tuple(
        Line(
            f"{formatters.label(p.get('link'))}: −{formatters.num(p.get('penalty'), 3)}",
            refs(p.get("sources")),
        )
        for p in exp.get("china_penalties") or []
    )
    support = tuple(
        Line(_support_text(s), refs(s.get("sources"))) for s in row.get("support") or []
    )
    gates = row.get("gates") or {}
    detail = ", ".join(
        f"{k.replace('_', ' ')} {formatters.yesno(gates.get(k), 'pass', 'fail')}"
        for k in ("market_cap", "adv")
        if k in gates
    )
    rr = row.get("rank_robustness") or {}
    dq = row.get("data_quality") or {}
    stale_days = dq.get("stale_days")
    synthetic = is_synthetic(doc, dq)
    quality = tuple(
        Line(t)
        for t in (
            f"{dq.get('observations', '?')} daily observations, {formatters.isodate(dq.get('first_date'))} to "
            f"{formatters.isodate(dq.get('last_date'))}; {dq.get('gaps', '?')} gaps, {dq.get('flagged_jumps', '?')} flagged jumps",
            f"Last price {stale_days} days before the run date; currency {dq.get('currency') or '?'}; "
            f"source {dq.get('source') or '?'}" + ("; SYNTHETIC prices" if synthetic else ""),
        )
        if dq
    ) + ((Line(f"Last error: {dq['last_error']}"),) if dq.get("last_error") else ())
    rev = row.get("revenue") or {}
    series = row.get("series") or {}
    return Company(
        id=cid,
        anchor=anchor,
        listed=listed,
        rank=row.get("rank"),
        ticker=str(row.get("ticker") or ""),
        tickers=tuple(str(t) for t in row.get("tickers") or []),
        name=str(row.get("name") or cid),
        hq=str(row.get("hq") or "?"),
        hq_tier=row.get("hq_tier"),
        unlisted_reason=row.get("reason"),
        score=exp.get("score"),
        raw_score=exp.get("raw_score"),
        china_multiplier=exp.get("china_multiplier"),
        factors=tuple(factors),
        penalties=penalties,
        china=china,
        support=support,
        flags=tuple(flag_view(str(c), model) for c in exp.get("flags") or []),
        sources=sources,
        stage_map=StageMap(countries, stage_rows),
        stages=tuple(st for st in STAGES if any(s.get("stage") == st for s in segs)),
        risk=cells(list(info) or sorted(row.get("risk") or {}), row, info) if listed else (),
        table_risk=cells(TABLE_METRICS, row, info) if listed else (),
        gate_pass=gates.get("pass"),
        gate_detail=detail,
        quadrant=row.get("quadrant"),
        frontier=bool(row.get("frontier")),
        exposure_per_vol=row.get("exposure_per_vol"),
        robustness=(
            f"median rank {rr.get('median_rank')}, 5–95% interval {rr.get('p05')}–{rr.get('p95')}"
            if rr
            else None
        ),
        unstable=bool(rr.get("unstable")),
        quality=quality,
        profile=f"profile as of {formatters.isodate(exp.get('as_of'))} ({exp.get('age_days', '?')} days old), "
        f"confidence {exp.get('confidence') or '?'}",
        profile_as_of=formatters.isodate(exp.get("as_of")),
        profile_age_days=exp.get("age_days"),
        confidence=str(exp.get("confidence") or "?"),
        revenue=(
            f"rare-earth revenue share {formatters.pct(rev.get('share'), 0)} ({rev.get('basis') or '?'})"
            + (f": {rev['note']}" if rev.get("note") else "")
        )
        if rev
        else None,
        spark=sparkline(series.get("dates") or [], series.get("close") or []) if listed else None,
        stale_price=stale_days is not None and stale_days >= int(settings.get("stale_price_days")),
        synthetic_price=synthetic,
        currency=dq.get("currency") or None,
    )
