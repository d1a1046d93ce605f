"""Keeping the store file sound: ``screener store check``, ``backup`` and ``restore``.

* :func:`check_store` opens the file read-only and verifies what a damaged or foreign file
  gets wrong: the header (a DuckDB file at all), the schema version, every table with its
  columns, the row counts, and a read of every row of every table (which makes DuckDB verify
  the checksum of every block it stores them in).
* :func:`backup` writes a consistent copy with DuckDB's ``COPY FROM DATABASE`` from a
  read-only connection (writers wait while it runs; a reader does not block it), into a
  temporary file beside the target that is checked, then renamed over it: the target is the
  previous backup or the new one, never half of one.
* :func:`restore` checks a backup, then puts it in the store's place; the replaced file is
  kept beside it as ``screener.duckdb.before-restore``.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from screener.errors import ScreenerError, StoreDamaged, StoreError
from screener.store.connect import (
    CONFIG,
    RETRY_SLEEP,
    check_size,
    connect,
    damaged,
    foreign_file,
    is_lock_conflict,
    repair_hint,
)
from screener.store.schema import MIGRATIONS, SCHEMA_VERSION, STORE_FILENAME, table_names, tables_of

#: Suffix of the file a restore moves out of the way.
BEFORE_RESTORE = ".before-restore"


@dataclass
class StoreCheck:
    """What :func:`check_store` found: one line per step, and the problem if any."""

    path: Path
    lines: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    version: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _expected_columns(version: int) -> dict[str, list[tuple[str, str]]]:
    """(column, type) per table of a store at ``version``, from the DDL itself."""
    con = duckdb.connect(":memory:", config=CONFIG)
    try:
        for v in range(1, version + 1):
            for statement in MIGRATIONS[v]:
                con.execute(statement)
        return _columns(con)
    finally:
        con.close()


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def check_store(path: Path, *, lock_wait: float = 10.0) -> StoreCheck:
    """Verify the store file at ``path`` (read-only; never changes it)."""
    check = StoreCheck(path)
    if not path.exists():
        check.problem = f"no price store at {path}: nothing to check"
        return check
    why = foreign_file(path)
    if why is not None:
        check.problem = str(damaged(path, why))
        return check
    size = path.stat().st_size
    check.lines.append(f"file: {path} ({size / 1e6:.1f} MB), a DuckDB database")
    try:
        with connect(path, read_only=True, lock_wait=lock_wait) as con:
            _check_open(con, check)
    except StoreDamaged as exc:
        check.problem = str(exc)
    except StoreError as exc:  # busy: not a verdict on the file
        check.problem = str(exc)
    except duckdb.Error as exc:  # anything else DuckDB says about this file
        check.problem = str(damaged(path, f"failed a read ({str(exc).splitlines()[0]})"))
    return check


def _check_open(con: duckdb.DuckDBPyConnection, check: StoreCheck) -> None:
    path = check.path
    found = set(table_names(con))
    if "schema_version" not in found:
        shown = ", ".join(sorted(found)[:5]) or "none"
        check.problem = str(
            damaged(
                path,
                f"is a DuckDB database of another program (tables: {shown}; no schema_version)",
            )
        )
        return
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    version = int(row[0]) if row and row[0] is not None else 0
    check.version = version
    if version > SCHEMA_VERSION:
        check.problem = (
            f"the store {path} has schema version {version}, written by a newer screener; "
            f"this version reads up to {SCHEMA_VERSION}. Upgrade screener."
        )
        return
    if version < 1:
        check.problem = str(damaged(path, "records no schema version"))
        return
    check.lines.append(f"schema version: {version} (this screener writes {SCHEMA_VERSION})")
    expected = _expected_columns(version)
    actual = _columns(con)
    wrong = []
    for table in tables_of(version):
        if table not in actual:
            wrong.append(f"table {table} is missing")
        elif actual[table] != expected[table]:
            wrong.append(f"table {table} has columns {actual[table]}, expected {expected[table]}")
    if wrong:
        check.problem = str(damaged(path, "does not have the store's tables: " + "; ".join(wrong)))
        return
    check.lines.append(f"tables: {', '.join(tables_of(version))} (columns as expected)")
    for table in tables_of(version):
        # hash(t) hashes the whole row: every column of every row is read, so every block
        # that holds the table is loaded and its checksum verified.
        row = con.execute(f"SELECT count(*), bit_xor(hash({table})) FROM {table}").fetchone()
        check.rows[table] = int(row[0]) if row else 0
    check.lines.append(
        "rows: " + ", ".join(f"{t} {n:,}" for t, n in check.rows.items() if t != "schema_version")
    )
    check.lines.append("read: every row of every table read back; block checksums verified")


def backup(
    store_path: Path, target: Path, *, folder: bool = False, lock_wait: float = 10.0
) -> tuple[Path, StoreCheck]:
    """Write a consistent copy of the store to ``target`` (a file, or a folder to put
    ``screener-<UTC time>.duckdb`` in: an existing one, or any when ``folder``); returns the
    file written and its check."""
    if not store_path.exists():
        raise ScreenerError(
            f"no price store at {store_path}: nothing to back up (run `screener prices refresh` "
            "first)"
        )
    if folder and target.exists() and not target.is_dir():
        raise ScreenerError(f"{target} is a file, not a folder: give another path")
    if folder or target.is_dir():
        target = target / f"screener-{datetime.now(UTC):%Y%m%d-%H%M%S}.duckdb"
    if target.exists() and target.resolve() == store_path.resolve():
        raise ScreenerError(f"{target} is the store itself: give another path for the backup")
    if target.exists() and not target.is_file():
        raise ScreenerError(f"{target} exists and is not a regular file: give another path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScreenerError(
            f"cannot create the folder {target.parent} ({exc.strerror or exc})"
        ) from exc
    tmp = _temp_beside(target)
    try:
        _copy_database(store_path, tmp, lock_wait)
        _fsync(tmp)
        checked = check_store(tmp, lock_wait=lock_wait)
        if not checked.ok:
            raise StoreDamaged(f"the backup failed its check: {checked.problem}")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    checked.path = target
    return target, checked


def restore(backup_path: Path, store_path: Path, *, lock_wait: float = 10.0) -> Path | None:
    """Put a checked backup in the store's place; returns where the replaced file was kept.

    Run it when no other screener command is running: a process that has the old file open
    keeps reading the old file until it closes it.
    """
    checked = check_store(backup_path, lock_wait=lock_wait)
    if not checked.ok:
        raise StoreDamaged(
            f"{backup_path} is not a good store backup, nothing restored: {checked.problem}"
        )
    if backup_path.resolve() == store_path.resolve():
        raise ScreenerError(f"{backup_path} is the store itself: nothing to restore")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(store_path)
    kept: Path | None = None
    try:
        shutil.copyfile(backup_path, tmp)
        _fsync(tmp)
        if store_path.exists():
            kept = store_path.with_name(store_path.name + BEFORE_RESTORE)
            kept.unlink(missing_ok=True)
            try:
                os.link(store_path, kept)  # the old file stays whole under its new name
            except OSError:  # no hard links on this file system
                shutil.copyfile(store_path, kept)
        wal = Path(f"{store_path}.wal")
        if wal.exists():  # the old file's log must not be replayed onto the restored one
            os.replace(wal, Path(f"{kept or store_path}.wal"))
        os.replace(tmp, store_path)
        _fsync_dir(store_path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return kept


def store_file(folder: Path) -> Path:
    return folder / STORE_FILENAME


def _copy_database(store_path: Path, tmp: Path, lock_wait: float) -> None:
    """``COPY FROM DATABASE`` the store (attached read-only) into a new file ``tmp``."""
    why = foreign_file(store_path)
    if why is not None:
        raise damaged(store_path, why)
    deadline = time.monotonic() + max(lock_wait, 0.0)
    con = duckdb.connect(":memory:", config=CONFIG)
    try:
        while True:
            try:
                con.execute(f"ATTACH '{_sql_text(store_path)}' AS screener_store (READ_ONLY)")
                break
            except duckdb.Error as exc:
                if not is_lock_conflict(exc):
                    raise damaged(store_path, f"cannot be opened ({exc})") from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"the store is busy: another screener process is writing to "
                        f"{store_path} (waited {lock_wait:g} s). Try the backup again later."
                    ) from exc
                time.sleep(RETRY_SLEEP * random.uniform(0.5, 1.5))
        check_size(store_path, con, "screener_store")
        try:
            con.execute(f"ATTACH '{_sql_text(tmp)}' AS screener_backup")
        except duckdb.Error as exc:
            raise ScreenerError(f"cannot write the backup beside {tmp.parent} ({exc})") from exc
        try:
            con.execute("COPY FROM DATABASE screener_store TO screener_backup")
        except duckdb.Error as exc:
            raise damaged(store_path, f"could not be read to the end ({exc})") from exc
        con.execute("CHECKPOINT screener_backup")
        con.execute("DETACH screener_backup")
    finally:
        con.close()


def _temp_beside(target: Path) -> Path:
    """A free temp name beside ``target``, in the pattern ``fileio.remove_stale_temps``
    clears after a kill (the file itself is not created: DuckDB creates it)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["BEFORE_RESTORE", "StoreCheck", "backup", "check_store", "repair_hint", "restore"]
