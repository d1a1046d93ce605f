"""Universe + model + jurisdictions + scores, loaded together: what every command starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from screener.universe.exposure import Exposure, score_all
from screener.universe.files import companion
from screener.universe.jurisdictions import Jurisdictions, load_jurisdictions
from screener.universe.load import load
from screener.universe.model import Model, load_model
from screener.universe.records import Company, Universe


@dataclass(frozen=True)
class Scored:
    universe: Universe
    model: Model
    jurisdictions: Jurisdictions
    exposures: dict[str, Exposure]
    today: date

    def ranked(self, *, listed_only: bool = False) -> list[tuple[Company, Exposure]]:
        """Companies by score, highest first; ties broken by id so the order is stable."""
        pairs = [
            (c, self.exposures[c.id])
            for c in self.universe.companies
            if c.listed or not listed_only
        ]
        return sorted(pairs, key=lambda p: (-p[1].score, p[0].id))


def load_scored(
    universe: str | Path | None = None,
    *,
    weights: str | Path | None = None,
    today: date | None = None,
) -> Scored:
    """Load and score. ``today`` is the scoring date (STALE_PROFILE is measured against it; a
    past ``--as-of`` scores as of then); the files are validated against the real clock."""
    today = today or date.today()
    from screener.universe.files import resolve

    path = resolve(universe)
    jur = load_jurisdictions(companion(path, "jurisdictions"))
    uni = load(path, jurisdictions=jur)
    model = load_model(weights, base=companion(path, "model"))
    return Scored(uni, model, jur, score_all(uni.companies, model, jur, today=today), today)
