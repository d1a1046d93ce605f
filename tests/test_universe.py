"""Universe loading: one test per validation error class, with the exact message."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures.problems import unplaced

from screener.errors import UniverseError
from screener.universe.files import available, resolve
from screener.universe.jurisdictions import load_jurisdictions
from screener.universe.load import load

TODAY = date(2026, 11, 26)


def company(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "good-co",
        "name": "Good Co",
        "tickers": ["GOOD.AX"],
        "listed": True,
        "hq": "AU",
        "ree_revenue_share": 1.0,
        "revenue_basis": "pre_revenue",
        "segments": [
            {"stage": "mining", "country": "AU", "status": "development", "sources": ["S1"]},
        ],
        "china": {"ownership_pct": 0},
        "support": [],
        "sources": [
            {
                "id": "S1",
                "url": "https://example.org/a",
                "date": "2026-01-02",
                "title": "A",
                "kind": "company",
            }
        ],
        "as_of": "2026-01-02",
        "confidence": "medium",
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, companies: list[dict[str, Any]], name: str = "uni.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump(
            {"universe": {"name": "t", "title": "T", "version": "1"}, "companies": companies}
        ),
        encoding="utf-8",
    )
    return path


def problems(tmp_path: Path, companies: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(UniverseError) as info:
        load(write(tmp_path, companies), today=TODAY)
    return unplaced(info.value.problems)


def test_valid_minimal_universe_loads(tmp_path: Path) -> None:
    u = load(write(tmp_path, [company()]), today=TODAY)
    assert [c.id for c in u.companies] == ["good-co"]
    assert u.find("good.ax") is u.companies[0]
    assert u.find("GOOD-CO") is u.companies[0]
    assert u.sha256.startswith("sha256:")


def test_unknown_country_code(tmp_path: Path) -> None:
    seg = {"stage": "mining", "country": "XX", "status": "producing", "sources": ["S1"]}
    assert problems(tmp_path, [company(segments=[seg])]) == [
        "uni.yaml: company 'good-co' field 'segments[0]' field 'country': 'XX' is not an ISO "
        "3166-1 alpha-2 code known to jurisdictions.yaml (use upper-case codes such as US, AU, CA, GB)"
    ]


def test_unquoted_norway_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "no.yaml"
    doc = yaml.safe_dump({"companies": [company()]}).replace("hq: AU", "hq: NO")
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load(path, today=TODAY)
    assert info.value.problems == [
        "no.yaml:6:3: company 'good-co' field 'hq': false is a YAML boolean: quote country codes, "
        'e.g. "NO" for Norway'
    ]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("stage", "smelting", "mining, separation, metal_alloy, magnet, recycling"),
        (
            "status",
            "operating",
            "producing, commissioning, construction, pilot, development, exploration, suspended",
        ),
    ],
)
def test_unknown_stage_and_status(tmp_path: Path, field: str, value: str, allowed: str) -> None:
    seg = {
        "stage": "mining",
        "country": "AU",
        "status": "producing",
        "sources": ["S1"],
        field: value,
    }
    assert problems(tmp_path, [company(segments=[seg])]) == [
        f"uni.yaml: company 'good-co' field 'segments[0]' field '{field}': '{value}' is not allowed "
        f"(allowed: {allowed})"
    ]


def test_duplicate_ids_and_tickers(tmp_path: Path) -> None:
    a = company()
    b = company(tickers=["good.ax", "OTHER"])
    assert problems(tmp_path, [a, b]) == [
        "uni.yaml: company 'good-co' field 'tickers': 'GOOD.AX' is already a ticker of 'good-co'",
        "uni.yaml: company 'good-co': duplicate id (ids must be unique in the universe)",
    ] or problems(tmp_path, [a, b]) == [
        "uni.yaml: company 'good-co': duplicate id (ids must be unique in the universe)",
        "uni.yaml: company 'good-co' field 'tickers': 'GOOD.AX' is already a ticker of 'good-co'",
    ]


def test_cited_source_not_defined(tmp_path: Path) -> None:
    seg = {"stage": "mining", "country": "AU", "status": "producing", "sources": ["S9"]}
    assert problems(tmp_path, [company(segments=[seg])]) == [
        "uni.yaml: company 'good-co' field 'segments[0]' field 'sources': cites source 'S9', "
        "which is not defined in this company's sources"
    ]


def test_future_dates(tmp_path: Path) -> None:
    src = [{"id": "S1", "url": "https://e.org", "date": "2027-01-01", "title": "x", "kind": "news"}]
    # in file order: safe_dump writes as_of before sources
    assert problems(tmp_path, [company(sources=src, as_of="2026-12-01")]) == [
        "uni.yaml: company 'good-co' field 'as_of': 2026-12-01 is in the future (today is 2026-11-26)",
        "uni.yaml: company 'good-co' field 'sources[0]' field 'date': 2027-01-01 is in the future "
        "(today is 2026-11-26)",
    ]


def test_partial_source_dates_allowed_but_not_for_as_of(tmp_path: Path) -> None:
    src = [{"id": "S1", "url": "https://e.org", "date": "2025-08", "title": "x", "kind": "news"}]
    assert problems(tmp_path, [company(sources=src, as_of="2025-08")]) == [
        "uni.yaml: company 'good-co' field 'as_of': '2025-08' is not a date (YYYY-MM-DD)"
    ]


def test_impossible_date(tmp_path: Path) -> None:
    assert problems(tmp_path, [company(as_of="2025-02-30")]) == [
        "uni.yaml: company 'good-co' field 'as_of': '2025-02-30' is not a real date"
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ree_revenue_share": 1.5}, "field 'ree_revenue_share': 1.5 is outside 0 to 1"),
        (
            {"ree_revenue_share": "most"},
            "field 'ree_revenue_share': 'most' is not a number (allowed: 0 to 1)",
        ),
        (
            {"china": {"ownership_pct": 120}},
            "field 'china' field 'ownership_pct': 120 is outside 0 to 100",
        ),
    ],
)
def test_shares_out_of_range(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    assert problems(tmp_path, [company(**overrides)]) == [f"uni.yaml: company 'good-co' {message}"]


def test_listed_company_without_tickers(tmp_path: Path) -> None:
    assert problems(tmp_path, [company(tickers=[])]) == [
        "uni.yaml: company 'good-co' field 'tickers': a listed company needs at least one Yahoo "
        "symbol (or set listed: false)"
    ]


def test_unknown_field_is_an_error(tmp_path: Path) -> None:
    seg = {
        "stage": "mining",
        "country": "AU",
        "status": "producing",
        "sources": ["S1"],
        "heavy_re": True,
    }
    (msg,) = problems(tmp_path, [company(segments=[seg])])
    assert msg.startswith(
        "uni.yaml: company 'good-co' field 'segments[0]': unknown field 'heavy_re' (allowed: "
    )


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    bad = company(id="bad-co", tickers=[], hq="ZZ", confidence="certain", as_of="2030-01-01")
    found = problems(tmp_path, [company(), bad])
    assert len(found) == 4
    assert all("company 'bad-co'" in p for p in found)


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("companies:\n  - id: a\n    name: [unclosed\n    hq: US\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"broken.yaml:4:7: malformed YAML"):
        load(path, today=TODAY)


def test_duplicate_yaml_key_names_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("companies:\n  - id: a\n    id: b\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"dup.yaml:3:5: duplicate key 'id'"):
        load(path, today=TODAY)


def test_unknown_universe_name() -> None:
    with pytest.raises(UniverseError, match=r"no universe named 'nope' \(shipped: .*rare_earths"):
        resolve("nope")


def test_missing_file() -> None:
    with pytest.raises(UniverseError, match=r"missing.yaml: universe file not found"):
        resolve("missing.yaml")


def test_jurisdictions_cover_iso_and_tiers() -> None:
    jur = load_jurisdictions()
    assert len(jur.names) == 249
    assert jur.tier("US") == "core" and jur.tier("NO") == "allied"
    assert jur.tier("MY") == "aligned" and jur.tier("BR") == "partner"
    assert jur.tier("MM") == "high_risk"
    assert jur.tier("CN") == "covered" and jur.weight("CN") == 0.0
    assert (
        len(
            [
                c
                for c in jur.members("allied")
                if c not in ["CA", "GB", "JP", "KR", "NZ", "NO", "CH", "IS", "GL"]
            ]
        )
        == 27
    )


def test_every_shipped_universe_loads() -> None:
    names = available()
    assert "rare_earths" in names
    for path in names.values():
        u = load(path)
        assert u.companies, path


def test_shipped_universe_mutation_is_caught(tmp_path: Path) -> None:
    """Copy the real universe, break one field deep inside, and the validator finds it."""
    data = yaml.safe_load(resolve("rare_earths").read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    broken["companies"][3]["segments"][0]["status"] = "booming"
    cid = broken["companies"][3]["id"]
    path = tmp_path / "rare_earths.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load(path)
    assert len(info.value.problems) == 1
    assert (
        f"company '{cid}' field 'segments[0]' field 'status': 'booming'" in info.value.problems[0]
    )


# --- v2 fields ----------------------------------------------------------------------------


def test_source_kind_is_required_and_checked(tmp_path: Path) -> None:
    src = {"id": "S1", "url": "https://example.org/a", "date": "2026-01-02", "title": "A"}
    assert problems(tmp_path, [company(sources=[src])]) == [
        "uni.yaml: company 'good-co' field 'sources[0]' field 'kind': is missing "
        "(allowed: filing, company, government, news, secondary)"
    ]
    assert problems(tmp_path, [company(sources=[{**src, "kind": "blog"}])]) == [
        "uni.yaml: company 'good-co' field 'sources[0]' field 'kind': 'blog' is not allowed "
        "(allowed: filing, company, government, news, secondary)"
    ]


def test_support_must_say_whether_it_is_for_rare_earths(tmp_path: Path) -> None:
    item = {"kind": "government_grant", "counterparty": "DOE", "sources": ["S1"]}
    assert problems(tmp_path, [company(support=[item])]) == [
        "uni.yaml: company 'good-co' field 'support[0]' field 'ree_related': is missing "
        "(true when the support is for rare-earth activity, else false)"
    ]
    u = load(write(tmp_path, [company(support=[{**item, "ree_related": False}])]), today=TODAY)
    assert u.companies[0].support[0].ree_related is False


@pytest.mark.parametrize(
    ("feed", "stage", "expected"),
    [
        ("captive", "separation", "captive"),
        ("unknown", "magnet", None),
        ("AU", "metal_alloy", "AU"),
    ],
)
def test_feed_origin_values(tmp_path: Path, feed: str, stage: str, expected: str | None) -> None:
    seg = {
        "stage": stage,
        "country": "AU",
        "status": "pilot",
        "feed_origin": feed,
        "sources": ["S1"],
    }
    u = load(write(tmp_path, [company(segments=[seg])]), today=TODAY)
    assert u.companies[0].segments[0].feed_origin == expected
    assert u.companies[0].segments[0].status == "pilot"


def test_feed_origin_only_on_processing_stages(tmp_path: Path) -> None:
    seg = {
        "stage": "recycling",
        "country": "AU",
        "status": "pilot",
        "feed_origin": "AU",
        "sources": ["S1"],
    }
    assert problems(tmp_path, [company(segments=[seg])]) == [
        "uni.yaml: company 'good-co' field 'segments[0]' field 'feed_origin': applies to "
        "separation, metal_alloy, magnet segments, not to recycling"
    ]


def test_aligned_tier_needs_a_source_for_each_member(tmp_path: Path) -> None:
    text = (Path(load_jurisdictions().path)).read_text(encoding="utf-8")
    broken = text.replace('countries: ["MY", "TH", "SA"]', 'countries: ["MY", "TH", "SA", "VN"]')
    path = tmp_path / "jurisdictions.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load_jurisdictions(path)
    assert info.value.problems == [
        "jurisdictions.yaml:32:5: tier 'aligned' field 'sources': VN has no source "
        "(each member of this tier needs one)"
    ]
