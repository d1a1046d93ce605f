"""Opening the DuckDB file under its one-writer rule, and naming a file that is not a store.

DuckDB lets one process hold a database file read-write, or any number of processes hold it
read-only, never both. The store therefore never keeps a connection: every operation opens
the file, runs one transaction and closes it, so a refresh holds the file for one short write
at a time. Whoever finds the file locked (a lookup while a refresh writes, or a second
refresh) retries with short jittered sleeps for up to ``lock_wait`` seconds, then gives up
with :class:`~screener.errors.StoreError`.

Every connection is opened with :data:`CONFIG`: DuckDB never installs or loads an extension
on its own. Without that, a SQLite file at the store path makes DuckDB fetch its ``sqlite``
extension from the network to read it (even with ``--offline``).

A file that is not a DuckDB database (empty, a SQLite file, text, a directory, scribbled
header bytes) is recognised from its first bytes before DuckDB sees it
(:func:`foreign_file`), and any DuckDB error other than a lock (a truncated file, a block
whose checksum fails) becomes :class:`~screener.errors.StoreDamaged`, which names the file
and the two ways out: rebuild from the sources, or restore a backup.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from screener.errors import ScreenerError, StoreDamaged, StoreError

#: Retry interval while the file is locked, in seconds (jittered ±50 % so that two polling
#: processes do not fall into lockstep with a writer's open/commit/close cycle).
RETRY_SLEEP = 0.05

#: Given to every ``duckdb.connect``: no extension is ever downloaded or loaded implicitly.
CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

#: Run on every new connection (session settings, which ``config`` cannot hold): a long query
#: draws no progress bar on the user's terminal or in cron mail.
SESSION = "SET enable_progress_bar = false"

#: A DuckDB file carries these bytes at offset 8 (after the header checksum).
_DUCKDB_MAGIC = b"DUCK"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def repair_hint(path: Path) -> str:
    """What to do about a damaged or foreign store file (the end of every such message)."""
    return (
        f"Move {path.name} away (keep it if you want to inspect it), then either restore the "
        "last good copy with `screener store restore BACKUP` or rebuild the prices from their "
        "sources with `screener prices refresh` (and `screener prices import FILE` for your "
        "own CSVs); stored runs are lost on a rebuild. `screener store check` verifies a store."
    )


def foreign_file(path: Path) -> str | None:
    """Why ``path`` cannot be a DuckDB store, judged from its type and first bytes; else None.

    None also when the path does not exist (DuckDB creates it). Reads at most 16 bytes.
    """
    if path.is_dir():
        return "is a directory, not a database file"
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not head:
        return "is an empty file (0 bytes), not a DuckDB database"
    if head.startswith(_SQLITE_MAGIC):
        return "is a SQLite database, not a screener store (DuckDB)"
    if len(head) < 12 or head[8:12] != _DUCKDB_MAGIC:
        return "is not a DuckDB database (its first bytes are not a DuckDB header: damaged or another kind of file)"
    return None


def damaged(path: Path, why: str) -> StoreDamaged:
    return StoreDamaged(f"the price store {path} {why}. {repair_hint(path)}")


def is_lock_conflict(exc: duckdb.Error) -> bool:
    msg = str(exc)
    if isinstance(exc, duckdb.IOException):
        return "Could not set lock" in msg or "Conflicting lock" in msg
    # Same process, other thread: a read-only and a read-write instance of one file cannot
    # coexist. Transient under our open-use-close discipline, so it is retried like a lock.
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in msg


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def connect(
    path: Path, *, read_only: bool, lock_wait: float
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to ``path``, waiting up to ``lock_wait`` s for a lock; always close it.

    A DuckDB error raised while the connection is in use (a corrupt block found by a read)
    leaves as :class:`StoreDamaged`; the caller's own exceptions pass through unchanged.
    """
    why = foreign_file(path)
    if why is not None:
        raise damaged(path, why)
    existed = path.exists()
    deadline = time.monotonic() + max(lock_wait, 0.0)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=CONFIG)
            break
        except duckdb.Error as exc:
            if not existed and not read_only:
                raise ScreenerError(
                    f"cannot create the price store {path} ({_first_line(exc)}): choose a "
                    "writable folder with --data-dir or SCREENER_HOME."
                ) from exc
            if not is_lock_conflict(exc):
                raise damaged(
                    path, f"cannot be opened ({_first_line(exc)}): it is damaged or truncated"
                ) from exc
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"the store is busy: another screener process is writing to {path} "
                    f"(waited {lock_wait:g} s). Try again when it has finished, or raise "
                    "store_lock_wait."
                ) from exc
            time.sleep(RETRY_SLEEP * random.uniform(0.5, 1.5))
    try:
        con.execute(SESSION)
        if existed:
            check_size(path, con)
        yield con
    except duckdb.Error as exc:
        if is_lock_conflict(exc) or not _is_damage(exc):
            raise
        raise damaged(path, f"is damaged ({_first_line(exc)})") from exc
    finally:
        con.close()


#: A DuckDB file starts with three 4 KiB headers, then its blocks.
_HEADERS = 3 * 4096


def check_size(path: Path, con: duckdb.DuckDBPyConnection, database: str | None = None) -> None:
    """A file shorter than its used blocks was truncated (a copy cut short, a full disk): say
    so at once rather than when a read reaches the missing part. (Free blocks at the end
    need not be in the file, so only the used ones are counted: a small cut may still be
    found only by a read, which names it as damage too.)
    ``database``: the attached name of ``path`` (default: the connection's own file)."""
    row = con.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size() "
        "WHERE database_name = coalesce(?, current_database())",
        [database],
    ).fetchone()
    if row is None:
        return
    expected = _HEADERS + int(row[0]) * int(row[1])
    size = path.stat().st_size
    if size < expected:
        raise damaged(
            path, f"is truncated: {size:,} bytes, but its used blocks need at least {expected:,}"
        )


def _is_damage(exc: duckdb.Error) -> bool:
    """A read that found the file itself broken (as opposed to a bad query or a constraint)."""
    msg = str(exc)
    return isinstance(exc, duckdb.SerializationException) or any(
        sign in msg for sign in _DAMAGE_SIGNS
    )


#: Words of the DuckDB errors that mean the file itself is broken.
_DAMAGE_SIGNS = (
    "Corrupt database file",
    "checksum",
    "Could not read enough bytes",
    "not a valid DuckDB database",
    "Failed to deserialize",
)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, ROLLBACK on any error: a write is all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        # The original error (e.g. a damaged block) is the one to report, not the rollback's.
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
