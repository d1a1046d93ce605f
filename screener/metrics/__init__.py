"""Risk metrics over a dates × tickers frame of adjusted closes.

``compute`` returns one row per ticker and one column per entry of the ``METRICS`` registry;
``compute_detailed`` adds why each NaN is NaN and a data-quality table; ``quality`` and
``adv_usd`` are the pieces other modules (gates, lookup) reuse on their own.
"""

from __future__ import annotations

from screener.metrics.core import MetricsResult, compute, compute_detailed
from screener.metrics.liquidity import adv_usd
from screener.metrics.quality import QUALITY_COLUMNS, quality
from screener.metrics.registry import ADV_WINDOW, METRICS, Metric, min_obs

__all__ = [
    "ADV_WINDOW",
    "METRICS",
    "QUALITY_COLUMNS",
    "Metric",
    "MetricsResult",
    "adv_usd",
    "compute",
    "compute_detailed",
    "min_obs",
    "quality",
]
