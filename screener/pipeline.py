"""The weekly job: refresh → score → measure → screen → store → render, and its summary.

Also the job's steps that the CLI runs on their own: refreshing or importing prices
(:func:`refresh_prices`, :func:`import_prices`), re-rendering a stored run
(:func:`rerender`), and the event study over the store (:func:`event_study`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from screener import settings
from screener.errors import (
    FetchFailed,
    InputError,
    NotFoundError,
    PriceDataError,
    ScreenerError,
)
from screener.screen.assemble import Assembled, assemble
from screener.screen.types import EventsRecord, RunDoc
from screener.sources import Mode, make_source
from screener.sources.base import PriceSource, SourceName
from screener.store.refresh import refresh_with_fx
from screener.universe.scored import Scored, load_scored

if TYPE_CHECKING:
    from screener.screen.event_study import EventStudy
    from screener.screen.panel import StoreRead
    from screener.store import Store
    from screener.store.maintenance import StoreCheck

Progress = Callable[[int, int, str], None]
Note = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    document: RunDoc
    paths: dict[str, Path]
    failures: dict[str, str]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


#: No price source or store goes back further; an older date is a typo, refused before pandas
#: (whose timestamps start in 1677) or a source sees it.
EARLIEST_DATE = date(1900, 1, 1)


def check_date_option(option: str, value: date, today: date) -> None:
    """A date option is neither in the future nor before :data:`EARLIEST_DATE` (exit 2)."""
    if value > today:
        raise InputError(
            f"{option} {value.isoformat()} is in the future; give a date up to today "
            f"({today.isoformat()})"
        )
    if value < EARLIEST_DATE:
        raise InputError(
            f"{option} {value.isoformat()} is before any price history; give a date from "
            f"{EARLIEST_DATE.isoformat()} to today ({today.isoformat()})"
        )


def _as_of_in_history(store: Store, symbols: list[str], as_of: date, today: date) -> None:
    """``--as-of`` must fall on or after the first stored bar of the universe (exit 2 with the
    range the store holds); checked after the refresh, which may have fetched that history."""
    status = store.status(today)
    held = status[status.index.isin(symbols)]
    firsts = held["first_date"].dropna()
    if firsts.empty:
        raise InputError(
            f"--as-of {as_of.isoformat()}: the store holds no prices for this universe to "
            "reproduce that week from; run `screener prices refresh` (or pass --demo)"
        )
    first = pd.Timestamp(firsts.min()).date()
    if as_of < first:
        last = pd.Timestamp(held["last_date"].dropna().max()).date()
        raise InputError(
            f"--as-of {as_of.isoformat()} is before the price history starts; the store holds "
            f"this universe's prices from {first.isoformat()} to {min(last, today).isoformat()}: give a "
            "date in that range"
        )


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
    from screener.report.tabular import write_outputs
    from screener.store import Store
    from screener.universe.cache import scored_cached

    today = today or date.today()
    if as_of is not None:
        check_date_option("--as-of", as_of, today)
    preset = preset or str(settings.get("preset"))
    folder = settings.store_dir(data_dir, demo=mode == "demo")
    scored = scored_cached(universe, weights=weights, folder=folder, today=as_of or today)
    if preset not in scored.model.raw["gates"]:
        raise NotFoundError(
            f"unknown preset {preset!r} (choose {', '.join(scored.model.raw['gates'])})"
        )
    failures: dict[str, str] = {}  # per symbol; assemble adds those with no stored prices
    source_name = None
    with Store.open(folder) as store:
        if mode != "offline":
            src = make_source(mode, scored.universe, folder)
            refreshed = refresh_with_fx(
                store,
                scored.universe.priced_symbols(),
                src,
                end=as_of,
                today=today,
                progress=progress,
                fresh_from=_fresh_from(mode, as_of, today, src),
                funds=scored.universe.benchmark_symbols(),
            )
            failures.update(refreshed.failures)
            source_name = refreshed.source
        # Every read on one read-only connection (each open costs ~20 ms), then the write.
        with store.reading_session():
            if as_of is not None:
                _as_of_in_history(store, scored.universe.priced_symbols(), as_of, today)
            read = _read_once(scored, store, as_of, today)
            a = _screen(scored, store, mode, as_of, today, preset, source_name, failures, now, read)
            _compare_with_previous(a, store)
            a.document["events"] = _events(scored, store, a, today, read)
            _basket(a, store)
        _save(a, store, scored, preset)
    run_id = a.document["run"]["id"]
    paths = write_outputs(a.document, out_dir or default_out_dir(run_id, demo=mode == "demo"))
    return RunResult(a.document, paths, failures)


def _fresh_from(
    mode: Mode, as_of: date | None, today: date, src: PriceSource
) -> Callable[[str], date] | None:
    """Each symbol's date from which stored bars need no refresh, or None to refresh all.

    Demo prices are deterministic and never revised, so a symbol whose stored bars reach its
    last synthetic trading day is not generated again: regenerating it would write the same
    bars. Market data keeps the overlapping re-fetch that picks up revisions; a past
    ``as_of`` already skips symbols that reach it.
    """
    if mode != "demo" or as_of is not None:
        return None
    from screener.sources.demo import DemoSource

    if not isinstance(src, DemoSource):
        return None
    demo = src
    return lambda symbol: demo.last_bar_day(symbol, today)


def _screen(
    scored: Scored,
    store: Store,
    mode: Mode,
    as_of: date | None,
    today: date,
    preset: str,
    source_name: str | None,
    failures: dict[str, str],
    now: datetime | None,
    read: StoreRead,
) -> Assembled:
    """Measure and screen from the store; FetchFailed when every fetched symbol failed."""
    try:
        return assemble(
            scored,
            store,
            as_of=as_of,
            today=today,
            preset=preset,
            source_name=source_name,
            failures=failures,
            now=now,
            read=read,
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


def _read_once(
    scored: Scored,
    store: Store,
    as_of: date | None,
    today: date,
) -> StoreRead:
    """One read of the store for the screen and the event study (which reaches further back)."""
    from screener.screen.event_study import study_start, study_symbols
    from screener.screen.panel import default_start, read_store

    end = as_of or today
    symbols = [*scored.universe.priced_symbols(), *study_symbols(scored)]
    start = min(default_start(end), study_start(scored, today))
    return read_store(store, symbols, start=start, end=end)


def _compare_with_previous(a: Assembled, store: Store) -> None:
    """Add the changes since the previous run and the takeaways to the document.

    The previous run is the newest from an earlier ISO week (a rerun of this week replaces
    this week's run, so it is never its own baseline).
    """
    from screener.report.takeaways import build as takeaways
    from screener.screen import history

    doc = a.document
    week_start = a.panel.as_of - timedelta(days=a.panel.as_of.weekday())
    previous = store.previous_run(before_as_of=week_start)
    doc["changes"] = history.changes(doc, previous["document"] if previous else None)
    doc["takeaways"] = takeaways(doc)


def _events(
    scored: Scored, store: Store, a: Assembled, today: date, read: StoreRead
) -> EventsRecord:
    """The event study over the same store and scores, or a record saying why it was not run.

    Needs SPY (the market model's benchmark): a universe without benchmarks has none stored,
    and the run goes on without the study.
    """
    from screener.screen.event_doc import events_not_run, events_record
    from screener.screen.event_study import BENCHMARKS, from_store

    market = BENCHMARKS[0]
    synthetic = a.panel.synthetic
    why = (
        f"not measured: the store holds no {market} prices (the market model's benchmark); "
        "add SPY to the universe's benchmarks and refresh prices"
    )
    try:
        study = from_store(scored, store, today=today, as_of=a.panel.as_of, read=read)
    except PriceDataError:
        return events_not_run(why, synthetic=synthetic)
    if market not in study.benchmarks:
        return events_not_run(why, synthetic=synthetic)
    return events_record(study)


def _basket(a: Assembled, store: Store) -> None:
    """The exposure basket, its weights in the rows, and each row's price series, with the
    point-in-time basket from the stored runs of the last three years before this week."""
    from screener.screen.basket_doc import apply, build_basket, stored_runs, usd_returns

    panel = a.panel
    week_start = panel.as_of - timedelta(days=panel.as_of.weekday())
    since = week_start - timedelta(days=3 * 366 + 7)
    history = stored_runs(store.run_members(since=since, before=week_start))
    returns = usd_returns(panel.close, panel.fx, panel.currency, panel.as_of)
    record, prices = build_basket(
        a.document["rows"],
        returns,
        as_of=panel.as_of,
        synthetic=panel.synthetic,
        history=history,
    )
    apply(a.document, record, prices)


def _save(a: Assembled, store: Store, scored: Scored, preset: str) -> None:
    """Store the run (replacing a run of the same week) with one result row per company."""
    doc = a.document
    uni = scored.universe
    run_id = doc["run"]["id"]
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
        dict(doc),  # the store keeps it as plain JSON
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
    if ch is None or ch["previous_run"] is None:
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


# --- prices on their own: refresh, import -------------------------------------------------


@dataclass(frozen=True)
class PricesRefreshed:
    folder: Path  # the store written to (the demo sub-folder for demo prices)
    updated: dict[str, int]  # bars written per symbol
    failures: dict[str, str]  # reason per symbol that failed
    synthetic: bool  # demo prices, stored apart from market data


def refresh_prices(
    *,
    universe: str | Path | None,
    source: SourceName,
    csv_path: Path | None = None,
    since: date | None = None,
    data_dir: Path | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> PricesRefreshed:
    """Refresh the universe's listed companies and benchmarks into the (demo) store.

    Yahoo and demo prices also refresh the FX series of the currencies met, always
    incrementally; a CSV file holds what it holds, so ``csv`` reads only the symbols (from
    ``since`` when given) and no FX.
    """
    from screener.sources import get_source
    from screener.store import Store
    from screener.store.refresh import refresh
    from screener.universe.load import load

    today = today or date.today()
    if since is not None:
        check_date_option("--since", since, today)
    if source == "csv" and csv_path is None:  # refused before a store is created
        raise ScreenerError("--source csv needs --csv PATH (a file or a folder of CSV files)")
    uni = load(universe)
    folder = settings.store_dir(data_dir, demo=source == "demo")
    symbols = uni.priced_symbols()
    with Store.open(folder) as store:
        if source == "csv":
            src = get_source("csv", path=csv_path)
            rep = refresh(store, symbols, src, since=since, today=today, progress=progress)
            failures, updated = dict(rep.failures), dict(rep.updated)
        else:
            src = make_source(source, uni, folder)
            r = refresh_with_fx(
                store,
                symbols,
                src,
                end=None,
                today=today,
                progress=progress,
                funds=uni.benchmark_symbols(),
            )
            failures, updated = r.failures, r.updated
    return PricesRefreshed(folder, updated, failures, synthetic=source == "demo")


@dataclass(frozen=True)
class PricesImported:
    rows: int  # bars written
    tickers: int


def import_prices(
    path: Path, *, data_dir: Path | None = None, note: Note | None = None, today: date | None = None
) -> PricesImported:
    """Import a CSV file or folder into the (market data) store, all or nothing.

    The file is checked in chunks into a staging table first (bad input: every problem
    counted, the first named, nothing written); then a currency that differs from a
    ticker's stored one is refused, naming the line; then the bars are checked batch by
    batch and go in with one bulk statement in one transaction
    (:meth:`~screener.store.Store.import_staged`). Memory stays bounded whatever the file's
    size. ``note`` hears the
    parser's notes (assumed currencies, ignored columns) before the store is written.
    """
    import pandas as pd

    from screener.sources.base import PRICE_COLUMNS, FetchResult
    from screener.sources.csvfile import CsvImportError, stage_csv
    from screener.store import Store

    with stage_csv(path, today=today) as staged:
        for n in staged.notes:
            if note is not None:
                note(n)
        with Store.open(settings.data_dir(data_dir)) as store:
            clashes = store.currency_conflicts(staged.instruments)
            if clashes:
                raise CsvImportError(
                    str(path), [f"{staged.first_line(c.ticker)}: {c.describe()}" for c in clashes]
                )
            metadata = FetchResult(
                "csv", False, pd.DataFrame(columns=list(PRICE_COLUMNS)), staged.instruments
            )
            rows = store.import_staged(staged, metadata, memory_limit=IMPORT_MEMORY)
        return PricesImported(rows, staged.tickers)


#: DuckDB's memory cap while an import writes (it spills to disk beyond it).
IMPORT_MEMORY = "512MB"


# --- the store file: check, backup, restore ----------------------------------------------


def check_store_file(*, data_dir: Path | None, demo: bool) -> StoreCheck:
    """``screener store check``: the (demo) store verified, read-only."""
    from screener.store.maintenance import check_store

    return check_store(_store_file(data_dir, demo))


def backup_store(
    target: Path, *, folder: bool, data_dir: Path | None, demo: bool
) -> tuple[Path, dict[str, int]]:
    """``screener store backup``: the file written and its row counts per table."""
    from screener.store.maintenance import backup

    written, checked = backup(_store_file(data_dir, demo), target, folder=folder)
    return written, checked.rows


def restore_store(
    backup_path: Path, *, data_dir: Path | None, demo: bool
) -> tuple[Path, Path | None]:
    """``screener store restore``: the store replaced, and where the old file was kept."""
    from screener.store.maintenance import restore

    target = _store_file(data_dir, demo)
    return target, restore(backup_path, target)


def _store_file(data_dir: Path | None, demo: bool) -> Path:
    from screener.store import STORE_FILENAME

    return settings.store_dir(data_dir, demo=demo) / STORE_FILENAME


# --- a stored run, rendered again ---------------------------------------------------------


def rerender(
    run_id: str | None, *, demo: bool, out_dir: Path | None = None, data_dir: Path | None = None
) -> dict[str, Path]:
    """Write a stored run's report.html, screen.csv and screen.json again; no network.

    ``run_id`` (or its ISO week, the same thing) defaults to the newest run.
    """
    from screener.report.tabular import write_outputs
    from screener.store.status import open_existing

    if run_id is not None:
        check_week(run_id)
    store = open_existing(data_dir, demo=demo)
    if store is None:
        raise NotFoundError("no runs stored yet: `screener run` makes one")
    if run_id is None:
        runs = store.list_runs()
        if not runs:
            raise NotFoundError("no runs stored yet: `screener run` makes one")
        # The store lists oldest first. A run dated after today (stored by a version that took a
        # future --as-of) is never the default: it would show synthetic or missing prices.
        today = date.today()
        past = [r for r in runs if _day(r["as_of"]) <= today] or runs
        run_id = past[-1]["run_id"]
    doc = store.load_run(run_id)["document"]
    return write_outputs(doc, out_dir or default_out_dir(run_id, demo=demo))


def _day(value: object) -> date:
    day: date = pd.Timestamp(str(value)).date()
    return day


_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def check_week(text: str) -> None:
    """A run id is an ISO week, ``2026-W48``: a real week of a year from 1900 (exit 2)."""
    m = _WEEK.fullmatch(text)
    if m is None:
        raise InputError(
            f"{text[:40]!r} is not an ISO week; give one such as 2026-W48 (see `screener history`)"
        )
    year, week = int(m.group(1)), int(m.group(2))
    if year < EARLIEST_DATE.year:
        raise InputError(f"{text}: no run is that old; give a week such as 2026-W48")
    weeks = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
    if not 1 <= week <= weeks:
        raise InputError(
            f"{text} is not a week: {year} has weeks W01 to W{weeks:02d}; give one such as "
            "2026-W48 (see `screener history`)"
        )


def event_study(
    *,
    universe: str | Path | None,
    mode: Mode,
    event_id: str | None = None,
    window: str | None = None,
    demo_store: bool = False,
    data_dir: Path | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> EventStudy:
    """``screener events``: refresh the universe's prices (unless offline), then study the events.

    ``demo_store``: read the demo store even offline (``--demo --offline``). Bad input (an
    unknown event id, a malformed window) is refused before any price is fetched.
    """
    from screener.screen.event_study import from_store, unknown_event
    from screener.screen.events import parse_window
    from screener.store import Store

    today = today or date.today()
    headline = parse_window(window) if window is not None else (0, 5)
    scored = load_scored(universe, today=today)
    if event_id is not None and event_id not in {e.id for e in scored.universe.events}:
        raise NotFoundError(unknown_event(event_id))
    folder = settings.store_dir(data_dir, demo=demo_store or mode == "demo")
    # Offline the study only reads: a read-only store needs no write access to the data dir.
    with Store.open(folder, read_only=mode == "offline") as store:
        if mode != "offline":
            src = make_source(mode, scored.universe, folder)
            refresh_with_fx(
                store,
                scored.universe.priced_symbols(),
                src,
                end=None,
                today=today,
                progress=progress,
                funds=scored.universe.benchmark_symbols(),
            )
        return from_store(
            scored,
            store,
            today=today,
            event_ids=[event_id] if event_id else None,
            headline=headline,
        )
