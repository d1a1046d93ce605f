"""The Yahoo symbol grammar (universe/symbols.py) and one case for tickers everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.tiny import tiny_universe

from screener.cli import cli
from screener.errors import SymbolError
from screener.sources.exchanges import EXCHANGES
from screener.universe.symbols import MAX_LENGTH, SUFFIXES, parse_symbol

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("MP", "MP"),
        (" mp ", "MP"),
        ("MP\n", "MP"),
        ("lyc.ax", "LYC.AX"),
        ("6680.HK", "6680.HK"),
        ("010130.KS", "010130.KS"),
        ("BRK-B", "BRK-B"),
        ("^GSPC", "^GSPC"),
        ("AUDUSD=X", "AUDUSD=X"),
        ("GC=F", "GC=F"),
        ("A" * MAX_LENGTH, "A" * MAX_LENGTH),
    ],
)
def test_symbols_that_parse(text: str, symbol: str) -> None:
    assert parse_symbol(text) == symbol


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("MP;rm -rf /", "';' not allowed"),
        ("../../etc/passwd", "'/' not allowed"),
        ("A" * 5000, "5,000 characters long; a Yahoo symbol has at most 24"),
        ("A" * (MAX_LENGTH + 1), "at most 24"),
        ("MP\x00", "'\\x00' not allowed"),
        ("", "empty symbol"),
        ("   ", "empty symbol"),
        ("FOO.XY", ".XY is not an exchange suffix screener knows"),
        ("-A", "hyphens between parts"),
        ("A--B", "hyphens between parts"),
        (".AX", "hyphens between parts"),
        ("A.", "hyphens between parts"),
        ("^GSPC.AX", "an index (^) has no suffix"),
        ("M P", "' ' not allowed"),
    ],
)
def test_symbols_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(SymbolError) as info:
        parse_symbol(text)
    assert words in str(info.value)


def test_the_grammar_knows_exactly_the_exchanges_table() -> None:
    assert set(EXCHANGES) - {""} == SUFFIXES


def test_every_shipped_symbol_parses_to_itself() -> None:
    from screener.universe.load import load

    u = load("rare_earths")
    symbols = [t for c in u.companies for t in (*c.tickers, *c.former_tickers)]
    symbols += [b.symbol for b in u.benchmarks]
    assert symbols and all(parse_symbol(s) == s for s in symbols)


def test_a_lowercase_universe_ticker_is_priced_and_read_under_one_case(tmp_path: Path) -> None:
    """Issue 12: [mp] was stored as MP but read as mp, so the report showed no volatility and
    said "Data failures: none". Through the demo source, end to end."""
    path = tiny_universe(tmp_path, ["aaa", "Bbb", "CCC"], market="spy")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "--demo", "--universe", str(path), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "screen.json").read_text(encoding="utf-8"))
    rows = {r["ticker"]: r for r in doc["rows"]}
    assert set(rows) == {"AAA", "BBB", "CCC"}
    for r in rows.values():
        assert isinstance(r["risk"]["vol_1y"], float), r["ticker"]
        assert r["data_quality"]["observations"] > 200
    assert doc["events"]["benchmark"] == "SPY" and doc["events"]["note"] is None
    # a lookup typed in any case finds the same stored prices
    look = CliRunner().invoke(
        cli, ["lookup", "bbb", "--universe", str(path), "--demo", "--offline", "--json"]
    )
    assert look.exit_code == 0, look.output
    # screen.json rounds to 6 significant digits; lookup prints full precision
    vol = json.loads(look.output)["risk"]["vol_1y"]
    assert vol == pytest.approx(rows["BBB"]["risk"]["vol_1y"], rel=1e-5)
