"""lookup/: resolving what the user typed, the profile-only views, and their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from screener.errors import NotFoundError, ScreenerError, SymbolError
from screener.lookup.query import company_views
from screener.lookup.resolve import AmbiguousError, resolve
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


# --- what users type ------------------------------------------------------------------------

SHIPPED = load_scored().universe


@pytest.mark.parametrize(
    "typed",
    [
        ["lynas"],
        ["LYNAS"],
        ["Lynas Rare Earths"],
        ["  lynas   rare earths "],
        ["Lynas", "Rare", "Earths"],  # the name typed without quotes
        ["lynas rare ear"],
        ["LYSCF"],  # a secondary listing
        ["lynas-rare-earths"],
    ],
)
def test_a_name_part_listing_or_id_finds_the_company(typed: list[str]) -> None:
    [found] = resolve(SHIPPED, typed)
    assert found.company is not None and found.company.id == "lynas-rare-earths"


def test_a_former_listing_finds_the_delisted_company() -> None:
    [found] = resolve(SHIPPED, ["pek.ax"])
    assert found.company is not None and found.company.id == "peak-rare-earths"


def test_separate_symbols_stay_separate() -> None:
    assert [r.company.id for r in resolve(SHIPPED, ["MP", "lyc.ax"]) if r.company] == [
        "mp-materials",
        "lynas-rare-earths",
    ]


def test_a_part_several_names_share_lists_them() -> None:
    sharing = [c for c in SHIPPED.companies if "Energy" in c.name.split()]
    assert len(sharing) > 1  # the shipped universe has several "Energy ..." names
    with pytest.raises(AmbiguousError) as caught:
        resolve(SHIPPED, ["energy"])
    message = str(caught.value)
    assert message.startswith(f"'energy' matches {len(sharing)} companies in universe ")
    for c in sharing:
        assert f"{c.name} ({c.primary_ticker or c.id})" in message
    assert message.endswith("give a ticker, an id or more of the name")


def test_a_word_inside_a_name_is_not_a_part_and_short_queries_are_symbols() -> None:
    # "ynas" starts no word; "A" (a real US ticker) is too short to be a part of a name
    assert [r.company for r in resolve(SHIPPED, ["ynas", "A"])] == [None, None]


def test_an_outside_symbol_keeps_its_close_matches() -> None:
    [outside] = resolve(SHIPPED, ["LYCA.AX"])
    assert outside.company is None
    assert outside.not_found is not None
    # the nearest first
    assert outside.not_found.startswith(
        "'LYCA.AX' is not in universe 'rare_earths'; close matches: LYC.AX, "
    )


def test_a_query_that_is_neither_a_company_nor_a_symbol_keeps_its_close_matches() -> None:
    with pytest.raises(SymbolError) as bad:
        resolve(SHIPPED, ["LYC.AXX"])
    assert "close matches: LYC.AX" in str(bad.value)
    assert ".AXX is not an exchange suffix" in str(bad.value)


# --- the scored universe kept between lookups ------------------------------------------------


def test_the_kept_score_is_the_score_and_an_edit_makes_a_new_one(tmp_path: Path) -> None:
    from screener.universe.cache import scored_cached

    folder = tmp_path / "store"
    folder.mkdir()
    universe = tmp_path / "u.yaml"
    universe.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    first = scored_cached(universe, weights=None, folder=folder)
    [entry] = (folder / "cache").glob("scored-*.pickle")
    again = scored_cached(universe, weights=None, folder=folder)
    fresh = load_scored(universe)
    assert again.exposures == first.exposures == fresh.exposures
    assert again.universe.companies == fresh.universe.companies
    # an edit to the file is a new key: scored again, not read from the old entry
    universe.write_text(universe.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    scored_cached(universe, weights=None, folder=folder)
    assert len(list((folder / "cache").glob("scored-*.pickle"))) == 2
    # an unreadable entry is rebuilt, not an error
    entry.write_bytes(b"not a pickle")
    universe.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert scored_cached(universe, weights=None, folder=folder).exposures == fresh.exposures


def test_nothing_is_kept_where_no_store_folder_exists(tmp_path: Path) -> None:
    from screener.universe.cache import scored_cached

    scored_cached(EXAMPLE, weights=None, folder=tmp_path / "none")
    assert not (tmp_path / "none").exists()
