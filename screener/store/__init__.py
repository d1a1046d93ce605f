"""The embedded price store: prices, instruments, fetch log and the weekly run history.

One DuckDB file, ``<data_dir>/screener.duckdb`` (DuckDB was chosen over SQLite by
``bench/store.py``; numbers and reasons in ``docs/store.md``).

Conventions. Frames carry dates as ``datetime64[us]`` (tz-naive, the exchange's trading
day); dicts and scalars carry :class:`datetime.date`. Timestamps (``fetched_at``,
``updated_at``, fetch log times) are naive UTC. Text columns of ``prices_long`` are
``Categorical``.

Concurrency and atomicity. No connection is kept open: each call opens the file, runs one
transaction and closes it (:mod:`screener.store.connect`), so a refresh holds the write lock
only for one chunk at a time and a reader waits at most one chunk's write. Every write is a
single transaction: a process killed mid-write leaves the previous data intact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import duckdb
import pandas as pd

from screener import settings
from screener.errors import CurrencyConflict, ScreenerError, StoreError
from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
from screener.store import runs as _runs
from screener.store.checks import check_prices
from screener.store.connect import connect, damaged, transaction
from screener.store.frames import (
    DATE_DTYPE,
    FIELDS,
    LONG_COLUMNS,
    read_long,
    read_wide,
    where_clause,
)
from screener.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    STORE_FILENAME,
    table_names,
    tables_of,
)
from screener.store.writes import (
    CurrencyClash,
    currency_conflicts,
    insert_log,
    naive_utc,
    recheck_with_history,
    utcnow,
    validated_instruments,
    validated_instruments_frame,
    validated_prices,
)

__all__ = ["FIELDS", "LONG_COLUMNS", "SCHEMA_VERSION", "STORE_FILENAME", "Store"]

T = TypeVar("T")


class Store:
    """Handle on the store file. Cheap to create; holds no connection between calls."""

    def __init__(self, path: Path, *, read_only: bool, lock_wait: float) -> None:
        self.path = path
        self.read_only = read_only
        self.lock_wait = lock_wait
        self._pinned: duckdb.DuckDBPyConnection | None = None

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: str | Path,
        *,
        read_only: bool = False,
        lock_wait: float | None = None,
    ) -> Store:
        """Open (and, unless ``read_only``, create or upgrade) the store in ``data_dir``.

        Raises StoreError when the file is from a newer screener, is not a DuckDB file, stays
        locked longer than ``lock_wait`` seconds, or (read-only) does not exist yet.
        """
        wait = float(settings.get("store_lock_wait") if lock_wait is None else lock_wait)
        folder = Path(data_dir).expanduser()
        path = folder / STORE_FILENAME
        if read_only and not path.exists():
            raise StoreError(
                f"no price store at {path}: run `screener prices refresh` first "
                "(or pass --demo for synthetic prices)."
            )
        if not read_only:
            _make_folder(folder)
        store = cls(path, read_only=read_only, lock_wait=wait)
        with connect(path, read_only=read_only, lock_wait=wait) as con:
            store._check_tables(con)
            if read_only:
                store._check_version(con, _version(con))
            else:
                with transaction(con):
                    store._migrate(con)
        return store

    @classmethod
    @contextmanager
    def reading(cls, data_dir: str | Path, *, lock_wait: float | None = None) -> Iterator[Store]:
        """The store opened read-only, every read in the block served from the one connection
        that checked it (:meth:`open` with ``read_only`` and :meth:`reading_session` in one:
        a connection costs about 10 ms, a third of a lookup's own work)."""
        wait = float(settings.get("store_lock_wait") if lock_wait is None else lock_wait)
        path = Path(data_dir).expanduser() / STORE_FILENAME
        if not path.exists():
            raise StoreError(
                f"no price store at {path}: run `screener prices refresh` first "
                "(or pass --demo for synthetic prices)."
            )
        store = cls(path, read_only=True, lock_wait=wait)
        with connect(path, read_only=True, lock_wait=wait) as con:
            store._check_tables(con)
            store._check_version(con, _version(con))
            store._pinned = con
            try:
                yield store
            finally:
                store._pinned = None

    def _check_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refuse a DuckDB file that is someone else's database or lacks the store's tables.

        An empty database is a new store. One with tables but no ``schema_version`` is not
        ours (migrating it would write our tables into another program's file); one with
        ``schema_version`` but without a table of its version is damaged.
        """
        found = set(table_names(con))
        if not found:
            return
        if "schema_version" not in found:
            shown = ", ".join(sorted(found)[:5]) + (" …" if len(found) > 5 else "")
            raise damaged(
                self.path,
                f"is a DuckDB database of another program (tables: {shown}; no schema_version)",
            )
        missing = [t for t in tables_of(min(_version(con), SCHEMA_VERSION)) if t not in found]
        if missing:
            raise damaged(self.path, f"lacks the table(s) {', '.join(missing)}")

    def _check_version(self, con: duckdb.DuckDBPyConnection, found: int) -> None:
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {found}, written by a newer "
                f"screener; this version reads up to {SCHEMA_VERSION}. Upgrade screener, or "
                "use another --data-dir."
            )
        if found < SCHEMA_VERSION and self.read_only:
            raise StoreError(
                f"the store {self.path} has schema version {found} and needs an upgrade to "
                f"{SCHEMA_VERSION}: run any writing command (e.g. `screener prices refresh`) once."
            )

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        found = _version(con)
        self._check_version(con, found)
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                con.execute(statement)
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, utcnow()])

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (no connection is held); kept for symmetry with ``open``."""

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._pinned is not None:  # inside reading_session(): reuse its connection
            yield self._pinned
            return
        # Read-only connections: any number of readers may share the file.
        with connect(self.path, read_only=True, lock_wait=self.lock_wait) as con:
            yield con

    @contextmanager
    def reading_session(self) -> Iterator[Store]:
        """Serve every read inside the block from one read-only connection.

        Each read otherwise opens its own (about 10 ms); a lookup makes a dozen. Writers wait
        for the block to end, so keep it to a burst of reads.
        """
        if self._pinned is not None:
            yield self
            return
        with connect(self.path, read_only=True, lock_wait=self.lock_wait) as con:
            self._pinned = con
            try:
                yield self
            finally:
                self._pinned = None

    @contextmanager
    def _writing(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise StoreError(f"the store {self.path} was opened read-only; cannot write.")
        with (
            connect(self.path, read_only=False, lock_wait=self.lock_wait) as con,
            transaction(con),
        ):
            if memory_limit is not None:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            yield con

    # --- writing ----------------------------------------------------------------------------

    def upsert(
        self,
        result: FetchResult,
        *,
        fetched_at: datetime | None = None,
        log: Sequence[dict[str, Any]] | None = None,
    ) -> int:
        """Insert or overwrite the result's bars and instruments in one transaction.

        Bars are keyed by (ticker, date): a re-fetched bar replaces the stored one (revisions
        win), so the same result upserted twice leaves the same rows. The sanity checks of
        :func:`screener.store.checks.check_prices` run on each affected ticker's whole stored
        history merged with the new bars, because a new bar can turn the previous last bar
        into a bad tick; stored bars whose flags change are updated. Instruments are merged
        field by field, see :func:`_merge_instruments`. ``log`` records (see :meth:`log_fetch`)
        are written in the same transaction. Returns the number of bars written.
        """
        fetched = naive_utc(fetched_at) if fetched_at else utcnow()
        today = _judging_day(fetched)
        checked = check_prices(validated_prices(result), today=today)
        instruments = validated_instruments(result)
        with self._writing() as con:
            if result.source == "csv":  # a file's currency must not relabel stored history
                _refuse_conflicts(con, _looked_up(result, instruments))
            written = _write_bars(con, checked, today, result, fetched)
            if len(instruments):
                _merge_instruments(con, result, instruments, fetched)
            if log:
                insert_log(con, log)
        return written

    def import_staged(
        self,
        staged: Staged,
        metadata: FetchResult,
        *,
        fetched_at: datetime | None = None,
        memory_limit: str | None = None,
    ) -> int:
        """Write a large staged import in **one** transaction, in bounded memory.

        Two phases. First, with a read-only connection (readers are not blocked), each of
        ``staged.batches()`` is checked as :meth:`upsert` checks a result (flags, the stored
        neighbours re-flagged) and the outcome is appended to tables of the staging database
        (``ready``: the bars with their flags; ``reflag``: stored bars whose flags change).
        Then the staging file is attached read-only to a write connection, and one
        transaction applies ``reflag`` and replaces the keys of ``ready`` with DuckDB's own
        bulk ``INSERT … SELECT`` (many INSERTs of pandas frames in one transaction would hold
        every uncommitted row in memory). If the affected tickers' stored bars changed
        between the two phases (another writer), nothing is written and StoreError says to
        run the import again. ``metadata`` carries the instruments; a currency that conflicts
        with a stored one raises :class:`~screener.errors.CurrencyConflict` before anything
        is written. Returns the number of bars written.
        """
        fetched = naive_utc(fetched_at) if fetched_at else utcnow()
        today = _judging_day(fetched)
        instruments = validated_instruments(metadata)
        guarded = _looked_up(metadata, instruments)
        tickers = instruments["ticker"].astype(str).tolist()
        scon = staged.connection
        scon.execute(_READY_DDL)
        scon.execute("CREATE TABLE reflag (ticker VARCHAR, date DATE, flags VARCHAR)")
        with self._reading() as ro:
            _refuse_conflicts(ro, guarded)
            seen = _fingerprint(ro, tickers)
            for result in staged.batches():
                checked = check_prices(validated_prices(result), today=today)
                changed, fresh = recheck_with_history(ro, checked, today)
                _append(scon, "ready", fresh[["ticker", "date", *FIELDS, "flags"]])
                _append(scon, "reflag", changed[["ticker", "date", "flags"]])
        count = scon.execute("SELECT count(*) FROM ready").fetchall()[0][0]
        database = staged.release()
        with connect(self.path, read_only=False, lock_wait=self.lock_wait) as con:
            if memory_limit is not None:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(
                f"ATTACH '{str(database).replace(chr(39), chr(39) * 2)}' AS staged (READ_ONLY)"
            )
            with transaction(con):
                _refuse_conflicts(con, guarded)
                if _fingerprint(con, tickers) != seen:
                    raise StoreError(
                        f"another screener process wrote prices of these tickers to {self.path} "
                        "while the import was being checked; nothing was imported. Run the "
                        "import again."
                    )
                con.execute(
                    "UPDATE prices SET flags = c.flags FROM staged.reflag c "
                    "WHERE prices.ticker = c.ticker AND prices.date = c.date"
                )
                con.execute(
                    "DELETE FROM prices USING staged.ready i "
                    "WHERE prices.ticker = i.ticker AND prices.date = i.date"
                )
                fields = ", ".join(FIELDS)
                con.execute(
                    f"INSERT INTO prices SELECT ticker, date, {fields}, ?, ?, flags, ? "
                    "FROM staged.ready ORDER BY ticker, date",
                    [metadata.source, bool(metadata.synthetic), fetched],
                )
                if len(instruments):
                    _merge_instruments(con, metadata, instruments, fetched)
            con.execute("DETACH staged")
        return int(count)

    def currency_conflicts(self, instruments: pd.DataFrame) -> list[CurrencyClash]:
        """Tickers of ``instruments`` whose currency differs from the stored one (see
        :func:`screener.store.writes.currency_conflicts`)."""
        with self._reading() as con:
            return currency_conflicts(con, validated_instruments_frame(instruments))

    def log_fetch(self, records: Sequence[dict[str, Any]]) -> None:
        """Append fetch outcomes: dicts with ticker, source, started_at, finished_at,
        status ('ok' | 'failed'), and optionally reason, rows, first_date, last_date."""
        if not records:
            return
        with self._writing() as con:
            insert_log(con, records)

    def forget_unpriced(self, tickers: Sequence[str]) -> None:
        """Remove the fetch-log and instrument rows of those ``tickers`` that hold no bars: a
        symbol looked up once that the source did not know leaves nothing in the store."""
        if not tickers:
            return
        with self._writing() as con:
            for table in ("fetch_log", "instruments"):
                con.execute(
                    f"DELETE FROM {table} WHERE ticker IN (SELECT unnest(?::VARCHAR[])) "
                    "AND ticker NOT IN (SELECT DISTINCT ticker FROM prices)",
                    [list(tickers)],
                )

    # --- runs -------------------------------------------------------------------------------

    def save_run(
        self, meta: dict[str, Any], document: dict[str, Any], rows: list[dict[str, Any]]
    ) -> None:
        """Store a run; a run with the same ``run_id`` is replaced in the same transaction."""
        record, results = _runs.prepare(meta, document, rows)
        with self._writing() as con:
            _runs.write(con, record, results)

    def list_runs(self) -> list[dict[str, Any]]:
        """Stored runs without their documents, oldest first (by as_of, then run_id)."""
        with self._reading() as con:
            return _runs.list_all(con)

    def load_run(self, run_id: str) -> dict[str, Any]:
        """The run's metadata plus ``document`` and ``rows`` (payloads by rank); NotFoundError if absent."""
        with self._reading() as con:
            return _runs.load(con, run_id)

    def newest_run_field(self, universe_name: str, json_path: str) -> dict[str, Any] | None:
        """The newest run of ``universe_name``: metadata and ``values``, one field of each
        result row by company id (see :func:`runs.newest_field`); None without a run."""
        with self._reading() as con:
            return _runs.newest_field(con, universe_name, json_path)

    def previous_run(
        self, before_run_id: str | None = None, *, before_as_of: date | None = None
    ) -> dict[str, Any] | None:
        """The latest run strictly before ``before_run_id``'s as_of (or ``before_as_of``), or None."""
        with self._reading() as con:
            return _runs.previous(con, before_run_id, before_as_of)

    def run_members(self, *, since: date, before: date) -> pd.DataFrame:
        """Per stored run with ``since <= as_of < before``, each ranked company's id, ticker,
        score, gate verdict and 1y USD volatility (the basket's inputs), oldest run first."""
        with self._reading() as con:
            return _runs.members(con, since, before)

    # --- reading ----------------------------------------------------------------------------

    def last_dates(self, tickers: Sequence[str] | None = None) -> dict[str, date]:
        """Last stored bar date per ticker (tickers without bars are absent)."""
        where, params = where_clause(tickers, None, None)
        with self._reading() as con:
            rows = con.execute(
                f"SELECT ticker, max(date) FROM prices {where} GROUP BY ticker", params
            ).fetchall()
        return {t: d for t, d in rows}

    def prices_long(
        self,
        tickers: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> pd.DataFrame:
        """Bars as a long frame with :data:`LONG_COLUMNS`, sorted by (ticker, date)."""
        with self._reading() as con:
            return read_long(con, tickers, start, end)

    def wide(
        self,
        field: str = "adj_close",
        tickers: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> pd.DataFrame:
        """``field`` as dates × tickers (NaN where no bar); see :func:`frames.read_wide`."""
        with self._reading() as con:
            return read_wide(con, field, tickers, start, end)

    def read_with(self, reader: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """``reader(connection)`` on one read-only connection: several reads (e.g. of
        :mod:`screener.store.frames`) for the price of one open."""
        with self._reading() as con:
            return reader(con)

    def instruments(self, tickers: Sequence[str] | None = None) -> pd.DataFrame:
        """Instrument metadata indexed by ticker."""
        where, params = where_clause(tickers, None, None)
        with self._reading() as con:
            frame = con.execute(f"SELECT * FROM instruments {where} ORDER BY ticker", params).df()
        return frame.set_index("ticker")

    def status(self, today: date) -> pd.DataFrame:
        """Per ticker (with bars, instrument data or fetch attempts): source, synthetic,
        first_date, last_date, rows, currency, days_stale (calendar days from last_date to
        ``today``), last_error (latest failure reason after the last success, else None),
        flagged (bars with any flag). Indexed by ticker."""
        with self._reading() as con:
            frame = con.execute(_STATUS_SQL, [today]).df()
        for col in ("first_date", "last_date"):
            frame[col] = frame[col].astype(DATE_DTYPE)
        frame["days_stale"] = frame["days_stale"].astype("Int64")
        frame["rows"] = frame["rows"].astype("int64")
        frame["flagged"] = frame["flagged"].astype("int64")
        frame["synthetic"] = frame["synthetic"].astype(bool)
        frame["last_error"] = (
            frame["last_error"].astype(object).where(frame["last_error"].notna(), None)
        )
        return frame.set_index("ticker")

    def last_errors(self, tickers: Sequence[str]) -> dict[str, str]:
        """The ``last_error`` of :meth:`status` for ``tickers`` only (where it is one)."""
        with self._reading() as con:
            rows = con.execute(_LAST_ERRORS_SQL, [list(tickers)]).fetchall()
        return {str(t): str(e) for t, e in rows if isinstance(e, str) and e}

    def has_synthetic(self, tickers: Sequence[str]) -> bool:
        """True when any stored bar or instrument record of ``tickers`` is synthetic."""
        sql = (
            "SELECT (SELECT count(*) FROM prices WHERE synthetic AND ticker IN (SELECT unnest(?::VARCHAR[]))) "
            "+ (SELECT count(*) FROM instruments WHERE synthetic AND ticker IN (SELECT unnest(?::VARCHAR[])))"
        )
        with self._reading() as con:
            row = con.execute(sql, [list(tickers), list(tickers)]).fetchone()
        return bool(row and row[0])


_STATUS_SQL = """
WITH p AS (
    SELECT ticker, arg_max(source, date) AS source, bool_or(synthetic) AS synthetic,
           min(date) AS first_date, max(date) AS last_date, count(*) AS rows,
           count(*) FILTER (WHERE flags <> '') AS flagged
    FROM prices GROUP BY ticker),
ok AS (SELECT ticker, max(id) AS last_ok FROM fetch_log WHERE status = 'ok' GROUP BY ticker),
err AS (
    SELECT f.ticker, arg_max(f.reason, f.id) AS last_error
    FROM fetch_log f LEFT JOIN ok USING (ticker)
    WHERE f.status = 'failed' AND (ok.last_ok IS NULL OR f.id > ok.last_ok)
    GROUP BY f.ticker),
logsrc AS (SELECT ticker, arg_max(source, id) AS source FROM fetch_log GROUP BY ticker),
t AS (SELECT ticker FROM p UNION SELECT ticker FROM instruments UNION SELECT ticker FROM fetch_log)
SELECT t.ticker,
       coalesce(p.source, i.source, logsrc.source) AS source,
       coalesce(p.synthetic, i.synthetic, false) AS synthetic,
       p.first_date, p.last_date, coalesce(p.rows, 0) AS rows, i.currency,
       date_diff('day', p.last_date, ?::DATE) AS days_stale,
       err.last_error, coalesce(p.flagged, 0) AS flagged
FROM t LEFT JOIN p USING (ticker) LEFT JOIN instruments i USING (ticker)
       LEFT JOIN err USING (ticker) LEFT JOIN logsrc USING (ticker)
ORDER BY t.ticker
"""


_LAST_ERRORS_SQL = """
WITH f AS (SELECT ticker, id, status, reason FROM fetch_log
           WHERE ticker IN (SELECT unnest(?::VARCHAR[]))),
ok AS (SELECT ticker, max(id) AS last_ok FROM f WHERE status = 'ok' GROUP BY ticker)
SELECT f.ticker, arg_max(f.reason, f.id) AS last_error
FROM f LEFT JOIN ok USING (ticker)
WHERE f.status = 'failed' AND (ok.last_ok IS NULL OR f.id > ok.last_ok)
GROUP BY f.ticker
"""


_INSTRUMENT_INSERT = (
    "INSERT INTO instruments SELECT ticker::VARCHAR, name::VARCHAR, currency::VARCHAR, "
    "exchange::VARCHAR, timezone::VARCHAR, market_cap::DOUBLE, price_divisor::DOUBLE, "
    "quote_currency::VARCHAR, ?, ?, ? FROM incoming_instruments WHERE looked_up = ? "
    "ON CONFLICT (ticker) DO UPDATE SET "
)


def _merge_instruments(
    con: duckdb.DuckDBPyConnection, result: FetchResult, frame: pd.DataFrame, fetched: datetime
) -> None:
    """Insert new instrument rows and merge known ones, field by field.

    * A row the source looked up (in ``result.metadata_fetched``, or every row when that is
      None): each non-null new value wins, a null (NaN, None) keeps the stored value, so a
      market cap the quote request missed this time is not lost. ``source``, ``synthetic``
      and ``updated_at`` (= ``fetched``) are replaced.
    * Any other row holds the source's guesses (Yahoo's exchange-table fallback, NaN market
      cap): it only fills fields the store does not know yet, and ``source``, ``synthetic``
      and ``updated_at`` stay as stored. The market cap is the exception: no source guesses
      one, so a non-null new cap still wins.

    Hence ``updated_at`` is when the row's metadata was last looked up at the source (for a
    row first written from guesses: when it was written; its missing name or market cap makes
    :func:`screener.store.checks.metadata_due` ask again). Merging the same result twice leaves the
    same field values.
    """
    looked = frame["ticker"].isin(result.metadata_fetched or ())
    frame = frame.assign(looked_up=True if result.metadata_fetched is None else looked)
    fresh = ", ".join(
        f"{c} = coalesce(excluded.{c}, instruments.{c})" for c in INSTRUMENT_COLUMNS[1:]
    )
    guessed = ", ".join(
        f"{c} = coalesce(excluded.{c}, instruments.{c})"
        if c == "market_cap"
        else f"{c} = coalesce(instruments.{c}, excluded.{c})"
        for c in INSTRUMENT_COLUMNS[1:]
    )
    params = [result.source, bool(result.synthetic), fetched]
    con.register("incoming_instruments", frame)
    con.execute(
        _INSTRUMENT_INSERT + fresh + ", source = excluded.source, synthetic = excluded.synthetic, "
        "updated_at = excluded.updated_at",
        [*params, True],
    )
    con.execute(_INSTRUMENT_INSERT + guessed, [*params, False])
    con.unregister("incoming_instruments")


def _judging_day(fetched: datetime) -> date:
    """The trading day may already be "tomorrow" in UTC+14 while it is today in UTC: future
    dates are judged against the earliest time zone's calendar."""
    return (fetched + timedelta(hours=14)).date()


def _write_bars(
    con: duckdb.DuckDBPyConnection,
    checked: pd.DataFrame,
    today: date,
    result: FetchResult,
    fetched: datetime,
) -> int:
    """Replace the (ticker, date) keys of ``checked`` and re-flag the stored neighbours."""
    if not len(checked):
        return 0
    changed, checked = recheck_with_history(con, checked, today)
    if len(changed):
        con.register("changed_flags", changed)
        con.execute(
            "UPDATE prices SET flags = c.flags FROM changed_flags c "
            "WHERE prices.ticker = c.ticker AND prices.date = c.date::DATE"
        )
        con.unregister("changed_flags")
    con.register("incoming", checked)
    # Delete + plain INSERT rather than INSERT … ON CONFLICT: DuckDB keeps the insertion
    # order of a plain INSERT … ORDER BY (ON CONFLICT scrambles it), so bars stored in
    # (ticker, date) order read back without a sort.
    con.execute(
        "DELETE FROM prices USING incoming i "
        "WHERE prices.ticker = i.ticker AND prices.date = i.date::DATE"
    )
    fields = ", ".join(f"{f}::DOUBLE" for f in FIELDS)
    con.execute(
        f"INSERT INTO prices SELECT ticker::VARCHAR, date::DATE, {fields}, "
        "?, ?, flags::VARCHAR, ? FROM incoming ORDER BY ticker, date",
        [result.source, bool(result.synthetic), fetched],
    )
    con.unregister("incoming")
    return len(checked)


_READY_DDL = (
    "CREATE TABLE ready (ticker VARCHAR, date DATE, open DOUBLE, high DOUBLE, low DOUBLE, "
    "close DOUBLE, adj_close DOUBLE, volume DOUBLE, flags VARCHAR)"
)


class Staged(Protocol):
    """A large import waiting in a staging DuckDB database (:class:`screener.sources.csvfile.StagedCsv`)."""

    @property
    def connection(self) -> duckdb.DuckDBPyConnection: ...

    def batches(self) -> Iterator[FetchResult]: ...

    def release(self) -> Path:
        """Close the staging connection and return the database file (for ATTACH)."""
        ...


def _append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if not len(frame):
        return
    con.register("_frame", frame)
    con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
    con.unregister("_frame")


def _fingerprint(con: duckdb.DuckDBPyConnection, tickers: list[str]) -> tuple[Any, ...]:
    """Count and row digest of the stored bars of ``tickers``: equal means untouched."""
    rows = con.execute(
        "SELECT count(*), bit_xor(hash(ticker, date, close, adj_close, flags)) FROM prices "
        "WHERE ticker IN (SELECT unnest(?::VARCHAR[]))",
        [tickers],
    ).fetchall()
    return tuple(rows[0])


def _looked_up(result: FetchResult, instruments: pd.DataFrame) -> pd.DataFrame:
    """The rows whose fields overwrite stored ones (guesses only fill gaps, see
    :func:`_merge_instruments`)."""
    if result.metadata_fetched is None:
        return instruments
    return instruments[instruments["ticker"].isin(result.metadata_fetched)]


def _refuse_conflicts(con: duckdb.DuckDBPyConnection, instruments: pd.DataFrame) -> None:
    clashes = currency_conflicts(con, instruments)
    if clashes:
        raise CurrencyConflict(
            f"{len(clashes)} ticker(s) would change currency, nothing written:"
            + "".join(f"\n  - {c.describe()}" for c in clashes)
        )


def _make_folder(folder: Path) -> None:
    """Create the data dir, or say why it cannot be one (exit 2, no traceback)."""
    if folder.exists() and not folder.is_dir():
        raise ScreenerError(
            f"the data dir {folder} is a file, not a folder: choose a folder with --data-dir "
            "or SCREENER_HOME."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScreenerError(
            f"cannot create the data dir {folder} ({exc.strerror or exc}): choose a writable "
            "folder with --data-dir or SCREENER_HOME."
        ) from exc


def _version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0
