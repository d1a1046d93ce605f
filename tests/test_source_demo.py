"""The demo source: deterministic, SYNTHETIC, and shaped like real rare-earth price data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from screener.sources import get_source
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS
from screener.sources.demo import DemoSource, business_days, factor_returns, last_business_day

# China's export-control announcements the demo jumps on (the lead passes the real list).
EVENTS = (
    date(2019, 5, 20),  # Xi visits a rare-earth magnet plant: "rare earths as leverage"
    date(2023, 7, 3),  # gallium and germanium controls
    date(2023, 12, 21),  # ban on exporting rare-earth processing technology
    date(2025, 4, 4),  # licences for seven medium and heavy rare earths
    date(2025, 10, 9),  # extraterritorial controls (MOFCOM No. 61/62)
)
PROFILES = {
    "MP": "producer",
    "LYC.AX": "producer",
    "ARU.AX": "developer",
    "NEW.V": "developer",
    "TINY.AX": "explorer",
    "4063.T": "diversified",
    "600111.SS": "contrast",
    "SPY": "market",
    "REMX": "sector",
}
END = date(2026, 11, 20)  # a Friday
START_5Y = date(2021, 11, 22)


def demo(seed: int = 0, **kwargs: object) -> DemoSource:
    return DemoSource(profiles=PROFILES, event_dates=EVENTS, seed=seed, **kwargs)  # type: ignore[arg-type]


def closes(prices: pd.DataFrame) -> pd.DataFrame:
    return prices.pivot(index="date", columns="ticker", values="close")


def log_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Per-ticker log returns on each ticker's own calendar (gaps are not filled)."""
    out = {
        t: np.log(g.set_index("date")["close"]).diff().dropna() for t, g in prices.groupby("ticker")
    }
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def five_years() -> pd.DataFrame:
    return demo().fetch(list(PROFILES), START_5Y, END).prices


# --- determinism ---------------------------------------------------------------------------


def test_same_call_twice_is_identical() -> None:
    a = demo().fetch(["MP", "AUDUSD=X"], START_5Y, END)
    b = demo().fetch(["MP", "AUDUSD=X"], START_5Y, END)
    pd.testing.assert_frame_equal(a.prices, b.prices)
    pd.testing.assert_frame_equal(a.instruments, b.instruments)


def test_path_does_not_depend_on_window_or_other_tickers() -> None:
    short = demo().fetch(["LYC.AX"], date(2023, 3, 1), date(2023, 9, 29)).prices
    long = demo().fetch(["SPY", "LYC.AX", "MP", "JPY=X"], date(2020, 1, 1), END).prices
    inside = long[(long.ticker == "LYC.AX") & long.date.between("2023-03-01", "2023-09-29")]
    assert len(short) > 100
    pd.testing.assert_frame_equal(short.reset_index(drop=True), inside.reset_index(drop=True))


def test_a_later_end_only_appends_days() -> None:
    monday = demo().fetch(["MP", "ARU.AX", "AUDUSD=X"], date(2026, 1, 1), date(2026, 11, 16))
    tuesday = demo().fetch(["MP", "ARU.AX", "AUDUSD=X"], date(2026, 1, 1), date(2026, 11, 17))
    old = tuesday.prices[tuesday.prices.date <= "2026-11-16"].reset_index(drop=True)
    pd.testing.assert_frame_equal(monday.prices, old)
    assert (tuesday.prices.date == pd.Timestamp("2026-11-17")).sum() == 3


def test_different_tickers_and_seeds_differ() -> None:
    wide = closes(demo().fetch(["ARU.AX", "NEW.V", "OTHER"], START_5Y, END).prices)
    r = np.log(wide).diff()
    assert not np.allclose(r["ARU.AX"], r["OTHER"], equal_nan=True)
    other_seed = closes(demo(seed=1).fetch(["ARU.AX"], START_5Y, END).prices)
    assert not np.allclose(wide["ARU.AX"].dropna(), other_seed["ARU.AX"].dropna())


# --- shape and labelling --------------------------------------------------------------------


def test_result_is_labelled_synthetic_and_has_the_interface_columns(
    five_years: pd.DataFrame,
) -> None:
    res = demo().fetch(["MP", "AUDUSD=X"], START_5Y, END)
    assert res.synthetic is True and res.source == "demo"
    assert tuple(res.prices.columns) == PRICE_COLUMNS
    assert tuple(res.instruments.columns) == INSTRUMENT_COLUMNS
    assert list(res.instruments.name) == ["SYNTHETIC MP", "SYNTHETIC AUDUSD=X"]
    assert res.prices.date.dtype == "datetime64[ns]"
    assert res.failures == {}
    assert not five_years[list(PRICE_COLUMNS)].isna().any().any()
    assert (five_years.adj_close == five_years.close).all()


def test_get_source_builds_the_demo() -> None:
    src = get_source("demo", seed=3)
    assert isinstance(src, DemoSource) and src.synthetic and src.name == "demo"


def test_business_days_only_with_exchange_gaps(five_years: pd.DataFrame) -> None:
    assert (five_years.date.dt.day_of_week < 5).all()
    assert five_years.date.between(pd.Timestamp(START_5Y), pd.Timestamp(END)).all()
    all_days = business_days(START_5Y, END)
    us = set(five_years.loc[five_years.ticker == "MP", "date"])
    asx = set(five_years.loc[five_years.ticker == "LYC.AX", "date"])
    closed_everywhere = {d for d in all_days if (d.month, d.day) in {(1, 1), (12, 25)}}
    assert us == set(all_days) - closed_everywhere
    missing = len(all_days) - len(asx)
    assert len(closed_everywhere) < missing < len(closed_everywhere) + 0.03 * len(all_days)
    # the same suffix has the same holidays; another suffix has others
    aru = set(five_years.loc[five_years.ticker == "ARU.AX", "date"])
    assert aru == asx
    assert set(five_years.loc[five_years.ticker == "600111.SS", "date"]) != asx
    fx = demo().fetch(["AUDUSD=X"], START_5Y, END).prices
    assert set(fx.date) == set(all_days)  # FX trades every business day


def test_ohlc_consistent_and_volume_positive(five_years: pd.DataFrame) -> None:
    p = five_years
    assert (p.low > 0).all()
    assert (p.low <= p[["open", "close"]].min(axis=1)).all()
    assert (p.high >= p[["open", "close"]].max(axis=1)).all()
    assert (p.volume > 0).all()
    fx = demo().fetch(["EURUSD=X"], START_5Y, END).prices
    assert (fx.low <= fx[["open", "close"]].min(axis=1)).all()
    assert (fx.high >= fx[["open", "close"]].max(axis=1)).all()
    assert (fx.volume == 0).all()  # like Yahoo: no volume on currency pairs


def test_default_window_ends_on_last_business_day() -> None:
    res = demo(years=2).fetch(["MP", "EURUSD=X"], None, None)
    last = res.prices.date.max().date()
    assert last == last_business_day(date.today())
    first = res.prices.date.min().date()
    assert 725 <= (last - first).days <= 735


def test_before_the_anchor_there_is_no_data() -> None:
    res = demo().fetch(["MP"], date(2015, 1, 1), date(2018, 12, 31))
    assert res.prices.empty
    assert res.failures == {
        "MP": "no demo data on or before 2018-12-31 (the synthetic history starts on 2019-01-01)"
    }
    weekend = demo().fetch(["MP"], date(2019, 1, 5), date(2019, 1, 6))
    assert weekend.failures == {
        "MP": "no demo data between 2019-01-05 and 2019-01-06 (the synthetic history starts on 2019-01-01)"
    }
    partial = demo().fetch(["MP"], date(2018, 6, 1), date(2019, 3, 1)).prices
    assert partial.date.min() == pd.Timestamp("2019-01-02")


def test_unknown_profile_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown demo profile"):
        DemoSource(profiles={"MP": "miner"})


# --- instruments ----------------------------------------------------------------------------


def test_instruments_from_exchanges_and_overrides() -> None:
    src = DemoSource(profiles=PROFILES, currencies={"RARE.L": "GBp", "MP": "USD"})
    inst = src.fetch(["MP", "LYC.AX", "4063.T", "RARE.L", "REMX", "XYZ.QQ"], START_5Y, END)
    i = inst.instruments.set_index("ticker")
    assert i.loc["LYC.AX", ["currency", "exchange", "timezone"]].tolist() == [
        "AUD",
        "ASX",
        "Australia/Sydney",
    ]
    assert i.loc["RARE.L", "currency"] == "GBP"  # generated directly in pounds
    assert (i.price_divisor == 1.0).all()
    assert (i.quote_currency.fillna("-") == i.currency.fillna("-")).all()
    assert i.loc["MP", "market_cap"] > 0 and np.isnan(i.loc["REMX", "market_cap"])
    assert i.loc["XYZ.QQ", "currency"] is None or pd.isna(i.loc["XYZ.QQ", "currency"])
    # a yen-listed name trades in thousands of yen, not at US-dollar levels
    first = closes(inst.prices).bfill().iloc[0]
    assert first["4063.T"] > 500 > first["MP"]


# --- statistical realism (fixed seeds: deterministic, with wide margins) ---------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_volatility_ordering(seed: int) -> None:
    prices = demo(seed).fetch(["TINY.AX", "MP", "SPY"], START_5Y, END).prices
    vol = log_returns(prices).std() * np.sqrt(252)
    assert vol["TINY.AX"] > vol["MP"] > vol["SPY"]
    assert 0.10 < vol["SPY"] < 0.25


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fat_tails(seed: int) -> None:
    r = log_returns(demo(seed).fetch(["ARU.AX"], START_5Y, END).prices)["ARU.AX"]
    assert r.kurt() > 1.0  # excess kurtosis; a Gaussian path would give about 0


def test_common_sector_factor(five_years: pd.DataFrame) -> None:
    r = np.log(closes(five_years)).diff()
    corr = r.corr()
    rare_earth = ["MP", "LYC.AX", "ARU.AX", "NEW.V", "4063.T", "600111.SS"]
    assert (corr.loc[rare_earth, "REMX"] > 0.1).all()
    assert corr.loc[rare_earth, "REMX"].mean() > 0.25
    assert corr.loc["MP", "REMX"] > corr.loc["MP", "SPY"]
    beta = r.cov().loc["MP", "REMX"] / r["REMX"].var()
    assert beta > 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sector_jumps_on_event_days(seed: int) -> None:
    idx = business_days(date(2019, 1, 1), END)
    f = factor_returns(idx, seed, EVENTS)["sector"]
    on_event = f.index.isin([pd.Timestamp(d) for d in EVENTS])
    assert on_event.sum() == len(EVENTS)
    jumps, calm = f[on_event].abs(), f[~on_event].abs()
    # In expectation a jump beats the 99th percentile of ordinary days; any single one, which
    # can land in a calm or a stormy GARCH regime, at least beats the 95th.
    assert jumps.mean() > calm.quantile(0.99)
    assert (jumps > calm.quantile(0.95)).all()
    # supply news cuts both ways: over the whole event list both signs occur
    assert (f[on_event] > 0).any() and (f[on_event] < 0).any()
    # without events the same factor has no jumps (the diffusive part is unchanged)
    plain = factor_returns(idx, seed, ())["sector"]
    assert np.allclose(plain[~on_event], f[~on_event])


def test_event_day_moves_by_profile() -> None:
    res = demo().fetch(list(PROFILES), date(2019, 1, 1), END).prices
    r = np.log(closes(res)).diff()
    ev = r.loc[[pd.Timestamp(d) for d in EVENTS]]
    non_china = ["MP", "LYC.AX", "ARU.AX", "NEW.V", "TINY.AX", "REMX"]
    # non-China names move with the sector's jump, Chinese contrast names against it
    assert (ev[non_china].corrwith(ev["REMX"]) > 0.5).all()
    assert ev["600111.SS"].corr(ev["REMX"]) < 0.0
    assert ev["SPY"].abs().max() < 0.05
    # the ETF dilutes the jump with its own noise: on average it still beats 9 ordinary days in 10
    p90 = r["REMX"][~r.index.isin(ev.index)].abs().quantile(0.90)
    assert ev["REMX"].abs().mean() > p90


# --- FX ---------------------------------------------------------------------------------------


def test_fx_levels_plausible() -> None:
    tickers = ["AUDUSD=X", "JPY=X", "USDJPY=X", "SARUSD=X", "GBPUSD=X", "KRWUSD=X", "USDAUD=X"]
    res = demo().fetch(tickers, START_5Y, END)
    c = closes(res.prices)
    assert c["AUDUSD=X"].between(0.5, 0.85).all()
    assert c["GBPUSD=X"].between(1.0, 1.6).all()
    assert c["JPY=X"].between(100, 200).all()
    assert c["KRWUSD=X"].between(0.0005, 0.001).all()
    assert c["SARUSD=X"].between(0.262, 0.271).all()  # pegged
    assert np.log(c["SARUSD=X"]).diff().std() < np.log(c["AUDUSD=X"]).diff().std() / 10
    pd.testing.assert_series_equal(c["JPY=X"], c["USDJPY=X"], check_names=False)
    assert np.allclose(c["AUDUSD=X"] * c["USDAUD=X"], 1.0)
    vol = np.log(c["AUDUSD=X"]).diff().std() * np.sqrt(252)
    assert 0.05 < vol < 0.14
    inst = res.instruments.set_index("ticker")
    assert inst.loc["AUDUSD=X", "currency"] == "USD" and inst.loc["JPY=X", "currency"] == "JPY"


def test_fx_without_a_rate_fails_instead_of_inventing_one() -> None:
    res = demo().fetch(["XYZUSD=X", "USDUSD=X", "EURUSD=X", "BAD=X"], START_5Y, END)
    assert res.failures == {
        "XYZUSD=X": "demo source has no rate for XYZ",
        "USDUSD=X": "USDUSD=X: base and quote currency are the same",
        "BAD=X": "demo source has no rate for BAD",
    }
    assert set(res.prices.ticker) == {"EURUSD=X"}
    assert list(res.instruments.ticker) == ["EURUSD=X"]
