"""Ad hoc lookup: one or more symbols, fresh prices, the risk block beside the profile.

Ad hoc means fresh: a symbol whose stored prices are missing or older than the last trading
day is fetched (with its benchmarks and FX) before answering, unless offline. Any symbol
works: one outside the universe gets its risk block and "no exposure profile".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screener import settings
from screener.errors import (
    NetworkError,
    NotFoundError,
    PriceDataError,
    ScreenerError,
    StoreDamaged,
    StoreError,
)
from screener.lookup.resolve import Resolved, find_company, resolve
from screener.universe.profile import company_view
from screener.universe.scored import Scored

if TYPE_CHECKING:
    from screener.lookup.measure import Measured, Outside
    from screener.screen.assemble import Assembled
    from screener.screen.types import Row, RunDoc
    from screener.sources import Mode
    from screener.store import Store


@dataclass(frozen=True)
class CompanyViews:
    """What ``screener lookup`` shows: one view per query, in the order asked."""

    views: list[dict[str, Any]]
    document: RunDoc | None  # the in-memory screen the rows come from (for --html)
    notes: list[str]  # fetch problems worth a line on stderr
    listed_rank: dict[str, int]  # rank among listed companies, by company id
    with_risk: bool  # False for a profile-only lookup (no prices read)
    # Online, a refresh was asked for and failed (exit 1). Offline, missing prices are what
    # the user chose to accept.
    refresh_failed: bool = False
    mode: Mode = "offline"  # where the prices were to come from (the hints name its options)
    demo: bool = False  # the demo store was read

    def no_prices_hint(self) -> str:
        """What to do about missing prices, naming only options this lookup could be given."""
        return no_prices_hint(self.mode, self.demo)

    def card_html(self) -> str:
        """The first view's company card as a standalone page."""
        from screener.report.html import render_card

        if self.document is None:
            raise ScreenerError(f"--html needs prices (none stored; {self.no_prices_hint()})")
        view = self.views[0]
        if view.get("id") is None:
            raise ScreenerError(f"--html: {view['ticker']} has no exposure profile to render")
        return render_card(self.document, view["id"])


def no_prices_hint(mode: Mode, demo: bool) -> str:
    """What to do about missing prices, naming only options a lookup in ``mode`` could be given."""
    if mode == "offline":
        if demo:
            return "drop --offline to make demo prices"
        return "run `screener prices refresh`, drop --offline, or pass --demo"
    if mode == "demo":
        return "the demo source made none for it"
    return "the refresh failed, see the warnings; or pass --demo for synthetic prices"


def _nothing_stored(store: Store | None, resolved: Sequence[Resolved], scored: Scored) -> bool:
    """No stored bar for any asked symbol nor the benchmarks: an offline lookup has no risk
    to show (an unlisted company asked from a filled store is not this case)."""
    if store is None:
        return True
    asked = [r.company.primary_ticker if r.company else r.symbol for r in resolved]
    symbols = [s for s in asked if s] + list(scored.universe.benchmark_symbols())
    return not store.last_dates(symbols)


def _no_stored_prices(
    resolved: Sequence[Resolved], folder: Path, mode: Mode, demo: bool
) -> ScreenerError:
    """Offline with nothing stored is bad input (exit 2, as the README's exit codes say): the
    risk block the user asked for cannot exist. --no-prices shows the profile alone."""
    where = "demo store" if demo else "store"
    return ScreenerError(
        f"no stored prices for {', '.join(r.query for r in resolved)} in the {where} "
        f"({folder}); {no_prices_hint(mode, demo)}; or pass --no-prices for the exposure "
        "profile alone"
    )


def company_views(
    queries: Sequence[str],
    *,
    universe: str | Path | None,
    weights: str | Path | None = None,
    mode: Mode,
    with_risk: bool = True,
    demo_store: bool = False,
    data_dir: Path | None = None,
    today: date | None = None,
    preset: str | None = None,
    card: bool = False,
    full: bool = False,
) -> CompanyViews:
    """Each query's exposure view and, ``with_risk``, its risk numbers from fresh prices.

    ``demo_store``: read the demo store even offline (``--demo --offline``). ``card``: keep the
    screen's document for :meth:`CompanyViews.card_html` (the full screen is assembled).
    ``full``: assemble the full screen even when a stored run could give the context (the
    path before stored runs were used; ``bench/lookup.py`` compares the two). Raises
    NotFoundError for a query that is neither in the universe nor (with risk) priced, and
    AmbiguousError for a part of a name several companies share.
    """
    from screener.universe.cache import scored_cached

    folder = settings.store_dir(data_dir, demo=demo_store or mode == "demo")
    today = today or date.today()
    scored = scored_cached(universe, weights=weights, folder=folder, today=today)
    listed_rank = {c.id: i for i, (c, _) in enumerate(scored.ranked(listed_only=True), start=1)}
    if not with_risk:
        views = _profile_views(queries, scored)
        return CompanyViews(views, None, notes=[], listed_rank=listed_rank, with_risk=False)
    resolved = resolve(scored.universe, queries)
    preset = preset or str(settings.get("preset"))
    with ExitStack() as stack:
        return _views_with_store(
            _open_store(folder, mode, stack),
            resolved,
            scored,
            listed_rank,
            folder=folder,
            mode=mode,
            demo_store=demo_store,
            today=today,
            preset=preset,
            full=full or card,
        )


def _views_with_store(
    store: Store | None,
    resolved: Sequence[Resolved],
    scored: Scored,
    listed_rank: dict[str, int],
    *,
    folder: Path,
    mode: Mode,
    demo_store: bool,
    today: date,
    preset: str,
    full: bool,
) -> CompanyViews:
    """:func:`company_views` once the store is open (None: offline, nothing stored)."""
    inside = all(r.company is not None for r in resolved)  # outside symbols: NotFoundError
    if mode == "offline" and inside and store is None:
        raise _no_stored_prices(resolved, folder, mode, demo_store)
    if store is None:  # offline, nothing stored, a symbol outside the universe asked
        return CompanyViews(
            [_view(r, scored, None, None, mode) for r in resolved],
            None,
            [],
            listed_rank,
            with_risk=True,
            mode=mode,
            demo=demo_store or mode == "demo",
        )
    notes = (
        [] if mode == "offline" else _refresh_stale(store, folder, resolved, scored, mode, today)
    )
    with store.reading_session():
        if mode == "offline" and inside and _nothing_stored(store, resolved, scored):
            raise _no_stored_prices(resolved, folder, mode, demo_store)
        screen, measured, outside, more = _measure(
            resolved,
            scored,
            store,
            today=today,
            preset=preset,
            full=full,
            demo=demo_store or mode == "demo",
        )
    notes += more
    return CompanyViews(
        [_view(r, scored, screen or measured, outside.get(r.symbol), mode) for r in resolved],
        screen.document if screen else None,
        notes,
        listed_rank,
        with_risk=True,
        refresh_failed=bool(notes) and mode != "offline",
        mode=mode,
        demo=demo_store or mode == "demo",
    )


def _profile_views(queries: Sequence[str], scored: Scored) -> list[dict[str, Any]]:
    """Exposure views only; the first query that names no company raises NotFoundError."""
    views = []
    for r in resolve(scored.universe, queries):
        company = r.company or find_company(scored.universe, r.query)
        views.append(company_view(company, scored.exposures[company.id], scored.jurisdictions))
    return views


def _open_store(folder: Path, mode: Mode, stack: ExitStack) -> Store | None:
    """The store to read (created when online); None offline when nothing is stored.

    Offline, nothing is written, so the store is opened read-only (a lookup works without
    write access to the data dir) and its one connection serves every read until ``stack``
    closes."""
    from screener.store import STORE_FILENAME, Store

    if mode == "offline":
        if not (folder / STORE_FILENAME).exists():
            return None
        return stack.enter_context(Store.reading(folder))
    return Store.open(folder)


def _measure(
    resolved: Sequence[Resolved],
    scored: Scored,
    store: Store,
    *,
    today: date,
    preset: str,
    full: bool,
    demo: bool,
) -> tuple[Assembled | None, Measured | None, dict[str, Outside], list[str]]:
    """The asked companies measured (from the stored run's context, or the full screen when
    no run is stored or ``full``) and each outside symbol on its own history.

    Returns the screen or the measured parts (None without usable prices), the outside
    symbols measured, and notes."""
    from screener.lookup.measure import (
        measure_companies,
        measure_outside,
        run_context,
        universe_as_of,
    )

    companies = [r.company for r in resolved if r.company is not None]
    screen: Assembled | None = None
    measured: Measured | None = None
    notes: list[str] = []
    as_of: date | None = None
    try:
        as_of = universe_as_of(store, scored, today, demo=demo)
        context = None if full else run_context(store, scored.universe.name)
        if context is None:
            screen = _assemble(scored, store, companies, today=today, preset=preset)
        elif companies:
            measured = measure_companies(
                scored, store, companies, as_of=as_of, today=today, preset=preset, context=context
            )
    except StoreDamaged:  # not a gap in the data: the file itself needs attention
        raise
    except (PriceDataError, StoreError) as exc:
        notes.append(str(exc))
    outside = {}
    for r in resolved:
        if r.company is None and r.symbol not in outside:
            found = measure_outside(scored, store, r.symbol, today=today, reference=as_of)
            if found is not None:
                outside[r.symbol] = found
    return screen, measured, outside, notes


def _assemble(
    scored: Scored, store: Store, companies: Sequence[Any], *, today: date, preset: str
) -> Assembled:
    """The universe's full screen (no rank re-draws), as the weekly run assembles it."""
    from screener.screen.assemble import assemble

    return assemble(
        scored,
        store,
        as_of=None,
        today=today,
        preset=preset,
        source_name=None,
        failures={},
        robustness=False,
        # weekly closes only for the companies asked about (the --html card shows them)
        series_for={c.id for c in companies},
    )


def _refresh_stale(
    store: Store,
    folder: Path,
    resolved: Sequence[Resolved],
    scored: Scored,
    mode: Mode,
    today: date,
) -> list[str]:
    """Fetch the asked symbols, their benchmarks and their FX: only the stale ones.

    Demo prices are made up: a symbol outside the universe (not a company's listing nor a
    benchmark) is never generated (NotFoundError,
    exit 2, when nothing is stored for it). Returns one note per symbol that failed, or one
    for a source that could not be reached.
    """
    wanted = [r.company.primary_ticker for r in resolved if r.company and r.company.primary_ticker]
    outside = list(dict.fromkeys(r.symbol for r in resolved if r.company is None))
    if mode == "demo":  # the universe's benchmarks are demo symbols too
        priced = set(scored.universe.priced_symbols())
        wanted += [s for s in outside if s in priced]
        stored = store.last_dates(outside)
        for r in resolved:
            if r.company is None and r.symbol not in priced and r.symbol not in stored:
                raise NotFoundError(
                    f"{r.not_found}; --demo makes up prices for the universe's companies and "
                    "benchmarks only, and none are stored for it"
                )
        outside = []
    wanted += outside
    from screener.store.refresh import last_business_day, refresh_with_fx

    fresh = last_business_day(today)
    last = store.last_dates(wanted)
    if all(last.get(s) is not None and last[s] >= fresh for s in wanted):
        return []
    from screener.sources import make_source

    uni = scored.universe
    asked = [*wanted, *uni.benchmark_symbols()]
    src = make_source(mode, uni, folder)
    # a symbol outside the universe with nothing stored that the source does not know (a
    # typo, a made-up one) leaves no fetch-log or instrument row; its view says "not found"
    new = [s for s in outside if s not in last]
    try:
        rep = refresh_with_fx(
            store,
            asked,
            src,
            end=None,
            today=today,
            fresh_from=fresh,
            funds=uni.benchmark_symbols(),
        )
    except NetworkError as exc:
        return [f"prices not refreshed: {exc}"]
    finally:
        store.forget_unpriced(new)
    return [f"{t}: {r}" for t, r in rep.failures.items() if t in asked and t not in new]


def _view(
    resolved: Resolved,
    scored: Scored,
    measured: Assembled | Measured | None,
    outside: Outside | None,
    mode: Mode,
) -> dict[str, Any]:
    """A company's exposure view with its risk part, or an outside symbol's risk view
    (NotFoundError when it has no prices either)."""
    from screener.lookup.measure import Measured

    c = resolved.company
    if c is None:
        if outside is None:
            where = (
                "offline, and the store has none"
                if mode == "offline"
                else "the price source has none"
            )
            raise NotFoundError(f"{resolved.not_found}; no prices for it either ({where})")
        return outside.view
    view = company_view(c, scored.exposures[c.id], scored.jurisdictions)
    if isinstance(measured, Measured):
        part = measured.parts.get(c.id)
        view.update(part if part is not None else _risk_part(None, None))
        if part is not None and measured.context.as_of.isoformat() != part["risk_as_of"]:
            # the quadrant, frontier and peers' volatility come from an older run
            view["context_as_of"] = measured.context.as_of.isoformat()
        vols: Mapping[str, float | None] = measured.vols
    else:
        doc = measured.document if measured is not None else None
        rows = {r["id"]: r for r in doc["rows"]} if doc else {}
        view.update(_risk_part(rows.get(c.id), measured))
        vols = {i: r["risk"].get("vol_1y") for i, r in rows.items()}
    view["peers"] = _peers(c.id, vols, scored)
    return view


def _risk_part(row: Row | None, a: Assembled | None) -> dict[str, Any]:
    """The screen row's risk keys (as in screen.json rows); None values when unpriced."""
    if row is None or a is None:
        return {
            "risk": None,
            "risk_reasons": {},
            "data_quality": None,
            "gates": None,
            "quadrant": None,
            "frontier": None,
            "exposure_per_vol": None,
            "risk_as_of": None,
        }
    run = a.document["run"]
    return {
        "risk": row["risk"],
        "risk_reasons": row["risk_reasons"],
        "risk_as_of": run["as_of"],
        "data_quality": row["data_quality"],
        "gates": {**row["gates"], "label": run["preset_label"]},
        "quadrant": row["quadrant"],
        "quadrant_label": row.get("quadrant_label"),
        "frontier": row["frontier"],
        "exposure_per_vol": row["exposure_per_vol"],
    }


def _peers(
    cid: str, vols: Mapping[str, float | None], scored: Scored, n: int = 3
) -> list[dict[str, Any]]:
    """The n listed companies nearest by score (excluding itself), with their 1-year
    volatility (None where unknown)."""
    me = scored.exposures[cid].score
    others = [(c, e) for c, e in scored.ranked(listed_only=True) if c.id != cid]
    others.sort(key=lambda p: (abs(p[1].score - me), p[0].id))
    return [
        {
            "id": c.id,
            "ticker": c.primary_ticker,
            "name": c.name,
            "score": e.score,
            "vol_1y": vols.get(c.id),
        }
        for c, e in others[:n]
    ]


__all__ = ["CompanyViews", "company_views"]
