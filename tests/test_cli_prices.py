"""`screener prices import | status | refresh --source csv` through click's CliRunner.

Each test has its own empty SCREENER_HOME (tests/conftest.py); no network is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from screener.cli import cli

GOOD = (
    "date,ticker,close\n"
    "2026-11-23,MP,50.5\n"
    "2026-11-24,MP,51\n"
    "2026-11-25,MP,52.25\n"
    "2026-11-24,LYC.AX,14.1\n"
)
BAD = (
    "date,ticker,close\n2026-11-23,MP,abc\n2026-13-24,MP,51\n2026-11-25,,52.25\n2026-11-26,MP,53\n"
)


def invoke(args: list[str], **kw: Any) -> Result:
    return CliRunner().invoke(cli, args, **kw)


def ok(args: list[str]) -> Result:
    result = invoke(args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def status() -> dict[str, dict[str, Any]]:
    return {s["ticker"]: s for s in json.loads(ok(["prices", "status", "--json"]).stdout)}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_status_of_an_empty_home() -> None:
    home = Path(os.environ["SCREENER_HOME"])
    assert ok(["prices", "status"]).output == f"the store at {home} holds no prices yet\n"
    assert json.loads(ok(["prices", "status", "--demo", "--json"]).stdout) == []
    assert not home.exists()  # reading status creates nothing


def test_import_good_file(tmp_path: Path) -> None:
    path = write(tmp_path / "good.csv", GOOD)
    result = ok(["prices", "import", str(path)])
    assert result.stdout == f"imported 4 rows for 2 tickers from {path}\n"
    assert result.stderr.splitlines() == [
        "note: good.csv: no adj_close; adj_close = close (no dividend or split adjustment)",
        "note: no currency given for 2 ticker(s); taken from the suffix (LYC.AX -> AUD, MP -> USD)",
    ]
    got = status()
    assert sorted(got) == ["LYC.AX", "MP"]
    assert {
        k: got["MP"][k]
        for k in ("source", "synthetic", "rows", "first_date", "last_date", "currency")
    } == {
        "source": "csv",
        "synthetic": False,
        "rows": 3,
        "first_date": "2026-11-23",
        "last_date": "2026-11-25",
        "currency": "USD",
    }
    assert got["LYC.AX"]["rows"] == 1 and got["LYC.AX"]["currency"] == "AUD"
    # importing the same file again replaces rows, it does not duplicate them
    ok(["prices", "import", str(path)])
    assert status()["MP"]["rows"] == 3
    # the text status names the tickers and the source
    text = ok(["prices", "status"]).stdout
    assert "LYC.AX" in text and "MP" in text and "csv" in text


def test_import_bad_file_reports_lines_and_imports_nothing(tmp_path: Path) -> None:
    ok(["prices", "import", str(write(tmp_path / "good.csv", GOOD))])
    before = status()
    bad = write(tmp_path / "bad.csv", BAD)
    result = invoke(["prices", "import", str(bad)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {bad}: 3 problems, nothing imported",
        "  - bad.csv line 2: close 'abc' is not a number",
        "  - bad.csv line 3: date '2026-13-24' is not a date (use YYYY-MM-DD)",
        "  - bad.csv line 4: an empty symbol is not a Yahoo symbol (e.g. MP, LYC.AX, 6680.HK, "
        "BRK-B, ^GSPC, AUDUSD=X)",
    ]
    assert status() == before  # line 5 was fine, but nothing is half-imported


def test_import_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "csvs"
    folder.mkdir()
    write(folder / "a.csv", GOOD)
    write(folder / "b.csv", "date,ticker,close,currency\n2026-11-24,ARU.AX,0.2,AUD\n")
    result = ok(["prices", "import", str(folder)])
    assert result.stdout == f"imported 5 rows for 3 tickers from {folder}\n"
    assert sorted(status()) == ["ARU.AX", "LYC.AX", "MP"]


def test_import_missing_path_is_bad_input(tmp_path: Path) -> None:
    result = invoke(["prices", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert f"Path '{tmp_path / 'nope.csv'}' does not exist." in result.output


def test_refresh_from_csv_needs_the_file(tmp_path: Path) -> None:
    result = invoke(["prices", "refresh", "--source", "csv"])
    assert result.exit_code == 2
    assert (
        result.output == "Error: --source csv needs --csv PATH (a file or a folder of CSV files)\n"
    )


def test_refresh_unknown_source_is_bad_input() -> None:
    result = invoke(["prices", "refresh", "--source", "nasdaq"])
    assert result.exit_code == 2
    assert (
        "Invalid value for '--source': 'nasdaq' is not one of 'yahoo', 'csv', 'demo'."
        in result.output
    )
