"""The strict YAML reader: what it refuses (aliases, tags, size, depth) and the marks it keeps."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from screener.errors import UniverseError
from screener.universe import files
from screener.universe.files import read_doc

# Nine levels of nine aliases: 9**9 (387 million) strings once expanded, from 570 bytes.
BOMB = "\n".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["companies: [*a8]", ""]
)


def test_alias_bomb_is_refused_under_a_memory_and_time_guard(tmp_path: Path) -> None:
    """A regression would expand the bomb: the child's address space is capped at 1 GB, so it
    then dies of MemoryError instead of eating the machine, and this test fails."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 1024
    child = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from click.testing import CliRunner
        from screener.cli import cli
        r = CliRunner().invoke(cli, ["universe", "validate", {str(path)!r}])
        sys.stdout.write(r.output)
        sys.exit(r.exit_code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "bomb.yaml:2:" in done.stdout
    assert "anchors (&name) and aliases (*name) are not allowed" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_one_alias_is_refused_where_it_is_used(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {x: 1}\nother:\n  copy: *b\n", encoding="utf-8")
    with pytest.raises(
        UniverseError,
        match=r"a.yaml:3:3: other.copy: an alias repeats the value anchored at line 1",
    ):
        read_doc(path)


def test_a_merge_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("x:\n  <<: {a: 1}\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"m.yaml:2:3: tag .*merge. is not allowed"):
        read_doc(path)


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object:os.system {}\n",
        "x: !!binary aGVsbG8=\n",
        "x: !!set {a, b}\n",
        "x: !custom 1\n",
    ],
)
def test_tags_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UniverseError, match=r"t.yaml:1:4: tag '.*' is not allowed"):
        read_doc(path)


def test_a_file_over_the_size_bound_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("x: " + "a" * 200 + "\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"big.yaml: 204 bytes is larger than the 100 bytes"):
        read_doc(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"nested deeper than 32 levels"):
        read_doc(path)


def test_nul_byte_and_binary_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_text("x: a\x00b\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=r"NUL byte"):
        read_doc(path)
    path.write_bytes(b"x: \xff\xfe\n")
    with pytest.raises(UniverseError, match=r"cannot be read"):
        read_doc(path)


def test_an_impossible_date_stays_text_and_marks_name_each_value(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("events:\n  - id: a\n    date: 2026-02-30\n  - {id: b, date: 2026-02-28}\n")
    doc = read_doc(path)
    assert doc.data["events"][0]["date"] == "2026-02-30"
    assert str(doc.data["events"][1]["date"]) == "2026-02-28"
    assert doc.marks[("events", 0, "date")] == (3, 5)
    assert doc.marks[("events", 1, "id")] == (4, 6)
    # a missing field is placed at its nearest ancestor
    assert doc.where(("events", 1, "title")) == (4, 5)


def test_the_shipped_files_read_the_same_as_pyyaml() -> None:
    import yaml

    for path in sorted(Path(files.settings.universes_dir()).glob("*.yaml")):
        assert read_doc(path).data == yaml.safe_load(path.read_text(encoding="utf-8")), path
