"""Load and validate universe files into frozen records.

``load(name_or_path)`` reads a universe YAML, checks every field and cross-reference, and
raises :class:`UniverseError` listing *all* problems in the file at once. Jurisdictions and
events are read from the universe's folder when it has them, else from the shipped defaults.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from screener.errors import UniverseError
from screener.universe.files import companion, read_doc, resolve
from screener.universe.jurisdictions import Jurisdictions, load_jurisdictions
from screener.universe.records import (
    CAPTIVE,
    CONFIDENCES,
    DIRECTIONS,
    FEED_STAGES,
    REVENUE_BASES,
    SOURCE_KINDS,
    STAGES,
    STATUSES,
    SUPPORT_KINDS,
    Benchmark,
    ChinaLinks,
    Citation,
    Company,
    Event,
    Segment,
    Support,
    Universe,
)
from screener.universe.validate import Checker, Problems

_COMPANY_KEYS = (
    "id",
    "name",
    "tickers",
    "listed",
    "former_tickers",
    "hq",
    "ree_revenue_share",
    "revenue_basis",
    "revenue_note",
    "segments",
    "china",
    "support",
    "sources",
    "as_of",
    "confidence",
    "notes",
)
_SEGMENT_KEYS = (
    "stage",
    "country",
    "status",
    "site",
    "capacity_tpa",
    "heavy_ree",
    "feed_origin",
    "note",
    "sources",
    "capacity_note",
)
_CHINA_KEYS = (
    "hq_in_china",
    "ownership_pct",
    "state_control",
    "processing_in_china",
    "sales_to_china",
    "notes",
    "sources",
)
_SUPPORT_KEYS = ("kind", "counterparty", "country", "date", "note", "sources", "ree_related")
_SOURCE_KEYS = ("id", "url", "date", "title", "kind")


# --- companies ------------------------------------------------------------------------------


def _sources(c: Checker, raw: list[Any], today: date) -> tuple[Citation, ...]:
    out: list[Citation] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        s = c.child(f"sources[{i}]", item)
        s.unknown_keys(_SOURCE_KEYS)
        sid = s.str_("id")
        url = s.str_("url")
        if sid is not None:
            if sid in seen:
                s.err("id", f"duplicate source id {sid!r}")
            seen.add(sid)
        out.append(
            Citation(
                id=sid or f"?{i}",
                url=url or "",
                date=s.date_("date", required=False, partial=True),
                title=s.str_("title", required=False) or "",
                kind=s.choice("kind", SOURCE_KINDS) or "secondary",
            )
        )
    return tuple(out)


def _cites(c: Checker, field: str, ids: tuple[str, ...], defined: set[str]) -> None:
    for sid in ids:
        if sid not in defined:
            c.err(field, f"cites source {sid!r}, which is not defined in this company's sources")


def _company(c: Checker, countries: Mapping[str, str], today: date) -> Company | None:
    c.unknown_keys(_COMPANY_KEYS)
    sources = _sources(c, c.list_("sources"), today)
    defined = {s.id for s in sources}
    listed = c.bool_("listed", True)
    tickers = c.symbols("tickers")
    if listed and not tickers:
        c.err("tickers", "a listed company needs at least one Yahoo symbol (or set listed: false)")
    if not listed and tickers:
        c.err("tickers", "an unlisted company has no tickers (move them to former_tickers)")
    segments = [
        _segment(c.child(f"segments[{i}]", raw), countries, defined)
        for i, raw in enumerate(c.list_("segments"))
    ]
    china = _china(c.child("china", c.data.get("china") or {}), defined)
    support = [
        _support(c.child(f"support[{i}]", raw), countries, defined)
        for i, raw in enumerate(c.list_("support"))
    ]
    share = c.number("ree_revenue_share", 0.0, 1.0)
    basis = c.choice("revenue_basis", REVENUE_BASES, required=False)
    if (
        c.data.get("ree_revenue_share") is not None
        and basis is None
        and "revenue_basis" not in c.data
    ):
        c.err(
            "revenue_basis", f"is missing: say how the share is known ({', '.join(REVENUE_BASES)})"
        )
    as_of = c.date_("as_of")
    return Company(
        id=c.slug("id") or "",
        name=c.str_("name") or "",
        tickers=tickers,
        listed=listed,
        hq=c.country("hq", countries) or "",
        segments=tuple(segments),
        china=china,
        support=tuple(support),
        sources=sources,
        as_of=date.fromisoformat(as_of) if as_of else date.min,
        confidence=c.choice("confidence", CONFIDENCES) or "low",
        ree_revenue_share=share,
        revenue_basis=basis,
        revenue_note=c.str_("revenue_note", required=False),
        former_tickers=c.symbols("former_tickers"),
        notes=c.str_("notes", required=False),
    )


def _segment(s: Checker, countries: Mapping[str, str], defined: set[str]) -> Segment:
    s.unknown_keys(_SEGMENT_KEYS)
    stage = s.choice("stage", STAGES)
    ids = s.id_list("sources")
    _cites(s, "sources", ids, defined)
    feed = _feed_origin(s, countries)
    if feed is not None and stage not in FEED_STAGES:
        s.err("feed_origin", f"applies to {', '.join(FEED_STAGES)} segments, not to {stage}")
    return Segment(
        stage=stage or "mining",
        country=s.country("country", countries) or "",
        status=s.choice("status", STATUSES) or "exploration",
        site=s.str_("site", required=False),
        capacity_tpa=s.number("capacity_tpa", 0, 1e9),
        heavy_ree=s.bool_("heavy_ree"),
        feed_origin=feed,
        note=s.str_("note", required=False),
        sources=ids,
        capacity_note=s.str_("capacity_note", required=False),
    )


def _feed_origin(s: Checker, countries: Mapping[str, str]) -> str | None:
    """An ISO code, ``captive``, or None for ``unknown``/absent (an unknown feed is not clean)."""
    raw = s.data.get("feed_origin")
    if raw in (CAPTIVE, "unknown"):
        return CAPTIVE if raw == CAPTIVE else None
    return s.country("feed_origin", countries, required=False)


def _china(ch: Checker, defined: set[str]) -> ChinaLinks:
    ch.unknown_keys(_CHINA_KEYS)
    ids = ch.id_list("sources")
    _cites(ch, "sources", ids, defined)
    return ChinaLinks(
        hq_in_china=ch.bool_("hq_in_china"),
        ownership_pct=ch.number("ownership_pct", 0, 100) or 0.0,
        state_control=ch.bool_("state_control"),
        processing_in_china=ch.bool_("processing_in_china"),
        sales_to_china=ch.bool_("sales_to_china"),
        notes=ch.str_("notes", required=False),
        sources=ids,
    )


def _support(s: Checker, countries: Mapping[str, str], defined: set[str]) -> Support:
    s.unknown_keys(_SUPPORT_KEYS)
    ids = s.id_list("sources")
    _cites(s, "sources", ids, defined)
    return Support(
        kind=s.choice("kind", SUPPORT_KINDS) or "other",
        counterparty=s.str_("counterparty") or "",
        country=s.country("country", countries, required=False),
        date=s.date_("date", required=False, partial=True),
        note=s.str_("note", required=False),
        sources=ids,
        ree_related=_required_bool(s, "ree_related"),
    )


def _required_bool(s: Checker, field: str) -> bool:
    if s.data.get(field) is None:
        s.err(field, "is missing (true when the support is for rare-earth activity, else false)")
        return False
    return s.bool_(field)


def _benchmarks(p: Problems, raw: Any, today: date) -> tuple[Benchmark, ...]:
    out: list[Benchmark] = []
    if raw is None:
        return ()
    if not isinstance(raw, list):
        p.add("benchmarks", "expected a list", ("benchmarks",))
        return ()
    for i, item in enumerate(raw):
        c = Checker(p, f"benchmarks[{i}]", item, today, ("benchmarks", i))
        c.unknown_keys(("symbol", "name", "role", "notes", "sources"))
        out.append(
            Benchmark(
                symbol=c.symbol("symbol") or "",
                name=c.str_("name") or "",
                role=c.choice("role", ("market", "sector")) or "market",
                notes=c.str_("notes", required=False),
                sources=_sources(c, c.list_("sources"), today),
            )
        )
    return tuple(out)


_EVENT_KEYS = (
    "id",
    "date",
    "date_precision",
    "direction",
    "time",
    "tz",
    "title",
    "detail",
    "kind",
    "major",
    "scheduled",
    "companies",
    "sources",
    "note",
)
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _event_time(c: Checker) -> tuple[str | None, str | None]:
    """An event's optional ``time`` (HH:MM) and ``tz`` (IANA): both or neither."""
    raw_time, raw_tz = c.data.get("time"), c.data.get("tz")
    time_: str | None = None
    tz: str | None = None
    if isinstance(raw_time, int) and not isinstance(raw_time, bool):
        # YAML 1.1 reads an unquoted 14:30 as the base-60 integer 870.
        c.err("time", f'{raw_time} is a YAML base-60 number: quote times, e.g. "14:30"')
    elif raw_time is not None:
        if isinstance(raw_time, str) and _HHMM.match(raw_time.strip()):
            time_ = raw_time.strip()
        else:
            c.err("time", f'{raw_time!r} is not a time (HH:MM, 24-hour, e.g. "14:30")')
    if raw_tz is not None:
        if isinstance(raw_tz, str) and _is_zone(raw_tz.strip()):
            tz = raw_tz.strip()
        else:
            c.err("tz", f"{raw_tz!r} is not an IANA time zone (e.g. Asia/Shanghai)")
    if raw_time is not None and raw_tz is None:
        c.err("tz", "is missing: a time needs its IANA time zone (e.g. Asia/Shanghai)")
    if raw_tz is not None and raw_time is None:
        c.err("time", "is missing: tz is given without a time (HH:MM)")
    return time_, tz


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def _event_sources(c: Checker) -> None:
    """Each event cites ``{url, date}``: a URL and the date the source gives (or null)."""
    for i, item in enumerate(c.list_("sources")):
        s = c.child(f"sources[{i}]", item)
        s.unknown_keys(("url", "date"))
        s.str_("url")
        s.date_("date", required=False, partial=True)


def load_events(path: Path, today: date | None = None) -> tuple[Event, ...]:
    """Dated policy and market events (used by the demo source and the report)."""
    if not path.is_file():
        return ()
    today = today or date.today()
    doc = read_doc(path)
    data = doc.data
    p = Problems(path.name, doc)
    raw = data.get("events") if isinstance(data, Mapping) else None
    if not isinstance(raw, list):
        raise UniverseError(f"{path}: expected a top-level 'events' list")
    out: list[Event] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        c = Checker(p, f"events[{i}]", item, date.max, ("events", i))
        c.unknown_keys(_EVENT_KEYS)
        eid = c.slug("id")
        if eid is not None:
            if eid in seen:
                c.err("id", f"{eid!r} is used twice (also events[{seen[eid]}])")
            seen.setdefault(eid, i)
        d = c.date_("date")
        scheduled = c.bool_("scheduled")
        if d and date.fromisoformat(d) > today and not scheduled:
            c.err("date", f"{d} is in the future; mark scheduled events with scheduled: true")
        time_, tz = _event_time(c)
        _event_sources(c)
        out.append(
            Event(
                id=eid or "",
                direction=c.choice("direction", DIRECTIONS) or "neutral",
                time=time_,
                tz=tz,
                date=date.fromisoformat(d) if d else date.min,
                title=c.str_("title") or "",
                kind=c.str_("kind", required=False) or "other",
                major=c.bool_("major"),
                approximate=c.choice("date_precision", ("exact", "approximate"), required=False)
                == "approximate",
                scheduled=scheduled,
                detail=c.str_("detail", required=False),
                companies=c.id_list("companies"),
                note=c.str_("note", required=False),
            )
        )
    if p:
        raise UniverseError(f"{path}: {len(p.items)} problem(s)", p.items)
    return tuple(sorted(out, key=lambda e: e.date))


def load(
    name_or_path: str | Path | None = None,
    *,
    today: date | None = None,
    jurisdictions: Jurisdictions | None = None,
) -> Universe:
    """Load and validate a universe; raise UniverseError listing every problem found."""
    path = resolve(name_or_path)
    today = today or date.today()
    jur = jurisdictions or load_jurisdictions(companion(path, "jurisdictions"))
    doc = read_doc(path)
    data = doc.data
    p = Problems(path.name, doc)
    if not isinstance(data, Mapping) or not isinstance(data.get("companies"), list):
        raise UniverseError(f"{path}: expected a mapping with a 'companies' list")
    head = Checker(p, "universe", data.get("universe") or {}, today, ("universe",))
    head.unknown_keys(("name", "title", "version", "description"))
    top = Checker(p, "", data, today)
    top.unknown_keys(("universe", "benchmarks", "companies"))

    companies: list[Company] = []
    for i, raw in enumerate(data["companies"]):
        cid = raw.get("id") if isinstance(raw, Mapping) else None
        label = f"company '{cid}'" if cid else f"companies[{i}]"
        company = _company(Checker(p, label, raw, today, ("companies", i)), jur.names, today)
        if company is not None:
            companies.append(company)
    benchmarks = _benchmarks(p, data.get("benchmarks"), today)

    _check_unique(p, companies, benchmarks)
    if p:
        raise UniverseError(
            f"{path}: {len(p.items)} problem(s); fix them all and validate again", p.items
        )

    meta = data.get("universe") or {}
    return Universe(
        name=str(meta.get("name") or path.stem),
        title=str(meta.get("title") or path.stem),
        version=str(meta.get("version") or ""),
        description=str(meta.get("description") or ""),
        path=path,
        sha256="sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(),
        companies=tuple(companies),
        benchmarks=benchmarks,
        events=load_events(companion(path, "events"), today),
    )


def _check_unique(p: Problems, companies: list[Company], benchmarks: tuple[Benchmark, ...]) -> None:
    """Company ids, and every ticker across companies and benchmarks, appear once."""
    seen_ids: dict[str, int] = {}
    seen_tickers: dict[str, str] = {}
    for i, c in enumerate(companies):  # in file order: companies[i] is the i-th entry
        if c.id and c.id in seen_ids:
            p.add(
                f"company '{c.id}'",
                "duplicate id (ids must be unique in the universe)",
                ("companies", i, "id"),
            )
        seen_ids[c.id] = 1
        for t in c.tickers:
            key = t.upper()
            if key in seen_tickers:
                p.add(
                    f"company '{c.id}' field 'tickers'",
                    f"{t!r} is already a ticker of '{seen_tickers[key]}'",
                    ("companies", i, "tickers"),
                )
            seen_tickers[key] = c.id
    for j, b in enumerate(benchmarks):
        if b.symbol.upper() in seen_tickers:
            p.add(
                f"benchmark '{b.symbol}'",
                f"symbol is also a ticker of '{seen_tickers[b.symbol.upper()]}'",
                ("benchmarks", j, "symbol"),
            )
