"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

#: When this process started writing (module import): temp files older than this in a folder
#: we write to were left by an earlier, killed run.
_STARTED = time.time()
#: Our temp names: ``.<target name>.<8 random characters>.tmp`` (``tempfile.mkstemp``).
TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
_swept: set[Path] = set()


def remove_stale_temps(folder: Path, *, before: float | None = None) -> list[Path]:
    """Delete our temp files in ``folder`` older than ``before`` (default: this process's
    start); returns what was removed. A run killed between writing a temp file and renaming
    it leaves one behind; the next write to the same folder clears it. Files of any other
    name, and temp files of a run still going (younger than this one), are left alone."""
    cutoff = _STARTED if before is None else before
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not TEMP_NAME.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


def _umask() -> int:
    """The process umask (read by setting it and putting it back: POSIX has no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, fsync it, then rename over ``path``.

    The file ends with the mode a plain ``open(path, "w")`` gives (``0o666`` less the umask):
    ``mkstemp`` creates it 0600, which would make a report served by a web server answer 403.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent not in _swept:  # once per folder and process
        _swept.add(path.parent)
        remove_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows mkstemp's mode is already the default
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename is durable only once the directory entry is flushed too (POSIX).
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
