"""Arrange the screen into the run document (docs/screen-json.md).

compute (scores, metrics) → **arrange** (this module) → render (report.py: HTML, CSV, JSON).
The document is plain JSON-able data; every renderer reads only it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from screener import __version__
from screener.metrics import METRICS, QUALITY_COLUMNS
from screener.screen.table import QUADRANT_LABELS, RankRobustness
from screener.screen.types import (
    AuditRecord,
    BenchmarkRow,
    CompanyRecord,
    ContextRow,
    DataQualityRecord,
    MetricInfo,
    Risk,
    RiskReasons,
    Row,
    RunDoc,
    RunInfo,
    SeriesRecord,
)
from screener.universe.audit import AuditRow, audit
from screener.universe.profile import company_view
from screener.universe.scored import Scored

SCHEMA_VERSION = 1
#: How many of ``universe audit``'s companies the document keeps (the report's re-check table).
AUDIT_TOP = 10


def clean(x: Any) -> Any:
    """JSON-safe: NaN/NaT → None, numpy scalars → Python, dates → ISO text, tuples → lists."""
    if isinstance(x, Mapping):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [clean(v) for v in x.tolist()]
    if x is None or x is pd.NaT or x is pd.NA:  # pd.NA: nullable columns (quality.stale_days)
        return None
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(x, pd.Timestamp):
        return x.date().isoformat()
    if isinstance(x, (date, datetime)):
        return x.isoformat()
    return x


@dataclass(frozen=True)
class RunMeta:
    run_id: str
    as_of: date
    generated_at: datetime
    source: str
    synthetic: bool
    preset: str


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def risk_row(
    values: pd.DataFrame, reasons: pd.DataFrame, ticker: str | None
) -> tuple[Risk, RiskReasons]:
    names = [m for m in METRICS if m in values.columns]
    if ticker is None or ticker not in values.index:
        return {m: None for m in names}, {"*": "no stored prices"}
    row = values.loc[ticker]  # one row lookup, not one .at per metric
    risk = {m: clean(row[m]) for m in names}
    why = {}
    if ticker in reasons.index:
        given = reasons.loc[ticker]
        for m in names:
            r = given.get(m)
            if risk[m] is None and isinstance(r, str) and r:
                why[m] = r
    return risk, why


def weekly_closes(close: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Each ticker's last close of each week ending Friday, up to ``as_of`` (rows: weeks).

    NaN where a ticker did not trade that week. One grouping for all tickers: the document
    reads each company's weekly closes from it instead of grouping each ticker's series again.
    """
    upto = close.loc[close.index <= pd.Timestamp(as_of)]
    return upto.groupby(upto.index.to_period("W-FRI")).last()


def weekly_series(
    close: pd.DataFrame,
    ticker: str,
    as_of: date,
    weeks: int = 53,
    *,
    weekly: pd.DataFrame | None = None,
) -> SeriesRecord:
    """~1 year of week-end closes for a card (each ticker on its own trading days).

    ``weekly``: :func:`weekly_closes` of ``close``, when the caller has it already.
    """
    if ticker not in close.columns:
        return {"dates": [], "close": []}
    if weekly is None:
        weekly = weekly_closes(close[[ticker]], as_of)
    last = weekly[ticker].dropna().tail(weeks)
    if last.empty:
        return {"dates": [], "close": []}
    # Labelled by week end (Friday), but never after as_of: a mid-week as_of would otherwise
    # date the partial week's last close in the future.
    ends = pd.PeriodIndex(last.index).end_time.date
    dates = [min(d, as_of).isoformat() for d in ends]
    return {"dates": dates, "close": [clean(v) for v in last.to_numpy()]}


def profile_fields(view: Mapping[str, Any]) -> CompanyRecord:
    """``universe.profile.company_view`` as the document's typed profile record (same order)."""
    return {
        "ticker": view["ticker"],
        "tickers": view["tickers"],
        "former_tickers": view["former_tickers"],
        "id": view["id"],
        "name": view["name"],
        "listed": view["listed"],
        "hq": view["hq"],
        "hq_name": view["hq_name"],
        "hq_tier": view["hq_tier"],
        "exposure": view["exposure"],
        "segments": view["segments"],
        "china": view["china"],
        "support": view["support"],
        "revenue": view["revenue"],
        "sources": view["sources"],
        "confidence": view["confidence"],
        "as_of": view["as_of"],
        "notes": view["notes"],
    }


@dataclass(frozen=True)
class _Frames:
    """The measured inputs a row reads: metrics, their null reasons, data quality, closes."""

    values: pd.DataFrame
    reasons: pd.DataFrame
    quality: pd.DataFrame
    close: pd.DataFrame
    instruments: pd.DataFrame
    failures: Mapping[str, str]
    last_errors: Mapping[str, str]
    weekly: pd.DataFrame | None = None  # weekly_closes(close, as_of), for the cards


def _data_quality(frames: _Frames, ticker: str | None) -> DataQualityRecord:
    dq: dict[str, Any] = dict.fromkeys(QUALITY_COLUMNS)
    if ticker in frames.quality.index:
        dq.update({k: clean(v) for k, v in frames.quality.loc[ticker].items()})
    instruments = frames.instruments
    src = instruments["source"].get(ticker) if "source" in instruments else None
    dq["source"] = clean(src)
    dq["last_error"] = frames.last_errors.get(ticker or "") or frames.failures.get(ticker or "")
    record: DataQualityRecord = clean(dq)
    return record


def _row(
    t: pd.Series[Any],
    view: Mapping[str, Any],
    frames: _Frames,
    meta: RunMeta,
    with_series: bool,
) -> Row:
    """One listed company: its profile, then the screen table's row ``t`` and its measures."""
    ticker = view["ticker"]
    risk, why = risk_row(frames.values, frames.reasons, ticker)
    return {
        "rank": int(t["rank"]),
        **profile_fields(view),
        "risk": risk,
        "risk_reasons": why,
        "gates": {
            "preset": meta.preset,
            "market_cap": clean(t["gate_market_cap"]),
            "adv": clean(t["gate_adv"]),
            "adv_usd": clean(t["adv_gate_usd"]),
            "pass": clean(t["gate_pass"]),
        },
        "quadrant": clean(t["quadrant"]),
        "quadrant_label": QUADRANT_LABELS.get(str(t["quadrant"])),
        "frontier": bool(t["frontier"]),
        "exposure_per_vol": clean(t["exposure_per_vol"]),
        "percentiles": {
            "score": clean(t["pct_score"]),
            "vol_1y": clean(t["pct_vol_1y"]),
            "exposure_per_vol": clean(t["pct_exposure_per_vol"]),
        },
        "rank_robustness": {
            "median_rank": clean(t["rank_median"]),
            "p05": clean(t["rank_p05"]),
            "p95": clean(t["rank_p95"]),
            "unstable": None if pd.isna(t["rank_unstable"]) else bool(t["rank_unstable"]),
        },
        "data_quality": _data_quality(frames, ticker),
        "series": (
            weekly_series(frames.close, ticker, meta.as_of, weekly=frames.weekly)
            if ticker and with_series
            else {"dates": [], "close": []}
        ),
        # filled in by the run (screen.basket_doc.apply)
        "basket_weight": None,
        "basket_weight_invvol": None,
        "price": None,
    }


def _context(scored: Scored) -> list[ContextRow]:
    return [
        {
            **profile_fields(company_view(c, e, scored.jurisdictions)),
            "reason": "delisted" if c.former_tickers else "private or not listed",
        }
        for c, e in scored.ranked()
        if not c.listed
    ]


def _benchmarks(scored: Scored, frames: _Frames) -> list[BenchmarkRow]:
    out: list[BenchmarkRow] = []
    for b in scored.universe.benchmarks:
        risk, why = risk_row(frames.values, frames.reasons, b.symbol)
        out.append(
            {
                "symbol": b.symbol,
                "name": b.name,
                "role": b.role,
                "notes": b.notes,
                "risk": risk,
                "risk_reasons": why,
            }
        )
    return out


def fact_dates(scored: Scored) -> tuple[str | None, str | None]:
    """The newest and the median ``as_of`` of the universe's companies (ISO dates).

    The median of an even count is the lower middle, so it is always a real profile's date.
    """
    dates = sorted(c.as_of for c in scored.universe.companies)
    if not dates:
        return None, None
    return dates[-1].isoformat(), dates[(len(dates) - 1) // 2].isoformat()


def _audit_record(row: AuditRow) -> AuditRecord:
    return {
        "id": row.company_id,
        "ticker": row.ticker,
        "name": row.name,
        "rank": row.rank,
        "score": row.score,
        "low": row.low,
        "high": row.high,
        "best_rank": row.best_rank,
        "worst_rank": row.worst_rank,
        "secondary_only": list(row.secondary_only),
        "missing_capacity": list(row.missing_capacity),
        "missing_feed": list(row.missing_feed),
        "age_days": row.age_days,
        "reasons": row.reasons(),
    }


def audit_top(scored: Scored, n: int = AUDIT_TOP) -> list[AuditRecord]:
    """``universe audit``'s first ``n`` companies: the ones a wrong fact could mislead most.

    Stored in the document so a re-rendered run needs no universe file.
    """
    return [_audit_record(r) for r in audit(scored)[:n]]


def _run_info(scored: Scored, meta: RunMeta) -> RunInfo:
    uni, model, jur = scored.universe, scored.model, scored.jurisdictions
    newest, median = fact_dates(scored)
    return {
        "id": meta.run_id,
        "week": iso_week(meta.as_of),
        "as_of": meta.as_of.isoformat(),
        "generated_at": meta.generated_at.isoformat(timespec="seconds"),
        "universe": {
            "name": uni.name,
            "title": uni.title,
            "version": uni.version,
            "path": str(uni.path),
            "hash": uni.sha256,
            "companies": len(uni.companies),
            "listed": len(uni.listed),
            "newest_fact": newest,
            "median_fact": median,
        },
        "source": meta.source,
        "synthetic": meta.synthetic,
        "preset": meta.preset,
        "preset_label": model.gate(meta.preset).get("label", meta.preset),
        "weights": dict(model.weights),
        # model parameters in force, with the jurisdiction tiers they were read with
        "model": {
            **dict(model.raw),
            "jurisdictions": {
                "tiers": {
                    t: {"weight": w, "countries": jur.members(t)}
                    for t, w in jur.tier_weights.items()
                },
                "default_tier": jur.default_tier,
            },
        },
        "tool_version": __version__,
    }


def _metric_infos() -> list[MetricInfo]:
    return [
        {
            "name": m.name,
            "label": m.label,
            "unit": m.unit,
            "description": m.description,
            "formula": m.formula,
            "reference": m.reference,
            "fmt": m.fmt,
        }
        for m in METRICS.values()
    ]


def build_document(
    scored: Scored,
    table: pd.DataFrame,
    robust: RankRobustness,
    *,
    meta: RunMeta,
    values: pd.DataFrame,
    reasons: pd.DataFrame,
    quality: pd.DataFrame,
    close: pd.DataFrame,
    instruments: pd.DataFrame,
    failures: Mapping[str, str],
    last_errors: Mapping[str, str] | None = None,
    series_for: Collection[str] | None = None,
) -> RunDoc:
    """Everything a renderer needs; ``changes``, ``takeaways``, ``events`` and the basket
    (``basket``, the rows' weights and ``price``) are filled in by the caller."""
    dated = isinstance(close.index, pd.DatetimeIndex) and len(close.columns) > 0
    weekly = weekly_closes(close, meta.as_of) if dated else None
    frames = _Frames(
        values, reasons, quality, close, instruments, failures, last_errors or {}, weekly
    )
    companies = {c.id: c for c in scored.universe.companies}
    rows: list[Row] = []
    for cid, t in table.iterrows():
        c = companies[str(cid)]
        view = company_view(c, scored.exposures[c.id], scored.jurisdictions)
        rows.append(_row(t, view, frames, meta, series_for is None or c.id in series_for))
    document: RunDoc = {
        "schema_version": SCHEMA_VERSION,
        "run": _run_info(scored, meta),
        "rows": rows,
        "context": _context(scored),
        "benchmarks": _benchmarks(scored, frames),
        "rank_robustness": {
            "draws": robust.draws,
            "concentration": robust.concentration,
            "seed": robust.seed,
            "median_kendall_tau": robust.median_kendall_tau,
        },
        "changes": None,
        "failures": [{"ticker": k, "reason": v} for k, v in sorted(failures.items())],
        "metrics": _metric_infos(),
        "takeaways": [],
        "audit": audit_top(scored),
        "events": None,
        "basket": None,
    }
    cleaned: RunDoc = clean(document)  # JSON-safe: numpy scalars, NaN and dates made plain
    return cleaned


def by_id(doc: RunDoc) -> dict[str, Row]:
    return {r["id"]: r for r in doc["rows"]}


def primary_tickers(rows: Sequence[Row]) -> list[str]:
    return [r["ticker"] for r in rows if r["ticker"]]
