"""One company's exposure view as plain data: the shape shared by ``lookup --json``,
``screen.json`` rows and the report's cards (docs/screen-json.md)."""

from __future__ import annotations

from typing import Any

from screener.universe.exposure import Exposure
from screener.universe.jurisdictions import Jurisdictions
from screener.universe.records import ChinaLinks, Citation, Company, Segment, Support


def source_numbers(company: Company) -> dict[str, int]:
    """Source ids numbered 1..n in file order, for ``[1]``-style citations."""
    return {s.id: i for i, s in enumerate(company.sources, start=1)}


def company_view(company: Company, exposure: Exposure, jur: Jurisdictions) -> dict[str, Any]:
    nums = source_numbers(company)
    return {
        "ticker": company.primary_ticker,
        "tickers": list(company.tickers),
        "former_tickers": list(company.former_tickers),
        "id": company.id,
        "name": company.name,
        "listed": company.listed,
        "hq": company.hq,
        "hq_name": jur.names.get(company.hq, company.hq),
        "hq_tier": jur.tier(company.hq),
        "exposure": exposure.to_dict(nums),
        "segments": [_segment_view(s, jur, nums) for s in company.segments],
        "china": _china_view(company.china, nums),
        "support": [_support_view(s, nums) for s in company.support],
        "revenue": {
            "share": company.ree_revenue_share,
            "basis": company.revenue_basis,
            "note": company.revenue_note,
        },
        "sources": [_source_view(s, nums) for s in company.sources],
        "confidence": company.confidence,
        "as_of": company.as_of.isoformat(),
        "notes": company.notes,
    }


def _cited(ids: tuple[str, ...], nums: dict[str, int]) -> dict[str, Any]:
    """A fact's source ids and their citation numbers."""
    return {"sources": list(ids), "refs": [nums[x] for x in ids if x in nums]}


def _segment_view(s: Segment, jur: Jurisdictions, nums: dict[str, int]) -> dict[str, Any]:
    return {
        "stage": s.stage,
        "country": s.country,
        "tier": jur.tier(s.country),
        "status": s.status,
        "site": s.site,
        "capacity_tpa": s.capacity_tpa,
        "heavy_ree": s.heavy_ree,
        "feed_origin": s.feed_origin,
        "note": s.note,
        "capacity_note": s.capacity_note,
        **_cited(s.sources, nums),
    }


def _china_view(ch: ChinaLinks, nums: dict[str, int]) -> dict[str, Any]:
    return {
        "hq_in_china": ch.hq_in_china,
        "ownership_pct": ch.ownership_pct,
        "state_control": ch.state_control,
        "processing_in_china": ch.processing_in_china,
        "sales_to_china": ch.sales_to_china,
        "notes": ch.notes,
        **_cited(ch.sources, nums),
    }


def _support_view(s: Support, nums: dict[str, int]) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "counterparty": s.counterparty,
        "country": s.country,
        "date": s.date,
        "note": s.note,
        "ree_related": s.ree_related,
        **_cited(s.sources, nums),
    }


def _source_view(s: Citation, nums: dict[str, int]) -> dict[str, Any]:
    return {
        "n": nums[s.id],
        "id": s.id,
        "url": s.url,
        "date": s.date,
        "title": s.title,
        "kind": s.kind,
        "secondary": s.secondary,
    }
