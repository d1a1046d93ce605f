"""screener.metrics against an independent implementation: empyrical-reloaded.

Every metric empyrical also computes is compared, on seeded SYNTHETIC data with gaps (tickers
missing closes on different dates, a late listing, a suspension, a ticker that stopped
trading), to 1e-9. empyrical is applied per ticker to that ticker's own dropna'd closes and
window, which is exactly the convention ``compute`` promises to vectorise. (empyrical-reloaded
0.5.x emits no warnings under pandas 3 for these calls, so no warning filter is needed; the
project's ``filterwarnings = error`` would fail these tests if that changed.)
"""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from screener.metrics import METRICS, compute, compute_detailed

TOL = 1e-9


def make_with_gaps(seed: int = 11, days: int = 900) -> dict[str, object]:
    """Synthetic panel: 8 tickers on business days, each with its own missing dates."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2022-06-01", periods=days)
    tickers = ["US_A", "US_B", "AU_A", "AU_B", "CA_A", "LATE", "SUSP", "STOP"]
    n = len(tickers)
    vol = rng.uniform(0.01, 0.04, n)
    close = 40.0 * np.exp(np.cumsum(rng.standard_normal((days, n)) * vol + 0.0002, axis=0))
    close[rng.random((days, n)) < 0.06] = np.nan  # scattered holidays, different per ticker
    close[: days - 300, tickers.index("LATE")] = np.nan  # listed ~300 days ago
    close[days - 200 : days - 140, tickers.index("SUSP")] = np.nan  # 60-day suspension
    close[days - 15 :, tickers.index("STOP")] = np.nan  # stopped trading 3 weeks ago
    bench = 100.0 * np.exp(np.cumsum(rng.standard_normal((days, 2)) * 0.01, axis=0))
    bench_df = pd.DataFrame(bench, index=dates, columns=["SPY", "REMX"])
    bench_df.iloc[rng.random(days) < 0.03, 0] = np.nan  # US holidays of its own
    fx_idx = dates[rng.random(days) > 0.05]  # FX missing on some days (carried ≤ 3 days)
    fx = pd.DataFrame(
        {
            "AUD": 0.7 * np.exp(np.cumsum(rng.normal(0, 0.005, len(fx_idx)))),
            "CAD": 0.74 * np.exp(np.cumsum(rng.normal(0, 0.003, len(fx_idx)))),
        },
        index=fx_idx,
    )
    currency = {
        "US_A": "USD",
        "US_B": "USD",
        "AU_A": "AUD",
        "AU_B": "AUD",
        "CA_A": "CAD",
        "LATE": "USD",
        "SUSP": "AUD",
        "STOP": "USD",
    }
    return {
        "close": pd.DataFrame(close, index=dates, columns=tickers),
        "benchmarks": bench_df,
        "fx": fx,
        "currency": currency,
    }


@pytest.fixture(scope="module")
def with_gaps() -> dict[str, object]:
    return make_with_gaps()


@pytest.fixture(scope="module")
def result(with_gaps: dict[str, object]) -> pd.DataFrame:
    d = with_gaps
    return compute(d["close"], None, d["benchmarks"], currency=d["currency"], fx=d["fx"])  # type: ignore[arg-type]


def own_returns(close: pd.DataFrame, ticker: str) -> pd.Series:
    return ep.simple_returns(close[ticker].dropna())


def usd_closes(d: dict[str, object], ticker: str) -> pd.Series:
    """close × FX with an independent as-of join (merge_asof, ≤ 3 days back)."""
    close = d["close"][ticker].dropna()  # type: ignore[index]
    code = d["currency"][ticker]  # type: ignore[index]
    if code == "USD":
        return close
    fx = d["fx"][code].dropna().rename("fx")  # type: ignore[index]
    left = pd.DataFrame({"date": close.index, "close": close.to_numpy()})
    right = pd.DataFrame({"date": fx.index, "fx": fx.to_numpy()})
    joined = pd.merge_asof(
        left, right, on="date", direction="backward", tolerance=pd.Timedelta(days=3)
    )
    s = pd.Series((joined["close"] * joined["fx"]).to_numpy(), index=close.index)
    return s.dropna()


def check(actual: float, expected: float, has: int, need: int) -> None:
    if has < need:
        assert np.isnan(actual), f"expected NaN with {has} < {need} observations, got {actual}"
    else:
        assert actual == pytest.approx(expected, rel=TOL, abs=TOL)


def test_the_fixture_has_gaps_at_different_dates(with_gaps: dict[str, object]) -> None:
    nan = with_gaps["close"].isna()  # type: ignore[union-attr]
    assert nan.sum().min() > 0
    assert not (nan.iloc[:, 0] == nan.iloc[:, 1]).all()


@pytest.mark.parametrize("stem,w", [("ret_1w", 5), ("ret_1m", 21), ("ret_3m", 63), ("ret_1y", 252)])
def test_point_returns_match_cum_returns_final(with_gaps, result, stem, w) -> None:
    for t in result.index:
        r = own_returns(with_gaps["close"], t)
        check(result.loc[t, stem], ep.cum_returns_final(r.iloc[-w:]), len(r), w)
        ru = ep.simple_returns(usd_closes(with_gaps, t))
        check(result.loc[t, stem + "_usd"], ep.cum_returns_final(ru.iloc[-w:]), len(ru), w)


@pytest.mark.parametrize("stem,w", [("vol_1m", 21), ("vol_3m", 63), ("vol_1y", 252)])
def test_volatility_matches_annual_volatility(with_gaps, result, stem, w) -> None:
    need = METRICS[stem].need
    assert need is not None
    for t in result.index:
        r = own_returns(with_gaps["close"], t).iloc[-w:]
        check(result.loc[t, stem], ep.annual_volatility(r), len(r), need)
        ru = ep.simple_returns(usd_closes(with_gaps, t)).iloc[-w:]
        check(result.loc[t, stem + "_usd"], ep.annual_volatility(ru), len(ru), need)


def test_usd_metrics_of_foreign_tickers_differ_from_local(result) -> None:
    # Guards the test above against comparing local with local: FX moves, so USD vol differs.
    assert abs(result.loc["AU_A", "vol_1y_usd"] - result.loc["AU_A", "vol_1y"]) > 1e-4


def test_downside_deviation_matches_downside_risk(with_gaps, result) -> None:
    for t in result.index:
        r = own_returns(with_gaps["close"], t).iloc[-252:]
        check(result.loc[t, "downside_dev_1y"], ep.downside_risk(r, required_return=0), len(r), 227)


@pytest.mark.parametrize("name,w,need", [("max_dd_1y", 252, 227), ("max_dd_3y", 756, 681)])
def test_max_drawdown_matches(with_gaps, result, name, w, need) -> None:
    computed = 0
    for t in result.index:
        r = own_returns(with_gaps["close"], t).iloc[-w:]
        check(result.loc[t, name], ep.max_drawdown(r), len(r), need)
        computed += len(r) >= need
    assert computed >= 3


def test_var_and_cvar_match_empyrical(with_gaps, result) -> None:
    for t in result.index:
        r = own_returns(with_gaps["close"], t).iloc[-252:]
        check(result.loc[t, "var95_hist"], ep.value_at_risk(r, cutoff=0.05), len(r), 227)
        check(
            result.loc[t, "cvar95_hist"], ep.conditional_value_at_risk(r, cutoff=0.05), len(r), 227
        )


def _weekly(s: pd.Series) -> pd.Series:
    wk = s.resample("W-FRI").last()
    return wk / wk.shift(1) - 1.0


@pytest.mark.parametrize("sym", ["SPY", "REMX"])
def test_weekly_beta_matches_empyrical_beta(with_gaps, result, sym) -> None:
    bench = with_gaps["benchmarks"][sym].dropna()
    rb = _weekly(bench).iloc[-104:]
    for t in result.index:
        rt = _weekly(usd_closes(with_gaps, t)).reindex(rb.index)
        pair = pd.concat([rt, rb], axis=1).dropna()
        got_b, got_c = result.loc[t, f"beta_{sym.lower()}"], result.loc[t, f"corr_{sym.lower()}"]
        if len(pair) < 52:
            assert np.isnan(got_b) and np.isnan(got_c)
            continue
        assert got_b == pytest.approx(ep.beta(pair.iloc[:, 0], pair.iloc[:, 1]), rel=TOL, abs=TOL)
        assert got_c == pytest.approx(
            np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1], rel=TOL, abs=TOL
        )


def test_short_histories_get_reasons_not_numbers(with_gaps) -> None:
    d = with_gaps
    res = compute_detailed(d["close"], None, d["benchmarks"], currency=d["currency"], fx=d["fx"])
    late = res.reasons.loc["LATE"]
    n_ret = len(own_returns(d["close"], "LATE"))
    assert np.isnan(res.values.loc["LATE", "max_dd_3y"])
    assert late["max_dd_3y"] == f"needs 681 daily returns, has {n_ret}"
    assert late["vol_1y"] is None  # 299 returns: enough for the 1-year window
