"""Optimised metric helpers against the previous implementations they replace (kept here as
references): the same numbers and the same errors, bit for bit."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from screener import settings as screener_settings
from screener.errors import PriceDataError
from screener.metrics import _panel

quality = importlib.import_module(
    "screener.metrics.quality"
)  # the package re-exports a function of that name


def previous_own_day_jumps(arr: np.ndarray, runs: quality._Runs) -> np.ndarray:
    """The whole-array version that the block-wise one replaced."""
    jump = float(screener_settings.get("jump_return"))
    with np.errstate(invalid="ignore", divide="ignore"):
        adjacent = np.abs(arr[1:] / arr[:-1] - 1.0) > jump
        across = np.abs(arr[runs.after, runs.col] / arr[runs.before, runs.col] - 1.0) > jump
    out: np.ndarray = adjacent.sum(axis=0) + np.bincount(runs.col[across], minlength=runs.n)
    return out


def previous_check(frame: pd.DataFrame, positive: bool) -> np.ndarray:
    """What check_frame returned before: a C-ordered copy, bad values refused element-wise."""
    arr = np.ascontiguousarray(frame.to_numpy(dtype=np.float64, na_value=np.nan))
    bad = np.isinf(arr) | ((arr <= 0) if positive else (arr < 0))
    if bad.any():
        i, j = (int(k[0]) for k in np.nonzero(bad))
        raise PriceDataError(f"{frame.columns[j]!r} on {frame.index[i].date()}")
    return arr


# Prices with missing days, big jumps and (sometimes) zeros, infinities and negatives.
price = st.one_of(
    st.floats(0.01, 1000.0),
    st.just(np.nan),
    st.sampled_from([0.0, -1.0, np.inf, -np.inf, 1e-300]),
)
shapes = st.tuples(st.integers(1, 3 * quality.JUMP_BLOCK + 2), st.integers(1, 6))


@settings(max_examples=60, deadline=None)
@given(arr=shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=price)))
def test_block_wise_jumps_equal_the_whole_array_count(arr: np.ndarray) -> None:
    runs = quality._missing_runs(~np.isnan(arr))
    got = quality._own_day_jumps(arr, runs)
    np.testing.assert_array_equal(got, previous_own_day_jumps(arr, runs))
    assert got.dtype == np.int64


@settings(max_examples=60, deadline=None)
@given(
    arr=shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=price)),
    fortran=st.booleans(),
    positive=st.booleans(),
)
def test_check_frame_returns_and_refuses_as_before(
    arr: np.ndarray, fortran: bool, positive: bool
) -> None:
    data = np.asfortranarray(arr) if fortran else arr
    frame = pd.DataFrame(
        data,
        index=pd.bdate_range("2024-01-01", periods=arr.shape[0]),
        columns=list("abcdef")[: arr.shape[1]],
    )
    try:
        want = previous_check(frame, positive)
    except PriceDataError as exc:
        where = str(exc)
        with pytest.raises(PriceDataError) as got:
            _panel.check_frame(frame, "close", positive=positive)
        assert f"ticker {where.split(' on ')[0]} on {where.split(' on ')[1]} has" in str(got.value)
        return
    got_arr = _panel.check_frame(frame, "close", positive=positive)
    assert got_arr.flags.c_contiguous
    np.testing.assert_array_equal(got_arr, want)
    view = _panel.check_frame(frame, "close", positive=positive, c_contiguous=False)
    np.testing.assert_array_equal(view, want)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(0, 3 * _panel.TILE + 5), st.integers(0, 2 * _panel.TILE + 3)))
def test_tiled_copy_equals_ascontiguousarray(shape: tuple[int, int]) -> None:
    a = np.asfortranarray(np.arange(shape[0] * shape[1], dtype=np.float64).reshape(shape))
    got = _panel.c_order(a)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, np.ascontiguousarray(a))


def test_nullable_and_integer_columns_are_read_as_before() -> None:
    idx = pd.bdate_range("2024-01-01", periods=3)
    frame = pd.DataFrame(
        {"a": pd.array([1.0, None, 3.0], dtype="Float64"), "b": [1, 2, 3]}, index=idx
    )
    np.testing.assert_array_equal(
        _panel.check_frame(frame, "close", positive=True), previous_check(frame, positive=True)
    )
