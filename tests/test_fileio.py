"""Atomic writes: the content lands whole, and the file gets the user's umask, not 0600."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from screener.fileio import atomic_write_text

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@posix
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_file_mode_follows_the_umask(
    tmp_path: Path, umask: None, mask: int, mode: int
) -> None:
    os.umask(mask)
    target = tmp_path / "report.html"
    atomic_write_text(target, "<p>hi</p>")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text(encoding="utf-8") == "<p>hi</p>"
    # Replacing an existing file gives the same mode (the temp file's, not the old file's).
    target.chmod(0o600)
    atomic_write_text(target, "again")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left


@posix
def test_umask_is_left_as_it_was(tmp_path: Path, umask: None) -> None:
    os.umask(0o027)
    atomic_write_text(tmp_path / "a.txt", "x")
    assert os.umask(0o027) == 0o027
