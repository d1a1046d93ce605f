"""A small declarative schema for YAML parameter files: types, ranges, option sets, fixed keys.

Each spec checks plain data (what :func:`files.read_doc` returns) and reports every problem
as ``(path, message)``; the caller places the path on a ``file:line:column``. Messages say
the bad value and the fix (the range, the choices, the keys allowed). ``partial`` checks an
overlay such as a ``--weights`` file: any subset of the keys, each of the right shape.

Written here rather than with pydantic or jsonschema: the problems must name the YAML path in
the file's own terms with the allowed values spelled out, the data is a few hundred values,
and the universe records already use the same checker style (``validate.py``); a schema
library would add a dependency and a translation layer for its messages, not precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from screener.universe.files import YamlPath, show_path

Report = Callable[[YamlPath, str], None]


def show(v: Any) -> str:
    """A value as the user wrote it, short."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


class Spec:
    """One value's rule."""

    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Num(Spec):
    """A number in ``[lo, hi]``; ``integer`` for counts and days. Booleans, NaN and text are not
    numbers (YAML reads ``yes`` as true)."""

    lo: float
    hi: float
    integer: bool = False
    unit: str = ""

    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        kind = "a whole number" if self.integer else "a number"
        allowed = f"{kind} from {self.lo:g} to {self.hi:g}{self.unit}"
        p = show_path(path)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            report(path, f"{p}: {show(v)} is not a number; give {allowed}")
        elif self.integer and not isinstance(v, int):
            report(path, f"{p}: {show(v)} is not a whole number; give {allowed}")
        elif (isinstance(v, float) and math.isnan(v)) or not self.lo <= v <= self.hi:
            report(path, f"{p}: {show(v)} is outside the range; give {allowed}")


@dataclass(frozen=True)
class Text(Spec):
    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        if not isinstance(v, str) or not v.strip():
            report(path, f"{show_path(path)}: {show(v)} is not text; give a quoted label")


@dataclass(frozen=True)
class Bool(Spec):
    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        if not isinstance(v, bool):
            report(path, f"{show_path(path)}: {show(v)} is not true or false")


@dataclass(frozen=True)
class Choice(Spec):
    options: tuple[str, ...]

    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        if not isinstance(v, str) or v not in self.options:
            report(
                path,
                f"{show_path(path)}: {show(v)} is not allowed (allowed: {', '.join(self.options)})",
            )


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    example: str

    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        if not isinstance(v, list):
            report(path, f"{show_path(path)}: {show(v)} is not a list; write it as {self.example}")
            return
        for i, x in enumerate(v):
            self.item.check(x, (*path, i), report, partial)


Rule = Callable[[Mapping[str, Any], YamlPath, Report], None]


@dataclass(frozen=True)
class Fields(Spec):
    """A mapping with these keys (all required unless ``optional``), no others; ``rules`` are
    cross-field checks run when every field is well formed."""

    fields: Mapping[str, Spec]
    optional: frozenset[str] = frozenset()
    rules: tuple[Rule, ...] = field(default=())

    def check(self, v: Any, path: YamlPath, report: Report, partial: bool) -> None:
        p = show_path(path)
        keys = ", ".join(self.fields)
        if not isinstance(v, Mapping):
            report(path, f"{p}: {show(v)} is not a mapping; write it as {{{keys}}}")
            return
        problems: list[tuple[YamlPath, str]] = []

        def collect(where: YamlPath, message: str) -> None:
            problems.append((where, message))

        for key, value in v.items():
            spec = self.fields.get(key) if isinstance(key, str) else None
            if spec is None:
                collect((*path, key), f"{show_path((*path, key))}: unknown key (allowed: {keys})")
            else:
                spec.check(value, (*path, key), collect, partial)
        if not partial:
            for key in self.fields:
                if key not in v and key not in self.optional:
                    collect((*path, key), f"{show_path((*path, key))}: is missing")
        for where, message in problems:
            report(where, message)
        if not problems and not partial:
            for rule in self.rules:
                rule(v, path, report)


def fields(keys: Iterable[str], spec: Spec, **kwargs: Any) -> Fields:
    """The same rule for each of ``keys``."""
    return Fields(dict.fromkeys(keys, spec), **kwargs)


def ordered_interval(v: Mapping[str, Any], path: YamlPath, report: Report) -> None:
    """An unknown's range holds its central value: ``low <= value <= high``."""
    lo, mid, hi = v["low"], v["value"], v["high"]
    if not lo <= mid <= hi:
        report(
            path,
            f"{show_path(path)}: needs low <= value <= high, got low {lo:g}, value {mid:g}, "
            f"high {hi:g}",
        )


SHARE = Num(0.0, 1.0)
#: An unknown fact's central value and its interval, shares of 1.
INTERVAL = fields(("value", "low", "high"), SHARE, rules=(ordered_interval,))
