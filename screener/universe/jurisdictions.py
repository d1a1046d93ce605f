"""Jurisdiction tiers of the exposure model (docs/exposure-model.md §2): which tier each
country is in, and each tier's weight, read from ``universes/jurisdictions.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from screener import settings
from screener.errors import UniverseError
from screener.universe.files import read_yaml
from screener.universe.validate import Checker, Problems


@dataclass(frozen=True)
class Jurisdictions:
    path: Path
    tier_weights: Mapping[str, float]
    country_tiers: Mapping[str, str]
    default_tier: str
    names: Mapping[str, str]

    def tier(self, code: str) -> str:
        return self.country_tiers.get(code, self.default_tier)

    def weight(self, code: str) -> float:
        return self.tier_weights[self.tier(code)]

    def members(self, tier: str) -> list[str]:
        return sorted(c for c, t in self.country_tiers.items() if t == tier)


def load_jurisdictions(path: Path | None = None) -> Jurisdictions:
    path = path or settings.universes_dir() / "jurisdictions.yaml"
    data = read_yaml(path)
    p = Problems(path.name)
    if not isinstance(data, Mapping):
        raise UniverseError(f"{path}: expected a mapping with 'tiers' and 'countries'")
    names_raw = data.get("countries")
    names: dict[str, str] = {}
    if not isinstance(names_raw, Mapping) or not names_raw:
        p.add("countries", "missing: a mapping of ISO 3166-1 alpha-2 code to country name")
    else:
        for code, name in names_raw.items():
            if not isinstance(code, str) or len(code) != 2 or not code.isupper():
                p.add(
                    "countries",
                    f"{code!r} is not an upper-case two-letter code (quote NO, ON, YES)",
                )
            else:
                names[code] = str(name)
    weights: dict[str, float] = {}
    tiers: dict[str, str] = {}
    tiers_raw = data.get("tiers")
    if not isinstance(tiers_raw, Mapping) or not tiers_raw:
        p.add("tiers", "missing: a mapping of tier name to {weight, countries}")
        tiers_raw = {}
    for tier, spec in tiers_raw.items():
        c = Checker(p, f"tier '{tier}'", spec, date.max)
        w = c.number("weight", 0.0, 1.0, required=True)
        weights[str(tier)] = w if w is not None else 0.0
        for code in c.list_("countries"):
            if code not in names:
                c.err("countries", f"{code!r} is not in the 'countries' list")
            elif code in tiers:
                c.err("countries", f"{code} is already in tier '{tiers[code]}'")
            else:
                tiers[code] = str(tier)
    default = data.get("default_tier")
    if default not in weights:
        p.add("default_tier", f"{default!r} is not one of the tiers ({', '.join(weights)})")
    if p:
        raise UniverseError(f"{path}: {len(p.items)} problem(s)", p.items)
    return Jurisdictions(path, weights, tiers, str(default), names)
