"""Write-side helpers of the store: input validation, flag re-checks, fetch-log rows.

They run inside the transaction :class:`screener.store.Store` opens; none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from screener.errors import PriceDataError, StoreError
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult
from screener.sources.exchanges import major_unit
from screener.store.checks import join_flags, split_flags, value_masks
from screener.store.frames import DATE_DTYPE, FIELDS

_LOG_COLUMNS = (
    "ticker",
    "source",
    "started_at",
    "finished_at",
    "status",
    "reason",
    "rows",
    "first_date",
    "last_date",
)
_INSTRUMENT_TEXT = ("name", "currency", "exchange", "timezone", "quote_currency")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def validated_prices(result: FetchResult) -> pd.DataFrame:
    frame = result.prices
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise PriceDataError(
            f"{result.source} source returned a price frame without column(s) "
            f"{', '.join(missing)}; expected {', '.join(PRICE_COLUMNS)}."
        )
    frame = frame.loc[:, list(PRICE_COLUMNS)].copy()
    if frame["ticker"].isna().any() or (frame["ticker"].astype(str).str.strip() == "").any():
        raise PriceDataError(f"{result.source} source returned bars with an empty ticker.")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    if dates.isna().any():
        bad = frame.loc[dates.isna(), "ticker"].astype(str).unique()[:5]
        raise PriceDataError(
            f"{result.source} source returned bars without a valid date for {', '.join(bad)}."
        )
    frame["ticker"] = frame["ticker"].astype(str)
    frame["date"] = dates.astype(DATE_DTYPE)
    for col in FIELDS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


def validated_instruments(result: FetchResult) -> pd.DataFrame:
    return validated_instruments_frame(result.instruments, result.source)


def validated_instruments_frame(frame: pd.DataFrame | None, source: str = "a") -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    missing = [c for c in INSTRUMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise PriceDataError(
            f"{source} source returned an instrument frame without column(s) "
            f"{', '.join(missing)}; expected {', '.join(INSTRUMENT_COLUMNS)}."
        )
    frame = frame.loc[frame["ticker"].notna(), list(INSTRUMENT_COLUMNS)].copy()
    frame = frame.drop_duplicates("ticker", keep="last")
    for col in ("ticker", *_INSTRUMENT_TEXT):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    for col in ("market_cap", "price_divisor"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


@dataclass(frozen=True)
class CurrencyClash:
    """A ticker whose incoming quote currency differs from the stored one."""

    ticker: str
    stored: str  # the stored quote currency (or currency)
    incoming: str
    bars: int  # stored bars priced in ``stored``

    def describe(self) -> str:
        return (
            f"{self.ticker}: currency {self.incoming} conflicts with the store, which holds "
            f"{self.bars} bar(s) of {self.ticker} in {self.stored}; importing would relabel "
            f"that history. Give {self.ticker}'s prices in {self.stored}, or remove its stored "
            "history first"
        )


def currency_conflicts(
    con: duckdb.DuckDBPyConnection, instruments: pd.DataFrame
) -> list[CurrencyClash]:
    """Incoming instruments whose quote currency is not the stored one, by ticker.

    Compared as units: ``GBp`` and ``GBX`` are both pence and agree; ``GBP`` (pounds) and
    ``GBp`` do not. The stored side is ``quote_currency``, else ``currency``; an incoming row
    without a currency, or a ticker the store does not know, is no conflict.
    """
    given = instruments.loc[instruments["quote_currency"].notna(), ["ticker", "quote_currency"]]
    if given.empty:
        return []
    rows = con.execute(
        "SELECT i.ticker, coalesce(i.quote_currency, i.currency), "
        "(SELECT count(*) FROM prices p WHERE p.ticker = i.ticker) "
        "FROM instruments i WHERE i.ticker IN (SELECT unnest(?::VARCHAR[])) "
        "AND coalesce(i.quote_currency, i.currency) IS NOT NULL ORDER BY i.ticker",
        [given["ticker"].astype(str).tolist()],
    ).fetchall()
    incoming = dict(
        zip(given["ticker"].astype(str), given["quote_currency"].astype(str), strict=True)
    )
    return [
        CurrencyClash(ticker, stored, incoming[ticker], int(bars))
        for ticker, stored, bars in rows
        if major_unit(stored) != major_unit(incoming[ticker])
    ]


def recheck_with_history(
    con: duckdb.DuckDBPyConnection, checked: pd.DataFrame, today: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-run the value checks on stored + new bars of the affected tickers.

    Returns (stored bars whose flags change: ticker, date, flags) and the new bars with their
    final flags. ``duplicate_date`` belongs to the input a bar came from and is carried over.
    """
    tickers = checked["ticker"].unique().tolist()
    stored = con.execute(
        "SELECT ticker, date, open, high, low, close, adj_close, flags FROM prices "
        "WHERE ticker IN (SELECT unnest(?::VARCHAR[]))",
        [tickers],
    ).df()
    if stored.empty:
        return stored.iloc[0:0], checked
    stored["date"] = stored["date"].astype(DATE_DTYPE)
    new_keys = pd.MultiIndex.from_frame(checked[["ticker", "date"]])
    old_keys = pd.MultiIndex.from_frame(stored[["ticker", "date"]])
    stored = stored.loc[~old_keys.isin(new_keys)]
    stored = stored.assign(_new=False, _old_flags=stored["flags"])
    merged = pd.concat(
        [stored, checked.assign(_new=True, _old_flags=checked["flags"])], ignore_index=True
    )
    merged = merged.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    masks = value_masks(merged, today)
    masks["duplicate_date"] = split_flags(merged["_old_flags"], "duplicate_date")
    merged["flags"] = join_flags(masks, len(merged))
    is_new = merged["_new"].to_numpy(dtype=bool)
    old = merged.loc[~is_new]
    changed = old.loc[old["flags"] != old["_old_flags"].astype(object), ["ticker", "date", "flags"]]
    fresh = checked.copy()
    # Both frames are sorted by the same unique keys, so the new bars line up row by row.
    fresh["flags"] = merged.loc[is_new, "flags"].to_numpy()
    return changed.reset_index(drop=True), fresh


def insert_log(con: duckdb.DuckDBPyConnection, records: Sequence[dict[str, Any]]) -> None:
    rows = []
    for i, rec in enumerate(records):
        missing = [k for k in ("ticker", "source", "status") if not rec.get(k)]
        if missing:
            raise StoreError(f"fetch log record {i} lacks {', '.join(missing)}: {rec!r}")
        if rec["status"] not in ("ok", "failed"):
            raise StoreError(
                f"fetch log record {i} ({rec['ticker']}): status {rec['status']!r} must be 'ok' or 'failed'"
            )
        now = utcnow()
        rows.append(
            (
                rec["ticker"],
                rec["source"],
                naive_utc(rec.get("started_at") or now),
                naive_utc(rec.get("finished_at") or now),
                rec["status"],
                None if rec.get("reason") is None else str(rec["reason"]),
                int(rec.get("rows") or 0),
                _as_date(rec.get("first_date")),
                _as_date(rec.get("last_date")),
            )
        )
    frame = pd.DataFrame(rows, columns=list(_LOG_COLUMNS))
    con.register("incoming_log", frame)
    con.execute(
        f"INSERT INTO fetch_log ({', '.join(_LOG_COLUMNS)}) SELECT ticker::VARCHAR, source::VARCHAR, "
        "started_at::TIMESTAMP, finished_at::TIMESTAMP, status::VARCHAR, reason::VARCHAR, "
        "rows::INTEGER, first_date::DATE, last_date::DATE FROM incoming_log"
    )
    con.unregister("incoming_log")


def _as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):  # also pd.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    parsed: date = pd.Timestamp(value).date()
    return parsed
