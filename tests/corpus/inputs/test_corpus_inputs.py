"""The bad-input corpus (tests/corpus/inputs/inputs_cases.py): every case exits 2 with the key
words of its message, no traceback, and the stored data unchanged.

One demo store is built once (a run of the corpus universe); every case runs against it and
its tables are compared before and after, so a bad input that wrote anything fails here.
Cases run in-process through click's CliRunner; a handful also through a real process.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from inputs_cases import CASES, CATEGORIES, EVENTS, JUR, UNI, Case

from screener.cli import cli

STORE_FILENAME = "screener.duckdb"


@dataclass
class Home:
    """The shared data dir, its tables' digests (what every case must leave) and its files'
    bytes digests (a cheap first check: equal bytes are equal tables)."""

    data: Path
    tables: dict[str, str]
    files: dict[str, str]

    def unchanged(self) -> bool:
        files = file_digests(self.data)
        if files == self.files:
            return True
        # DuckDB may rewrite a file it opened without changing any row: compare the tables.
        if table_digests(self.data) != self.tables:
            return False
        self.files = files
        return True


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A data dir whose demo store holds one run of the corpus universe."""
    root = tmp_path_factory.mktemp("corpus-inputs")
    uni_dir = root / "store-universe"
    uni_dir.mkdir()
    for name, text in (("uni.yaml", UNI), ("events.yaml", EVENTS), ("jurisdictions.yaml", JUR)):
        (uni_dir / name).write_text(text, encoding="utf-8")
    data = root / "home"
    result = CliRunner().invoke(
        cli,
        ["run", "--demo", "--universe", str(uni_dir / "uni.yaml"), "--out", str(root / "out")],
        env={"SCREENER_HOME": str(data)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    tables = table_digests(data)
    assert any(k.endswith(":prices") and not v.startswith(EMPTY) for k, v in tables.items())
    yield Home(data, tables, file_digests(data))


EMPTY = hashlib.sha256(b"").hexdigest()


def file_digests(data: Path) -> dict[str, str]:
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file()
    }


def table_digests(data: Path) -> dict[str, str]:
    """Every table of every store under ``data``: a digest of its sorted rows."""
    out: dict[str, str] = {}
    for path in sorted(data.rglob(STORE_FILENAME)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            ]
            for t in sorted(tables):
                rows = sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"').fetchall())
                digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
                out[f"{path.relative_to(data)}:{t}"] = f"{digest} ({len(rows)} rows)"
        finally:
            con.close()
    return out


def prepare(case: Case, folder: Path, data: Path) -> list[str]:
    """Write the case's files into ``folder``; its argv with the placeholders filled."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    store_uni = data.parent / "store-universe" / "uni.yaml"
    return [
        a.replace("{dir}", str(folder))
        .replace("{store_uni}", str(store_uni))
        .replace("{next_year}", str(date.today().year + 1))
        for a in case.argv
    ]


def test_the_corpus_covers_every_category_with_enough_cases() -> None:
    counts = Counter(c.category for c in CASES)
    assert set(counts) == set(CATEGORIES)
    assert len(CASES) >= 100 and min(counts.values()) >= 10, counts
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_named_and_changes_nothing(
    case: Case, home: Home, tmp_path: Path
) -> None:
    argv = prepare(case, tmp_path / "case", home.data)
    result = CliRunner().invoke(cli, argv, env={"SCREENER_HOME": str(home.data)})
    output = result.output  # stdout and stderr, interleaved
    assert isinstance(result.exception, SystemExit), (
        f"{case.id}: raised {result.exception!r} instead of exiting"
    )
    assert result.exit_code == 2, f"{case.id}: exit {result.exit_code}\n{output}"
    assert "Traceback" not in output
    missing = [w for w in case.words if w not in output]
    assert not missing, f"{case.id}: {missing} not in:\n{output[:3000]}"
    assert home.unchanged(), f"{case.id}: the store's data changed"
    assert not (tmp_path / "case" / "out").exists(), f"{case.id}: wrote a report"


# A few through a real process: the console entry point, stderr and the exit status as a shell
# sees them (NUL cannot be passed in argv, so those stay in-process).
SUBPROCESS = [
    "symbols-lookup-shell",
    "universe-alias-bomb",
    "model-feoc-penalty-above-one",
    "dates-as-of-year-one",
    "dates-as-of-far-future",
    "events-date-impossible",
]


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_bad_input_through_a_real_process(case_id: str, home: Home, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    argv = prepare(case, tmp_path / "case", home.data)
    env = {**os.environ, "SCREENER_HOME": str(home.data)}
    done = subprocess.run(
        [sys.executable, "-m", "screener", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert all(w in done.stdout + done.stderr for w in case.words), done.stderr
    assert home.unchanged()


def test_the_store_check_sees_a_changed_row(home: Home, tmp_path: Path) -> None:
    """The unchanged-store assertion can fail: one deleted bar in a copy of the store."""
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(home.data, copy)
    check = Home(copy, dict(home.tables), file_digests(copy))
    assert check.unchanged()
    path = next(copy.rglob(STORE_FILENAME))
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM prices WHERE rowid = (SELECT min(rowid) FROM prices)")
    con.close()
    assert not check.unchanged()


README_ROWS = {
    "universe files": "universe",
    "events files": "events",
    "jurisdictions files": "jurisdictions",
    "model and `--weights` files": "model",
    "symbols (universe tickers, `lookup`)": "symbols",
    "dates (`--as-of`, `--since`, `--week`)": "dates",
    "other CLI options and paths": "cli",
}


def test_the_readme_table_counts_these_cases() -> None:
    """The README's rows for this corpus say how many cases each category has (all exit 2,
    none prints a traceback, none loses data: the test above fails otherwise)."""
    readme = Path(__file__).parents[3] / "README.md"
    rows = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("| inputs: "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].removeprefix("inputs: ")] = cells[1:]
    counts = Counter(c.category for c in CASES)
    assert {README_ROWS[k]: v for k, v in rows.items()} == {
        cat: [str(counts[cat]), str(counts[cat]), "0", "0"] for cat in CATEGORIES
    }
