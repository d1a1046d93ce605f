"""The YAML parsing behind :func:`screener.universe.files.read_doc`: plain values only, no
anchors or aliases, bounded depth, and the line and column of every value.

Apart from :mod:`files` so that PyYAML is imported only when a data file is actually read
(a ``lookup`` served from the cached universe never does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from screener.errors import UniverseError
from screener.universe.yamldoc import MAX_DEPTH, YamlDoc, YamlPath, show_path

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


# libyaml's C parser when PyYAML was built with it: 15x faster on the shipped universe
# (about 0.07 s against 1.0 s), which `screener lookup` feels on every call.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse(path: Path, text: str) -> YamlDoc:
    """``text`` (the contents of ``path``) as a :class:`YamlDoc`, or a UniverseError naming
    ``file:line:column``."""
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
