"""``screener universe list / validate / show`` as terminal text (JSON is the data itself)."""

from __future__ import annotations

from collections.abc import Sequence

from screener.universe.catalog import FileCheck, Ranking, UniverseInfo


def catalog_text(infos: Sequence[UniverseInfo]) -> str:
    lines = [f"{'name':<16} {'companies':>9} {'listed':>6}  as-of range             title"]
    lines += [
        f"{u.name:<16} {u.companies:>9} {u.listed:>6}  {u.as_of_min} – {u.as_of_max}  {u.title}"
        for u in infos
    ]
    return "\n".join(lines)


def check_text(check: FileCheck) -> str:
    """The problems of a bad file, or one line saying what a good one holds."""
    if check.problem is not None:
        return check.problem
    return (
        f"{check.path}: ok — {check.companies} companies ({check.listed} listed), "
        f"{check.benchmarks} benchmarks, {check.events} events"
    )


def ranking_text(ranking: Ranking) -> str:
    uni = ranking.scored.universe
    kind = "listed companies" if ranking.listed_only else "companies"
    lines = [
        f"Universe {uni.name} ({uni.version}): {len(ranking.ranked)} {kind}, ranked by exposure",
        f"{'#':>3} {'ticker':<10} {'name':<34} {'score (interval)':<17} top factors / flags",
    ]
    for i, (c, e) in enumerate(ranking.ranked, start=1):
        top = ", ".join(f"{f.name} {f.points:.0f}" for f in e.top_factors(3))
        if e.china_multiplier < 1:  # factor points are before the multiplier; say it applies
            top += f" × China {e.china_multiplier:.2f}"
        flags = f"  [{' '.join(e.flags)}]" if e.flags else ""
        ticker = c.primary_ticker or "(unlisted)"
        score = f"{e.score:>4.1f} ({e.low:.1f}–{e.high:.1f})"
        lines.append(f"{i:>3} {ticker:<10} {c.name[:34]:<34} {score:<17} {top}{flags}")
    return "\n".join(lines)
