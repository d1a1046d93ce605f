"""The store's one-query reads (frames.read_wide_many, WideRead.frame) and the panel cut from
one read (screen.panel.read_store / panel_of) against independent reference reads: a pandas
pivot of the long frame, and the panel assembled field by field as the run did before it read
the store once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.errors import PriceDataError
from screener.screen.panel import Panel, panel_of, read_panel, read_store
from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
from screener.sources.exchanges import exchange_of, fx_for, major_unit
from screener.store import Store
from screener.store.frames import read_wide_many

FIRST, LAST = date(2024, 1, 1), date(2024, 6, 28)


def _bars(ticker: str, dates: pd.DatetimeIndex, first: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = first * np.exp(np.cumsum(rng.normal(0, 0.01, len(dates))))
    return pd.DataFrame(
        {
            "ticker": ticker,
            "date": dates,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close * 0.97,
            "volume": rng.integers(0, 10_000, len(dates)).astype(float),
        }
    )


def _inst(ticker: str, currency: str | None) -> dict[str, object]:
    return {c: None for c in INSTRUMENT_COLUMNS} | {
        "ticker": ticker,
        "name": f"test {ticker}",
        "currency": currency,
        "market_cap": 1e9,
        "price_divisor": 1.0,
    }


def _build(folder: Path) -> Store:
    """Tickers on different calendars, with gaps, NULL values, a late listing, a flagged spike,
    FX pairs and a synthetic series next to market data."""
    store = Store.open(folder)
    days = pd.bdate_range(FIRST, LAST)
    parts = {
        "AAA": _bars("AAA", days, 10.0, 1),
        "BBB.AX": _bars("BBB.AX", days[::2], 2.0, 2),  # every other day
        "CCC.TO": _bars("CCC.TO", days[60:], 5.0, 3),  # listed late
        "DDD": _bars("DDD", days[:40], 7.0, 4),  # stopped trading
        "SPY": _bars("SPY", days, 400.0, 5),
    }
    parts["AAA"].loc[10, ["adj_close", "volume"]] = np.nan  # a bar whose values are NULL
    parts["BBB.AX"].loc[20, ["open", "high", "low", "close", "adj_close"]] *= 4.0  # a spike
    fx = {p: _bars(p, days, 0.7, 10 + i) for i, p in enumerate(["AUDUSD=X", "CADUSD=X"])}
    market = pd.concat([parts[t] for t in ("AAA", "BBB.AX", "CCC.TO", "SPY")], ignore_index=True)
    inst = pd.DataFrame(
        [_inst("AAA", "USD"), _inst("BBB.AX", "AUD"), _inst("SPY", "USD")],
        columns=list(INSTRUMENT_COLUMNS),
    )
    store.upsert(FetchResult("csv", False, market, inst))
    store.upsert(FetchResult("csv", False, pd.concat(fx.values(), ignore_index=True), inst[:0]))
    demo = pd.DataFrame([_inst("DDD", "USD")], columns=list(INSTRUMENT_COLUMNS))
    store.upsert(FetchResult("demo", True, parts["DDD"], demo))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return _build(tmp_path_factory.mktemp("reads") / "data")


SYMBOLS = ["AAA", "BBB.AX", "CCC.TO", "DDD", "SPY", "NOPE"]  # NOPE: never stored


def pivot_wide(
    long: pd.DataFrame, field: str, tickers: list[str], start: date, end: date
) -> pd.DataFrame:
    """The reference: the long frame's rows in range, pivoted, columns in the order asked."""
    cols = list(dict.fromkeys(tickers))
    sel = long[
        long["ticker"].astype(str).isin(cols)
        & (long["date"] >= pd.Timestamp(start))
        & (long["date"] <= pd.Timestamp(end))
    ]
    out = sel.assign(ticker=sel["ticker"].astype(str)).pivot(
        index="date", columns="ticker", values=field
    )
    out = out.reindex(columns=pd.Index(cols, name="ticker")).astype("float64")
    out.index = pd.DatetimeIndex(out.index, name="date").astype("datetime64[us]")
    return out


def reference_panel(
    store: Store, symbols: list[str], *, as_of: date | None, start: date, end: date
) -> Panel:
    """The panel as the run assembled it before one read served it: field by field."""
    long = store.prices_long()
    close = pivot_wide(long, "adj_close", symbols, start, end)
    if close.dropna(how="all").empty:
        raise PriceDataError("no stored prices")
    inst = store.instruments(symbols)
    currency: dict[str, str] = {}
    for s in symbols:
        c = inst["currency"].get(s)
        if not isinstance(c, str):
            ex = exchange_of(s)
            c = major_unit(ex.currency)[0] if ex else None
        if c:
            currency[s] = c
    fx_syms = fx_for(list(currency.values()))
    fx = pivot_wide(long, "close", fx_syms, start, end) if fx_syms else pd.DataFrame()
    if fx_syms and fx.empty:
        fx = pd.DataFrame(
            np.nan,
            index=pd.DatetimeIndex([], dtype="datetime64[us]", name="date"),
            columns=pd.Index(fx_syms, name="ticker"),
        )
    within = store.prices_long(symbols, start=start, end=end)
    flagged = within.loc[within["flags"].astype(str) != "", ["ticker", "date", "flags"]]
    return Panel(
        close.where(close > 0),
        pivot_wide(long, "close", symbols, start, end),
        pivot_wide(long, "volume", symbols, start, end),
        fx.rename(columns=lambda s: s[:3]),
        inst,
        as_of or pd.Timestamp(close.dropna(how="all").index.max()).date(),
        store.has_synthetic(symbols + fx_syms),
        currency,
        flagged.assign(ticker=flagged["ticker"].astype(str)),
    )


def assert_same_panel(got: Panel, want: Panel) -> None:
    for name in ("close", "raw_close", "volume", "fx", "instruments"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)
    assert (got.as_of, got.synthetic, got.currency) == (want.as_of, want.synthetic, want.currency)
    assert got.flags is not None and want.flags is not None
    g, w = got.flags.reset_index(drop=True), want.flags.reset_index(drop=True)
    pd.testing.assert_frame_equal(g, w, check_categorical=False, obj="flags")


def test_the_fixture_holds_what_the_reads_must_handle(store: Store) -> None:
    long = store.prices_long()
    assert long["adj_close"].isna().sum() == 1  # a NULL value on a stored bar
    assert (long["flags"].astype(str) != "").any()  # flagged bars
    assert store.has_synthetic(["DDD"]) and not store.has_synthetic(["AAA"])


@pytest.mark.parametrize("field", ["adj_close", "close", "volume"])
def test_wide_equals_a_pivot_of_the_long_frame(store: Store, field: str) -> None:
    long = store.prices_long()
    for tickers, start, end in [
        (SYMBOLS, FIRST, LAST),
        (["CCC.TO", "AAA", "CCC.TO"], date(2024, 2, 1), date(2024, 3, 1)),
        (["DDD"], date(2024, 4, 1), LAST),  # nothing in range: an empty frame
        (["NOPE"], FIRST, LAST),
    ]:
        got = store.wide(field, tickers=tickers, start=start, end=end)
        want = pivot_wide(long, field, tickers, start, end)
        pd.testing.assert_frame_equal(got, want, check_index_type=not want.empty)
        assert got.index.dtype == "datetime64[us]"


def test_one_read_of_several_fields_cuts_like_separate_reads(store: Store) -> None:
    read = store.read_with(
        lambda con: read_wide_many(con, ["adj_close", "volume"], SYMBOLS, FIRST, LAST)
    )
    for field in ("adj_close", "volume"):
        for cols in (SYMBOLS, ["BBB.AX"], ["SPY", "DDD"]):
            sub = read.frame(field, cols, date(2024, 3, 1), date(2024, 5, 31))
            want = store.wide(field, tickers=cols, start=date(2024, 3, 1), end=date(2024, 5, 31))
            pd.testing.assert_frame_equal(sub, want)
    with pytest.raises(ValueError, match="not in this read"):
        read.frame("adj_close", ["ZZZ"])


def test_a_cut_of_the_whole_read_does_not_share_its_array_unless_asked(store: Store) -> None:
    read = store.read_with(lambda con: read_wide_many(con, ["close"], ["AAA"], FIRST, LAST))
    assert not np.shares_memory(read.frame("close").to_numpy(), read.values["close"])
    assert np.shares_memory(read.frame("close", share=True).to_numpy(), read.values["close"])


dates = st.dates(min_value=FIRST, max_value=LAST)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subset=st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=6),
    span=st.tuples(dates, dates).map(sorted),
    as_of_given=st.booleans(),
)
def test_a_panel_cut_from_one_read_equals_the_panel_read_field_by_field(
    store: Store, subset: list[str], span: list[date], as_of_given: bool
) -> None:
    start, end = span
    read = read_store(store, SYMBOLS, start=FIRST, end=LAST)
    as_of = end if as_of_given else None
    try:
        want = reference_panel(store, subset, as_of=as_of, start=start, end=end)
    except PriceDataError:
        with pytest.raises(PriceDataError, match="no stored prices"):
            panel_of(read, subset, as_of=as_of, start=start, end=end)
        return
    assert_same_panel(panel_of(read, subset, as_of=as_of, start=start, end=end), want)


def test_read_panel_equals_the_field_by_field_panel(store: Store) -> None:
    got = read_panel(store, SYMBOLS, as_of=None, today=LAST, start=FIRST)
    assert_same_panel(got, reference_panel(store, SYMBOLS, as_of=None, start=FIRST, end=LAST))


def test_a_cut_outside_the_read_is_refused(store: Store) -> None:
    read = read_store(store, SYMBOLS, start=date(2024, 2, 1), end=LAST)
    with pytest.raises(ValueError, match="outside the read"):
        panel_of(read, ["AAA"], as_of=None, start=FIRST)


# --- ticker keys: hash(ticker) mapped in numpy, the ENUM cast when hashes collide -------------


def _plain_long(store: Store) -> pd.DataFrame:
    """The long frame the slow obvious way: text columns, ORDER BY in SQL."""
    with store.reading_session():
        frame = store.read_with(
            lambda con: con.execute(
                "SELECT ticker, date::TIMESTAMP AS date, open, high, low, close, adj_close, "
                "volume, synthetic, flags FROM prices ORDER BY ticker, date"
            ).df()
        )
    frame["date"] = frame["date"].astype("datetime64[us]")
    return frame


def _as_plain(long: pd.DataFrame) -> pd.DataFrame:
    return long.assign(
        ticker=long["ticker"].astype(str).astype(object),
        flags=long["flags"].astype(str).astype(object),
    )


def _interleaved(folder: Path) -> Store:
    """A store whose rows are not grouped by ticker: each refresh appends one day of every
    ticker, as a daily refresh does, plus one flagged bar."""
    store = Store.open(folder)
    days = pd.bdate_range(FIRST, periods=45)
    names = [f"T{i:02d}.AX" for i in range(70)]  # 3,150 rows: more than one 2,048-row vector
    series = {t: _bars(t, days, 1.0 + i, 100 + i) for i, t in enumerate(names)}
    series["T07.AX"].loc[30, ["open", "high", "low", "close", "adj_close"]] *= 5.0  # a spike
    for k in range(len(days)):
        day = pd.concat([series[t].iloc[[k]] for t in names], ignore_index=True)
        store.upsert(FetchResult("csv", False, day, pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))))
    return store


@pytest.mark.parametrize(
    "fetch", ["in one piece", "large chunks", "one-vector chunks", "out of memory"]
)
@pytest.mark.parametrize("collide", [False, True], ids=["hash", "enum"])
@pytest.mark.parametrize("layout", ["grouped", "interleaved"])
def test_the_long_read_equals_a_plain_sql_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collide: bool, layout: str, fetch: str
) -> None:
    from screener.store import frames

    store = _build(tmp_path) if layout == "grouped" else _interleaved(tmp_path)
    if collide:  # as if two names shared a hash: the ENUM route must give the same frame
        monkeypatch.setattr(frames, "_hashes_collide", lambda hashes: True)
    if fetch != "in one piece":  # the path of large reads, on these small stores
        monkeypatch.setattr(frames, "CHUNKED_ROWS", 0)
    if fetch == "one-vector chunks":  # many chunk boundaries (the stores hold > 2,048 rows)
        monkeypatch.setattr(frames, "CHUNK_VECTORS", 1)
    attempts: list[str] = []
    if fetch == "out of memory":  # under the small buffer pool: read again without the limit
        fetch_chunks = frames._fetch_chunks

        def short_of_memory(con: Any, *args: Any) -> Any:
            limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
            attempts.append(limit)
            if len(attempts) % 2:
                raise duckdb.OutOfMemoryException("as if the read needed more")
            return fetch_chunks(con, *args)

        monkeypatch.setattr(frames, "_fetch_chunks", short_of_memory)
    long = store.prices_long()
    want = _plain_long(store)
    assert (want["flags"] != "").any()
    pd.testing.assert_frame_equal(_as_plain(long), want, check_dtype=False)
    wide = store.wide("close")
    pivot = want.pivot(index="date", columns="ticker", values="close")
    pd.testing.assert_frame_equal(
        wide, pivot.rename_axis(index="date", columns="ticker"), check_freq=False
    )
    if fetch == "out of memory":  # each read failed once under the limit, then succeeded
        assert len(attempts) == 4 and attempts[0] != attempts[1] and attempts[1] == attempts[3]


def test_ticker_keys_map_to_names_however_rows_are_ordered() -> None:
    from screener.store.frames import _Tickers

    names = ["A", "B", "C", "D"]
    hashes = np.array([40, 10, 30, 20], dtype=np.uint64)
    chosen = _Tickers(names, hashes, rows=200)
    grouped = np.repeat(hashes, 50)
    np.testing.assert_array_equal(chosen.codes(grouped), np.repeat(np.arange(4), 50))
    shuffled = np.random.default_rng(3).permutation(grouped)
    want = [hashes.tolist().index(int(h)) for h in shuffled]
    np.testing.assert_array_equal(chosen.codes(shuffled), want)
    assert chosen.codes(np.zeros(0, dtype=np.uint64)).shape == (0,)


def test_a_fetch_restores_the_memory_limit_and_checks_its_row_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.store import frames

    store = _interleaved(tmp_path)
    monkeypatch.setattr(frames, "CHUNKED_ROWS", 0)
    sql = "SELECT hash(ticker) AS key, close FROM prices"
    with store.reading_session():
        limit = "SELECT current_setting('memory_limit')"
        before = store.read_with(lambda con: con.execute(limit).fetchall())
        n = store.read_with(lambda con: con.execute("SELECT count(*) FROM prices").fetchall())[0][0]
        got = store.read_with(lambda con: frames._fetch_columns(con, sql, [], n))
        assert len(got["close"]) == n > 2048
        assert store.read_with(lambda con: con.execute(limit).fetchall()) == before
        for wrong in (n - 1, n + 1):
            with pytest.raises(RuntimeError, match=f"{wrong:,} rows it counted"):
                store.read_with(lambda con, w=wrong: frames._fetch_columns(con, sql, [], w))
