"""Ad hoc lookup: one or more symbols, fresh prices, the risk block beside the profile.

Ad hoc means fresh: a symbol whose stored prices are missing or older than the last trading
day is fetched (with its benchmarks and FX) before answering, unless offline. Any symbol
works: one outside the universe gets its risk block and "no exposure profile".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

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
from screener.screen.assemble import Assembled, assemble
from screener.screen.types import Row, RunDoc
from screener.sources import Mode, make_source
from screener.store.refresh import refresh_with_fx
from screener.universe.profile import company_view
from screener.universe.scored import Scored, load_scored

if TYPE_CHECKING:
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

    def card_html(self) -> str:
        """The first view's company card as a standalone page."""
        from screener.report.html import render_card

        if self.document is None:
            raise ScreenerError("--html needs prices (none stored; drop --offline or pass --demo)")
        view = self.views[0]
        if view.get("id") is None:
            raise ScreenerError(f"--html: {view['ticker']} has no exposure profile to render")
        return render_card(self.document, view["id"])


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
) -> CompanyViews:
    """Each query's exposure view and, ``with_risk``, its risk numbers from fresh prices.

    ``demo_store``: read the demo store even offline (``--demo --offline``). Raises
    NotFoundError for a query that is neither in the universe nor (with risk) priced.
    """
    scored = load_scored(universe, weights=weights)
    listed_rank = {c.id: i for i, (c, _) in enumerate(scored.ranked(listed_only=True), start=1)}
    if not with_risk:
        views = _profile_views(queries, scored)
        return CompanyViews(views, None, notes=[], listed_rank=listed_rank, with_risk=False)
    resolved = resolve(scored.universe, queries)
    folder = settings.store_dir(data_dir, demo=demo_store or mode == "demo")
    screen, notes = _measure(
        resolved,
        scored,
        folder,
        mode=mode,
        today=today or date.today(),
        preset=preset or str(settings.get("preset")),
    )
    return CompanyViews(
        [_view(r, scored, screen, mode) for r in resolved],
        screen.document if screen else None,
        notes,
        listed_rank,
        with_risk=True,
        refresh_failed=bool(notes) and mode != "offline",
    )


def _profile_views(queries: Sequence[str], scored: Scored) -> list[dict[str, Any]]:
    """Exposure views only; the first query that names no company raises NotFoundError."""
    views = []
    for q in queries:
        company = find_company(scored.universe, q)
        views.append(company_view(company, scored.exposures[company.id], scored.jurisdictions))
    return views


def _fresh_from(today: date) -> date:
    """Stored prices reaching the last business day before today count as fresh."""
    day: date = (pd.Timestamp(today) - pd.offsets.BDay(1)).date()
    return day


def _open_store(folder: Path, mode: Mode) -> Store | None:
    """The store to read (created when online); None offline when nothing is stored.

    Offline, nothing is written, so the store is opened read-only: a lookup works without
    write access to the data dir."""
    from screener.store import STORE_FILENAME, Store

    if mode == "offline":
        if not (folder / STORE_FILENAME).exists():
            return None
        return Store.open(folder, read_only=True)
    return Store.open(folder)


def _measure(
    resolved: Sequence[Resolved],
    scored: Scored,
    folder: Path,
    *,
    mode: Mode,
    today: date,
    preset: str,
) -> tuple[Assembled | None, list[str]]:
    """Refresh what is stale (unless offline), then screen the universe with the outside
    symbols measured alongside. Returns the screen (None without usable prices) and notes."""
    store = _open_store(folder, mode)
    if store is None:
        return None, []
    outside = [r.symbol for r in resolved if r.company is None]
    wanted = [r.company.primary_ticker for r in resolved if r.company and r.company.primary_ticker]
    wanted += outside
    notes = [] if mode == "offline" else _refresh_stale(store, folder, wanted, scored, mode, today)
    try:
        with store.reading_session():
            screen = assemble(
                scored,
                store,
                as_of=None,
                today=today,
                preset=preset,
                source_name=None,
                failures={},
                extra=outside,
                robustness=False,
                # sparklines only for the companies asked about (the --html card shows them)
                series_for={r.company.id for r in resolved if r.company is not None},
            )
    except StoreDamaged:  # not a gap in the data: the file itself needs attention
        raise
    except (PriceDataError, StoreError) as exc:
        return None, [*notes, str(exc)]
    return screen, notes


def _refresh_stale(
    store: Store, folder: Path, wanted: list[str], scored: Scored, mode: Mode, today: date
) -> list[str]:
    """Fetch the asked symbols, their benchmarks and their FX: only the stale ones.

    Returns one note per symbol that failed, or one for a source that could not be reached.
    """
    fresh = _fresh_from(today)
    last = store.last_dates(wanted)
    if all(last.get(s) is not None and last[s] >= fresh for s in wanted):
        return []
    uni = scored.universe
    asked = [*wanted, *uni.benchmark_symbols()]
    src = make_source(mode, uni, folder)
    try:
        rep = refresh_with_fx(store, asked, src, end=None, today=today, fresh_from=fresh)
    except NetworkError as exc:
        return [f"prices not refreshed: {exc}"]
    return [f"{t}: {r}" for t, r in rep.failures.items() if t in asked]


def _view(
    resolved: Resolved, scored: Scored, screen: Assembled | None, mode: Mode
) -> dict[str, Any]:
    """A company's exposure view with its screen row's risk part, or an outside symbol's
    risk view (NotFoundError when it has no prices either)."""
    c = resolved.company
    if c is not None:
        rows = {r["id"]: r for r in screen.document["rows"]} if screen else {}
        view = company_view(c, scored.exposures[c.id], scored.jurisdictions)
        view.update(_risk_part(rows.get(c.id), screen))
        view["peers"] = _peers(c.id, screen.document if screen else None, scored)
        return view
    sym = resolved.symbol
    if (
        screen is None
        or sym not in screen.values.index
        or screen.panel.close.get(sym, pd.Series(dtype=float)).dropna().empty
    ):
        where = (
            "offline, and the store has none" if mode == "offline" else "the price source has none"
        )
        raise NotFoundError(f"{resolved.not_found}; no prices for it either ({where})")
    return _outside_view(sym, screen)


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


def _peers(cid: str, doc: RunDoc | None, scored: Scored, n: int = 3) -> list[dict[str, Any]]:
    """The n listed companies nearest by score (excluding itself)."""
    me = scored.exposures[cid].score
    others = [(c, e) for c, e in scored.ranked(listed_only=True) if c.id != cid]
    others.sort(key=lambda p: (abs(p[1].score - me), p[0].id))
    rows = {r["id"]: r for r in doc["rows"]} if doc else {}
    out = []
    for c, e in others[:n]:
        row = rows.get(c.id)
        vol = row["risk"].get("vol_1y") if row else None
        out.append(
            {
                "id": c.id,
                "ticker": c.primary_ticker,
                "name": c.name,
                "score": e.score,
                "vol_1y": vol,
            }
        )
    return out


def _outside_view(sym: str, a: Assembled) -> dict[str, Any]:
    from screener.screen.document import clean, risk_row

    risk, reasons = risk_row(a.values, a.reasons, sym)
    dq = {k: clean(v) for k, v in a.quality.loc[sym].items()} if sym in a.quality.index else {}
    inst = a.panel.instruments
    name = inst["name"].get(sym) if "name" in inst else None
    return {
        "ticker": sym,
        "tickers": [sym],
        "id": None,
        "name": name if isinstance(name, str) else sym,
        "exposure": None,
        "note": "no exposure profile",
        "risk": risk,
        "risk_reasons": reasons,
        "risk_as_of": a.document["run"]["as_of"],
        "data_quality": dq,
        "gates": None,
        "quadrant": None,
        "frontier": None,
        "exposure_per_vol": None,
        "peers": [],
    }


__all__ = ["CompanyViews", "company_views"]
