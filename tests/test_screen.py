"""screener/screen/table.py: gates (§8), quadrants, Pareto frontier, exposure per vol, percentiles and
Dirichlet rank robustness (§10) of docs/exposure-model.md.

Hand-checked cases carry the arithmetic in comments; property tests check the definitions on
random inputs. All price-side numbers here are synthetic (seeded or hand-written), never Yahoo.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from screener.screen.table import build, gates, pareto_frontier, quadrants, rank_robustness
from screener.universe.exposure import Exposure, Factor
from screener.universe.model import FACTORS, Model, load_model
from screener.universe.scored import Scored, load_scored

FIXTURES = Path(__file__).parent / "fixtures"
MVIS = {"min_market_cap_usd": 150e6, "min_adv_usd": 1e6}


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def dominates(sa: float, va: float, sb: float, vb: float) -> bool:
    """a dominates b: score at least as high, vol at most as high, one of the two strictly."""
    return sa >= sb and va <= vb and (sa > sb or va < vb)


def model_with(**robust: Any) -> Model:
    """The shipped model with some ``rank_robustness`` parameters replaced."""
    base = load_model()
    raw = copy.deepcopy(dict(base.raw))
    raw["rank_robustness"].update(robust)
    return Model(raw, base.path, base.override)


def synthetic_scored(
    values: dict[str, dict[str, float]], model: Model, mult: dict[str, float] | None = None
) -> Any:
    """Synthetic exposures (factor values given, other factors 0) in a Scored-shaped holder:
    rank_robustness reads only ``exposures`` and the model passed to it."""
    mult = mult or {}
    exposures = {}
    for cid, fv in values.items():
        factors = {f: Factor(f, float(fv.get(f, 0.0)), float(model.weights[f])) for f in FACTORS}
        raw = sum(x.points for x in factors.values())
        m = mult.get(cid, 1.0)
        exposures[cid] = Exposure(
            cid, m * raw, raw, m, factors, (), (), date(2026, 1, 5), 0, "high"
        )
    return SimpleNamespace(exposures=exposures, model=model)


def base_scores(scored: Any, ids: list[str]) -> list[float]:
    return [scored.exposures[i].score for i in ids]


# ------------------------------------------------------------------------------------------
# Pareto frontier
# ------------------------------------------------------------------------------------------


def test_frontier_simple() -> None:
    # A(80, .5) B(60, .3) C(50, .4) D(90, .9) E(70, .6)
    # C is dominated by B (60 ≥ 50 at .3 ≤ .4); E by A (80 ≥ 70 at .5 ≤ .6).
    # A, B, D: nobody scores higher at lower vol → frontier.
    s = pd.Series([80.0, 60.0, 50.0, 90.0, 70.0], index=list("ABCDE"))
    v = pd.Series([0.5, 0.3, 0.4, 0.9, 0.6], index=list("ABCDE"))
    assert pareto_frontier(s, v).to_dict() == {
        "A": True,
        "B": True,
        "C": False,
        "D": True,
        "E": False,
    }


def test_frontier_with_ties() -> None:
    # X(50, .3) beats Y(40, .3): same vol, higher score.          → X on, Y off
    # P(60, .4) beats Q(60, .5): same score, lower vol.           → P on, Q off
    # R1 = R2 = (70, .6): neither is strictly better than the other, and nobody else has
    #   ≥ 70 at ≤ .6                                               → both on
    idx = ["X", "Y", "P", "Q", "R1", "R2"]
    s = pd.Series([50.0, 40.0, 60.0, 60.0, 70.0, 70.0], index=idx)
    v = pd.Series([0.3, 0.3, 0.4, 0.5, 0.6, 0.6], index=idx)
    assert pareto_frontier(s, v).to_dict() == {
        "X": True,
        "Y": False,
        "P": True,
        "Q": False,
        "R1": True,
        "R2": True,
    }


def test_frontier_duplicates_of_a_dominated_point_stay_off() -> None:
    # (10, .9) twice, both dominated by (20, .1).
    s = pd.Series([20.0, 10.0, 10.0], index=["a", "b", "c"])
    v = pd.Series([0.1, 0.9, 0.9], index=["a", "b", "c"])
    assert pareto_frontier(s, v).tolist() == [True, False, False]


def test_frontier_missing_vol_is_never_on_it() -> None:
    s = pd.Series([99.0, 10.0, 5.0], index=["no_vol", "b", "no_score"])
    v = pd.Series([np.nan, 0.5, 0.1])
    v.index = s.index
    s["no_score"] = np.nan
    assert pareto_frontier(s, v).to_dict() == {"no_vol": False, "b": True, "no_score": False}
    assert not pareto_frontier(s, pd.Series(np.nan, index=s.index)).any()


points = st.lists(
    st.tuples(st.integers(0, 6), st.integers(1, 6)),  # a small grid: ties and duplicates are common
    min_size=1,
    max_size=25,
)


@given(points)
def test_frontier_is_exactly_the_undominated_set(pts: list[tuple[int, int]]) -> None:
    s = pd.Series([float(a) for a, _ in pts])
    v = pd.Series([b / 10 for _, b in pts])
    on = pareto_frontier(s, v)
    for i in range(len(pts)):
        dominated = any(dominates(s[j], v[j], s[i], v[i]) for j in range(len(pts)) if j != i)
        # frontier point: dominated by nobody; other point: dominated by somebody
        assert bool(on[i]) is (not dominated), (i, pts)
    assert on.any()  # the highest score at its lowest vol is always on it


# ------------------------------------------------------------------------------------------
# quadrants
# ------------------------------------------------------------------------------------------


def test_quadrants_four_corners() -> None:
    # scores 10 20 30 40 → median 25; vols .2 .6 .4 .8 → median .5
    s = pd.Series([10.0, 20.0, 30.0, 40.0], index=list("abcd"))
    v = pd.Series([0.2, 0.6, 0.4, 0.8], index=list("abcd"))
    assert quadrants(s, v).to_dict() == {
        "a": "low_exp_low_vol",  # 10 < 25, .2 ≤ .5
        "b": "low_exp_high_vol",  # 20 < 25, .6 > .5
        "c": "high_exp_low_vol",  # 30 ≥ 25, .4 ≤ .5
        "d": "high_exp_high_vol",  # 40 ≥ 25, .8 > .5
    }


def test_quadrants_median_itself_counts_as_high_exposure_and_low_vol() -> None:
    # odd count: the middle name sits exactly on both medians (20, .4)
    s = pd.Series([10.0, 20.0, 30.0], index=list("abc"))
    v = pd.Series([0.8, 0.4, 0.1], index=list("abc"))
    assert quadrants(s, v)["b"] == "high_exp_low_vol"


def test_quadrants_medians_ignore_names_without_vol() -> None:
    # Without 'x' the medians are 20 and .4, so 'b' (20) is high exposure. Were 'x' (score 100,
    # no vol) counted, the score median would be 25 and 'b' would turn low.
    s = pd.Series([10.0, 20.0, 30.0, 100.0], index=list("abcx"))
    v = pd.Series([0.8, 0.4, 0.1, np.nan], index=list("abcx"))
    q = quadrants(s, v)
    assert q["x"] is None
    assert q.to_dict() == {
        "a": "low_exp_high_vol",
        "b": "high_exp_low_vol",
        "c": "high_exp_low_vol",
        "x": None,
    }


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 3)), min_size=1, max_size=40))
def test_quadrant_counts_balance_around_the_medians(pts: list[tuple[float, float]]) -> None:
    s = pd.Series([a for a, _ in pts])
    v = pd.Series([b for _, b in pts])
    q = quadrants(s, v)
    hi = q.str.startswith("high_exp")
    lo_vol = q.str.endswith("low_vol")
    assert int(hi.sum()) == int((s >= s.median()).sum())
    assert int(lo_vol.sum()) == int((v <= v.median()).sum())
    # at least half on each "inclusive" side of a median; with distinct values, a split of
    # n/2 : n/2 (even n) or (n+1)/2 : (n-1)/2 (odd n). For even n the median is the mean of
    # the two middle values, which floating point can round onto one of them when they are a
    # few ulps apart (0.01 and 0.010000000000000002): then the split is not even, rightly.
    n = len(pts)
    assert 2 * hi.sum() >= n and 2 * lo_vol.sum() >= n

    def strictly_between(x: pd.Series) -> bool:
        return n % 2 == 1 or not (x == x.median()).any()

    if s.is_unique and strictly_between(s):
        assert hi.sum() == (n + 1) // 2
    if v.is_unique and strictly_between(v):
        assert lo_vol.sum() == (n + 1) // 2


# ------------------------------------------------------------------------------------------
# gates (§8)
# ------------------------------------------------------------------------------------------


def _gates(cap: list[float], adv: list[float], preset: dict[str, Any] = MVIS) -> pd.DataFrame:
    idx = [f"c{i}" for i in range(len(cap))]
    return gates(
        pd.DataFrame({"market_cap_usd": cap}, index=idx), preset, pd.Series(adv, index=idx)
    )


def test_gate_mvis_pass_and_fail() -> None:
    g = _gates([200e6, 100e6, 200e6, 100e6], [2e6, 2e6, 0.5e6, 0.5e6])
    assert g["gate_market_cap"].tolist() == [True, False, True, False]
    assert g["gate_adv"].tolist() == [True, True, False, False]
    assert g["gate_pass"].tolist() == [True, False, False, False]


def test_gate_at_the_threshold_passes() -> None:
    # "market cap ≥ USD 150m, ADV ≥ USD 1m": equal counts as a pass
    g = _gates([150e6], [1e6])
    assert g["gate_pass"].tolist() == [True]


def test_gate_unknown_market_cap() -> None:
    # unknown cap + good ADV → unknown (None), not a fail; unknown cap + bad ADV → a fail
    g = _gates([np.nan, np.nan], [2e6, 0.5e6])
    assert g["gate_market_cap"].tolist() == [None, None]
    assert g["gate_pass"].tolist() == [None, False]
    # the values are real None / bool objects, not NaN or numpy bools
    assert all(x is None or type(x) is bool for x in g.to_numpy().ravel())


def test_gate_unknown_volume() -> None:
    g = _gates([200e6, 100e6], [np.nan, np.nan])
    assert g["gate_adv"].tolist() == [None, None]
    assert g["gate_pass"].tolist() == [None, False]


def test_gate_no_market_cap_column_is_unknown() -> None:
    idx = ["a"]
    g = gates(pd.DataFrame({"vol_1y": [0.5]}, index=idx), MVIS, pd.Series([2e6], index=idx))
    assert g.loc["a"].tolist() == [None, True, None]


def test_gate_preset_none_passes_everything_even_unknown() -> None:
    none = load_model().gate("none")
    g = _gates([np.nan, 1.0], [np.nan, 0.0], preset=none)
    assert g["gate_pass"].tolist() == [True, True]


def test_gate_eqm_thresholds_from_the_model() -> None:
    # eqm: cap ≥ 250m, ADV ≥ 0.5m. 200m fails eqm though it passes mvis; 0.6m ADV passes eqm.
    eqm = load_model().gate("eqm")
    g = _gates([200e6, 300e6], [0.6e6, 0.6e6], preset=eqm)
    assert g["gate_pass"].tolist() == [False, True]


# ------------------------------------------------------------------------------------------
# rank robustness (§10)
# ------------------------------------------------------------------------------------------


def test_rank_robustness_needs_three_names() -> None:
    m = load_model()
    sc = synthetic_scored({"a": {"sourcing": 1.0}, "b": {"purity": 0.5}}, m)
    r = rank_robustness(sc, ["a", "b"], m)
    assert r.median_kendall_tau is None
    assert r.table["rank_median"].isna().all()
    assert not r.table["rank_unstable"].any()


def test_rank_robustness_huge_concentration_reproduces_the_base_ranking() -> None:
    # scores: a 25 (sourcing 1 × .25), b 30 (processing 1 × .30), c 15 (purity 1 × .15),
    # d 0.5 (support .1 × .05) → base ranks b 1, a 2, c 3, d 4
    m = model_with(concentration=1e12)
    sc = synthetic_scored(
        {
            "a": {"sourcing": 1.0},
            "b": {"processing": 1.0},
            "c": {"purity": 1.0},
            "d": {"support": 0.1},
        },
        m,
    )
    r = rank_robustness(sc, ["a", "b", "c", "d"], m)
    assert r.table["rank_median"].to_dict() == {"a": 2, "b": 1, "c": 3, "d": 4}
    assert (r.table["rank_p05"] == r.table["rank_median"]).all()
    assert (r.table["rank_p95"] == r.table["rank_median"]).all()
    assert r.median_kendall_tau == pytest.approx(1.0)
    assert not r.table["rank_unstable"].any()


def test_rank_robustness_specialists_under_flat_weights_are_unstable() -> None:
    # Three one-factor specialists. With concentration 1 the draws swing the weights so much
    # that each name is first in some draws and last in others: interval 1–3, width 2, more
    # than a third of 3 names (1.0) → unstable. The same names at concentration 1e12 are stable.
    vals = {"a": {"sourcing": 1.0}, "b": {"processing": 1.0}, "c": {"purity": 1.0}}
    loose = model_with(concentration=1.0)
    r = rank_robustness(synthetic_scored(vals, loose), list(vals), loose)
    assert r.table["rank_p05"].tolist() == [1, 1, 1]
    assert r.table["rank_p95"].tolist() == [3, 3, 3]
    assert r.table["rank_unstable"].all()
    assert r.median_kendall_tau is not None and r.median_kendall_tau < 1.0
    tight = model_with(concentration=1e12)
    assert (
        not rank_robustness(synthetic_scored(vals, tight), list(vals), tight)
        .table["rank_unstable"]
        .any()
    )


def test_rank_robustness_zero_weight_factor_stays_zero() -> None:
    # support weight 0 (its 0.05 moved to sourcing): 'z' lives on support alone, so it scores 0
    # in every draw and is last every time, however loose the draws.
    base = model_with(concentration=1.0)
    w = dict(base.weights)
    w["sourcing"], w["support"] = w["sourcing"] + w["support"], 0.0
    m = base.with_weights(w)
    vals = {
        "a": {"sourcing": 0.01},
        "b": {"processing": 0.01},
        "c": {"purity": 0.01},
        "z": {"support": 1.0},
    }
    r = rank_robustness(synthetic_scored(vals, m), list(vals), m)
    assert (r.table.loc["z", ["rank_median", "rank_p05", "rank_p95"]] == 4).all()


def test_rank_robustness_is_seeded() -> None:
    m = model_with(concentration=2.0)
    vals = {k: {"sourcing": i / 10, "processing": (9 - i) / 10} for i, k in enumerate("abcdefg")}
    sc = synthetic_scored(vals, m)
    one, two = rank_robustness(sc, list(vals), m), rank_robustness(sc, list(vals), m)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.median_kendall_tau == two.median_kendall_tau
    assert (one.draws, one.seed) == (500, 20251030)


factor_rows = st.lists(
    st.fixed_dictionaries({f: st.integers(0, 10).map(lambda k: k / 10) for f in FACTORS}),
    min_size=3,
    max_size=8,
)


def test_rank_robustness_varies_the_unknowns_within_their_interval() -> None:
    # Fixed weights (concentration 1e12), so only evidence moves ranks. "sure" scores 30
    # (processing 1.0). "unsure" scores 27.5 (sourcing 0.8 = 20, purity 0.5 = 7.5) with an
    # unknown revenue share, so anywhere from 20 to 35: first in the draws where u > 2/3.
    # "floor" scores 5 and has no unknown.
    m = model_with(concentration=1e12)
    sc = synthetic_scored(
        {
            "sure": {"processing": 1.0},
            "unsure": {"sourcing": 0.8, "purity": 0.5},
            "floor": {"support": 1.0},
        },
        m,
    )
    unsure = sc.exposures["unsure"]
    factors = dict(unsure.factors)
    factors["purity"] = replace(factors["purity"], low=0.0, high=1.0)
    sc.exposures["unsure"] = replace(unsure, factors=factors)
    r = rank_robustness(sc, ["sure", "unsure", "floor"], m)
    assert r.table.loc["unsure", "rank_p05"] == 1 and r.table.loc["unsure", "rank_p95"] == 2
    assert r.table.loc["floor", "rank_p05"] == r.table.loc["floor", "rank_p95"] == 3
    # Without the unknown the same names never swap.
    fixed = rank_robustness(
        synthetic_scored(
            {
                "sure": {"processing": 1.0},
                "unsure": {"sourcing": 0.8, "purity": 0.5},
                "floor": {"support": 1.0},
            },
            m,
        ),
        ["sure", "unsure", "floor"],
        m,
    )
    assert (fixed.table["rank_p05"] == fixed.table["rank_p95"]).all()


@settings(max_examples=40, deadline=None)
@given(factor_rows, st.permutations(list(range(8))))
def test_rank_robustness_concentration_huge_gives_zero_width(
    rows: list[dict[str, float]], perm: list[int]
) -> None:
    m = model_with(concentration=1e12, draws=50)
    ids = [f"c{k}" for k in perm if k < len(rows)]  # ids in an arbitrary order
    vals = {f"c{k}": rows[k] for k in range(len(rows))}
    sc = synthetic_scored(vals, m)
    scores = base_scores(sc, ids)
    # distinct base scores, far apart compared with the draws' noise (~1e-4 points at 1e12)
    assume(min(abs(x - y) for i, x in enumerate(scores) for y in scores[i + 1 :]) > 0.01)
    r = rank_robustness(sc, ids, m)
    expected = {cid: 1 + sum(o > s for o in scores) for cid, s in zip(ids, scores, strict=True)}
    assert r.table["rank_median"].to_dict() == expected
    assert ((r.table["rank_p95"] - r.table["rank_p05"]) == 0).all()
    assert r.median_kendall_tau == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------
# build: the shipped universe with a synthetic metrics frame
# ------------------------------------------------------------------------------------------

TODAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def shipped() -> Scored:
    return load_scored("rare_earths", today=TODAY)


def synthetic_risk(
    scored: Scored, *, seed: int = 11, drop: tuple[str, ...] = ("USAR",)
) -> pd.DataFrame:
    """SYNTHETIC metrics for the primary listings (seeded), as ``metrics.compute`` shapes them:
    one row per ticker. ``drop`` tickers get no row (no stored prices); LYC.AX has an unknown
    market cap; SPY (a benchmark, not screened) is included and must be ignored."""
    rng = np.random.default_rng(seed)
    tickers = [c.primary_ticker for c in scored.universe.listed if c.primary_ticker not in drop]
    cap = 10 ** rng.uniform(7, 10.5, len(tickers))
    frame = pd.DataFrame(
        {
            "vol_1y": rng.uniform(0.2, 1.2, len(tickers)),
            "adv_3m_usd": cap * rng.uniform(0.0005, 0.01, len(tickers)),
            "market_cap_usd": cap,
        },
        index=pd.Index(tickers, name="ticker"),
    )
    frame.loc["LYC.AX", "market_cap_usd"] = np.nan
    frame.loc["SPY"] = [0.18, 5e10, np.nan]
    return frame


@pytest.fixture(scope="module")
def screened(shipped: Scored) -> tuple[pd.DataFrame, Any, pd.DataFrame]:
    risk = synthetic_risk(shipped)
    table, robust = build(shipped, risk, preset="mvis")
    return table, robust, risk


DOCUMENTED_COLUMNS = (
    ["rank", "ticker", "name", "hq", "score", "raw_score", "china_multiplier", "flags"]
    + [f"{f}_{k}" for f in FACTORS for k in ("value", "points")]
    + [
        "vol_1y",
        "adv_3m_usd",
        "market_cap_usd",
        "adv_gate_usd",
        "gate_market_cap",
        "gate_adv",
        "gate_pass",
        "exposure_per_vol",
        "quadrant",
        "frontier",
        "pct_score",
        "pct_vol_1y",
        "pct_exposure_per_vol",
        "rank_median",
        "rank_p05",
        "rank_p95",
        "rank_unstable",
    ]
)


def test_build_rows_are_the_listed_companies_by_score(shipped: Scored, screened: Any) -> None:
    table, _, _ = screened
    listed = {c.id for c in shipped.universe.listed}
    assert set(table.index) == listed and len(table) == len(listed)
    assert table["rank"].tolist() == list(range(1, len(listed) + 1))
    assert table["score"].is_monotonic_decreasing
    assert set(DOCUMENTED_COLUMNS) <= set(table.columns)
    # gates and pairing sit beside the score; they never change it
    for cid, row in table.iterrows():
        e = shipped.exposures[str(cid)]
        assert row["score"] == e.score and row["raw_score"] == e.raw_score
        assert row["sourcing_points"] == pytest.approx(100 * e.factors["sourcing"].value * 0.25)
    assert table.loc["mp-materials", "rank"] == 1


def test_build_metrics_follow_the_primary_ticker(shipped: Scored, screened: Any) -> None:
    table, _, risk = screened
    assert "SPY" not in set(table["ticker"])
    for _, row in table.iterrows():
        t = row["ticker"]
        if t in risk.index:
            assert row["vol_1y"] == risk.at[t, "vol_1y"]
            assert row["exposure_per_vol"] == pytest.approx(row["score"] / row["vol_1y"])
    # USAR has no metrics row: NaN metrics, unknown gates, no quadrant, off the frontier
    usar = table.loc["usa-rare-earth"]
    assert np.isnan(usar["vol_1y"]) and np.isnan(usar["exposure_per_vol"])
    assert usar["gate_pass"] is None and usar["gate_market_cap"] is None
    assert usar["quadrant"] is None and not usar["frontier"]
    assert np.isnan(usar["pct_vol_1y"])


def test_build_gates_match_the_mvis_thresholds(screened: Any) -> None:
    table, _, _ = screened
    for _, row in table.iterrows():
        cap, adv = row["market_cap_usd"], row["adv_3m_usd"]
        want_cap = None if np.isnan(cap) else bool(cap >= 150e6)
        want_adv = None if np.isnan(adv) else bool(adv >= 1e6)
        assert row["gate_market_cap"] is want_cap
        assert row["gate_adv"] is want_adv
        want = (
            False
            if False in (want_cap, want_adv)
            else None
            if None in (want_cap, want_adv)
            else True
        )
        assert row["gate_pass"] is want
    assert table.loc["lynas-rare-earths", "gate_market_cap"] is None  # synthetic unknown cap


def test_build_pairing_matches_an_independent_computation(screened: Any) -> None:
    table, _, _ = screened
    priced = table[table["vol_1y"].notna()]
    ms, mv = float(np.median(priced["score"])), float(np.median(priced["vol_1y"]))
    for cid, row in priced.iterrows():
        want_q = f"{'high' if row['score'] >= ms else 'low'}_exp_{'low' if row['vol_1y'] <= mv else 'high'}_vol"
        assert row["quadrant"] == want_q, cid
        dominated = any(
            dominates(o["score"], o["vol_1y"], row["score"], row["vol_1y"])
            for oid, o in priced.iterrows()
            if oid != cid
        )
        assert bool(row["frontier"]) is not dominated, cid
    # percentile rank (average ties) = rank / n, computed with scipy as an independent check
    from scipy.stats import rankdata

    assert np.allclose(table["pct_score"], rankdata(table["score"]) / len(table))
    assert np.allclose(priced["pct_vol_1y"], rankdata(priced["vol_1y"]) / len(priced))
    assert table["pct_score"].max() == 1.0


def test_build_zero_vol_gives_no_exposure_per_vol(shipped: Scored) -> None:
    risk = synthetic_risk(shipped)
    risk.loc["MP", "vol_1y"] = 0.0
    table, _ = build(shipped, risk, preset="mvis")
    assert np.isnan(table.loc["mp-materials", "exposure_per_vol"])


def test_build_adv_gate_override_replaces_adv_3m(shipped: Scored) -> None:
    # eqm uses a 6-month ADV: the caller passes it by ticker; the 3-month column is not used
    risk = synthetic_risk(shipped)
    risk["adv_3m_usd"] = 0.0  # would fail every ADV gate
    adv6 = pd.Series(1e6, index=risk.index)  # ≥ 0.5m → passes eqm's ADV gate
    table, _ = build(shipped, risk, preset="eqm", adv_gate_usd=adv6)
    priced = table["vol_1y"].notna()
    assert (table.loc[priced, "adv_gate_usd"] == 1e6).all()
    assert all(g is True for g in table.loc[priced, "gate_adv"])
    assert table.loc["usa-rare-earth", "gate_adv"] is None  # not in the override either


def test_build_rank_robustness_on_the_shipped_universe(screened: Any) -> None:
    table, robust, _ = screened
    assert (robust.draws, robust.concentration, robust.seed) == (500, 50.0, 20251030)
    assert robust.median_kendall_tau is not None and -1 <= robust.median_kendall_tau <= 1
    assert (table["rank_p05"] <= table["rank_median"]).all()
    assert (table["rank_median"] <= table["rank_p95"]).all()
    n = len(table)
    assert table["rank_p05"].min() >= 1 and table["rank_p95"].max() <= n
    # names with China multiplier 0 score 0 under any weights: fixed at the bottom, width 0
    zero = table[table["china_multiplier"] == 0]
    assert len(zero) >= 1
    assert (zero["rank_p05"] == zero["rank_p95"]).all()
    assert (zero["rank_median"] > n - len(zero)).all()


def test_build_worked_example_single_company() -> None:
    # the §6 worked example (exposure 58.9559) with SYNTHETIC vol 0.5 and gates passing
    sc = load_scored(FIXTURES / "worked_example.yaml", today=date(2025, 7, 10))
    risk = pd.DataFrame(
        {"vol_1y": [0.5], "adv_3m_usd": [2e6], "market_cap_usd": [2e8]}, index=["EXM"]
    )
    table, robust = build(sc, risk, preset="mvis")
    row = table.loc["example-miner"]
    assert row["score"] == pytest.approx(58.9559, abs=5e-5)
    assert row["exposure_per_vol"] == pytest.approx(row["score"] / 0.5)
    assert row["gate_pass"] is True
    assert row["quadrant"] == "high_exp_low_vol"  # alone, it sits on both medians
    assert bool(row["frontier"]) and row["pct_score"] == 1.0
    assert robust.median_kendall_tau is None and np.isnan(row["rank_median"])


def test_build_without_robustness_leaves_the_rank_interval_unknown(shipped: Scored) -> None:
    # ad hoc lookups skip the re-rankings: unknown (NaN / None), never "stable" or "unstable"
    table, robust = build(shipped, synthetic_risk(shipped), preset="mvis", robustness=False)
    assert robust.median_kendall_tau is None
    assert table[["rank_median", "rank_p05", "rank_p95"]].isna().all().all()
    assert table["rank_unstable"].isna().all()
    assert table["rank"].tolist() == list(
        range(1, len(table) + 1)
    )  # the ranking itself is unaffected
