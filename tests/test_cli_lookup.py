"""`screener lookup` on a stored demo run: the fast path against the full screen, what it
imports, symbols outside the universe, and terminal output that fits ``COLUMNS``.

One demo run (module-scoped) is shared by the tests that only read its store; tests that
write copy it first. Yahoo is never called.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from screener.cli import cli
from screener.lookup.query import company_views
from screener.store import Store
from screener.universe.scored import load_scored

LISTED = [c.id for c, _ in load_scored().ranked(listed_only=True)]


def invoke(args: list[str], home: Path, **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={"SCREENER_HOME": str(home), **env})


def ok(args: list[str], home: Path, **env: str) -> Result:
    result = CliRunner().invoke(
        cli, args, env={"SCREENER_HOME": str(home), **env}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result


def _demo_run(base: Path, *extra: str) -> Path:
    """`screener run --demo` into ``base/home``, the network blocked; returns the home."""
    import curl_cffi

    home = base / "home"

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the demo run tried to use the network")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(curl_cffi.Curl, "perform", no_network)
        ok(["run", "--demo", "--out", str(base / "out"), *extra], home)
    return home


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose demo store holds prices and this week's run."""
    yield _demo_run(tmp_path_factory.mktemp("lookup-demo"))


def copy_home(home: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "home-copy"
    shutil.copytree(home, dest)
    return dest


def same(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ: exactly, except floats (1e-12 relative; the fast path
    sums over a narrower panel, so the last bit may differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in same(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) else [f"{path}: {a} != {b}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


def views(home: Path, queries: list[str], **kw: Any) -> Any:
    return company_views(
        queries, universe=None, mode="offline", demo_store=True, data_dir=home, **kw
    )


# --- the stored run's context -----------------------------------------------------------------


def test_the_stored_run_gives_what_the_full_screen_gives(demo: Path, tmp_path: Path) -> None:
    """Every listed company (and two outside symbols) through the fast path and through the
    full screen: the same views, a last fetch error included."""
    home = copy_home(demo, tmp_path)
    failed = {"source": "yahoo", "status": "failed", "rows": 0, "reason": "HTTP 404"}
    when = {"started_at": datetime(2026, 1, 5, 7), "finished_at": datetime(2026, 1, 5, 7, 1)}
    Store.open(home / "demo").log_fetch([{"ticker": "MP", **failed, **when}])
    asked = [*LISTED, "SPY", "AUDUSD=X"]
    fast, full = views(home, asked), views(home, asked, full=True)
    assert fast.views[0]["data_quality"]["last_error"] == "HTTP 404"
    assert fast.document is None and full.document is not None  # the screen was not built
    assert fast.listed_rank == full.listed_rank
    assert fast.views[0]["risk"] is not None
    differences = [d for f, g in zip(fast.views, full.views, strict=True) for d in same(f, g)]
    assert differences == []


def test_an_older_run_gives_the_context_and_says_so(tmp_path: Path) -> None:
    """Prices newer than the newest run: the company's own numbers are measured now, the
    universe-wide ones (quadrant medians, frontier, peers' volatility) come from the run,
    whose date the view names."""
    run_day = date.today() - timedelta(days=14)
    home = _demo_run(tmp_path, "--as-of", run_day.isoformat())
    ok(["prices", "refresh", "--source", "demo"], home)  # the prices move on; the run stays
    run = json.loads((tmp_path / "out" / "screen.json").read_text(encoding="utf-8"))
    fast, full = views(home, ["MP"]), views(home, ["MP"], full=True)
    view = fast.views[0]
    assert view["context_as_of"] == run["run"]["as_of"] <= run_day.isoformat()
    assert view["risk_as_of"] == full.views[0]["risk_as_of"] > view["context_as_of"]
    assert same(view["risk"], full.views[0]["risk"]) == []
    assert same(view["gates"], full.views[0]["gates"]) == []
    # screen.json rounds to 6 significant digits; the stored run keeps full precision
    run_vols = {r["id"]: r["risk"]["vol_1y"] for r in run["rows"]}
    assert [p["vol_1y"] for p in view["peers"]] == pytest.approx(
        [run_vols[p["id"]] for p in view["peers"]], rel=1e-5
    )
    assert "context_as_of" not in full.views[0]


def test_without_a_stored_run_the_full_screen_is_built(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ok(["prices", "refresh", "--source", "demo"], home)
    result = views(home, ["MP"])
    assert result.document is not None
    assert result.views[0]["risk"]["vol_1y"] is not None


def test_the_lookup_path_imports_neither_scipy_nor_the_screen(demo: Path, tmp_path: Path) -> None:
    """Measured by what is imported, not by the clock: scipy, the full screen's assembly, the
    report and yfinance stay out of a lookup's process; PyYAML too once the universe is cached
    (the first lookup after a change of the files reads them)."""
    home = copy_home(demo, tmp_path)
    code = (
        "import sys\n"
        "from screener.cli import main\n"
        "sys.argv = ['screener', 'lookup', 'LYC.AX', '--demo', '--offline', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('scipy', 'jinja2', 'yfinance', 'screener.screen.assemble', 'screener.report',"
        " 'yaml')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    env = {**os.environ, "SCREENER_HOME": str(home)}
    for _ in range(2):  # the first fills the cache of the scored universe
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
    assert proc.stderr.strip() == "[]"
    assert json.loads(proc.stdout)["id"] == "lynas-rare-earths"


# --- symbols outside the universe -----------------------------------------------------------


def test_demo_never_makes_up_a_symbol_outside_the_universe(demo: Path, tmp_path: Path) -> None:
    home = copy_home(demo, tmp_path)
    result = invoke(["lookup", "NOPE.AX", "--demo"], home)
    assert result.exit_code == 2
    assert result.output.startswith("Error: 'NOPE.AX' is not in universe 'rare_earths'; close ")
    assert result.output.endswith(
        "; --demo makes up prices for the universe's companies and benchmarks only, and none "
        "are stored for it\n"
    )
    store = Store.open(home / "demo", read_only=True)
    assert "NOPE.AX" not in store.last_dates() and "NOPE.AX" not in store.status(date.today()).index


def _write_series(path: Path, symbol: str, end: date, days: int) -> Path:
    """A made-up CSV export (synthetic values) of ``days`` business days ending at ``end``."""
    dates = np.busday_offset(np.datetime64(end, "D"), -np.arange(days)[::-1], roll="backward")
    closes = 10 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.02, days)))
    rows = [f"{d},{symbol},{c:.4f},50000,USD" for d, c in zip(dates, closes, strict=True)]
    path.write_text("date,ticker,close,volume,currency\n" + "\n".join(rows) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("with_universe", [True, False], ids=["universe-stored", "alone"])
def test_an_imported_series_is_measured_on_its_own_history(
    demo: Path, tmp_path: Path, with_universe: bool
) -> None:
    """A series that ends before the universe's window (six years ago) is measured as of its
    own last date, its staleness stated; with or without the universe's prices stored."""
    home = copy_home(demo / "demo", tmp_path) if with_universe else tmp_path / "alone"
    last = date.today() - timedelta(days=6 * 365)
    ok(["prices", "import", str(_write_series(tmp_path / "old.csv", "OLDX", last, 400))], home)
    stored_last = Store.open(home, read_only=True).last_dates(["OLDX"])["OLDX"]
    view = json.loads(ok(["lookup", "OLDX", "--offline", "--json"], home).stdout)
    assert view["id"] is None and view["note"] == "no exposure profile"
    assert view["risk_as_of"] == stored_last.isoformat()
    assert isinstance(view["risk"]["vol_1y"], float)
    dq = view["data_quality"]
    assert dq["last_date"] == stored_last.isoformat()
    assert dq["stale_days"] > 1000  # business days to the universe's date (or today)
    text = ok(["lookup", "OLDX", "--offline"], home).stdout
    assert f"Risk (prices as of {stored_last}, {dq['stale_days']} business days stale, " in text


# --- terminal output fits COLUMNS -------------------------------------------------------------


def too_wide(text: str, width: int) -> list[str]:
    """Lines wider than ``width``, except a URL alone on its line (kept whole to stay usable)."""
    return [
        line
        for line in text.splitlines()
        if len(line) > width and not line.strip().startswith(("http://", "https://"))
    ]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_lookup_text_fits_the_width(demo: Path, width: int) -> None:
    text = ok(["lookup", "LYC.AX", "MP", "--demo", "--offline"], demo, COLUMNS=str(width)).stdout
    assert too_wide(text, width) == []
    assert "─" * width in text  # the separator spans the width
    if width > 80:  # wider lines are used, not just allowed
        assert max(len(line) for line in text.splitlines() if "http" not in line) > 80


@pytest.mark.parametrize("width", [60, 80, 120])
def test_prices_status_is_a_table_that_fits(demo: Path, width: int) -> None:
    text = ok(["prices", "status", "--demo"], demo, COLUMNS=str(width)).stdout
    assert too_wide(text, width) == []
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("symbol "))
    assert lines[header].split() == (
        ["symbol", "source", "first", "last", "rows", "cur", "stale", "flagged"]
        if width >= 80
        else ["symbol", "source", "last", "rows", "cur", "stale", "flagged"]
    )
    statuses = json.loads(ok(["prices", "status", "--demo", "--json"], demo).stdout)
    rows = [line.split() for line in lines[header + 1 :] if line and not line.startswith(" ")]
    rows = [r for r in rows if r[0] in {s["ticker"] for s in statuses}]
    assert [r[0] for r in rows] == [s["ticker"] for s in statuses]
    mp = next(r for r in rows if r[0] == "MP")
    assert mp[1] == "demo" and f"{statuses[0]['rows']:,}" in lines[header + 1]
    assert "00:00:00" not in text  # dates, not timestamps
    assert "SYNTHETIC" in lines[0] + lines[1]


def test_prices_status_shows_the_last_error_under_its_row(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.open(home)
    store.log_fetch(
        [
            {
                "ticker": "ZZZ.AX",
                "source": "yahoo",
                "started_at": datetime(2026, 1, 5, 7, 0),
                "finished_at": datetime(2026, 1, 5, 7, 1),
                "status": "failed",
                "rows": 0,
                "reason": "Yahoo returned no data (possibly delisted)",
            }
        ]
    )
    lines = ok(["prices", "status"], home).stdout.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("ZZZ.AX "))
    assert lines[row + 1] == "  last error: Yahoo returned no data (possibly delisted)"
    assert "1 with a failed last fetch" in lines[0]


# --- help and hints ---------------------------------------------------------------------------


def _commands(
    group: Any = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))


@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_command_summary_is_listed_whole(tmp_path: Path, width: int) -> None:
    """click cuts a derived summary at ~45 characters with "..."; each group lists each of
    its commands' first sentence whole (wrapped), and every help fits the width.

    CliRunner pins click's help to 80 columns; ``terminal_width`` sets what COLUMNS sets in a
    terminal (the subprocess test below checks that COLUMNS does)."""
    for path, cmd in [((), cli), *_commands()]:
        result = CliRunner().invoke(
            cli, [*path, "--help"], terminal_width=width, catch_exceptions=False
        )
        helped = result.stdout
        assert too_wide(helped, width) == [], path
        listed = helped.split("Commands:")[-1] if "Commands:" in helped else ""
        assert "..." not in listed, path
        for name, sub in getattr(cmd, "commands", {}).items():
            summary = " ".join(sub.help.split("\n\n")[0].split()).split(". ")[0].rstrip(".")
            listing = " ".join(helped.split("Commands:")[1].split())
            assert f"{name} {summary}" in listing, (path, name)


def test_help_follows_columns_in_a_real_process() -> None:
    env = {**os.environ, "COLUMNS": "60"}
    out = subprocess.run(
        [sys.executable, "-m", "screener", "--help"], capture_output=True, text=True, env=env
    ).stdout
    assert out.startswith("Usage: screener [OPTIONS] COMMAND [ARGS]...")
    assert too_wide(out, 60) == [] and max(len(line) for line in out.splitlines()) > 50


def test_hints_name_only_options_the_user_can_give(demo: Path, tmp_path: Path) -> None:
    # --demo --offline on an empty demo store: not "pass --demo" (given), but drop --offline
    empty = tmp_path / "empty"
    Store.open(empty / "demo")
    result = invoke(["lookup", "MP", "--demo", "--offline"], empty)
    assert result.exit_code == 2
    assert result.output.endswith(
        "drop --offline to make demo prices; or pass --no-prices for the exposure profile alone\n"
    )
    assert "pass --demo" not in result.output
    # --html without prices, offline: the card's hint names what this lookup can change
    card = invoke(["lookup", "MP", "--offline", "--html", str(tmp_path / "c.html")], tmp_path)
    assert card.exit_code == 2
    assert card.output.startswith("Error: no stored prices for MP in the store (")
    assert "run `screener prices refresh`, drop --offline, or pass --demo" in card.output


def test_a_symbol_yahoo_does_not_know_leaves_nothing_in_the_store(
    fake_yahoo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Online, an outside symbol is fetched; one the source does not know is not found (exit
    2) and leaves no fetch-log or instrument row behind, while a known one is stored."""
    from fakes.yahoo import make_listing

    from screener.sources.yahoo import YahooSource

    defaults = YahooSource.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "sleep", fake_yahoo.advance)
    monkeypatch.setitem(defaults, "pause", 0.0)
    end = date.today()
    start = end - timedelta(days=500)
    for i, sym in enumerate(("AAPL", "SPY", "REMX")):
        fake_yahoo.add(make_listing(sym, start.isoformat(), end.isoformat(), seed=i, price=50.0))
    home = tmp_path / "home"
    result = invoke(["lookup", "NOPEX", "--json"], home)
    assert result.exit_code == 2
    assert result.output.endswith("no prices for it either (the price source has none)\n")
    store = Store.open(home, read_only=True)
    assert "NOPEX" not in store.status(date.today()).index
    view = json.loads(ok(["lookup", "AAPL", "--json"], home).stdout)
    assert view["id"] is None and isinstance(view["risk"]["vol_1y"], float)
    assert "AAPL" in store.last_dates(["AAPL"])


def test_prices_refresh_without_network_names_its_own_options(
    fake_yahoo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prices refresh` has neither --offline nor --demo: its hint must not name them."""
    from screener.sources.yahoo import YahooSource

    defaults = YahooSource.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "sleep", fake_yahoo.advance)
    monkeypatch.setitem(defaults, "pause", 0.0)
    fake_yahoo.down = True
    result = invoke(["prices", "refresh"], tmp_path / "home")
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith("Error: network unreachable: Yahoo Finance could not be reached (")
    assert error.endswith(
        "Try again later, or use `screener prices import PATH` (your own CSV) or "
        "--source demo (synthetic prices)."
    )
    assert "--offline" not in result.stderr and "--demo " not in result.stderr


def test_an_ambiguous_part_of_a_name_lists_the_companies(tmp_path: Path) -> None:
    result = invoke(["lookup", "rare", "--no-prices"], tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith("Error: 'rare' matches ")
    assert "Lynas Rare Earths (LYC.AX)" in result.output
    assert result.output.endswith("give a ticker, an id or more of the name\n")
    # the same words as a whole name are one company
    view = json.loads(
        ok(["lookup", "Lynas", "Rare", "Earths", "--no-prices", "--json"], tmp_path).stdout
    )
    assert view["id"] == "lynas-rare-earths"


def test_history_fits_80_columns(demo: Path) -> None:
    lines = ok(["history", "--demo"], demo).stdout.splitlines()
    assert len(lines) == 2 and max(len(line) for line in lines) <= 80


@pytest.mark.parametrize(("command", "collecting"), [("lookup", False), ("run", True)])
def test_only_short_commands_run_without_the_garbage_collector(
    monkeypatch: pytest.MonkeyPatch, command: str, collecting: bool
) -> None:
    import gc

    from screener.cli import main

    monkeypatch.setattr(sys, "argv", ["screener", command, "--help"])
    try:
        with pytest.raises(SystemExit):
            main()
        assert gc.isenabled() is collecting
    finally:
        gc.enable()
