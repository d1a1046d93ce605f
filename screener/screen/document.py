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
from screener.universe.profile import company_view
from screener.universe.scored import Scored

SCHEMA_VERSION = 1


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
) -> tuple[dict[str, Any], dict[str, Any]]:
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


def weekly_series(
    close: pd.DataFrame, ticker: str, as_of: date, weeks: int = 53
) -> dict[str, list[Any]]:
    """~1 year of week-end closes for a sparkline (each ticker on its own trading days)."""
    if ticker not in close.columns:
        return {"dates": [], "close": []}
    s = close[ticker].dropna()
    s = s[s.index <= pd.Timestamp(as_of)]
    if s.empty:
        return {"dates": [], "close": []}
    weekly = s.groupby(s.index.to_period("W-FRI")).last().tail(weeks)
    # Labelled by week end (Friday), but never after as_of: a mid-week as_of would otherwise
    # date the partial week's last close in the future.
    dates = [min(p.end_time.date(), as_of).isoformat() for p in weekly.index]
    return {"dates": dates, "close": [clean(v) for v in weekly.to_numpy()]}


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
) -> dict[str, Any]:
    """Everything a renderer needs; ``changes`` and ``takeaways`` are filled in by the caller."""
    uni, model = scored.universe, scored.model
    companies = {c.id: c for c in uni.companies}
    rows: list[dict[str, Any]] = []
    for cid, t in table.iterrows():
        c = companies[str(cid)]
        view = company_view(c, scored.exposures[c.id], scored.jurisdictions)
        ticker = c.primary_ticker
        risk, why = risk_row(values, reasons, ticker)
        dq: dict[str, Any] = dict.fromkeys(QUALITY_COLUMNS)
        if ticker in quality.index:
            dq.update({k: clean(v) for k, v in quality.loc[ticker].items()})
        src = instruments["source"].get(ticker) if "source" in instruments else None
        dq["source"] = clean(src)
        dq["last_error"] = (last_errors or {}).get(ticker or "") or failures.get(ticker or "")
        rows.append(
            {
                "rank": int(t["rank"]),
                **view,
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
                "data_quality": dq,
                "series": (
                    weekly_series(close, ticker, meta.as_of)
                    if ticker and (series_for is None or c.id in series_for)
                    else {"dates": [], "close": []}
                ),
            }
        )
    context = [
        {
            **company_view(c, e, scored.jurisdictions),
            "reason": "delisted" if c.former_tickers else "private or not listed",
        }
        for c, e in scored.ranked()
        if not c.listed
    ]
    benchmarks = []
    for b in uni.benchmarks:
        risk, why = risk_row(values, reasons, b.symbol)
        benchmarks.append(
            {
                "symbol": b.symbol,
                "name": b.name,
                "role": b.role,
                "notes": b.notes,
                "risk": risk,
                "risk_reasons": why,
            }
        )
    preset = model.gate(meta.preset)
    document: dict[str, Any] = clean(
        {
            "schema_version": SCHEMA_VERSION,
            "run": {
                "id": meta.run_id,
                "week": iso_week(meta.as_of),
                "as_of": meta.as_of,
                "generated_at": meta.generated_at.isoformat(timespec="seconds"),
                "universe": {
                    "name": uni.name,
                    "title": uni.title,
                    "version": uni.version,
                    "path": str(uni.path),
                    "hash": uni.sha256,
                    "companies": len(uni.companies),
                    "listed": len(uni.listed),
                },
                "source": meta.source,
                "synthetic": meta.synthetic,
                "preset": meta.preset,
                "preset_label": preset.get("label", meta.preset),
                "weights": dict(model.weights),
                # model parameters in force, with the jurisdiction tiers they were read with
                "model": {
                    **dict(model.raw),
                    "jurisdictions": {
                        "tiers": {
                            t: {"weight": w, "countries": scored.jurisdictions.members(t)}
                            for t, w in scored.jurisdictions.tier_weights.items()
                        },
                        "default_tier": scored.jurisdictions.default_tier,
                    },
                },
                "tool_version": __version__,
            },
            "rows": rows,
            "context": context,
            "benchmarks": benchmarks,
            "rank_robustness": {
                "draws": robust.draws,
                "concentration": robust.concentration,
                "seed": robust.seed,
                "median_kendall_tau": robust.median_kendall_tau,
            },
            "changes": None,
            "failures": [{"ticker": k, "reason": v} for k, v in sorted(failures.items())],
            "metrics": [
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
            ],
            "takeaways": [],
        }
    )
    return document


def by_id(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {r["id"]: r for r in doc["rows"]}


def primary_tickers(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [r["ticker"] for r in rows if r.get("ticker")]
