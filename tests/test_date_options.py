"""Date options: --as-of and --since within range, --week a real ISO week, and report's default
never a run dated after today."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from screener.cli import cli
from screener.errors import InputError
from screener.pipeline import check_date_option, check_week

TODAY = date(2026, 11, 30)
CORPUS = Path(__file__).parent / "corpus" / "inputs"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (
            date(2026, 12, 1),
            "--as-of 2026-12-01 is in the future; give a date up to today (2026-11-30)",
        ),
        (
            date(1, 1, 1),
            "--as-of 0001-01-01 is before any price history; give a date from 1900-01-01",
        ),
    ],
)
def test_date_option_out_of_range(value: date, words: str) -> None:
    with pytest.raises(InputError) as info:
        check_date_option("--as-of", value, TODAY)
    assert str(info.value).startswith(words)
    assert info.value.exit_code == 2


def test_date_option_bounds_are_inclusive() -> None:
    check_date_option("--as-of", TODAY, TODAY)
    check_date_option("--as-of", date(1900, 1, 1), TODAY)


@pytest.mark.parametrize("week", ["2026-W01", "2026-W53", "2020-W53", "1900-W01"])
def test_real_weeks_pass(week: str) -> None:
    check_week(week)


@pytest.mark.parametrize(
    ("week", "words"),
    [
        ("2025-W53", "2025 has weeks W01 to W52"),
        ("2026-W54", "2026 has weeks W01 to W53"),
        ("2026-W00", "2026 has weeks W01 to W53"),
        ("2026-48", "is not an ISO week"),
        ("2026-w48", "is not an ISO week"),
        ("1899-W10", "no run is that old"),
    ],
)
def test_weeks_that_do_not_exist(week: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        check_week(week)


def test_report_defaults_to_the_newest_run_not_after_today(tmp_path: Path) -> None:
    """An older version stored a run for a future --as-of; report's default skips it, and it
    stays reachable by its week."""
    uni = tmp_path / "u"
    uni.mkdir()
    for name in ("universe", "events", "jurisdictions"):
        target = "uni.yaml" if name == "universe" else f"{name}.yaml"
        (uni / target).write_text(
            (CORPUS / f"base_{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    home = tmp_path / "home"
    env = {"SCREENER_HOME": str(home)}
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["run", "--demo", "--universe", str(uni / "uni.yaml"), "--out", str(tmp_path / "r")],
        env=env,
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.output
    real = json.loads((tmp_path / "r" / "screen.json").read_text(encoding="utf-8"))["run"]["id"]
    con = duckdb.connect(str(home / "demo" / "screener.duckdb"))
    cur = con.execute("SELECT * FROM runs")
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    doc = json.loads(row["document_json"])
    doc["run"]["id"] = "2099-W01"
    row.update(run_id="2099-W01", week="2099-W01", as_of=date(2099, 1, 1))
    row["document_json"] = json.dumps(doc)
    con.execute(
        f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[n] for n in names],
    )
    con.close()
    out = tmp_path / "default"
    result = runner.invoke(cli, ["report", "--demo", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "screen.json").read_text(encoding="utf-8"))["run"]["id"] == real
    explicit = runner.invoke(
        cli, ["report", "--demo", "--week", "2099-W01", "--out", str(tmp_path / "x")], env=env
    )
    assert explicit.exit_code == 0, explicit.output
    future = json.loads((tmp_path / "x" / "screen.json").read_text(encoding="utf-8"))
    assert future["run"]["id"] == "2099-W01"
