"""The store/import/path corpus (tests/corpus/store/cases.yaml): bad input of every kind.

Each case runs one CLI command against a copy of a seeded data dir (market prices imported
from tests/corpus/store/seed.csv, and a demo run), optionally with its store file damaged
first, and asserts: the exit code, the words of the message, no traceback (no exception but
click's exit), and the stored data unchanged (every table's rows before and after; a
damaged file byte for byte). The README's reliability table is checked against the counts.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import re
import shutil
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from click.testing import CliRunner, Result

from screener.cli import cli
from screener.store import STORE_FILENAME
from screener.store.connect import CONFIG, foreign_file

CORPUS = Path(__file__).resolve().parent / "corpus" / "store"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
README = Path(__file__).resolve().parents[1] / "README.md"
TABLES = ("schema_version", "prices", "instruments", "fetch_log", "runs", "run_results")


def invoke(home: str, args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"SCREENER_HOME": home, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with market prices (MP in USD, LYC.AX in AUD, RARE.L in pence) and a demo run."""
    root = tmp_path_factory.mktemp("seeded")
    home = root / "home"
    done = invoke(str(home), ["prices", "import", str(CORPUS / "seed.csv")])
    assert done.exit_code == 0, done.output
    done = invoke(str(home), ["run", "--demo", "--out", str(root / "report")])
    assert done.exit_code == 0, done.output
    return home


# --- recipes: files the corpus cannot hold as plain text ---------------------------------------


def _text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _store_copy(seeded: Path, path: Path) -> Path:
    shutil.copyfile(seeded / STORE_FILENAME, path)
    return path


MAKERS: dict[str, Any] = {
    "csv_in_three_days": lambda d, s: _text(
        d / "soon.csv", f"date,ticker,close\n{date.today() + timedelta(days=3)},MP,20\n"
    ),
    "csv_ticker_5000": lambda d, s: _text(
        d / "long.csv", f"date,ticker,close\n2025-02-03,{'A' * 5000},20\n"
    ),
    "csv_nul_byte": lambda d, s: _text(d / "nul.csv", "date,ticker,close\n2025-02-03,M\x00P,20\n"),
    "binary_random": lambda d, s: _bytes(d / "random.csv", random.Random(12).randbytes(4096)),
    "png_image": lambda d, s: _bytes(
        d / "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    ),
    "gzip_csv": lambda d, s: _bytes(
        d / "prices.csv", gzip.compress((CORPUS / "seed.csv").read_bytes(), mtime=0)
    ),
    "utf16_bom": lambda d, s: _text(
        d / "utf16.csv", "date,ticker,close\n2025-02-03,MP,20\n", "utf-16"
    ),
    "cp1252": lambda d, s: _text(
        d / "ansi.csv", "date,ticker,close\n2025-02-03,SOCIÉTÉ,20\n", "cp1252"
    ),
    "huge_line": lambda d, s: _text(
        d / "huge.csv", "date,ticker,close\n2025-02-03,MP,20\n" + "9" * 5_000_000 + "\n"
    ),
    "many_bad_rows": lambda d, s: _text(
        d / "bad.csv",
        "date,ticker,close\n" + "".join(f"2024-01-{i:02d},MP,x\n" for i in range(1, 26)),
    ),
    "folder_one_bad": lambda d, s: _folder(
        d / "exports",
        {
            "a.csv": "date,ticker,close\n2025-02-03,MP,20\n",
            "b.csv": "date,ticker,close\n2025-02-03,LYC.AX,x\n",
        },
    ),
    "folder_empty": lambda d, s: _folder(d / "exports", {"readme.txt": "no csv here"}),
    "sqlite_file": lambda d, s: _sqlite(d / "backup.duckdb"),
    "truncated_store": lambda d, s: _truncate(_store_copy(s, d / "backup.duckdb")),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE prices (ticker TEXT, close REAL)")
    con.commit()
    con.close()
    return path


def _truncate(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


# --- damage done to the seeded store before a case runs -----------------------------------------


def _scribble_blocks(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for start in range(12288, len(data), 262144):  # inside every block after the headers
        end = min(len(data), start + 4000)
        data[start + 100 : end] = b"\x5a" * max(0, end - start - 100)
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    path.unlink()
    con = duckdb.connect(str(path), config=CONFIG)
    con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
    con.close()


def _sql(path: Path, statement: str) -> None:
    con = duckdb.connect(str(path), config=CONFIG)
    con.execute(statement)
    con.close()


def _to_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


DAMAGE: dict[str, Any] = {
    "empty": lambda p: p.write_bytes(b""),
    "text": lambda p: p.write_text("this is not a database\n" * 100),
    "sqlite": lambda p: (p.unlink(), _sqlite(p)),
    "directory": _to_directory,
    "truncated": _truncate,
    "scribbled_header": lambda p: p.write_bytes(b"\x5a" * 64 + p.read_bytes()[64:]),
    "scribbled_blocks": _scribble_blocks,
    "foreign_duckdb": _foreign,
    "missing_table": lambda p: _sql(p, "DROP TABLE run_results"),
    "newer_version": lambda p: _sql(p, "INSERT INTO schema_version VALUES (2, now())"),
}


# --- snapshots -----------------------------------------------------------------------------------


def snapshot(home: Path) -> dict[str, Any]:
    """Every store under ``home``: its tables' rows when it is a sound store, else its bytes."""
    out: dict[str, Any] = {}
    for path in (home / STORE_FILENAME, home / "demo" / STORE_FILENAME):
        if path.is_dir():
            out[str(path)] = ("directory", sorted(p.name for p in path.iterdir()))
        elif not path.exists():
            out[str(path)] = "missing"
        elif foreign_file(path) is not None:
            out[str(path)] = ("bytes", hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            out[str(path)] = _tables_or_bytes(path)
    return out


def _tables_or_bytes(path: Path) -> Any:
    """Per table: row count and two order-free digests of every row (DuckDB's row hash)."""
    try:
        con = duckdb.connect(str(path), read_only=True, config=CONFIG)
    except duckdb.Error:
        return ("bytes", hashlib.sha256(path.read_bytes()).hexdigest())
    try:
        names = sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
        return {
            t: con.execute(
                f"SELECT count(*), bit_xor(hash({t})), sum(hash({t})::HUGEINT) FROM {t}"
            ).fetchone()
            for t in names
        } | {
            "fetch_log ids": con.execute("SELECT list(id ORDER BY id) FROM fetch_log").fetchone()
            if "fetch_log" in names
            else None
        }
    except duckdb.Error:
        return ("bytes", hashlib.sha256(path.read_bytes()).hexdigest())
    finally:
        con.close()


def unchanged(before: dict[str, Any], after: dict[str, Any], appends: list[str]) -> bool:
    """The same data, except that tables in ``appends`` may have gained rows (a refresh logs
    each fetch attempt in ``fetch_log``): their old rows must all still be there."""
    if not appends:
        return before == after
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if not isinstance(old, dict) or not isinstance(new, dict):
            if old != new:
                return False
            continue
        for table in old.keys() | new.keys():
            if table in appends or table == "fetch_log ids":
                continue
            if old.get(table) != new.get(table):
                return False
        ids_old = (old.get("fetch_log ids") or [[]])[0] or []
        ids_new = (new.get("fetch_log ids") or [[]])[0] or []
        if not set(ids_old) <= set(ids_new):
            return False
    return True


# --- the cases -----------------------------------------------------------------------------------


def test_the_corpus_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for case in CASES:
        assert set(case) <= {
            "id",
            "category",
            "make",
            "damage",
            "home",
            "args",
            "exit",
            "words",
            "appends",
        }
        assert case["category"] in CATEGORIES and case["words"], case["id"]
        assert case.get("make") is None or case["make"] in MAKERS, case["id"]
        assert case.get("damage") is None or case["damage"] in DAMAGE, case["id"]
        files = re.findall(r"\{corpus\}/(\S+)", " ".join(case["args"]))
        assert all((CORPUS / f).exists() for f in files), case["id"]


CATEGORIES = {
    "csv import": "CSV imports",
    "store file": "damaged or foreign store files",
    "paths": "bad paths",
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], seeded: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(seeded / STORE_FILENAME, home / STORE_FILENAME)
    if any("demo" in a for a in case["args"]):  # the demo store is large: copied when used
        shutil.copytree(seeded / "demo", home / "demo")
    if case.get("damage"):
        DAMAGE[case["damage"]](home / STORE_FILENAME)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    afile = tmp_path / "a-file"
    afile.write_text("a regular file\n")
    made = MAKERS[case["make"]](scratch, seeded) if case.get("make") else None
    values = {"corpus": str(CORPUS), "home": str(home), "afile": str(afile), "tmp": str(scratch)}
    values["case"] = str(made)
    args = [a.format(**values) for a in case["args"]]
    data_dir = case.get("home", "{home}").format(**values)
    before = snapshot(home)

    result = invoke(data_dir, args)

    out = result.output
    assert "Traceback" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{case['id']}: {result.exception!r} escaped\n{out}"
    )
    assert result.exit_code == case["exit"], f"{case['id']}: exit {result.exit_code}\n{out}"
    missing = [w.format(**values) for w in case["words"] if w.format(**values) not in out]
    assert not missing, f"{case['id']}: message lacks {missing}\n{out}"
    after = snapshot(home)
    assert unchanged(before, after, case.get("appends", [])), f"{case['id']}: stored data changed"


# --- the README's table --------------------------------------------------------------------------


def corpus_counts() -> dict[str, tuple[int, int]]:
    """Per category: (cases, cases expecting exit 2)."""
    total = Counter(c["category"] for c in CASES)
    two = Counter(c["category"] for c in CASES if c["exit"] == 2)
    return {k: (total[k], two[k]) for k in CATEGORIES}


def test_the_readme_table_counts_the_corpus() -> None:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- reliability-table -->\n(.*?)<!-- /reliability-table -->", text, re.S)
    assert m, "README.md has no <!-- reliability-table --> block"
    rows = {
        cells[0]: cells[1:]
        for line in m.group(1).splitlines()
        if line.startswith("| ") and not line.startswith("| category")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    for key, (cases, exit2) in corpus_counts().items():
        label = CATEGORIES[key]
        assert label in rows, f"README table lacks the row '{label}'"
        assert rows[label] == [str(cases), str(exit2), "0", "0"], (
            f"README row '{label}' should read | {label} | {cases} | {exit2} | 0 | 0 |"
        )
    assert len(CASES) >= 50
