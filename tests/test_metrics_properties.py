"""Property tests of screener.metrics with hypothesis (synthetic series with random gaps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from screener.metrics import compute, compute_detailed

DAYS = 300
returns_st = hnp.arrays(np.float64, DAYS, elements=st.floats(-0.3, 0.3, allow_nan=False))


def frame(r: np.ndarray, keep: np.ndarray, name: str = "X") -> pd.DataFrame:
    close = 20.0 * np.cumprod(1.0 + r)
    close = np.where(keep, close, np.nan)
    return pd.DataFrame({name: close}, index=pd.bdate_range("2023-01-02", periods=len(r)))


def keep_mask(seed: int, share: float) -> np.ndarray:
    return np.random.default_rng(seed).random(DAYS) >= share


common = settings(max_examples=40, deadline=None)


@common
@given(r=returns_st, seed=st.integers(0, 2**16), share=st.floats(0, 0.1), c=st.floats(1e-3, 1e4))
def test_volatility_and_var_are_scale_invariant(r, seed, share, c) -> None:
    close = frame(r, keep_mask(seed, share))
    a, b = compute(close), compute(close * c)
    for name in (
        "vol_1m",
        "vol_1y",
        "vol_ewma",
        "downside_dev_1y",
        "var95_hist",
        "cvar95_hist",
        "max_dd_1y",
    ):
        x, y = a.loc["X", name], b.loc["X", name]
        assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= 1e-9 * max(1.0, abs(x)), name


@common
@given(r=returns_st, seed=st.integers(0, 2**16), share=st.floats(0, 0.1))
def test_drawdowns_are_in_minus_one_zero_and_cvar_below_var(r, seed, share) -> None:
    out = compute(frame(r, keep_mask(seed, share))).loc["X"]
    for name in ("max_dd_1y", "max_dd_3y", "dd_from_high"):
        if name != "max_dd_3y":  # ≤ 10 % gaps leave ≥ 227 of 300 days: these must be numbers
            assert not np.isnan(out[name])
        if not np.isnan(out[name]):
            assert -1.0 <= out[name] <= 0.0
    assert out["cvar95_hist"] <= out["var95_hist"] + 1e-15


@common
@given(r=returns_st, seed=st.integers(0, 2**16), share=st.floats(0, 0.1), other=returns_st)
def test_beta_to_itself_is_one_and_corr_is_bounded(r, seed, share, other) -> None:
    mine = frame(r, keep_mask(seed, share))
    bench = pd.DataFrame({"SPY": mine["X"], "REMX": frame(other, np.ones(DAYS, bool))["X"]})
    res = compute_detailed(mine, benchmarks=bench)
    out, why = res.values.loc["X"], res.reasons.loc["X"]
    if np.isnan(out["beta_spy"]):  # only a flat series has no beta to itself
        assert why["beta_spy"] == "SPY weekly returns are constant"
    else:
        assert abs(out["beta_spy"] - 1.0) <= 1e-9
        assert abs(out["corr_spy"] - 1.0) <= 1e-9
    if not np.isnan(out["corr_remx"]):
        assert -1.0 <= out["corr_remx"] <= 1.0
    else:
        assert "constant" in why["corr_remx"]
