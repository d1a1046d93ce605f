"""A warm `run --demo` generates no demo prices the store already holds, and generates those
it lacks (each market's synthetic holidays known), with the same outputs either way."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from screener import pipeline, settings
from screener.sources.demo import DemoSource, _closed, _holiday_mask, last_business_day
from screener.store import STORE_FILENAME

TODAY = date(2026, 11, 30)  # a Monday on which the synthetic .SZ market is closed


@pytest.mark.parametrize("ticker", ["000831.SZ", "LYC.AX", "MP", "ARU.AX", "AUDUSD=X", "UCU.V"])
def test_last_bar_day_is_the_last_bar_fetch_gives(ticker: str) -> None:
    src = DemoSource()
    for back in range(0, 90, 3):
        day = TODAY - timedelta(days=back)
        got = src.fetch([ticker], start=day - timedelta(days=40), end=last_business_day(day))
        assert src.last_bar_day(ticker, day) == pd.Timestamp(got.prices["date"].max()).date()


def test_a_closed_market_ends_before_the_last_business_day() -> None:
    # The fixture date above exercises the holiday path, not just weekends.
    assert DemoSource().last_bar_day("000831.SZ", TODAY) < last_business_day(TODAY)


def _run(tmp_path: Path, out: str, today: date) -> dict[str, object]:
    result = pipeline.run(
        universe=None, mode="demo", out_dir=tmp_path / out, data_dir=tmp_path / "home", today=today
    )
    doc = json.loads((tmp_path / out / "screen.json").read_text())
    doc["run"].pop("generated_at")
    assert result.exit_code == 0
    return doc


def test_a_warm_demo_run_generates_only_missing_bars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    real = DemoSource.fetch

    def counting(self: DemoSource, tickers: list[str], *a: object, **k: object) -> object:
        asked.extend(tickers)
        return real(self, tickers, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(DemoSource, "fetch", counting)
    today = date.today()  # the demo generates up to the real last business day
    first = _run(tmp_path, "cold", today)
    assert asked
    asked.clear()
    assert _run(tmp_path, "warm", today) == first
    assert asked == []  # nothing generated again
    # The store loses its last day, as if that day had not been generated yet.
    path = settings.store_dir(tmp_path / "home", demo=True) / STORE_FILENAME
    with duckdb.connect(str(path)) as con:
        con.execute(
            "DELETE FROM prices WHERE date = (SELECT max(date) FROM prices) RETURNING ticker"
        )
        lost = {str(r[0]) for r in con.fetchall()}
    assert _run(tmp_path, "catch-up", today) == first
    assert set(asked) == lost  # exactly the symbols that miss a bar, markets closed skipped


@pytest.mark.parametrize("sfx", ["", ".AX", ".SZ", ".TO", ".HK"])
def test_one_day_holiday_check_equals_the_calendar_mask(sfx: str) -> None:
    days = pd.bdate_range("2024-12-01", "2026-12-31")
    mask = _holiday_mask(days, sfx)
    assert [_closed(d.date(), sfx) for d in days] == mask.tolist()
    assert mask.any()
