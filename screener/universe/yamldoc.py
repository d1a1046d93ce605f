"""A parsed YAML data file and the paths of its values: the part of reading shared by
:mod:`files` (which finds and bounds the files) and :mod:`yamlparse` (which parses them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Deepest nesting of mappings and lists. The universe format needs 5 levels.
MAX_DEPTH = 32

#: A value's position in its file: the path of keys and list indexes from the document root.
YamlPath = tuple[str | int | float, ...]


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


def show_path(path: YamlPath) -> str:
    """``('companies', 3, 'tickers')`` -> ``companies[3].tickers``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"
