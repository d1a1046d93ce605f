"""YahooSource against yfinance's real download code and an in-process fake Yahoo (no network)."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
from fakes.yahoo import FakeYahoo, Listing, make_listing

from screener.errors import NetworkError
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS
from screener.sources.yahoo import (
    YahooSource,
    classify,
    failures_from_log,
    fx_pairs,
    market_cap_major,
    normalise_symbols,
)

START, END = dt.date(2025, 4, 1), dt.date(2025, 4, 30)
# Real 2025 closures: Good Friday 04-18 (not Tokyo), Easter Monday 04-21 (ASX, LSE),
# Anzac Day 04-25 (ASX), Showa Day 04-29 (Tokyo).
HOLIDAYS = {
    "MP": ["2025-04-18"],
    "LYC.AX": ["2025-04-18", "2025-04-21", "2025-04-25"],
    "IPG.AX": ["2025-04-18", "2025-04-21", "2025-04-25"],
    "NEO.TO": ["2025-04-18"],
    "PRE.L": ["2025-04-18", "2025-04-21"],
    "4063.T": ["2025-04-29"],
}
PRICE = {"MP": 20.0, "LYC.AX": 7.0, "IPG.AX": 0.5, "NEO.TO": 9.0, "PRE.L": 45.0, "4063.T": 4500.0}


def listing(symbol: str, **kw: Any) -> Listing:
    return make_listing(
        symbol,
        "2025-03-03",
        "2025-05-30",
        seed=sum(map(ord, symbol)),
        price=PRICE[symbol],
        holidays=HOLIDAYS[symbol],
        **kw,
    )


class Sleeps:
    """Records sleeps and moves the fake server's clock (so a backoff really lifts a 429)."""

    def __init__(self, server: FakeYahoo) -> None:
        self.server, self.calls = server, []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.server.advance(seconds)


def source(server: FakeYahoo, tmp_path: Path, **kw: Any) -> tuple[YahooSource, Sleeps]:
    sleeps = Sleeps(server)
    kw = {"pause": 0.25, "backoff": 5.0, "rng": random.Random(7), **kw}
    return YahooSource(
        cache_dir=tmp_path / "yfinance-cache", session=server.session(), sleep=sleeps, **kw
    ), sleeps


def window(lst: Listing, start: dt.date = START, end: dt.date = END) -> pd.DataFrame:
    return lst.bars.loc[pd.Timestamp(start) : pd.Timestamp(end)]


# --- the multi-exchange batch ---------------------------------------------------------------


def test_multi_exchange_batch(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    listings = {s: listing(s) for s in ("MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T", "IPG.AX")}
    fake_yahoo.add(*listings.values())
    fake_yahoo.rate_limited["IPG.AX"] = 3.0  # 429 until 3 s have passed
    src, sleeps = source(fake_yahoo, tmp_path)

    res = src.fetch(
        [" mp", "LYC.AX", "NEO.TO", "PRE.L", "4063.T", "NOPE.AX", "IPG.AX", "MP"], START, END
    )

    assert res.source == "yahoo" and res.synthetic is False
    assert list(res.failures) == ["NOPE.AX"]
    assert "possibly delisted" in res.failures["NOPE.AX"]
    assert fake_yahoo.hits_429["IPG.AX"] >= 1  # it really was rate-limited ...
    assert sleeps.calls and 5.0 <= sleeps.calls[0] < 10.0  # ... the backoff ran ...
    assert src.download_calls == 2  # ... one retry round, NOPE.AX once
    prices = res.prices
    assert list(prices.columns) == list(PRICE_COLUMNS)
    assert list(dict.fromkeys(prices["ticker"])) == [
        "MP",
        "LYC.AX",
        "NEO.TO",
        "PRE.L",
        "4063.T",
        "IPG.AX",
    ]
    assert str(prices["date"].dtype) == "datetime64[ns]"
    assert all(str(prices[c].dtype) == "float64" for c in PRICE_COLUMNS[2:])
    # one row per day the symbol traded: no holiday rows, no NaN from the cross-exchange union
    assert not prices[list(PRICE_COLUMNS[2:])].isna().any().any()
    for sym, lst in listings.items():
        got = prices[prices["ticker"] == sym].set_index("date")
        exp = window(lst)
        divisor = 100.0 if sym == "PRE.L" else 1.0
        assert list(got.index) == list(exp.index), sym
        for col in ("open", "high", "low", "close", "adj_close"):
            np.testing.assert_allclose(
                got[col], exp[col] / divisor, rtol=1e-12, err_msg=f"{sym} {col}"
            )
        np.testing.assert_array_equal(got["volume"], exp["volume"])
    assert pd.Timestamp("2025-04-29") in set(prices.loc[prices["ticker"] == "MP", "date"])
    assert pd.Timestamp("2025-04-29") not in set(prices.loc[prices["ticker"] == "4063.T", "date"])

    inst = res.instruments.set_index("ticker")
    assert list(res.instruments.columns) == list(INSTRUMENT_COLUMNS)
    assert list(inst.index) == list(dict.fromkeys(prices["ticker"]))
    assert inst["currency"].to_dict() == {
        "MP": "USD",
        "LYC.AX": "AUD",
        "NEO.TO": "CAD",
        "PRE.L": "GBP",
        "4063.T": "JPY",
        "IPG.AX": "AUD",
    }
    assert (
        inst.loc["PRE.L", "quote_currency"] == "GBp" and inst.loc["PRE.L", "price_divisor"] == 100.0
    )
    assert inst.loc["MP", "price_divisor"] == 1.0 and inst.loc["MP", "quote_currency"] == "USD"
    assert inst.loc["MP", "exchange"] == "NYSE" and inst.loc["4063.T", "exchange"] == "Tokyo"
    assert (
        inst.loc["4063.T", "timezone"] == "Asia/Tokyo"
        and inst.loc["NEO.TO", "timezone"] == "America/Toronto"
    )
    assert inst.loc["LYC.AX", "name"] == "LYC.AX Fake Corp"
    assert inst["market_cap"].isna().all()


def test_download_arguments_are_explicit(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_yahoo.add(listing("MP"))
    seen: list[dict[str, Any]] = []
    real = yf.download

    def spy(tickers: Any, **kw: Any) -> Any:
        seen.append({"tickers": list(tickers), **kw})
        return real(tickers, **kw)

    monkeypatch.setattr(yf, "download", spy)
    src, _ = source(fake_yahoo, tmp_path, threads=3, timeout=7)
    src.fetch(["MP"], START, END, want_metadata=False)
    (kw,) = seen
    assert kw | {"session": None} == {
        "tickers": ["MP"],
        "start": "2025-04-01",
        "end": "2025-05-01",
        "interval": "1d",
        "auto_adjust": False,
        "back_adjust": False,
        "actions": False,
        "repair": False,
        "keepna": False,
        "ignore_tz": True,
        "prepost": False,
        "rounding": False,
        "group_by": "column",
        "multi_level_index": True,
        "threads": 1,
        "progress": False,
        "timeout": 7,
        "session": None,
    }
    assert kw["session"] is src.session


# --- dates, adjustment ---------------------------------------------------------------------


def test_end_date_is_inclusive(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(listing("MP"), listing("4063.T"))
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch(
        ["MP", "4063.T"], dt.date(2025, 4, 7), dt.date(2025, 4, 11), want_metadata=False
    )
    for sym in ("MP", "4063.T"):
        dates = list(res.prices.loc[res.prices["ticker"] == sym, "date"].dt.date)
        assert dates == [dt.date(2025, 4, d) for d in range(7, 12)], sym


def test_raw_close_and_adjusted_close_are_both_kept(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    lst = listing("4063.T", ex_dividend="2025-04-10", dividend_factor=0.98)
    fake_yahoo.add(lst)
    src, _ = source(fake_yahoo, tmp_path)
    got = src.fetch(["4063.T"], START, END, want_metadata=False).prices.set_index("date")
    before, after = got.loc[:"2025-04-09"], got.loc["2025-04-10":]
    np.testing.assert_allclose(got["close"], window(lst)["close"], rtol=1e-12)  # raw, unadjusted
    np.testing.assert_allclose(before["adj_close"], before["close"] * 0.98, rtol=1e-12)
    np.testing.assert_allclose(after["adj_close"], after["close"], rtol=1e-12)
    assert len(before) > 0 and len(after) > 0


# --- chunking, retries, failures -----------------------------------------------------------


def test_chunks_with_pauses(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    syms = ["MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T"]
    fake_yahoo.add(*(listing(s) for s in syms))
    src, sleeps = source(fake_yahoo, tmp_path, chunk=2, pause=0.25)
    res = src.fetch(syms, START, END, want_metadata=False)
    assert src.download_calls == 3
    assert sleeps.calls == [0.25, 0.25]  # between chunks, not after the last
    assert res.failures == {} and set(res.prices["ticker"]) == set(syms)
    for s in syms:  # each symbol downloaded exactly once
        assert len([q for q in fake_yahoo.chart_calls(s) if "period1" in q]) == 1


def test_unknown_symbol_is_retried_once_only(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(listing("MP"))
    src, sleeps = source(fake_yahoo, tmp_path, retries=3)
    res = src.fetch(["MP", "NOPE.AX"], START, END, want_metadata=False)
    assert src.download_calls == 2 and len(sleeps.calls) == 1
    assert set(res.failures) == {"NOPE.AX"}
    assert res.failures["NOPE.AX"].startswith("not_found: Yahoo has no data for this symbol (HTTP")
    assert "possibly delisted or renamed" in res.failures["NOPE.AX"]
    assert set(res.prices["ticker"]) == {"MP"}


def test_persistent_rate_limit_uses_jittered_exponential_backoff(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.add(listing("MP"), listing("LYC.AX"))
    fake_yahoo.rate_limited["LYC.AX"] = 1e9
    src, sleeps = source(fake_yahoo, tmp_path, retries=2, backoff=4.0, rng=random.Random(11))
    res = src.fetch(["MP", "LYC.AX"], START, END, want_metadata=False)
    r = random.Random(11)
    assert sleeps.calls == pytest.approx([4.0 * (1 + r.random()), 8.0 * (1 + r.random())])
    assert src.download_calls == 3
    assert "YFRateLimitError" in res.failures["LYC.AX"]
    assert set(res.prices["ticker"]) == {"MP"}


def test_network_down_raises_network_error_without_waiting(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.add(*(listing(s) for s in ("MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T")))
    fake_yahoo.down = True
    src, sleeps = source(fake_yahoo, tmp_path, chunk=2)
    with pytest.raises(NetworkError) as err:
        src.fetch(["MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T"], START, END)
    msg = str(err.value)
    assert msg.startswith("network unreachable: Yahoo Finance could not be reached (curl: (6) ")
    assert msg.endswith(
        "Check the connection. Use --offline to work from the stored prices, or --demo for "
        "synthetic data."
    )
    assert "resolve host" in msg and "Failed to perform" not in msg
    # The cookie/crumb check before any download fails first: two attempts, no backoff.
    assert len(fake_yahoo.calls) <= 2 and src.download_calls == 0 and sleeps.calls == []


def test_partial_network_failure_is_data(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(listing("MP"), listing("LYC.AX"))
    fake_yahoo.unreachable.add("LYC.AX")
    src, _ = source(fake_yahoo, tmp_path, retries=1)
    res = src.fetch(["MP", "LYC.AX"], START, END, want_metadata=False)
    assert set(res.failures) == {"LYC.AX"} and "timed out" in res.failures["LYC.AX"]
    assert set(res.prices["ticker"]) == {"MP"}


# --- metadata ------------------------------------------------------------------------------


def test_metadata_costs_one_chart_request_per_symbol(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(listing("MP"), listing("PRE.L"))
    src, _ = source(fake_yahoo, tmp_path)
    src.fetch(["MP", "PRE.L"], START, END, want_metadata=["pre.l"])
    assert [q.get("range") for q in fake_yahoo.chart_calls("PRE.L")] == ["1d", None, "5d"]
    assert [q.get("range") for q in fake_yahoo.chart_calls("MP")] == ["1d", None]


def test_without_metadata_the_exchange_table_is_used(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(listing("MP"), listing("PRE.L"))
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch(["MP", "PRE.L"], START, END, want_metadata=False)
    inst = res.instruments.set_index("ticker")
    assert inst.loc[
        "PRE.L", ["currency", "quote_currency", "price_divisor", "exchange", "timezone"]
    ].tolist() == ["GBP", "GBp", 100.0, "London Stock Exchange", "Europe/London"]
    assert inst.loc["MP", "currency"] == "USD" and inst["name"].isna().all()
    pre = res.prices[res.prices["ticker"] == "PRE.L"].set_index("date")
    np.testing.assert_allclose(pre["close"], window(listing("PRE.L"))["close"] / 100.0)


def test_fx_series_are_ordinary_tickers(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fx = make_listing("AUDUSD=X", "2025-03-03", "2025-05-30", seed=3, price=0.63)
    fake_yahoo.add(fx)
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch(fx_pairs(["AUD", "USD"]), START, END)
    assert set(res.prices["ticker"]) == {"AUDUSD=X"} and res.failures == {}
    assert res.instruments.loc[0, "currency"] == "USD"


# --- robustness ----------------------------------------------------------------------------


def test_works_with_warnings_as_errors_and_restores_logging(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.add(listing("MP"), listing("4063.T"))
    yf_log = logging.getLogger("yfinance")
    handlers, propagate = list(yf_log.handlers), yf_log.propagate
    src, _ = source(fake_yahoo, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stricter than pytest's config: no yfinance exemption
        res = src.fetch(["MP", "4063.T"], START, END)
    assert res.failures == {} and set(res.prices["ticker"]) == {"MP", "4063.T"}
    assert yf_log.handlers == handlers and yf_log.propagate is propagate


def test_empty_request_makes_no_call(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch([" ", ""], START, END)
    assert src.download_calls == 0 and fake_yahoo.calls == []
    assert list(res.prices.columns) == list(PRICE_COLUMNS) and res.prices.empty
    assert list(res.instruments.columns) == list(INSTRUMENT_COLUMNS) and res.instruments.empty


def test_the_fixture_blocks_real_sockets(fake_yahoo: FakeYahoo) -> None:
    import curl_cffi

    with socket.socket() as sock, pytest.raises(AssertionError, match="real network"):
        sock.connect(("127.0.0.1", 9))
    with pytest.raises(AssertionError, match="real network"):
        curl_cffi.Curl().perform()


# --- pure helpers --------------------------------------------------------------------------


def test_fx_pairs() -> None:
    assert fx_pairs(["USD", "AUD", "GBp", "CAD", "AUD", None, " ", "ZAc", "ILA"]) == [
        "AUDUSD=X",
        "CADUSD=X",
        "GBPUSD=X",
        "ILSUSD=X",
        "ZARUSD=X",
    ]
    assert fx_pairs(["USD"]) == []


def test_normalise_symbols() -> None:
    assert normalise_symbols([" lyc.ax", "MP", "LYC.AX ", "", "mp", "4063.T"]) == [
        "LYC.AX",
        "MP",
        "4063.T",
    ]


def test_failures_from_log_maps_reasons_to_symbols() -> None:
    # Messages as yfinance 1.7 logs them (captured from its real code with the fake).
    messages = [
        "Failed to get ticker 'MP' reason: Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com.",
        "$MP: possibly delisted; no timezone found",
        "\n3 Failed downloads:",
        "['IPG.AX']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')",
        "['MP', 'NOPE.AX']: possibly delisted; no timezone found",
        "['ZZZ']: not ours",
    ]
    got = failures_from_log(messages, {"MP", "NOPE.AX", "IPG.AX"})
    assert set(got) == {"MP", "NOPE.AX", "IPG.AX"}
    assert got["MP"].kind == "network" and "Could not resolve host" in got["MP"].reason
    assert got["NOPE.AX"].kind == "not_found"
    assert got["NOPE.AX"].reason == "possibly delisted; no timezone found"
    assert got["IPG.AX"].kind == "rate_limit"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("DNSError('Failed to perform, curl: (6) Could not resolve host: x')", "network"),
        ("ConnectTimeout('Failed to perform, curl: (28) Connection timed out')", "timeout"),
        ("ConnectionError('curl: (7) Failed to connect ... Connection refused')", "network"),
        ("HTTPError('HTTP Error 503: Service Unavailable')", "server_error"),
        ("YFDataException('*** YAHOO! FINANCE IS CURRENTLY DOWN! ***')", "server_error"),
        ("JSONDecodeError('Expecting value: line 1 column 1 (char 0)')", "bad_response"),
        # the cause wins over the "possibly delisted" yfinance says after it
        ("Timeout('curl: (28) timed out'); possibly delisted; no timezone found", "timeout"),
        ("YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')", "rate_limit"),
        ("possibly delisted; no price data found  (1d 2025-04-01 -> 2025-05-01)", "not_found"),
        ("KeyError('chart')", "other"),
    ],
)
def test_classify(message: str, kind: str) -> None:
    assert classify([message]) == kind


# --- market cap (v7 quote) -----------------------------------------------------------------

SHARES = {"MP": 1.63e8, "LYC.AX": 9.35e8, "NEO.TO": 4.4e7, "PRE.L": 2.1e8, "4063.T": 1.99e9}


def with_shares(symbol: str) -> Listing:
    return listing(symbol, shares=SHARES[symbol])


def last_close(lst: Listing) -> float:
    """The listing's latest close in its quote unit: the price Yahoo's market cap is based on."""
    return float(lst.bars["close"].iloc[-1])


def test_market_cap_for_us_asx_and_lse_in_the_price_unit(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    listings = {s: with_shares(s) for s in ("MP", "LYC.AX", "PRE.L")}
    fake_yahoo.add(
        *listings.values(), make_listing("AUDUSD=X", "2025-03-03", "2025-05-30", seed=3, price=0.63)
    )
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch(["MP", "LYC.AX", "PRE.L", "AUDUSD=X"], START, END)
    cap = res.instruments.set_index("ticker")["market_cap"]
    assert str(cap.dtype) == "float64"
    # Yahoo sends whole currency units, hence rel=1e-8 (the fake rounds like Yahoo does).
    assert cap["MP"] == pytest.approx(SHARES["MP"] * last_close(listings["MP"]), rel=1e-8)  # USD
    assert cap["LYC.AX"] == pytest.approx(
        SHARES["LYC.AX"] * last_close(listings["LYC.AX"]), rel=1e-8
    )  # AUD
    # PRE.L trades in pence: its cap is in GBP, the unit of the stored (divided) prices.
    assert cap["PRE.L"] == pytest.approx(
        SHARES["PRE.L"] * last_close(listings["PRE.L"]) / 100, rel=1e-8
    )
    assert 5e7 < cap["PRE.L"] < 2e8  # a ~GBP 97m company, not 9.7bn (pence)
    assert np.isnan(cap["AUDUSD=X"])  # FX pairs have no market cap ...
    assert fake_yahoo.quote_calls() == [["MP", "LYC.AX", "PRE.L"]]  # ... and are not asked for
    assert src.quote_calls == 1 and res.failures == {}


def test_market_cap_requests_are_batched_and_bounded(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    syms = ["MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T"]
    fake_yahoo.add(*(with_shares(s) for s in syms))
    src, sleeps = source(fake_yahoo, tmp_path, chunk=2, pause=0.25)
    res = src.fetch(syms, START, END)
    # 5 symbols, chunk 2 -> ceil(5/2) = 3 quote requests, each after a pause; nothing per symbol.
    assert fake_yahoo.quote_calls() == [["MP", "LYC.AX"], ["NEO.TO", "PRE.L"], ["4063.T"]]
    assert src.quote_calls == 3
    assert sleeps.calls == [0.25] * 2 + [0.25] * 2 + [0.25] * 3  # downloads, metadata, quotes
    assert not [c for c in fake_yahoo.calls if "quoteSummary" in c or "timeseries" in c]
    assert res.instruments["market_cap"].notna().all()


def test_no_market_cap_request_without_metadata(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.add(with_shares("MP"), with_shares("PRE.L"))
    src, _ = source(fake_yahoo, tmp_path)
    res = src.fetch(["MP", "PRE.L"], START, END, want_metadata=False)
    assert fake_yahoo.quote_calls() == [] and res.instruments["market_cap"].isna().all()
    res = src.fetch(["MP", "PRE.L"], START, END, want_metadata=["pre.l"])
    assert fake_yahoo.quote_calls() == [["PRE.L"]]
    assert res.instruments.set_index("ticker")["market_cap"].notna().to_dict() == {
        "MP": False,
        "PRE.L": True,
    }


@pytest.mark.parametrize("status", [404, 500])
def test_market_cap_http_error_leaves_nan_and_prices(
    fake_yahoo: FakeYahoo, tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fake_yahoo.add(with_shares("MP"), with_shares("PRE.L"))
    fake_yahoo.quote_status = status
    src, sleeps = source(fake_yahoo, tmp_path, retries=3)
    with caplog.at_level(logging.INFO, logger="screener.sources.yahoo"):
        res = src.fetch(["MP", "PRE.L"], START, END)
    assert res.failures == {} and set(res.prices["ticker"]) == {"MP", "PRE.L"}
    assert res.instruments["market_cap"].isna().all()
    # A 404 is not retried by us (deterministic), a 500 is (with the backoff, 1 + 3 attempts);
    # yfinance repeats each >= 400 answer once with its other cookie strategy.
    attempts = 1 if status == 404 else 4
    assert src.quote_calls == attempts and len(fake_yahoo.quote_calls()) == 2 * attempts
    assert len(sleeps.calls) == attempts  # the pause before the quote, then the backoffs
    assert sleeps.calls[0] == 0.25
    msgs = [
        r.getMessage()
        for r in caplog.records
        if r.name == "screener.sources.yahoo" and r.levelno == logging.INFO
    ]
    for sym in ("MP", "PRE.L"):
        assert any(
            m.startswith(f"market cap for {sym} left NaN: v7 quote request failed")
            and str(status) in m
            for m in msgs
        ), msgs


def test_market_cap_429_is_retried_with_the_price_backoff(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.add(with_shares("MP"), with_shares("LYC.AX"))
    fake_yahoo.quote_rate_limited = 3.0  # 429 until 3 s have passed on the fake clock
    src, sleeps = source(fake_yahoo, tmp_path, backoff=5.0, rng=random.Random(5))
    res = src.fetch(["MP", "LYC.AX"], START, END)
    r = random.Random(5)
    assert sleeps.calls == pytest.approx([0.25, 5.0 * (1 + r.random())])
    assert src.quote_calls == 2 and fake_yahoo.quote_calls() == [["MP", "LYC.AX"]] * 3
    assert res.instruments["market_cap"].notna().all() and res.failures == {}


def test_persistent_market_cap_429_never_aborts_the_prices(
    fake_yahoo: FakeYahoo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    syms = ["MP", "LYC.AX", "NEO.TO", "PRE.L", "4063.T"]
    fake_yahoo.add(*(with_shares(s) for s in syms))
    fake_yahoo.quote_rate_limited = 1e9
    src, sleeps = source(
        fake_yahoo, tmp_path, chunk=2, retries=2, backoff=4.0, rng=random.Random(11)
    )
    with caplog.at_level(logging.INFO, logger="screener.sources.yahoo"):
        res = src.fetch(syms, START, END)
    assert res.failures == {} and list(dict.fromkeys(res.prices["ticker"])) == syms
    assert res.instruments["market_cap"].isna().all()
    # The first batch uses 1 + retries attempts; the later batches are not tried at all.
    assert src.quote_calls == 3 and fake_yahoo.quote_calls() == [["MP", "LYC.AX"]] * 6
    r = random.Random(11)
    assert sleeps.calls[-3:] == pytest.approx(
        [0.25, 4.0 * (1 + r.random()), 8.0 * (1 + r.random())]
    )
    msgs = [r.getMessage() for r in caplog.records if r.name == "screener.sources.yahoo"]
    for sym in syms:
        assert any(
            m.startswith(f"market cap for {sym} left NaN:") and "YFRateLimitError" in m
            for m in msgs
        ), sym


def test_lse_market_cap_reported_in_pence_is_still_gbp(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    lst = with_shares("PRE.L")
    pence = SHARES["PRE.L"] * last_close(lst)
    fake_yahoo.add(lst)
    fake_yahoo.quote_overrides["PRE.L"] = {"marketCap": pence}  # Yahoo switching to the quote unit
    src, _ = source(fake_yahoo, tmp_path)
    cap = src.fetch(["PRE.L"], START, END).instruments.loc[0, "market_cap"]
    np.testing.assert_allclose(cap, pence / 100, rtol=1e-12)


def test_market_cap_missing_from_the_quote_is_nan_and_logged(
    fake_yahoo: FakeYahoo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_yahoo.add(with_shares("MP"), listing("LYC.AX"), with_shares("PRE.L"))  # LYC.AX: no shares
    fake_yahoo.quote_overrides["PRE.L"] = {"currency": "USD"}
    src, _ = source(fake_yahoo, tmp_path)
    with caplog.at_level(logging.INFO, logger="screener.sources.yahoo"):
        res = src.fetch(["MP", "LYC.AX", "PRE.L"], START, END)
    cap = res.instruments.set_index("ticker")["market_cap"]
    assert cap.notna().to_dict() == {"MP": True, "LYC.AX": False, "PRE.L": False}
    text = caplog.text
    assert "market cap for LYC.AX left NaN: Yahoo's quote has no marketCap" in text
    assert (
        "market cap for PRE.L left NaN: quote currency USD differs from the price currency GBp"
        in text
    )


@pytest.mark.parametrize(
    ("quote", "ccy", "divisor", "expected", "why"),
    [
        ({"marketCap": 2.5e9, "currency": "USD"}, "USD", 1.0, 2.5e9, None),
        (
            {
                "marketCap": 3e9,
                "currency": "AUD",
                "sharesOutstanding": 1e9,
                "regularMarketPrice": 3.0,
            },
            "AUD",
            1.0,
            3e9,
            None,
        ),
        # GBp quote, cap in GBP: 2e8 shares x 500p = GBP 1bn -> kept
        (
            {
                "marketCap": 1e9,
                "currency": "GBp",
                "sharesOutstanding": 2e8,
                "regularMarketPrice": 500.0,
            },
            "GBp",
            100.0,
            1e9,
            None,
        ),
        # the same cap reported in pence -> divided
        (
            {
                "marketCap": 1e11,
                "currency": "GBp",
                "sharesOutstanding": 2e8,
                "regularMarketPrice": 500.0,
            },
            "GBp",
            100.0,
            1e9,
            None,
        ),
        # two share classes: shares cover half the cap, still clearly GBP
        (
            {
                "marketCap": 2e9,
                "currency": "GBp",
                "sharesOutstanding": 2e8,
                "regularMarketPrice": 500.0,
            },
            "GBp",
            100.0,
            2e9,
            None,
        ),
        # no shares to check against: Yahoo's convention (major unit) is assumed
        ({"marketCap": 1e9, "currency": "ZAc"}, "ZAc", 100.0, 1e9, None),
        ({"currency": "USD"}, "USD", 1.0, np.nan, "no marketCap"),
        ({"marketCap": 0, "currency": "USD"}, "USD", 1.0, np.nan, "no marketCap"),
        ({"marketCap": None}, "USD", 1.0, np.nan, "no marketCap"),
        ({"marketCap": True}, "USD", 1.0, np.nan, "no marketCap"),
        ({"marketCap": "1e9"}, "USD", 1.0, np.nan, "no marketCap"),
        ({"marketCap": 1e9, "currency": "USD"}, "GBp", 100.0, np.nan, "differs"),
        (None, "USD", 1.0, np.nan, "missing"),
    ],
)
def test_market_cap_major(
    quote: dict[str, Any] | None, ccy: str, divisor: float, expected: float, why: str | None
) -> None:
    cap, reason = market_cap_major(quote, ccy, divisor)
    if why is None:
        assert reason is None and cap == pytest.approx(expected, rel=1e-12)
    else:
        assert np.isnan(cap) and reason is not None and why in reason


# --- refresh rations metadata lookups -----------------------------------------------------------


def metadata_requests(server: FakeYahoo, symbols: list[str]) -> tuple[int, int]:
    """(chart requests for metadata, i.e. ``range=5d``; v7 quote requests) made so far."""
    charts = sum(1 for s in symbols for q in server.chart_calls(s) if q.get("range") == "5d")
    return charts, len(server.quote_calls())


def test_refresh_looks_metadata_up_once_a_week_and_keeps_it(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.store import Store
    from screener.store.refresh import refresh

    syms = ["MP", "LYC.AX", "PRE.L"]
    fake_yahoo.add(*(with_shares(s) for s in [*syms, "NEO.TO"]))
    src, _ = source(fake_yahoo, tmp_path)
    store = Store.open(tmp_path / "data")
    clock = [dt.datetime(2025, 4, 30, 22, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr("screener.store.refresh._utcnow", lambda: clock[0])

    refresh(store, syms, src, end=END, today=END)
    assert metadata_requests(fake_yahoo, syms) == (3, 1)  # first time: every symbol
    known = store.instruments(syms)
    assert known["market_cap"].notna().all() and known.loc["PRE.L", "exchange"] == "LSE"
    assert known.loc["LYC.AX", "name"] == "LYC.AX Fake Corp"

    clock[0] += dt.timedelta(days=3)
    refresh(store, [*syms, "NEO.TO"], src, end=END, today=END)
    # Only the newcomer is looked up; the others' stored metadata is untouched.
    assert metadata_requests(fake_yahoo, [*syms, "NEO.TO"]) == (4, 2)
    assert fake_yahoo.quote_calls()[-1] == ["NEO.TO"]
    pd.testing.assert_frame_equal(store.instruments(syms), known)

    clock[0] += dt.timedelta(days=5)  # 8 days after the first
    refresh(store, [*syms, "NEO.TO"], src, end=END, today=END)
    assert metadata_requests(fake_yahoo, [*syms, "NEO.TO"]) == (7, 3)
    assert fake_yahoo.quote_calls()[-1] == syms
    assert (store.instruments(syms)["updated_at"] > known["updated_at"]).all()


def test_a_usd_line_on_the_lse_keeps_its_divisor_without_a_lookup(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from screener.store import Store
    from screener.store.refresh import refresh

    usd = replace(with_shares("PRE.L"), currency="USD")  # the exchange table would guess GBp
    fake_yahoo.add(usd)
    src, _ = source(fake_yahoo, tmp_path)
    store = Store.open(tmp_path / "data")
    clock = [dt.datetime(2025, 4, 30, 22, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr("screener.store.refresh._utcnow", lambda: clock[0])
    refresh(store, ["PRE.L"], src, end=END, today=END)
    clock[0] += dt.timedelta(days=1)
    refresh(store, ["PRE.L"], src, end=END, today=END)
    assert metadata_requests(fake_yahoo, ["PRE.L"]) == (1, 1)  # the second one looked nothing up
    inst = store.instruments(["PRE.L"]).loc["PRE.L"]
    assert (inst["quote_currency"], inst["currency"], inst["price_divisor"]) == ("USD", "USD", 1.0)
    got = store.prices_long(["PRE.L"]).set_index("date")["close"]
    np.testing.assert_allclose(
        got, window(usd, dt.date(2025, 3, 3))["close"], rtol=1e-12
    )  # not / 100


# --- a locked local cache is not a verdict on the network ------------------------------------


def test_a_locked_yfinance_cache_is_a_local_failure() -> None:
    from screener.sources.yahoo_log import classify

    assert classify(["OperationalError('database is locked')"]) == "local"
    # a network error named in the same messages still wins
    assert classify(["curl: (6) Could not resolve host", "database is locked"]) == "network"


def test_offline_is_recognised_when_one_symbol_hit_a_locked_cache() -> None:
    # yfinance's worker threads share one SQLite tz cache; under contention one symbol can fail
    # with "database is locked" before it reaches the network. The others' DNS errors decide.
    from screener.sources.yahoo import YahooSource
    from screener.sources.yahoo_log import Failure

    dns = "timezone lookup failed: curl: (6) Could not resolve host: query2.finance.yahoo.com"
    failures = {
        "MP": Failure(dns, "network"),
        "REMX": Failure("OperationalError('database is locked')", "local"),
    }
    with pytest.raises(NetworkError, match="could not be reached"):
        YahooSource._raise_if_offline(failures)
    # a symbol Yahoo answered for (404) shows the network works: no verdict of "offline"
    answered = {**failures, "XX": Failure("possibly delisted; 404", "not_found")}
    YahooSource._raise_if_offline(answered)
    # nothing but a locked cache: no evidence about the network either way
    YahooSource._raise_if_offline({"REMX": failures["REMX"]})


# --- yfinance's caches are open before its threads are, and a deadline bounds a refresh ------


def test_yfinance_caches_are_in_wal_mode_before_download_starts_its_threads(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each download thread opens its own SQLite connection and sets journal_mode=wal; on a file
    # still in rollback mode two of them at once can fail at once with "database is locked".
    import sqlite3

    fake_yahoo.add(listing("MP"), listing("LYC.AX"))
    seen: list[dict[str, str]] = []
    real = yf.download

    def spy(tickers: Any, **kw: Any) -> Any:
        modes = {}
        for name in ("tkr-tz.db", "cookies.db"):
            path = tmp_path / "yfinance-cache" / name
            assert path.exists(), f"{name} not created before download"
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                modes[name] = con.execute("PRAGMA journal_mode").fetchone()[0]
        seen.append(modes)
        return real(tickers, **kw)

    monkeypatch.setattr(yf, "download", spy)
    src, _ = source(fake_yahoo, tmp_path, threads=2)
    res = src.fetch(["MP", "LYC.AX"], START, END, want_metadata=False)
    assert res.failures == {}
    assert seen == [{"tkr-tz.db": "wal", "cookies.db": "wal"}]


def test_the_deadline_stops_retries_and_names_the_last_failure(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    from fakes.yahoo import Fault

    fake_yahoo.add(listing("MP"), listing("LYC.AX"))
    fake_yahoo.faults["LYC.AX"] = Fault("timeout")
    src, sleeps = source(
        fake_yahoo,
        tmp_path,
        retries=5,
        backoff=5.0,
        deadline=12.0,
        clock=lambda: fake_yahoo.clock,
        rng=random.Random(2),
    )
    res = src.fetch(["MP", "LYC.AX"], START, END, want_metadata=False)
    # first backoff 5-10 s fits in 12 s; the second (10-20 s) would end past it
    assert len(sleeps.calls) == 1 and 5.0 <= sleeps.calls[0] < 10.0
    assert src.download_calls == 2 and fake_yahoo.fault_hits["LYC.AX"] == 2
    assert res.failures["LYC.AX"].startswith("deadline: yahoo_deadline of 12 s reached;")
    assert "the last attempt failed with timeout: Timeout(" in res.failures["LYC.AX"]
    assert set(res.prices["ticker"]) == {"MP"}
    assert fake_yahoo.clock < 12.0  # nothing waited past the deadline


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (("status", None, 503), "server_error"),
        (("malformed", None, 503), "bad_response"),
        (("timeout", None, 503), "timeout"),
        (("refused", None, 503), "network"),
    ],
)
def test_transient_failures_use_the_whole_retry_budget_and_no_more(
    fake_yahoo: FakeYahoo, tmp_path: Path, fault: tuple[str, None, int], kind: str
) -> None:
    from fakes.yahoo import Fault

    fake_yahoo.add(listing("MP"), listing("LYC.AX"))
    fake_yahoo.faults["LYC.AX"] = Fault(*fault)
    src, sleeps = source(fake_yahoo, tmp_path, retries=2)
    res = src.fetch(["MP", "LYC.AX"], START, END, want_metadata=False)
    assert res.failures["LYC.AX"].startswith(f"{kind}: ")
    assert src.download_calls == 3 and len(sleeps.calls) == 2  # 1 + retries, two backoffs
    per_attempt = 2 if fault[0] == "status" else 1  # yfinance repeats a >= 400 once
    assert fake_yahoo.fault_hits["LYC.AX"] == 3 * per_attempt


def test_yfinance_import_filter_that_shows_its_deprecations_is_removed() -> None:
    from screener.sources.yahoo_log import drop_yfinance_warning_filter

    def entries() -> list[tuple[str, str]]:
        return [(f[0], getattr(f[3], "pattern", "")) for f in warnings.filters if f[3] is not None]

    with warnings.catch_warnings():
        # what `import yfinance` runs, and a filter of someone else's that must stay
        warnings.filterwarnings("default", category=DeprecationWarning, module="^yfinance")
        warnings.filterwarnings("default", category=DeprecationWarning, module="^other")
        assert ("default", "^yfinance") in entries()
        assert drop_yfinance_warning_filter() == 1
        assert ("default", "^yfinance") not in entries() and ("default", "^other") in entries()
        assert drop_yfinance_warning_filter() == 0
