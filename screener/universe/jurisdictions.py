"""Jurisdiction tiers of the exposure model (docs/exposure-model.md §2): which tier each
country is in, and each tier's weight, read from ``universes/jurisdictions.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from screener import settings
from screener.errors import UniverseError
from screener.universe.files import read_doc
from screener.universe.records import SOURCE_KINDS, Citation
from screener.universe.validate import Checker, Problems


@dataclass(frozen=True)
class Jurisdictions:
    path: Path
    tier_weights: Mapping[str, float]
    country_tiers: Mapping[str, str]
    default_tier: str
    names: Mapping[str, str]
    #: The dated source that puts a country in a tier that needs one (``aligned``).
    sources: Mapping[str, Citation] = field(default_factory=dict)

    def tier(self, code: str) -> str:
        return self.country_tiers.get(code, self.default_tier)

    def weight(self, code: str) -> float:
        return self.tier_weights[self.tier(code)]

    def members(self, tier: str) -> list[str]:
        return sorted(c for c, t in self.country_tiers.items() if t == tier)


def load_jurisdictions(path: Path | None = None) -> Jurisdictions:
    path = path or settings.universes_dir() / "jurisdictions.yaml"
    doc = read_doc(path)
    data = doc.data
    p = Problems(path.name, doc)
    if not isinstance(data, Mapping):
        raise UniverseError(f"{path}: expected a mapping with 'tiers' and 'countries'")
    names_raw = data.get("countries")
    names: dict[str, str] = {}
    if not isinstance(names_raw, Mapping) or not names_raw:
        p.add(
            "countries",
            "missing: a mapping of ISO 3166-1 alpha-2 code to country name",
            ("countries",),
        )
    else:
        for code, name in names_raw.items():
            if not isinstance(code, str) or len(code) != 2 or not code.isupper():
                p.add(
                    "countries",
                    f"{code!r} is not an upper-case two-letter code (quote NO, ON, YES)",
                    ("countries", code),
                )
            else:
                names[code] = str(name)
    weights: dict[str, float] = {}
    tiers: dict[str, str] = {}
    tiers_raw = data.get("tiers")
    if not isinstance(tiers_raw, Mapping) or not tiers_raw:
        p.add("tiers", "missing: a mapping of tier name to {weight, countries}", ("tiers",))
        tiers_raw = {}
    sources: dict[str, Citation] = {}
    for tier, spec in tiers_raw.items():
        c = Checker(p, f"tier '{tier}'", spec, date.today(), ("tiers", tier))
        c.unknown_keys(("weight", "countries", "sourced", "sources"))
        w = c.number("weight", 0.0, 1.0, required=True)
        weights[str(tier)] = w if w is not None else 0.0
        for code in c.list_("countries"):
            if code not in names:
                c.err("countries", f"{code!r} is not in the 'countries' list")
            elif code in tiers:
                c.err("countries", f"{code} is already in tier '{tiers[code]}'")
            else:
                tiers[code] = str(tier)
        sources.update(_tier_sources(c, [k for k, v in tiers.items() if v == tier]))
    default = data.get("default_tier")
    if default not in weights:
        p.add(
            "default_tier",
            f"{default!r} is not one of the tiers ({', '.join(weights)})",
            ("default_tier",),
        )
    if p:
        raise UniverseError(f"{path}: {len(p.items)} problem(s)", p.items)
    return Jurisdictions(path, weights, tiers, str(default), names, sources)


def _tier_sources(c: Checker, members: list[str]) -> dict[str, Citation]:
    """A ``sourced`` tier cites, for each member, the dated agreement that puts it there."""
    raw = c.data.get("sources") or {}
    if not isinstance(raw, Mapping):
        c.err("sources", "expected a mapping of country code to {url, date, title, kind}")
        return {}
    out: dict[str, Citation] = {}
    for code in members:
        item = raw.get(code)
        if item is None:
            if c.data.get("sourced"):
                c.err("sources", f"{code} has no source (each member of this tier needs one)")
            continue
        s = c.child(f"sources.{code}", item)
        s.unknown_keys(("url", "date", "title", "kind"))
        out[code] = Citation(
            id=code,
            url=s.str_("url") or "",
            date=s.date_("date", required=True, partial=False),
            title=s.str_("title") or "",
            kind=s.choice("kind", SOURCE_KINDS) or "secondary",
        )
    for code in set(raw) - set(members):
        c.err("sources", f"{code!r} is cited but is not a member of this tier")
    return out
