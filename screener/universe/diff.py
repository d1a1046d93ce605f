"""What changed between two universe files: ``screener universe diff OLD NEW``.

Compares the files as data (not as scores), so two versions of the format compare too:
companies added and removed, and per company its tickers, revenue share, China links,
segments (matched by stage, country and site), statuses, capacities, feed origins and support
items (matched by kind and counterparty). Each change reads as one line a reader can act on:
"Lynas Rare Earths: separation at Kalgoorlie: status commissioning → producing".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from screener.errors import UniverseError
from screener.universe.files import read_yaml

_SEGMENT_FIELDS = ("status", "capacity_tpa", "feed_origin", "heavy_ree")
_COMPANY_FIELDS = ("name", "tickers", "listed", "hq", "ree_revenue_share", "revenue_basis")
_CHINA_FIELDS = (
    "hq_in_china",
    "ownership_pct",
    "state_control",
    "processing_in_china",
    "sales_to_china",
)


@dataclass(frozen=True)
class Change:
    company_id: str
    company: str
    what: str  # "company", "segment", "support", "china", or a field name
    item: str | None  # the segment or support item, where the change is inside one
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        """The change's fields and its line of text."""
        return {**asdict(self), "text": self.text}

    @property
    def text(self) -> str:
        """The change with its company: "Lynas: separation at Kuantan: status a → b"."""
        if self.what == "company":
            return f"{self.company}: {'added' if self.old is None else 'removed'}"
        return f"{self.company}: {self.detail}"

    @property
    def detail(self) -> str:
        """The change within its company: "separation at Kuantan: status a → b"."""
        where = f"{self.item}: " if self.item else ""
        if self.old is None and self.what in ("segment", "support"):
            return f"{where}added"
        if self.new is None and self.what in ("segment", "support"):
            return f"{where}removed"
        return f"{where}{self.what} {_show(self.old)} → {_show(self.new)}"


def _show(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    return str(v)


def _companies(path: Path) -> dict[str, Mapping[str, Any]]:
    if not path.is_file():
        raise UniverseError(
            f"{path}: universe file not found; pass two universe YAML files, the old one first "
            "(an earlier version: git show REV:universes/rare_earths.yaml > old.yaml)"
        )
    data = read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("companies"), list):
        raise UniverseError(f"{path}: expected a universe file with a 'companies' list")
    return {str(c["id"]): c for c in data["companies"] if isinstance(c, Mapping) and "id" in c}


def _segment_key(s: Mapping[str, Any]) -> str:
    where = s.get("site") or s.get("country") or "?"
    return f"{str(s.get('stage', '?')).replace('_', '/')} at {where}"


def _support_key(s: Mapping[str, Any]) -> str:
    return f"{str(s.get('kind', '?')).replace('_', ' ')} from {s.get('counterparty', '?')}"


def _keyed(items: Any, key: Any) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for item in items or []:
        if isinstance(item, Mapping):
            k, n = key(item), 2
            base = k
            while k in out:  # two items with the same key: number them in file order
                k, n = f"{base} ({n})", n + 1
            out[k] = item
    return out


def _items(
    cid: str,
    name: str,
    what: str,
    old: Any,
    new: Any,
    key: Any,
    fields: Sequence[str],
) -> list[Change]:
    a, b = _keyed(old, key), _keyed(new, key)
    out = [Change(cid, name, what, k, a[k], None) for k in a if k not in b]
    out += [Change(cid, name, what, k, None, b[k]) for k in b if k not in a]
    for k in (k for k in b if k in a):  # in the new file's order, so output is stable
        out += [
            Change(cid, name, f, k, a[k].get(f), b[k].get(f))
            for f in fields
            if a[k].get(f) != b[k].get(f)
        ]
    return out


def company_changes(
    cid: str, name: str, a: Mapping[str, Any], b: Mapping[str, Any]
) -> list[Change]:
    """What changed in one company's profile (both in the universe file's shape)."""
    changes = [
        Change(cid, name, f, None, a.get(f), b.get(f))
        for f in _COMPANY_FIELDS
        if a.get(f) != b.get(f)
    ]
    ca, cb = a.get("china") or {}, b.get("china") or {}
    changes += [
        Change(cid, name, f"China {f.replace('_', ' ')}", None, ca.get(f), cb.get(f))
        for f in _CHINA_FIELDS
        if ca.get(f) != cb.get(f)
    ]
    changes += _items(
        cid, name, "segment", a.get("segments"), b.get("segments"), _segment_key, _SEGMENT_FIELDS
    )
    changes += _items(
        cid,
        name,
        "support",
        a.get("support"),
        b.get("support"),
        _support_key,
        ("ree_related", "date"),
    )
    return changes


def diff(old_path: Path, new_path: Path) -> list[Change]:
    """Every change from ``old_path`` to ``new_path``, company by company in the new file's order."""
    old, new = _companies(old_path), _companies(new_path)
    changes: list[Change] = []
    for cid in [*new, *(c for c in old if c not in new)]:
        a, b = old.get(cid), new.get(cid)
        name = str((b or a or {}).get("name", cid))
        if a is None or b is None:
            changes.append(
                Change(
                    cid,
                    name,
                    "company",
                    None,
                    None if a is None else cid,
                    None if b is None else cid,
                )
            )
            continue
        changes += company_changes(cid, name, a, b)
    return changes
