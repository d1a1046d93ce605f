"""Arrange a run document into the typed view records the report templates loop over.

The document (docs/screen-json.md) is the input; nothing is recomputed here except layout
(chart geometry: :mod:`screener.report_charts`; one company's card: :mod:`screener.report_card`)
and the lists the sections show (filters, stale names, the model parameters in force).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from screener import formatters, settings, takeaways
from screener.report_card import TABLE_METRICS, Company, MetricCell, cells, company, metric_info
from screener.report_charts import Scatter, scatter

FACTORS = ("sourcing", "processing", "recycling", "heavy_ree", "purity", "support")
SECTIONS = (
    "takeaways",
    "scatter",
    "table",
    "cards",
    "changes",
    "quality",
    "methodology",
    "disclaimer",
)


@dataclass(frozen=True)
class Header:
    run_id: str
    as_of: str
    generated_at: str
    universe: str
    universe_version: str
    source: str
    synthetic: bool
    preset: str
    preset_label: str
    listed: int | None
    companies: int | None
    tool_version: str


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True)
class ReportContext:
    header: Header
    takeaways: tuple[str, ...]
    scatter: Scatter
    columns: tuple[MetricCell, ...]  # the table's metric columns (value unused)
    rows: tuple[Company, ...]
    context: tuple[Company, ...]
    benchmarks: tuple[tuple[str, str, tuple[MetricCell, ...]], ...]
    filter_quadrants: tuple[Option, ...]
    filter_countries: tuple[Option, ...]
    filter_stages: tuple[Option, ...]
    changes: dict[str, Any]
    failures: tuple[dict[str, Any], ...]
    stale_profiles: tuple[Company, ...]
    stale_prices: tuple[Company, ...]
    synthetic_prices: tuple[Company, ...]
    methodology: dict[str, Any]
    metrics: tuple[dict[str, Any], ...]
    factor_names: tuple[str, ...]
    stale_price_days: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CardContext:
    header: Header
    company: Company
    factor_names: tuple[str, ...]


def _header(doc: dict[str, Any]) -> Header:
    run = doc.get("run") or {}
    uni = run.get("universe") or {}
    return Header(
        run_id=str(run.get("id", "")),
        as_of=formatters.isodate(run.get("as_of")),
        generated_at=formatters.isodate(run.get("generated_at")),
        universe=str(uni.get("title") or uni.get("name") or "?"),
        universe_version=str(uni.get("version") or "?"),
        source=str(run.get("source") or "?"),
        synthetic=bool(run.get("synthetic")),
        preset=str(run.get("preset") or "none"),
        preset_label=str(run.get("preset_label") or run.get("preset") or "no gates"),
        listed=uni.get("listed"),
        companies=uni.get("companies"),
        tool_version=str(run.get("tool_version") or "?"),
    )


def _options(values: list[str], text: Any = str) -> tuple[Option, ...]:
    return tuple(Option(v, text(v)) for v in sorted(set(values)))


def _methodology(doc: dict[str, Any]) -> dict[str, Any]:
    run = doc.get("run") or {}
    model = run.get("model") or {}
    tiers = model.get("tiers") or (model.get("jurisdictions") or {}).get("tiers") or {}
    gates = (model.get("gates") or {}).get(run.get("preset") or "", {})
    return {
        "weights": tuple(
            (k, v) for k, v in (run.get("weights") or model.get("weights") or {}).items()
        ),
        "stage_weights": tuple(
            (k, tuple((model.get("factors") or {}).get(k, {}).get("stages", {}).items()))
            for k in (model.get("factors") or {})
        ),
        "tiers": tuple(
            (k, t.get("weight"), tuple(t.get("countries") or ())) for k, t in tiers.items()
        ),
        "maturity": tuple((model.get("maturity") or {}).items()),
        "support_kinds": tuple((model.get("support_kinds") or {}).items()),
        "support_cap": model.get("support_cap"),
        "purity_unknown": model.get("purity_unknown"),
        "china": tuple((model.get("china") or {}).items()),
        "stale_profile_days": model.get("stale_profile_days"),
        "gates": tuple((k, v) for k, v in gates.items() if k != "label"),
        "robustness": doc.get("rank_robustness") or model.get("rank_robustness") or {},
    }


def build_report_context(doc: dict[str, Any]) -> ReportContext:
    info = metric_info(doc)
    rows = tuple(
        company(doc, r, True) for r in sorted(doc.get("rows", []), key=lambda r: r.get("rank") or 0)
    )
    bench = tuple(
        (str(b.get("symbol")), str(b.get("name") or ""), cells(TABLE_METRICS, b, info))
        for b in doc.get("benchmarks") or []
    )
    changes = dict(doc.get("changes") or {})
    return ReportContext(
        header=_header(doc),
        takeaways=tuple(doc.get("takeaways") or takeaways.build(doc)),
        scatter=scatter(doc.get("rows", [])),
        columns=tuple(
            MetricCell(
                n,
                str(info.get(n, {}).get("label") or n),
                str(info.get(n, {}).get("unit") or ""),
                None,
                None,
            )
            for n in TABLE_METRICS
        ),
        rows=rows,
        context=tuple(company(doc, c, False) for c in doc.get("context") or []),
        benchmarks=bench,
        filter_quadrants=_options([r.quadrant for r in rows if r.quadrant], formatters.quadrant),
        filter_countries=_options([r.hq for r in rows]),
        filter_stages=_options([s for r in rows for s in r.stages], formatters.label),
        changes=changes,
        failures=tuple(doc.get("failures") or ()),
        stale_profiles=tuple(r for r in rows if any(f.code == "STALE_PROFILE" for f in r.flags)),
        stale_prices=tuple(r for r in rows if r.stale_price),
        synthetic_prices=tuple(r for r in rows if r.synthetic_price),
        methodology=_methodology(doc),
        metrics=tuple(doc.get("metrics") or ()),
        factor_names=tuple((doc.get("run") or {}).get("weights") or FACTORS),
        stale_price_days=int(settings.get("stale_price_days")),
    )


def build_card_context(doc: dict[str, Any], key: str) -> CardContext | None:
    """The card page's context for the company whose id or ticker is ``key`` (None if absent)."""
    for row in doc.get("rows", []):
        if key == row.get("id") or key in (row.get("tickers") or [row.get("ticker")]):
            return CardContext(
                _header(doc),
                company(doc, row, True),
                tuple((doc.get("run") or {}).get("weights") or FACTORS),
            )
    for c in doc.get("context") or []:
        if key == c.get("id"):
            return CardContext(
                _header(doc),
                company(doc, c, False),
                tuple((doc.get("run") or {}).get("weights") or FACTORS),
            )
    return None
