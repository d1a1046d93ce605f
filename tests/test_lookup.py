"""lookup/: resolving what the user typed, the profile-only views, and their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from screener.errors import NotFoundError, ScreenerError
from screener.lookup.query import company_views
from screener.lookup.resolve import resolve
from screener.lookup.text import SEPARATOR, views_text
from screener.universe.scored import load_scored

EXAMPLE = Path(__file__).parent / "fixtures" / "worked_example.yaml"


def test_resolve_keeps_outside_symbols_with_the_reason() -> None:
    uni = load_scored(EXAMPLE).universe
    found, outside = resolve(uni, ["exm", " spy "])
    assert found.company is not None and found.company.id == "example-miner"
    assert found.not_found is None
    assert outside.company is None
    assert outside.symbol == "SPY"
    assert outside.not_found == "' spy ' is not in universe 'worked_example'"


def test_profile_only_views_rank_and_no_risk() -> None:
    result = company_views(
        ["EXM", "example-miner"], universe=EXAMPLE, mode="offline", with_risk=False
    )
    assert [v["id"] for v in result.views] == ["example-miner", "example-miner"]
    assert (result.document, result.notes, result.refresh_failed) == (None, [], False)
    assert result.listed_rank == {"example-miner": 1}
    text = views_text(result)
    assert text.count(SEPARATOR) == 1
    assert "rank 1 of 1 listed" in text
    assert "Risk" not in text


def test_profile_only_unknown_query_names_close_matches() -> None:
    with pytest.raises(NotFoundError, match="'EXN' is not in universe 'worked_example'; close"):
        company_views(["EXN"], universe=EXAMPLE, mode="offline", with_risk=False)


def test_card_needs_prices() -> None:
    result = company_views(["EXM"], universe=EXAMPLE, mode="offline", with_risk=False)
    with pytest.raises(ScreenerError, match="--html needs prices"):
        result.card_html()
