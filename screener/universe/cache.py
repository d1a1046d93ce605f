"""The scored universe kept between lookups and runs.

Once a lookup no longer rebuilds the screen, parsing the universe's YAML and scoring every
company is most of its work (about 0.1 s of YAML and 0.05 s of scoring, each call); a weekly
run spends about 0.2 s on it (with the audit's checks) for files that rarely change. The
result is kept as a pickle in the price store's folder, ``cache/scored-<key>.pickle``, and
only where a store already exists (a lookup with nothing stored creates nothing). The key is
a hash of the bytes of every file the score reads (the universe, its jurisdictions, model and
events files, ``--weights``), the scoring date and the screener and Python versions: an edit
to any of them, or a new day, makes a new entry. A missing or unreadable entry is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from screener import __version__
from screener.universe.files import DATA_FILES, companion, resolve
from screener.universe.scored import Scored, load_scored

#: Entries older than this are removed when a new one is written.
KEEP_SECONDS = 3 * 24 * 3600
_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError)


def _key(universe: str | Path | None, weights: str | Path | None, today: date) -> str | None:
    """The entry's key, or None when a file cannot be read (loading then says why)."""
    path = resolve(universe)
    files = [path, *(companion(path, stem) for stem in DATA_FILES)]
    if weights is not None:
        files.append(Path(weights))
    digest = hashlib.sha256(f"{today}|{__version__}|{sys.version}".encode())
    try:
        for f in files:
            digest.update(f"|{f.resolve()}|".encode())
            digest.update(f.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def scored_cached(
    universe: str | Path | None,
    *,
    weights: str | Path | None,
    folder: Path | None,
    today: date | None = None,
) -> Scored:
    """``load_scored(universe, weights=weights)``, from ``folder/cache`` when kept there."""
    today = today or date.today()
    key = _key(universe, weights, today) if folder is not None and folder.is_dir() else None
    if key is None or folder is None:
        return load_scored(universe, weights=weights, today=today)
    entry = folder / "cache" / f"scored-{key}.pickle"
    try:
        with entry.open("rb") as f:
            # our own file, in the user's data dir beside the store it describes
            kept = pickle.load(f)
        if isinstance(kept, Scored):
            return kept
    except (OSError, *_UNREADABLE):
        pass  # missing or unreadable: rebuilt below
    scored = load_scored(universe, weights=weights, today=today)
    _write(entry, pickle.dumps(scored, protocol=pickle.HIGHEST_PROTOCOL))
    return scored


def _write(entry: Path, data: bytes) -> None:
    """Write ``entry`` by rename (a reader never sees half of it); drop old entries. A folder
    that cannot be written only costs the next call the time saved."""
    try:
        entry.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".scored-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, entry)
        cutoff = time.time() - KEEP_SECONDS
        for old in entry.parent.glob("scored-*.pickle"):
            if old != entry and old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
