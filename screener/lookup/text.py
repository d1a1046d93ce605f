"""``screener lookup``: one company's view as terminal text (JSON is the view itself)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from screener.universe.exposure import FLAG_HELP

if TYPE_CHECKING:
    from screener.lookup.query import CompanyViews

WIDTH = 100
#: Between two companies' views when several are looked up at once.
SEPARATOR = "\n\n" + "─" * WIDTH + "\n\n"


def views_text(result: CompanyViews) -> str:
    """Every view of a lookup, in the order asked; the risk block only when priced."""
    ranks = result.listed_rank
    texts = []
    for view in result.views:
        if view.get("exposure") is None:
            texts.append(format_outside(view))
            continue
        rank = (ranks[view["id"]], len(ranks)) if view["id"] in ranks else None
        risk_block = risk_lines if result.with_risk else None
        texts.append(format_text(view, rank=rank, risk_block=risk_block))
    return SEPARATOR.join(texts)


def _refs(refs: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in refs)


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2)
    )


def format_text(
    view: Mapping[str, Any],
    *,
    rank: tuple[int, int] | None = None,
    risk_block: Callable[[Mapping[str, Any]], list[str]] | None = None,
) -> str:
    """The terminal view. ``risk_block`` renders ``view['risk']`` when prices are known."""
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
    """Name, tickers, HQ, the score with its China multiplier and rank, and the flags."""
    ex = view["exposure"]
    tick = ", ".join(view["tickers"]) or "unlisted"
    rank_txt = f"   rank {rank[0]} of {rank[1]} listed" if rank else ""
    lines = [
        f"{view['name']}  ({tick})  id: {view['id']}",
        f"HQ {view['hq']} {view['hq_name']} ({view['hq_tier']} tier)",
        f"Exposure {ex['score']:.1f} / 100   = raw {ex['raw_score']:.1f} × China multiplier "
        f"{ex['china_multiplier']:.2f}{rank_txt}",
    ]
    if ex["flags"]:
        lines.append("Flags:")
        lines.extend(f"  {f:<15} {FLAG_HELP.get(f, '')}" for f in ex["flags"])
    else:
        lines.append("Flags: none")
    return lines


def _factor_lines(ex: Mapping[str, Any]) -> list[str]:
    """Each factor's value × weight = points, and the evidence that set the value."""
    lines = [f"{'Factor':<11} {'value':>5} × {'weight':>6} = {'points':>6}   why"]
    for name, f in ex["factors"].items():
        why = "; ".join(e["text"] for e in f["evidence"]) or (f.get("note") or "no segment")
        if f["evidence"] and f.get("note"):
            why += f"; {f['note']}"
        head = f"{name:<11} {f['value']:>5.2f} × {f['weight']:>6.2f} = {f['points']:>6.1f}   "
        lines.append(
            textwrap.fill(why, WIDTH, initial_indent=head, subsequent_indent=" " * len(head))
        )
    return lines


def _segment_lines(segments: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["Segments"]
    if not segments:
        lines.append("  none recorded")
    for s in segments:
        heavy = " Dy/Tb" if s["heavy_ree"] else ""
        feed = f" feed:{s['feed_origin']}" if s["feed_origin"] else ""
        site = s["site"] or ""
        lines.append(
            f"  {s['stage']:<12} {s['country']:<3} {s['tier']:<9} {s['status']:<13}"
            f"{heavy}{feed} {site} {_refs(s['refs'])}".rstrip()
        )
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
        f"China links: {', '.join(links) if links else 'none recorded'}"
        f"{'  (penalties: ' + penalties + ')' if penalties else ''} {_refs(ch['refs'])}".rstrip()
    ]
    if ch["notes"]:
        lines.append(_wrap(ch["notes"], 2))
    return lines


def _support_lines(support: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["Support:" if support else "Support: none recorded"]
    for s in support:
        when = f", {s['date']}" if s["date"] else ""
        note = f": {s['note']}" if s["note"] else ""
        lines.append(
            _wrap(
                f"{s['kind'].replace('_', ' ')} from {s['counterparty']}{when}{note} "
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
        f"Profile as of {view['as_of']} ({ex['age_days']} days old), confidence {view['confidence']}"
    ]
    if view.get("notes"):
        lines.append(_wrap("Notes: " + view["notes"], 0))
    lines.append("Sources")
    for s in view["sources"]:
        date = s["date"] or "undated"
        sec = " (secondary)" if s["secondary"] else ""
        lines.append(f"  [{s['n']}] {date:<10} {s['title']}{sec}")
        lines.append(f"       {s['url']}")
    return lines


def risk_lines(view: Mapping[str, Any]) -> list[str]:
    """The risk block of ``lookup``: metrics with units and as-of, gates, quadrant, peers."""
    risk = view.get("risk")
    if not risk:
        return [
            "Risk: no stored prices for this ticker (run `screener prices refresh`, drop "
            "--offline, or pass --demo)"
        ]
    dq = view.get("data_quality") or {}
    synthetic = " — SYNTHETIC DEMO PRICES, not market data" if dq.get("synthetic") else ""
    return [
        f"Risk (prices as of {view.get('risk_as_of')}, {dq.get('observations') or 0} daily "
        f"closes in {dq.get('currency') or '?'}{synthetic})",
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
    per_line = max(1, WIDTH // width)
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
            f"Gates ({gates.get('label') or gates.get('preset')}): market cap "
            f"{state[gates.get('market_cap')]}, ADV {usd(gates.get('adv_usd'))} "
            f"{state[gates.get('adv')]} → {state[gates.get('pass')]}"
        )
    if view.get("exposure") is not None:
        front = ", on the exposure/volatility frontier" if view.get("frontier") else ""
        lines.append(f"Quadrant: {quadrant(view.get('quadrant'))}{front}")
    peers = view.get("peers") or []
    if peers:
        lines.append(
            "Nearest peers by score: "
            + "; ".join(
                f"{p['ticker']} {p['score']:.1f} (vol {metric(p['vol_1y'], 'vol_1y', 'annualised')})"
                for p in peers
            )
        )
    return lines


def _quality_lines(dq: Mapping[str, Any]) -> list[str]:
    lines = []
    dq_bits = [
        f"{k.replace('_', ' ')} {dq[k]}"
        for k in ("first_date", "last_date", "gaps", "stale_days", "flagged_jumps")
        if dq.get(k) is not None
    ]
    if dq_bits:
        lines.append("Data quality: " + ", ".join(dq_bits))
    if dq.get("last_error"):
        lines.append(f"Last fetch error: {dq['last_error']}")
    return lines


def format_outside(view: Mapping[str, Any]) -> str:
    """A symbol outside the universe: its risk block only."""
    return "\n".join(
        [f"{view['name']}  ({view['ticker']})", "no exposure profile", "", *risk_lines(view)]
    )
