"""`screener run`, `history`, `report` and `lookup` end to end through click's CliRunner.

One demo run (module-scoped) is shared by the tests that only read its store; tests that
write copy that store first. Yahoo is never called: the network tests use the fake Yahoo of
``tests/fakes/yahoo.py`` (yfinance's real code, an in-process HTTP layer).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from fakes.yahoo import FakeYahoo, make_listing
from fixtures.tiny import tiny_universe

from screener.cli import cli
from screener.metrics import METRICS
from screener.report import tabular
from screener.screen.document import iso_week
from screener.sources.yahoo import YahooSource
from screener.store import Store
from screener.universe.load import load

FIXTURES = Path(__file__).parent / "fixtures"
OFFLINE_HINT = "Use --offline to work from the stored prices, or --demo for synthetic data."


def invoke(args: list[str], home: Path | None = None, **kw: Any) -> Result:
    """Run the CLI; ``home`` overrides the per-test SCREENER_HOME (for the shared store)."""
    env = {"SCREENER_HOME": str(home)} if home is not None else None
    return CliRunner().invoke(cli, args, env=env, **kw)


def ok(args: list[str], home: Path | None = None) -> Result:
    result = invoke(args, home, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


# --- the shared demo run -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoRun:
    home: Path
    out: Path
    result: Result
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """`screener run --demo --out DIR` once per module, in its own SCREENER_HOME.

    Module scope runs before the per-test autouse guard, so the network is blocked here too.
    """
    import curl_cffi

    base = tmp_path_factory.mktemp("demo-run")
    home, out = base / "home", base / "out"

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the shared demo run tried to use the network")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCREENER_HOME", str(home))
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(curl_cffi.Curl, "perform", no_network)
        result = CliRunner().invoke(
            cli, ["run", "--demo", "--out", str(out)], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "screen.json").read_text(encoding="utf-8"))
    yield DemoRun(home, out, result, doc)


def copy_home(demo: DemoRun, tmp_path: Path) -> Path:
    """A private copy of the shared store, for tests that write."""
    home = tmp_path / "home-copy"
    shutil.copytree(demo.home, home)
    return home


def quality_section(report: Path) -> Any:
    section = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser").select_one(
        "#quality"
    )
    assert section is not None, "the report lost its data-quality section"
    return section


# --- 1. the weekly demo run ----------------------------------------------------------------


def test_demo_run_writes_three_files_labelled_synthetic(demo: DemoRun) -> None:
    assert sorted(p.name for p in demo.out.iterdir()) == [
        "report.html",
        "screen.csv",
        "screen.json",
    ]
    run = demo.doc["run"]
    assert run["synthetic"] is True and run["source"] == "demo"
    assert run["id"] == iso_week(date.fromisoformat(run["as_of"]))
    rows = demo.doc["rows"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    scores = [r["exposure"]["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert len(rows) == len(load("rare_earths").listed)
    # every row is priced from demo data and says so (data quality is per ticker)
    assert all(r["data_quality"]["synthetic"] is True for r in rows)
    assert demo.doc["failures"] == [] and demo.doc["changes"]["previous_run"] is None
    assert "synthetic" in quality_section(demo.out / "report.html").get_text().lower()
    csv = pd.read_csv(demo.out / "screen.csv")
    assert list(csv["ticker"]) == [r["ticker"] for r in rows]
    assert csv["synthetic"].astype(bool).all()


def test_demo_run_records_the_event_study_from_the_same_store(demo: DemoRun) -> None:
    ev = demo.doc["events"]
    assert ev["note"] is None and ev["benchmark"] == "SPY" and ev["synthetic"] is True
    assert ev["as_of"] == demo.doc["run"]["as_of"]
    assert ev["companies"] == sum(1 for r in demo.doc["rows"] if r["data_quality"]["observations"])
    assert len(ev["events"]) > 40 and all(e["n"] > 0 for e in ev["events"])
    assert "synthetic by construction" in ev["synthetic_note"]
    assert f"run date ({demo.doc['run']['as_of']})" in ev["scores_note"]
    page = BeautifulSoup((demo.out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert len(page.select("#events figure.event-chart")) == len(ev["events"])


def test_run_without_spy_goes_on_and_says_why(tmp_path: Path) -> None:
    path = tiny_universe(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["benchmarks"] = []
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    ok(["run", "--demo", "--universe", str(path), "--out", str(out)])
    doc = json.loads((out / "screen.json").read_text(encoding="utf-8"))
    assert doc["events"]["events"] == [] and "no SPY prices" in doc["events"]["note"]
    page = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert "no SPY prices" in page.select_one("#events .events-absent").get_text()


def test_demo_run_summary(demo: DemoRun) -> None:
    lines = demo.result.stdout.splitlines()
    run, rows = demo.doc["run"], demo.doc["rows"]
    assert lines[0] == "SYNTHETIC DEMO DATA: prices are generated, not market data."
    assert lines[1] == (
        f"Run {run['id']}: universe rare_earths ({run['universe']['version']}), "
        f"prices as of {run['as_of']} from demo, preset mvis"
    )
    assert lines[2] == "Top by exposure:"
    for line, row in zip(lines[3:8], rows[:5], strict=True):
        assert line.split()[:2] == [f"{row['rank']}.", row["ticker"]]
        assert f"{row['exposure']['score']:5.1f}" in line
        assert f"vol {row['risk']['vol_1y']:.0%}" in line
    assert lines[8:] == [
        "Changes: first run, nothing to compare.",
        "Data failures: none",
        f"report.html: {demo.out / 'report.html'}",
        f"screen.csv: {demo.out / 'screen.csv'}",
        f"screen.json: {demo.out / 'screen.json'}",
    ]


def test_the_demo_store_is_apart_from_market_data(demo: DemoRun) -> None:
    assert (demo.home / "demo" / "screener.duckdb").exists()
    assert not (demo.home / "screener.duckdb").exists()
    result = ok(["history", "--json"], demo.home)  # the market store has no runs
    assert json.loads(result.stdout) == []
    result = ok(["history"], demo.home)
    assert result.output == "no runs stored yet: `screener run` makes one\n"


# --- 2. reruns, --as-of, history, report ---------------------------------------------------


def test_as_of_rerun_history_and_report(demo: DemoRun, tmp_path: Path) -> None:
    home = copy_home(demo, tmp_path)
    week = demo.doc["run"]["id"]
    as_of = date.fromisoformat(demo.doc["run"]["as_of"])
    earlier = as_of - timedelta(days=14)
    earlier_week = iso_week(earlier)

    # a past week, reproduced from the stored prices: nothing to fetch, nothing fails
    past = ok(
        ["run", "--demo", "--as-of", earlier.isoformat(), "--out", str(tmp_path / "past")], home
    )
    assert "Data failures: none" in past.stdout
    past_doc = json.loads((tmp_path / "past" / "screen.json").read_text(encoding="utf-8"))
    assert past_doc["run"]["id"] == earlier_week and past_doc["run"]["as_of"] == earlier.isoformat()
    assert past_doc["changes"]["previous_run"] is None  # nothing older than that week

    # this week again: replaces this week's run and compares with the earlier week
    again = ok(["run", "--demo", "--out", str(tmp_path / "again")], home)
    again_doc = json.loads((tmp_path / "again" / "screen.json").read_text(encoding="utf-8"))
    assert again_doc["run"]["id"] == week
    assert again_doc["changes"]["previous_run"] == {
        "id": earlier_week,
        "as_of": earlier.isoformat(),
    }
    assert f"Changes since {earlier_week}: " in again.stdout

    runs = json.loads(ok(["history", "--demo", "--json"], home).stdout)
    assert [r["run_id"] for r in runs] == [week, earlier_week]  # newest first, one per week
    assert all(r["synthetic"] is True and r["source"] == "demo" for r in runs)
    text = ok(["history", "--demo"], home).stdout.splitlines()
    assert text[1].startswith(f"{week} ") and text[2].startswith(f"{earlier_week} ")
    assert text[1].endswith("SYNTHETIC")

    # re-render the earlier week (the network is blocked by conftest)
    out2 = tmp_path / "rendered"
    result = ok(["report", "--demo", "--week", earlier_week, "--out", str(out2)], home)
    assert result.output.splitlines() == [
        f"report.html: {out2 / 'report.html'}",
        f"screen.csv: {out2 / 'screen.csv'}",
        f"screen.json: {out2 / 'screen.json'}",
    ]
    stored = Store.open(home / "demo", read_only=True).load_run(earlier_week)["document"]
    # The stored document keeps full precision; screen.json is it rounded at the writer.
    assert (out2 / "screen.json").read_text(encoding="utf-8") == tabular.json_text(stored)
    assert (out2 / "screen.json").read_text() == (tmp_path / "past" / "screen.json").read_text()

    # without --week: the newest run
    out3 = tmp_path / "newest"
    ok(["report", "--demo", "--out", str(out3)], home)
    assert json.loads((out3 / "screen.json").read_text(encoding="utf-8"))["run"]["id"] == week


def test_rerun_of_the_same_week_replaces_it(demo: DemoRun, tmp_path: Path) -> None:
    home = copy_home(demo, tmp_path)
    before = json.loads(ok(["history", "--demo", "--json"], home).stdout)
    ok(["run", "--demo", "--out", str(tmp_path / "o")], home)
    after = json.loads(ok(["history", "--demo", "--json"], home).stdout)
    assert [r["run_id"] for r in before] == [r["run_id"] for r in after] == [demo.doc["run"]["id"]]
    assert after[0]["generated_at"] > before[0]["generated_at"]


def test_report_errors(demo: DemoRun) -> None:
    result = invoke(["report", "--demo", "--week", "1999-W01"], demo.home)
    assert result.exit_code == 2
    assert result.output == (f"Error: no stored run '1999-W01' (latest: {demo.doc['run']['id']})\n")
    result = invoke(["report", "--demo", "--week", "2026-W01", "--run", "2026-W02"], demo.home)
    assert (result.exit_code, result.output) == (2, "Error: give --week or --run, not both\n")
    result = invoke(["report"])  # empty home
    assert (result.exit_code, result.output) == (
        2,
        "Error: no runs stored yet: `screener run` makes one\n",
    )


# --- 3. offline with an empty store --------------------------------------------------------


def test_offline_run_with_empty_store_is_bad_input(tmp_path: Path) -> None:
    result = invoke(["run", "--offline", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: no stored prices for this universe up to {date.today().isoformat()}: "
        "run `screener prices refresh`, or pass --demo for synthetic data\n"
    )
    assert not (tmp_path / "o").exists()
    assert json.loads(ok(["history", "--json"]).stdout) == []


REFRESH_FAILED = "Error: prices could not be refreshed (warnings above); the risk numbers may be missing or stale"


def test_offline_lookup_with_empty_store_is_bad_input() -> None:
    """Offline with nothing stored, the risk block asked for cannot exist: exit 2 (the README's
    exit codes), a hint naming what to do, nothing created; --no-prices shows the profile."""
    home = Path(os.environ["SCREENER_HOME"])
    result = invoke(["lookup", "MP", "--offline"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no stored prices for MP in the store ({home}); run `screener prices "
        "refresh`, drop --offline, or pass --demo; or pass --no-prices for the exposure "
        "profile alone\n"
    )
    assert not home.exists()
    # an existing but empty store: the same
    Store.open(home)
    result = invoke(["lookup", "MP", "--offline"])
    assert result.exit_code == 2 and "no stored prices for MP" in result.stderr
    profile = ok(["lookup", "MP", "--no-prices"])
    assert profile.stdout.startswith("MP Materials  (MP)  id: mp-materials\n")


def test_online_lookup_without_network_shows_the_profile_and_exits_1(
    quick_yahoo: FakeYahoo,
) -> None:
    """Online, a refresh was asked for and failed: the contract's exit 1, the hint on stderr."""
    quick_yahoo.down = True
    result = invoke(["lookup", "MP", "--json"])
    assert result.exit_code == 1
    view = json.loads(result.stdout)
    assert view["id"] == "mp-materials" and view["risk"] is None
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith(
        "warning: prices not refreshed: network unreachable: Yahoo Finance could not be reached ("
    )
    assert warnings[0].endswith(OFFLINE_HINT)
    assert warnings[-1] == REFRESH_FAILED


# --- 4. lookup -----------------------------------------------------------------------------


def test_lookup_text_has_the_risk_block(demo: DemoRun) -> None:
    text = ok(["lookup", "MP", "--demo"], demo.home).stdout
    row = next(r for r in demo.doc["rows"] if r["ticker"] == "MP")
    assert text.startswith("MP Materials  (MP)  id: mp-materials\n")
    assert f"rank {row['rank']} of {len(demo.doc['rows'])} listed" in text
    assert (
        f"Risk (prices as of {demo.doc['run']['as_of']}, {row['data_quality']['observations']} "
        "daily closes in USD)\n  SYNTHETIC DEMO PRICES, not market data\n"
    ) in text
    for label in ("Volatility 1y:", "Beta to REMX:", "VaR 95% (historical):", "Max drawdown 1y:"):
        assert label in text
    assert "\nGates (MVIS-style" in text
    assert "\nQuadrant: " in text
    assert "\nNearest peers by score: " in text


def test_lookup_json(demo: DemoRun) -> None:
    view = json.loads(ok(["lookup", "mp", "--demo", "--json"], demo.home).stdout)
    row = next(r for r in demo.doc["rows"] if r["ticker"] == "MP")
    assert view["ticker"] == "MP" and view["id"] == "mp-materials"
    assert set(view["risk"]) == set(METRICS)
    # screen.json is rounded at the writer (6 significant digits); the lookup is not.
    assert tabular.rounded(view["risk"]["vol_1y"]) == row["risk"]["vol_1y"]
    assert isinstance(view["risk"]["beta_remx"], float)
    assert view["data_quality"]["synthetic"] is True and view["data_quality"]["source"] == "demo"
    assert view["gates"]["preset"] == "mvis" and view["gates"]["pass"] in (True, False, None)
    assert view["quadrant"] == row["quadrant"]
    assert tabular.rounded(view["exposure"]["score"]) == row["exposure"]["score"]
    peers = view["peers"]
    assert len(peers) == 3 and "mp-materials" not in {p["id"] for p in peers}
    gaps = [abs(p["score"] - view["exposure"]["score"]) for p in peers]
    assert gaps == sorted(gaps)
    others = [
        abs(r["exposure"]["score"] - row["exposure"]["score"])
        for r in demo.doc["rows"]
        if r["id"] != row["id"]
    ]
    assert gaps == pytest.approx(sorted(others)[:3], abs=1e-3)


def test_lookup_benchmark_has_no_exposure_profile(demo: DemoRun) -> None:
    view = json.loads(ok(["lookup", "SPY", "--demo", "--json"], demo.home).stdout)
    assert view["ticker"] == "SPY" and view["id"] is None
    assert view["exposure"] is None and view["note"] == "no exposure profile"
    assert set(view["risk"]) == set(METRICS) and isinstance(view["risk"]["vol_1y"], float)
    assert view["data_quality"]["synthetic"] is True
    assert view["peers"] == []


def test_lookup_unknown_offline_exits_2(demo: DemoRun) -> None:
    result = invoke(["lookup", "NOPE.AX", "--demo", "--offline"], demo.home)
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: 'NOPE.AX' is not in universe 'rare_earths'; close matches: "
    )
    assert result.output.endswith("; no prices for it either (offline, and the store has none)\n")


def test_lookup_html_card(demo: DemoRun, tmp_path: Path) -> None:
    card = tmp_path / "card.html"
    result = ok(["lookup", "MP", "--demo", "--html", str(card)], demo.home)
    assert result.stderr == f"card written to {card}\n"
    page = BeautifulSoup(card.read_text(encoding="utf-8"), "html.parser")
    assert "MP Materials" in page.get_text()
    # standalone: no stylesheet or script fetched from elsewhere
    assert not page.select("link[rel=stylesheet][href], script[src]")


def test_lookup_html_for_a_symbol_without_profile_is_bad_input(
    demo: DemoRun, tmp_path: Path
) -> None:
    result = invoke(["lookup", "SPY", "--demo", "--html", str(tmp_path / "c.html")], demo.home)
    assert result.exit_code == 2
    assert result.output.endswith("Error: --html: SPY has no exposure profile to render\n")
    assert not (tmp_path / "c.html").exists()


# --- 5. prices refresh / status (demo) ----------------------------------------------------


def test_prices_refresh_demo_and_status(demo: DemoRun, tmp_path: Path) -> None:
    home = copy_home(demo, tmp_path)
    result = ok(["prices", "refresh", "--source", "demo"], home)
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f" into {home / 'demo'}") and " symbols updated (" in lines[0]
    assert lines[1] == "These are SYNTHETIC demo prices, stored apart from market data."
    status = json.loads(ok(["prices", "status", "--demo", "--json"], home).stdout)
    by_ticker = {s["ticker"]: s for s in status}
    for sym in load("rare_earths").priced_symbols():
        assert by_ticker[sym]["rows"] > 200, sym
        assert by_ticker[sym]["synthetic"] is True and by_ticker[sym]["source"] == "demo"
    assert all(s["synthetic"] for s in status)  # FX too
    assert (
        json.loads(ok(["prices", "status", "--json"], home).stdout) == []
    )  # market store untouched


# --- 6. the network --------------------------------------------------------------------------


@pytest.fixture
def quick_yahoo(fake_yahoo: FakeYahoo, monkeypatch: pytest.MonkeyPatch) -> FakeYahoo:
    """The fake Yahoo, with YahooSource's backoff sleeps moved to the fake clock."""
    defaults = YahooSource.__init__.__kwdefaults__
    assert defaults is not None and {"sleep", "pause"} <= set(defaults)
    monkeypatch.setitem(defaults, "sleep", fake_yahoo.advance)
    monkeypatch.setitem(defaults, "pause", 0.0)
    return fake_yahoo


def seed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "seed.csv"
    path.write_text(
        "date,ticker,close\n2026-01-05,MP,50.5\n2026-01-06,MP,51\n2026-01-07,MP,52.25\n",
        encoding="utf-8",
    )
    return path


def test_run_without_network_exits_1_and_leaves_the_store(
    quick_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    ok(["prices", "import", str(seed_csv(tmp_path))])
    home = Path(os.environ["SCREENER_HOME"])
    before = Store.open(home, read_only=True).prices_long()
    quick_yahoo.down = True
    result = invoke(["run", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: network unreachable: Yahoo Finance could not be reached ("
    )
    assert result.output.rstrip().endswith(OFFLINE_HINT)
    store = Store.open(home, read_only=True)
    pd.testing.assert_frame_equal(store.prices_long(), before)
    assert store.list_runs() == []
    assert not (tmp_path / "o").exists()


def test_partial_failure_names_the_ticker(quick_yahoo: FakeYahoo, tmp_path: Path) -> None:
    end = date.today()
    start = end - timedelta(days=450)
    for i, sym in enumerate(("AAA", "BBB", "SPY", "REMX")):
        quick_yahoo.add(
            make_listing(sym, start.isoformat(), end.isoformat(), seed=i, price=20.0 + i)
        )
    out = tmp_path / "out"
    result = invoke(["run", "--universe", str(tiny_universe(tmp_path)), "--out", str(out)])
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stdout.splitlines() if line.startswith("Data failures")]
    assert len(failed) == 1 and failed[0].startswith("Data failures (1): CCC (")
    assert "possibly delisted" in failed[0]
    assert result.stderr.endswith(
        "Error: 1 symbol(s) have no fresh prices; the report marks them\n"
    )
    doc = json.loads((out / "screen.json").read_text(encoding="utf-8"))
    assert [f["ticker"] for f in doc["failures"]] == ["CCC"]
    assert doc["run"]["synthetic"] is False and doc["run"]["source"] == "yahoo"
    priced = {r["ticker"]: r for r in doc["rows"]}
    assert priced["AAA"]["data_quality"]["observations"] > 250
    assert priced["CCC"]["data_quality"]["observations"] in (None, 0)
    quality = quality_section(out / "report.html")
    cells = [
        [td.get_text() for td in tr.select("td")] for tr in quality.select("table.data tbody tr")
    ]
    assert any(c[0] == "CCC" and "possibly delisted" in c[1] for c in cells)
    # the run is stored and can be re-rendered offline
    runs = json.loads(ok(["history", "--json"]).stdout)
    assert [r["run_id"] for r in runs] == [doc["run"]["id"]] and runs[0]["universe_name"] == "tiny"


# --- 7. the README's commands stay true ----------------------------------------------------

README = Path(__file__).parent.parent / "README.md"


def readme_commands() -> list[str]:
    """`screener ...` lines of the README's code blocks, and the quick start's demo command."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            if line.startswith("screener "):
                commands.append(line.split("#", 1)[0].strip())
    demo = re.search(r"<!-- demo-command -->\s*```\n(.*?)\n```", text, flags=re.S)
    assert demo is not None, "README lost its <!-- demo-command --> block"
    last = demo.group(1).split("&&")[-1].strip()
    assert re.fullmatch(r"\S*/screener run --demo", last), last
    commands.append("screener " + last.split("/screener ", 1)[1])
    return commands


NETWORK_COMMANDS = ("run", "lookup")


def test_readme_has_the_commands_this_module_checks() -> None:
    assert {"screener run --demo", "screener run", "screener lookup LYC.AX"} <= set(
        readme_commands()
    )


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command(
    command: str,
    demo: DemoRun,
    quick_yahoo: FakeYahoo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = shlex.split(command)[1:]
    runner = CliRunner()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # `run` writes reports/ below the working directory
    if "--demo" in args:
        home = copy_home(demo, tmp_path)
        result = runner.invoke(cli, args, env={"SCREENER_HOME": str(home)}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        if args[0] == "run" and "--out" not in args:
            week = json.loads(ok(["history", "--demo", "--json"], home).stdout)[0]["run_id"]
            out = Path("reports") / f"demo-{week}"
            for name in ("report.html", "screen.csv", "screen.json"):
                assert (out / name).is_file()
                assert f"{name}: {out / name}" in result.stdout
    elif "--offline" in args:
        pytest.fail(f"no rule yet for an --offline README command: {command}")
    elif args[0] in NETWORK_COMMANDS and "--no-prices" not in args:
        # needs Yahoo: with the network down it must say so and point at --offline/--demo
        quick_yahoo.down = True
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert OFFLINE_HINT in result.stderr
        assert not Path("reports").exists()
    else:
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("block", "args"),
    [
        ("lookup-example", ["lookup", "MP", "--no-prices"]),
        ("audit-example", ["universe", "audit", "--top", "5"]),
    ],
)
def test_readme_example_output_is_what_the_command_prints(block: str, args: list[str]) -> None:
    """A README output excerpt: each run of lines between "..." is in the real output, in
    order. The numbers are the shipped universe's (no ages: they change daily); when the
    data moves them, paste the command's output again."""
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"<!-- {block} -->\s*```text\n(.*?)```", text, flags=re.S)
    assert m is not None, f"README lost its <!-- {block} --> block"
    out = ok(args).stdout
    pos = 0
    for chunk in m.group(1).split("...\n"):
        found = out.find(chunk, pos)
        assert found >= 0, f"README {block} is out of date at:\n{chunk}"
        pos = found + len(chunk)


def all_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, cmd in sorted(group.commands.items()):
        out += all_commands(cmd, (*path, name)) if isinstance(cmd, click.Group) else [(*path, name)]
    return out


def leaf_commands() -> list[tuple[str, ...]]:
    def resolve(path: tuple[str, ...]) -> click.Command:
        cmd: click.Command = cli
        for name in path:
            assert isinstance(cmd, click.Group)
            cmd = cmd.commands[name]
        return cmd

    return [p for p in all_commands() if not isinstance(resolve(p), click.Group)]


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "screener")
def test_help(path: tuple[str, ...]) -> None:
    result = ok([*path, "--help"])
    assert result.output.startswith(f"Usage: cli {' '.join(path)}".rstrip())


def test_readme_command_table_matches_the_cli() -> None:
    """Every row of the README's command table names a real command and real options."""
    rows = re.findall(r"^\| `screener ([^`]*)` \|", README.read_text(encoding="utf-8"), flags=re.M)
    assert len(rows) >= 10
    documented = set()
    for row in rows:
        words = [w for w in row.split() if re.fullmatch(r"[a-z]+", w)]
        cmd: click.Command = cli
        for w in words:
            assert isinstance(cmd, click.Group) and w in cmd.commands, row
            cmd = cmd.commands[w]
        documented.add(tuple(words))
        options = {o for p in cmd.params for o in p.opts}
        for opt in re.findall(r"--[a-z][a-z-]*", row):
            assert opt in options, f"{row}: {opt} is not an option of {' '.join(words)}"
    assert documented == set(leaf_commands())


def test_lookup_demo_offline_reads_the_demo_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--demo --offline reads the demo store without generating anything new."""
    monkeypatch.setenv("SCREENER_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    runner.invoke(cli, ["prices", "refresh", "--source", "demo"], catch_exceptions=False)
    result = runner.invoke(cli, ["lookup", "MP", "--demo", "--offline"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "SYNTHETIC DEMO PRICES" in result.output
    assert "no stored prices" not in result.output
