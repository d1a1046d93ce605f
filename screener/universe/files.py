"""Universe files on disk: strict YAML reading and where a universe's companion files are.

``read_doc`` parses a YAML file into plain data plus the line and column of every value, so a
problem can be named ``file:line:column``. It refuses what a data file never needs and an
attacker would use: anchors and aliases (a 1 KB "billion laughs" bomb expands to gigabytes),
tags other than the plain YAML types, duplicate keys (PyYAML would keep the last silently),
files over :data:`MAX_BYTES` and nesting deeper than :data:`MAX_DEPTH`. An impossible date
(``2026-02-30``) stays text, so the field's own check names it instead of PyYAML raising.
``resolve`` turns a name or path into a universe file; ``companion`` finds its jurisdictions,
model and events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screener import settings
from screener.errors import UniverseError

# Re-exported: the universe modules import these from here.
from screener.universe.yamldoc import MAX_DEPTH as MAX_DEPTH
from screener.universe.yamldoc import YamlDoc as YamlDoc
from screener.universe.yamldoc import YamlPath as YamlPath
from screener.universe.yamldoc import show_path as show_path

DATA_FILES = ("jurisdictions", "model", "events")

#: Largest YAML file read (bytes). The shipped universe is about 0.5 MB; 16x that leaves room
#: to grow while a runaway or hostile file is refused before it is parsed.
MAX_BYTES = 8 * 1024 * 1024


def read_doc(path: Path) -> YamlDoc:
    """Parse ``path`` into a :class:`YamlDoc`; anything refused is a UniverseError naming
    ``file:line:column`` and what to do."""
    try:
        if path.exists() and not path.is_file():
            raise UniverseError(f"{path}: not a regular file; pass a YAML file")
        with path.open("rb") as f:
            # read one byte past the bound: /dev/zero or a pipe reports size 0 and never ends
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            size = max(path.stat().st_size, len(raw))
            more = f"{size:,} bytes is" if size > MAX_BYTES + 1 else "the file is"
            raise UniverseError(
                f"{path}: {more} larger than the {MAX_BYTES:,} bytes a data file may have; "
                "split it or check it is the right file"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise UniverseError(f"{path}: file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path, or not UTF-8
        name = str(path) if len(str(path)) <= 80 else str(path)[:77] + "..."
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UniverseError(f"{name!r}: cannot be read ({reason})") from None
    if "\x00" in text:
        raise UniverseError(f"{path}: contains a NUL byte; a data file is UTF-8 text")
    from screener.universe.yamlparse import parse  # PyYAML only when a file is read

    return parse(path, text)


def read_yaml(path: Path) -> Any:
    """The data of :func:`read_doc` (for callers that do not name lines)."""
    return read_doc(path).data


# --- locating files --------------------------------------------------------------------


def resolve(name_or_path: str | Path | None) -> Path:
    """A shipped universe name (``rare_earths``) or a path to a YAML file."""
    if name_or_path is None:
        name_or_path = "rare_earths"
    text = str(name_or_path)
    shown = text if len(text) <= 60 else text[:57] + "..."
    try:
        p = Path(text).expanduser()
        if p.suffix in (".yaml", ".yml") or p.exists() or "/" in text or "\\" in text:
            if not p.is_file():
                raise UniverseError(f"{p}: universe file not found")
            return p
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise UniverseError(
            f"{shown!r} is not a universe name or a file path this system accepts ({exc}); "
            "pass a shipped name such as rare_earths or a path to a YAML file"
        ) from None
    shipped = settings.universes_dir() / f"{text}.yaml"
    if len(text) > 100 or not shipped.is_file():
        names = ", ".join(sorted(available())) or "none"
        raise UniverseError(
            f"no universe named {shown!r} (shipped: {names}); pass a name or a path to a YAML file"
        )
    return shipped


def available() -> dict[str, Path]:
    """Shipped universes by name (YAML files with a ``companies`` list)."""
    out: dict[str, Path] = {}
    for p in sorted(settings.universes_dir().glob("*.yaml")):
        if p.stem not in DATA_FILES:
            out[p.stem] = p
    return out


def companion(universe_path: Path, stem: str) -> Path:
    """``jurisdictions.yaml``/``model.yaml``/``events.yaml`` beside the universe, else shipped."""
    local = universe_path.parent / f"{stem}.yaml"
    return local if local.is_file() else settings.universes_dir() / f"{stem}.yaml"
