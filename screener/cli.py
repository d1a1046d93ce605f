"""The command line. Thin: parse options, call one core function, print or write.

Exit codes: 0 success; 1 the job ran but some data failed (the output says which);
2 bad input (a universe file, an option, an unknown ticker).
"""

from __future__ import annotations

import errno
import gc
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from screener import __version__
from screener.errors import ScreenerError
from screener.universe import PRESETS

if TYPE_CHECKING:
    from screener.sources import Mode
    from screener.sources.base import SourceName

F = TypeVar("F", bound=Callable[..., Any])


class _DataFailed(click.ClickException):
    exit_code = 1


class _BadInput(click.ClickException):
    exit_code = 2


def ScreenerClickError(message: str, exit_code: int) -> click.ClickException:
    """A click error whose exit code follows the contract (1 data failed, 2 bad input)."""
    return _DataFailed(message) if exit_code == 1 else _BadInput(message)


def domain_errors(fn: F) -> F:
    """Turn domain errors into click errors with the contract's exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ScreenerError as exc:
            raise ScreenerClickError(str(exc), exc.exit_code) from exc
        except OSError as exc:  # a path the user gave that cannot be written or read
            raise ScreenerClickError(*_os_error(exc)) from exc

    return wrapper  # type: ignore[return-value]


#: OS errors that say the machine failed, not the path the user gave (exit 1, not 2).
_MACHINE_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.ENOMEM}


def _output_path(path: Path | None, option: str) -> None:
    """Refuse an output path whose folder cannot exist (a parent is a regular file) before
    any work is done; other OS failures are caught when writing (see :func:`_os_error`)."""
    if path is None:
        return
    for parent in [path, *path.parents] if option == "--out" else list(path.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ScreenerClickError(
                    f"{option} {path}: {parent} is a file, not a folder (choose another path)", 2
                )
            return


def _os_error(exc: OSError) -> tuple[str, int]:
    """An OS error as (message naming the user's path, exit code)."""
    name = str(exc.filename) if exc.filename is not None else None
    if name is not None:
        # A temp file of fileio.atomic_write_text: name the file the user asked for.
        folder, base = os.path.split(name)
        m = re.fullmatch(r"\.(.+)\.[a-z0-9_]{8}\.tmp", base)
        if m:
            name = os.path.join(folder, m.group(1))
    what = f"cannot write or read {name}" if name else "a file operation failed"
    hint = "check the disk" if exc.errno in _MACHINE_ERRNOS else "choose another path"
    return f"{what}: {exc.strerror or exc} ({hint})", 1 if exc.errno in _MACHINE_ERRNOS else 2


universe_option = click.option(
    "--universe",
    "-u",
    "universe",
    default="rare_earths",
    show_default=True,
    help="A shipped universe name or a path to a universe YAML file.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
preset_option = click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    default=None,
    help="Investability gate preset (default: mvis).",
)
weights_option = click.option(
    "--weights",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file overriding model parameters (e.g. factor weights).",
)


def _dump(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="screener")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SCREENER_HOME",
    help="Where the price store and run history live (default: the platform's user data dir; "
    "env SCREENER_HOME).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Screen listed companies for rare-earth supply-chain exposure outside China, paired with
    price risk. Not investment advice."""
    ctx.obj = {"data_dir": data_dir}


# --- universe ------------------------------------------------------------------------------


@cli.group()
def universe() -> None:
    """List, show, validate, audit and diff universes (company data files)."""


@universe.command("list")
@json_option
@domain_errors
def universe_list(as_json: bool) -> None:
    """Universes available: name, companies, listed count, as-of range."""
    from dataclasses import asdict

    from screener.universe.catalog import catalog
    from screener.universe.text import catalog_text

    infos = catalog()
    if as_json:
        _dump([asdict(u) for u in infos])
    else:
        click.echo(catalog_text(infos))


@universe.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@domain_errors
def universe_validate(paths: tuple[Path, ...]) -> None:
    """Check universe files; list every problem. Exit 0 when clean, 2 otherwise.

    Without PATHS, checks every shipped universe and the model and events files."""
    from screener.universe.catalog import check_files
    from screener.universe.text import check_text

    checked = failed = 0
    for check in check_files(paths):  # printed as each file is checked
        checked += 1
        failed += check.problem is not None
        click.echo(check_text(check), err=check.problem is not None)
    if failed:
        raise ScreenerClickError(f"{failed} of {checked} file(s) have problems", 2)


@universe.command("show")
@universe_option
@weights_option
@json_option
@click.option("--all", "show_all", is_flag=True, help="Include unlisted (context) companies.")
@domain_errors
def universe_show(universe: str, weights: Path | None, as_json: bool, show_all: bool) -> None:
    """Companies ranked by exposure score, with top factors and flags."""
    from screener.universe.catalog import ranking
    from screener.universe.text import ranking_text

    ranked = ranking(universe, weights=weights, listed_only=not show_all)
    if as_json:
        _dump(ranked.views())
    else:
        click.echo(ranking_text(ranked))


@universe.command("audit")
@universe_option
@weights_option
@json_option
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    help="Only the first N companies (default: every listed company).",
)
@domain_errors
def universe_audit(universe: str, weights: Path | None, as_json: bool, top: int | None) -> None:
    """What to re-check first: listed companies ordered by how far a wrong or unknown fact
    could move their rank (evidence interval, facts on secondary sources alone)."""
    from screener.universe.audit import audit_universe
    from screener.universe.text import audit_text

    result = audit_universe(universe, weights=weights, top=top)
    if as_json:
        _dump([row.to_dict() for row in result.rows])
    else:
        click.echo(audit_text(result))


@universe.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@json_option
@domain_errors
def universe_diff(old: Path, new: Path, as_json: bool) -> None:
    """What changed from OLD to NEW (two universe files): companies, segments, statuses,
    capacities, feeds, support, China links. Exit 0 when compared, changes or not."""
    from screener.universe.diff import diff
    from screener.universe.text import diff_text

    changes = diff(old, new)
    if as_json:
        _dump([c.to_dict() for c in changes])
    else:
        click.echo(diff_text(changes, old, new))


# --- shared options for price-reading commands -----------------------------------------------


def price_mode_options(fn: F) -> F:
    fn = click.option(
        "--offline", is_flag=True, help="Use the stored prices only; never the network."
    )(fn)
    fn = click.option(
        "--demo",
        is_flag=True,
        help="Use synthetic demo prices (kept in their own store; labelled synthetic everywhere).",
    )(fn)
    return fn


def _mode(demo: bool, offline: bool) -> Mode:
    """Where prices come from. --offline wins: with --demo it reads the demo store and never
    generates (callers pass ``demo`` on as the store to read)."""
    return "offline" if offline else "demo" if demo else "yahoo"


def _data_dir() -> Path | None:
    obj = click.get_current_context().find_root().obj or {}
    data_dir: Path | None = obj.get("data_dir")
    return data_dir


def _progress(label: str) -> Any:
    """A progress bar on a terminal; plain log lines (for cron) when stderr is not one."""
    if sys.stderr.isatty():
        state: dict[str, Any] = {}

        def bar(done: int, total: int, ticker: str) -> None:
            if "bar" not in state:
                state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
                state["bar"].__enter__()
            state["bar"].update(done - state.get("done", 0), ticker)
            state["done"] = done
            if done >= total:
                state.pop("bar").__exit__(None, None, None)
                state["done"] = 0

        return bar
    last = {"t": 0.0}

    def log(done: int, total: int, ticker: str) -> None:
        import time

        now = time.monotonic()
        if done >= total or now - last["t"] > 5:
            click.echo(f"{label}: {done}/{total} ({ticker})", err=True)
            last["t"] = now

    return log


def _columns() -> int:
    """The width terminal text is laid out for: ``COLUMNS`` when set, else the terminal's,
    else 80 (output piped to a file or cron mail)."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


# --- lookup ----------------------------------------------------------------------------


@cli.command()
@click.argument("queries", nargs=-1, required=True, metavar="NAME_TICKER_OR_ID...")
@universe_option
@weights_option
@json_option
@price_mode_options
@preset_option
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the company's card as a standalone HTML page.",
)
@click.option("--no-prices", is_flag=True, help="Profile only: do not read or fetch prices.")
@domain_errors
def lookup(
    queries: tuple[str, ...],
    universe: str,
    weights: Path | None,
    as_json: bool,
    demo: bool,
    offline: bool,
    preset: str | None,
    html_path: Path | None,
    no_prices: bool,
) -> None:
    """One company's score, why, sources and risk numbers, in a second.

    Accepts a company's name or part of it ("lynas", "Lynas Rare Earths"), any listing
    symbol (primary, secondary or former) or its id, case-insensitive; a part several names
    share lists them (exit 2). A symbol outside the universe gets its risk block only, from
    its stored or fetched prices (--demo makes up none for it). Stored prices older than the
    last trading day are refreshed first, unless --offline."""
    from screener.lookup.query import company_views
    from screener.lookup.text import views_text

    _output_path(html_path, "--html")
    result = company_views(
        queries,
        universe=universe,
        weights=weights,
        mode=_mode(demo, offline),
        with_risk=not no_prices,
        demo_store=demo,
        data_dir=_data_dir(),
        preset=preset,
        card=html_path is not None,
    )
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    if html_path is not None:
        from screener.fileio import atomic_write_text

        atomic_write_text(html_path, result.card_html())
        click.echo(f"card written to {html_path}", err=True)
    if as_json:
        views = result.views
        _dump(views[0] if len(views) == 1 else views)
    else:
        click.echo(views_text(result, width=_columns()))
    if result.refresh_failed:
        raise ScreenerClickError(
            "prices could not be refreshed (warnings above); the risk numbers may be missing or stale",
            1,
        )


# --- prices --------------------------------------------------------------------------------


@cli.group()
def prices() -> None:
    """Refresh, import and inspect stored prices."""


#: How the price source ends an "unreachable" message; right for commands that have
#: --offline and --demo, replaced where a command has neither.
_OFFLINE_HINT = "Use --offline to work from the stored prices, or --demo for synthetic data."


@prices.command("refresh")
@universe_option
@click.option(
    "--source", type=click.Choice(["yahoo", "csv", "demo"]), default="yahoo", show_default=True
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, path_type=Path),
    help="With --source csv: the file or folder to read.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Fetch from this date (default: incremental).",
)
@domain_errors
def prices_refresh(
    universe: str, source: SourceName, csv_path: Path | None, since: datetime | None
) -> None:
    """Fetch prices for every listed company, the benchmarks and FX into the store.

    Incremental: only from the last stored date minus a few days of overlap. Exit 1 when
    some symbols failed (listed with their reasons)."""

    from screener.errors import NetworkError
    from screener.pipeline import refresh_prices

    try:
        refreshed = refresh_prices(
            universe=universe,
            source=source,
            csv_path=csv_path,
            since=since.date() if since else None,
            data_dir=_data_dir(),
            progress=_progress("prices"),
        )
    except NetworkError as exc:
        # The source's words suggest --offline/--demo, which this command does not have.
        reason = str(exc).removesuffix(_OFFLINE_HINT).rstrip()
        raise ScreenerClickError(
            f"{reason} Try again later, or use `screener prices import PATH` (your own CSV) "
            "or --source demo (synthetic prices).",
            exc.exit_code,
        ) from exc
    rows = sum(refreshed.updated.values())
    click.echo(f"{len(refreshed.updated)} symbols updated ({rows} rows) into {refreshed.folder}")
    if refreshed.synthetic:
        click.echo("These are SYNTHETIC demo prices, stored apart from market data.")
    if refreshed.failures:
        for t, reason in sorted(refreshed.failures.items()):
            click.echo(f"failed: {t}: {reason}", err=True)
        raise ScreenerClickError(
            f"{len(refreshed.failures)} symbol(s) failed; the others were stored", 1
        )


@prices.command("status")
@price_mode_options
@json_option
@domain_errors
def prices_status(demo: bool, offline: bool, as_json: bool) -> None:
    """Per ticker: source, first/last date, rows, currency, days stale, last error."""
    from datetime import date

    from screener.store.status import price_status, status_text

    status = price_status(_data_dir(), demo=demo, today=date.today())
    if as_json:
        from screener.screen.document import clean

        _dump(clean(status.records()))
    else:
        click.echo(status_text(status, width=_columns()))


@prices.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@domain_errors
def prices_import(path: Path) -> None:
    """Import a CSV file, or a folder of CSV files, into the store. All or nothing.

    Header: date,ticker,close and optionally open,high,low,adj_close,volume,currency."""
    from screener.pipeline import import_prices

    imported = import_prices(
        path, data_dir=_data_dir(), note=lambda n: click.echo(f"note: {n}", err=True)
    )
    click.echo(f"imported {imported.rows} rows for {imported.tickers} tickers from {path}")


# --- store ---------------------------------------------------------------------------------


@cli.group()
def store() -> None:
    """Check, back up and restore the price store (one DuckDB file in the data dir)."""


store_demo_option = click.option("--demo", is_flag=True, help="The demo store instead.")


@store.command("check")
@store_demo_option
@domain_errors
def store_check(demo: bool) -> None:
    """Verify the store: a DuckDB file, schema version, tables and columns, row counts, and a
    read of every row. Exit 0 when sound; 2 (with what to do) when damaged or foreign."""
    from screener.pipeline import check_store_file

    checked = check_store_file(data_dir=_data_dir(), demo=demo)
    for line in checked.lines:
        click.echo(line)
    if checked.problem is not None:
        raise ScreenerClickError(checked.problem, 2)
    click.echo("store OK")


@store.command("backup")
@click.argument("path", type=click.Path())
@store_demo_option
@domain_errors
def store_backup(path: str, demo: bool) -> None:
    """Write a consistent, checked copy of the store to PATH: a file, or a folder (existing,
    or any PATH ending in /) to put a time-stamped copy in. Safe while other commands read;
    a writer waits for it."""
    from screener.pipeline import backup_store

    folder = path.endswith(("/", os.sep))
    written, rows = backup_store(Path(path), folder=folder, data_dir=_data_dir(), demo=demo)
    click.echo(
        f"backup written to {written} ({rows.get('prices', 0):,} price rows, "
        f"{rows.get('runs', 0)} runs; checked)"
    )


@store.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_demo_option
@domain_errors
def store_restore(path: Path, demo: bool) -> None:
    """Replace the store with the backup at PATH, after checking it. The replaced file is
    kept as screener.duckdb.before-restore. Run it while no other screener command runs."""
    from screener.pipeline import restore_store

    target, kept = restore_store(path, data_dir=_data_dir(), demo=demo)
    click.echo(f"restored {target} from {path}")
    if kept is not None:
        click.echo(f"the replaced store is kept as {kept}")


# --- events --------------------------------------------------------------------------------


@cli.command()
@universe_option
@click.option("--event", "event_id", metavar="ID", help="Only this event (an id from events.yaml).")
@click.option(
    "--window",
    metavar="START,END",
    help="CAR window the table shows, in trading days (default 0,+5); [0,+1], [0,+5] and "
    "[-1,+10] are always measured.",
)
@json_option
@price_mode_options
@domain_errors
def events(
    universe: str,
    event_id: str | None,
    window: str | None,
    as_json: bool,
    demo: bool,
    offline: bool,
) -> None:
    """Event study: how exposure names repriced on policy news (market model, CAR by tercile).

    Per event: date, direction, N, mean CAR of the high and low exposure terciles, their
    difference and its Welch p-value, and the events whose windows overlap. Exit 2 on an
    unknown event id or a malformed window."""
    from screener.pipeline import event_study
    from screener.screen.event_study import as_dict
    from screener.screen.event_text import event_text

    study = event_study(
        universe=universe,
        mode=_mode(demo, offline),
        event_id=event_id,
        window=window,
        demo_store=demo,
        data_dir=_data_dir(),
        progress=_progress("prices"),
    )
    if as_json:
        _dump(as_dict(study))
    else:
        click.echo(event_text(study))


# --- run, history, report ------------------------------------------------------------------


@cli.command()
@universe_option
@weights_option
@price_mode_options
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Reproduce a past week from stored data (prices up to this date).",
)
@preset_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.html, screen.csv, screen.json (default: reports/<year>-W<week>/).",
)
@domain_errors
def run(
    universe: str,
    weights: Path | None,
    demo: bool,
    offline: bool,
    as_of: datetime | None,
    preset: str | None,
    out_dir: Path | None,
) -> None:
    """The weekly screening run: refresh prices, score, measure risk, store, report.

    Exit 0 when all data was fetched; 1 when the run completed but some symbols failed
    (named in the summary); 2 on bad input."""
    from screener.pipeline import run as run_job
    from screener.pipeline import summary

    _output_path(out_dir, "--out")
    result = run_job(
        universe=universe,
        # Demo prices are generated locally, so `run --demo` makes them even with --offline.
        mode="demo" if demo else _mode(demo, offline),
        as_of=as_of.date() if as_of else None,
        preset=preset,
        weights=weights,
        out_dir=out_dir,
        data_dir=_data_dir(),
        progress=_progress("prices"),
    )
    for line in summary(result):
        click.echo(line)
    if result.exit_code:
        raise ScreenerClickError(
            f"{len(result.failures)} symbol(s) have no fresh prices; the report marks them", 1
        )


@cli.command()
@click.option("--demo", is_flag=True, help="List the demo store's runs.")
@json_option
@domain_errors
def history(demo: bool, as_json: bool) -> None:
    """Stored runs, newest first."""
    from screener.store.status import run_history

    runs = run_history(_data_dir(), demo=demo)
    if as_json:
        from screener.screen.document import clean

        _dump(clean(runs))
        return
    if not runs:
        click.echo("no runs stored yet: `screener run` makes one")
        return
    # 78 columns: the generation time to the minute (UTC), the source cut to 10 characters
    click.echo(
        f"{'run':<9} {'as of':<10} {'generated (UTC)':<16} {'universe':<12} {'preset':<6} "
        f"{'source':<10} synthetic"
    )
    for r in runs:
        click.echo(
            f"{r['run_id']:<9} {r['as_of']!s:<10} {str(r['generated_at'])[:16]:<16} "
            f"{r['universe_name']:<12} {r['preset']:<6} {str(r['source'])[:10]:<10} "
            f"{'SYNTHETIC' if r['synthetic'] else 'no'}"
        )


@cli.command()
@click.option("--week", help="ISO week of a stored run, e.g. 2026-W48.")
@click.option("--run", "run_id", help="A stored run id (see `screener history`).")
@click.option("--demo", is_flag=True, help="Read the demo store.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default: reports/<run id>/).",
)
@domain_errors
def report(week: str | None, run_id: str | None, demo: bool, out_dir: Path | None) -> None:
    """Re-render a stored run (default: the newest) without touching the network."""
    from screener.pipeline import rerender

    if week and run_id and week != run_id:
        raise ScreenerClickError("give --week or --run, not both", 2)
    _output_path(out_dir, "--out")
    paths = rerender(week or run_id, demo=demo, out_dir=out_dir, data_dir=_data_dir())
    for kind, path in paths.items():
        click.echo(f"{kind}: {path}")


def _whole_summaries(group: click.Group) -> None:
    """Give every command its first sentence as the summary its group lists: click cuts a
    derived summary at about 45 characters ("Event study: how exposure names repriced..."),
    while a set ``short_help`` is wrapped whole."""
    for cmd in group.commands.values():
        if cmd.short_help is None and cmd.help:
            first = " ".join(cmd.help.split("\n\n")[0].split())
            end = first.find(". ")
            cmd.short_help = first if end < 0 else first[: end + 1]
        if isinstance(cmd, click.Group):
            _whole_summaries(cmd)


_whole_summaries(cli)


#: Commands that run briefly and read little: the garbage collector stays off for them. It
#: finds nothing while pandas and duckdb are imported, yet costs a lookup about 25 ms of its
#: 0.6 s budget (bench/lookup.py). Long commands (run, imports, refreshes) keep it on: their
#: memory must stay bounded.
SHORT_COMMANDS = frozenset({"lookup"})


def main() -> None:
    if set(sys.argv[1:2]) & SHORT_COMMANDS:
        gc.disable()
    cli(prog_name="screener")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]
