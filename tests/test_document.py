"""screener/screen/document.py: clean(), iso_week(), weekly_series() and the shape of build_document
against docs/screen-json.md.

The document is built from the real shipped universe and SYNTHETIC prices/metrics (a seeded
random walk and hand-set values); nothing here comes from Yahoo.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from screener.metrics import METRICS
from screener.metrics.quality import quality
from screener.screen import types
from screener.screen.document import RunMeta, build_document, clean, iso_week, weekly_series
from screener.screen.table import build
from screener.universe.scored import Scored, load_scored

DOC = (Path(__file__).resolve().parents[1] / "docs" / "screen-json.md").read_text(encoding="utf-8")
AS_OF = date(2026, 11, 27)  # a Friday, ISO week 2026-W48


# ------------------------------------------------------------------------------------------
# clean
# ------------------------------------------------------------------------------------------


def test_clean_missing_values_become_null() -> None:
    assert clean(float("nan")) is None
    assert clean(np.float64("nan")) is None
    assert clean(float("inf")) is None and clean(-np.inf) is None
    assert clean(pd.NaT) is None
    assert clean(None) is None
    assert clean(pd.NA) is None  # nullable columns (e.g. quality.stale_days is Int64)


def test_clean_numpy_scalars_become_python() -> None:
    for value, kind, want in [
        (np.float32(0.5), float, 0.5),
        (np.int64(7), int, 7),
        (np.bool_(True), bool, True),
        (np.bool_(False), bool, False),
        (3, int, 3),
        (2.5, float, 2.5),
        (True, bool, True),
    ]:
        got = clean(value)
        assert type(got) is kind and got == want


def test_clean_dates_and_containers() -> None:
    assert clean(pd.Timestamp("2026-11-27 16:00")) == "2026-11-27"  # a price date: the day only
    assert clean(date(2026, 11, 27)) == "2026-11-27"
    assert clean(datetime(2026, 11, 30, 7, 0, 12)) == "2026-11-30T07:00:12"
    nested = {1: (np.int64(1), [np.nan, {"x": np.array([1.5, np.nan])}]), "s": "text"}
    assert clean(nested) == {"1": [1, [None, {"x": [1.5, None]}]], "s": "text"}


def test_clean_output_is_strict_json() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": pd.array([1, pd.NA], dtype="Int64")})
    rows = [{k: clean(v) for k, v in r.items()} for _, r in frame.iterrows()]
    assert json.loads(json.dumps(rows, allow_nan=False)) == [
        {"a": 1.0, "b": 1},
        {"a": None, "b": None},
    ]


# ------------------------------------------------------------------------------------------
# iso_week
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 11, 27), "2026-W48"),  # Friday; 2026 week 1 starts Mon 2025-12-29
        (date(2026, 1, 1), "2026-W01"),  # a Thursday: week 1 is the week holding it
        (date(2025, 12, 29), "2026-W01"),  # Monday of that week belongs to ISO year 2026
        (date(2027, 1, 1), "2026-W53"),  # a Friday: 2026 starts on Thursday → 53 weeks
        (date(2024, 12, 30), "2025-W01"),  # Monday before Wed 2025-01-01
        (date(2021, 1, 3), "2020-W53"),  # Sunday; leap 2020 started Wednesday → 53 weeks
        (date(2026, 3, 2), "2026-W10"),  # zero-padded single digits elsewhere: W10 not W1O
        (date(2026, 2, 2), "2026-W06"),
    ],
)
def test_iso_week(day: date, week: str) -> None:
    assert iso_week(day) == week


# ------------------------------------------------------------------------------------------
# weekly_series
# ------------------------------------------------------------------------------------------


def _daily(start: str, end: str, **columns: Any) -> pd.DataFrame:
    idx = pd.bdate_range(start, end)
    return pd.DataFrame(
        {k: v(len(idx)) if callable(v) else v for k, v in columns.items()}, index=idx
    )


def test_weekly_series_takes_each_weeks_last_close() -> None:
    # Mon 2026-11-16 .. Fri 2026-11-27: closes 1..10 → week ending 11-20 closes at 5, 11-27 at 10
    close = _daily("2026-11-16", "2026-11-27", X=lambda n: np.arange(1.0, n + 1))
    assert weekly_series(close, "X", AS_OF) == {
        "dates": ["2026-11-20", "2026-11-27"],
        "close": [5.0, 10.0],
    }


def test_weekly_series_holiday_friday_keeps_thursdays_close_under_the_week_end() -> None:
    close = _daily("2026-11-16", "2026-11-27", X=lambda n: np.arange(1.0, n + 1))
    close.loc["2026-11-20", "X"] = np.nan  # no trade on Friday 11-20: Thursday's 4.0 ends the week
    assert weekly_series(close, "X", AS_OF)["close"] == [4.0, 10.0]


def test_weekly_series_ignores_closes_after_as_of_and_never_dates_past_it() -> None:
    close = _daily("2026-11-16", "2026-12-04", X=lambda n: np.arange(1.0, n + 1))
    # as_of Wednesday 11-25: closes up to 8.0 (Mon 1 .. Fri 5, Mon 6, Tue 7, Wed 8)
    s = weekly_series(close, "X", date(2026, 11, 25))
    assert s == {"dates": ["2026-11-20", "2026-11-25"], "close": [5.0, 8.0]}


def test_weekly_series_is_about_a_year() -> None:
    close = _daily("2024-11-01", "2026-11-27", X=lambda n: np.linspace(10, 20, n))
    s = weekly_series(close, "X", AS_OF)
    assert len(s["dates"]) == 53 and s["dates"][-1] == "2026-11-27"
    assert s["dates"][0] == (AS_OF - timedelta(weeks=52)).isoformat()
    assert all(date.fromisoformat(d).weekday() == 4 for d in s["dates"])  # Fridays


def test_weekly_series_without_prices_is_empty() -> None:
    close = _daily("2026-11-16", "2026-11-27", X=1.0, EMPTY=np.nan)
    assert weekly_series(close, "MISSING", AS_OF) == {"dates": [], "close": []}
    assert weekly_series(close, "EMPTY", AS_OF) == {"dates": [], "close": []}
    assert weekly_series(close, "X", date(2026, 11, 1)) == {
        "dates": [],
        "close": [],
    }  # all after as_of


# ------------------------------------------------------------------------------------------
# build_document: shipped universe + SYNTHETIC prices and metrics
# ------------------------------------------------------------------------------------------

PRICED = ["MP", "LYC.AX", "ASM.AX", "SPY", "REMX"]
NO_CLOSES = "ARA.TO"  # a column of NaN: quality has no dates and stale_days is pd.NA
NOT_STORED = "USAR"  # not in the store at all
NO_VOL = "ASM.AX"  # priced, but vol_1y NaN with a reason


@pytest.fixture(scope="module")
def scored() -> Scored:
    return load_scored("rare_earths", today=AS_OF)


@pytest.fixture(scope="module")
def built(scored: Scored) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(48)
    idx = pd.bdate_range("2025-06-02", "2026-11-27")
    walk = np.exp(np.cumsum(rng.normal(0, 0.02, (len(idx), len(PRICED))), axis=0)) * 10
    close = pd.DataFrame(walk, index=idx, columns=PRICED)
    close[NO_CLOSES] = np.nan
    tickers = [t for t in scored.universe.primary_tickers() if t != NOT_STORED] + ["SPY", "REMX"]
    values = pd.DataFrame(
        {
            "vol_1y": rng.uniform(0.2, 1.2, len(tickers)),
            "vol_regime": rng.uniform(0, 1, len(tickers)),
            "adv_3m_usd": rng.uniform(1e5, 5e7, len(tickers)),
            "market_cap_usd": 10 ** rng.uniform(7, 10.5, len(tickers)),
        },
        index=pd.Index(tickers, name="ticker"),
    )
    values.loc[NO_VOL, "vol_1y"] = np.nan
    values.loc[NO_CLOSES] = np.nan
    reasons = pd.DataFrame("", index=values.index, columns=values.columns)
    reasons.loc[NO_VOL, "vol_1y"] = "needs 227 daily returns, has 40"
    qual = quality(close, as_of=AS_OF, synthetic=dict.fromkeys(close.columns, True))
    instruments = pd.DataFrame({"source": "demo"}, index=close.columns)
    table, robust = build(scored, values, preset="mvis")
    meta = RunMeta(
        run_id="2026-W48",
        as_of=AS_OF,
        generated_at=datetime(2026, 11, 30, 7, 0, 12, tzinfo=UTC),
        source="demo",
        synthetic=True,
        preset="mvis",
    )
    doc = build_document(
        scored,
        table,
        robust,
        meta=meta,
        values=values,
        reasons=reasons,
        quality=qual,
        close=close,
        instruments=instruments,
        failures={"ZZZ.V": "possibly delisted (synthetic)", NOT_STORED: "no stored prices"},
        last_errors={"LYC.AX": "timeout (synthetic)"},
    )
    return doc, table, close


def _rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ticker"]: r for r in doc["rows"]}


def test_document_is_strict_json(built: Any) -> None:
    doc, _, _ = built
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc


def test_document_run_block(built: Any, scored: Scored) -> None:
    run = built[0]["run"]
    assert built[0]["schema_version"] == 1
    assert run["id"] == "2026-W48" and run["week"] == "2026-W48" and run["as_of"] == "2026-11-27"
    assert run["generated_at"] == "2026-11-30T07:00:12+00:00"
    assert run["universe"]["name"] == "rare_earths"
    uni = load_scored("rare_earths").universe
    assert (run["universe"]["companies"], run["universe"]["listed"]) == (
        len(uni.companies),
        len(uni.listed),
    )
    assert run["universe"]["hash"] == scored.universe.sha256
    assert run["synthetic"] is True and run["source"] == "demo"
    assert run["preset_label"].startswith("MVIS-style")
    assert run["weights"] == dict(scored.model.weights)
    tiers = run["model"]["jurisdictions"]["tiers"]
    assert "US" in tiers["core"]["countries"] and tiers["covered"]["weight"] == 0.0


def test_document_rows_follow_the_table(built: Any) -> None:
    doc, table, _ = built
    assert [r["rank"] for r in doc["rows"]] == list(range(1, len(table) + 1))
    assert [r["id"] for r in doc["rows"]] == list(table.index)
    for r in doc["rows"]:
        t = table.loc[r["id"]]
        assert r["exposure"]["score"] == t["score"]
        assert r["frontier"] is bool(t["frontier"])
        assert r["gates"]["pass"] == t["gate_pass"] and r["gates"]["preset"] == "mvis"
        assert r["percentiles"]["score"] == t["pct_score"]
        if r["quadrant"] is not None:
            assert r["quadrant_label"] and r["quadrant"] in {
                "high_exp_low_vol",
                "high_exp_high_vol",
                "low_exp_low_vol",
                "low_exp_high_vol",
            }


def test_document_company_without_stored_prices(built: Any) -> None:
    r = _rows(built[0])[NOT_STORED]
    assert set(r["risk"]) == {"vol_1y", "vol_regime", "adv_3m_usd", "market_cap_usd"}
    assert all(v is None for v in r["risk"].values())
    assert r["risk_reasons"] == {"*": "no stored prices"}
    assert r["gates"]["pass"] is None and r["quadrant"] is None and r["quadrant_label"] is None
    assert r["exposure_per_vol"] is None and r["frontier"] is False
    assert r["data_quality"]["observations"] is None
    assert r["data_quality"]["last_error"] == "no stored prices"  # from failures
    assert r["series"] == {"dates": [], "close": []}


def test_document_null_metric_carries_its_reason(built: Any) -> None:
    r = _rows(built[0])[NO_VOL]
    assert r["risk"]["vol_1y"] is None and r["risk"]["market_cap_usd"] is not None
    assert r["risk_reasons"] == {"vol_1y": "needs 227 daily returns, has 40"}


def test_document_data_quality(built: Any) -> None:
    rows = _rows(built[0])
    dq = rows["MP"]["data_quality"]
    assert (
        dq["observations"] == len(built[2]["MP"].dropna())
        and dq["last_date"] == "2026-11-27"
        and dq["stale_days"] == 0
    )
    assert dq["synthetic"] is True and dq["source"] == "demo" and dq["last_error"] is None
    assert rows["LYC.AX"]["data_quality"]["last_error"] == "timeout (synthetic)"
    empty = rows[NO_CLOSES]["data_quality"]
    assert (
        empty["observations"] == 0 and empty["first_date"] is None and empty["stale_days"] is None
    )


def test_document_series_are_weekly_closes_up_to_as_of(built: Any) -> None:
    doc, _, close = built
    s = _rows(doc)["MP"]["series"]
    assert len(s["dates"]) == 53 and s["dates"][-1] == "2026-11-27"
    # independent check: the close on the last trading day of each Mon–Fri week
    mp = close["MP"]
    last_of_week = mp.groupby([d - timedelta(days=d.weekday()) for d in mp.index]).last().tail(53)
    assert s["close"] == pytest.approx(list(last_of_week))


def test_document_context_benchmarks_failures(built: Any, scored: Scored) -> None:
    doc = built[0]
    unlisted = [c for c in scored.universe.companies if not c.listed]
    assert len(doc["context"]) == len(unlisted) == 13
    assert {c["reason"] for c in doc["context"]} <= {"delisted", "private or not listed"}
    scores = [c["exposure"]["score"] for c in doc["context"]]
    assert scores == sorted(scores, reverse=True)
    assert [b["symbol"] for b in doc["benchmarks"]] == ["SPY", "REMX"]
    assert doc["benchmarks"][0]["risk"]["vol_1y"] is not None
    assert doc["failures"] == [
        {"ticker": NOT_STORED, "reason": "no stored prices"},
        {"ticker": "ZZZ.V", "reason": "possibly delisted (synthetic)"},
    ]
    assert [m["name"] for m in doc["metrics"]] == list(METRICS)
    assert doc["changes"] is None and doc["takeaways"] == []
    rr = doc["rank_robustness"]
    assert (rr["draws"], rr["concentration"], rr["seed"]) == (500, 50.0, 20251030)
    assert 0 < rr["median_kendall_tau"] <= 1


# ------------------------------------------------------------------------------------------
# keys: what docs/screen-json.md promises is what build_document produces
# ------------------------------------------------------------------------------------------

#: Keys docs/screen-json.md documents, by where they sit. Every key must appear in the doc's
#: text (so this table cannot drift from it) and in the built document.
DOCUMENTED: dict[str, set[str]] = {
    "": {
        "schema_version",
        "run",
        "rows",
        "context",
        "benchmarks",
        "rank_robustness",
        "changes",
        "failures",
        "metrics",
        "takeaways",
        "audit",
        "events",
        "basket",
    },
    "run": {
        "id",
        "week",
        "as_of",
        "generated_at",
        "universe",
        "source",
        "synthetic",
        "preset",
        "preset_label",
        "weights",
        "model",
        "tool_version",
    },
    "run.universe": {
        "name",
        "title",
        "version",
        "path",
        "hash",
        "companies",
        "listed",
        "newest_fact",
        "median_fact",
    },
    "row": {
        "rank",
        "ticker",
        "tickers",
        "id",
        "name",
        "hq",
        "hq_tier",
        "exposure",
        "segments",
        "china",
        "support",
        "revenue",
        "sources",
        "risk",
        "risk_reasons",
        "gates",
        "quadrant",
        "frontier",
        "exposure_per_vol",
        "percentiles",
        "rank_robustness",
        "data_quality",
        "series",
        "basket_weight",
        "basket_weight_invvol",
        "price",
    },
    "row.exposure": {
        "score",
        "low",
        "high",
        "interval_drivers",
        "confidence_note",
        "raw_score",
        "china_multiplier",
        "factors",
        "china_penalties",
        "flags",
        "as_of",
        "age_days",
        "confidence",
    },
    "row.exposure.factors.*": {"value", "low", "high", "weight", "points", "evidence"},
    "row.exposure.factors.*.evidence": {
        "stage",
        "country",
        "tier",
        "status",
        "site",
        "strength",
        "capacity_tpa",
        "scale",
        "feed",
        "unknowns",
        "sources",
    },
    "row.exposure.china_penalties": {"link", "penalty", "sources"},
    "row.segments": {
        "stage",
        "country",
        "tier",
        "status",
        "site",
        "heavy_ree",
        "feed_origin",
        "capacity_note",
        "sources",
    },
    "row.china": {
        "hq_in_china",
        "ownership_pct",
        "state_control",
        "processing_in_china",
        "sales_to_china",
        "notes",
        "sources",
    },
    "row.support": {"kind", "counterparty", "country", "date", "note", "ree_related", "sources"},
    "row.revenue": {"share", "basis", "note"},
    "row.sources": {"n", "id", "url", "date", "title", "kind"},
    "row.gates": {"preset", "market_cap", "adv", "pass"},
    "row.percentiles": {"score", "vol_1y", "exposure_per_vol"},
    "row.rank_robustness": {"median_rank", "p05", "p95", "unstable"},
    "row.data_quality": {
        "observations",
        "first_date",
        "last_date",
        "gaps",
        "stale_days",
        "flagged_jumps",
        "currency",
        "synthetic",
        "source",
        "last_error",
    },
    "row.series": {"dates", "close"},
    "context": {"id", "name", "hq", "exposure", "reason"},
    "benchmarks": {"symbol", "name", "role", "risk"},
    "rank_robustness": {"draws", "concentration", "seed", "median_kendall_tau"},
    "failures": {"ticker", "reason"},
    "metrics": {"name", "label", "unit", "description", "formula", "reference"},
    "audit": {
        "id",
        "ticker",
        "name",
        "rank",
        "score",
        "low",
        "high",
        "best_rank",
        "worst_rank",
        "secondary_only",
        "missing_capacity",
        "missing_feed",
        "age_days",
        "reasons",
    },
    "row.exposure.interval_drivers": {"what", "kind", "low", "high"},
}


def _produced(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Union of the keys found at each documented place, over every row / item."""
    rows = doc["rows"]
    out: dict[str, set[str]] = {
        "": set(doc),
        "run": set(doc["run"]),
        "run.universe": set(doc["run"]["universe"]),
    }

    def union(items: list[dict[str, Any]]) -> set[str]:
        return set().union(*(set(i) for i in items)) if items else set()

    factors = [f for r in rows for f in r["exposure"]["factors"].values()]
    out["row"] = union(rows)
    out["row.exposure"] = union([r["exposure"] for r in rows])
    out["row.exposure.factors.*"] = union(factors)
    out["row.exposure.factors.*.evidence"] = union([e for f in factors for e in f["evidence"]])
    out["row.exposure.china_penalties"] = union(
        [p for r in rows for p in r["exposure"]["china_penalties"]]
    )
    for key in ("segments", "support", "sources"):
        out[f"row.{key}"] = union([x for r in rows for x in r[key]])
    for key in (
        "china",
        "revenue",
        "gates",
        "percentiles",
        "rank_robustness",
        "data_quality",
        "series",
    ):
        out[f"row.{key}"] = union([r[key] for r in rows])
    out["row.exposure.interval_drivers"] = union(
        [d for r in rows for d in r["exposure"]["interval_drivers"]]
    )
    for key in ("context", "benchmarks", "failures", "metrics", "audit"):
        out[key] = union(doc[key])
    out["rank_robustness"] = set(doc["rank_robustness"])
    return out


def test_documented_keys_are_in_the_doc_text() -> None:
    for where, keys in DOCUMENTED.items():
        for k in keys:
            assert f'"{k}"' in DOC, f"{where}.{k} is not in docs/screen-json.md"


def test_build_document_produces_every_documented_key(built: Any) -> None:
    produced = _produced(built[0])
    missing = {w: sorted(k - produced[w]) for w, k in DOCUMENTED.items() if k - produced[w]}
    assert missing == {}
    assert produced[""] == DOCUMENTED[""]  # the top level is exactly the documented one


#: The TypedDict that declares each documented place (screener/screen/types.py).
TYPED: dict[str, Any] = {
    "": types.RunDoc,
    "run": types.RunInfo,
    "run.universe": types.UniverseInfo,
    "row": types.Row,
    "row.exposure": types.ExposureRecord,
    "row.exposure.factors.*": types.FactorRecord,
    "row.exposure.factors.*.evidence": types.EvidenceRecord,
    "row.exposure.china_penalties": types.PenaltyRecord,
    "row.segments": types.SegmentRecord,
    "row.china": types.ChinaRecord,
    "row.support": types.SupportRecord,
    "row.revenue": types.RevenueRecord,
    "row.sources": types.SourceRecord,
    "row.gates": types.GatesRecord,
    "row.percentiles": types.PercentilesRecord,
    "row.rank_robustness": types.RowRobustness,
    "row.data_quality": types.DataQualityRecord,
    "row.series": types.SeriesRecord,
    "context": types.ContextRow,
    "benchmarks": types.BenchmarkRow,
    "rank_robustness": types.RobustnessSummary,
    "failures": types.Failure,
    "metrics": types.MetricInfo,
    "audit": types.AuditRecord,
    "row.exposure.interval_drivers": types.DriverRecord,
}


def test_types_declare_exactly_what_build_document_produces(built: Any) -> None:
    produced = _produced(built[0])
    assert set(TYPED) == set(DOCUMENTED)
    declared = {w: t.__required_keys__ | t.__optional_keys__ for w, t in TYPED.items()}
    assert {w: produced[w] for w in TYPED} == declared
    # and every documented key is declared (the types may name more than the doc's example)
    assert {w: k - declared[w] for w, k in DOCUMENTED.items() if k - declared[w]} == {}


def test_document_without_robustness_says_unknown_not_unstable(scored: Scored) -> None:
    # bool(NaN) is True: the skipped interval must come out as null, not "unstable": true
    values = pd.DataFrame({"vol_1y": [0.5]}, index=["MP"])
    table, robust = build(scored, values, preset="none", robustness=False)
    meta = RunMeta("2026-W48", AS_OF, datetime(2026, 11, 30, tzinfo=UTC), "demo", True, "none")
    empty = pd.DataFrame()
    doc = build_document(
        scored,
        table,
        robust,
        meta=meta,
        values=values,
        reasons=empty,
        quality=empty,
        close=empty,
        instruments=empty,
        failures={},
    )
    assert {json.dumps(r["rank_robustness"]) for r in doc["rows"]} == {
        '{"median_rank": null, "p05": null, "p95": null, "unstable": null}'
    }
    assert doc["rank_robustness"]["median_kendall_tau"] is None


def test_document_keeps_the_audits_top_ten(built: Any, scored: Scored) -> None:
    from screener.universe.audit import audit

    doc = built[0]
    expected = audit(scored)[:10]
    assert [a["id"] for a in doc["audit"]] == [r.company_id for r in expected]
    first, row = doc["audit"][0], expected[0]
    assert (first["rank"], first["best_rank"], first["worst_rank"]) == (
        row.rank,
        row.best_rank,
        row.worst_rank,
    )
    assert first["low"] <= first["score"] <= first["high"]
    assert first["reasons"] == row.reasons()


def test_document_states_how_old_the_universe_is(built: Any, scored: Scored) -> None:
    uni = built[0]["run"]["universe"]
    dates = sorted(c.as_of.isoformat() for c in scored.universe.companies)
    assert uni["newest_fact"] == dates[-1]
    assert uni["median_fact"] == dates[(len(dates) - 1) // 2]
    below = sum(d < uni["median_fact"] for d in dates)
    assert below <= len(dates) // 2 <= below + dates.count(uni["median_fact"])


# ------------------------------------------------------------------------------------------
# basket: the exposure basket's record and the rows' price series (filled in by the run)
# ------------------------------------------------------------------------------------------

#: Keys of the ``basket`` record and the rows' ``price`` by where they sit, with their types.
BASKET_PLACES: dict[str, tuple[set[str], Any]] = {
    "basket": (
        {
            "label",
            "method",
            "as_of",
            "currency",
            "synthetic",
            "cap",
            "previous_run",
            "variants",
            "windows",
            "point_in_time",
            "note",
        },
        types.BasketRecord,
    ),
    "basket.variants": (
        {"variant", "label", "rule", "cap", "names", "largest", "turnover", "holdings"},
        types.BasketVariantRecord,
    ),
    "basket.variants.holdings": ({"id", "ticker", "weight"}, types.HoldingRecord),
    "basket.windows": ({"window", "start", "dates", "lines"}, types.BasketWindowRecord),
    "basket.windows.lines": (
        {"key", "label", "start", "ret", "dd", "stats"},
        types.BasketLineRecord,
    ),
    "basket.windows.lines.stats": (
        {"total_return", "vol", "max_dd", "beta", "tracking_error"},
        types.BasketStatsRecord,
    ),
    "basket.point_in_time": ({"runs", "first", "note"}, types.PointInTimeRecord),
    "row.price": ({"window", "currency", "start", "ret", "dd"}, types.PriceRecord),
}


def test_basket_record_is_documented_typed_and_built() -> None:
    from fixtures.screen_doc import make_doc

    doc = make_doc()
    rec = doc["basket"]
    assert rec is not None

    def union(items: Any) -> set[str]:
        return set().union(*(set(i) for i in items))

    lines = [ln for w in rec["windows"] for ln in w["lines"]]
    produced = {
        "basket": set(rec),
        "basket.variants": union(rec["variants"]),
        "basket.variants.holdings": union(h for v in rec["variants"] for h in v["holdings"]),
        "basket.windows": union(rec["windows"]),
        "basket.windows.lines": union(lines),
        "basket.windows.lines.stats": union(ln["stats"] for ln in lines),
        "basket.point_in_time": set(rec["point_in_time"]),
        "row.price": union(r["price"] for r in doc["rows"] if r.get("price")),
    }
    for where, (keys, typed) in BASKET_PLACES.items():
        assert produced[where] == keys, where
        assert typed.__required_keys__ | typed.__optional_keys__ == keys, where
        for k in keys:
            assert f'"{k}"' in DOC, f"{where}.{k} is not in docs/screen-json.md"
    assert json.loads(json.dumps(rec, allow_nan=False)) == rec


# ------------------------------------------------------------------------------------------
# events: the event study's record (filled in by the run, as the fixture document does)
# ------------------------------------------------------------------------------------------

#: Keys of the ``events`` record by where they sit, and the TypedDict declaring each place.
EVENT_PLACES: dict[str, tuple[set[str], Any]] = {
    "events": (
        {
            "benchmark",
            "window",
            "as_of",
            "companies",
            "synthetic",
            "events",
            "skipped",
            "takeaways",
            "caveat",
            "synthetic_note",
            "scores_note",
            "note",
        },
        types.EventsRecord,
    ),
    "events.events": (
        {
            "id",
            "date",
            "title",
            "direction",
            "approximate",
            "n",
            "mean_car",
            "terciles",
            "difference",
            "p",
            "bmp_p",
            "sign_p",
            "overlaps",
            "paths",
        },
        types.EventRecord,
    ),
    "events.events.terciles": ({"high", "mid", "low"}, types.TercileCars),
    "events.events.paths": ({"tau", "high", "mid", "low"}, types.PathsRecord),
    "events.events.paths.*": ({"mean", "lower", "upper"}, types.BandRecord),
    "events.skipped": ({"id", "reason"}, types.SkippedEvent),
}


def test_events_record_is_documented_typed_and_built() -> None:
    from fixtures.screen_doc import make_doc

    rec = make_doc()["events"]
    evs = rec["events"]
    produced = {
        "events": set(rec),
        "events.events": set().union(*(set(e) for e in evs)),
        "events.events.terciles": set().union(*(set(e["terciles"]) for e in evs)),
        "events.events.paths": set().union(*(set(e["paths"]) for e in evs)),
        "events.events.paths.*": set().union(
            *(set(e["paths"][t]) for e in evs for t in ("high", "mid", "low"))
        ),
        "events.skipped": set().union(*(set(x) for x in rec["skipped"])),
    }
    for where, (keys, typed) in EVENT_PLACES.items():
        assert produced[where] == keys, where
        assert typed.__required_keys__ | typed.__optional_keys__ == keys, where
        for k in keys:
            assert f'"{k}"' in DOC, f"{where}.{k} is not in docs/screen-json.md"
    assert json.loads(json.dumps(rec, allow_nan=False)) == rec
