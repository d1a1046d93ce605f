"""The store under hostile conditions: no extension downloads, damaged and foreign files named,
read-only reads, check / backup / restore, large imports in one transaction, stale temp files."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from screener.cli import cli
from screener.errors import CurrencyConflict, StoreDamaged, StoreError
from screener.fileio import atomic_write_text, remove_stale_temps
from screener.sources.base import INSTRUMENT_COLUMNS, FetchResult
from screener.sources.csvfile import StagedCsv, stage_csv
from screener.store import STORE_FILENAME, Store
from screener.store.connect import CONFIG, connect
from screener.store.maintenance import BEFORE_RESTORE, backup, check_store, restore


def bars(ticker: str, n: int = 30, start: str = "2024-01-01") -> pd.DataFrame:
    close = 10.0 + np.arange(n) * 0.01
    return pd.DataFrame(
        {
            "ticker": ticker,
            "date": pd.bdate_range(start, periods=n),
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "adj_close": close,
            "volume": 100.0,
        }
    )


def inst(ticker: str, currency: str) -> pd.DataFrame:
    row = dict.fromkeys(INSTRUMENT_COLUMNS)
    row.update(ticker=ticker, currency=currency, quote_currency=currency, price_divisor=1.0)
    return pd.DataFrame([row], columns=list(INSTRUMENT_COLUMNS))


@pytest.fixture
def filled(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "data")
    store.upsert(FetchResult("yahoo", False, bars("MP"), inst("MP", "USD")))
    store.log_fetch([{"ticker": "MP", "source": "yahoo", "status": "ok", "rows": 30}])
    return store


def table_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True, config=CONFIG)
    try:
        return {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in ("prices", "instruments", "fetch_log", "runs", "run_results")
        }
    finally:
        con.close()


# --- extensions ------------------------------------------------------------------------------


def test_every_connection_refuses_extensions_and_progress_bars(tmp_path: Path) -> None:
    # A progress bar is DuckDB's own text on stderr: it reached the terminal during a 3 s read.
    settings = (
        "SELECT current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions'), current_setting('enable_progress_bar')"
    )
    with connect(tmp_path / "s.duckdb", read_only=False, lock_wait=1) as con:
        assert con.execute(settings).fetchone() == (False, False, False)
    with connect(tmp_path / "s.duckdb", read_only=True, lock_wait=1) as con:
        assert con.execute(settings).fetchone() == (False, False, False)
    csv = tmp_path / "p.csv"
    csv.write_text("date,ticker,close\n2025-01-03,MP,20\n")
    with stage_csv(csv) as staged:  # the import's staging database too
        assert staged._con.execute(settings).fetchone() == (False, False, False)


def test_a_sqlite_file_never_reaches_duckdb_and_duckdb_would_not_fetch_for_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / STORE_FILENAME
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE prices (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreDamaged, match="is a SQLite database, not a screener store"):
        Store.open(tmp_path)
    # Even past the header check, the configured DuckDB refuses instead of downloading.
    with pytest.raises(duckdb.Error) as info:
        duckdb.connect(str(path), config=CONFIG)
    assert "autoload" in str(info.value).lower() or "install" in str(info.value).lower()


# --- damaged and foreign files -------------------------------------------------------------------


def scribble_every_block(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for start in range(12288, len(data), 262144):  # past the headers, inside each block
        data[start + 100 : start + 4000] = b"\x5a" * (min(len(data), start + 4000) - start - 100)
    path.write_bytes(bytes(data))


DAMAGE = {
    "empty": (lambda p: p.write_bytes(b""), "is an empty file"),
    "text": (lambda p: p.write_text("date,ticker\n" * 50), "is not a DuckDB database"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "damaged"),
    "scribbled header": (
        lambda p: p.write_bytes(b"\x5a" * 64 + p.read_bytes()[64:]),
        "is not a DuckDB database",
    ),
    "scribbled blocks": (scribble_every_block, "damaged"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_file_is_named_with_what_to_do(filled: Store, kind: str) -> None:
    spoil, words = DAMAGE[kind]
    spoil(filled.path)
    for read_only in (True, False):
        with pytest.raises(StoreDamaged) as info:
            Store.open(filled.path.parent, read_only=read_only).prices_long()
        text = str(info.value)
        assert words in text and str(filled.path) in text
        assert "screener store restore" in text and "screener prices refresh" in text
    checked = check_store(filled.path)
    assert not checked.ok and words in (checked.problem or "")


def test_a_directory_at_the_store_path(tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).mkdir()
    with pytest.raises(StoreDamaged, match="is a directory, not a database file"):
        Store.open(tmp_path)


def test_another_programs_duckdb_file_is_refused_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILENAME
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()
    with pytest.raises(
        StoreDamaged, match=r"another program \(tables: orders; no schema_version\)"
    ):
        Store.open(tmp_path)
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["orders"]  # untouched
    con.close()


def test_a_store_missing_a_table_is_damaged(filled: Store) -> None:
    con = duckdb.connect(str(filled.path))
    con.execute("DROP TABLE run_results")
    con.close()
    with pytest.raises(StoreDamaged, match="lacks the table"):
        Store.open(filled.path.parent)
    assert "table run_results is missing" in (check_store(filled.path).problem or "")


# --- read-only where a command only reads -----------------------------------------------------


def test_offline_lookup_and_events_open_the_store_read_only(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes: list[bool] = []
    real = duckdb.connect

    def spy(database: str, read_only: bool = False, config: Any = None) -> Any:
        modes.append(read_only)
        return real(database, read_only=read_only, config=config)

    monkeypatch.setattr(duckdb, "connect", spy)  # every DuckDB connection the commands open
    home = ["--data-dir", str(filled.path.parent)]
    for args in (["lookup", "MP", "--offline"], ["events", "--offline"]):
        modes.clear()
        result = CliRunner().invoke(cli, [*home, *args])
        assert "Traceback" not in result.output
        assert modes and all(modes), (args, modes)


# --- check, backup, restore ---------------------------------------------------------------------


def test_check_reports_version_tables_and_rows(filled: Store) -> None:
    checked = check_store(filled.path)
    assert checked.ok and checked.version == 1
    assert checked.rows["prices"] == 30 and checked.rows["fetch_log"] == 1
    result = CliRunner().invoke(cli, ["--data-dir", str(filled.path.parent), "store", "check"])
    assert result.exit_code == 0 and result.output.endswith("store OK\n")
    assert "rows: prices 30, instruments 1, fetch_log 1, runs 0, run_results 0" in result.output


def test_backup_is_a_checked_copy_that_restores(filled: Store, tmp_path: Path) -> None:
    before = table_rows(filled.path)
    written, checked = backup(filled.path, tmp_path / "backups" / "weekly.duckdb")
    assert written == tmp_path / "backups" / "weekly.duckdb" and checked.ok
    assert table_rows(written) == before
    assert [p.name for p in written.parent.iterdir()] == ["weekly.duckdb"]  # no temp left
    # The store moves on, then is restored: exactly the backed-up data comes back.
    filled.upsert(FetchResult("yahoo", False, bars("LYC.AX"), inst("LYC.AX", "AUD")))
    kept = restore(written, filled.path)
    assert kept == filled.path.with_name(STORE_FILENAME + BEFORE_RESTORE)
    assert table_rows(filled.path) == before
    assert "LYC.AX" in {r[0] for r in table_rows(kept)["prices"]}
    # The restored store works: the fetch-log sequence continues after the copied ids.
    filled.log_fetch([{"ticker": "MP", "source": "yahoo", "status": "ok"}])
    assert [r[0] for r in table_rows(filled.path)["fetch_log"]] == [1, 2]


def test_backup_into_a_folder_names_the_copy_by_time(filled: Store, tmp_path: Path) -> None:
    (tmp_path / "bk").mkdir()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(filled.path.parent), "store", "backup", str(tmp_path / "bk")]
    )
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "bk").iterdir()
    assert copy.name.startswith("screener-") and copy.suffix == ".duckdb"
    assert "(30 price rows, 0 runs; checked)" in result.output


def test_backup_to_a_path_ending_in_a_slash_makes_the_folder(filled: Store, tmp_path: Path) -> None:
    target = str(tmp_path / "new" / "backups") + "/"
    result = CliRunner().invoke(
        cli, ["--data-dir", str(filled.path.parent), "store", "backup", target]
    )
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "new" / "backups").iterdir()
    assert copy.name.startswith("screener-") and check_store(copy).ok


def test_restore_refuses_a_bad_backup_and_keeps_the_store(filled: Store, tmp_path: Path) -> None:
    before = table_rows(filled.path)
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(filled.path.read_bytes()[:5000])
    with pytest.raises(StoreDamaged, match="is not a good store backup, nothing restored"):
        restore(bad, filled.path)
    assert table_rows(filled.path) == before


# --- imports: one transaction, currency guard -------------------------------------------------


def staged_meta(staged: Any) -> FetchResult:
    return FetchResult("csv", False, bars("X").iloc[0:0], staged.instruments)


def test_a_staged_import_is_all_or_nothing_and_guards_the_currency(
    filled: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table_rows(filled.path)
    csv = tmp_path / "p.csv"
    csv.write_text("date,ticker,close\n2025-01-02,NEW,5\n2025-01-02,ZZZ,6\n")

    def failing(self: Any, max_rows: int = 1) -> Any:  # one batch per ticker, then a failure
        yield from StagedCsv.batches(self, 1)
        raise RuntimeError("killed between batches")

    with stage_csv(csv) as staged:
        monkeypatch.setattr(staged, "batches", lambda: failing(staged))
        with pytest.raises(RuntimeError):
            filled.import_staged(staged, staged_meta(staged))
    assert table_rows(filled.path) == before
    csv.write_text("date,ticker,close,currency\n2025-01-02,MP,5,EUR\n")
    with (
        stage_csv(csv) as staged,
        pytest.raises(CurrencyConflict, match=r"MP: currency EUR .* 30 bar"),
    ):
        filled.import_staged(staged, staged_meta(staged))
    with pytest.raises(CurrencyConflict):  # the plain upsert of a CSV result is guarded too
        filled.upsert(FetchResult("csv", False, bars("MP", 5, "2025-01-01"), inst("MP", "EUR")))
    assert table_rows(filled.path) == before


def test_a_staged_import_flags_bars_and_refuses_a_store_changed_meanwhile(
    filled: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "p.csv"
    # MP's stored history ends 2024-02-09 at ~10.3: a 10x spike reversed next day is a bad tick.
    csv.write_text("date,ticker,close\n2024-02-12,MP,103\n2024-02-13,MP,10.3\n2024-02-12,NEW,1\n")
    with stage_csv(csv) as staged:
        assert filled.import_staged(staged, staged_meta(staged)) == 3
    long = filled.prices_long(["MP"])
    assert long.set_index("date").loc["2024-02-12", "flags"] == "bad_tick"
    # A writer that lands between the check and the write: nothing is imported.
    before = table_rows(filled.path)
    real = Store._reading

    def meddle(self: Store) -> Any:
        cm = real(self)
        con = cm.__enter__()
        yield con
        cm.__exit__(None, None, None)
        filled.upsert(FetchResult("yahoo", False, bars("MP", 1, "2024-03-01"), inst("MP", "USD")))

    from contextlib import contextmanager

    monkeypatch.setattr(Store, "_reading", contextmanager(meddle))
    csv.write_text("date,ticker,close\n2024-02-14,MP,10.4\n")
    with stage_csv(csv) as staged, pytest.raises(StoreError, match="Run the import again"):
        filled.import_staged(staged, staged_meta(staged))
    monkeypatch.undo()
    after = table_rows(filled.path)
    assert len(after["prices"]) == len(before["prices"]) + 1  # only the meddler's bar


# --- temp files of a killed run -----------------------------------------------------------------


def test_stale_temp_files_are_removed_on_the_next_write(tmp_path: Path) -> None:
    old = tmp_path / ".report.html.ab12cd34.tmp"
    young = tmp_path / ".screen.csv.zz99yy88.tmp"
    other = tmp_path / "notes.tmp"
    for p in (old, young, other):
        p.write_text("half")
    past = time.time() - 3600
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    assert remove_stale_temps(tmp_path, before=time.time() - 60) == [old]
    assert young.exists() and other.exists()
    os.utime(young, (past, past))
    atomic_write_text(tmp_path / "report.html", "<html></html>")  # first write to the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp", "report.html"]


def test_staging_folders_of_killed_imports_are_removed(tmp_path: Path) -> None:
    import subprocess
    import sys

    from screener.sources.csvfile import remove_orphan_staging

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = tmp_path / f"screener-import-{gone.stdout.strip()}-abc123"
    alive = tmp_path / f"screener-import-{os.getpid()}-def456"
    other = tmp_path / "screener-import-notes"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "staging.duckdb").write_bytes(b"x")
    assert remove_orphan_staging(tmp_path) == [dead]
    assert alive.exists() and other.exists()
