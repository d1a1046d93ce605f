"""The exposure model (v2) on hand-built profiles: each rule, the interval, the flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.universe.exposure import feed, noisy_or, scale, score
from screener.universe.jurisdictions import load_jurisdictions
from screener.universe.load import load
from screener.universe.model import load_model
from screener.universe.records import ChinaLinks, Citation, Company, Segment, Support

TODAY = date(2026, 1, 1)
MODEL = load_model()
JUR = load_jurisdictions()
FIXTURES = Path(__file__).parent / "fixtures"


REF = MODEL.raw["scale"]["references"]


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
        sources=(Citation("S1", "https://e.org", "2025-12-01", "t", kind="company"),),
        as_of=date(2025, 12, 1),
        confidence="high",
        ree_revenue_share=1.0,
        revenue_basis="reported",
    )
    base.update(kw)
    return Company(**base)  # type: ignore[arg-type]


def seg(stage: str, country: str, status: str, **kw: object) -> Segment:
    """A fully known segment by default: capacity at the stage's reference, captive feed."""
    kw.setdefault("capacity_tpa", float(REF[stage]))
    if stage in ("separation", "metal_alloy", "magnet"):
        kw.setdefault("feed_origin", "captive")
    return Segment(stage=stage, country=country, status=status, sources=("S1",), **kw)  # type: ignore[arg-type]


def test_worked_example_of_the_spec() -> None:
    u = load(FIXTURES / "worked_example.yaml")
    e = score(u.companies[0], MODEL, JUR, today=date(2025, 8, 1))
    assert round(e.score, 4) == 58.9559
    assert (round(e.low, 4), round(e.high, 4)) == (55.9751, 62.5991)
    assert e.raw_score == pytest.approx(64.0825, abs=1e-9)
    assert e.china_multiplier == pytest.approx(0.92)
    points = {k: round(f.points, 9) for k, f in e.factors.items()}
    assert points == {
        "sourcing": 25.0,
        "processing": 14.7825,
        "recycling": 0.0,
        "heavy_ree": 6.3,
        "purity": 15.0,
        "support": 3.0,
    }
    assert e.flags == ("FEED_UNKNOWN", "CAPACITY_UNKNOWN")
    # The magnet's feed moves the score most, then its capacity; nothing else is unknown.
    assert [(d.kind, d.what) for d in e.drivers] == [
        ("feed", "magnet feed at US"),
        ("capacity", "magnet capacity at US"),
    ]


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


# --- v2: scale -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "capacity", "expected"),
    [
        ("mining", 20000, 1.0),  # at the reference
        ("mining", 60000, 1.0),  # capped: larger than the reference counts as the reference
        ("separation", 1250, 0.75),  # a quarter of the reference
        ("metal_alloy", 10, 0.55),  # a 10 t/yr pilot
        ("magnet", 0, 0.5),  # the floor
    ],
)
def test_scale_from_capacity(stage: str, capacity: float, expected: float) -> None:
    assert scale(seg(stage, "US", "producing", capacity_tpa=capacity), MODEL) == pytest.approx(
        expected
    )


def test_unknown_capacity_counts_three_quarters_within_half_to_one() -> None:
    s = seg("mining", "US", "producing", capacity_tpa=None)
    assert (scale(s, MODEL, "low"), scale(s, MODEL), scale(s, MODEL, "high")) == (0.5, 0.75, 1.0)
    e = score(co(s), MODEL, JUR, today=TODAY)
    assert e.factors["sourcing"].value == pytest.approx(0.75)
    assert (e.factors["sourcing"].low, e.factors["sourcing"].high) == (0.5, 1.0)
    assert "CAPACITY_UNKNOWN" in e.flags


def test_capacity_unknown_flag_only_for_built_or_building_plants() -> None:
    for status in ("development", "exploration", "pilot", "suspended"):
        e = score(co(seg("mining", "US", status, capacity_tpa=None)), MODEL, JUR, today=TODAY)
        assert "CAPACITY_UNKNOWN" not in e.flags, status
        assert e.high > e.low, status  # the unknown still widens the interval
    for status in ("producing", "commissioning", "construction"):
        e = score(co(seg("mining", "US", status, capacity_tpa=None)), MODEL, JUR, today=TODAY)
        assert "CAPACITY_UNKNOWN" in e.flags, status


def test_commercial_plant_outscores_the_same_profile_with_a_pilot() -> None:
    plant = co(seg("separation", "US", "producing", capacity_tpa=2000))
    pilot = co(seg("separation", "US", "pilot", capacity_tpa=10))
    a, b = (score(x, MODEL, JUR, today=TODAY) for x in (plant, pilot))
    assert a.score > b.score
    assert MODEL.maturity["pilot"] == MODEL.maturity["development"]


# --- v2: feed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("captive", 1.0),
        ("AU", 1.0),
        ("CA", 1.0),
        ("MY", 1.0),
        ("BR", 1.0),
        ("MM", 0.1),
        ("CN", 0.0),
    ],
)
def test_feed_factor_by_origin(origin: str, expected: float) -> None:
    s = seg("separation", "US", "producing", feed_origin=origin)
    assert feed(s, MODEL, JUR) == pytest.approx(expected)


def test_feed_does_not_apply_to_mining_or_recycling() -> None:
    for stage in ("mining", "recycling"):
        assert feed(seg(stage, "US", "producing"), MODEL, JUR) == 1.0


def test_chinese_feed_makes_processing_worth_nothing() -> None:
    e = score(co(seg("separation", "US", "producing", feed_origin="CN")), MODEL, JUR, today=TODAY)
    assert e.factors["processing"].value == 0.0
    assert "COVERED_CHAIN" in e.flags
    allied_feed = score(
        co(seg("separation", "US", "producing", feed_origin="AU")), MODEL, JUR, today=TODAY
    )
    assert allied_feed.factors["processing"].value == pytest.approx(0.45)


def test_unknown_feed_scores_below_verified_feed_and_its_interval_holds_both() -> None:
    unknown = score(co(seg("magnet", "US", "producing", feed_origin=None)), MODEL, JUR, today=TODAY)
    verified = score(
        co(seg("magnet", "US", "producing", feed_origin="AU")), MODEL, JUR, today=TODAY
    )
    chinese = score(co(seg("magnet", "US", "producing", feed_origin="CN")), MODEL, JUR, today=TODAY)
    assert unknown.score < verified.score
    assert unknown.low <= chinese.score and verified.score <= unknown.high
    assert unknown.low == pytest.approx(chinese.score) and unknown.high == pytest.approx(
        verified.score
    )
    assert "FEED_UNKNOWN" in unknown.flags and "FEED_UNKNOWN" not in verified.flags


# --- v2: purity -------------------------------------------------------------------------------


def test_purity_unknown_counts_half_within_zero_to_one_and_flags() -> None:
    e = score(co(ree_revenue_share=None, revenue_basis=None), MODEL, JUR, today=TODAY)
    f = e.factors["purity"]
    assert (f.low, f.value, f.high) == (0.0, 0.5, 1.0)
    assert "PURITY_UNKNOWN" in e.flags
    assert [d.kind for d in e.drivers] == ["revenue_share"]


@pytest.mark.parametrize(
    ("status", "readiness"), [("exploration", 0.10), ("development", 0.35), ("producing", 1.0)]
)
def test_pre_revenue_purity_is_share_times_readiness(status: str, readiness: float) -> None:
    c = co(seg("mining", "AU", status), ree_revenue_share=0.9, revenue_basis="pre_revenue")
    e = score(c, MODEL, JUR, today=TODAY)
    assert e.factors["purity"].value == pytest.approx(0.9 * readiness)


def test_exploration_only_pre_revenue_gets_at_most_a_tenth_of_purity() -> None:
    c = co(seg("mining", "AU", "exploration"), ree_revenue_share=1.0, revenue_basis="pre_revenue")
    e = score(c, MODEL, JUR, today=TODAY)
    assert e.factors["purity"].points <= 0.1 * 1.0 * 100 * MODEL.weights["purity"] + 1e-12


# --- v2: support ------------------------------------------------------------------------------


def test_support_summed_and_capped() -> None:
    sup = tuple(Support("price_floor", "US DoD", "US", sources=("S1",)) for _ in range(3))
    e = score(co(support=sup), MODEL, JUR, today=TODAY)
    assert e.factors["support"].value == 1.0
    e2 = score(
        co(support=(Support("strategic_offtake", "JOGMEC", "JP", sources=("S1",)),)),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e2.factors["support"].value == pytest.approx(0.3)


def test_support_not_for_rare_earths_adds_nothing() -> None:
    base = co(seg("mining", "US", "producing"))
    other = replace(
        base,
        support=(Support("government_grant", "DOE", "US", sources=("S1",), ree_related=False),),
    )
    a, b = (score(x, MODEL, JUR, today=TODAY) for x in (base, other))
    assert b.factors["support"].value == 0.0 and b.score == a.score
    assert "not for rare earths: DOE" in (b.factors["support"].note or "")


# --- v2: the evidence interval ------------------------------------------------------------------


def test_fully_known_profile_has_no_interval() -> None:
    e = score(
        co(seg("mining", "US", "producing"), seg("magnet", "JP", "commissioning")),
        MODEL,
        JUR,
        today=TODAY,
    )
    assert e.low == e.score == e.high and e.drivers == ()


SEGMENT = st.builds(
    lambda stage, country, status, cap, fo, heavy: Segment(
        stage=stage,  # type: ignore[arg-type]
        country=country,
        status=status,  # type: ignore[arg-type]
        capacity_tpa=cap,
        feed_origin=fo if stage in ("separation", "metal_alloy", "magnet") else None,
        heavy_ree=heavy,
        sources=("S1",),
    ),
    st.sampled_from(["mining", "separation", "metal_alloy", "magnet", "recycling"]),
    st.sampled_from(["US", "AU", "CA", "MY", "BR", "MM", "CN"]),
    st.sampled_from(list(MODEL.maturity)),
    st.one_of(st.none(), st.floats(0, 50000)),
    st.one_of(st.none(), st.sampled_from(["captive", "AU", "CN", "MM", "BR"])),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    segments=st.lists(SEGMENT, max_size=6),
    share=st.one_of(st.none(), st.floats(0, 1)),
    basis=st.sampled_from(["reported", "estimated", "pre_revenue"]),
    ownership=st.floats(0, 100),
)
def test_interval_holds_the_score(
    segments: list[Segment], share: float | None, basis: str, ownership: float
) -> None:
    c = co(
        *segments,
        ree_revenue_share=share,
        revenue_basis=basis,
        china=ChinaLinks(ownership_pct=ownership, sources=("S1",)),
    )
    e = score(c, MODEL, JUR, today=TODAY)
    assert e.low <= e.score + 1e-9 and e.score <= e.high + 1e-9
    for d in e.drivers:  # one unknown alone never moves the score outside the interval
        assert e.low - 1e-9 <= d.low <= d.high <= e.high + 1e-9
    unknown = share is None or any(
        s.capacity_tpa is None
        or (s.stage in ("separation", "metal_alloy", "magnet") and s.feed_origin is None)
        for s in segments
    )
    if not unknown:
        assert e.low == e.score == e.high


def test_confidence_lowered_when_a_scored_fact_rests_on_secondary_sources_alone() -> None:
    blog = Citation("S2", "https://blog.example", "2025-12-01", "a blog", kind="secondary")
    c = co(
        Segment("mining", "US", "producing", capacity_tpa=20000, sources=("S2",)),
        sources=(Citation("S1", "https://e.org", "2025-12-01", "t", kind="company"), blog),
        confidence="high",
    )
    e = score(c, MODEL, JUR, today=TODAY)
    assert e.confidence == "medium"
    assert e.confidence_note == "lowered from high: secondary sources only for mining at US"
    primary = score(
        replace(c, segments=(seg("mining", "US", "producing"),)), MODEL, JUR, today=TODAY
    )
    assert primary.confidence == "high" and primary.confidence_note is None


def test_aligned_tier_members_cite_their_agreement() -> None:
    assert JUR.tier("MY") == "aligned" and JUR.weight("MY") == 0.70
    for code in JUR.members("aligned"):
        assert JUR.sources[code].url.startswith("https://") and JUR.sources[code].date, code


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
    """The overlay's own shape first (an unknown key), then the merged weights' sum."""
    from screener.errors import UniverseError

    path = tmp_path / "w.yaml"
    path.write_text("weights:\n  sourcing: 0.5\n  bogus: 1\n", encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load_model(path)
    assert info.value.problems == [
        "w.yaml:3:3: weights.bogus: unknown key (allowed: sourcing, processing, recycling, "
        "heavy_ree, purity, support)",
    ]
    path.write_text("weights:\n  sourcing: 0.5\n", encoding="utf-8")
    with pytest.raises(UniverseError) as info:
        load_model(path)
    assert info.value.problems == [
        "w.yaml:1:1: weights: sum to 1.2500; they must sum to 1 (within 1e-06) so scores stay "
        "within 0-100: change one weight by the difference",
    ]
