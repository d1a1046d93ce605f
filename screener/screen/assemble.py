"""Read the store, measure, screen and arrange: the run document of a universe at a date.

The weekly run and ``lookup`` share this step; only the run stores and renders it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from screener.screen.document import RunMeta, build_document, iso_week
from screener.screen.panel import Panel, compute_risk, read_panel
from screener.screen.types import RunDoc
from screener.universe.scored import Scored

if TYPE_CHECKING:
    from screener.store import Store


@dataclass(frozen=True)
class Assembled:
    document: RunDoc
    panel: Panel
    values: pd.DataFrame  # metrics of every symbol read (universe, benchmarks, extras)
    reasons: pd.DataFrame
    quality: pd.DataFrame


def assemble(
    scored: Scored,
    store: Store,
    *,
    as_of: date | None,
    today: date,
    preset: str,
    source_name: str | None,
    failures: dict[str, str],
    extra: Sequence[str] = (),
    now: datetime | None = None,
    robustness: bool = True,
    series_for: Collection[str] | None = None,
) -> Assembled:
    """Read the store, compute metrics, build the screen and arrange the document.

    ``extra`` symbols (outside the universe, for ``lookup``) are measured but not screened.
    ``failures`` is updated with symbols that have no stored prices.
    """
    from screener.screen.table import build

    uni = scored.universe
    symbols = uni.priced_symbols()
    bench = uni.benchmark_symbols()
    extra = [e for e in extra if e not in symbols]
    panel = read_panel(store, [*symbols, *extra], as_of=as_of, today=today)
    if source_name is None:
        srcs = (
            panel.instruments["source"].dropna().unique() if "source" in panel.instruments else []
        )
        source_name = "store (" + ", ".join(sorted(map(str, srcs))) + ")" if len(srcs) else "store"
    equities = [s for s in [*symbols, *extra] if s not in bench]
    detailed = compute_risk(panel, equities, bench)
    adv = None
    gate = scored.model.gate(preset)
    if gate.get("adv_window_days") and int(gate["adv_window_days"]) != 63:
        from screener.metrics import adv_usd

        cols = [s for s in equities if s in panel.close.columns]
        adv = adv_usd(
            panel.raw_close[cols],
            panel.volume.reindex(index=panel.raw_close.index, columns=cols),
            fx=panel.fx if not panel.fx.empty else None,
            currency={s: panel.currency.get(s, "USD") for s in cols},
            window=int(gate["adv_window_days"]),  # the panel already ends at as_of
        )
    table, robust = build(
        scored, detailed.values, preset=preset, adv_gate_usd=adv, robustness=robustness
    )
    status = store.status(today)
    last_errors = {
        str(t): str(e)
        for t, e in status.get("last_error", pd.Series(dtype=object)).items()
        if isinstance(e, str) and e
    }
    for s in symbols:
        if s not in panel.close.columns or panel.close[s].dropna().empty:
            failures.setdefault(s, last_errors.get(s, "no stored prices"))
    meta = RunMeta(
        run_id=iso_week(panel.as_of),
        as_of=panel.as_of,
        generated_at=now or datetime.now(UTC),
        source=source_name,
        synthetic=panel.synthetic,
        preset=preset,
    )
    doc = build_document(
        scored,
        table,
        robust,
        meta=meta,
        values=detailed.values,
        reasons=detailed.reasons,
        quality=detailed.quality,
        close=panel.close,
        instruments=panel.instruments,
        failures=failures,
        last_errors=last_errors,
        series_for=series_for,
    )
    return Assembled(doc, panel, detailed.values, detailed.reasons, detailed.quality)
