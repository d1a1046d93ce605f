"""Arrange a run document into the typed view records the report templates loop over.

The document (docs/screen-json.md) is the input; nothing is recomputed here except layout
(chart geometry: :mod:`screener.report.charts`; one company's card: :mod:`screener.report.card`)
and the lists the sections show (filters, stale names, the model parameters in force).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from screener import settings
from screener.report import formatters
from screener.report.basket_chart import BasketView, basket_view
from screener.report.card import (
    FLAG_SHORT,
    TABLE_METRICS,
    Company,
    FlagView,
    MetricCell,
    benchmark_cells,
    company,
    context_company,
    flag_view,
    metric_info,
)
from screener.report.charts import Scatter, scatter
from screener.report.event_section import EventsSection, events_section
from screener.report.methodology import Methodology, methodology, metric_texts
from screener.screen import summary
from screener.screen.history import REGIME_HIGH, REGIME_HYSTERESIS, REGIME_LOW
from screener.screen.types import (
    AuditRecord,
    ChangesRecord,
    Failure,
    MetricInfo,
    RunDoc,
    ScoreChange,
)
from screener.universe.model import FACTORS
from screener.universe.records import STAGES

# Page order: the week's news (takeaways, changes) first, then the screen and the event study,
# the long appendix (cards, data quality, methodology) last. (id, title of the navigation link)
SECTIONS = (
    ("summary", "Summary"),
    ("takeaways", "Takeaways"),
    ("changes", "Changes"),
    ("scatter", "Chart"),
    ("table", "Ranking"),
    ("events", "Policy events"),
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
    newest_fact: str  # the universe's newest company as_of ("–" when the run did not record it)
    median_fact: str
    # Said once here when half the listed profiles or more are stale (then no row has a badge).
    stale_note: str | None = None


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True)
class FlagKey:
    """One line of the table's flag legend: the badge, its code, meaning and how many rows carry it."""

    flag: FlagView
    count: int
    note: str | None = None  # e.g. why the table shows no badge for it


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
    busy: tuple[ChangeGroup, ...]  # the groups with an entry, in order
    quiet: tuple[ChangeGroup, ...]  # the empty ones
    regime_note: str


@dataclass(frozen=True)
class SummaryChange:
    """One line of the summary's "what changed": a group, how many, and its first entries."""

    title: str
    count: int
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class Summary:
    """The one-screen summary at the top: what changed, the top ten, where and at what stage.

    ``basket`` is the exposure basket, whose compact block (basket, REMX and SPY over one
    year) the summary shows under the changes; None (not kept in this run) renders nothing.
    """

    first_run: bool
    previous_id: str | None
    changes: tuple[SummaryChange, ...]
    quiet: str  # the groups with nothing to report, in words ("" when every group has news)
    top: tuple[Company, ...]
    countries: tuple[summary.CountryCount, ...]
    other_countries: int  # countries left out of the compact list
    stages: tuple[summary.StageCount, ...]
    listed: int
    basket: BasketView | None = None


@dataclass(frozen=True)
class AuditView:
    """One line of "What to re-check first" (the document's ``audit``)."""

    id: str
    ticker: str
    name: str
    anchor: str | None  # the company's card
    rank: int
    best_rank: int
    worst_rank: int
    score: float
    low: float
    high: float
    age_days: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReportContext:
    header: Header
    summary: Summary
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
    failures: tuple[Failure, ...]
    stale_profiles: tuple[Company, ...]
    stale_prices: tuple[Company, ...]
    synthetic_prices: tuple[Company, ...]
    synthetic_note: str | None  # how many names are priced from generated data (synthetic runs)
    methodology: Methodology
    metrics: tuple[MetricInfo, ...]
    factor_names: tuple[str, ...]
    stale_price_days: int
    flag_legend: tuple[FlagKey, ...]
    sections: tuple[tuple[str, str], ...]
    audit: tuple[AuditView, ...]
    stale_badges: bool  # whether the table marks stale profiles (false: the header says it once)
    events: EventsSection  # the policy-event study of the run
    extra: dict[str, Any] = field(default_factory=dict)
    basket: BasketView | None = None  # the exposure basket (None: not kept in this run)


@dataclass(frozen=True)
class CardContext:
    header: Header
    company: Company
    factor_names: tuple[str, ...]


def _stale_note(doc: RunDoc) -> str | None:
    rows = doc["rows"]
    if not summary.stale_is_common(rows):
        return None
    n, days = summary.stale_profiles(rows), doc["run"]["model"]["stale_profile_days"]
    share = f"All {n}" if n == len(rows) else f"{n} of {len(rows)}"
    return (
        f"{share} listed profiles are older than {days} days (STALE_PROFILE), so the table "
        "marks none of them; each row and card gives its profile's age."
    )


def _header(doc: RunDoc) -> Header:
    run = doc["run"]
    uni = run["universe"]
    return Header(
        run_id=run["id"],
        as_of=formatters.isodate(run["as_of"]),
        generated_at=formatters.isodate(run["generated_at"]),
        universe=uni["title"] or uni["name"] or "?",
        universe_version=uni["version"] or "?",
        source=run["source"] or "?",
        synthetic=run["synthetic"],
        preset=run["preset"] or "none",
        preset_label=run["preset_label"] or run["preset"] or "no gates",
        listed=uni["listed"],
        companies=uni["companies"],
        tool_version=run["tool_version"] or "?",
        # .get: a run stored before these keys re-renders with a dash
        newest_fact=formatters.isodate(uni.get("newest_fact")),
        median_fact=formatters.isodate(uni.get("median_fact")),
        stale_note=_stale_note(doc),
    )


def _options(values: Iterable[str], text: Callable[[str], str] = str) -> tuple[Option, ...]:
    return tuple(Option(v, text(v)) for v in sorted(set(values)))


def _rank_text(a: int, b: int) -> str:
    step = "" if a == b else f" (up {a - b})" if b < a else f" (down {b - a})"
    return f"rank {a} → {b}{step}"


def _gate_text(a: bool | None, b: bool | None) -> str:
    return f"gates {formatters.yesno(a, 'pass', 'fail')} → {formatters.yesno(b, 'pass', 'fail')}"


#: (id, ticker, name, what changed) of one change record; id and name None for a failure
_Entry = tuple[str | None, str | None, str | None, str]


def _profile_text(m: ScoreChange) -> str:
    """The profile changes behind a score move, the first two in words (runs stored before
    they were recorded have none)."""
    items = m.get("profile_changes", [])
    if not items:
        return ""
    more = f"; and {len(items) - 2} more" if len(items) > 2 else ""
    return ": " + "; ".join(items[:2]) + more


def _entries(ch: ChangesRecord) -> dict[str, list[_Entry]]:
    """Each group's records as the line the report prints (the bands come from history)."""
    return {
        "rank_moves": [
            (m["id"], m["ticker"], m["name"], _rank_text(m["from"], m["to"]))
            for m in ch["rank_moves"]
        ],
        "score_changes": [
            (
                m["id"],
                m["ticker"],
                m["name"],
                f"score {formatters.num(m['from'])} → {formatters.num(m['to'])} "
                f"(cause: {formatters.label(m['cause'])}){_profile_text(m)}",
            )
            for m in ch["score_changes"]
        ],
        "added": [(m["id"], m["ticker"], m["name"], "new in the ranking") for m in ch["added"]],
        "removed": [
            (m["id"], m["ticker"], m["name"], "no longer in the ranking") for m in ch["removed"]
        ],
        "regime_shifts": [
            (
                m["id"],
                m["ticker"],
                m["name"],
                f"{m['previous_regime']} → {m['regime']} volatility (1-month volatility at "
                f"percentile {formatters.num(100 * m['from'], 0)} → "
                f"{formatters.num(100 * m['to'], 0)} of its own past year)",
            )
            for m in ch["regime_shifts"]
        ],
        "gate_changes": [
            (m["id"], m["ticker"], m["name"], _gate_text(m["from"], m["to"]))
            for m in ch["gate_changes"]
        ],
        "new_failures": [
            (None, f["ticker"], None, f["reason"] or "no reason recorded")
            for f in ch["new_failures"]
        ],
    }


def _changes(doc: RunDoc, cards: Mapping[str, Company]) -> Changes:
    ch = doc["changes"]
    prev = ch["previous_run"] if ch else None
    entries = _entries(ch) if ch else {}
    by_ticker = {c.ticker: c for c in cards.values()}
    groups = []
    for key, title in CHANGE_GROUPS:
        items = []
        for cid, tick, name, text in entries.get(key, []):
            ticker = tick or cid or "?"
            card = cards.get(str(cid)) or by_ticker.get(ticker)
            # A removed company has no card in this report, even if its id matched one.
            anchor = card.anchor if card and key != "removed" else None
            items.append(ChangeItem(ticker, name or (card.name if card else ""), anchor, text))
        groups.append(ChangeGroup(key, title, tuple(items)))
    return Changes(
        previous_id=prev["id"] if prev and prev["id"] else None,
        previous_as_of=formatters.isodate(prev["as_of"] if prev else None),
        groups=tuple(groups),
        busy=tuple(g for g in groups if g.items),
        quiet=tuple(g for g in groups if not g.items),
        regime_note=(
            "The volatility regime places today's 1-month volatility within its own past year "
            "(percentile 0 = the calmest day, 100 = the most volatile); at or above "
            f"{formatters.num(100 * REGIME_HIGH, 0)} counts as high, at or below "
            f"{formatters.num(100 * REGIME_LOW, 0)} as low. A shift is a move into another band "
            f"that ends more than {formatters.num(100 * REGIME_HYSTERESIS, 0)} points outside "
            "the old one, so a name hovering at a band's edge does not shift every week."
        ),
    )


def _flag_legend(
    companies: tuple[Company, ...], model: Mapping[str, Any], stale_badges: bool
) -> tuple[FlagKey, ...]:
    counts: dict[str, int] = {}
    for c in companies:
        for f in c.flags:
            counts[f.code] = counts.get(f.code, 0) + 1
    # Known flags in their documented order (FEOC first), then any other code alphabetically.
    order = {code: i for i, code in enumerate(FLAG_SHORT)}
    codes = sorted(counts, key=lambda c: (order.get(c, len(order)), c))
    unmarked = "Not marked in the table: most profiles carry it (see the note at the top)."
    return tuple(
        FlagKey(
            flag_view(code, model),
            counts[code],
            unmarked if code == "STALE_PROFILE" and not stale_badges else None,
        )
        for code in codes
    )


def _column_label(name: str, info: MetricInfo | None) -> str:
    """The metric's label, naming USD when the table's cells leave it out (``bare`` format)."""
    label = (info["label"] if info else "") or name
    unit = (info["unit"] if info else "") or ""
    if formatters.metric_kind(name, unit) == "usd" and "USD" not in label:
        label += " (USD)"
    return label


def _synthetic_note(
    doc: RunDoc, rows: tuple[Company, ...], synthetic: tuple[Company, ...]
) -> str | None:
    """On a synthetic run: how many names are priced from generated data (named when few)."""
    if not doc["run"]["synthetic"]:
        return None
    n, total = len(synthetic), len(rows)
    share = f"all {total} listed names are" if n == total else f"{n} of {total} listed names are"
    named = f" ({', '.join(c.ticker for c in synthetic)})" if 0 < n < total and n <= 12 else ""
    return (
        f"{share} priced from generated data{named}; "
        "their risk numbers illustrate the method, not the market."
    )


def _stale_profiles(rows: Iterable[Company]) -> tuple[Company, ...]:
    """Rows flagged STALE_PROFILE, oldest first: the profiles most in need of a refresh lead."""
    stale = (r for r in rows if any(f.code == "STALE_PROFILE" for f in r.flags))
    return tuple(sorted(stale, key=lambda r: -(r.profile_age_days or 0)))


def _columns(info: Mapping[str, MetricInfo]) -> tuple[MetricCell, ...]:
    """The table's metric columns (the cells' values unused)."""
    return tuple(
        MetricCell(
            n,
            _column_label(n, info.get(n)),
            (info[n]["unit"] if n in info else "") or "",
            None,
            None,
        )
        for n in TABLE_METRICS
    )


def _audit(records: Iterable[AuditRecord], cards: Mapping[str, Company]) -> tuple[AuditView, ...]:
    out = []
    for a in records:
        card = cards.get(a["id"])
        out.append(
            AuditView(
                id=a["id"],
                ticker=a["ticker"] or a["id"],
                name=a["name"],
                anchor=card.anchor if card else None,
                rank=a["rank"],
                best_rank=a["best_rank"],
                worst_rank=a["worst_rank"],
                score=a["score"],
                low=a["low"],
                high=a["high"],
                age_days=a["age_days"],
                reasons=tuple(a["reasons"]),
            )
        )
    return tuple(out)


def _without_stale_badges(companies: tuple[Company, ...]) -> tuple[Company, ...]:
    return tuple(
        replace(c, badges=tuple(f for f in c.badges if f.code != "STALE_PROFILE"))
        for c in companies
    )


def _factor_names(doc: RunDoc) -> tuple[str, ...]:
    return tuple(doc["run"]["weights"] or FACTORS)


#: Entries per group and countries the one-screen summary lists (the full lists follow below).
SUMMARY_ITEMS = 3
SUMMARY_COUNTRIES = 8
SUMMARY_TOP = 10


def _with_cause(item: ChangeItem, scores: Mapping[str, ChangeItem]) -> ChangeItem:
    """A rank move with its cause: the company's own score change, or others' moves."""
    own = scores.get(item.ticker)
    why = own.text if own else "its own score unchanged: others moved"
    return replace(item, text=f"{item.text}; {why}")


def _summary(
    doc: RunDoc, rows: tuple[Company, ...], changes: Changes, basket: BasketView | None
) -> Summary:
    by_key = {g.key: g for g in changes.groups}
    scores = {i.ticker: i for i in by_key["score_changes"].items} if by_key else {}
    lines = []
    for g in changes.busy:
        items = g.items[:SUMMARY_ITEMS]
        if g.key == "rank_moves":
            items = tuple(_with_cause(i, scores) for i in items)
        lines.append(SummaryChange(g.title, len(g.items), items))
    countries = summary.by_country(doc["rows"])
    return Summary(
        first_run=changes.previous_id is None,
        previous_id=changes.previous_id,
        changes=tuple(lines),
        quiet=", ".join(g.title.lower() for g in changes.quiet),
        top=rows[:SUMMARY_TOP],
        countries=countries[:SUMMARY_COUNTRIES],
        other_countries=max(0, len(countries) - SUMMARY_COUNTRIES),
        stages=summary.by_stage(doc["rows"], STAGES),
        listed=len(rows),
        basket=basket,
    )


def build_report_context(doc: RunDoc) -> ReportContext:
    info = metric_info(doc)
    rows = tuple(company(doc, r) for r in sorted(doc["rows"], key=lambda r: r["rank"]))
    bench = tuple(
        (b["symbol"], b["name"] or "", benchmark_cells(b, info)) for b in doc["benchmarks"]
    )
    context = tuple(context_company(doc, c) for c in doc["context"])
    stale_badges = not summary.stale_is_common(doc["rows"])
    if not stale_badges:
        rows, context = _without_stale_badges(rows), _without_stale_badges(context)
    cards = {c.id: c for c in rows + context}
    synthetic = tuple(r for r in rows if r.synthetic_price)
    changes = _changes(doc, cards)
    basket = basket_view(doc)
    return ReportContext(
        header=_header(doc),
        summary=_summary(doc, rows, changes, basket),
        takeaways=tuple(doc["takeaways"]),
        scatter=scatter(doc["rows"], summary.medians(doc["rows"])),
        columns=_columns(info),
        rows=rows,
        context=context,
        benchmarks=bench,
        filter_quadrants=_options((r.quadrant for r in rows if r.quadrant), formatters.quadrant),
        filter_countries=_options(r.hq for r in rows),
        filter_stages=_options((s for r in rows for s in r.stages), formatters.label),
        changes=changes,
        failures=tuple(doc["failures"]),
        stale_profiles=_stale_profiles(rows),
        stale_prices=tuple(r for r in rows if r.stale_price),
        synthetic_prices=synthetic,
        synthetic_note=_synthetic_note(doc, rows, synthetic),
        methodology=methodology(doc),
        metrics=metric_texts(doc["metrics"]),
        factor_names=_factor_names(doc),
        stale_price_days=int(settings.get("stale_price_days")),
        flag_legend=_flag_legend(rows + context, doc["run"]["model"], stale_badges),
        sections=SECTIONS,
        # .get: a run stored before the audit was kept re-renders without the table
        audit=_audit(doc.get("audit", []), cards),
        stale_badges=stale_badges,
        events=events_section(doc),
        basket=basket,
    )


def build_card_context(doc: RunDoc, key: str) -> CardContext | None:
    """The card page's context for the company whose id or ticker is ``key`` (None if absent)."""
    for row in doc["rows"]:
        if key == row["id"] or key in row["tickers"]:  # the primary ticker is tickers[0]
            return CardContext(_header(doc), company(doc, row), _factor_names(doc))
    for c in doc["context"]:
        if key == c["id"]:
            return CardContext(_header(doc), context_company(doc, c), _factor_names(doc))
    return None
