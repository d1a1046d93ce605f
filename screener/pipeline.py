"""The weekly job: refresh → score → measure → screen → store → render, and its summary.

Also the job's steps that the CLI runs on their own: refreshing or importing prices
(:func:`refresh_prices`, :func:`import_prices`), re-rendering a stored run
(:func:`rerender`), and the event study over the store (:func:`event_study`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from screener import settings
from screener.errors import FetchFailed, NotFoundError, PriceDataError, ScreenerError
from screener.screen.assemble import Assembled, assemble
from screener.screen.types import EventsRecord, RunDoc
from screener.sources import Mode, make_source
from screener.sources.base import SourceName
from screener.store.refresh import refresh_with_fx
from screener.universe.scored import Scored, load_scored

if TYPE_CHECKING:
    from screener.screen.event_study import EventStudy
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

    today = today or date.today()
    preset = preset or str(settings.get("preset"))
    folder = settings.store_dir(data_dir, demo=mode == "demo")
    scored = load_scored(universe, weights=weights, today=as_of or today)
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
            )
            failures.update(refreshed.failures)
            source_name = refreshed.source
        a = _screen(scored, store, mode, as_of, today, preset, source_name, failures, now)
        _compare_with_previous(a, store)
        a.document["events"] = _events(scored, store, a, today)
        _save(a, store, scored, preset)
    run_id = a.document["run"]["id"]
    paths = write_outputs(a.document, out_dir or default_out_dir(run_id, demo=mode == "demo"))
    return RunResult(a.document, paths, failures)


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


def _events(scored: Scored, store: Store, a: Assembled, today: date) -> EventsRecord:
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
        study = from_store(scored, store, today=today, as_of=a.panel.as_of)
    except PriceDataError:
        return events_not_run(why, synthetic=synthetic)
    if market not in study.benchmarks:
        return events_not_run(why, synthetic=synthetic)
    return events_record(study)


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

    uni = load(universe)
    folder = settings.store_dir(data_dir, demo=source == "demo")
    symbols = uni.priced_symbols()
    today = today or date.today()
    with Store.open(folder) as store:
        if source == "csv":
            if csv_path is None:
                raise ScreenerError(
                    "--source csv needs --csv PATH (a file or a folder of CSV files)"
                )
            src = get_source("csv", path=csv_path)
            rep = refresh(store, symbols, src, since=since, today=today, progress=progress)
            failures, updated = dict(rep.failures), dict(rep.updated)
        else:
            src = make_source(source, uni, folder)
            r = refresh_with_fx(store, symbols, src, end=None, today=today, progress=progress)
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

    store = open_existing(data_dir, demo=demo)
    if store is None:
        raise NotFoundError("no runs stored yet: `screener run` makes one")
    if run_id is None:
        runs = store.list_runs()
        if not runs:
            raise NotFoundError("no runs stored yet: `screener run` makes one")
        run_id = runs[-1]["run_id"]  # the store lists oldest first
    doc = store.load_run(run_id)["document"]
    return write_outputs(doc, out_dir or default_out_dir(run_id, demo=demo))


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
            )
        return from_store(
            scored,
            store,
            today=today,
            event_ids=[event_id] if event_id else None,
            headline=headline,
        )
