"""Field checks for universe YAML, collecting every problem instead of stopping at the first.

Each problem is one line a data maintainer can act on: ``file:line:column``, the company id,
the field path, the bad value and what is allowed. The line is the field's own when it is in
the file, else its nearest enclosing entry's (a missing field is named where it belongs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from screener.errors import SymbolError
from screener.universe.files import YamlDoc, YamlPath
from screener.universe.schema import show
from screener.universe.symbols import parse_symbol

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Problems:
    """Collects problems for one file; with its :class:`YamlDoc`, each names its line, and
    ``items`` lists them in file order (a maintainer fixes them top to bottom)."""

    def __init__(self, file: str, doc: YamlDoc | None = None) -> None:
        self.file = file
        self.doc = doc
        self._found: list[tuple[tuple[int, int], int, str]] = []

    def add(self, where: str, message: str, path: YamlPath | None = None) -> None:
        at = self.file
        mark = self.doc.where(path) if self.doc is not None and path is not None else None
        if mark is not None:
            at = f"{self.file}:{mark[0]}:{mark[1]}"
        text = f"{at}: {where}: {message}" if where else f"{at}: {message}"
        self._found.append((mark or (0, 0), len(self._found), text))

    @property
    def items(self) -> list[str]:
        return [text for _, _, text in sorted(self._found)]

    def __bool__(self) -> bool:
        return bool(self._found)


def choices(values: Iterable[str]) -> str:
    return ", ".join(values)


class Checker:
    """Typed accessors over one YAML mapping that record problems and return safe defaults."""

    def __init__(
        self, problems: Problems, where: str, data: Any, today: date, path: YamlPath = ()
    ) -> None:
        self.p = problems
        self.where = where
        self.today = today
        self.path = path
        if not isinstance(data, Mapping):
            problems.add(where, f"expected a mapping of fields, got {_show(data)}", path)
            data = {}
        self.data: Mapping[str, Any] = data

    def child(self, field: str, data: Any) -> Checker:
        """The checker of a nested entry; ``field`` is its label, e.g. ``segments[0]``."""
        return Checker(
            self.p, f"{self.where} field '{field}'", data, self.today, self.path + label_path(field)
        )

    def err(self, field: str, message: str) -> None:
        self.p.add(f"{self.where} field '{field}'", message, self.path + label_path(field))

    def unknown_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                self.p.add(
                    self.where,
                    f"unknown field '{key}' (allowed: {choices(sorted(allowed))})",
                    (*self.path, key),
                )

    def str_(self, field: str, *, required: bool = True) -> str | None:
        v = self.data.get(field)
        if v is None:
            if required:
                self.err(field, "is missing")
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            self.err(field, f"{_show(v)} is not text")
            return None
        s = str(v).strip()
        if required and not s:
            self.err(field, "is empty")
            return None
        return s or None

    def slug(self, field: str) -> str | None:
        v = self.str_(field)
        if v is not None and not _SLUG.match(v):
            self.err(
                field, f"{_show(v)} is not a slug (lowercase letters, digits and single hyphens)"
            )
            return None
        return v

    def bool_(self, field: str, default: bool = False) -> bool:
        v = self.data.get(field, default)
        if v is None:
            return default
        if not isinstance(v, bool):
            self.err(field, f"{_show(v)} is not true or false")
            return default
        return v

    def number(self, field: str, lo: float, hi: float, *, required: bool = False) -> float | None:
        v = self.data.get(field)
        if v is None:
            if required:
                self.err(field, "is missing")
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(field, f"{_show(v)} is not a number (allowed: {lo:g} to {hi:g})")
            return None
        if not lo <= v <= hi:  # compared as is: float() of a 400-digit integer overflows
            self.err(field, f"{_show(v)} is outside {lo:g} to {hi:g}")
            return None
        return float(v)

    def choice(self, field: str, allowed: Iterable[str], *, required: bool = True) -> Any:
        allowed = tuple(allowed)
        v = self.data.get(field)
        if v is None:
            if required:
                self.err(field, f"is missing (allowed: {choices(allowed)})")
            return None
        if v not in allowed:
            self.err(field, f"{_show(v)} is not allowed (allowed: {choices(allowed)})")
            return None
        return v

    def country(self, field: str, known: Mapping[str, str], *, required: bool = True) -> str | None:
        v = self.data.get(field)
        if v is None:
            if required:
                self.err(field, "is missing (an ISO 3166-1 alpha-2 code such as US, AU, CA)")
            return None
        if isinstance(v, bool):
            # YAML 1.1 reads a bare NO (Norway) as false, and YES/ON as true.
            self.err(
                field, f'{_show(v)} is a YAML boolean: quote country codes, e.g. "NO" for Norway'
            )
            return None
        if not isinstance(v, str) or v not in known:
            self.err(
                field,
                f"{_show(v)} is not an ISO 3166-1 alpha-2 code known to jurisdictions.yaml "
                "(use upper-case codes such as US, AU, CA, GB)",
            )
            return None
        return v

    def date_(self, field: str, *, required: bool = True, partial: bool = False) -> str | None:
        """A date as ISO text; ``partial`` allows ``YYYY-MM`` and ``YYYY``. Never in the future."""
        v = self.data.get(field)
        if v is None:
            if required:
                self.err(field, "is missing (a date, YYYY-MM-DD)")
            return None
        return check_date(v, lambda m: self.err(field, m), self.today, partial=partial)

    def id_list(self, field: str) -> tuple[str, ...]:
        v = self.data.get(field, [])
        if v is None:
            return ()
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.err(field, f"{_show(v)} is not a list of source ids such as [S1, S2]")
            return ()
        return tuple(v)

    def str_list(self, field: str) -> tuple[str, ...]:
        v = self.data.get(field, [])
        if v is None:
            return ()
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            self.err(field, f"{_show(v)} is not a list of symbols such as [LYC.AX, LYSCF]")
            return ()
        return tuple(x.strip() for x in v)

    def symbols(self, field: str) -> tuple[str, ...]:
        """A list of Yahoo symbols, each parsed by the one grammar and upper-cased."""
        v = self.data.get(field, [])
        if v is None:
            return ()
        if not isinstance(v, list):
            self.err(field, f"{_show(v)} is not a list of symbols such as [LYC.AX, LYSCF]")
            return ()
        out: list[str] = []
        for i, item in enumerate(v):
            sym = self._symbol(f"{field}[{i}]", item)
            if sym is not None:
                out.append(sym)
        return tuple(out)

    def symbol(self, field: str) -> str | None:
        v = self.data.get(field)
        if v is None:
            self.err(field, "is missing (a Yahoo symbol such as SPY or LYC.AX)")
            return None
        return self._symbol(field, v)

    def _symbol(self, label: str, v: Any) -> str | None:
        if not isinstance(v, str):
            # an unquoted all-digit code (6680) is a YAML number
            self.err(
                label,
                f'{_show(v)} is not text: quote symbols that YAML reads as numbers, e.g. "6680.HK"',
            )
            return None
        try:
            return parse_symbol(v)
        except SymbolError as exc:
            self.err(label, str(exc))
            return None

    def list_(self, field: str) -> list[Any]:
        v = self.data.get(field, [])
        if v is None:
            return []
        if not isinstance(v, list):
            self.err(field, f"expected a list, got {_show(v)}")
            return []
        return v


_LABEL_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def label_path(label: str) -> YamlPath:
    """``'segments[0].sources'`` -> ``('segments', 0, 'sources')``."""
    return tuple(int(index) if index else name for name, index in _LABEL_PART.findall(label))


def check_date(v: Any, report: Any, today: date, *, partial: bool = False) -> str | None:
    if isinstance(v, datetime):
        report(f"{v.isoformat(sep=' ')} is a date and time; give the date alone (YYYY-MM-DD)")
        return None
    if isinstance(v, date):
        text = v.isoformat()
        d = v
    else:
        text = str(v).strip()
        m = _PARTIAL_DATE.match(text)
        allowed = "YYYY-MM-DD, YYYY-MM or YYYY" if partial else "YYYY-MM-DD"
        if not m or (not partial and m.group(3) is None):
            report(f"{_show(v)} is not a date ({allowed})")
            return None
        y, mo, da = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
        try:
            d = date(y, mo, da)
        except ValueError:
            report(f"{_show(v)} is not a real date")
            return None
    if d > today:
        report(f"{text} is in the future (today is {today.isoformat()})")
        return None
    return text


def _show(v: Any) -> str:
    """As :func:`schema.show`, but text whole: a wrong word is named as written."""
    return repr(v) if isinstance(v, str) else show(v)
