"""screener/screen/basket.py and basket_doc.py: weights, the issuer cap, turnover, the basket's
returns, the point-in-time basket from stored runs, and the document record.

Every price here is SYNTHETIC (hand-set or a seeded random walk); nothing comes from Yahoo.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.screen import basket as bk
from screener.screen.basket_doc import (
    StoredRun,
    apply,
    build_basket,
    members_of,
    stored_runs,
    usd_returns,
)

AS_OF = date(2026, 11, 27)  # a Friday


# ------------------------------------------------------------------------------------------
# weights and the issuer cap
# ------------------------------------------------------------------------------------------


def test_cap_redistributes_the_excess_in_proportion_hand_made() -> None:
    # 13 names: one at raw 40, twelve at raw 5 → A = 0.4, others 0.05 each (sum 1.0).
    # A is capped at 0.08; its excess 0.32 goes to the twelve in proportion (equal here):
    # each gets 0.05 + 0.32/12 = 0.0766..., below the cap, so one round is enough.
    raw = {"A": 40.0, **{f"B{i:02d}": 5.0 for i in range(12)}}
    w = bk.cap_weights(raw, 0.08)
    assert w.rule == "capped"
    assert w.weights["A"] == pytest.approx(0.08, abs=1e-15)
    for i in range(12):
        assert w.weights[f"B{i:02d}"] == pytest.approx(0.92 / 12, abs=1e-15)
    assert sum(w.weights.values()) == pytest.approx(1.0, abs=1e-12)


def test_cap_iterates_when_redistribution_pushes_a_name_over() -> None:
    # 14 names, raw A=50, B=12, twelve at 3 (sum 98). First round: A=50/98 > cap, capped; its
    # excess lifts B from 12/98 (0.1224, already over) ... B is capped in the same round, and the
    # excess spread over the twelve; a redistribution that pushes nobody over ends it.
    raw = {"A": 50.0, "B": 12.0, **{f"C{i:02d}": 3.0 for i in range(12)}}
    w = bk.cap_weights(raw, 0.08)
    assert w.weights["A"] == pytest.approx(0.08) and w.weights["B"] == pytest.approx(0.08)
    assert all(w.weights[f"C{i:02d}"] == pytest.approx(0.84 / 12) for i in range(12))
    # a case that needs a second round: C is under the cap at first and over it after
    raw2 = {"A": 60.0, "C": 7.0, **{f"D{i:02d}": 3.0 for i in range(12)}}
    first_c = 7.0 / 103.0  # 0.068: under the cap before A's excess arrives
    assert first_c < 0.08
    w2 = bk.cap_weights(raw2, 0.08)
    assert w2.weights["C"] == pytest.approx(0.08)  # lifted over by A's excess, then capped
    assert sum(w2.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(w2.weights[f"D{i:02d}"] == pytest.approx(0.84 / 12) for i in range(12))


def test_uncapped_weights_are_proportional_to_scores() -> None:
    raw = {f"N{i:02d}": float(10 + i % 3) for i in range(20)}  # max share 12/218 < 8 %
    w = bk.cap_weights(raw, 0.08)
    total = sum(raw.values())
    for k, v in raw.items():
        assert w.weights[k] == pytest.approx(v / total, abs=1e-15)


@pytest.mark.parametrize("n", [1, 5, 12])
def test_too_few_names_for_the_cap_fall_back_to_equal_weight(n: int) -> None:
    w = bk.cap_weights({f"N{i}": float(i + 1) for i in range(n)}, 0.08)
    assert w.rule == "equal_weight" and w.cap == pytest.approx(1 / n)
    assert list(w.weights.values()) == pytest.approx([1 / n] * n)


def test_thirteen_names_is_enough_for_eight_percent() -> None:
    w = bk.cap_weights({f"N{i}": float(i + 1) for i in range(13)}, 0.08)
    assert w.rule == "capped" and max(w.weights.values()) <= 0.08 + 1e-12


def test_empty_and_invalid_raw_weights() -> None:
    assert bk.cap_weights({}).rule == "empty"
    w = bk.cap_weights({"A": 0.0, "B": -1.0, "C": math.nan, "D": 2.0})
    assert w.weights == {"D": 1.0}  # one name: equal weight is all of it


@settings(max_examples=200, deadline=None)
@given(
    scores=st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=1, max_size=80),
    cap=st.sampled_from([0.05, 0.08, 0.1, 0.2]),
)
def test_weights_sum_to_one_and_respect_the_cap(scores: list[float], cap: float) -> None:
    raw = {f"N{i:02d}": s for i, s in enumerate(scores)}
    w = bk.cap_weights(raw, cap)
    assert sum(w.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert max(w.weights.values()) <= w.cap + 1e-12
    if len(scores) * cap >= 1:
        assert w.rule == "capped" and w.cap == cap
        # an uncapped name keeps its score's proportion to every other uncapped name
        free = [k for k, v in w.weights.items() if v < cap - 1e-9]
        for a, b in itertools.pairwise(free):
            assert w.weights[a] / w.weights[b] == pytest.approx(raw[a] / raw[b], rel=1e-9)
        # and no capped name had a lower score than an uncapped one
        capped = [k for k in raw if k not in free]
        if capped and free:
            assert min(raw[k] for k in capped) >= max(raw[k] for k in free) - 1e-9
    else:
        assert w.rule == "equal_weight"


def test_invvol_weights_use_score_over_volatility_and_skip_unmeasured() -> None:
    ms = [bk.Member(f"c{i}", f"T{i}", 50.0, 0.2 + 0.05 * i) for i in range(15)]
    ms.append(bk.Member("novol", "NV", 90.0, None))
    w = bk.invvol_weights(ms)
    assert "novol" not in w.weights and len(w.weights) == 15
    raw = {m.id: m.score / m.vol for m in ms if m.vol}
    assert w.weights == bk.cap_weights(raw).weights


# ------------------------------------------------------------------------------------------
# turnover
# ------------------------------------------------------------------------------------------


def test_turnover_on_two_hand_made_weeks() -> None:
    last_week = {"A": 0.5, "B": 0.3, "C": 0.2}
    this_week = {"A": 0.4, "B": 0.3, "D": 0.3}  # A −0.1, B 0, C −0.2 (left), D +0.3 (joined)
    assert bk.turnover(this_week, last_week) == pytest.approx(0.5 * (0.1 + 0.0 + 0.2 + 0.3))
    assert bk.turnover(last_week, last_week) == 0.0
    assert bk.turnover({"X": 1.0}, {"Y": 1.0}) == pytest.approx(1.0)  # a complete change


# ------------------------------------------------------------------------------------------
# returns
# ------------------------------------------------------------------------------------------


def _walk(seed: int, names: list[str], days: int = 800, start: str = "2023-09-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=days)
    r = rng.normal(0.0005, 0.02, (days, len(names)))
    return pd.DataFrame(20.0 * np.cumprod(1 + r, axis=0), index=idx, columns=names)


def test_basket_returns_equal_the_weighted_constituents_returns() -> None:
    # daily rebalanced to fixed weights: r_b,t = Σ w_i r_i,t, every day, to 1e-12
    close = _walk(1, ["A", "B", "C"])
    r = bk.daily_returns(close)
    w = {"A": 0.5, "B": 0.3, "C": 0.2}
    got = bk.basket_returns(r, w).iloc[1:]
    want = 0.5 * r["A"] + 0.3 * r["B"] + 0.2 * r["C"]
    assert np.max(np.abs(got.to_numpy() - want.iloc[1:].to_numpy())) < 1e-12
    # and its cumulative return chains them
    cum = bk.cumulative(bk.basket_returns(r, w))
    assert cum.iloc[0] == 0.0
    assert cum.iloc[-1] == pytest.approx(float(np.prod(1 + want.iloc[1:])) - 1, abs=1e-12)


def test_a_name_without_a_return_drops_out_and_the_rest_scale_up() -> None:
    close = _walk(2, ["A", "B"], days=10)
    close.iloc[:5, 1] = np.nan  # B lists on day 5
    r = bk.daily_returns(close)
    got = bk.basket_returns(r, {"A": 0.75, "B": 0.25})
    assert got.iloc[3] == pytest.approx(r["A"].iloc[3], abs=1e-15)  # A alone, at weight 1
    assert got.iloc[7] == pytest.approx(0.75 * r["A"].iloc[7] + 0.25 * r["B"].iloc[7], abs=1e-15)


def test_usd_closes_carry_over_holidays_and_convert() -> None:
    idx = pd.bdate_range("2026-11-02", periods=5)
    close = pd.DataFrame({"X": [10.0, np.nan, 11.0, 11.0, 12.0]}, index=idx)
    factor = pd.DataFrame({"X": [0.5, 0.6, 0.6, 0.6, 0.6]}, index=idx)
    usd = bk.usd_closes(close, factor)
    # the holiday keeps its local close (10) at the day's rate: a pure FX move of +20 %
    assert usd["X"].tolist() == pytest.approx([5.0, 6.0, 6.6, 6.6, 7.2])


def test_drawdown_and_stats_on_a_hand_made_path() -> None:
    idx = pd.bdate_range("2026-01-05", periods=4)
    r = pd.Series([np.nan, 0.10, -0.20, 0.05], index=idx)
    cum = bk.cumulative(r)
    assert cum.tolist() == pytest.approx([0.0, 0.10, -0.12, -0.076])
    assert bk.drawdown(cum).tolist() == pytest.approx([0.0, 0.0, -0.2, -0.16])
    s = bk.stats(r, None)
    assert s.total_return == pytest.approx(-0.076) and s.max_dd == pytest.approx(-0.2)
    assert s.vol == pytest.approx(float(np.std([0.10, -0.20, 0.05], ddof=1)) * math.sqrt(252))
    assert s.beta is None  # no reference


def test_beta_and_tracking_error_on_weekly_returns() -> None:
    close = _walk(3, ["M"], days=300)
    m = bk.daily_returns(close)["M"]
    b = 2.0 * m  # a basket moving twice the reference daily: weekly beta ≈ 2 (compounding)
    s = bk.stats(b, m)
    assert s.beta == pytest.approx(2.0, abs=0.1)
    same = bk.stats(m, m)
    assert same.beta == pytest.approx(1.0, abs=1e-12)
    assert same.tracking_error == pytest.approx(0.0, abs=1e-12)


def test_point_in_time_uses_each_weeks_own_weights() -> None:
    close = _walk(4, ["A", "B"], days=15, start="2026-11-02")
    r = bk.daily_returns(close)
    week1, week2 = date(2026, 11, 6), date(2026, 11, 13)
    pit = bk.point_in_time_returns(r, [(week1, {"A": 1.0}), (week2, {"B": 1.0})])
    d = r.index
    assert pit[d <= pd.Timestamp(week1)].isna().all()  # nothing before the first run
    between = (d > pd.Timestamp(week1)) & (d <= pd.Timestamp(week2))
    assert np.allclose(pit[between], r["A"][between], atol=1e-15)
    after = d > pd.Timestamp(week2)
    assert np.allclose(pit[after], r["B"][after], atol=1e-15)


# ------------------------------------------------------------------------------------------
# the document record, from rows and stored runs
# ------------------------------------------------------------------------------------------


def _row(i: int, score: float, passes: bool | None, vol: float | None = 0.4) -> dict[str, Any]:
    return {
        "id": f"co-{i:02d}",
        "ticker": f"T{i:02d}",
        "exposure": {"score": score},
        "gates": {"pass": passes},
        "risk": {"vol_1y_usd": vol},
    }


def _rows(n: int = 16) -> list[Any]:
    rows = [_row(i, 90.0 - 3 * i, True) for i in range(n)]
    rows.append(_row(90, 99.0, False))  # fails the gates: never a member
    rows.append(_row(91, 98.0, None))  # gate unknown: not a member either
    return rows


def _returns(rows: list[Any], days: int = 900) -> pd.DataFrame:
    names = [r["ticker"] for r in rows] + ["REMX", "SPY"]
    close = _walk(5, names, days=days)
    close.index = pd.bdate_range(end=AS_OF, periods=days)  # ~3.5 years up to AS_OF
    return bk.daily_returns(close)


def test_members_are_the_rows_that_pass_the_gates() -> None:
    ms = members_of(_rows())
    assert [m.id for m in ms] == [f"co-{i:02d}" for i in range(16)]


def test_document_record_weights_turnover_and_series() -> None:
    rows = _rows()
    returns = _returns(rows)
    previous = StoredRun("2026-W47", date(2026, 11, 20), tuple(members_of(rows[:14])))
    record, prices = build_basket(rows, returns, as_of=AS_OF, synthetic=True, history=[previous])
    assert record["label"] == "today's basket on past prices, not a backtest"
    score = record["variants"][0]
    assert score["variant"] == "score" and score["names"] == 16 and score["rule"] == "capped"
    assert sum(h["weight"] for h in score["holdings"]) == pytest.approx(1.0, abs=1e-5)
    assert max(h["weight"] for h in score["holdings"]) <= 0.08
    # turnover against last week's basket, rebuilt from last week's members
    now = bk.score_weights(members_of(rows)).weights
    old = bk.score_weights(previous.members).weights
    assert score["turnover"] == pytest.approx(bk.turnover(now, old), abs=1e-4)
    assert record["previous_run"] == "2026-W47"
    # each window has dates, and every line a value on each
    for w in record["windows"]:
        keys = [ln["key"] for ln in w["lines"]]
        assert keys == ["basket", "basket_invvol", "point_in_time", "REMX", "SPY"]
        for ln in w["lines"]:
            assert len(ln["ret"]) == len(ln["dd"]) == len(w["dates"])
        assert w["lines"][0]["ret"][0] == 0.0  # the base day
    # the basket line is the weighted constituents, chained (to the document's rounding)
    three = record["windows"][1]
    tick = {m.id: m.ticker for m in members_of(rows)}
    base = pd.Timestamp(three["start"])
    daily = bk.basket_returns(returns, {tick[k]: v for k, v in now.items()})
    daily = daily[daily.index > base]
    assert three["lines"][0]["ret"][-1] == pytest.approx(float(np.prod(1 + daily) - 1), abs=1e-4)
    # rows: weights and price series land in the document; non-members weigh 0
    doc: dict[str, Any] = {"rows": [dict(r) for r in rows]}
    apply(doc, record, prices)
    by_id = {r["id"]: r for r in doc["rows"]}
    assert by_id["co-90"]["basket_weight"] == 0.0 and by_id["co-91"]["basket_weight"] == 0.0
    assert by_id["co-00"]["basket_weight"] == score["holdings"][0]["weight"]
    p = by_id["co-00"]["price"]
    assert p["window"] == "3y" and len(p["ret"]) == len(three["dates"])
    assert json.loads(json.dumps(record, allow_nan=False)) == record


def test_too_few_members_is_said_and_equal_weighted() -> None:
    rows = _rows(5)
    record, _ = build_basket(rows, _returns(rows, 400), as_of=AS_OF, synthetic=False)
    v = record["variants"][0]
    assert v["rule"] == "equal_weight" and v["cap"] == pytest.approx(0.2)
    assert record["point_in_time"]["runs"] == 0 and v["turnover"] is None


def test_usd_returns_convert_foreign_listings() -> None:
    idx = pd.bdate_range("2026-11-02", periods=3)
    close = pd.DataFrame({"L.AX": [10.0, 10.0, 10.0], "U": [5.0, 5.5, 5.5]}, index=idx)
    fx = pd.DataFrame({"AUD": [0.6, 0.66, 0.6]}, index=idx)
    r = usd_returns(close, fx, {"L.AX": "AUD", "U": "USD"}, date(2026, 11, 4))
    assert r["L.AX"].iloc[1:].tolist() == pytest.approx([0.1, 0.6 / 0.66 - 1])
    assert r["U"].iloc[1:].tolist() == pytest.approx([0.1, 0.0])


def test_point_in_time_basket_from_two_stored_runs(tmp_path: Any) -> None:
    """Two stored runs with different gate verdicts: the point-in-time line earns week 1's
    members between the runs and week 2's after; the store read keeps each run's own rows."""
    from screener.store import Store

    rows = _rows(14)
    week1 = [dict(r) for r in rows]
    week2 = [dict(r) for r in rows]
    week2[0] = _row(0, 88.0, False)  # co-00 fails the gates in week 2
    with Store.open(tmp_path / "store") as store:
        for run_id, as_of, rs in (
            ("2026-W46", date(2026, 11, 13), week1),
            ("2026-W47", date(2026, 11, 20), week2),
        ):
            store.save_run(
                {"run_id": run_id, "week": run_id, "as_of": as_of, "generated_at": as_of},
                {"rows": rs},
                [
                    {
                        "company_id": r["id"],
                        "ticker": r["ticker"],
                        "rank": i + 1,
                        "score": r["exposure"]["score"],
                        "payload": r,
                    }
                    for i, r in enumerate(rs)
                ],
            )
        frame = store.run_members(since=date(2023, 1, 1), before=date(2026, 11, 23))
    history = stored_runs(frame)
    assert [h.run_id for h in history] == ["2026-W46", "2026-W47"]
    assert "co-00" in {m.id for m in history[0].members}
    assert "co-00" not in {m.id for m in history[1].members}
    assert history[0].members[0].vol == 0.4
    returns = _returns(rows)
    record, _ = build_basket(rows, returns, as_of=AS_OF, synthetic=True, history=history)
    assert record["point_in_time"]["runs"] == 2
    assert record["point_in_time"]["first"] == "2026-11-13"
    w1 = {
        m.ticker: v
        for m in history[0].members
        for k, v in bk.score_weights(history[0].members).weights.items()
        if k == m.id
    }
    w2 = {
        m.ticker: v
        for m in history[1].members
        for k, v in bk.score_weights(history[1].members).weights.items()
        if k == m.id
    }
    assert w1 != w2
    d = returns.index
    r1 = bk.basket_returns(returns, w1)[(d > "2026-11-13") & (d <= "2026-11-20")]
    r2 = bk.basket_returns(returns, w2)[(d > "2026-11-20") & (d <= pd.Timestamp(AS_OF))]
    want = float(np.prod(1 + r1) * np.prod(1 + r2) - 1)
    one = record["windows"][0]
    pit = next(ln for ln in one["lines"] if ln["key"] == "point_in_time")
    assert pit["start"] == "2026-11-13"
    assert pit["ret"][-1] == pytest.approx(want, abs=1e-4)
    # turnover is against the newest stored run (week 2)
    assert record["previous_run"] == "2026-W47"


def test_a_member_without_usd_prices_is_named_in_the_note() -> None:
    rows = _rows()
    returns = _returns(rows).drop(columns=["T03"])  # e.g. its currency has no FX rate stored
    record, prices = build_basket(rows, returns, as_of=AS_OF, synthetic=False)
    assert record["note"] is not None and "T03" in record["note"]
    assert prices["co-03"] is None
    full, _ = build_basket(rows, _returns(rows), as_of=AS_OF, synthetic=False)
    assert full["note"] is None
