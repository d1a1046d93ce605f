"""Parameters of the exposure model, read from ``universes/model.yaml``.

``--weights FILE`` overlays any subset of the same keys, so a user changes weights without
touching the package. The merged parameters are validated and printed in every report.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener import settings
from screener.errors import UniverseError
from screener.universe import PRESETS
from screener.universe.files import YamlDoc, YamlPath, read_doc
from screener.universe.records import STAGES, STATUSES, SUPPORT_KINDS
from screener.universe.schema import (
    INTERVAL,
    SHARE,
    Bool,
    Choice,
    Fields,
    ListOf,
    Num,
    Report,
    Text,
    fields,
)

FACTORS: tuple[str, ...] = ("sourcing", "processing", "recycling", "heavy_ree", "purity", "support")


@dataclass(frozen=True)
class Model:
    """The merged, validated parameters. ``raw`` is what the report prints."""

    raw: Mapping[str, Any]
    path: Path
    override: Path | None

    @property
    def weights(self) -> Mapping[str, float]:
        return self.raw["weights"]  # type: ignore[no-any-return]

    @property
    def maturity(self) -> Mapping[str, float]:
        return self.raw["maturity"]  # type: ignore[no-any-return]

    def factor(self, name: str) -> Mapping[str, Any]:
        return self.raw["factors"].get(name, {})  # type: ignore[no-any-return]

    @property
    def support_kinds(self) -> Mapping[str, float]:
        return self.raw["support_kinds"]  # type: ignore[no-any-return]

    @property
    def china(self) -> Mapping[str, float]:
        return self.raw["china"]  # type: ignore[no-any-return]

    def gate(self, preset: str) -> Mapping[str, Any]:
        return self.raw["gates"][preset]  # type: ignore[no-any-return]

    def with_weights(self, weights: Mapping[str, float]) -> Model:
        raw = copy.deepcopy(dict(self.raw))
        raw["weights"] = dict(weights)
        return Model(raw, self.path, self.override)


def _weights_sum_to_one(v: Mapping[str, Any], path: YamlPath, report: Report) -> None:
    total = sum(v.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        report(
            path,
            f"weights: sum to {total:.4f}; they must sum to 1 (within {WEIGHT_TOLERANCE:g}) so "
            "scores stay within 0-100: change one weight by the difference",
        )


def _minority_below_feoc(v: Mapping[str, Any], path: YamlPath, report: Report) -> None:
    if v["minority_ownership_min_pct"] > v["feoc_ownership_pct"]:
        report(
            (*path, "minority_ownership_min_pct"),
            f"china.minority_ownership_min_pct: {v['minority_ownership_min_pct']:g} is above "
            f"feoc_ownership_pct ({v['feoc_ownership_pct']:g}); the minority band lies below "
            "the FEOC threshold",
        )


#: Factor weights must sum to 1 within this (so 0.3333 x 3 is refused: write 0.3334 once).
WEIGHT_TOLERANCE = 1e-6

_PCT = Num(0.0, 100.0, unit=" percent")
_GATE = Fields(
    {
        "label": Text(),
        "min_market_cap_usd": Num(0.0, 1e13, unit=" USD"),
        "min_adv_usd": Num(0.0, 1e12, unit=" USD"),
        "adv_window_days": Num(1, 1260, integer=True, unit=" trading days"),
    },
    optional=frozenset({"min_market_cap_usd", "min_adv_usd", "adv_window_days"}),
)
_FACTOR = Fields(
    {
        "stages": fields(STAGES, SHARE, optional=frozenset(STAGES)),
        "combine": Choice(("weighted_sum",)),
        "only_heavy_ree": Bool(),
    },
    optional=frozenset({"combine", "only_heavy_ree"}),
)

#: Every key of ``universes/model.yaml`` with its type and range (docs/exposure-model.md).
MODEL_SCHEMA = Fields(
    {
        "maturity": fields(STATUSES, SHARE),
        "weights": fields(FACTORS, SHARE, rules=(_weights_sum_to_one,)),
        "scale": Fields(
            {
                "references": fields(STAGES, Num(1e-9, 1e9, unit=" t/yr")),
                "floor": SHARE,
                "exponent": Num(1e-9, 10.0),
                "unknown": INTERVAL,
            }
        ),
        "feed": Fields(
            {
                "tiered_origins": ListOf(Text(), "a list of tier names, e.g. [covered, high_risk]"),
                "unknown": INTERVAL,
            }
        ),
        "capacity_flag_statuses": ListOf(
            Choice(STATUSES), "a list of statuses, e.g. [producing, construction]"
        ),
        "factors": fields(FACTORS, _FACTOR, optional=frozenset(FACTORS)),
        "purity_unknown": INTERVAL,
        "support_kinds": fields(SUPPORT_KINDS, SHARE),
        "support_cap": SHARE,
        "china": Fields(
            {
                "feoc_penalty": SHARE,
                "feoc_ownership_pct": _PCT,
                "minority_ownership_min_pct": _PCT,
                "processing_in_china": SHARE,
                "sales_to_china": SHARE,
            },
            rules=(_minority_below_feoc,),
        ),
        "stale_profile_days": Num(1, 3650, integer=True, unit=" days"),
        "gates": fields(PRESETS, _GATE),
        "rank_robustness": Fields(
            {
                "draws": Num(1, 100_000, integer=True),
                "concentration": Num(1e-6, 1e6),
                "seed": Num(0, 2**32 - 1, integer=True),
                "unstable_share": SHARE,
            }
        ),
    }
)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    """Overlay ``over`` (already checked against the schema) onto ``base``, key by key."""
    for key, value in over.items():
        if isinstance(base.get(key), dict) and isinstance(value, Mapping):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _problems(doc: YamlDoc, partial: bool, data: Any, other: YamlDoc | None = None) -> list[str]:
    """The schema's problems, each placed at ``file:line:column`` of the file that set the
    value (``doc``; ``other`` for merged values the overlay did not touch)."""
    out: list[str] = []

    def report(path: YamlPath, message: str) -> None:
        src = doc if other is None or path in doc.marks else other
        mark = src.where(path)
        place = f"{src.path.name}:{mark[0]}:{mark[1]}" if mark else src.path.name
        out.append(f"{place}: {message}")

    MODEL_SCHEMA.check(data, (), report, partial)
    return out


def load_model(override: str | Path | None = None, base: Path | None = None) -> Model:
    """The shipped parameters, overlaid with ``override`` (a ``--weights`` file) if given.

    The overlay is checked first, on its own (any subset of the keys, each of the right type
    and range), then the merged parameters as a whole (every key present, the weights summing
    to 1); a problem names the line of the file that set the value.
    """
    base = base or settings.universes_dir() / "model.yaml"
    base_doc = read_doc(base)
    if not isinstance(base_doc.data, dict):
        raise UniverseError(f"{base}: expected a mapping of model parameters")
    raw = copy.deepcopy(base_doc.data)
    over_path = None
    over_doc = None
    if override is not None:
        over_path = Path(override)
        over_doc = read_doc(over_path)
        if not isinstance(over_doc.data, Mapping):
            raise UniverseError(
                f"{over_path}: expected a mapping such as 'weights: {{sourcing: 0.3, ...}}' "
                "(any subset of the keys of universes/model.yaml)"
            )
        problems = _problems(over_doc, True, over_doc.data)
        if problems:
            raise UniverseError(
                f"{over_path}: {len(problems)} problem(s) in the model parameters", problems
            )
        _merge(raw, over_doc.data)
    problems = (
        _problems(over_doc, False, raw, base_doc)
        if over_doc is not None
        else _problems(base_doc, False, raw)
    )
    if problems:
        name = over_path or base
        raise UniverseError(f"{name}: {len(problems)} problem(s) in the model parameters", problems)
    return Model(raw, base, over_path)
