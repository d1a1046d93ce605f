"""The DuckDB price store: schema, upserts, reads, status, run history, atomicity, locking."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from screener.errors import NotFoundError, PriceDataError, StoreError
from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
from screener.store import LONG_COLUMNS, SCHEMA_VERSION, STORE_FILENAME, Store

REPO = Path(__file__).resolve().parents[1]


def bars(ticker: str, start: str, n: int, first: float = 10.0, step: float = 0.01) -> pd.DataFrame:
    """``n`` business-day bars with a gentle deterministic trend (never flagged)."""
    dates = pd.bdate_range(start, periods=n)
    close = first * (1 + step) ** np.arange(n)
    return pd.DataFrame(
        {
            "ticker": ticker,
            "date": dates,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close * 0.95,
            "volume": np.arange(n, dtype=float) * 100,
        }
    )


def instruments(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(
        [{c: r.get(c) for c in INSTRUMENT_COLUMNS} for r in rows], columns=list(INSTRUMENT_COLUMNS)
    )


def result(
    prices: pd.DataFrame,
    inst: pd.DataFrame | None = None,
    *,
    source: str = "csv",
    synthetic: bool = False,
) -> FetchResult:
    return FetchResult(source, synthetic, prices, inst if inst is not None else instruments())  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


# --- opening and schema -----------------------------------------------------------------------


def test_open_creates_missing_directories_and_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "c"
    with Store.open(folder) as s:
        assert s.path == folder / STORE_FILENAME
    assert (folder / STORE_FILENAME).is_file()
    con = duckdb.connect(str(folder / STORE_FILENAME), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    con.close()


def test_reopening_does_not_add_schema_rows_or_lose_data(tmp_path: Path) -> None:
    Store.open(tmp_path).upsert(result(bars("MP", "2024-01-01", 5)))
    s = Store.open(tmp_path)
    assert len(s.prices_long()) == 5
    con = duckdb.connect(str(s.path), read_only=True)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)
    con.close()


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    con = duckdb.connect(str(s.path))
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    for read_only in (False, True):
        with pytest.raises(
            StoreError,
            match=rf"schema version {SCHEMA_VERSION + 1}, written by a newer screener.*Upgrade screener",
        ):
            Store.open(tmp_path, read_only=read_only)


def test_read_only_open_of_a_missing_store_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no price store at .*screener prices refresh"):
        Store.open(tmp_path / "nowhere", read_only=True)
    assert not (tmp_path / "nowhere").exists()


def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    Store.open(tmp_path)
    ro = Store.open(tmp_path, read_only=True)
    with pytest.raises(StoreError, match="opened read-only"):
        ro.upsert(result(bars("MP", "2024-01-01", 3)))


def test_a_file_that_is_not_a_store_gives_a_store_error(tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_text("hello, not a database\n" * 100)
    with pytest.raises(StoreError, match=r"is not a DuckDB database.*store restore"):
        Store.open(tmp_path)


# --- upsert and reads --------------------------------------------------------------------------


def test_round_trip_keeps_values_types_and_order(store: Store) -> None:
    a = bars("MP", "2024-01-01", 30)
    b = bars("LYC.AX", "2024-01-03", 20, first=7.0)
    b.loc[4, "volume"] = np.nan
    written = store.upsert(result(pd.concat([a, b]).sample(frac=1, random_state=1)))
    assert written == 50
    long = store.prices_long()
    assert list(long.columns) == list(LONG_COLUMNS)
    assert str(long["date"].dtype) == "datetime64[us]"
    assert isinstance(long["ticker"].dtype, pd.CategoricalDtype)
    assert long["ticker"].astype(str).tolist() == ["LYC.AX"] * 20 + ["MP"] * 30
    assert (
        long.groupby("ticker", observed=True)["date"]
        .apply(lambda d: d.is_monotonic_increasing)
        .all()
    )
    got = long[long["ticker"] == "MP"].reset_index(drop=True)
    for col in ("open", "high", "low", "close", "adj_close", "volume"):
        np.testing.assert_array_equal(got[col].to_numpy(), a[col].to_numpy())
    assert math.isnan(long.loc[long["ticker"] == "LYC.AX", "volume"].iloc[4])
    assert not long["synthetic"].any()
    assert (long["flags"].astype(str) == "").all()


def test_same_result_twice_leaves_the_same_rows(store: Store) -> None:
    r = result(bars("MP", "2024-01-01", 40))
    store.upsert(r)
    first = store.prices_long()
    store.upsert(r)
    second = store.prices_long()
    pd.testing.assert_frame_equal(first, second)


def test_revised_bars_overwrite_and_new_bars_append(store: Store) -> None:
    store.upsert(result(bars("MP", "2024-01-01", 10)))
    revised = bars("MP", "2024-01-11", 6, first=50.0)  # overlaps the last 2 days, adds 4
    store.upsert(result(revised))
    long = store.prices_long(["MP"])
    assert len(long) == 14
    tail = long.set_index("date").loc[revised["date"], "close"].to_numpy()
    np.testing.assert_array_equal(tail, revised["close"].to_numpy())


def test_reads_are_sorted_after_incremental_appends(store: Store) -> None:
    # Appending B's history after A's later days leaves the table out of key order on disk.
    store.upsert(result(pd.concat([bars("A", "2024-01-01", 5), bars("B", "2024-01-01", 5)])))
    store.upsert(result(bars("A", "2024-01-08", 5)))
    long = store.prices_long()
    keys = list(zip(long["ticker"].astype(str), long["date"], strict=True))
    assert keys == sorted(keys)
    assert len(keys) == 15


def test_filters_by_ticker_and_date(store: Store) -> None:
    store.upsert(result(pd.concat([bars("A", "2024-01-01", 10), bars("B", "2024-01-01", 10)])))
    long = store.prices_long(["B"], start=date(2024, 1, 3), end=date(2024, 1, 9))
    assert set(long["ticker"].astype(str)) == {"B"}
    assert long["date"].min() == pd.Timestamp("2024-01-03")
    assert long["date"].max() == pd.Timestamp("2024-01-09")
    assert len(long) == 5
    assert store.prices_long(["nope"]).empty
    assert list(store.prices_long(["nope"]).columns) == list(LONG_COLUMNS)


def test_wide_is_dates_by_tickers_with_nan_for_missing_bars(store: Store) -> None:
    a = bars("A", "2024-01-01", 5)
    b = bars("B", "2024-01-03", 5)
    store.upsert(result(pd.concat([a, b])))
    wide = store.wide("close")
    assert list(wide.columns) == ["A", "B"]
    assert wide.index.name == "date" and str(wide.index.dtype) == "datetime64[us]"
    assert list(wide.index) == list(pd.bdate_range("2024-01-01", periods=7))
    assert np.isnan(wide.loc["2024-01-01", "B"]) and np.isnan(wide.loc["2024-01-09", "A"])
    np.testing.assert_array_equal(wide["A"].dropna().to_numpy(), a["close"].to_numpy())
    # Asked-for tickers keep the caller's order; one without bars is an all-NaN column.
    picked = store.wide("adj_close", ["B", "ZZZ", "A"], start=date(2024, 1, 4))
    assert list(picked.columns) == ["B", "ZZZ", "A"]
    assert picked["ZZZ"].isna().all()
    assert picked.index.min() == pd.Timestamp("2024-01-04")
    with pytest.raises(ValueError, match="unknown price field 'price'"):
        store.wide("price")


def test_last_dates(store: Store) -> None:
    store.upsert(result(pd.concat([bars("A", "2024-01-01", 5), bars("B", "2024-01-01", 9)])))
    assert store.last_dates() == {"A": date(2024, 1, 5), "B": date(2024, 1, 11)}
    assert store.last_dates(["B", "C"]) == {"B": date(2024, 1, 11)}


def test_bad_input_frames_name_the_problem(store: Store) -> None:
    with pytest.raises(PriceDataError, match=r"without column.*adj_close"):
        store.upsert(result(bars("A", "2024-01-01", 3).drop(columns="adj_close")))
    broken = bars("A", "2024-01-01", 3).astype({"date": object})
    broken.loc[1, "date"] = "not a date"
    with pytest.raises(PriceDataError, match="without a valid date for A"):
        store.upsert(result(broken))


# --- flags -------------------------------------------------------------------------------------


def test_upsert_stores_flags_and_keeps_flagged_bars(store: Store) -> None:
    p = bars("A", "2024-01-01", 8, step=0.0)
    p.loc[3, ["close", "adj_close"]] = 20.0  # +100 % then back: a bad tick
    p.loc[6, "low"] = -1.0
    dup = p.iloc[[5]].assign(close=10.5, adj_close=10.5)
    store.upsert(result(pd.concat([p, dup])))
    long = store.prices_long(["A"]).set_index("date")
    assert len(long) == 8
    assert long.loc["2024-01-04", "flags"] == "bad_tick"
    assert long.loc["2024-01-08", "flags"] == "duplicate_date"
    assert long.loc["2024-01-08", "close"] == 10.5  # the last copy wins
    assert long.loc["2024-01-09", "flags"] == "nonpositive"
    assert store.status(date(2024, 1, 12)).loc["A", "flagged"] == 3


def test_a_spike_on_the_last_stored_bar_is_flagged_when_the_next_bar_arrives(store: Store) -> None:
    p = bars("A", "2024-01-01", 5, step=0.0)
    p.loc[4, ["close", "adj_close"]] = 30.0
    store.upsert(result(p))
    assert (store.prices_long()["flags"] == "").all()  # cannot judge the last bar yet
    nxt = bars("A", "2024-01-08", 2, step=0.0)
    store.upsert(result(nxt))
    flags = store.prices_long().set_index("date")["flags"]
    assert flags.loc["2024-01-05"] == "bad_tick"
    assert (flags.drop(pd.Timestamp("2024-01-05")) == "").all()


# --- instruments, status, synthetic -----------------------------------------------------------


def test_instruments_upsert_keeps_known_fields_when_the_source_has_none(store: Store) -> None:
    first = instruments(
        {
            "ticker": "LYC.AX",
            "name": "Lynas",
            "currency": "AUD",
            "market_cap": 6e9,
            "price_divisor": 1.0,
        }
    )
    store.upsert(result(bars("LYC.AX", "2024-01-01", 3), first, source="yahoo"))
    second = instruments({"ticker": "LYC.AX", "currency": "AUD", "exchange": "ASX"})
    store.upsert(result(bars("LYC.AX", "2024-01-04", 3), second, source="csv"))
    inst = store.instruments()
    assert inst.index.tolist() == ["LYC.AX"]
    row = inst.loc["LYC.AX"]
    assert (row["name"], row["exchange"], row["market_cap"], row["source"]) == (
        "Lynas",
        "ASX",
        6e9,
        "csv",
    )
    assert store.instruments(["nope"]).empty


def test_guessed_instrument_fields_never_overwrite_looked_up_ones(store: Store) -> None:
    t0, t1, t2, t3 = (datetime(2024, 2, d, 9, 0) for d in (1, 5, 6, 20))
    looked_up = instruments(
        {
            "ticker": "LYC.AX",
            "name": "Lynas",
            "currency": "AUD",
            "exchange": "ASX Ltd",
            "timezone": "Australia/Sydney",
            "market_cap": 6e9,
            "price_divisor": 1.0,
            "quote_currency": "AUD",
        }
    )
    store.upsert(result(bars("LYC.AX", "2024-01-01", 3), looked_up, source="yahoo"), fetched_at=t0)
    # A refresh that looked nothing up: exchange-table guesses, no name, no cap; plus a newcomer.
    guesses = instruments(
        {
            "ticker": "LYC.AX",
            "currency": "USD",
            "exchange": "ASX",
            "timezone": "UTC",
            "price_divisor": 100.0,
            "quote_currency": "GBp",
        },
        {"ticker": "NEW.AX", "currency": "AUD", "exchange": "ASX", "price_divisor": 1.0},
    )
    prices = pd.concat([bars("LYC.AX", "2024-01-04", 2), bars("NEW.AX", "2024-01-04", 2)])
    store.upsert(
        FetchResult("csv", True, prices, guesses, metadata_fetched=frozenset()), fetched_at=t1
    )
    inst = store.instruments()
    row = inst.loc["LYC.AX"]
    assert row[
        [
            "name",
            "currency",
            "exchange",
            "timezone",
            "market_cap",
            "price_divisor",
            "quote_currency",
            "source",
            "synthetic",
            "updated_at",
        ]
    ].tolist() == [
        "Lynas",
        "AUD",
        "ASX Ltd",
        "Australia/Sydney",
        6e9,
        1.0,
        "AUD",
        "yahoo",
        False,
        pd.Timestamp(t0),
    ]
    # A new row of guesses is stored as it is, to be completed later.
    new = inst.loc["NEW.AX"]
    assert (new["exchange"], new["updated_at"], new["source"]) == ("ASX", pd.Timestamp(t1), "csv")
    assert pd.isna(new["name"]) and pd.isna(new["market_cap"])

    # A cap is never a guess: a new one wins even in a row that was not looked up.
    capped = instruments({"ticker": "LYC.AX", "exchange": "ASX", "market_cap": 7e9})
    store.upsert(
        FetchResult(
            "yahoo",
            False,
            bars("LYC.AX", "2024-01-08", 1),
            capped,
            metadata_fetched=frozenset({"OTHER"}),
        ),
        fetched_at=t2,
    )
    row = store.instruments(["LYC.AX"]).loc["LYC.AX"]
    assert (row["market_cap"], row["exchange"], row["updated_at"]) == (
        7e9,
        "ASX Ltd",
        pd.Timestamp(t0),
    )

    # Looked up again: new non-null values win, nulls keep the stored ones, updated_at moves.
    again = instruments(
        {
            "ticker": "LYC.AX",
            "name": "Lynas Rare Earths",
            "currency": "AUD",
            "exchange": "ASX",
            "price_divisor": 1.0,
            "quote_currency": "AUD",
        }
    )
    store.upsert(
        FetchResult(
            "yahoo",
            False,
            bars("LYC.AX", "2024-01-09", 1),
            again,
            metadata_fetched=frozenset({"LYC.AX"}),
        ),
        fetched_at=t3,
    )
    row = store.instruments(["LYC.AX"]).loc["LYC.AX"]
    assert row[["name", "exchange", "timezone", "market_cap", "updated_at"]].tolist() == [
        "Lynas Rare Earths",
        "ASX",
        "Australia/Sydney",
        7e9,
        pd.Timestamp(t3),
    ]


def test_status_reports_staleness_errors_and_provenance(store: Store) -> None:
    t0 = datetime(2024, 2, 1, 9, 0)
    store.upsert(
        result(bars("A", "2024-01-01", 10), instruments({"ticker": "A", "currency": "USD"}))
    )
    store.upsert(result(bars("B", "2024-01-01", 3), source="demo", synthetic=True))
    store.log_fetch(
        [
            {
                "ticker": "A",
                "source": "csv",
                "started_at": t0,
                "finished_at": t0,
                "status": "failed",
                "reason": "old failure",
            },
            {
                "ticker": "A",
                "source": "csv",
                "started_at": t0,
                "finished_at": t0,
                "status": "ok",
                "rows": 10,
            },
            {
                "ticker": "B",
                "source": "demo",
                "started_at": t0,
                "finished_at": t0,
                "status": "ok",
                "rows": 3,
            },
            {
                "ticker": "B",
                "source": "demo",
                "started_at": t0,
                "finished_at": t0,
                "status": "failed",
                "reason": "HTTP 404",
            },
            {
                "ticker": "C",
                "source": "yahoo",
                "started_at": t0,
                "finished_at": t0,
                "status": "failed",
                "reason": "delisted",
            },
        ]
    )
    st = store.status(date(2024, 1, 20))
    assert st.index.tolist() == ["A", "B", "C"]
    a, b, c = st.loc["A"], st.loc["B"], st.loc["C"]
    assert (a["source"], a["synthetic"], a["rows"], a["currency"], a["days_stale"]) == (
        "csv",
        False,
        10,
        "USD",
        8,
    )
    assert a["last_date"] == pd.Timestamp("2024-01-12") and a["first_date"] == pd.Timestamp(
        "2024-01-01"
    )
    assert a["last_error"] is None  # the failure was followed by a success
    assert (b["source"], b["synthetic"], b["last_error"], b["days_stale"]) == (
        "demo",
        True,
        "HTTP 404",
        17,
    )
    assert (c["source"], c["rows"], c["last_error"]) == ("yahoo", 0, "delisted")
    assert pd.isna(c["days_stale"]) and pd.isna(c["last_date"])


def test_has_synthetic(store: Store) -> None:
    store.upsert(result(bars("REAL", "2024-01-01", 3)))
    store.upsert(result(bars("FAKE", "2024-01-01", 3), source="demo", synthetic=True))
    assert not store.has_synthetic(["REAL"])
    assert store.has_synthetic(["REAL", "FAKE"])
    assert not store.has_synthetic([])


def test_fetch_log_validates_status(store: Store) -> None:
    with pytest.raises(StoreError, match="status 'maybe' must be 'ok' or 'failed'"):
        store.log_fetch([{"ticker": "A", "source": "csv", "status": "maybe"}])


# --- run history --------------------------------------------------------------------------------


def run_meta(run_id: str, as_of: str) -> dict[str, object]:
    return {
        "run_id": run_id,
        "week": run_id,
        "as_of": as_of,
        "generated_at": "2026-11-30T07:00:12+00:00",
        "universe_name": "rare_earths",
        "universe_hash": "sha256:abc",
        "weights": {"sourcing": 0.25},
        "preset": "mvis",
        "source": "demo",
        "synthetic": True,
        "tool_version": "0.1.0",
    }


def run_rows(*ids: str) -> list[dict[str, object]]:
    return [
        {
            "rank": i + 1,
            "id": cid,
            "ticker": cid.upper(),
            "exposure": {"score": 90.0 - i},
            "risk": {"vol_1y": None},
        }
        for i, cid in enumerate(ids)
    ]


def test_runs_save_list_load_previous_and_replace(store: Store) -> None:
    for run_id, as_of, ids in (
        ("2026-W46", "2026-11-13", ("mp", "lynas")),
        ("2026-W47", "2026-11-20", ("lynas", "mp", "iluka")),
        ("2026-W48", "2026-11-27", ("iluka",)),
    ):
        rows = run_rows(*ids)
        store.save_run(run_meta(run_id, as_of), {"run": {"id": run_id}, "rows": rows}, rows)
    # A rerun of a week replaces it whole: new document, new rows, no leftovers.
    rows = run_rows("arafura", "mp")
    store.save_run(
        run_meta("2026-W47", "2026-11-21"),
        {"run": {"id": "2026-W47", "rerun": True}, "rows": rows},
        rows,
    )
    listed = store.list_runs()
    assert [r["run_id"] for r in listed] == ["2026-W46", "2026-W47", "2026-W48"]
    assert listed[1]["as_of"] == date(2026, 11, 21)
    assert listed[1]["generated_at"] == datetime(2026, 11, 30, 7, 0, 12)
    assert json.loads(listed[0]["weights_json"]) == {"sourcing": 0.25}
    run = store.load_run("2026-W47")
    assert run["document"]["run"]["rerun"] is True
    assert [r["id"] for r in run["rows"]] == ["arafura", "mp"]
    assert run["rows"][0]["risk"] == {"vol_1y": None}
    assert store.previous_run("2026-W48")["run_id"] == "2026-W47"
    assert store.previous_run(before_as_of=date(2026, 11, 21))["run_id"] == "2026-W46"
    assert store.previous_run("2026-W46") is None
    con = duckdb.connect(str(store.path), read_only=True)
    assert con.execute("SELECT count(*) FROM run_results WHERE run_id = '2026-W47'").fetchone() == (
        2,
    )
    assert con.execute(
        "SELECT score FROM run_results WHERE run_id = '2026-W47' AND company_id = 'mp'"
    ).fetchone() == (89.0,)
    con.close()


def test_load_run_of_an_unknown_week_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no stored run '2020-W01' \(no run stored yet"):
        store.load_run("2020-W01")


def test_a_document_with_nan_is_refused_and_nothing_is_written(store: Store) -> None:
    with pytest.raises(StoreError, match="use null for a missing number"):
        store.save_run(run_meta("2026-W48", "2026-11-27"), {"x": float("nan")}, run_rows("mp"))
    assert store.list_runs() == []


def test_a_failed_run_replacement_keeps_the_old_run(store: Store) -> None:
    rows = run_rows("mp", "lynas")
    store.save_run(run_meta("2026-W48", "2026-11-27"), {"v": 1}, rows)
    with pytest.raises(StoreError, match="listed twice: mp"):
        store.save_run(run_meta("2026-W48", "2026-11-27"), {"v": 2}, run_rows("mp", "mp"))
    assert store.load_run("2026-W48")["document"] == {"v": 1}


# --- atomicity under SIGKILL and concurrency (real subprocesses) ----------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np, pandas as pd
    sys.path.insert(0, {repo!r})
    from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
    from screener.store import Store

    def batch(i):
        # 20 tickers x 250 bars, values a function of (batch, ticker, day): checkable later.
        frames = []
        for k in range(20):
            v = 100.0 + i + k / 100 + np.arange(250) / 1000
            frames.append(pd.DataFrame({{
                "ticker": f"K{{i:04d}}_{{k:02d}}", "date": pd.bdate_range("2020-01-01", periods=250),
                "open": v, "high": v, "low": v, "close": v, "adj_close": v, "volume": v}}))
        return FetchResult("csv", False, pd.concat(frames), pd.DataFrame(columns=list(INSTRUMENT_COLUMNS)))

    store = Store.open(sys.argv[1], lock_wait=30)
    pause = float(sys.argv[2])
    for i in range(int(sys.argv[3])):
        store.upsert(batch(i))
        print(i, flush=True)
        time.sleep(pause)
    """
)


def start_writer(tmp_path: Path, data: Path, pause: float, batches: int) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(CHILD.format(repo=str(REPO)))
    return subprocess.Popen(
        [sys.executable, str(script), str(data), str(pause), str(batches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expected_batch_values(i: int, k: int) -> np.ndarray:
    return 100.0 + i + k / 100 + np.arange(250) / 1000


@pytest.mark.slow
@pytest.mark.parametrize(
    ("after", "phase"), [(1, 0.0), (2, 0.15), (3, 0.3), (4, 0.45), (5, 0.6), (6, 0.75), (8, 0.9)]
)
def test_sigkill_during_writes_leaves_whole_batches_and_old_data_intact(
    tmp_path: Path, after: int, phase: float
) -> None:
    """Kill points are spread over one batch's write cycle: ``phase`` of the measured period."""
    data = tmp_path / "data"
    base = pd.concat([bars("BASE", "2015-01-01", 600), bars("BASE2", "2016-01-01", 300, first=3.3)])
    Store.open(data).upsert(result(base))
    before = Store.open(data).prices_long()

    child = start_writer(tmp_path, data, 0.0, 1000)
    assert child.stdout is not None
    reported, stamps = -1, []
    while reported < after:
        line = child.stdout.readline()
        assert line, f"writer died early: {child.stderr.read() if child.stderr else ''}"
        reported = int(line)
        stamps.append(time.monotonic())
    period = stamps[-1] - stamps[-2]
    time.sleep(phase * period)  # land at a different point of the next batch's write each time
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL

    # The next command may be a read-only lookup: it must see the same committed state as a
    # writer that replays (or discards) the write-ahead log.
    seen_read_only = Store.open(data, read_only=True).prices_long()
    store = Store.open(data)
    pd.testing.assert_frame_equal(store.prices_long(["BASE", "BASE2"]), before)
    long = store.prices_long()
    pd.testing.assert_frame_equal(long, seen_read_only)
    keep = long["ticker"].isin(["BASE", "BASE2"])
    assert keep.sum() == len(before)
    counts = long[~keep].groupby(long["ticker"].astype(str)[~keep]).size()
    batches_seen = sorted({int(t[1:5]) for t in counts.index})
    assert batches_seen == list(range(len(batches_seen)))  # committed in order, no gaps
    assert len(batches_seen) >= after  # every reported batch survived
    for t, n in counts.items():
        assert n == 250, f"{t}: {n} of 250 bars: a half-written batch"
    for i in batches_seen:
        assert all(f"K{i:04d}_{k:02d}" in counts.index for k in range(20)), (
            f"batch {i} partly present"
        )
        got = long.loc[long["ticker"] == f"K{i:04d}_07", "close"].to_numpy()
        np.testing.assert_array_equal(got, expected_batch_values(i, 7))


@pytest.mark.slow
def test_readers_get_answers_while_a_refresh_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store.open(data)
    child = start_writer(tmp_path, data, 0.02, 100_000)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # the writer is running
        seen = []
        for _ in range(6):
            # "A short wait" is the store's own bound: past lock_wait it raises StoreError, so
            # no wall clock is read here.
            reader = Store.open(data, read_only=True, lock_wait=5)
            seen.append(len(reader.last_dates()))
            time.sleep(0.1)
        assert child.poll() is None, "the writer stopped: the test did not read during writes"
        assert seen == sorted(seen) and seen[-1] > seen[0] and seen[0] >= 20
        assert all(n % 20 == 0 for n in seen)  # never half a batch
    finally:
        child.kill()
        child.communicate(timeout=30)


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    print("holding", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.slow
def test_a_store_held_too_long_by_another_process_is_reported_busy(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    child = subprocess.Popen(
        [sys.executable, str(script), str(s.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        with pytest.raises(
            StoreError,
            match=r"the store is busy: another screener process is writing to .*screener\.duckdb \(waited 0\.5 s\)\. Try again",
        ):
            Store.open(tmp_path, read_only=True, lock_wait=0.5)
        with pytest.raises(StoreError, match="the store is busy"):
            Store.open(tmp_path, lock_wait=0.2)
    finally:
        child.kill()
        child.communicate(timeout=30)


def test_an_empty_store_reads_as_empty_frames(store: Store) -> None:
    assert store.prices_long().empty and list(store.prices_long().columns) == list(LONG_COLUMNS)
    assert store.wide().shape == (0, 0)
    assert list(store.wide(tickers=["MP"]).columns) == ["MP"]
    assert store.last_dates() == {} and store.list_runs() == []
    assert store.status(date(2024, 1, 1)).empty and store.instruments().empty
    assert store.previous_run(before_as_of=date(2024, 1, 1)) is None


def test_a_reading_session_serves_every_read_from_one_connection(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.store as store_module

    opened = []
    real_connect = store_module.connect

    def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(kwargs.get("read_only"))
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "connect", counting)
    store.last_dates()
    store.instruments()
    assert len(opened) == 2  # outside a session: one connection per read
    opened.clear()
    with store.reading_session():
        store.last_dates()
        store.instruments()
        store.wide("adj_close")
    assert opened == [True]
    store.last_dates()  # the session is over: reads open their own again
    assert len(opened) == 2
