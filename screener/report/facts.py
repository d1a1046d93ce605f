"""A card's facts as view records: numbered sources, plants, support items, the interval.

Each function reads one part of a company record of the run document (docs/screen-json.md)
and returns frozen records the card template loops over: the sources with their ``[n]``
references and kind, each plant with its capacity and feed origin ("feed unknown" when the
profile has none), support items with whether they count, and the unknowns the evidence
interval rests on. Text composed here is plain text; the templates escape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from screener.report import formatters
from screener.screen.types import DriverRecord, SegmentRecord, SourceRecord, SupportRecord
from screener.universe.records import FEED_STAGES

#: How many of the interval's drivers a card names ("rests on: …"), widest first.
TOP_DRIVERS = 3


@dataclass(frozen=True)
class SourceView:
    n: int
    id: str
    title: str
    date: str | None
    url: str
    href: str | None  # only http(s) URLs become links; anything else is shown as text
    anchor: str
    kind: str | None  # filing, company, news, secondary, … as the universe file gives it
    secondary: bool


@dataclass(frozen=True)
class Ref:
    n: int
    anchor: str


@dataclass(frozen=True)
class Line:
    text: str
    refs: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Plant:
    """One segment: where, what stage and status, how big, and whose feed."""

    stage: str
    site: str
    country: str
    status: str
    capacity: str  # "1,250 t/yr" or "capacity unknown"
    capacity_known: bool
    capacity_note: str | None
    feed: str | None  # "feed captive", "feed AU", "feed unknown"; None where feed does not apply
    feed_unknown: bool
    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class SupportView:
    text: str
    refs: tuple[Ref, ...]
    counted: bool  # false: not for rare earths, shown as context and scoring nothing


@dataclass(frozen=True)
class Driver:
    """One unknown the interval rests on: "magnet feed at Fort Worth (±2.3)"."""

    what: str
    low: float
    high: float
    half_width: float  # ± around the middle of its range, in score points


def safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None (shown as text)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


class Citations:
    """A company's numbered sources and the ``[n]`` references that point at them."""

    def __init__(self, anchor: str, sources: Sequence[SourceRecord]) -> None:
        self.views = tuple(
            SourceView(
                n=s["n"],
                id=s["id"],
                title=s["title"] or s["url"],
                date=s["date"],
                url=s["url"],
                href=safe_href(s["url"]),
                anchor=f"{anchor}-src-{s['n']}",
                kind=s.get("kind") or None,
                secondary=bool(s.get("secondary")),
            )
            for s in sources
        )
        self._by_id = {s.id: s for s in self.views}

    def refs(self, ids: Sequence[str]) -> tuple[Ref, ...]:
        return tuple(Ref(self._by_id[i].n, self._by_id[i].anchor) for i in ids if i in self._by_id)


def _feed(seg: SegmentRecord) -> str | None:
    """The feed origin in words; None for a segment whose feed the model does not read."""
    if seg["stage"] not in FEED_STAGES:
        return None
    origin = seg["feed_origin"]
    return "feed unknown" if origin in (None, "unknown") else f"feed {origin}"


def plants(segs: Sequence[SegmentRecord], cite: Citations) -> tuple[Plant, ...]:
    out = []
    for s in segs:
        cap = s["capacity_tpa"]
        feed = _feed(s)
        out.append(
            Plant(
                stage=formatters.label(s["stage"]),
                site=s["site"] or "unnamed site",
                country=s["country"],
                status=s["status"],
                capacity="capacity unknown" if cap is None else f"{formatters.num(cap, 0)} t/yr",
                capacity_known=cap is not None,
                capacity_note=s.get("capacity_note"),
                feed=feed,
                feed_unknown=feed == "feed unknown",
                refs=cite.refs(s["sources"]),
            )
        )
    return tuple(out)


def _support_text(s: SupportRecord) -> str:
    who = s["counterparty"] or "unknown counterparty"
    if s["country"]:
        who += f" ({s['country']})"
    when = f", {formatters.isodate(s['date'])}" if s["date"] else ""
    return f"{formatters.label(s['kind'])} — {who}{when}" + (f": {s['note']}" if s["note"] else "")


def support(items: Sequence[SupportRecord], cite: Citations) -> tuple[SupportView, ...]:
    # A record without the key predates model v2, where every item counted.
    return tuple(
        SupportView(_support_text(s), cite.refs(s["sources"]), bool(s.get("ree_related", True)))
        for s in items
    )


def drivers(records: Sequence[DriverRecord], n: int = TOP_DRIVERS) -> tuple[Driver, ...]:
    """The ``n`` widest unknowns (the document lists them widest first)."""
    return tuple(
        Driver(d["what"], d["low"], d["high"], (d["high"] - d["low"]) / 2) for d in records[:n]
    )
