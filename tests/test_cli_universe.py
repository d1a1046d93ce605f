"""`screener universe ...` and `screener lookup` (profile part) through click's CliRunner."""

from __future__ import annotations

import copy
import json
from datetime import date
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
    # the line of the hq value in the dumped file
    hq_line = bad.read_text(encoding="utf-8").splitlines().index("  hq: XX") + 1
    assert (
        f"bad.yaml:{hq_line}:3: company 'example-miner' field 'hq': 'XX' is not an ISO 3166-1"
        in result.output
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


def _age(as_of: str) -> int:
    return (date.today() - date.fromisoformat(as_of)).days


def test_lookup_text(runner: CliRunner) -> None:
    """The worked example, exactly: the interval, what it rests on, per-factor intervals,
    segments with capacity and feed, support not for rare earths marked, 80 columns."""
    result = runner.invoke(
        cli, ["lookup", "exm", "--universe", EXAMPLE, "--no-prices"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.output == (
        "Example Miner  (EXM)  id: example-miner\n"
        "HQ US United States (core tier)\n"
        "Exposure 59.0 / 100 (interval 56.0–62.6), rank 1 of 1 listed\n"
        "  = raw 64.1 × China multiplier 0.92\n"
        "  rests on: magnet feed at US 56.0–60.9; magnet capacity at US 58.0–59.9\n"
        "Flags:\n"
        "  FEED_UNKNOWN      a separation, metal or magnet plant's feed origin is unknown\n"
        "                    (not counted clean)\n"
        "  CAPACITY_UNKNOWN  a producing, commissioning or construction plant has no\n"
        "                    known capacity\n"
        "  STALE_PROFILE     newest fact in the profile is older than the freshness limit\n"
        "\n"
        "Factor        F × w    =  pts  why\n"
        "sourcing   1.00 × 0.25 = 25.0  mining, US (core, producing, 20,000 t/yr) [1]\n"
        "processing 0.49 × 0.30 = 14.8  interval 0.38–0.62; separation, US (core,\n"
        "                               producing, 1,250 t/yr, feed captive) [1];\n"
        "                               separation, MY (aligned, construction,\n"
        "                               5,000 t/yr, feed AU) [1]; magnet, US (core,\n"
        "                               commissioning, feed unknown) [1]\n"
        "recycling  0.00 × 0.10 =  0.0  no segment\n"
        "heavy_ree  0.42 × 0.15 =  6.3  separation, MY (aligned, construction,\n"
        "                               5,000 t/yr, feed AU) [1]\n"
        "purity     1.00 × 0.15 = 15.0  100% of revenue (reported)\n"
        "support    0.60 × 0.05 =  3.0  price floor (US DoD), not counted, not for rare\n"
        "                               earths: State\n"
        "\n"
        "Segments\n"
        "  mining, US (core), producing\n"
        "    20,000 t/yr [1]\n"
        "  separation, US (core), producing\n"
        "    1,250 t/yr; feed captive [1]\n"
        "  magnet, US (core), commissioning\n"
        "    capacity unknown; feed unknown [1]\n"
        "  separation, MY (aligned), construction\n"
        "    5,000 t/yr; feed AU; Dy/Tb [1]\n"
        "\n"
        "China links: Chinese ownership 8%  (penalties: ownership_pct −0.08) [1]\n"
        "Support:\n"
        "  price floor from US DoD, 2025-07-10 [1]\n"
        "  government grant from State, 2025-07-10 — not counted (not for rare earths)\n"
        "    [1]\n"
        "REE share of revenue: 100% (reported)\n"
        "\n"
        f"Profile as of 2025-07-10 ({_age('2025-07-10')} days old), confidence high\n"
        "Sources\n"
        "  [1] 2025-07-10 Release\n"
        "       https://example.org/release\n"
    )


def test_lookup_text_secondary_sources_and_capacity_note(runner: CliRunner, tmp_path: Path) -> None:
    """A fact resting on a secondary source lowers the confidence, and the text says why; a
    segment's capacity note and a fully known profile's "no unknowns" are shown."""
    data = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    c = data["companies"][0]
    c["sources"].append(
        {
            "id": "S2",
            "url": "https://blog.example/p",
            "date": "2025-07-11",
            "title": "A blog",
            "kind": "secondary",
        }
    )
    c["segments"] = [
        {
            "stage": "mining",
            "country": "US",
            "status": "producing",
            "capacity_tpa": 5000,
            "capacity_note": "t/yr contained TREO (S2)",
            "sources": ["S2"],
        }
    ]
    path = tmp_path / "secondary.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = runner.invoke(
        cli, ["lookup", "EXM", "-u", str(path), "--no-prices"], catch_exceptions=False
    ).output
    assert "Exposure 33.8 / 100 (no unknowns), rank 1 of 1 listed\n" in out
    assert "rests on" not in out
    assert (
        "  mining, US (core), producing\n"
        "    5,000 t/yr [2]\n"
        "    capacity: t/yr contained TREO (S2)\n"
    ) in out
    assert (
        f"Profile as of 2025-07-10 ({_age('2025-07-10')} days old), confidence medium\n"
        "  confidence lowered from high: secondary sources only for mining at US\n"
    ) in out
    assert "  [2] 2025-07-11 A blog (secondary)\n" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_lookup_json_contract(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--no-prices"], catch_exceptions=False
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
        cli, ["lookup", "efr.to", "--json", "--no-prices"], catch_exceptions=False
    )
    by_id = runner.invoke(
        cli, ["lookup", "energy-fuels", "--json", "--no-prices"], catch_exceptions=False
    )
    assert json.loads(by_secondary.output)["id"] == "energy-fuels"
    assert json.loads(by_id.output)["ticker"] == "UUUU"


def test_weights_file_changes_score(runner: CliRunner, tmp_path: Path) -> None:
    w = tmp_path / "w.yaml"
    w.write_text("weights: {sourcing: 0.35, processing: 0.20}\n", encoding="utf-8")
    base = json.loads(
        runner.invoke(cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--no-prices"]).output
    )
    new = json.loads(
        runner.invoke(
            cli, ["lookup", "EXM", "-u", EXAMPLE, "--json", "--no-prices", "--weights", str(w)]
        ).output
    )
    assert new["exposure"]["factors"]["sourcing"]["points"] == pytest.approx(35.0)
    assert new["exposure"]["score"] != base["exposure"]["score"]


def test_universe_show_has_the_interval(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "show", "-u", EXAMPLE], catch_exceptions=False)
    assert result.output == (
        "Universe worked_example (2025-07-10): 1 listed companies, ranked by exposure\n"
        "  # ticker     name                               score (interval)  top factors / flags\n"
        "  1 EXM        Example Miner                      59.0 (56.0–62.6)  sourcing 25, "
        "purity 15, processing 15 × China 0.92  [FEED_UNKNOWN CAPACITY_UNKNOWN STALE_PROFILE]\n"
    )
    rows = json.loads(
        runner.invoke(
            cli, ["universe", "show", "-u", EXAMPLE, "--json"], catch_exceptions=False
        ).output
    )
    ex = rows[0]["exposure"]
    assert rows[0]["rank"] == 1
    assert (ex["low"], ex["score"], ex["high"]) == pytest.approx((55.9751, 58.9559, 62.5991))


AUDIT = str(FIXTURES / "audit_universe.yaml")


def test_universe_audit_text(runner: CliRunner) -> None:
    """One block per company in audit order: rank, score and interval, priority, reasons, age."""
    result = runner.invoke(cli, ["universe", "audit", "-u", AUDIT], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == (
        "Universe audit_test: 4 listed companies, re-check from the top\n"
        "(priority: how many places a wrong or unknown fact could move the rank)\n"
        "\n"
        "1. UNK  Unknown Plant: rank 3 of 4, score 44.0 (40.0–49.0), priority 1 place\n"
        "   - rank 3 could be anywhere from 2 to 3 within its interval (40.0–49.0)\n"
        "   - capacity unknown: magnet at US\n"
        "   - feed unknown: magnet at US\n"
        f"   facts as of 2026-02-01 ({_age('2026-02-01')} days old)\n"
        "\n"
        "2. BLG  Blog Backed: rank 2 of 4, score 47.4 (no unknowns), priority 1 place\n"
        "   - rank 2 could be anywhere from 2 to 3 within the other companies' intervals\n"
        "   - 1 fact(s) rest on secondary sources alone; if wrong, the rank moves up to 1\n"
        "     place\n"
        f"   facts as of 2025-01-02 ({_age('2025-01-02')} days old)\n"
        "\n"
        "3. SEX  Small Explorer: rank 4 of 4, score 2.8 (no unknowns), priority 0 places\n"
        "   - nothing to re-check: no unknowns, no secondary-only facts\n"
        f"   facts as of 2026-01-01 ({_age('2026-01-01')} days old)\n"
        "\n"
        "4. KNP  Known Producer: rank 1 of 4, score 53.5 (no unknowns), priority 0 places\n"
        "   - nothing to re-check: no unknowns, no secondary-only facts\n"
        f"   facts as of 2026-03-01 ({_age('2026-03-01')} days old)\n"
    )


def test_universe_audit_top_and_json(runner: CliRunner) -> None:
    text = runner.invoke(
        cli, ["universe", "audit", "-u", AUDIT, "--top", "1"], catch_exceptions=False
    ).output
    assert text.startswith("Universe audit_test: 4 listed companies, the 1 to re-check first\n")
    assert text.count("facts as of") == 1
    rows = json.loads(
        runner.invoke(
            cli, ["universe", "audit", "-u", AUDIT, "--json"], catch_exceptions=False
        ).output
    )
    assert [r["company_id"] for r in rows] == [
        "unknown-plant",
        "blog-backed",
        "small-explorer",
        "known-producer",
    ]
    first = rows[0]
    assert first == {
        "company_id": "unknown-plant",
        "name": "Unknown Plant",
        "ticker": "UNK",
        "rank": 3,
        "score": pytest.approx(44.05),
        "low": pytest.approx(40.0),
        "high": pytest.approx(49.0),
        "best_rank": 2,
        "worst_rank": 3,
        "secondary_only": [],
        "secondary_rank_shift": 0,
        "missing_capacity": ["magnet at US"],
        "missing_feed": ["magnet at US"],
        "as_of": "2026-02-01",
        "age_days": _age("2026-02-01"),
        "width": pytest.approx(9.0),
        "rank_span": 1,
        "priority": 1,
        "reasons": [
            "rank 3 could be anywhere from 2 to 3 within its interval (40.0–49.0)",
            "capacity unknown: magnet at US",
            "feed unknown: magnet at US",
        ],
    }
    assert rows[1]["secondary_only"] == ["separation at AU"]


def test_universe_audit_bad_top_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["universe", "audit", "--top", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--top': 0 is not in the range x>=1." in result.output


def _universe_pair(tmp_path: Path) -> tuple[Path, Path]:
    """The worked example, and the same a quarter later: the magnet produces at a known
    capacity on captive feed, the grant is gone, and a company is added."""
    old = tmp_path / "old.yaml"
    old.write_text(Path(EXAMPLE).read_text(encoding="utf-8"), encoding="utf-8")
    data = yaml.safe_load(old.read_text(encoding="utf-8"))
    c = data["companies"][0]
    magnet = c["segments"][2]
    magnet.update(status="producing", capacity_tpa=1000, feed_origin="captive")
    c["support"] = c["support"][:1]
    # A deep copy: yaml.safe_dump writes a shared object as an anchor and aliases, which the
    # loader refuses (alias bombs).
    second = {**copy.deepcopy(c), "id": "second-co", "name": "Second Co", "tickers": ["SEC"]}
    data["companies"].append(second)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return old, new


def test_universe_diff_text(runner: CliRunner, tmp_path: Path) -> None:
    old, new = _universe_pair(tmp_path)
    result = runner.invoke(cli, ["universe", "diff", str(old), str(new)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == (
        f"{old} → {new}: 5 change(s) in 2 companies\n"
        "\n"
        "Example Miner: magnet at US: status commissioning → producing\n"
        "Example Miner: magnet at US: capacity_tpa unknown → 1000\n"
        "Example Miner: magnet at US: feed_origin unknown → captive\n"
        "Example Miner: government grant from State: removed\n"
        "\n"
        "Second Co: added\n"
    )


def test_universe_diff_json(runner: CliRunner, tmp_path: Path) -> None:
    old, new = _universe_pair(tmp_path)
    changes = json.loads(
        runner.invoke(
            cli, ["universe", "diff", str(old), str(new), "--json"], catch_exceptions=False
        ).output
    )
    assert changes[0] == {
        "company_id": "example-miner",
        "company": "Example Miner",
        "what": "status",
        "item": "magnet at US",
        "old": "commissioning",
        "new": "producing",
        "text": "Example Miner: magnet at US: status commissioning → producing",
    }
    assert changes[-1]["what"] == "company" and changes[-1]["text"] == "Second Co: added"
    same = runner.invoke(cli, ["universe", "diff", str(old), str(old)], catch_exceptions=False)
    assert same.exit_code == 0
    assert same.output == f"{old} → {old}: 0 change(s) in 0 companies\n"


def test_universe_diff_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(cli, ["universe", "diff", str(missing), EXAMPLE])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {missing}: universe file not found; pass two universe YAML files, the old "
        "one first (an earlier version: git show REV:universes/rare_earths.yaml > old.yaml)\n"
    )
