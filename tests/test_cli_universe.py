"""`screener universe ...` and `screener lookup` (profile part) through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from screener import __version__
from screener.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = str(FIXTURES / "worked_example.yaml")
FACTORS = ("sourcing", "processing", "recycling", "heavy_ree", "purity", "support")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SCREENER_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == f"screener, version {__version__}\n"


def test_validate_clean_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "validate", EXAMPLE], catch_exceptions=False)
    assert result.exit_code == 0
    # No events.yaml beside the fixture: the shipped events file is used.
    assert result.output.startswith(f"{EXAMPLE}: ok — 1 companies (1 listed), 0 benchmarks, ")


def test_validate_shipped(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "validate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "rare_earths.yaml: ok" in result.output


def test_validate_bad_file_exits_2_with_all_problems(runner: CliRunner, tmp_path: Path) -> None:
    data = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    c = data["companies"][0]
    c["hq"] = "XX"
    c["segments"][0]["stage"] = "digging"
    c["ree_revenue_share"] = 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(cli, ["universe", "validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: 3 problem(s); fix them all and validate again" in result.output
    assert (
        "bad.yaml: company 'example-miner' field 'hq': 'XX' is not an ISO 3166-1" in result.output
    )
    assert "field 'segments[0]' field 'stage': 'digging' is not allowed" in result.output
    assert "field 'ree_revenue_share': 2 is outside 0 to 1" in result.output
    assert result.output.rstrip().endswith("Error: 1 of 1 file(s) have problems")


def test_universe_list(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.output)}
    re = rows["rare_earths"]
    assert re["companies"] >= 55 and re["listed"] >= 45
    assert re["as_of_min"] <= re["as_of_max"]


def test_universe_show_ranked(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "show", "--json"], catch_exceptions=False)
    rows = json.loads(result.output)
    scores = [r["exposure"]["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(r["listed"] for r in rows)
    text = runner.invoke(cli, ["universe", "show"], catch_exceptions=False).output
    assert text.splitlines()[0].startswith("Universe rare_earths (")
    assert "  1 " in text


def test_lookup_text(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["lookup", "exm", "--universe", EXAMPLE, "--offline"], catch_exceptions=False
    )
    assert result.exit_code == 0
    out = result.output
    assert "Example Miner  (EXM)  id: example-miner" in out
    assert "Exposure 59.0 / 100   = raw 64.1 × China multiplier 0.92" in out
    assert "processing   0.49 ×   0.30 =   14.8" in out
    assert "[1] 2025-07-10 Release" in out


def test_lookup_json_contract(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--offline"], catch_exceptions=False
    )
    doc = json.loads(result.output)
    assert (
        doc["ticker"] == "EXM" and doc["id"] == "example-miner" and doc["name"] == "Example Miner"
    )
    assert doc["exposure"]["score"] == pytest.approx(58.9559, abs=5e-5)
    assert doc["exposure"]["low"] == pytest.approx(55.9751, abs=5e-5)
    assert doc["exposure"]["high"] == pytest.approx(62.5991, abs=5e-5)
    assert [d["what"] for d in doc["exposure"]["interval_drivers"]] == [
        "magnet feed at US",
        "magnet capacity at US",
    ]
    assert doc["exposure"]["china_multiplier"] == pytest.approx(0.92)
    assert set(doc["exposure"]["factors"]) == set(FACTORS)
    for f in FACTORS:
        assert set(doc["exposure"]["factors"][f]) >= {"value", "weight", "points"}
    assert doc["exposure"]["flags"] == ["STALE_PROFILE"] or isinstance(
        doc["exposure"]["flags"], list
    )
    assert doc["sources"] == [
        {
            "n": 1,
            "id": "S1",
            "url": "https://example.org/release",
            "date": "2025-07-10",
            "title": "Release",
            "kind": "company",
            "secondary": False,
        }
    ]


def test_lookup_unknown_symbol_exit_2_with_close_matches(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["lookup", "EXN", "-u", EXAMPLE, "--offline"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: 'EXN' is not in universe 'worked_example'; close matches: EXM; "
        "no prices for it either (offline, and the store has none)\n"
    )


def test_lookup_secondary_listing_and_id(runner: CliRunner) -> None:
    by_secondary = runner.invoke(
        cli, ["lookup", "efr.to", "--json", "--offline"], catch_exceptions=False
    )
    by_id = runner.invoke(
        cli, ["lookup", "energy-fuels", "--json", "--offline"], catch_exceptions=False
    )
    assert json.loads(by_secondary.output)["id"] == "energy-fuels"
    assert json.loads(by_id.output)["ticker"] == "UUUU"


def test_weights_file_changes_score(runner: CliRunner, tmp_path: Path) -> None:
    w = tmp_path / "w.yaml"
    w.write_text("weights: {sourcing: 0.35, processing: 0.20}\n", encoding="utf-8")
    base = json.loads(
        runner.invoke(cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--offline"]).output
    )
    new = json.loads(
        runner.invoke(
            cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--offline", "--weights", str(w)]
        ).output
    )
    assert new["exposure"]["factors"]["sourcing"]["points"] == pytest.approx(35.0)
    assert new["exposure"]["score"] != base["exposure"]["score"]
