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
from typing import Any

import pandas as pd

from screener import settings
from screener.errors import NetworkError, NotFoundError, PriceDataError, StoreError
from screener.lookup.text import find_company
from screener.screen.assemble import assemble
from screener.screen.types import Row, RunDoc
from screener.sources import Mode, make_source
from screener.store.refresh import refresh_with_fx
from screener.universe.records import Company
from screener.universe.scored import Scored


@dataclass(frozen=True)
class LookupResult:
    views: list[dict[str, Any]]
    document: RunDoc | None  # the in-memory screen the rows come from (for --html)
    notes: list[str]  # fetch problems worth a line on stderr


def _fresh_from(today: date) -> date:
    """Stored prices reaching the last business day before today count as fresh."""
    day: date = (pd.Timestamp(today) - pd.offsets.BDay(1)).date()
    return day


def lookup(
    queries: Sequence[str],
    scored: Scored,
    *,
    mode: Mode,
    data_dir: Path | None,
    today: date,
    preset: str,
    demo_store: bool = False,
) -> LookupResult:
    """``demo_store``: read the demo store even offline (``--demo --offline``)."""
    from screener.store import Store

    uni = scored.universe
    companies: list[Company | None] = []
    outside: list[str] = []
    unknown: dict[str, str] = {}
    for q in queries:
        try:
            companies.append(find_company(uni, q))
        except NotFoundError as exc:
            outside.append(q.strip().upper())
            unknown[q] = str(exc)
            companies.append(None)
    folder = settings.store_dir(data_dir, demo=demo_store or mode == "demo")
    notes: list[str] = []
    wanted = [c.primary_ticker for c in companies if c is not None and c.primary_ticker]
    wanted += outside
    doc = None
    store_exists = (folder / "screener.duckdb").exists()
    store = None if mode == "offline" and not store_exists else Store.open(folder)
    if store is not None:
        if mode != "offline":
            fresh = _fresh_from(today)
            last = store.last_dates(wanted)
            if any(last.get(s) is None or last[s] < fresh for s in wanted):
                # The asked symbols, their benchmarks and their FX: only the stale ones.
                asked = [*wanted, *uni.benchmark_symbols()]
                src = make_source(mode, uni, folder)
                try:
                    rep = refresh_with_fx(
                        store, asked, src, end=None, today=today, fresh_from=fresh
                    )
                    notes += [f"{t}: {r}" for t, r in rep.failures.items() if t in asked]
                except NetworkError as exc:
                    notes.append(f"prices not refreshed: {exc}")
        try:
            with store.reading_session():
                doc = assemble(
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
                    series_for={c.id for c in companies if c is not None},
                )
        except PriceDataError as exc:
            notes.append(str(exc))
            doc = None
        except StoreError as exc:
            notes.append(str(exc))
            doc = None

    views: list[dict[str, Any]] = []
    rows = {r["id"]: r for r in doc.document["rows"]} if doc else {}
    for q, c in zip(queries, companies, strict=True):
        if c is not None:
            from screener.universe.profile import company_view

            view = company_view(c, scored.exposures[c.id], scored.jurisdictions)
            view.update(_risk_part(rows.get(c.id), doc))
            view["peers"] = _peers(c.id, doc.document if doc else None, scored)
            views.append(view)
            continue
        sym = q.strip().upper()
        if (
            doc is None
            or sym not in doc.values.index
            or doc.panel.close.get(sym, pd.Series(dtype=float)).dropna().empty
        ):
            where = (
                "offline, and the store has none"
                if mode == "offline"
                else "the price source has none"
            )
            raise NotFoundError(f"{unknown[q]}; no prices for it either ({where})")
        views.append(_outside_view(sym, doc))
    return LookupResult(views, doc.document if doc else None, notes)


def _risk_part(row: Row | None, a: Any) -> dict[str, Any]:
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


def _outside_view(sym: str, a: Any) -> dict[str, Any]:
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


__all__ = ["LookupResult", "lookup"]
