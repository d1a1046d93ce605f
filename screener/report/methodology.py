"""The methodology section: the model parameters in force, as the report lists them.

Reads ``run.model``, ``run.weights`` and ``rank_robustness`` of the run document and returns
one frozen :class:`Methodology` record; nothing is recomputed (the parameters are the ones the
run was scored with, so a stored run shows its own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from screener import settings
from screener.report import formatters
from screener.screen.types import MetricInfo, RobustnessSummary, RunDoc


@dataclass(frozen=True)
class Unknown:
    """An unknown's central value (what the score counts) and its range (the interval)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class ModelV2:
    """The v2 parameters: plant scale, feed origin, and the unknowns' ranges."""

    scale_references: tuple[tuple[str, float], ...]  # (stage, t/yr at which scale reaches 1)
    scale_floor: float
    scale_exponent: float
    scale_unknown: Unknown
    feed_unknown: Unknown
    feed_tiered_origins: tuple[str, ...]  # tiers whose feed counts at the tier's weight
    purity_unknown: Unknown
    capacity_flag_statuses: tuple[str, ...]


@dataclass(frozen=True)
class Methodology:
    """The model parameters in force, as the methodology section lists them."""

    # (factor, weight, what the factor measures: its stages × stage weight, or a note)
    weights: tuple[tuple[str, float, str], ...]
    tiers: tuple[tuple[str, float, tuple[str, ...]], ...]  # (tier, weight, countries)
    maturity: tuple[tuple[str, float], ...]
    support_kinds: tuple[tuple[str, float], ...]
    support_cap: float
    purity_unknown: float
    v2: ModelV2 | None  # None: a run stored before model v2
    china: tuple[tuple[str, str], ...]  # (link, penalty), as sentences
    stale_profile_days: int
    gates: tuple[tuple[str, Any], ...]  # the preset's thresholds
    robustness: RobustnessSummary


def _china_rows(china: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The China multiplier's links and penalties, as docs/exposure-model.md §5 states them.

    ``model.china`` mixes penalties with the ownership thresholds that select them; shown raw,
    "feoc ownership pct 25.00" reads like a penalty of 25. Known keys become sentences; any
    other key is listed as it is.
    """
    feoc = china.get("feoc_ownership_pct")
    low = china.get("minority_ownership_min_pct")
    known = {"feoc_penalty", "feoc_ownership_pct", "minority_ownership_min_pct"}
    known |= {"processing_in_china", "sales_to_china"}
    rows: list[tuple[str, str]] = []
    if "feoc_penalty" in china:
        rows.append(
            (
                "HQ in China, state control by a covered government, or Chinese ownership "
                f"≥ {formatters.num(feoc, 0)}% (flag FEOC)",
                formatters.num(china["feoc_penalty"], 2),
            )
        )
    if low is not None and feoc is not None:
        rows.append(
            (
                f"Chinese ownership from {formatters.num(low, 0)}% to below {formatters.num(feoc, 0)}%",
                "ownership % / 100",
            )
        )
    for k, text in (
        ("processing_in_china", "Processes or tolls in China"),
        ("sales_to_china", "Material sales to Chinese processors"),
    ):
        if k in china:
            rows.append((text, formatters.num(china[k], 2)))
    rows += [(formatters.label(k), str(v)) for k, v in china.items() if k not in known]
    return tuple(rows)


_FACTOR_NOTES = {
    "purity": "rare-earth share of revenue",
    "support": "sum of the support items' values, capped",
}


def _factor_measure(factor: str, model: Mapping[str, Any]) -> str:
    """A factor's stages with their weights (model.factors), or what it measures instead."""
    stages = model["factors"][factor]["stages"] if factor in model["factors"] else None
    if stages:
        return ", ".join(
            f"{formatters.label(s)} × {formatters.num(v, 2)}" for s, v in stages.items()
        )
    return _FACTOR_NOTES.get(factor, "")


def _unknown(spec: Mapping[str, Any]) -> Unknown:
    return Unknown(float(spec["value"]), float(spec["low"]), float(spec["high"]))


def _model_v2(model: Mapping[str, Any]) -> ModelV2 | None:
    if "scale" not in model or "feed" not in model:
        return None
    scale, feed = model["scale"], model["feed"]
    return ModelV2(
        scale_references=tuple(scale["references"].items()),
        scale_floor=scale["floor"],
        scale_exponent=scale["exponent"],
        scale_unknown=_unknown(scale["unknown"]),
        feed_unknown=_unknown(feed["unknown"]),
        feed_tiered_origins=tuple(feed["tiered_origins"]),
        purity_unknown=_unknown(model["purity_unknown"]),
        capacity_flag_statuses=tuple(model.get("capacity_flag_statuses", ())),
    )


def methodology(doc: RunDoc) -> Methodology:
    run = doc["run"]
    model = run["model"]
    return Methodology(
        weights=tuple((k, v, _factor_measure(k, model)) for k, v in run["weights"].items()),
        tiers=tuple(
            (k, t["weight"], tuple(t["countries"]))
            for k, t in model["jurisdictions"]["tiers"].items()
        ),
        maturity=tuple(model["maturity"].items()),
        support_kinds=tuple(model["support_kinds"].items()),
        support_cap=model["support_cap"],
        purity_unknown=model["purity_unknown"]["value"],
        v2=_model_v2(model),
        china=_china_rows(model["china"]),
        stale_profile_days=model["stale_profile_days"],
        gates=tuple((k, v) for k, v in model["gates"][run["preset"]].items() if k != "label"),
        robustness=doc["rank_robustness"],
    )


#: Run-time settings that metric texts name by key, written out as the words a reader needs.
_KEY_WITH_VALUE = re.compile(r"\b(adv_ticket_usd|adv_participation) \(([^)]*)\)")
_TEST_PATH = re.compile(r",? verified in tests/\S+ \([^)]*\)")
_EMPYRICAL_FN = re.compile(r"\bempyrical\.\w+")


def plain(text: str, labels: Mapping[str, str]) -> str:
    """A metric registry text with the code's names replaced by words: metric names by their
    labels, setting keys by their values, ``NaN`` by "no value", test paths and library
    function names dropped (the registry keeps them for developers)."""
    out = _KEY_WITH_VALUE.sub(r"\2", text)
    out = _TEST_PATH.sub("", out)
    out = _EMPYRICAL_FN.sub("empyrical-reloaded", out)
    out = re.sub(r"\bNaN\b", "no value", out)
    out = re.sub(r"\bas_of\b", "the data date", out)
    out = re.sub(r"\bmarket_cap\b", "market cap", out)
    out = re.sub(r"\bfx_fill_days\b", f"{settings.get('fx_fill_days')} calendar days", out)
    out = re.sub(r"\bvar_level\b", formatters.num(settings.get("var_level"), 2), out)
    for name in sorted(labels, key=len, reverse=True):  # vol_1m before vol_1
        out = re.sub(rf"\b{re.escape(name)}\b", labels[name], out)
    return out


def metric_texts(metrics: Sequence[MetricInfo]) -> tuple[MetricInfo, ...]:
    """The metric registry as the methodology lists it: its texts in :func:`plain` words."""
    labels = {m["name"]: m.get("label") or m["name"] for m in metrics}
    out = []
    for m in metrics:
        x: dict[str, Any] = dict(m)
        for key in ("description", "formula", "reference"):
            text = x.get(key)
            if isinstance(text, str):
                x[key] = plain(text, labels)
        out.append(cast(MetricInfo, x))
    return tuple(out)
