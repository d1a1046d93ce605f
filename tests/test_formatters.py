"""Jinja filters: plain text out, one convention per kind of number, en dash for None."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from screener.report import formatters as f


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.123, "+12.3%"),
        (-0.04, "-4.0%"),
        (0.0, "0.0%"),
        (-0.00001, "0.0%"),
        (1.5, "+150.0%"),
        (None, "–"),
    ],
)
def test_signed_pct(value: float | None, expected: str) -> None:
    assert f.signed_pct(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.044, "+4.4 pp"), (-0.093, "-9.3 pp"), (-0.00001, "0.0 pp"), (None, "–"), (math.nan, "–")],
)
def test_pp(value: float | None, expected: str) -> None:
    assert f.pp(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0123, "0.012"), (0.5, "0.500"), (0.0004, "<0.001"), (None, "–"), (math.inf, "–")],
)
def test_pvalue(value: float | None, expected: str) -> None:
    assert f.pvalue(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.61, "61.0%"), (0.0, "0.0%"), (None, "–"), (math.nan, "–")]
)
def test_pct(value: float | None, expected: str) -> None:
    assert f.pct(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12_300_000, "USD 12.3m"),
        (1.2e9, "USD 1.2bn"),
        (950_000, "USD 950.0k"),
        (999.0, "USD 999"),
        (999_960_000, "USD 1.0bn"),
        (-2.5e6, "USD -2.5m"),
        (3.4e12, "USD 3.4tn"),
        (None, "–"),
    ],
)
def test_usd_compact(value: float | None, expected: str) -> None:
    assert f.usd(value) == expected


@pytest.mark.parametrize(
    ("name", "unit", "kind"),
    [
        ("ret_1m", "return", "signed_pct"),
        ("ret_1y", "", "signed_pct"),
        ("vol_1y", "annualised", "pct"),
        ("max_dd_1y", "fraction", "pct"),
        ("adv_3m_usd", "USD", "usd"),
        ("market_cap_usd", "", "usd"),
        ("beta_remx", "ratio", "ratio"),
        ("vol_regime", "percentile", "number"),
        ("days_to_trade", "days", "days"),
    ],
)
def test_metric_kind(name: str, unit: str, kind: str) -> None:
    assert f.metric_kind(name, unit) == kind


def test_metric_formats_by_kind() -> None:
    assert f.metric(0.61, "vol_1y", "annualised") == "61.0%"
    assert f.metric(0.123, "ret_1m", "return") == "+12.3%"
    assert f.metric(1.2e9, "market_cap_usd", "USD") == "USD 1.2bn"
    assert f.metric(1.234, "beta_remx", "ratio") == "1.23"
    assert f.metric(None, "beta_remx", "ratio") == "–"


def test_sortval_and_yesno_and_dates() -> None:
    assert f.sortval(None) == "" and f.sortval(math.nan) == ""
    assert f.sortval(0.5) == "0.5" and f.sortval(3) == "3.0" and f.sortval(True) == "1"
    assert f.yesno(None) == "unknown" and f.yesno(False, "pass", "fail") == "fail"
    assert f.isodate("2026-11-27") == "2026-11-27" and f.isodate(None) == "–"
    assert f.quadrant("high_exp_low_vol") == "exposure above median, volatility below median"
    assert f.quadrant(None) == "not placed (no volatility)"


@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.text()))
def test_filters_return_plain_str_never_markup(x: object) -> None:
    for name, fn in f.FILTERS.items():
        if name in {"metric"}:
            out = fn(x if not isinstance(x, str) else None, "vol_1y")
        elif name in {"num", "pct", "signed_pct", "pp", "pvalue", "usd"} and isinstance(x, str):
            continue
        else:
            out = fn(x)
        assert type(out) is str and not isinstance(out, Markup), name


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_usd_parses_back_within_rounding(x: float) -> None:
    text = f.usd(x)
    assert text.startswith("USD ")
    body = text[4:]
    scale = {"k": 1e3, "m": 1e6, "bn": 1e9, "tn": 1e12}
    suffix = next((s for s in ("bn", "tn", "k", "m") if body.endswith(s)), "")
    value = float(body[: len(body) - len(suffix)]) * scale.get(suffix, 1.0)
    assert abs(value - x) <= max(0.5, 0.05 * scale.get(suffix, 1.0) + 1e-9 * abs(x))


def test_usd_without_prefix_and_bare_metric_cells() -> None:
    assert f.usd(12_300_000, prefix=False) == "12.3m"
    assert f.usd(None, prefix=False) == "–"
    assert f.metric(1.2e9, "market_cap_usd", "USD", True) == "1.2bn"
    assert f.metric(0.25, "days_to_trade", "days", True) == "0.2"
    assert f.metric(0.25, "days_to_trade", "days") == "0.2 d"
    # bare only drops a unit: percentages keep their sign and %.
    assert f.metric(0.123, "ret_1m", "return", True) == "+12.3%"
