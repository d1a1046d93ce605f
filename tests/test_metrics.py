"""screener.metrics: registry, hand-checked cases, reasons, USD conversion, quality, input errors.

All price data here is SYNTHETIC and seeded; fixtures are named for what they contain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from screener import settings
from screener.errors import PriceDataError
from screener.metrics import METRICS, adv_usd, compute, compute_detailed, min_obs, quality
from screener.metrics import risk as risk_mod
from screener.metrics.registry import Metric

TOL = 1e-9


def walk(days: int, seed: int, sigma: float = 0.02, start: str = "2024-01-01") -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=days)
    return pd.Series(50.0 * np.exp(np.cumsum(rng.normal(0, sigma, days))), index=idx)


@pytest.fixture
def one_crash() -> pd.DataFrame:
    """300 business days, one ticker falls 60 % in one day (day 200) and never recovers."""
    s = walk(300, 1, sigma=0.01)
    crash = s.copy()
    crash.iloc[200:] *= 0.4
    return pd.DataFrame({"CRASH": crash, "CALM": s})


@pytest.fixture
def too_short() -> pd.DataFrame:
    """41 closes (40 daily returns): enough for 1m metrics, not for 1y ones."""
    return walk(41, 2).to_frame("NEW")


# --- registry -----------------------------------------------------------------------------------


def test_registry_drives_the_columns(one_crash: pd.DataFrame) -> None:
    out = compute(one_crash)
    assert list(out.columns) == list(METRICS)
    assert list(out.index) == ["CRASH", "CALM"]


def test_every_metric_is_documented() -> None:
    units = {"return", "annualised", "ratio", "USD", "days", "percentile", "correlation"}
    for name, m in METRICS.items():
        assert isinstance(m, Metric) and m.name == name
        assert m.label and m.description and m.formula and m.reference, name
        assert m.unit in units, name
        if m.window is not None and m.need is not None and m.obs != "weekly returns":
            assert m.need <= m.window + 1, name


def test_min_obs_rule_is_ninety_percent_rounded_up() -> None:
    assert [min_obs(w) for w in (21, 63, 252, 756)] == [19, 57, 227, 681]


def test_usd_twins_exist_for_returns_and_vol() -> None:
    for stem in ("ret_1w", "ret_1m", "ret_3m", "ret_ytd", "ret_1y", "vol_1m", "vol_3m", "vol_1y"):
        assert METRICS[stem + "_usd"].currency == "usd"


# --- reasons ------------------------------------------------------------------------------------


def test_too_short_gives_nan_and_a_reason(too_short: pd.DataFrame) -> None:
    res = compute_detailed(too_short)
    v, why = res.values.loc["NEW"], res.reasons.loc["NEW"]
    assert np.isnan(v["vol_1y"]) and why["vol_1y"] == "needs 227 daily returns, has 40"
    assert np.isnan(v["ret_1y"]) and why["ret_1y"] == "needs 253 closes, has 41"
    assert not np.isnan(v["vol_1m"]) and why["vol_1m"] is None
    assert why["beta_spy"] == "no SPY prices in benchmarks"
    assert why["adv_3m_usd"] == "no volume data"
    # every NaN carries a reason, every number none
    assert (res.values.isna() == res.reasons.notna()).all().all()


def test_reasons_frame_has_the_shape_of_values(one_crash: pd.DataFrame) -> None:
    res = compute_detailed(one_crash)
    assert res.reasons.shape == res.values.shape
    assert list(res.reasons.columns) == list(res.values.columns)


# --- hand-checked values -------------------------------------------------------------------------


def test_ret_ytd_from_last_close_of_previous_year() -> None:
    idx = pd.DatetimeIndex(["2024-12-27", "2024-12-30", "2024-12-31", "2025-01-02", "2025-01-03"])
    close = pd.DataFrame(
        {
            "FULL": [90.0, 100.0, 110.0, 121.0, 132.0],  # base 110 -> 132/110 - 1 = 0.2
            "HOLIDAY": [90.0, 100.0, np.nan, 120.0, 125.0],  # base = 30 Dec close 100 -> 0.25
            "NEWCO": [np.nan, np.nan, np.nan, 10.0, 11.0],  # no close in 2024
            "IDLE": [90.0, 100.0, 110.0, np.nan, np.nan],  # no close in 2025
        },
        index=idx,
    )
    res = compute_detailed(close)
    ytd = res.values["ret_ytd"]
    assert ytd["FULL"] == pytest.approx(0.2, abs=1e-12)
    assert ytd["HOLIDAY"] == pytest.approx(0.25, abs=1e-12)
    assert np.isnan(ytd["NEWCO"]) and "to start from" in res.reasons.loc["NEWCO", "ret_ytd"]
    assert (
        np.isnan(ytd["IDLE"])
        and res.reasons.loc["IDLE", "ret_ytd"] == "no close in 2025 up to as_of"
    )
    # as_of cuts the frame: measured at 2 Jan, FULL is 121/110 - 1
    assert compute(close, as_of="2025-01-02").loc["FULL", "ret_ytd"] == pytest.approx(
        0.1, abs=1e-12
    )


def test_dd_from_high() -> None:
    up = np.linspace(100, 200, 200)
    down = np.linspace(200, 150, 61)[1:]
    close = pd.DataFrame({"X": np.r_[up, down]}, index=pd.bdate_range("2024-01-01", periods=260))
    assert compute(close).loc["X", "dd_from_high"] == pytest.approx(150 / 200 - 1, abs=1e-12)


def test_one_crash_drawdown_jump_and_tail(one_crash: pd.DataFrame) -> None:
    res = compute_detailed(one_crash)
    v = res.values
    assert v.loc["CRASH", "max_dd_1y"] <= -0.6 + 1e-12
    assert v.loc["CRASH", "cvar95_hist"] <= v.loc["CRASH", "var95_hist"]
    assert v.loc["CRASH", "kurt_1y"] > 50  # one -60 % day in 299 is an extreme fat tail
    assert res.quality.loc["CRASH", "flagged_jumps"] == 1
    assert res.quality.loc["CALM", "flagged_jumps"] == 0


def test_var_normal_and_cornish_fisher_against_scipy(one_crash: pd.DataFrame) -> None:
    out = compute(one_crash)
    for t in one_crash.columns:
        r = one_crash[t].pct_change().dropna().to_numpy()[-252:]
        z = stats.norm.ppf(0.05)
        mu, sd = r.mean(), r.std(ddof=1)
        s, k = stats.skew(r, bias=False), stats.kurtosis(r, fisher=True, bias=False)
        zcf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
        assert out.loc[t, "var95_normal"] == pytest.approx(mu + z * sd, rel=TOL, abs=TOL)
        assert out.loc[t, "var95_cf"] == pytest.approx(mu + zcf * sd, rel=TOL, abs=TOL)
        assert out.loc[t, "skew_1y"] == pytest.approx(s, rel=TOL, abs=TOL)
        assert out.loc[t, "kurt_1y"] == pytest.approx(k, rel=TOL, abs=TOL)


def _ewma_loop(r: np.ndarray, lam: float) -> float:
    var = float(np.mean(r**2))  # the documented seed: mean squared return of the window
    for x in r:
        var = lam * var + (1 - lam) * x * x
    return float(np.sqrt(252 * var))


def test_ewma_matches_a_plain_recursion_on_ten_points() -> None:
    r = np.array([0.01, -0.02, 0.015, 0.0, -0.03, 0.025, 0.005, -0.01, 0.02, -0.005])
    panel = np.full((12, 2), np.nan)
    panel[-10:, 0] = r
    panel[-4:, 1] = r[-4:]  # a shorter column right-aligned beside it
    n = np.array([10, 4])
    got, why = risk_mod.ewma_volatility(panel, n, 12, 2, 0.94)
    assert got[0] == pytest.approx(_ewma_loop(r, 0.94), rel=1e-12)
    assert got[1] == pytest.approx(_ewma_loop(r[-4:], 0.94), rel=1e-12)
    assert list(why) == [None, None]


def test_ewma_in_compute_matches_the_loop(one_crash: pd.DataFrame) -> None:
    r = one_crash["CALM"].pct_change().dropna().to_numpy()[-252:]
    lam = settings.get("ewma_lambda")
    assert compute(one_crash).loc["CALM", "vol_ewma"] == pytest.approx(
        _ewma_loop(r, lam), rel=1e-10
    )


def test_vol_regime_against_pandas_rolling() -> None:
    s = walk(400, 5)
    # quiet last month: today's vol should sit low in its one-year range
    s.iloc[-21:] = s.iloc[-22] * np.exp(np.cumsum(np.random.default_rng(9).normal(0, 0.002, 21)))
    close = s.to_frame("Q")
    roll = close["Q"].pct_change().dropna().rolling(21).std().iloc[-252:]
    expected = float((roll <= roll.iloc[-1] * (1 + 1e-9)).mean())
    got = compute(close).loc["Q", "vol_regime"]
    assert got == pytest.approx(expected, abs=1e-12)
    assert got < 0.05


def test_days_to_trade_and_adv_in_usd() -> None:
    idx = pd.bdate_range("2025-01-01", periods=70)
    close = pd.DataFrame({"US": 10.0, "AU": 10.0}, index=idx)
    volume = pd.DataFrame({"US": 50_000.0, "AU": 50_000.0}, index=idx)
    fx = pd.DataFrame({"AUD": 0.5}, index=idx)
    ccy = {"US": "USD", "AU": "AUD"}
    out = compute(close, volume, currency=ccy, fx=fx, market_cap={"US": 2e9, "AU": 2e9})
    assert out.loc["US", "adv_3m_usd"] == pytest.approx(500_000.0)
    assert out.loc["AU", "adv_3m_usd"] == pytest.approx(250_000.0)
    assert out.loc["US", "days_to_trade"] == pytest.approx(1e6 / (0.2 * 500_000.0))  # 10 days
    assert out.loc["AU", "days_to_trade"] == pytest.approx(20.0)
    assert out.loc["AU", "market_cap_usd"] == pytest.approx(1e9)
    bigger = compute(close, volume, currency=ccy, fx=fx, adv_ticket_usd=2e6, adv_participation=0.1)
    assert bigger.loc["US", "days_to_trade"] == pytest.approx(2e6 / (0.1 * 500_000.0))
    six_months = adv_usd(close, volume, fx, ccy, 126)
    assert six_months.isna().all()  # 70 days < 114 needed for a 126-day ADV
    assert adv_usd(close, volume, fx, ccy, 63)["AU"] == pytest.approx(250_000.0)


# --- USD conversion ------------------------------------------------------------------------------


def test_usd_ticker_metrics_equal_local_and_constant_fx_leaves_returns_unchanged() -> None:
    s = walk(300, 3)
    close = pd.DataFrame({"US": s, "AU": s})
    fx = pd.DataFrame({"AUD": 0.66}, index=s.index)
    out = compute(close, currency={"US": "USD", "AU": "AUD"}, fx=fx)
    for stem in ("ret_1m", "ret_1y", "vol_1y", "ret_ytd"):
        assert out.loc["US", stem + "_usd"] == out.loc["US", stem]
        assert out.loc["AU", stem + "_usd"] == pytest.approx(out.loc["AU", stem], rel=1e-12)


def test_fx_is_carried_at_most_three_days() -> None:
    idx = pd.bdate_range("2025-03-03", periods=30)  # starts on a Monday
    close = pd.DataFrame({"AU": np.linspace(10, 12, 30)}, index=idx)
    fx = pd.DataFrame({"AUD": np.linspace(0.6, 0.7, 30)}, index=idx).drop(idx[[4, 10, 11]])
    res = compute_detailed(close, currency={"AU": "AUD"}, fx=fx)
    # Fri 7 Mar missing: Thu's rate (1 day old) is used. 17–18 Mar missing: Mon 17 uses Fri 14
    # (3 days), Tue 18 would need a 4-day-old rate and is dropped: 29 USD closes, 28 returns.
    assert res.reasons.loc["AU", "vol_1m_usd"] is None
    r = (
        (close["AU"] * fx["AUD"].reindex(idx).ffill().where(~idx.isin([idx[11]])))
        .dropna()
        .pct_change()
        .dropna()
    )
    assert len(r) == 28
    assert res.values.loc["AU", "vol_1m_usd"] == pytest.approx(
        r.iloc[-21:].std() * np.sqrt(252), rel=1e-12
    )


def test_missing_fx_gives_a_reason() -> None:
    s = walk(300, 4)
    res = compute_detailed(s.to_frame("JP"), currency={"JP": "JPY"}, fx=None)
    assert res.reasons.loc["JP", "vol_1y_usd"] == "no USD rate for JPY in fx"
    assert not np.isnan(res.values.loc["JP", "vol_1y"])


# --- quality ---------------------------------------------------------------------------------------


def test_quality_gaps_stale_and_flags() -> None:
    idx = pd.bdate_range("2025-01-06", periods=40)  # Monday 6 Jan .. Friday 28 Feb
    a = pd.Series(10.0, index=idx)
    a.iloc[10:14] = np.nan  # 4 business days missing: a gap
    a.iloc[20:23] = np.nan  # 3 missing: not a gap (holiday bridge)
    b = pd.Series(10.0, index=idx)
    b.iloc[-5:] = np.nan  # last close Friday 21 Feb
    close = pd.DataFrame({"A": a, "B": b})
    q = quality(close, as_of="2025-02-28", synthetic={"A": True}, currency={"A": "USD", "B": "AUD"})
    assert q.loc["A", "gaps"] == 1 and q.loc["B", "gaps"] == 0
    assert q.loc["A", "observations"] == 33
    assert q.loc["A", "stale_days"] == 0 and q.loc["B", "stale_days"] == 5
    assert q.loc["B", "last_date"] == pd.Timestamp("2025-02-21")
    assert q.loc["A", "first_date"] == pd.Timestamp("2025-01-06")
    assert bool(q.loc["A", "synthetic"]) and not bool(q.loc["B", "synthetic"])
    assert q.loc["B", "currency"] == "AUD"
    flags = pd.DataFrame(
        {
            "ticker": ["B", "B", "A"],
            "date": pd.to_datetime(["2025-01-10", "2025-03-10", "2025-01-10"]),
        }
    )
    qf = quality(close, as_of="2025-02-28", flags=flags)
    assert qf.loc["B", "flagged_jumps"] == 1 and qf.loc["A", "flagged_jumps"] == 1


def test_quality_counts_a_gap_in_the_index_itself() -> None:
    idx = pd.bdate_range("2025-01-06", periods=10).append(pd.bdate_range("2025-02-03", periods=5))
    close = pd.DataFrame({"A": 1.0}, index=idx)
    assert quality(close).loc["A", "gaps"] == 1


# --- input validation --------------------------------------------------------------------------------


def test_bad_prices_name_ticker_and_date() -> None:
    close = walk(30, 6).to_frame("BAD")
    close.iloc[7, 0] = -1.0
    with pytest.raises(PriceDataError, match=r"close: ticker 'BAD' on 2024-01-10 has -1.0"):
        compute(close)


def test_unsorted_and_duplicate_dates_are_rejected() -> None:
    close = walk(30, 6).to_frame("X")
    with pytest.raises(PriceDataError, match="not sorted"):
        compute(close.iloc[::-1])
    with pytest.raises(PriceDataError, match="duplicate date 2024-01-01"):
        compute(pd.concat([close.iloc[:1], close]))


def test_empty_frame_is_rejected() -> None:
    with pytest.raises(PriceDataError, match="close: the frame has no dates"):
        compute(walk(5, 1).to_frame("X").iloc[:0])


def test_a_ticker_without_closes_gets_reasons_everywhere() -> None:
    close = walk(30, 6).to_frame("X").assign(EMPTY=np.nan)
    res = compute_detailed(close)
    assert res.values.loc["EMPTY"].isna().all()
    assert res.reasons.loc["EMPTY"].notna().all()
    assert res.quality.loc["EMPTY", "observations"] == 0


def test_as_of_ignores_later_rows(one_crash: pd.DataFrame) -> None:
    cut = one_crash.index[250]
    pd.testing.assert_frame_equal(compute(one_crash, as_of=cut), compute(one_crash.loc[:cut]))


def test_minor_currency_units_are_rejected_with_the_fix() -> None:
    close = walk(30, 6).to_frame("RIO.L")
    with pytest.raises(PriceDataError, match=r"divide its closes by 100 and pass 'GBP'"):
        compute(close, currency={"RIO.L": "GBp"})


def test_volume_must_match_close() -> None:
    close = walk(30, 6).to_frame("X")
    with pytest.raises(
        PriceDataError, match="volume: must have exactly the dates and tickers of close"
    ):
        compute(close, close.iloc[1:])


def test_compute_does_not_mutate_its_inputs(one_crash: pd.DataFrame) -> None:
    before = one_crash.copy()
    compute(one_crash, one_crash * 1000, one_crash.rename(columns={"CALM": "SPY", "CRASH": "REMX"}))
    pd.testing.assert_frame_equal(one_crash, before)
