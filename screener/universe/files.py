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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from screener import settings
from screener.errors import UniverseError

DATA_FILES = ("jurisdictions", "model", "events")

#: Largest YAML file read (bytes). The shipped universe is about 0.5 MB; 16x that leaves room
#: to grow while a runaway or hostile file is refused before it is parsed.
MAX_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and lists. The universe format needs 5 levels.
MAX_DEPTH = 32

#: A value's position in its file: the path of keys and list indexes from the document root.
YamlPath = tuple[str | int | float, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


# --- YAML reading ------------------------------------------------------------------------


# libyaml's C parser when PyYAML was built with it: 15x faster on the shipped universe
# (about 0.07 s against 1.0 s), which `screener lookup` feels on every call.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML file: ``data`` and where each value starts (1-based line, column)."""

    path: Path
    data: Any
    marks: Mapping[YamlPath, tuple[int, int]]

    def where(self, path: YamlPath) -> tuple[int, int] | None:
        """Line and column of ``path``, or of its nearest ancestor present in the file."""
        for n in range(len(path), -1, -1):
            mark = self.marks.get(path[:n])
            if mark is not None:
                return mark
        return None


class _Refused(Exception):
    """A YAML construct the data files do not allow, at a mark."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark


class _Builder:
    """Plain data from a composed node graph, recording each value's mark.

    The composer shares one node object between an anchor and each alias of it; the builder
    sees a node twice only through an alias and refuses it, so nothing is ever expanded.
    """

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.marks: dict[YamlPath, tuple[int, int]] = {}
        self.seen: set[int] = set()

    def build(
        self, node: yaml.Node, path: YamlPath, depth: int = 0, at: yaml.Mark | None = None
    ) -> Any:
        """``at``: where the node is used (a mapping key's mark; an alias has none of its own)."""
        if id(node) in self.seen:
            raise _Refused(
                at or node.start_mark,
                f"{show_path(path)}: an alias repeats the value anchored at line "
                f"{node.start_mark.line + 1}: anchors (&name) and aliases (*name) are not "
                "allowed in data files; write the value out",
            )
        self.seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            raise _Refused(
                node.start_mark,
                f"tag {node.tag!r} is not allowed: data files use plain YAML values only",
            )
        if depth > MAX_DEPTH:
            raise _Refused(node.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        # A mapping value is placed at its key (``hq: XX`` at ``hq``), anything else at itself.
        mark = at if at is not None and path and not isinstance(path[-1], int) else node.start_mark
        self.marks[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key, (str, int, float, bool)
                ):
                    raise _Refused(
                        key_node.start_mark, "a mapping key must be plain text or a number"
                    )
                if key in out:
                    raise _Refused(
                        key_node.start_mark, f"duplicate key {key!r} (the first one would be lost)"
                    )
                out[key] = self.build(value_node, (*path, key), depth + 1, key_node.start_mark)
            self.marks.pop((*path, "<key>"), None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(v, (*path, i), depth + 1, node.start_mark)
                for i, v in enumerate(node.value)
            ]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG:
            return node.value  # most values: skip the constructor's bookkeeping
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            if node.tag == _TIMESTAMP_TAG:
                # 2026-02-30 looks like a date to the resolver and then fails to construct:
                # keep the text so the field's date check says "not a real date" with its line.
                return str(node.value)
            raise _Refused(
                node.start_mark, f"{node.value!r} cannot be read as {node.tag}"
            ) from None


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
    loader = _BaseLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None, {})
        builder = _Builder(loader)
        data = builder.build(node, ())
    except _Refused as exc:
        m = exc.mark
        raise UniverseError(f"{path}:{m.line + 1}:{m.column + 1}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else ""
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise UniverseError(f"{path}:{where}: malformed YAML: {what}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise UniverseError(f"{path}: malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    return YamlDoc(path, data, builder.marks)


def show_path(path: YamlPath) -> str:
    """``('companies', 3, 'tickers')`` -> ``companies[3].tickers``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


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
