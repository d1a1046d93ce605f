"""``screener lookup``: one company's view as terminal text (JSON is the view itself)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

from screener.universe.exposure import FLAG_HELP
from screener.universe.records import FEED_STAGES

if TYPE_CHECKING:
    from screener.lookup.query import CompanyViews

#: Terminal width the text is laid out for unless told (a URL longer than a line stays whole).
WIDTH = 80
#: Narrower than this, the text is laid out for this width anyway (labels would not fit).
MIN_WIDTH = 40
#: Between two companies' views when several are looked up at once (at WIDTH).
SEPARATOR = "\n\n" + "─" * WIDTH + "\n\n"
#: The width the text being formatted is laid out for (set by ``views_text`` and friends).
_width: ContextVar[int] = ContextVar("lookup_text_width", default=WIDTH)


@contextmanager
def _laid_out(width: int | None) -> Iterator[int]:
    """Format for ``width`` columns (None: the current width) inside the block."""
    token = _width.set(max(MIN_WIDTH, width) if width else _width.get())
    try:
        yield _width.get()
    finally:
        _width.reset(token)


#: How many of the unknowns that widen the interval the "rests on" line names.
DRIVERS_SHOWN = 3


def views_text(result: CompanyViews, width: int | None = None) -> str:
    """Every view of a lookup, in the order asked; the risk block only when priced. Lines fit
    ``width`` columns (default WIDTH), except a URL longer than a line."""
    ranks = result.listed_rank
    texts = []
    with _laid_out(width) as w:
        for view in result.views:
            if view.get("exposure") is None:
                texts.append(format_outside(view, hint=result.no_prices_hint()))
                continue
            rank = (ranks[view["id"]], len(ranks)) if view["id"] in ranks else None
            risk_block = partial(risk_lines, hint=result.no_prices_hint())
            texts.append(
                format_text(view, rank=rank, risk_block=risk_block if result.with_risk else None)
            )
    return ("\n\n" + "─" * w + "\n\n").join(texts)


def _refs(refs: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in refs)


def _fill(text: str, initial: str, subsequent: str) -> str:
    """``text`` filled to the width; a quantity and its unit ("5,000 t/yr") stay on one line."""
    glued = text.replace(" t/yr", "\xa0t/yr")
    return textwrap.fill(
        glued,
        _width.get(),
        initial_indent=initial,
        subsequent_indent=subsequent,
        break_on_hyphens=False,
    ).replace("\xa0", " ")


def _wrap(text: str, indent: int, hang: int = 2) -> str:
    """``text`` filled to the width at ``indent``, continuation lines ``hang`` further in."""
    return _fill(text, " " * indent, " " * (indent + hang))


def _range(low: float, high: float, fmt: str = ".1f") -> str:
    return f"{low:{fmt}}–{high:{fmt}}"


def format_text(
    view: Mapping[str, Any],
    *,
    rank: tuple[int, int] | None = None,
    risk_block: Callable[[Mapping[str, Any]], list[str]] | None = None,
    width: int | None = None,
) -> str:
    """The terminal view. ``risk_block`` renders ``view['risk']`` when prices are known."""
    with _laid_out(width):
        return _format_text(view, rank, risk_block)


def _format_text(
    view: Mapping[str, Any],
    rank: tuple[int, int] | None,
    risk_block: Callable[[Mapping[str, Any]], list[str]] | None,
) -> str:
    lines = [
        *_headline(view, rank),
        "",
        *_factor_lines(view["exposure"]),
        "",
        *_segment_lines(view["segments"]),
        "",
        *_china_lines(view),
        *_support_lines(view["support"]),
        *_revenue_lines(view["revenue"]),
    ]
    if risk_block is not None:
        lines += ["", *risk_block(view)]
    lines += ["", *_source_lines(view)]
    return "\n".join(lines)


def _headline(view: Mapping[str, Any], rank: tuple[int, int] | None) -> list[str]:
    """Name, tickers, HQ, the score with its interval, multiplier and rank, what the interval
    rests on, and the flags."""
    ex = view["exposure"]
    tick = ", ".join(view["tickers"]) or "unlisted"
    rank_txt = f", rank {rank[0]} of {rank[1]} listed" if rank else ""
    if ex["low"] == ex["high"]:
        interval = "(no unknowns)"
    else:
        interval = f"(interval {_range(ex['low'], ex['high'])})"
    lines = [
        _wrap(f"{view['name']}  ({tick})  id: {view['id']}", 0),
        _wrap(f"HQ {view['hq']} {view['hq_name']} ({view['hq_tier']} tier)", 0),
        _wrap(f"Exposure {ex['score']:.1f} / 100 {interval}{rank_txt}", 0),
        _wrap(f"= raw {ex['raw_score']:.1f} × China multiplier {ex['china_multiplier']:.2f}", 2),
    ]
    drivers = ex["interval_drivers"][:DRIVERS_SHOWN]
    if drivers:
        more = len(ex["interval_drivers"]) - len(drivers)
        rests = "; ".join(f"{d['what']} {_range(d['low'], d['high'])}" for d in drivers)
        lines.append(_wrap(f"rests on: {rests}{f'; {more} more' if more else ''}", 2, 10))
    if ex["flags"]:
        lines.append("Flags:")
        lines.extend(_fill(FLAG_HELP.get(f, ""), f"  {f:<17} ", " " * 20) for f in ex["flags"])
    else:
        lines.append("Flags: none")
    return lines


def _factor_lines(ex: Mapping[str, Any]) -> list[str]:
    """Each factor's value × weight = points, its interval when an unknown moves it, and the
    evidence that set the value."""
    lines = [f"{'Factor':<10} {'F':>4} × {'w':<4} = {'pts':>4}  why"]
    for name, f in ex["factors"].items():
        why = "; ".join(e["text"] for e in f["evidence"]) or (f.get("note") or "no segment")
        if f["evidence"] and f.get("note"):
            why += f"; {f['note']}"
        low, high = f.get("low"), f.get("high")
        if low is not None and high is not None and low != high:
            why = f"interval {_range(low, high, '.2f')}; {why}"
        head = f"{name:<10} {f['value']:>4.2f} × {f['weight']:.2f} = {f['points']:>4.1f}  "
        lines.append(_fill(why, head, " " * len(head)))
    return lines


def _segment_lines(segments: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each segment: where and how far along, then its capacity and feed (or that they are
    unknown), and what the capacity figure measures."""
    lines = ["Segments"]
    if not segments:
        lines.append("  none recorded")
    for s in segments:
        where = f" at {s['site']}" if s["site"] else ""
        lines.append(
            _wrap(
                f"{s['stage'].replace('_', '/')}{where}, {s['country']} ({s['tier']}), "
                f"{s['status']}",
                2,
                4,
            )
        )
        cap = s["capacity_tpa"]
        facts = [f"{cap:,.0f} t/yr" if cap is not None else "capacity unknown"]
        if s["stage"] in FEED_STAGES:
            facts.append(f"feed {s['feed_origin'] or 'unknown'}")
        if s["heavy_ree"]:
            facts.append("Dy/Tb")
        lines.append(_wrap(f"{'; '.join(facts)} {_refs(s['refs'])}".rstrip(), 4))
        if s.get("capacity_note"):
            lines.append(_wrap(f"capacity: {s['capacity_note']}", 4))
    return lines


def _china_lines(view: Mapping[str, Any]) -> list[str]:
    """The China links recorded and the penalties they cost."""
    ch = view["china"]
    links = [
        k.replace("_", " ")
        for k in ("hq_in_china", "state_control", "processing_in_china", "sales_to_china")
        if ch[k]
    ]
    if ch["ownership_pct"]:
        links.append(f"Chinese ownership {ch['ownership_pct']:g}%")
    penalties = ", ".join(
        f"{p['link']} −{p['penalty']:.2f}" for p in view["exposure"]["china_penalties"]
    )
    lines = [
        _wrap(
            f"China links: {', '.join(links) if links else 'none recorded'}"
            f"{'  (penalties: ' + penalties + ')' if penalties else ''} "
            f"{_refs(ch['refs'])}".rstrip(),
            0,
        )
    ]
    if ch["notes"]:
        lines.append(_wrap(ch["notes"], 2))
    return lines


def _support_lines(support: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each support item; one not for rare-earth activity is marked as not counted."""
    lines = ["Support:" if support else "Support: none recorded"]
    for s in support:
        when = f", {s['date']}" if s["date"] else ""
        counted = "" if s.get("ree_related", True) else " — not counted (not for rare earths)"
        note = f": {s['note']}" if s["note"] else ""
        lines.append(
            _wrap(
                f"{s['kind'].replace('_', ' ')} from {s['counterparty']}{when}{counted}{note} "
                f"{_refs(s['refs'])}".rstrip(),
                2,
            )
        )
    return lines


def _revenue_lines(rev: Mapping[str, Any]) -> list[str]:
    share = f"{rev['share']:.0%} ({rev['basis']})" if rev["share"] is not None else "unknown"
    lines = [f"REE share of revenue: {share}"]
    if rev["note"]:
        lines.append(_wrap(rev["note"], 2))
    return lines


def _source_lines(view: Mapping[str, Any]) -> list[str]:
    """How old and how sure the profile is, its notes, and the numbered sources it cites."""
    ex = view["exposure"]
    lines = [
        _wrap(
            f"Profile as of {view['as_of']} ({ex['age_days']} days old), confidence "
            f"{ex['confidence']}",
            0,
        )
    ]
    if ex.get("confidence_note"):
        lines.append(_wrap(f"confidence {ex['confidence_note']}", 2))
    if view.get("notes"):
        lines.append(_wrap("Notes: " + view["notes"], 0))
    lines.append("Sources")
    for s in view["sources"]:
        date = s["date"] or "undated"
        sec = " (secondary)" if s["secondary"] else ""
        lines.append(_wrap(f"[{s['n']}] {date:<10} {s['title']}{sec}", 2, 5))
        lines.append(f"       {s['url']}")
    return lines


#: What to do about missing prices, unless the lookup says (``CompanyViews.no_prices_hint``).
NO_PRICES_HINT = "run `screener prices refresh`, drop --offline, or pass --demo"


def risk_lines(view: Mapping[str, Any], hint: str = NO_PRICES_HINT) -> list[str]:
    """The risk block of ``lookup``: metrics with units and as-of, gates, quadrant, peers;
    without prices, ``hint`` says what to do."""
    risk = view.get("risk")
    if not risk:
        return [_wrap(f"Risk: no stored prices for this ticker ({hint})", 0)]
    dq = view.get("data_quality") or {}
    synthetic = ["  SYNTHETIC DEMO PRICES, not market data"] if dq.get("synthetic") else []
    stale = dq.get("stale_days") or 0
    behind = f", {stale} business days stale" if stale else ""
    return [
        _wrap(
            f"Risk (prices as of {view.get('risk_as_of')}{behind}, "
            f"{dq.get('observations') or 0} daily closes in {dq.get('currency') or '?'})",
            0,
        ),
        *synthetic,
        *_metric_grid(risk),
        *_missing_reasons(risk, view.get("risk_reasons") or {}),
        *_standing_lines(view),
        *_quality_lines(dq),
    ]


def _metric_grid(risk: Mapping[str, Any]) -> list[str]:
    """``label: value`` cells with units, as many to a line as fit the width."""
    from screener.metrics import METRICS
    from screener.report.formatters import metric

    cells = []
    for name, value in risk.items():
        m = METRICS.get(name)
        label = m.label if m else name
        cells.append(f"{label}: {metric(value, name, m.unit if m else '')}")
    width = max((len(c) for c in cells), default=0) + 2
    per_line = max(1, (_width.get() - 2) // width)
    return [
        "  " + "".join(c.ljust(width) for c in cells[i : i + per_line]).rstrip()
        for i in range(0, len(cells), per_line)
    ]


def _missing_reasons(risk: Mapping[str, Any], reasons: Mapping[str, str]) -> list[str]:
    """Why a value is a dash, grouped so one reason shared by many metrics prints once."""
    by_reason: dict[str, list[str]] = {}
    for name, value in risk.items():
        if value is None and reasons.get(name):
            by_reason.setdefault(reasons[name], []).append(name)
    return [_wrap(f"– {', '.join(names)}: {reason}", 2) for reason, names in by_reason.items()]


def _standing_lines(view: Mapping[str, Any]) -> list[str]:
    """Investability gates, the exposure/volatility quadrant, and the nearest peers."""
    from screener.report.formatters import metric, quadrant, usd

    lines = []
    gates = view.get("gates")
    if gates:
        state = {True: "pass", False: "fail", None: "unknown"}
        lines.append(
            _wrap(
                f"Gates ({gates.get('label') or gates.get('preset')}): market cap "
                f"{state[gates.get('market_cap')]}, ADV {usd(gates.get('adv_usd'))} "
                f"{state[gates.get('adv')]} → {state[gates.get('pass')]}",
                0,
            )
        )
    if view.get("exposure") is not None:
        front = ", on the exposure/volatility frontier" if view.get("frontier") else ""
        lines.append(_wrap(f"Quadrant: {quadrant(view.get('quadrant'))}{front}", 0))
    peers = view.get("peers") or []
    if peers:
        near = "; ".join(
            f"{p['ticker']} {p['score']:.1f} (vol {metric(p['vol_1y'], 'vol_1y', 'annualised')})"
            for p in peers
        )
        lines.append(_wrap(f"Nearest peers by score: {near}", 0))
    return lines


def _quality_lines(dq: Mapping[str, Any]) -> list[str]:
    lines = []
    dq_bits = [
        f"{k.replace('_', ' ')} {dq[k]}"
        for k in ("first_date", "last_date", "gaps", "stale_days", "flagged_jumps")
        if dq.get(k) is not None
    ]
    if dq_bits:
        lines.append(_wrap("Data quality: " + ", ".join(dq_bits), 0))
    if dq.get("last_error"):
        lines.append(_wrap(f"Last fetch error: {dq['last_error']}", 0))
    return lines


def format_outside(
    view: Mapping[str, Any], width: int | None = None, hint: str = NO_PRICES_HINT
) -> str:
    """A symbol outside the universe: its risk block only."""
    with _laid_out(width):
        head = _wrap(f"{view['name']}  ({view['ticker']})", 0)
        return "\n".join([head, "no exposure profile", "", *risk_lines(view, hint)])
