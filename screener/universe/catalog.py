"""The universes on offer, whether their files are valid, and one universe ranked.

What ``screener universe list``, ``validate`` and ``show`` print, as data; :mod:`text`
formats it for a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener.errors import UniverseError
from screener.universe.exposure import Exposure
from screener.universe.files import available, companion
from screener.universe.jurisdictions import load_jurisdictions
from screener.universe.load import load
from screener.universe.model import load_model
from screener.universe.profile import company_view
from screener.universe.records import Company
from screener.universe.scored import Scored, load_scored


@dataclass(frozen=True)
class UniverseInfo:
    """One shipped universe: its size and the range of its profiles' as-of dates."""

    name: str
    title: str
    version: str
    companies: int
    listed: int
    as_of_min: str | None  # ISO date; None when no profile is dated
    as_of_max: str | None
    path: str


def catalog() -> list[UniverseInfo]:
    """Every shipped universe, loaded (so a broken one raises :class:`UniverseError`)."""
    infos = []
    for name, path in available().items():
        u = load(path)
        rng = u.as_of_range()
        infos.append(
            UniverseInfo(
                name=name,
                title=u.title,
                version=u.version,
                companies=len(u.companies),
                listed=len(u.listed),
                as_of_min=rng[0].isoformat() if rng else None,
                as_of_max=rng[1].isoformat() if rng else None,
                path=str(path),
            )
        )
    return infos


@dataclass(frozen=True)
class FileCheck:
    """One universe file checked with its jurisdictions and model files."""

    path: Path
    problem: str | None  # every problem found, as the UniverseError says them; None when ok
    companies: int = 0
    listed: int = 0
    benchmarks: int = 0
    events: int = 0


def check_files(paths: Sequence[Path]) -> Iterator[FileCheck]:
    """Check ``paths`` (default: every shipped universe) one by one, as they are checked."""
    for path in list(paths) or list(available().values()):
        try:
            jur = load_jurisdictions(companion(Path(path), "jurisdictions"))
            u = load(path, jurisdictions=jur)
            load_model(base=companion(Path(path), "model"))
        except UniverseError as exc:
            yield FileCheck(path, str(exc))
            continue
        yield FileCheck(
            path, None, len(u.companies), len(u.listed), len(u.benchmarks), len(u.events)
        )


@dataclass(frozen=True)
class Ranking:
    """A universe's companies ranked by exposure score (listed only, or all)."""

    scored: Scored
    ranked: list[tuple[Company, Exposure]]
    listed_only: bool

    def views(self) -> list[dict[str, Any]]:
        """Each company's exposure view (:func:`company_view`) with its rank first."""
        jur = self.scored.jurisdictions
        return [
            {"rank": i, **company_view(c, e, jur)} for i, (c, e) in enumerate(self.ranked, start=1)
        ]


def ranking(
    universe: str | Path | None, *, weights: str | Path | None = None, listed_only: bool = True
) -> Ranking:
    """Load and score ``universe`` and rank it, highest score first."""
    scored = load_scored(universe, weights=weights)
    return Ranking(scored, scored.ranked(listed_only=listed_only), listed_only)
