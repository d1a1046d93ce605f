"""The event-study engine against a hand-computed case, statsmodels OLS and independent tests."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from screener.errors import PriceDataError
from screener.screen.event_study import TERCILES, study
from screener.screen.events import (
    ESTIMATION,
    WINDOWS,
    Announcement,
    bmp_test,
    event_day,
    market_model,
    overlaps,
    sign_test,
    welch,
)
from screener.sources.exchanges import exchange_of
from screener.universe.scored import load_scored

TOL = 1e-10
DAYS = pd.bdate_range("2022-01-03", "2025-12-31")


def closes_from(returns: np.ndarray, start: float = 100.0) -> np.ndarray:
    return start * np.concatenate([[1.0], np.cumprod(1.0 + returns)])


def exact_fit() -> tuple[pd.DataFrame, Announcement, dict[int, float]]:
    """AAA = 0.001 + 1.5 × SPY exactly, plus planted abnormal returns around the event."""
    rng = np.random.default_rng(7)
    rm = rng.normal(0.0003, 0.01, len(DAYS) - 1)
    planted = {0: 0.05, 1: 0.02, 3: -0.01, -1: 0.004, 8: 0.003}
    q = 600  # return index of the event day
    r = 0.001 + 1.5 * rm
    for tau, a in planted.items():
        r[q + tau] += a
    frame = pd.DataFrame({"AAA": closes_from(r), "SPY": closes_from(rm)}, index=DAYS)
    return frame, Announcement("e", DAYS[q + 1].date()), planted


def test_abnormal_returns_and_car_equal_a_hand_computed_case() -> None:
    frame, ann, planted = exact_fit()
    mm = market_model(frame[["AAA"]], frame["SPY"], [ann])
    assert mm.reason[0, 0] is None
    assert mm.alpha[0, 0] == pytest.approx(0.001, abs=TOL)
    assert mm.beta[0, 0] == pytest.approx(1.5, abs=TOL)
    assert mm.n_est[0, 0] == ESTIMATION[1] - ESTIMATION[0] + 1 == 221
    for k, tau in enumerate(mm.taus):
        assert mm.ar[0, 0, k] == pytest.approx(planted.get(tau, 0.0), abs=TOL), tau
    # By hand: [0,+1] = 0.05 + 0.02; [0,+5] adds -0.01; [-1,+10] adds 0.004 and 0.003.
    assert mm.car[(0, 1)][0, 0] == pytest.approx(0.07, abs=TOL)
    assert mm.car[(0, 5)][0, 0] == pytest.approx(0.06, abs=TOL)
    assert mm.car[(-1, 10)][0, 0] == pytest.approx(0.067, abs=TOL)
    assert mm.event_day[0, 0] == ann.date


def noisy_panel(seed: int = 11) -> pd.DataFrame:
    """SPY on New York days; a US name and an ASX name with their own holidays and gaps."""
    rng = np.random.default_rng(seed)
    n = len(DAYS)
    rm = rng.normal(0.0004, 0.011, n - 1)
    spy = closes_from(rm)
    us = closes_from(0.0002 + 1.2 * rm + rng.normal(0, 0.02, n - 1))
    ax = closes_from(rng.normal(0.0, 0.025, n - 1))
    frame = pd.DataFrame({"SPY": spy, "AAA": us, "BBB.AX": ax}, index=DAYS)
    frame.loc[frame.index[rng.choice(n, 40, replace=False)], "SPY"] = np.nan  # US holidays
    frame.loc[frame.index[rng.choice(n, 60, replace=False)], "BBB.AX"] = np.nan  # ASX ones
    frame.loc[frame.index[rng.choice(n, 30, replace=False)], "AAA"] = np.nan  # no trade
    return frame


def independent(
    frame: pd.DataFrame, ticker: str, day: date, window: tuple[int, int]
) -> dict[str, float]:
    """Plain pandas alignment + statsmodels OLS for one ticker and event.

    The benchmark level for a ticker's session: SPY's last close on or before that date for
    a US name; strictly before it for an ASX name (Sydney closes before New York opens).
    """
    own = frame[ticker].dropna()
    spy = frame["SPY"].dropna()
    strict = exchange_of(ticker).timezone == "Australia/Sydney"  # type: ignore[union-attr]
    before = [spy[spy.index < d] if strict else spy[spy.index <= d] for d in own.index]
    level = pd.Series([b.iloc[-1] if len(b) else np.nan for b in before], index=own.index)
    r = own.pct_change().iloc[1:].to_numpy()
    rm = level.pct_change().iloc[1:].to_numpy()
    k0 = int((own.index < pd.Timestamp(day)).sum())
    q = k0 - 1
    est = slice(q + ESTIMATION[0], q + ESTIMATION[1] + 1)
    fit = sm.OLS(r[est], sm.add_constant(rm[est])).fit()
    win = slice(q + window[0], q + window[1] + 1)
    xw = sm.add_constant(rm[win], has_constant="add")
    ar = r[win] - xw @ fit.params
    ones = np.ones(len(ar))
    var = fit.scale * len(ar) + ones @ xw @ fit.cov_params() @ xw.T @ ones
    return {
        "alpha": fit.params[0],
        "beta": fit.params[1],
        "sigma2": fit.scale,
        "ar0": ar[-window[0]],
        "car": ar.sum(),
        "var": var,
    }


@pytest.mark.parametrize("ticker", ["AAA", "BBB.AX"])
def test_market_model_equals_statsmodels_ols(ticker: str) -> None:
    frame = noisy_panel()
    anns = [Announcement(f"e{i}", d.date()) for i, d in enumerate(DAYS[[400, 611, 702, 950]])]
    mm = market_model(frame[["AAA", "BBB.AX"]], frame["SPY"], anns)
    j = mm.tickers.index(ticker)
    for i, ann in enumerate(anns):
        for w in WINDOWS:
            ref = independent(frame, ticker, ann.date, w)
            assert mm.reason[i, j] is None
            assert abs(mm.alpha[i, j] - ref["alpha"]) < TOL
            assert abs(mm.beta[i, j] - ref["beta"]) < TOL
            assert abs(mm.sigma2[i, j] - ref["sigma2"]) < TOL
            assert abs(mm.ar[i, j, mm.taus.index(0)] - ref["ar0"]) < TOL
            assert abs(mm.car[w][i, j] - ref["car"]) < TOL
            assert abs(mm.car_var[w][i, j] - ref["var"]) < TOL


def test_event_day_uses_the_exchange_zone_and_close() -> None:
    us, ax = exchange_of("AAA"), exchange_of("BBB.AX")
    assert us is not None and ax is not None
    # Friday 17:00 in New York: after the US close -> next session (Monday); 07:00 Saturday
    # in Sydney -> Monday's session.
    late = Announcement("x", date(2025, 4, 4), "17:00", "America/New_York")
    assert event_day(late, us) == date(2025, 4, 5)
    assert event_day(late, ax) == date(2025, 4, 5)
    # Beijing mid-morning: the same day in Sydney (before its close), and 22:00 of the day
    # before in New York (after its close) -> the same calendar day there too.
    beijing = Announcement("y", date(2025, 4, 3), "10:00", "Asia/Shanghai")
    assert event_day(beijing, ax) == date(2025, 4, 3)
    assert event_day(beijing, us) == date(2025, 4, 3)
    # Beijing 15:00 = 17:00 Sydney: after the ASX close -> the next day.
    assert event_day(Announcement("z", date(2025, 4, 3), "15:00", "Asia/Shanghai"), ax) == date(
        2025, 4, 4
    )
    # No time: the date itself (first session on or after it).
    assert event_day(Announcement("w", date(2025, 4, 5)), us) == date(2025, 4, 5)

    frame = noisy_panel()
    mm = market_model(frame[["AAA", "BBB.AX"]], frame["SPY"], [late])
    sessions = {t: frame[t].dropna().index for t in ("AAA", "BBB.AX")}
    for j, t in enumerate(mm.tickers):
        first = sessions[t][sessions[t] >= pd.Timestamp("2025-04-05")][0]
        assert mm.event_day[0, j] == first.date()


def test_too_short_an_estimation_window_is_a_reason_not_a_number() -> None:
    frame = noisy_panel()
    mm = market_model(frame[["AAA"]], frame["SPY"], [Announcement("early", DAYS[100].date())])
    assert math.isnan(mm.car[(0, 5)][0, 0])
    assert str(mm.reason[0, 0]).startswith("needs 199 estimation-window returns, has ")


# --- the test statistics against independent computations ------------------------------------


def seeded_cars(seed: int = 3, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    var = rng.uniform(0.0005, 0.004, n)
    car = rng.normal(0.004, 1.0, n) * np.sqrt(var)
    car[[5, 17]] = np.nan
    return car, var


def test_bmp_equals_a_one_sample_t_test_of_the_standardised_cars() -> None:
    car, var = seeded_cars()
    ok = np.isfinite(car)
    ref = stats.ttest_1samp(car[ok] / np.sqrt(var[ok]), 0.0)
    got = bmp_test(car, var)
    assert got.n == 38
    assert abs(got.stat - ref.statistic) < TOL
    assert abs(got.p - ref.pvalue) < TOL


def test_sign_test_equals_the_exact_binomial_sum() -> None:
    car, _ = seeded_cars(seed=5)
    c = car[np.isfinite(car)]
    k, n = int((c > 0).sum()), len(c)
    pmf = [math.comb(n, i) * 0.5**n for i in range(n + 1)]
    # Two-sided: every outcome no more likely than the observed one (binomtest's definition).
    p = sum(x for x in pmf if x <= pmf[k] * (1 + 1e-7))
    got = sign_test(car)
    assert (got.stat, got.n) == (k, n)
    assert abs(got.p - min(1.0, p)) < TOL


def test_welch_equals_the_satterthwaite_formula() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(0.03, 0.05, 12), rng.normal(0.0, 0.02, 19)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    got = welch(a, b)
    assert abs(got.stat - t) < TOL
    assert abs(got.p - 2 * stats.t.sf(abs(t), df)) < TOL


def test_placebo_dates_reject_at_about_the_nominal_rate() -> None:
    """1,000 random non-event dates on a null market model: BMP rejects at 5 % in 3-7 %.

    The panel plants 20 real events (every firm +5 %); placebo dates keep their estimation
    and event windows clear of them. A long panel keeps placebo windows mostly apart, so the
    1,000 trials are close to independent (over seeds 2026-2035 the rate averages 4.95 %).
    """
    rng = np.random.default_rng(2026)
    n_days, n_firms = 10_000, 30
    days = pd.bdate_range("1990-01-01", periods=n_days)
    rm = rng.normal(0.0003, 0.01, n_days - 1)
    beta = rng.uniform(0.5, 1.8, n_firms)
    sd = rng.uniform(0.01, 0.04, n_firms)  # unequal firm variances: what BMP standardises
    r = 0.0002 + rm[:, None] * beta + rng.standard_normal((n_days - 1, n_firms)) * sd
    events = np.sort(rng.choice(np.arange(300, n_days - 20), 20, replace=False))
    r[events] += 0.05
    close = pd.DataFrame(
        100 * np.vstack([np.ones(n_firms), np.cumprod(1 + r, axis=0)]),
        index=days,
        columns=[f"F{i}" for i in range(n_firms)],
    )
    spy = pd.Series(closes_from(rm), index=days)
    candidates = np.arange(260, n_days - 15)
    clear = np.abs(candidates[:, None] - (events[None, :] + 1)).min(axis=1) > 260
    picks = np.sort(rng.choice(candidates[clear], 1000, replace=False))
    rejected = signs = 0
    for chunk in np.array_split(picks, 5):
        anns = [Announcement(f"p{k}", days[k].date()) for k in chunk]
        mm = market_model(close, spy, anns, windows=[(0, 1)])
        for i in range(len(anns)):
            rejected += bmp_test(mm.car[(0, 1)][i], mm.car_var[(0, 1)][i]).p < 0.05
            signs += sign_test(mm.car[(0, 1)][i]).p < 0.05
    print(f"placebo rejection at 5 %: BMP {rejected / 1000:.1%}, sign {signs / 1000:.1%}")
    assert 0.03 <= rejected / 1000 <= 0.07, rejected
    # The exact sign test is conservative with 30 names (its attainable size is below 5 %).
    assert signs / 1000 <= 0.07, signs
    # And the planted events are found: the test has power where there is an effect.
    mm = market_model(close, spy, [Announcement(f"e{k}", days[k + 1].date()) for k in events])
    assert all(bmp_test(mm.car[(0, 1)][i], mm.car_var[(0, 1)][i]).p < 0.01 for i in range(20))


def test_overlapping_windows_are_marked_both_ways() -> None:
    cal = pd.bdate_range("2025-01-01", "2025-03-31")
    days = {
        "a": pd.Timestamp("2025-01-06"),
        "b": pd.Timestamp("2025-01-20"),  # 10 sessions after a
        "c": pd.Timestamp("2025-03-03"),
    }
    assert overlaps(days, cal, (-1, 10)) == {"a": ("b",), "b": ("a",), "c": ()}
    assert overlaps(days, cal, (0, 1)) == {"a": (), "b": (), "c": ()}


# --- the study: groups by tercile and stage ------------------------------------------------


def test_study_groups_cars_by_run_date_tercile() -> None:
    scored = load_scored("rare_earths", today=date(2026, 11, 30))
    tickers = [c.tickers[0] for c in scored.universe.listed]
    rng = np.random.default_rng(1)
    days = pd.bdate_range("2022-01-03", "2026-06-30")
    rm = rng.normal(0.0003, 0.01, len(days) - 1)
    r = rm[:, None] * rng.uniform(0.5, 2, len(tickers)) + rng.normal(
        0, 0.03, (len(days) - 1, len(tickers))
    )
    frame = pd.DataFrame(
        100 * np.vstack([np.ones(len(tickers)), np.cumprod(1 + r, axis=0)]),
        index=days,
        columns=tickers,
    )
    frame["SPY"] = closes_from(rm)
    frame["REMX"] = closes_from(rng.normal(0, 0.015, len(days) - 1))
    s = study(scored, frame, as_of=date(2026, 6, 30), synthetic=True, event_ids=["mofcom-18-2025"])
    (ev,) = s.events
    assert ev.direction == "tightening" and not ev.approximate
    assert s.scores_as_of == date(2026, 11, 30)
    tercile = dict(s.terciles)
    assert sorted(set(tercile.values())) == sorted(TERCILES)
    ranked = [c.id for c, _ in scored.ranked(listed_only=True) if c.id in tercile]
    assert all(tercile[c] == "high" for c in ranked[: math.ceil(len(ranked) / 3)])

    ann = Announcement(ev.id, ev.date)
    ids = [c.id for c in scored.universe.listed]
    mm = market_model(frame[tickers], frame["SPY"], [ann])
    car = pd.Series(mm.car[(0, 5)][0], index=ids)
    w = ev.window((0, 5))
    assert w is not None
    hi = car[[c for c in ids if tercile[c] == "high"]]
    lo = car[[c for c in ids if tercile[c] == "low"]]
    assert w.terciles[0].mean == pytest.approx(hi.mean(), abs=TOL)
    assert w.high_minus_low == pytest.approx(hi.mean() - lo.mean(), abs=TOL)
    ref = stats.ttest_ind(hi, lo, equal_var=False)
    assert w.welch.stat == pytest.approx(ref.statistic, abs=TOL)
    assert w.welch.p == pytest.approx(ref.pvalue, abs=TOL)
    magnets = [c.id for c in scored.universe.listed if any(g.stage == "magnet" for g in c.segments)]
    by_stage = {g.group: g for g in w.stages}
    assert by_stage["magnet"].n == len(magnets)
    assert by_stage["magnet"].mean == pytest.approx(car[magnets].mean(), abs=TOL)


def test_a_study_without_benchmark_prices_says_what_to_do() -> None:
    scored = load_scored("rare_earths", today=date(2026, 11, 30))
    frame = noisy_panel()[["AAA"]]
    with pytest.raises(PriceDataError) as info:
        study(scored, frame, as_of=date(2025, 12, 31), synthetic=False)
    assert str(info.value) == (
        "the event study needs benchmark prices (SPY, REMX) and none are stored: run "
        "`screener prices refresh`, or pass --demo for synthetic data"
    )
