"""``screener universe list / validate / show / audit / diff`` as terminal text (JSON is the
data itself)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from itertools import groupby

from screener.universe.audit import Audit, AuditRow
from screener.universe.catalog import FileCheck, Ranking, UniverseInfo
from screener.universe.diff import Change

WIDTH = 80


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


def _wrap(text: str, indent: str, hang: str) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=hang, break_on_hyphens=False
    )


def audit_text(result: Audit) -> str:
    """One block per company, in the audit's order: what could be wrong and how much it moves."""
    shown = (
        f"the {len(result.rows)} to re-check first"
        if len(result.rows) < result.listed
        else "re-check from the top"
    )
    blocks = [
        f"Universe {result.universe}: {result.listed} listed companies, {shown}\n"
        "(priority: how many places a wrong or unknown fact could move the rank)"
    ]
    blocks += [_audit_block(i, row, result.listed) for i, row in enumerate(result.rows, start=1)]
    return "\n\n".join(blocks)


def _interval(low: float, high: float) -> str:
    return "(no unknowns)" if high - low < 0.05 else f"({low:.1f}–{high:.1f})"


def _audit_block(n: int, row: AuditRow, listed: int) -> str:
    ticker = row.ticker or "(unlisted)"
    lines = [
        _wrap(
            f"{n}. {ticker}  {row.name}: rank {row.rank} of {listed}, score {row.score:.1f} "
            f"{_interval(row.low, row.high)}, priority {row.priority} "
            f"place{'' if row.priority == 1 else 's'}",
            "",
            "   ",
        )
    ]
    reasons = row.reasons() or ["nothing to re-check: no unknowns, no secondary-only facts"]
    lines += [_wrap(f"- {r}", "   ", "     ") for r in reasons]
    lines.append(f"   facts as of {row.as_of.isoformat()} ({row.age_days} days old)")
    return "\n".join(lines)


def diff_text(changes: Sequence[Change], old: object, new: object) -> str:
    """A count, then each change as its one line (whole, so it can be grepped), a blank line
    between companies."""
    companies = len({c.company_id for c in changes})
    head = f"{old} → {new}: {len(changes)} change(s) in {companies} companies"
    blocks = [head]
    for _, group in groupby(changes, key=lambda c: c.company_id):
        blocks.append("\n".join(c.text for c in group))
    return "\n\n".join(blocks)
