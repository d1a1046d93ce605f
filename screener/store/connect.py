"""Opening the DuckDB file under its one-writer rule.

DuckDB lets one process hold a database file read-write, or any number of processes hold it
read-only, never both. The store therefore never keeps a connection: every operation opens
the file, runs one transaction and closes it, so a refresh holds the file for one short write
at a time. Whoever finds the file locked (a lookup while a refresh writes, or a second
refresh) retries with short jittered sleeps for up to ``lock_wait`` seconds, then gives up
with :class:`~screener.errors.StoreError`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from screener.errors import StoreError

#: Retry interval while the file is locked, in seconds (jittered ±50 % so that two polling
#: processes do not fall into lockstep with a writer's open/commit/close cycle).
RETRY_SLEEP = 0.05


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    msg = str(exc)
    if isinstance(exc, duckdb.IOException):
        return "Could not set lock" in msg or "Conflicting lock" in msg
    # Same process, other thread: a read-only and a read-write instance of one file cannot
    # coexist. Transient under our open-use-close discipline, so it is retried like a lock.
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in msg


@contextmanager
def connect(
    path: Path, *, read_only: bool, lock_wait: float
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to ``path``, waiting up to ``lock_wait`` s for a lock; always close it."""
    deadline = time.monotonic() + max(lock_wait, 0.0)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise StoreError(
                    f"cannot open the price store {path}: {exc}. If the file is not a screener "
                    "store or is damaged, move it away and run `screener prices refresh`."
                ) from exc
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"the store is busy: another screener process is writing to {path} "
                    f"(waited {lock_wait:g} s). Try again when it has finished, or raise "
                    "store_lock_wait."
                ) from exc
            time.sleep(RETRY_SLEEP * random.uniform(0.5, 1.5))
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, ROLLBACK on any error: a write is all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
