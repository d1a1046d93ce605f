"""Price sanity checks (``check_prices``, ``stale``) and the incremental ``refresh``."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from fixtures.tiny import tiny_universe
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from screener import settings
from screener.errors import NetworkError
from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
from screener.store import Store
from screener.store.checks import bad_ticks, check_prices
from screener.store.refresh import RefreshReport, metadata_due, refresh, stale, years_before

TODAY = date(2024, 3, 1)


def frame(ticker: str, closes: Sequence[float], start: str = "2024-01-01") -> pd.DataFrame:
    c = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {
            "ticker": ticker,
            "date": pd.bdate_range(start, periods=len(c)),
            "open": c,
            "high": c,
            "low": c,
            "close": c,
            "adj_close": c,
            "volume": 1000.0,
        }
    )


def flags_of(long: pd.DataFrame) -> list[str]:
    return check_prices(long, today=TODAY)["flags"].tolist()


# --- check_prices ------------------------------------------------------------------------------


def test_clean_prices_carry_empty_flags_and_the_input_is_not_mutated() -> None:
    long = frame("A", [10, 10.5, 10.2, 10.8])
    copy = long.copy()
    out = check_prices(long, today=TODAY)
    pd.testing.assert_frame_equal(long, copy)
    assert out["flags"].tolist() == ["", "", "", ""]
    assert list(out.columns) == [*long.columns, "flags"]


def test_nonpositive_prices_are_flagged_and_kept() -> None:
    long = frame("A", [10, 0.0, 10, 10])
    long.loc[3, "low"] = -0.5
    long.loc[2, "open"] = np.nan  # missing is not non-positive
    assert flags_of(long) == ["", "nonpositive", "", "nonpositive"]


def test_duplicate_dates_keep_the_last_copy_and_flag_it() -> None:
    long = pd.concat(
        [frame("A", [10, 11, 12]), frame("A", [11.5], start="2024-01-02"), frame("B", [5, 5])]
    )
    out = check_prices(long, today=TODAY)
    assert len(out) == 5
    a = out[out["ticker"] == "A"].set_index("date")
    assert a.loc["2024-01-02", "close"] == 11.5
    assert a["flags"].tolist() == ["", "duplicate_date", ""]
    assert (out.loc[out["ticker"] == "B", "flags"] == "").all()


@pytest.mark.parametrize(
    ("closes", "flagged_at"),
    [
        ([10, 10, 16, 10, 10], 2),  # +60 % then back: bad tick
        ([10, 10, 3, 10, 10], 2),  # -70 % then back
        ([10, 10, 16, 11.5, 11.5], 2),  # -28 % undoes 70 % of the +60 % in log terms (>= half)
        ([10, 10, 20, 10.1], 2),  # +100 % then -49.5 %: a full reversal in log terms
    ],
)
def test_spikes_that_reverse_are_bad_ticks(closes: list[float], flagged_at: int) -> None:
    expect = [""] * len(closes)
    expect[flagged_at] = "bad_tick"
    assert flags_of(frame("A", closes)) == expect


@pytest.mark.parametrize(
    "closes",
    [
        [10, 10, 16, 16, 16],  # a jump that stays (news, not a bad tick)
        [10, 10, 16, 14.5, 14.5],  # reverses less than half of the move (log terms)
        [10, 10, 15, 10, 10],  # exactly +50 %: not larger than bad_tick_move
        [10, 10, 10, 10, 16],  # the last bar cannot be judged yet
    ],
)
def test_moves_that_are_not_bad_ticks(closes: list[float]) -> None:
    assert flags_of(frame("A", closes)) == [""] * len(closes)


def test_only_the_spike_that_reverses_is_flagged_in_a_run_of_big_moves() -> None:
    # +60 % (followed by another rise: not reversed), +62.5 % (then -38.5 %, a full reversal
    # in log terms), -38.5 % (below the threshold), -37.5 %.
    assert flags_of(frame("A", [10, 16, 26, 16, 10])) == ["", "", "bad_tick", "", ""]


def test_bad_ticks_use_adj_close_so_splits_are_not_flagged() -> None:
    long = frame("A", [10, 10, 10, 10])
    long["close"] = [20.0, 20.0, 10.0, 10.0]  # a 2:1 split in the raw close; adj_close is smooth
    long.loc[1, "close"] = 20.0
    assert flags_of(long) == ["", "", "", ""]
    # Without an adjusted series the raw close is used.
    long["adj_close"] = np.nan
    long["close"] = [10.0, 30.0, 10.0, 10.0]
    assert flags_of(long) == ["", "bad_tick", "", ""]


def test_bad_tick_threshold_comes_from_settings() -> None:
    long = frame("A", [10, 10, 13, 10, 10])  # +30 % and back
    sorted_long = check_prices(long, today=TODAY)
    assert not bad_ticks(sorted_long).any()
    assert bad_ticks(sorted_long, move=0.25).tolist() == [False, False, True, False, False]
    assert settings.get("bad_tick_move") == 0.5


def test_bad_ticks_do_not_cross_tickers_and_skip_unusable_prices() -> None:
    # A's last price and B's first differ hugely: no return may be computed across them.
    long = pd.concat([frame("A", [10, 10, 10]), frame("B", [500, 500, 500])])
    assert flags_of(long) == [""] * 6
    # A zero between two normal prices is flagged nonpositive, and creates no spike.
    assert flags_of(frame("C", [10, 10, 0, 10, 10])) == ["", "", "nonpositive", "", ""]


def test_future_dates_are_flagged() -> None:
    long = frame("A", [10, 10, 10], start="2024-02-29")
    assert flags_of(long) == ["", "", "future_date"]  # 29 Feb, 1 Mar, 4 Mar


def test_several_codes_join_in_a_fixed_order() -> None:
    long = pd.concat([frame("A", [10, 10]), frame("A", [-1], start="2024-01-02")])
    assert flags_of(long) == ["", "nonpositive;duplicate_date"]


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.integers(0, 15),
            st.floats(-5, 1e4, allow_nan=False),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_checks_only_drop_earlier_copies_of_duplicate_keys(
    rows: list[tuple[str, int, float]],
) -> None:
    long = pd.DataFrame(
        {
            "ticker": [r[0] for r in rows],
            "date": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=r[1]) for r in rows],
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": [r[2] for r in rows],
            "adj_close": np.nan,
            "volume": 1.0,
        }
    )
    out = check_prices(long, today=TODAY)
    keys = set(zip(long["ticker"], long["date"], strict=True))
    assert len(out) == len(keys)
    assert not out.duplicated(["ticker", "date"]).any()
    last = long.drop_duplicates(["ticker", "date"], keep="last").set_index(["ticker", "date"])[
        "close"
    ]
    got = out.set_index(["ticker", "date"])["close"]
    assert got.sort_index().equals(last.sort_index())
    assert ((out["close"] <= 0) == out["flags"].str.contains("nonpositive")).all()


# --- stale -------------------------------------------------------------------------------------


def test_stale_counts_calendar_days() -> None:
    friday = date(2024, 3, 1)
    assert not stale(friday, date(2024, 3, 4))  # Monday: 3 days
    assert not stale(friday, date(2024, 3, 5))  # 4 days: the limit itself
    assert stale(friday, date(2024, 3, 6))  # 5 days
    assert stale(friday, date(2024, 3, 4), limit=2)
    assert stale(None, friday)
    assert not stale(pd.Timestamp("2024-03-01"), friday)


# --- refresh -----------------------------------------------------------------------------------


class FakeSource:
    """A source serving prepared bars, recording each call; can fail per ticker or wholesale."""

    name = "csv"

    def __init__(
        self,
        data: dict[str, pd.DataFrame],
        *,
        synthetic: bool = False,
        fail: dict[str, str] | None = None,
        network_error_on_call: int | None = None,
    ) -> None:
        self.data = data
        self.synthetic = synthetic
        self.fail = fail or {}
        self.network_error_on_call = network_error_on_call
        self.calls: list[tuple[tuple[str, ...], date | None, date | None]] = []

    def fetch(self, tickers: Sequence[str], start: date | None, end: date | None) -> FetchResult:
        self.calls.append((tuple(tickers), start, end))
        if self.network_error_on_call == len(self.calls):
            raise NetworkError("cannot reach the price source: connection refused")
        frames, failures = [], {}
        for t in tickers:
            if t in self.fail:
                failures[t] = self.fail[t]
                continue
            bars = self.data[t]
            keep = (
                (bars["date"] >= pd.Timestamp(start))
                if start
                else pd.Series(True, index=bars.index)
            )
            if end:
                keep &= bars["date"] <= pd.Timestamp(end)
            if keep.any():
                frames.append(bars[keep])
            else:
                failures[t] = "no bars in the requested window"
        prices = pd.concat(frames, ignore_index=True) if frames else frame("x", []).iloc[0:0]
        inst = pd.DataFrame(
            [
                {c: None for c in INSTRUMENT_COLUMNS} | {"ticker": t, "currency": "USD"}
                for t in tickers
                if t not in failures
            ],
            columns=list(INSTRUMENT_COLUMNS),
        )
        return FetchResult("csv", self.synthetic, prices, inst, failures)


def history(
    ticker: str, n: int = 400, first: float = 10.0, start: str = "2022-06-01"
) -> pd.DataFrame:
    return frame(ticker, first * 1.001 ** np.arange(n), start=start)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


def test_new_tickers_start_history_years_back_and_share_one_call(store: Store) -> None:
    src = FakeSource({"A": history("A"), "B": history("B")})
    seen: list[tuple[int, int, str]] = []
    rep = refresh(
        store, ["A", "B", "A"], src, today=TODAY, progress=lambda d, n, t: seen.append((d, n, t))
    )
    assert src.calls == [(("A", "B"), date(2019, 3, 1), None)]
    assert rep.requested == ("A", "B")
    assert rep.updated == {"A": 400, "B": 400} and rep.failures == {}
    assert seen == [(1, 2, "A"), (2, 2, "B")]
    assert isinstance(rep, RefreshReport) and rep.source == "csv" and not rep.synthetic
    assert rep.started_at <= rep.finished_at
    with pytest.raises(FrozenInstanceError):
        rep.source = "demo"  # type: ignore[misc]
    assert len(store.prices_long()) == 800


def test_incremental_start_is_last_date_minus_overlap_grouped_by_start(store: Store) -> None:
    store.upsert(
        FetchResult(
            "csv",
            False,
            pd.concat([history("A", 300), history("B", 300), history("C", 200)]),
            pd.DataFrame(columns=list(INSTRUMENT_COLUMNS)),
        )
    )
    last = store.last_dates()
    overlap = timedelta(days=settings.get("refresh_overlap_days"))
    src = FakeSource({t: history(t) for t in "ABCD"})
    refresh(store, ["A", "B", "C", "D"], src, today=TODAY, end=date(2024, 2, 1))
    calls = {c[1]: c[0] for c in src.calls}
    assert calls == {
        last["A"] - overlap: ("A", "B"),  # same last date: one call for both
        last["C"] - overlap: ("C",),
        years_before(TODAY, settings.get("history_years")): ("D",),
    }
    assert all(c[2] == date(2024, 2, 1) for c in src.calls)
    assert store.last_dates()["A"] == history("A")["date"].iloc[-1].date()


def test_since_overrides_the_planned_start(store: Store) -> None:
    store.upsert(
        FetchResult("csv", False, history("A", 300), pd.DataFrame(columns=list(INSTRUMENT_COLUMNS)))
    )
    src = FakeSource({"A": history("A"), "B": history("B")})
    refresh(store, ["A", "B"], src, since=date(2023, 1, 2), today=TODAY)
    assert src.calls == [(("A", "B"), date(2023, 1, 2), None)]


def test_refreshing_twice_with_the_same_data_changes_nothing(store: Store) -> None:
    src = FakeSource({"A": history("A"), "B": history("B")})
    refresh(store, ["A", "B"], src, today=TODAY)
    first = store.prices_long()
    rep = refresh(store, ["A", "B"], src, today=TODAY)
    last = history("A")["date"].iloc[-1]
    overlap = (
        history("A")["date"] >= last - pd.Timedelta(days=settings.get("refresh_overlap_days"))
    ).sum()
    assert 1 < overlap < 10
    assert rep.updated == {"A": overlap, "B": overlap}  # only the overlap was asked for again
    pd.testing.assert_frame_equal(store.prices_long(), first)


def test_revisions_inside_the_overlap_overwrite_stored_bars(store: Store) -> None:
    refresh(store, ["A"], FakeSource({"A": history("A")}), today=TODAY)
    revised = history("A")
    revised.loc[revised.index[-2:], "close"] = [77.0, 78.0]
    revised.loc[revised.index[-2:], "adj_close"] = [77.0, 78.0]
    refresh(store, ["A"], FakeSource({"A": revised}), today=TODAY)
    tail = store.prices_long(["A"])["adj_close"].to_numpy()[-3:]
    np.testing.assert_array_equal(tail[1:], [77.0, 78.0])
    assert tail[0] == revised["adj_close"].iloc[-3]


def test_failures_are_logged_and_other_tickers_still_written(store: Store) -> None:
    src = FakeSource(
        {"A": history("A"), "C": history("C")}, fail={"B": "no data found, symbol may be delisted"}
    )
    rep = refresh(store, ["A", "B", "C"], src, today=TODAY, chunk=2)
    assert rep.failures == {"B": "no data found, symbol may be delisted"}
    assert set(rep.updated) == {"A", "C"}
    assert set(store.last_dates()) == {"A", "C"}
    status = store.status(TODAY)
    assert status.loc["B", "last_error"] == "no data found, symbol may be delisted"
    assert status.loc["B", "rows"] == 0
    assert status.loc["A", "last_error"] is None
    assert len(src.calls) == 2  # chunks of two


def test_a_network_error_writes_only_fetch_log_entries_and_propagates(store: Store) -> None:
    refresh(
        store, ["A", "B"], FakeSource({"A": history("A", 300), "B": history("B", 300)}), today=TODAY
    )
    before = store.prices_long()
    instruments_before = store.instruments()
    src = FakeSource({"A": history("A"), "B": history("B")}, network_error_on_call=1)
    with pytest.raises(NetworkError, match="connection refused"):
        refresh(store, ["A", "B"], src, today=TODAY)
    pd.testing.assert_frame_equal(store.prices_long(), before)
    pd.testing.assert_frame_equal(store.instruments(), instruments_before)
    status = store.status(TODAY)
    assert (
        status.loc["A", "last_error"]
        == "network error: cannot reach the price source: connection refused"
    )
    assert status.loc["B", "last_error"].startswith("network error:")


def test_a_network_error_mid_way_keeps_finished_chunks_and_logs_the_rest(store: Store) -> None:
    src = FakeSource({t: history(t) for t in "ABCD"}, network_error_on_call=2)
    with pytest.raises(NetworkError):
        refresh(store, ["A", "B", "C", "D"], src, today=TODAY, chunk=2)
    assert set(store.last_dates()) == {"A", "B"}
    errors = store.status(TODAY)["last_error"]
    assert errors["A"] is None and errors["B"] is None
    assert errors["C"].startswith("network error") and errors["D"].startswith("network error")


def test_synthetic_sources_are_reported_and_stored_as_synthetic(store: Store) -> None:
    rep = refresh(store, ["A"], FakeSource({"A": history("A")}, synthetic=True), today=TODAY)
    assert rep.synthetic
    assert store.has_synthetic(["A"])
    assert store.status(TODAY).loc["A", "synthetic"]


def test_years_before_handles_leap_days() -> None:
    assert years_before(date(2024, 2, 29), 5) == date(2019, 2, 28)
    assert years_before(date(2024, 3, 1), 5) == date(2019, 3, 1)


# --- metadata only where it is missing or old ---------------------------------------------------

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


class Clock:
    """Stands in for ``screener.store.refresh._utcnow`` (the refresh's and the store write's clock)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime = T0) -> None:
        self.now = start
        monkeypatch.setattr("screener.store.refresh._utcnow", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class MetadataFakeSource(FakeSource):
    """A FakeSource that rations metadata like YahooSource: rows it did not look up are
    exchange-style guesses (no name, no market cap, a guessed exchange), and it records what
    it was asked to look up."""

    supports_metadata = True

    def __init__(self, data: dict[str, pd.DataFrame], **kw: object) -> None:
        super().__init__(data, **kw)  # type: ignore[arg-type]
        self.caps = {"A": 1.5e9, "B": 2.5e8, "C": 7e7}
        self.asked: list[list[str]] = []
        self.quotes: list[dict[str, str]] = []

    def fetch(  # type: ignore[override]
        self,
        tickers: Sequence[str],
        start: date | None,
        end: date | None,
        *,
        want_metadata: bool | Sequence[str] = True,
        quote_currencies: dict[str, str] | None = None,
    ) -> FetchResult:
        base = super().fetch(tickers, start, end)
        look = list(tickers) if want_metadata is True else list(want_metadata or [])
        self.asked.append(look)
        self.quotes.append(dict(quote_currencies or {}))
        inst = base.instruments.copy()
        looked = inst["ticker"].isin(look)
        inst["exchange"] = np.where(looked, "Real Exchange", "guessed exchange")
        inst["name"] = [
            f"{t} Corp" if lk else None for t, lk in zip(inst["ticker"], looked, strict=True)
        ]
        inst["market_cap"] = [
            self.caps.get(t, np.nan) if lk else np.nan
            for t, lk in zip(inst["ticker"], looked, strict=True)
        ]
        inst["quote_currency"] = "USD"
        return FetchResult(
            "csv",
            False,
            base.prices,
            inst,
            base.failures,
            metadata_fetched=frozenset(inst.loc[looked, "ticker"]),
        )


def test_metadata_is_asked_again_only_after_the_max_age(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    src = MetadataFakeSource({t: history(t) for t in "ABC"})
    refresh(store, ["A", "B"], src, today=TODAY)
    assert src.asked == [["A", "B"]]  # never seen: looked up on the first refresh
    first = store.instruments(["A", "B"])
    assert first["market_cap"].to_dict() == {"A": 1.5e9, "B": 2.5e8}

    clock.advance(days=7, hours=17)  # 7 whole days later (UTC): still fresh
    refresh(store, ["A", "B", "C"], src, today=TODAY)
    # C starts history_years back, A and B at their last bar: two calls, only C looked up.
    assert src.asked[1:] == [["C"], []]
    assert src.quotes[1:] == [{}, {"A": "USD", "B": "USD"}]  # known quote units are passed on
    kept = store.instruments(["A", "B"])
    # The guesses of this refresh (no name, no cap, "guessed exchange") changed nothing.
    pd.testing.assert_frame_equal(kept, first)
    assert store.instruments(["C"]).loc["C", "market_cap"] == 7e7

    clock.advance(days=1)  # A and B now 8 days old, C 1 day
    refresh(store, ["A", "B", "C"], src, today=TODAY)
    assert src.asked[3:] == [["A", "B"]]  # one call now: all three end on the same day
    again = store.instruments(["A", "B"])
    assert (again["updated_at"] > first["updated_at"]).all()
    assert (again["exchange"] == "Real Exchange").all()


def test_the_max_age_comes_from_settings(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    src = MetadataFakeSource({"A": history("A")})
    refresh(store, ["A"], src, today=TODAY)
    clock.advance(days=2)
    refresh(store, ["A"], src, today=TODAY)
    assert src.asked == [["A"], []]
    one_day = replace(settings.SETTINGS["metadata_max_age_days"], default=1)
    monkeypatch.setitem(settings.SETTINGS, "metadata_max_age_days", one_day)
    refresh(store, ["A"], src, today=TODAY)
    assert src.asked[-1] == ["A"]


def test_metadata_due_when_a_field_is_missing() -> None:
    now = datetime(2024, 3, 10, 12, 0)
    fresh = pd.Timestamp("2024-03-09 23:00")
    inst = pd.DataFrame(
        {
            "name": ["A Corp", "B Corp", None, "D Corp", "AUD/USD", "E Corp"],
            "currency": ["USD", None, "USD", "USD", "USD", "USD"],
            "market_cap": [1e9, 1e9, 1e9, np.nan, np.nan, 1e9],
            "updated_at": [fresh] * 5 + [pd.Timestamp("2024-03-02 23:59")],
        },
        index=pd.Index(["A", "B", "C", "D", "AUDUSD=X", "E"], name="ticker"),
    )
    wanted = ["NEW", "A", "B", "C", "D", "AUDUSD=X", "E"]
    # NEW: no row; B: no currency; C: no name (a row of guesses); D: no market cap;
    # AUDUSD=X has no cap to wait for; E: 8 calendar days old.
    assert metadata_due(wanted, inst, now=now, max_age_days=7) == ["NEW", "B", "C", "D", "E"]
    assert metadata_due(wanted, inst, now=now, max_age_days=8) == ["NEW", "B", "C", "D"]
    # An aware clock is read in UTC: 2024-03-11 01:00+05:00 is still the 10th in UTC.
    aware = datetime(2024, 3, 11, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    assert metadata_due(["E"], inst, now=aware, max_age_days=7) == ["E"]
    assert metadata_due(["E"], inst, now=aware, max_age_days=8) == []


# --- Yahoo through the fake at the HTTP layer: requests, faults, a dead network --------------

CORPUS = Path(__file__).parent / "corpus" / "network"
FIXTURES = Path(__file__).parent / "fixtures"
TINY = ("AAA", "BBB", "CCC", "SPY", "REMX")


@pytest.fixture
def quick_yahoo(fake_yahoo: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake Yahoo, with YahooSource's sleeps, pauses, clock and jitter on the fake clock.

    No test here waits on a real sleep: a backoff moves ``fake_yahoo.clock``, which is also
    the clock the deadline is measured on.
    """
    from screener.sources.yahoo import YahooSource

    defaults = YahooSource.__init__.__kwdefaults__
    assert defaults is not None and {"sleep", "pause", "clock", "rng"} <= set(defaults)
    monkeypatch.setitem(defaults, "sleep", fake_yahoo.advance)
    monkeypatch.setitem(defaults, "pause", 0.0)
    monkeypatch.setitem(defaults, "clock", lambda: fake_yahoo.clock)
    monkeypatch.setitem(defaults, "rng", random.Random(3))
    return fake_yahoo


def new_process(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new `screener` process starts from: yfinance's memory gone, its disk caches kept."""
    from fakes.yahoo import reset_yfinance_state

    import screener.sources.yahoo

    reset_yfinance_state(None)
    monkeypatch.setattr(screener.sources.yahoo, "_cache_location", None)
    server.calls.clear()


#: Served as funds, as Yahoo does: quoteType ETF and no marketCap in the quote.
ETFS = ("SPY", "REMX")


def serve(server: Any, symbols: Sequence[str], until: date) -> None:
    """List ``symbols`` on the fake with seeded daily bars for a year up to ``until``."""
    from fakes.yahoo import make_listing

    start = (until - timedelta(days=400)).isoformat()
    for i, sym in enumerate(symbols):
        fund = sym in ETFS
        shares = None if sym.endswith("=X") or fund else 1e8
        server.add(
            make_listing(
                sym,
                start,
                until.isoformat(),
                seed=i,
                price=10.0 + i,
                shares=shares,
                kind="ETF" if fund else None,
            )
        )


def invoke_cli(args: list[str]) -> Any:
    from click.testing import CliRunner

    from screener.cli import cli

    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.stem)
def test_network_fault_corpus(
    case: Path, quick_yahoo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes.yahoo import Fault

    from screener.sources.yahoo import YahooSource
    from screener.store.refresh import last_business_day

    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    server, today = quick_yahoo, date.today()
    monkeypatch.setitem(
        settings.SETTINGS, "history_years", replace(settings.SETTINGS["history_years"], default=1)
    )
    universe = ["--universe", str(tiny_universe(tmp_path))]
    serve(server, TINY, last_business_day(today) - timedelta(days=7))
    first = invoke_cli(["prices", "refresh", *universe])
    assert first.exit_code == 0, first.output
    home = settings.data_dir()
    with Store.open(home, read_only=True) as store:
        before = {s: store.prices_long([s]) for s in TINY}

    # A week later, in a new process: a week of new bars, and the fault.
    serve(server, TINY, last_business_day(today))
    new_process(server, monkeypatch)
    faulty = [*TINY] if spec.get("fault", {}).get("symbol") == "all" else []
    if "fault" in spec:
        f = spec["fault"]
        faulty = faulty or [f["symbol"]]
        for sym in faulty:
            server.faults[sym] = Fault(f["kind"], f.get("times"), f.get("status", 503))
    if "rate_limited" in spec:
        r = spec["rate_limited"]
        faulty = [*TINY] if r["symbol"] == "all" else [r["symbol"]]
        server.rate_limited.update({s: float(r["seconds"]) for s in faulty})
    if "missing" in spec:
        faulty = [spec["missing"]]
        del server.listings[spec["missing"]]
    if "down" in spec:
        server.down = "refused" if spec["down"] == "refused" else True
    if "deadline" in spec:
        defaults = YahooSource.__init__.__kwdefaults__
        monkeypatch.setitem(defaults, "deadline", float(spec["deadline"]))

    result = invoke_cli(["prices", "refresh", *universe])

    assert result.exit_code == spec["exit"], result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for words in spec["words"]:
        assert words in result.output, result.output
    with Store.open(home, read_only=True) as store:
        status = store.status(today)
        for sym in TINY:
            after = store.prices_long([sym])
            if sym in spec["failed"]:
                pd.testing.assert_frame_equal(after, before[sym])  # unchanged
                assert status.loc[sym, "last_error"].startswith(spec["ledger"]), sym
            else:
                assert after["date"].max() > before[sym]["date"].max(), sym
                assert status.loc[sym, "last_error"] is None, sym
    if faulty:
        assert len(server.chart_calls(faulty[0])) == spec["chart_requests"], server.calls
    elif "down" in spec:
        assert not [c for c in server.calls if "/v8/finance/chart/" in c]
    if "requests_at_most" in spec:
        assert len(server.calls) <= spec["requests_at_most"], server.calls


def test_the_network_corpus_covers_every_fault() -> None:
    cases = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.yaml")]
    per = {c["category"]: sum(1 for d in cases if d["category"] == c["category"]) for c in cases}
    assert len(cases) >= 15
    assert set(per) == {
        "timeout",
        "5xx",
        "429",
        "malformed",
        "empty or HTML body",
        "renamed or delisted",
        "network down",
    }


def test_refresh_requests_for_the_shipped_universe(
    quick_yahoo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests by path for `prices refresh` of the shipped universe, each refresh a new process.

    Up to date: nothing at all. A week later: one chart request per stale symbol (yfinance's
    time zones come from its cache in the data dir), plus, when the metadata is due, one
    chart request per symbol and one quote request per 50. The benchmark ETFs, which have no
    market cap, are not asked for one again in between.
    """
    from math import ceil

    from screener.pipeline import refresh_prices
    from screener.sources.exchanges import exchange_of, fx_for
    from screener.store.refresh import last_business_day
    from screener.universe.load import load

    server = quick_yahoo
    monkeypatch.setitem(
        settings.SETTINGS,
        "history_years",
        replace(settings.SETTINGS["history_years"], default=1),
    )
    universe = load("rare_earths")
    symbols = universe.priced_symbols()
    assert set(ETFS) == set(universe.benchmark_symbols())
    fx = fx_for([e.currency for e in map(exchange_of, symbols) if e])
    everything = [*symbols, *fx]
    equities = [s for s in everything if not s.endswith("=X")]
    clock = Clock(monkeypatch, datetime.now(UTC) - timedelta(days=14))
    today = date.today()

    def refresh_as_of(day: date) -> dict[str, int]:
        new_process(server, monkeypatch)
        done = refresh_prices(universe=None, source="yahoo", today=day)
        assert done.failures == {}
        return server.requests_by_path()

    serve(server, everything, last_business_day(today - timedelta(days=14)))
    first = refresh_as_of(today - timedelta(days=14))
    # empty store: tz lookup + history + metadata (5d) per symbol, quotes in batches of 50
    assert first == {
        "cookie": 1,
        "crumb": 1,
        "chart": 3 * len(everything),
        "quote": ceil(len(equities) / 50),
    }
    assert refresh_as_of(today - timedelta(days=14)) == {}  # up to date: no request
    # yfinance's time zones and Yahoo cookie are kept in the data dir, across processes
    cache = settings.data_dir() / "yfinance-cache"
    assert (cache / "tkr-tz.db").is_file() and (cache / "cookies.db").is_file()

    serve(server, everything, last_business_day(today - timedelta(days=7)))
    clock.advance(days=7)  # metadata 7 whole days old: not due yet
    week = refresh_as_of(today - timedelta(days=7))
    assert week == {"crumb": 1, "chart": len(everything)}  # one chart request per stale symbol
    assert refresh_as_of(today - timedelta(days=7)) == {}

    serve(server, everything, last_business_day(today))
    clock.advance(days=7)  # 14 days: the weekly metadata is due
    due = refresh_as_of(today)
    assert due == {"crumb": 1, "chart": 2 * len(everything), "quote": ceil(len(equities) / 50)}
    assert len(everything) == 67 and refresh_as_of(today) == {}


@pytest.mark.slow
def test_a_refresh_prints_only_our_lines_to_stderr(tmp_path: Path) -> None:
    """`prices refresh` in its own process, through the fake Yahoo, with every warning shown.

    ``PYTHONWARNINGS=always`` prints any warning that is not filtered, so pandas' deprecation
    warnings from inside yfinance would show here; failing symbols make yfinance log errors;
    and an unusable cache dir makes our own warning, which must still show.
    """
    import json
    import os
    import subprocess
    import sys

    from screener.store.refresh import last_business_day

    home = tmp_path / "home"
    home.mkdir()
    (home / "yfinance-cache").write_text("not a folder", encoding="utf-8")  # our warning
    end = last_business_day(date.today())
    spec = {
        "symbols": ["AAA", "BBB", "SPY", "REMX"],  # CCC is not served: a 404
        "start": (end - timedelta(days=400)).isoformat(),
        "end": end.isoformat(),
        "history_years": 1,
        "faults": {"BBB": ["malformed", None, 503], "REMX": ["status", None, 500]},
        "calls_out": str(tmp_path / "calls.txt"),
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    runner = Path(__file__).parent / "fakes" / "yahoo_cli.py"
    env = {
        **os.environ,
        "SCREENER_HOME": str(home),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),  # where yfinance falls back to
        "PYTHONWARNINGS": "always",
    }
    args = ["prices", "refresh", "--universe", str(tiny_universe(tmp_path))]
    done = subprocess.run(
        [sys.executable, str(runner), str(tmp_path / "spec.json"), "--", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    ours = re.compile(
        r"^(prices: \d+/\d+ \(\S+\)|failed: [A-Z]+: [a-z_]+: .+"
        r"|Error: 3 symbol\(s\) failed; the others were stored"
        r"|yfinance cache dir .+ unusable \(.+\); continuing without it)$"
    )
    assert [line for line in lines if not ours.match(line)] == [], done.stderr
    assert any(line.startswith("yfinance cache dir ") for line in lines)  # ours still show
    failed = sorted(line.split(":")[1].strip() for line in lines if line.startswith("failed: "))
    assert failed == ["BBB", "CCC", "REMX"]
    assert (tmp_path / "calls.txt").read_text(encoding="utf-8").count("/v8/finance/chart/") > 0
