"""The exposure model on hand-built profiles: each factor, the multiplier, the flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from screener.universe.exposure import noisy_or, score
from screener.universe.jurisdictions import load_jurisdictions
from screener.universe.load import load
from screener.universe.model import load_model
from screener.universe.records import ChinaLinks, Citation, Company, Segment, Support

TODAY = date(2026, 1, 1)
MODEL = load_model()
JUR = load_jurisdictions()
FIXTURES = Path(__file__).parent / "fixtures"


def co(*segments: Segment, **kw: object) -> Company:
    base = dict(
        id="x",
        name="X",
        tickers=("X",),
        listed=True,
        hq="US",
        segments=segments,
        china=ChinaLinks(),
        support=(),
        sources=(Citation("S1", "https://e.org", "2025-12-01", "t"),),
        as_of=date(2025, 12, 1),
        confidence="high",
        ree_revenue_share=1.0,
        revenue_basis="reported",
    )
    base.update(kw)
    return Company(**base)  # type: ignore[arg-type]


def seg(stage: str, country: str, status: str, **kw: object) -> Segment:
    return Segment(stage=stage, country=country, status=status, sources=("S1",), **kw)  # type: ignore[arg-type]


def test_worked_example_of_the_spec() -> None:
    u = load(FIXTURES / "worked_example.yaml")
    e = score(u.companies[0], MODEL, JUR, today=date(2025, 8, 1))
    assert e.score == pytest.approx(62.744, abs=1e-9)
    assert e.raw_score == pytest.approx(68.2)
    assert e.china_multiplier == pytest.approx(0.92)
    points = {k: round(f.points, 9) for k, f in e.factors.items()}
    assert points == {
        "sourcing": 25.0,
        "processing": 20.7,
        "recycling": 0.0,
        "heavy_ree": 4.5,
        "purity": 15.0,
        "support": 3.0,
    }
    assert e.flags == ()


def test_noisy_or_two_allied_development_projects() -> None:
    s = 0.85 * 0.35
    assert noisy_or([s, s]) == pytest.approx(0.5065, abs=1e-4)
    e = score(
        co(seg("mining", "CA", "development"), seg("mining", "GB", "development")),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e.factors["sourcing"].value == pytest.approx(1 - (1 - s) ** 2)


def test_factor_never_exceeds_one() -> None:
    e = score(co(*[seg("mining", "US", "producing") for _ in range(3)]), MODEL, JUR, today=TODAY)
    assert e.factors["sourcing"].value == 1.0


def test_processing_stage_weights() -> None:
    e = score(
        co(seg("separation", "AU", "producing"), seg("metal_alloy", "AU", "producing")),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e.factors["processing"].value == pytest.approx(0.45 + 0.25)


def test_recycling_factor() -> None:
    e = score(co(seg("recycling", "JP", "commissioning")), MODEL, JUR, today=TODAY)
    assert e.factors["recycling"].value == pytest.approx(0.85 * 0.8)
    assert e.factors["recycling"].points == pytest.approx(100 * 0.85 * 0.8 * 0.10)


def test_heavy_ree_counts_stage_multipliers_and_only_heavy_segments() -> None:
    e = score(
        co(seg("mining", "US", "producing", heavy_ree=True), seg("separation", "US", "producing")),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e.factors["heavy_ree"].value == pytest.approx(0.6)
    assert len(e.factors["heavy_ree"].evidence) == 1


def test_purity_unknown_counts_half_and_flags() -> None:
    e = score(co(ree_revenue_share=None, revenue_basis=None), MODEL, JUR, today=TODAY)
    assert e.factors["purity"].value == 0.5
    assert "PURITY_UNKNOWN" in e.flags


def test_support_summed_and_capped() -> None:
    sup = tuple(Support("price_floor", "US DoD", "US", sources=("S1",)) for _ in range(3))
    e = score(co(support=sup), MODEL, JUR, today=TODAY)
    assert e.factors["support"].value == 1.0
    e2 = score(
        co(support=(Support("strategic_offtake", "Apple", "US", sources=("S1",)),)),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e2.factors["support"].value == pytest.approx(0.3)


def test_chinese_feed_makes_processing_worth_nothing() -> None:
    e = score(co(seg("separation", "US", "producing", feed_origin="CN")), MODEL, JUR, today=TODAY)
    assert e.factors["processing"].value == 0.0
    assert "COVERED_CHAIN" in e.flags
    allied_feed = score(
        co(seg("separation", "US", "producing", feed_origin="AU")), MODEL, JUR, today=TODAY
    )
    assert allied_feed.factors["processing"].value == pytest.approx(0.45)


@pytest.mark.parametrize(
    ("china", "multiplier", "feoc"),
    [
        (ChinaLinks(), 1.0, False),
        (ChinaLinks(ownership_pct=4.9, sources=("S1",)), 1.0, False),
        (ChinaLinks(ownership_pct=8, sources=("S1",)), 0.92, False),
        (ChinaLinks(ownership_pct=25, sources=("S1",)), 0.0, True),
        (ChinaLinks(hq_in_china=True, sources=("S1",)), 0.0, True),
        (ChinaLinks(state_control=True, sources=("S1",)), 0.0, True),
        (ChinaLinks(processing_in_china=True, sources=("S1",)), 0.85, False),
        (
            ChinaLinks(
                sales_to_china=True, processing_in_china=True, ownership_pct=10, sources=("S1",)
            ),
            0.65,
            False,
        ),
    ],
)
def test_china_multiplier(china: ChinaLinks, multiplier: float, feoc: bool) -> None:
    e = score(co(seg("mining", "US", "producing"), china=china), MODEL, JUR, today=TODAY)
    assert e.china_multiplier == pytest.approx(multiplier)
    assert ("FEOC" in e.flags) is feoc
    assert e.score == pytest.approx(e.raw_score * multiplier)


def test_flags_pre_revenue_stale_low_confidence() -> None:
    c = co(revenue_basis="pre_revenue", as_of=date(2025, 6, 1), confidence="low")
    e = score(c, MODEL, JUR, today=TODAY)
    assert set(e.flags) == {"PRE_REVENUE", "STALE_PROFILE", "LOW_CONFIDENCE"}
    fresh = score(replace(c, as_of=date(2025, 12, 1)), MODEL, JUR, today=TODAY)
    assert "STALE_PROFILE" not in fresh.flags


def test_unsourced_flag_without_changing_score() -> None:
    sourced = co(
        seg("mining", "US", "producing"),
        china=ChinaLinks(ownership_pct=8, sources=("S1",)),
        support=(Support("government_loan", "DOE", "US", sources=("S1",)),),
    )
    bare = replace(
        sourced,
        segments=tuple(replace(s, sources=()) for s in sourced.segments),
        china=replace(sourced.china, sources=()),
        support=tuple(replace(s, sources=()) for s in sourced.support),
    )
    a, b = (score(x, MODEL, JUR, today=TODAY) for x in (sourced, bare))
    assert "UNSOURCED" not in a.flags and "UNSOURCED" in b.flags
    assert a.score == b.score


def test_exploration_only_far_below_producer() -> None:
    explorer = score(
        co(seg("mining", "AU", "exploration"), revenue_basis="pre_revenue"), MODEL, JUR, today=TODAY
    )
    producer = score(co(seg("mining", "AU", "producing")), MODEL, JUR, today=TODAY)
    assert explorer.score < producer.score / 2


def test_weights_override_file(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        yaml.safe_dump({"weights": {"sourcing": 0.30, "support": 0.0}}), encoding="utf-8"
    )
    m = load_model(path)
    assert m.weights["sourcing"] == 0.30 and m.weights["processing"] == 0.30
    e = score(co(seg("mining", "US", "producing")), m, JUR, today=TODAY)
    assert e.factors["sourcing"].points == pytest.approx(30.0)


def test_weights_override_must_sum_to_one(tmp_path: Path) -> None:
    from screener.errors import UniverseError

    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"weights": {"sourcing": 0.5, "bogus": 1}}), encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load_model(path)
    assert info.value.problems == [
        "weights.bogus: unknown parameter (known: sourcing, processing, recycling, heavy_ree, purity, support)",
        "weights: sum to 1.2500; they must sum to 1 so scores stay within 0-100",
    ]
