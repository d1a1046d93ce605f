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
from screener.universe.files import read_yaml
from screener.universe.records import STAGES, STATUSES, SUPPORT_KINDS

FACTORS: tuple[str, ...] = ("sourcing", "processing", "recycling", "heavy_ree", "purity", "support")
PRESETS: tuple[str, ...] = ("mvis", "eqm", "none")


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


def _merge(base: dict[str, Any], over: Mapping[str, Any], where: str, problems: list[str]) -> None:
    for key, value in over.items():
        if key not in base:
            problems.append(f"{where}{key}: unknown parameter (known: {', '.join(base)})")
        elif isinstance(base[key], dict) and isinstance(value, Mapping):
            _merge(base[key], value, f"{where}{key}.", problems)
        else:
            base[key] = value


def _check(raw: Mapping[str, Any], problems: list[str]) -> None:
    def num(path: str, v: Any, lo: float = 0.0, hi: float = 1.0) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            problems.append(f"{path}: {v!r} is not a number from {lo:g} to {hi:g}")

    weights = raw.get("weights", {})
    for f in FACTORS:
        if f not in weights:
            problems.append(f"weights.{f}: missing (factors: {', '.join(FACTORS)})")
        else:
            num(f"weights.{f}", weights[f])
    for f in weights:
        if f not in FACTORS:
            problems.append(f"weights.{f}: unknown factor (factors: {', '.join(FACTORS)})")
    total = sum(v for v in weights.values() if isinstance(v, (int, float)))
    if abs(total - 1.0) > 1e-6:
        problems.append(
            f"weights: sum to {total:.4f}; they must sum to 1 so scores stay within 0-100"
        )
    for s in STATUSES:
        num(f"maturity.{s}", raw.get("maturity", {}).get(s))
    for k in SUPPORT_KINDS:
        num(f"support_kinds.{k}", raw.get("support_kinds", {}).get(k))
    for name, spec in raw.get("factors", {}).items():
        for stage, mult in spec.get("stages", {}).items():
            if stage not in STAGES:
                problems.append(
                    f"factors.{name}.stages.{stage}: unknown stage ({', '.join(STAGES)})"
                )
            num(f"factors.{name}.stages.{stage}", mult)
    for preset in PRESETS:
        if preset not in raw.get("gates", {}):
            problems.append(f"gates.{preset}: missing preset")
    _check_v2(raw, problems, num)


def _check_v2(raw: Mapping[str, Any], problems: list[str], num: Any) -> None:
    """Scale, feed and the unknowns' ranges (model v2): each range holds its central value."""

    def unknown_range(path: str, spec: Any) -> None:
        if not isinstance(spec, Mapping) or set(spec) != {"value", "low", "high"}:
            problems.append(f"{path}: expected {{value, low, high}}, got {spec!r}")
            return
        for k in ("value", "low", "high"):
            num(f"{path}.{k}", spec[k])
        vals = [spec[k] for k in ("low", "value", "high")]
        if all(isinstance(v, (int, float)) for v in vals) and not vals[0] <= vals[1] <= vals[2]:
            problems.append(f"{path}: needs low <= value <= high, got {vals}")

    scale = raw.get("scale")
    if not isinstance(scale, Mapping):
        problems.append("scale: missing (references, floor, exponent, unknown)")
    else:
        refs = scale.get("references")
        for stage in STAGES:
            ref = refs.get(stage) if isinstance(refs, Mapping) else None
            num(f"scale.references.{stage}", ref, 1e-9, 1e9)
        num("scale.floor", scale.get("floor"))
        num("scale.exponent", scale.get("exponent"), 1e-9, 10.0)
        unknown_range("scale.unknown", scale.get("unknown"))
    feed = raw.get("feed")
    if not isinstance(feed, Mapping):
        problems.append("feed: missing (tiered_origins, unknown)")
    else:
        unknown_range("feed.unknown", feed.get("unknown"))
        if not isinstance(feed.get("tiered_origins"), list):
            problems.append("feed.tiered_origins: expected a list of tier names")
    unknown_range("purity_unknown", raw.get("purity_unknown"))
    statuses = raw.get("capacity_flag_statuses")
    if not isinstance(statuses, list) or any(s not in STATUSES for s in statuses):
        problems.append(
            f"capacity_flag_statuses: expected a list of statuses ({', '.join(STATUSES)})"
        )


def load_model(override: str | Path | None = None, base: Path | None = None) -> Model:
    """The shipped parameters, overlaid with ``override`` (a ``--weights`` file) if given."""
    base = base or settings.universes_dir() / "model.yaml"
    raw = read_yaml(base)
    if not isinstance(raw, dict):
        raise UniverseError(f"{base}: expected a mapping of model parameters")
    problems: list[str] = []
    over_path = None
    if override is not None:
        over_path = Path(override)
        over = read_yaml(over_path)
        if not isinstance(over, Mapping):
            raise UniverseError(
                f"{over_path}: expected a mapping such as 'weights: {{sourcing: 0.3, ...}}'"
            )
        _merge(raw, over, "", problems)
    _check(raw, problems)
    if problems:
        name = over_path or base
        raise UniverseError(f"{name}: {len(problems)} problem(s) in the model parameters", problems)
    return Model(raw, base, over_path)
