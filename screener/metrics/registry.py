"""The metric registry: one entry per output column, in output order.

``METRICS`` drives the columns of :func:`screener.metrics.compute`, the CSV header, the report's
methodology section and the docs. Each entry carries its input, convention, formula and a
reference, so the number on a report can be traced back to a definition.

Conventions shared by every entry unless it says otherwise:

* input: daily *simple* returns ``r_t = P_t / P_{t-1} - 1`` of the ticker's adjusted closes,
  taken on the ticker's **own trading days** (consecutive non-missing closes; no zero-filled
  gaps, no forward fill across exchange calendars);
* windows count the ticker's own observations ending at its last close on or before ``as_of``;
* 252 trading days a year (setting ``trading_days``); sample statistics use ``ddof=1``;
* minimum observations: a windowed *statistic* needs ``ceil(min_obs_share × window)`` returns
  (90 %: 19 of 21, 57 of 63, 227 of 252, 681 of 756) and is computed on what the window holds;
  a *point-to-point return* needs its full horizon. Otherwise the value is NaN and the reason
  is recorded (``"needs 227 daily returns, has 40"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from screener import settings

Unit = Literal["return", "annualised", "ratio", "USD", "days", "percentile", "correlation"]
Fmt = Literal["pct1", "pct2", "num2", "usd0", "days1"]
Currency = Literal["local", "usd", "none"]

TRADING_DAYS: int = int(settings.get("trading_days"))
W_1W, W_1M, W_3M, W_1Y, W_3Y = 5, 21, 63, TRADING_DAYS, 3 * TRADING_DAYS
WEEKS_BETA: int = 52 * int(settings.get("beta_years"))
#: The benchmarks the beta and correlation columns are named for (``beta_spy``, ``corr_remx``):
#: the shipped universe's market and sector benchmarks. Column names are part of the
#: screen.json contract, so a universe with other benchmarks is priced but not measured here.
BENCHMARKS: tuple[str, ...] = ("SPY", "REMX")


def min_obs(window: int) -> int:
    """Fewest observations a windowed statistic accepts: ``ceil(min_obs_share × window)``."""
    share = float(settings.get("min_obs_share"))
    # round() first: 0.9 * 21 is 18.900000000000002 in floating point, which ceil must not bump.
    return max(2, math.ceil(round(share * window, 9)))


@dataclass(frozen=True)
class Metric:
    """One output column and its method.

    ``window``/``need`` are in observations of ``obs`` (e.g. 252 / 227 "daily returns");
    ``higher_is_better`` is None where the direction depends on the reader (beta, skew).
    """

    name: str
    label: str
    unit: Unit
    description: str
    formula: str
    reference: str
    higher_is_better: bool | None
    fmt: Fmt
    currency: Currency = "local"
    window: int | None = None
    need: int | None = None
    obs: str = "daily returns"


_EMP = "empyrical-reloaded (stefan-jansen/empyrical-reloaded), verified in tests/test_metrics_empyrical.py"


def _ret(name: str, label: str, w: int, usd: bool) -> Metric:
    ccy = "USD (close × USD per unit of local currency)" if usd else "local currency"
    return Metric(
        name=name + ("_usd" if usd else ""),
        label=label + (" (USD)" if usd else ""),
        unit="return",
        description=f"Simple return over the ticker's last {w} trading days, in {ccy}. Needs {w + 1} closes.",
        formula=f"P_t / P_(t-{w}) - 1 on the ticker's own closes",
        reference="Bacon, Practical Portfolio Performance Measurement and Attribution (2008), ch. 2; empyrical.cum_returns_final",
        higher_is_better=True,
        fmt="pct1",
        currency="usd" if usd else "local",
        window=w,
        need=w,
    )


def _ytd(usd: bool) -> Metric:
    return Metric(
        name="ret_ytd" + ("_usd" if usd else ""),
        label="Return YTD" + (" (USD)" if usd else ""),
        unit="return",
        description=(
            "Simple return from the ticker's last close of the previous calendar year (of as_of) "
            "to its last close; NaN if it has no close in that year's last 10 calendar days."
            + (" In USD." if usd else "")
        ),
        formula="P_t / P_(last close <= 31 Dec of previous year) - 1",
        reference="Bacon (2008), ch. 2",
        higher_is_better=True,
        fmt="pct1",
        currency="usd" if usd else "local",
        obs="closes",
    )


def _vol(name: str, label: str, w: int, usd: bool) -> Metric:
    return Metric(
        name=name + ("_usd" if usd else ""),
        label=label + (" (USD)" if usd else ""),
        unit="annualised",
        description=(
            f"Annualised standard deviation of the last {w} daily simple returns"
            + (" of close × FX (USD)" if usd else "")
            + f", ddof=1. Needs {min_obs(w)} returns."
        ),
        formula="std(r, ddof=1) × sqrt(252)",
        reference=f"Hull, Options, Futures and Other Derivatives (10th ed.), §15.4; {_EMP} (annual_volatility)",
        higher_is_better=False,
        fmt="pct1",
        currency="usd" if usd else "local",
        window=w,
        need=min_obs(w),
    )


_LAMBDA = float(settings.get("ewma_lambda"))
_Z = "z = Φ⁻¹(1 − var_level) = −1.645"

_ENTRIES: list[Metric] = [
    _ret("ret_1w", "Return 1w", W_1W, False),
    _ret("ret_1m", "Return 1m", W_1M, False),
    _ret("ret_3m", "Return 3m", W_3M, False),
    _ytd(False),
    _ret("ret_1y", "Return 1y", W_1Y, False),
    _ret("ret_1w", "Return 1w", W_1W, True),
    _ret("ret_1m", "Return 1m", W_1M, True),
    _ret("ret_3m", "Return 3m", W_3M, True),
    _ytd(True),
    _ret("ret_1y", "Return 1y", W_1Y, True),
    _vol("vol_1m", "Volatility 1m", W_1M, False),
    _vol("vol_3m", "Volatility 3m", W_3M, False),
    _vol("vol_1y", "Volatility 1y", W_1Y, False),
    _vol("vol_1m", "Volatility 1m", W_1M, True),
    _vol("vol_3m", "Volatility 3m", W_3M, True),
    _vol("vol_1y", "Volatility 1y", W_1Y, True),
    Metric(
        "vol_ewma",
        "Volatility EWMA",
        "annualised",
        f"RiskMetrics exponentially weighted volatility, λ = {_LAMBDA}, zero mean, over the last "
        f"{W_1Y} daily returns. Initialised with the mean squared return of that window, so the "
        f"seed keeps weight λ^n (≈ 2e-7 for n = 252). Needs {min_obs(W_3M)} returns (seed weight ≤ 3 %).",
        "σ²_0 = mean(r²); σ²_i = λ σ²_(i-1) + (1-λ) r_i²; vol = sqrt(252 σ²_n)",
        "J.P. Morgan/Reuters, RiskMetrics — Technical Document, 4th ed. (1996), §5.2.1",
        False,
        "pct1",
        window=W_1Y,
        need=min_obs(W_3M),
    ),
    Metric(
        "downside_dev_1y",
        "Downside deviation 1y",
        "annualised",
        f"Annualised downside deviation below a minimum acceptable return of 0 over the last "
        f"{W_1Y} daily returns (mean over all returns, not only the negative ones). Needs {min_obs(W_1Y)}.",
        "sqrt(mean(min(r − 0, 0)²)) × sqrt(252)",
        f"Sortino & Price, 'Performance measurement in a downside risk framework', J. Investing (1994); {_EMP} (downside_risk)",
        False,
        "pct1",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "max_dd_1y",
        "Max drawdown 1y",
        "return",
        f"Largest peak-to-trough fall of the close over the last {W_1Y} daily returns (the "
        f"{W_1Y + 1} closes spanning them); ≤ 0. Needs {min_obs(W_1Y)} returns.",
        "min_t (P_t / max_(s≤t) P_s − 1)",
        f"Magdon-Ismail & Atiya, 'Maximum drawdown', Risk (2004); {_EMP} (max_drawdown)",
        True,
        "pct1",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "max_dd_3y",
        "Max drawdown 3y",
        "return",
        f"As max_dd_1y over the last {W_3Y} daily returns; ≤ 0. Needs {min_obs(W_3Y)} returns.",
        "min_t (P_t / max_(s≤t) P_s − 1)",
        f"Magdon-Ismail & Atiya (2004); {_EMP} (max_drawdown)",
        True,
        "pct1",
        window=W_3Y,
        need=min_obs(W_3Y),
    ),
    Metric(
        "dd_from_high",
        "Below 52-week high",
        "return",
        f"Last close relative to the highest close of the ticker's last {W_1Y} trading days "
        f"(including the last); ≤ 0. Needs {min_obs(W_1Y)} closes.",
        "P_t / max(P_(t-251..t)) − 1",
        "Magdon-Ismail & Atiya (2004)",
        True,
        "pct1",
        window=W_1Y,
        need=min_obs(W_1Y),
        obs="closes",
    ),
    Metric(
        "var95_hist",
        "VaR 95% (historical)",
        "return",
        f"One-day historical value at risk: the 5th percentile of the last {W_1Y} daily returns, "
        f"linear interpolation between order statistics (numpy's default, as empyrical); a "
        f"negative return. Needs {min_obs(W_1Y)}.",
        "percentile(r, 5), position h = (n − 1) × 0.05 in the sorted returns, interpolated",
        f"Jorion, Value at Risk (3rd ed., 2007), ch. 5; {_EMP} (value_at_risk)",
        True,
        "pct2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "cvar95_hist",
        "CVaR 95% (historical)",
        "return",
        f"One-day conditional VaR (expected shortfall): mean of the k + 1 lowest of the last {W_1Y} "
        f"daily returns, k = floor((n − 1) × 0.05), as empyrical; ≤ var95_hist. Needs {min_obs(W_1Y)}.",
        "mean(sorted(r)[0..k]), k = floor((n − 1) × 0.05)",
        f"Acerbi & Tasche, 'Expected shortfall: a natural coherent alternative to VaR' (2002); {_EMP} (conditional_value_at_risk)",
        True,
        "pct2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "var95_normal",
        "VaR 95% (normal)",
        "return",
        f"One-day parametric (Gaussian) VaR over the last {W_1Y} daily returns. Needs {min_obs(W_1Y)}.",
        f"mean(r) + z × std(r, ddof=1), {_Z}",
        "Jorion (2007), ch. 5",
        True,
        "pct2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "var95_cf",
        "VaR 95% (Cornish–Fisher)",
        "return",
        f"One-day modified VaR: the normal quantile corrected for the sample skewness S and excess "
        f"kurtosis K of the last {W_1Y} daily returns (the bias-corrected skew_1y and kurt_1y). "
        f"Needs {min_obs(W_1Y)}.",
        "mean + std × (z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36)",
        "Favre & Galeano, 'Mean-modified value-at-risk optimization with hedge funds', J. Alternative Investments (2002); Zangari, RiskMetrics Monitor Q4 (1996)",
        True,
        "pct2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "skew_1y",
        "Skewness 1y",
        "ratio",
        f"Bias-corrected sample skewness G1 of the last {W_1Y} daily returns (scipy.stats.skew, bias=False). Needs {min_obs(W_1Y)}.",
        "G1 = sqrt(n(n−1))/(n−2) × m3 / m2^1.5",
        "Joanes & Gill, 'Comparing measures of sample skewness and kurtosis', The Statistician (1998)",
        None,
        "num2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
    Metric(
        "kurt_1y",
        "Excess kurtosis 1y",
        "ratio",
        f"Bias-corrected sample excess kurtosis G2 of the last {W_1Y} daily returns (scipy.stats.kurtosis, fisher=True, bias=False). Needs {min_obs(W_1Y)}.",
        "G2 = (n−1)/((n−2)(n−3)) × ((n+1) m4/m2² − 3(n−1))",
        "Joanes & Gill (1998)",
        False,
        "num2",
        window=W_1Y,
        need=min_obs(W_1Y),
    ),
]

for _sym in BENCHMARKS:
    _why = (
        "Weekly, not daily: Asian and Australian exchanges close before New York opens, so a "
        "daily return there is paired with the previous US day and daily beta is biased low."
    )
    _ENTRIES += [
        Metric(
            f"beta_{_sym.lower()}",
            f"Beta to {_sym}",
            "ratio",
            f"OLS beta of the ticker's weekly USD simple returns on {_sym}'s over the last "
            f"{WEEKS_BETA} weeks. Weekly closes are each series' last close of the week ending "
            f"Friday; pairwise-complete weeks only. {_why}",
            "cov(r, r_b) / var(r_b) on pairwise-complete weekly returns",
            f"Sharpe (1964); Dimson, 'Risk measurement when shares are subject to infrequent trading', JFE (1979); {_EMP} (beta)",
            None,
            "num2",
            currency="usd",
            window=WEEKS_BETA,
            need=int(settings.get("beta_min_weeks")),
            obs="weekly returns",
        ),
        Metric(
            f"corr_{_sym.lower()}",
            f"Correlation to {_sym}",
            "correlation",
            f"Pearson correlation of the same weekly USD returns as beta_{_sym.lower()}. {_why}",
            "cov(r, r_b) / (σ_r σ_b) on pairwise-complete weekly returns",
            "Pearson (1895); Dimson (1979)",
            None,
            "num2",
            currency="usd",
            window=WEEKS_BETA,
            need=int(settings.get("beta_min_weeks")),
            obs="weekly returns",
        ),
    ]

_ENTRIES += [
    Metric(
        "vol_regime",
        "Vol regime",
        "percentile",
        f"Where today's vol_1m sits among the last {W_1Y} daily values of the rolling 21-day "
        f"vol_1m (today included): the share of those values ≤ today's, 0–1. Near 1 = volatility "
        f"is at the top of its one-year range. Needs {min_obs(W_1Y)} rolling values "
        f"({min_obs(W_1Y) + W_1M - 1} returns).",
        "mean(v_s ≤ v_t, s = t−251..t), v = rolling std(r, 21, ddof=1)",
        "Percentile rank (Hyndman & Fan, 'Sample quantiles in statistical packages', 1996, empirical CDF)",
        None,
        "pct1",
        window=W_1Y,
        need=min_obs(W_1Y),
        obs="rolling vol_1m values",
    ),
    Metric(
        "adv_3m_usd",
        "ADV 3m (USD)",
        "USD",
        f"Average daily traded value in USD over the ticker's last {W_3M} trading days: close × "
        f"volume × USD rate, days with both close and volume. Needs {min_obs(W_3M)} such days.",
        "mean(P_t × V_t × FX_t)",
        "MarketVector Index Rules (MVIS), liquidity screen: average daily traded value",
        True,
        "usd0",
        currency="usd",
        window=W_3M,
        need=min_obs(W_3M),
        obs="days with volume",
    ),
    Metric(
        "days_to_trade",
        "Days to trade",
        "days",
        "Days needed to trade a ticket of adv_ticket_usd (USD 1m) taking adv_participation (20 %) "
        "of the 3-month ADV per day.",
        "ticket / (participation × adv_3m_usd)",
        "Standard liquidity-horizon measure; e.g. MSCI, 'Liquidity metrics' (days to liquidate)",
        False,
        "days1",
        currency="usd",
    ),
    Metric(
        "market_cap_usd",
        "Market cap (USD)",
        "USD",
        "Market capitalisation in local currency × the USD rate on as_of (carried forward at most "
        "fx_fill_days).",
        "market_cap × FX_(as_of)",
        "—",
        None,
        "usd0",
        currency="usd",
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _ENTRIES}
assert len(METRICS) == len(_ENTRIES), "duplicate metric name"

#: Window of adv_3m_usd in trading days; gates needing another horizon (eqm: 126) call adv_usd.
ADV_WINDOW: int = W_3M

#: Point-to-point return horizons in trading days, by metric stem.
RETURN_WINDOWS: dict[str, int] = {"ret_1w": W_1W, "ret_1m": W_1M, "ret_3m": W_3M, "ret_1y": W_1Y}
#: Volatility windows in daily returns, by metric stem.
VOL_WINDOWS: dict[str, int] = {"vol_1m": W_1M, "vol_3m": W_3M, "vol_1y": W_1Y}
