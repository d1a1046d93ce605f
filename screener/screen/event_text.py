"""``screener events`` as terminal text: a table per event, then plain-words takeaways.

Arranges the numbers of an :class:`~screener.screen.event_study.EventStudy`; computes none.
"""

from __future__ import annotations

import math

from screener.screen.event_study import DirectionSummary, EventResult, EventStudy
from screener.screen.events import Window

SYNTHETIC_NOTE = (
    "These are SYNTHETIC demo prices: the demo source plants a jump on every event date, so "
    "every effect shown is synthetic by construction. Real prices are needed for a real answer."
)


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x * 100:+.1f}%"


def _pp(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x * 100:+.1f}pp"


def _p(x: float) -> str:
    return "n/a" if not math.isfinite(x) else ("<0.001" if x < 0.001 else f"{x:.3f}")


def _win(w: Window) -> str:
    return f"[{w[0]:+d},{w[1]:+d}]".replace("+0,", "0,").replace("[-0", "[0")


def _rows(events: list[EventResult], window: Window, benchmark: str) -> list[str]:
    head = f"{'date':<10}  {'direction':<10}  {'N':>3}  {'high':>7}  {'low':>7}  {'diff':>8}  {'p':>6}  event"
    lines = [head]
    for ev in events:
        w = ev.window(window, benchmark)
        if w is None:
            continue
        hi, lo = w.terciles[0], w.terciles[-1]
        lines.append(
            f"{ev.date.isoformat():<10}  {ev.direction:<10}  {w.n:>3}  {_pct(hi.mean):>7}  "
            f"{_pct(lo.mean):>7}  {_pp(w.high_minus_low):>8}  {_p(w.welch.p):>6}  {ev.id}"
        )
        if ev.overlaps:
            lines.append(f"{'':<12}overlaps: {', '.join(ev.overlaps)}")
    return lines


def _sentence(d: DirectionSummary) -> str:
    if d.n_events == 0:
        return f"No exact-dated {d.direction} event has prices around it."
    if not math.isfinite(d.mean_difference):
        return f"The {d.n_events} {d.direction} event(s) are too few to compare terciles."
    verb = "beat" if d.mean_difference > 0 else "trailed"
    test = (
        f" (t = {d.test.stat:.2f}, p = {_p(d.test.p)} across events)"
        if math.isfinite(d.test.stat)
        else ""
    )
    on = (
        f"On the one exact-dated {d.direction} event"
        if d.n_events == 1
        else f"On {d.n_events} exact-dated {d.direction} events"
    )
    return (
        f"{on}, high-exposure names {verb} low-exposure ones by "
        f"{abs(d.mean_difference) * 100:.1f} points of CAR over {_win(d.window)} against "
        f"{d.benchmark}{' on average' if d.n_events > 1 else ''}{test}."
    )


def direction_sentences(s: EventStudy) -> list[str]:
    """One plain sentence per direction studied (high vs low tercile, the headline window)."""
    bench = s.benchmarks[0] if s.benchmarks else "SPY"
    studied = {e.direction for e in s.events}  # with --event, say nothing of other directions
    return [
        _sentence(d)
        for d in s.by_direction
        if d.window == s.headline and d.benchmark == bench and d.direction in studied
    ]


def caveat(s: EventStudy) -> str:
    """What limits the tests' power: few names, overlapping events."""
    n = len(s.terciles)
    overlapping = sum(1 for e in s.events if e.overlaps)
    return (
        f"With {n} names and {overlapping} of {len(s.events)} events overlapping another "
        "event's window, these tests have little power: a difference that is not significant "
        "is not evidence of no effect, and overlapping events cannot be told apart."
    )


def takeaways(s: EventStudy) -> list[str]:
    """One sentence per direction, the power caveat, and the synthetic note on demo prices."""
    return [
        *direction_sentences(s),
        caveat(s),
        *([SYNTHETIC_NOTE] if s.synthetic else []),
    ]


def event_text(s: EventStudy) -> str:
    """The study as lines for a terminal."""
    bench = s.benchmarks[0] if s.benchmarks else "none"
    lines = [
        f"Event study: {s.universe}, {len(s.events)} event(s), {len(s.terciles)} companies; "
        f"market model against {bench}"
        + (f" (also {', '.join(s.benchmarks[1:])} in --json)" if len(s.benchmarks) > 1 else "")
        + f"; CAR over {_win(s.headline)} trading days.",
        f"Prices to {s.as_of.isoformat()}{' (SYNTHETIC demo prices)' if s.synthetic else ''}. "
        f"Exposure terciles use the scores of the run date ({s.scores_as_of.isoformat()}) for "
        "every event. high/low = mean CAR of the top/bottom exposure tercile; diff = high - low; "
        "p = Welch t-test.",
        "",
    ]
    exact = [e for e in s.events if not e.approximate]
    approx = [e for e in s.events if e.approximate]
    if exact:
        lines += _rows(exact, s.headline, bench)
    if approx:
        lines += ["", "Approximate dates (reported apart; the event day may be off):"]
        lines += _rows(approx, s.headline, bench)
    if s.skipped:
        lines += ["", "Not measured: " + "; ".join(f"{i} ({why})" for i, why in s.skipped)]
    lines += ["", "Takeaways:"] + [f"- {t}" for t in takeaways(s)]
    return "\n".join(lines)
