"""Arrange a run document into the typed view records the report templates loop over.

The document (docs/screen-json.md) is the input; nothing is recomputed here except layout
(chart geometry: :mod:`screener.report.charts`; one company's card: :mod:`screener.report.card`)
and the lists the sections show (filters, stale names, the model parameters in force).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from screener import settings
from screener.report import formatters
from screener.report.card import (
    FLAG_SHORT,
    TABLE_METRICS,
    Company,
    FlagView,
    MetricCell,
    cells,
    company,
    flag_view,
    metric_info,
)
from screener.report.charts import Scatter, scatter
from screener.screen import takeaways
from screener.screen.history import REGIME_HIGH, REGIME_LOW

FACTORS = ("sourcing", "processing", "recycling", "heavy_ree", "purity", "support")
# Page order: the week's news (takeaways, changes) first, the long appendix (cards, data
# quality, methodology) last. (id, title of the navigation link)
SECTIONS = (
    ("takeaways", "Takeaways"),
    ("changes", "Changes"),
    ("scatter", "Chart"),
    ("table", "Ranking"),
    ("cards", "Company cards"),
    ("quality", "Data quality"),
    ("methodology", "Methodology"),
    ("disclaimer", "Notice"),
)
# (key in doc.changes, heading); the order they are listed in.
CHANGE_GROUPS = (
    ("rank_moves", "Rank moves"),
    ("score_changes", "Score changes"),
    ("added", "Added"),
    ("removed", "Removed"),
    ("regime_shifts", "Volatility regime shifts"),
    ("gate_changes", "Gate changes"),
    ("new_failures", "New failures"),
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
class FlagKey:
    """One line of the table's flag legend: the badge, its code, meaning and how many rows carry it."""

    flag: FlagView
    count: int


@dataclass(frozen=True)
class ChangeItem:
    ticker: str
    name: str
    anchor: str | None  # the company's card, when the report has one
    text: str


@dataclass(frozen=True)
class ChangeGroup:
    key: str
    title: str
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class Changes:
    previous_id: str | None  # None: first run, nothing to compare
    previous_as_of: str
    groups: tuple[ChangeGroup, ...]  # every group, empty ones included (the summary names them)
    regime_note: str


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
    changes: Changes
    failures: tuple[dict[str, Any], ...]
    stale_profiles: tuple[Company, ...]
    stale_prices: tuple[Company, ...]
    synthetic_prices: tuple[Company, ...]
    methodology: dict[str, Any]
    metrics: tuple[dict[str, Any], ...]
    factor_names: tuple[str, ...]
    stale_price_days: int
    flag_legend: tuple[FlagKey, ...]
    sections: tuple[tuple[str, str], ...]
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


def _china_rows(china: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The China multiplier's links and penalties, as docs/exposure-model.md §5 states them.

    ``model.china`` mixes penalties with the ownership thresholds that select them; shown raw,
    "feoc ownership pct 25.00" reads like a penalty of 25. Known keys become sentences; any
    other key is listed as it is.
    """
    feoc = china.get("feoc_ownership_pct")
    low = china.get("minority_ownership_min_pct")
    known = {"feoc_penalty", "feoc_ownership_pct", "minority_ownership_min_pct"}
    known |= {"processing_in_china", "sales_to_china"}
    rows: list[tuple[str, str]] = []
    if "feoc_penalty" in china:
        rows.append(
            (
                "HQ in China, state control by a covered government, or Chinese ownership "
                f"≥ {formatters.num(feoc, 0)}% (flag FEOC)",
                formatters.num(china["feoc_penalty"], 2),
            )
        )
    if low is not None and feoc is not None:
        rows.append(
            (
                f"Chinese ownership from {formatters.num(low, 0)}% to below {formatters.num(feoc, 0)}%",
                "ownership % / 100",
            )
        )
    for k, text in (
        ("processing_in_china", "Processes or tolls in China"),
        ("sales_to_china", "Material sales to Chinese processors"),
    ):
        if k in china:
            rows.append((text, formatters.num(china[k], 2)))
    rows += [(formatters.label(k), str(v)) for k, v in china.items() if k not in known]
    return tuple(rows)


def _regime(x: Any) -> str:
    if x is None:
        return "?"
    return "high" if x >= REGIME_HIGH else "low" if x <= REGIME_LOW else "normal"


def _change_text(key: str, m: dict[str, Any]) -> str:
    a, b = m.get("from"), m.get("to")
    if key == "rank_moves":
        step = ""
        if isinstance(a, int) and isinstance(b, int) and a != b:
            step = f" (up {a - b})" if b < a else f" (down {b - a})"
        return f"rank {a} → {b}{step}"
    if key == "score_changes":
        return f"score {formatters.num(a)} → {formatters.num(b)} (cause: {formatters.label(m.get('cause'))})"
    if key == "regime_shifts":
        was, now = m.get("previous_regime") or _regime(a), m.get("regime") or _regime(b)
        return (
            f"{was} → {now} volatility (vol_regime {formatters.num(a, 2)} → {formatters.num(b, 2)})"
        )
    if key == "gate_changes":
        return (
            f"gates {formatters.yesno(a, 'pass', 'fail')} → {formatters.yesno(b, 'pass', 'fail')}"
        )
    if key == "new_failures":
        return str(m.get("reason") or "no reason recorded")
    return {"added": "new in the ranking", "removed": "no longer in the ranking"}.get(key, "")


def _changes(doc: dict[str, Any], cards: dict[str, Company]) -> Changes:
    ch = doc.get("changes") or {}
    prev = ch.get("previous_run") or {}
    by_ticker = {c.ticker: c for c in cards.values()}
    groups = []
    for key, title in CHANGE_GROUPS:
        items = []
        for m in ch.get(key) or []:
            ticker = str(m.get("ticker") or m.get("id") or "?")
            card = cards.get(str(m.get("id"))) or by_ticker.get(ticker)
            name = str(m.get("name") or (card.name if card else ""))
            # A removed company has no card in this report, even if its id matched one.
            anchor = card.anchor if card and key != "removed" else None
            items.append(ChangeItem(ticker, name, anchor, _change_text(key, m)))
        groups.append(ChangeGroup(key, title, tuple(items)))
    return Changes(
        previous_id=str(prev["id"]) if prev.get("id") else None,
        previous_as_of=formatters.isodate(prev.get("as_of")),
        groups=tuple(groups),
        regime_note=(
            "vol_regime places today's 1-month volatility within its own last year (0 = the "
            f"calmest day, 1 = the most volatile); at or above {formatters.num(REGIME_HIGH, 2)} "
            f"counts as high, at or below {formatters.num(REGIME_LOW, 2)} as low. A shift is a "
            "move between these bands."
        ),
    )


def _flag_legend(companies: tuple[Company, ...], model: dict[str, Any]) -> tuple[FlagKey, ...]:
    counts: dict[str, int] = {}
    for c in companies:
        for f in c.flags:
            counts[f.code] = counts.get(f.code, 0) + 1
    # Known flags in their documented order (FEOC first), then any other code alphabetically.
    order = {code: i for i, code in enumerate(FLAG_SHORT)}
    codes = sorted(counts, key=lambda c: (order.get(c, len(order)), c))
    return tuple(FlagKey(flag_view(code, model), counts[code]) for code in codes)


def _column_label(name: str, info: dict[str, Any]) -> str:
    """The metric's label, naming USD when the table's cells leave it out (``bare`` format)."""
    label = str(info.get("label") or name)
    if formatters.metric_kind(name, str(info.get("unit") or "")) == "usd" and "USD" not in label:
        label += " (USD)"
    return label


_FACTOR_NOTES = {
    "purity": "rare-earth share of revenue",
    "support": "sum of the support items' values, capped",
}


def _factor_measure(factor: str, model: dict[str, Any]) -> str:
    stages = ((model.get("factors") or {}).get(factor) or {}).get("stages") or {}
    if stages:
        return ", ".join(
            f"{formatters.label(s)} × {formatters.num(v, 2)}" for s, v in stages.items()
        )
    return _FACTOR_NOTES.get(factor, "")


def _methodology(doc: dict[str, Any]) -> dict[str, Any]:
    run = doc.get("run") or {}
    model = run.get("model") or {}
    tiers = model.get("tiers") or (model.get("jurisdictions") or {}).get("tiers") or {}
    gates = (model.get("gates") or {}).get(run.get("preset") or "", {})
    return {
        # (factor, weight, what the factor measures: its stages × stage weight, or a note)
        "weights": tuple(
            (k, v, _factor_measure(k, model))
            for k, v in (run.get("weights") or model.get("weights") or {}).items()
        ),
        "tiers": tuple(
            (k, t.get("weight"), tuple(t.get("countries") or ())) for k, t in tiers.items()
        ),
        "maturity": tuple((model.get("maturity") or {}).items()),
        "support_kinds": tuple((model.get("support_kinds") or {}).items()),
        "support_cap": model.get("support_cap"),
        "purity_unknown": model.get("purity_unknown"),
        "china": _china_rows(model.get("china") or {}),
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
    context = tuple(company(doc, c, False) for c in doc.get("context") or [])
    cards = {c.id: c for c in rows + context}
    model = (doc.get("run") or {}).get("model") or {}
    return ReportContext(
        header=_header(doc),
        takeaways=tuple(doc.get("takeaways") or takeaways.build(doc)),
        scatter=scatter(doc.get("rows", [])),
        columns=tuple(
            MetricCell(
                n,
                _column_label(n, info.get(n, {})),
                str(info.get(n, {}).get("unit") or ""),
                None,
                None,
            )
            for n in TABLE_METRICS
        ),
        rows=rows,
        context=context,
        benchmarks=bench,
        filter_quadrants=_options([r.quadrant for r in rows if r.quadrant], formatters.quadrant),
        filter_countries=_options([r.hq for r in rows]),
        filter_stages=_options([s for r in rows for s in r.stages], formatters.label),
        changes=_changes(doc, cards),
        failures=tuple(doc.get("failures") or ()),
        # Oldest first: the profiles most in need of a refresh lead the list.
        stale_profiles=tuple(
            sorted(
                (r for r in rows if any(f.code == "STALE_PROFILE" for f in r.flags)),
                key=lambda r: -(r.profile_age_days or 0),
            )
        ),
        stale_prices=tuple(r for r in rows if r.stale_price),
        synthetic_prices=tuple(r for r in rows if r.synthetic_price),
        methodology=_methodology(doc),
        metrics=tuple(doc.get("metrics") or ()),
        factor_names=tuple((doc.get("run") or {}).get("weights") or FACTORS),
        stale_price_days=int(settings.get("stale_price_days")),
        flag_legend=_flag_legend(rows + context, model),
        sections=SECTIONS,
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
