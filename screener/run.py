"""The weekly run: refresh → score → metrics → screen → document → store → files.

Also the shared "read what the store holds for a universe" step that ``lookup`` reuses.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from screener import settings
from screener.document import RunMeta, build_document, iso_week
from screener.errors import FetchFailed, NotFoundError, PriceDataError
from screener.exchanges import exchange_of, fx_symbol, major_unit
from screener.records import Company, Universe
from screener.scored import Scored, load_scored

Mode = Literal["yahoo", "demo", "offline"]
Progress = Callable[[int, int, str], None]

#: The demo store lives apart from real data, so synthetic prices never mix with market data.
DEMO_SUBDIR = "demo"


def store_dir(data_dir: Path | None, *, demo: bool) -> Path:
    base = settings.data_dir(data_dir)
    return base / DEMO_SUBDIR if demo else base


def demo_profile(company: Company) -> str:
    """Volatility profile of the synthetic demo prices (explorers wilder than producers)."""
    if company.china.hq_in_china or company.china.state_control:
        return "contrast"
    statuses = {s.status for s in company.segments}
    if (
        company.ree_revenue_share is not None
        and company.ree_revenue_share < 0.25
        and company.revenue_basis != "pre_revenue"
    ):
        return "diversified"
    if "producing" in statuses:
        return "producer"
    if statuses & {"commissioning", "construction", "development"}:
        return "developer"
    return "explorer"


def make_source(mode: Mode, universe: Universe, data_dir: Path) -> Any:
    from screener.sources import get_source

    if mode == "demo":
        profiles = {t: demo_profile(c) for c in universe.listed for t in c.tickers}
        profiles.update({b: "benchmark" for b in universe.benchmark_symbols()})
        events = [e.date for e in universe.events if not e.scheduled]
        return get_source("demo", profiles=profiles, event_dates=events)
    return get_source("yahoo", cache_dir=data_dir / "yfinance-cache")


def universe_symbols(universe: Universe) -> list[str]:
    """Primary listings of listed companies, then benchmarks (what a run prices)."""
    seen: dict[str, None] = {}
    for t in [*universe.primary_tickers(), *universe.benchmark_symbols()]:
        seen.setdefault(t.upper(), None)
    return list(seen)


def fx_for(currencies: Sequence[str | None]) -> list[str]:
    majors = {major_unit(c)[0] for c in currencies if c}
    return [fx_symbol(c) for c in sorted(m for m in majors if m and m != "USD")]


@dataclass(frozen=True)
class Refreshed:
    failures: dict[str, str]
    updated: dict[str, int]
    source: str


def refresh_prices(
    store: Any,
    symbols: Sequence[str],
    source: Any,
    *,
    end: date | None,
    today: date,
    progress: Progress | None = None,
    fresh_from: date | None = None,
) -> Refreshed:
    """Refresh ``symbols`` and then the FX series of their currencies.

    Symbols whose stored bars already reach ``fresh_from`` are not fetched. It defaults to
    ``end``: with a past ``--as-of`` an incremental fetch would start after ``end`` and fail
    for no reason. A lookup passes the last trading day, so only stale series are fetched.
    """
    from screener.prices import refresh

    skip_from = fresh_from if fresh_from is not None else end

    def needed(syms: Sequence[str]) -> list[str]:
        if skip_from is None:
            return list(syms)
        last = store.last_dates(list(syms))
        return [s for s in syms if s not in last or last[s] < skip_from]

    report = refresh(store, needed(symbols), source, end=end, today=today, progress=progress)
    failures, updated = dict(report.failures), dict(report.updated)
    inst = store.instruments(list(symbols))
    currencies = list(inst["currency"].dropna()) if "currency" in inst else []
    currencies += [exchange_of(s).currency for s in symbols if exchange_of(s)]  # type: ignore[union-attr]
    fx = needed(fx_for(currencies))
    if fx:
        fxr = refresh(store, fx, source, end=end, today=today, progress=progress)
        failures.update(fxr.failures)
        updated.update(fxr.updated)
    return Refreshed(failures, updated, report.source)


@dataclass(frozen=True)
class Panel:
    """What the store holds for a set of symbols, up to ``as_of``."""

    close: pd.DataFrame  # adjusted closes, dates × symbols
    raw_close: pd.DataFrame  # unadjusted closes (for value traded)
    volume: pd.DataFrame
    fx: pd.DataFrame  # dates × currency, USD per unit
    instruments: pd.DataFrame
    as_of: date
    synthetic: bool
    currency: dict[str, str] = field(default_factory=dict)
    flags: pd.DataFrame | None = None  # ticker, date, flags: the store's flagged bars


def read_panel(store: Any, symbols: Sequence[str], *, as_of: date | None, today: date) -> Panel:
    end = as_of or today
    start = end - pd.DateOffset(years=max(3, int(settings.get("beta_years"))) + 1)
    start_d = start.date()
    close = store.wide("adj_close", tickers=list(symbols), start=start_d, end=end)
    if close.empty or close.dropna(how="all").empty:
        raise PriceDataError(
            "no stored prices for this universe up to "
            f"{end.isoformat()}: run `screener prices refresh`, or pass --demo for synthetic data"
        )
    raw = store.wide("close", tickers=list(symbols), start=start_d, end=end)
    volume = store.wide("volume", tickers=list(symbols), start=start_d, end=end)
    inst = store.instruments(list(symbols))
    currency: dict[str, str] = {}
    for s in symbols:
        c = inst["currency"].get(s) if "currency" in inst else None
        if not isinstance(c, str):
            ex = exchange_of(s)
            c = major_unit(ex.currency)[0] if ex else None
        if c:
            currency[s] = c
    fx_syms = fx_for(list(currency.values()))
    fx = store.wide("close", tickers=fx_syms, start=start_d, end=end) if fx_syms else pd.DataFrame()
    fx = fx.rename(columns=lambda s: s[:3])
    last = close.dropna(how="all").index.max()
    used_as_of = as_of or pd.Timestamp(last).date()
    synthetic = bool(store.has_synthetic(list(symbols) + fx_syms))
    long = store.prices_long(list(symbols), start=start_d, end=end)
    flagged = long.loc[long["flags"].astype(str) != "", ["ticker", "date", "flags"]]
    flagged = flagged.assign(ticker=flagged["ticker"].astype(str))
    # Non-positive prices stay in the store, flagged; no return can be taken from them.
    close = close.where(close > 0)
    return Panel(close, raw, volume, fx, inst, used_as_of, synthetic, currency, flagged)


def compute_risk(panel: Panel, equities: Sequence[str], benchmarks: Sequence[str]) -> Any:
    """``metrics.compute_detailed`` on what the store holds (benchmarks measured too)."""
    from screener.metrics import compute_detailed

    cols = [s for s in [*equities, *benchmarks] if s in panel.close.columns]
    bench = panel.close[[b for b in benchmarks if b in panel.close.columns]]
    cap = panel.instruments["market_cap"].to_dict() if "market_cap" in panel.instruments else {}
    # Per-ticker synthetic flag, so each row's data quality labels demo prices as synthetic.
    synth = (
        panel.instruments["synthetic"]
        if "synthetic" in panel.instruments
        else pd.Series(dtype=bool)
    )
    return compute_detailed(
        panel.close[cols],
        panel.volume.reindex(index=panel.close.index, columns=cols),
        bench.rename(columns=str.upper),
        currency={s: panel.currency.get(s, "USD") for s in cols},
        fx=panel.fx if not panel.fx.empty else None,
        market_cap={k: v for k, v in cap.items() if k in cols},
        as_of=panel.as_of,
        synthetic={k: bool(v) for k, v in synth.items() if k in cols},
        flags=panel.flags,
    )


@dataclass(frozen=True)
class RunResult:
    document: dict[str, Any]
    paths: dict[str, Path]
    failures: dict[str, str]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


@dataclass(frozen=True)
class Assembled:
    document: dict[str, Any]
    panel: Panel
    values: pd.DataFrame  # metrics of every symbol read (universe, benchmarks, extras)
    reasons: pd.DataFrame
    quality: pd.DataFrame


def assemble(
    scored: Scored,
    store: Any,
    *,
    as_of: date | None,
    today: date,
    preset: str,
    source_name: str | None,
    failures: dict[str, str],
    extra: Sequence[str] = (),
    now: datetime | None = None,
    robustness: bool = True,
    series_for: Collection[str] | None = None,
) -> Assembled:
    """Read the store, compute metrics, build the screen and arrange the document.

    ``extra`` symbols (outside the universe, for ``lookup``) are measured but not screened.
    ``failures`` is updated with symbols that have no stored prices.
    """
    from screener.screen import build

    uni = scored.universe
    symbols = universe_symbols(uni)
    bench = uni.benchmark_symbols()
    extra = [e for e in extra if e not in symbols]
    panel = read_panel(store, [*symbols, *extra], as_of=as_of, today=today)
    if source_name is None:
        srcs = (
            panel.instruments["source"].dropna().unique() if "source" in panel.instruments else []
        )
        source_name = "store (" + ", ".join(sorted(map(str, srcs))) + ")" if len(srcs) else "store"
    equities = [s for s in [*symbols, *extra] if s not in bench]
    detailed = compute_risk(panel, equities, bench)
    adv = None
    gate = scored.model.gate(preset)
    if gate.get("adv_window_days") and int(gate["adv_window_days"]) != 63:
        from screener.metrics import adv_usd

        cols = [s for s in equities if s in panel.close.columns]
        adv = adv_usd(
            panel.raw_close[cols],
            panel.volume.reindex(index=panel.raw_close.index, columns=cols),
            fx=panel.fx if not panel.fx.empty else None,
            currency={s: panel.currency.get(s, "USD") for s in cols},
            window=int(gate["adv_window_days"]),  # the panel already ends at as_of
        )
    table, robust = build(
        scored, detailed.values, preset=preset, adv_gate_usd=adv, robustness=robustness
    )
    status = store.status(today)
    last_errors = {
        str(t): str(e)
        for t, e in status.get("last_error", pd.Series(dtype=object)).items()
        if isinstance(e, str) and e
    }
    for s in symbols:
        if s not in panel.close.columns or panel.close[s].dropna().empty:
            failures.setdefault(s, last_errors.get(s, "no stored prices"))
    meta = RunMeta(
        run_id=iso_week(panel.as_of),
        as_of=panel.as_of,
        generated_at=now or datetime.now(UTC),
        source=source_name,
        synthetic=panel.synthetic,
        preset=preset,
    )
    doc = build_document(
        scored,
        table,
        robust,
        meta=meta,
        values=detailed.values,
        reasons=detailed.reasons,
        quality=detailed.quality,
        close=panel.close,
        instruments=panel.instruments,
        failures=failures,
        last_errors=last_errors,
        series_for=series_for,
    )
    return Assembled(doc, panel, detailed.values, detailed.reasons, detailed.quality)


def run(
    *,
    universe: str | Path | None,
    mode: Mode,
    as_of: date | None = None,
    preset: str | None = None,
    weights: str | Path | None = None,
    out_dir: Path | None = None,
    data_dir: Path | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> RunResult:
    """The weekly job. Exit code 1 (via RunResult) when some symbols have no fresh data."""
    from screener import history
    from screener.report import write_outputs
    from screener.store import Store
    from screener.takeaways import build as takeaways

    today = today or date.today()
    preset = preset or str(settings.get("preset"))
    folder = store_dir(data_dir, demo=mode == "demo")
    scored = load_scored(universe, weights=weights, today=as_of or today)
    uni = scored.universe
    if preset not in scored.model.raw["gates"]:
        raise NotFoundError(
            f"unknown preset {preset!r} (choose {', '.join(scored.model.raw['gates'])})"
        )
    failures: dict[str, str] = {}
    source_name = None
    with Store.open(folder) as store:
        if mode != "offline":
            src = make_source(mode, uni, folder)
            refreshed = refresh_prices(
                store, universe_symbols(uni), src, end=as_of, today=today, progress=progress
            )
            failures.update(refreshed.failures)
            source_name = refreshed.source
        try:
            a = assemble(
                scored,
                store,
                as_of=as_of,
                today=today,
                preset=preset,
                source_name=source_name,
                failures=failures,
                now=now,
            )
        except PriceDataError as exc:
            if mode == "offline" or not failures:
                raise
            # We did fetch, and every symbol failed: that is failed data (exit 1), named.
            named = "; ".join(f"{t}: {r}" for t, r in sorted(failures.items())[:5])
            more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
            raise FetchFailed(
                f"no usable prices: all {len(failures)} symbols failed to fetch: {named}{more}. "
                "Use --offline to work from stored prices, or --demo for synthetic data."
            ) from exc
        doc = a.document
        run_id = doc["run"]["id"]
        # The previous run is the newest from an earlier ISO week (a rerun of this week
        # replaces this week's run, so it is never its own baseline).
        week_start = a.panel.as_of - timedelta(days=a.panel.as_of.weekday())
        previous = store.previous_run(before_as_of=week_start)
        doc["changes"] = history.changes(doc, previous["document"] if previous else None)
        doc["takeaways"] = takeaways(doc)
        store.save_run(
            {
                "run_id": run_id,
                "week": run_id,
                "as_of": a.panel.as_of,
                "generated_at": doc["run"]["generated_at"],
                "universe_name": uni.name,
                "universe_hash": uni.sha256,
                "weights": dict(scored.model.weights),
                "preset": preset,
                "source": doc["run"]["source"],
                "synthetic": a.panel.synthetic,
                "tool_version": doc["run"]["tool_version"],
            },
            doc,
            [
                {
                    "company_id": r["id"],
                    "ticker": r["ticker"],
                    "rank": r["rank"],
                    "score": r["exposure"]["score"],
                    "payload": r,
                }
                for r in doc["rows"]
            ],
        )
    out = out_dir or default_out_dir(run_id, demo=mode == "demo")
    paths = write_outputs(doc, out)
    return RunResult(doc, paths, failures)


def default_out_dir(run_id: str, *, demo: bool) -> Path:
    return Path("reports") / (f"demo-{run_id}" if demo else run_id)


def summary(result: RunResult, *, top: int = 5) -> list[str]:
    """The few lines cron mails: top names, what changed, what failed, where the files are."""
    doc = result.document
    run = doc["run"]
    lines = []
    if run["synthetic"]:
        lines.append("SYNTHETIC DEMO DATA: prices are generated, not market data.")
    lines.append(
        f"Run {run['id']}: universe {run['universe']['name']} ({run['universe']['version']}), "
        f"prices as of {run['as_of']} from {run['source']}, preset {run['preset']}"
    )
    lines.append("Top by exposure:")
    for r in doc["rows"][:top]:
        vol = r["risk"].get("vol_1y")
        vol_txt = f"vol {vol:.0%}" if isinstance(vol, float) else "vol –"
        gate = {True: "passes gates", False: "fails gates", None: "gates unknown"}[
            r["gates"]["pass"]
        ]
        lines.append(
            f"  {r['rank']:>2}. {r['ticker']:<10} {r['name'][:30]:<30} {r['exposure']['score']:5.1f}  {vol_txt}, {gate}"
        )
    ch = doc["changes"]
    if ch["previous_run"] is None:
        lines.append("Changes: first run, nothing to compare.")
    else:
        moves = ", ".join(f"{m['ticker']} {m['from']}→{m['to']}" for m in ch["rank_moves"][:5])
        lines.append(
            f"Changes since {ch['previous_run']['id']}: {len(ch['added'])} added, "
            f"{len(ch['removed'])} removed, {len(ch['rank_moves'])} rank moves"
            + (f" ({moves})" if moves else "")
            + f", {len(ch['score_changes'])} score changes, {len(ch['regime_shifts'])} regime shifts, "
            f"{len(ch['gate_changes'])} gate changes"
        )
    if result.failures:
        names = ", ".join(f"{t} ({r})" for t, r in sorted(result.failures.items())[:10])
        more = f" and {len(result.failures) - 10} more" if len(result.failures) > 10 else ""
        lines.append(f"Data failures ({len(result.failures)}): {names}{more}")
    else:
        lines.append("Data failures: none")
    for kind, path in result.paths.items():
        lines.append(f"{kind}: {path}")
    return lines
