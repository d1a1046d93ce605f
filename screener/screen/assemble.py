"""Read the store, measure, screen and arrange: the run document of a universe at a date.

The weekly run and ``lookup`` share this step; only the run stores and renders it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from screener.metrics.registry import ADV_WINDOW
from screener.screen.document import RunMeta, build_document, iso_week
from screener.screen.panel import (
    Panel,
    StoreRead,
    compute_risk,
    default_start,
    gate_adv,
    panel_of,
    read_panel,
)
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
    read: StoreRead | None = None,
) -> Assembled:
    """Read the store, compute metrics, build the screen and arrange the document.

    ``extra`` symbols (outside the universe, for ``lookup``) are measured but not screened.
    ``failures`` is updated with symbols that have no stored prices. ``read``: a read of the
    store that covers the symbols from :func:`~screener.screen.panel.default_start` (the
    weekly run reads once for its screen and event study); else the store is read here.
    """
    from screener.screen.table import build

    uni = scored.universe
    symbols = uni.priced_symbols()
    bench = uni.benchmark_symbols()
    extra = [e for e in extra if e not in symbols]
    if read is None:
        panel = read_panel(store, [*symbols, *extra], as_of=as_of, today=today)
    else:
        end = as_of or today
        panel = panel_of(read, [*symbols, *extra], as_of=as_of, start=default_start(end), end=end)
    equities = [s for s in [*symbols, *extra] if s not in bench]
    detailed = compute_risk(panel, equities, bench)
    window = scored.model.gate(preset).get("adv_window_days")
    # The registry's ADV already covers its own window; another gate window is measured apart.
    adv = gate_adv(panel, equities, int(window)) if window and int(window) != ADV_WINDOW else None
    table, robust = build(
        scored, detailed.values, preset=preset, adv_gate_usd=adv, robustness=robustness
    )
    last_errors = _last_errors(store, today)
    for s in _unpriced(panel, symbols):
        failures.setdefault(s, last_errors.get(s, "no stored prices"))
    meta = RunMeta(
        run_id=iso_week(panel.as_of),
        as_of=panel.as_of,
        generated_at=now or datetime.now(UTC),
        source=source_name or _stored_sources(panel),
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


def _stored_sources(panel: Panel) -> str:
    """``store (demo, yahoo)``: where the stored prices of a run that fetched nothing came from."""
    inst = panel.instruments
    srcs = inst["source"].dropna().unique() if "source" in inst else []
    return "store (" + ", ".join(sorted(map(str, srcs))) + ")" if len(srcs) else "store"


def _last_errors(store: Store, today: date) -> dict[str, str]:
    """Each symbol's last fetch error, where its last fetch failed."""
    errors = store.status(today).get("last_error", pd.Series(dtype=object))
    return {str(t): str(e) for t, e in errors.items() if isinstance(e, str) and e}


def _unpriced(panel: Panel, symbols: Sequence[str]) -> list[str]:
    """Symbols of the universe with no stored close up to the panel's date."""
    return [s for s in symbols if s not in panel.close.columns or panel.close[s].dropna().empty]
