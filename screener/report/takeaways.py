"""Key takeaways: plain sentences built only from values in the run document.

Each function reads the document (docs/screen-json.md) and returns one sentence or ``None``
when the data gives nothing to say. No sentence carries a judgement the numbers do not: the
text names tickers, counts and values, never "buy" or "attractive".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from screener.report import formatters
from screener.screen.types import RunDoc

Doc = RunDoc


def _names(items: Sequence[str], limit: int = 6) -> str:
    """``A, B and C``; beyond ``limit`` items: ``A, B, … and 4 more``."""
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def top_by_score(doc: Doc, n: int = 3) -> str | None:
    rows = sorted(doc["rows"], key=lambda r: r["rank"])[:n]
    if not rows:
        return None
    parts = [
        f"{r['ticker']} ({formatters.num(r['exposure']['score'])}, {formatters.quadrant(r['quadrant'])})"
        for r in rows
    ]
    return f"Highest exposure scores: {_names(parts)}."


def gates(doc: Doc) -> str | None:
    rows = doc["rows"]
    if not rows:
        return None
    verdicts = [r["gates"]["pass"] for r in rows]
    passed = sum(1 for v in verdicts if v is True)
    failed = sum(1 for v in verdicts if v is False)
    unknown = len(verdicts) - passed - failed
    run = doc["run"]
    label = run["preset_label"] or run["preset"] or "investability"
    text = f"{passed} of {len(rows)} listed names pass the {label} gates"
    if unknown:
        text += f"; {unknown} cannot be judged for missing data"
    return text + "."


def frontier(doc: Doc) -> str | None:
    names = [
        str(r["ticker"]) for r in sorted(doc["rows"], key=lambda r: r["rank"]) if r["frontier"]
    ]
    if not names:
        return None
    return (
        f"On the exposure–volatility frontier (no other name has a higher score with lower "
        f"1-year volatility): {_names(names)}."
    )


def rank_moves(doc: Doc, n: int = 3) -> str | None:
    changes = doc["changes"]
    previous = changes["previous_run"] if changes else None
    if changes is None or previous is None:
        return "First run: no previous run to compare."
    moves = sorted(changes["rank_moves"], key=lambda m: -abs(m["from"] - m["to"]))
    if not moves:
        return f"No rank changes since {previous['id']}."
    parts = []
    for m in moves[:n]:
        delta = m["from"] - m["to"]
        direction = "up" if delta > 0 else "down"
        parts.append(f"{m['ticker']} {direction} {abs(delta)} ({m['from']} → {m['to']})")
    return f"Biggest rank moves since {previous['id']}: {_names(parts)}."


def china_links(doc: Doc) -> str | None:
    rows = doc["rows"]
    if not rows:
        return None
    feoc = [str(r["ticker"]) for r in rows if "FEOC" in r["exposure"]["flags"]]
    covered = [str(r["ticker"]) for r in rows if "COVERED_CHAIN" in r["exposure"]["flags"]]
    text = f"{len(feoc)} of {len(rows)} names are FEOC (Chinese ownership or control)"
    if feoc:
        text += f" ({_names(feoc)})"
    text += f" and {len(covered)} have a covered-country link in their chain"
    return text + "."


def vol_regime(doc: Doc) -> str | None:
    scored = [
        (r["ticker"], float(v))
        for r in doc["rows"]
        if (v := r["risk"].get("vol_regime")) is not None
    ]
    if not scored:
        return None
    ticker, value = max(scored, key=lambda t: t[1])
    return (
        f"Highest volatility regime: {ticker} (1-month volatility at percentile "
        f"{formatters.num(100 * value, 0)} of its own past year; 100 is the top)."
    )


def failures(doc: Doc) -> str | None:
    fails = doc["failures"]
    listed = len(doc["rows"])
    if not fails:
        return f"All {listed} listed tickers were priced."
    tickers = [f["ticker"] for f in fails]
    noun = "ticker" if len(fails) == 1 else "tickers"
    return f"{len(fails)} {noun} could not be priced: {_names(tickers)} (see Data quality)."


def synthetic(doc: Doc) -> str | None:
    if not doc["run"]["synthetic"]:
        return None
    return "Prices are synthetic demo data: risk numbers illustrate the method, not the market."


RULES: tuple[Callable[[Doc], str | None], ...] = (
    synthetic,
    top_by_score,
    gates,
    frontier,
    rank_moves,
    china_links,
    vol_regime,
    failures,
)


def build(doc: Doc) -> list[str]:
    """All takeaways for ``doc``, in reading order, skipping rules with nothing to say."""
    return [s for rule in RULES if (s := rule(doc)) is not None]
