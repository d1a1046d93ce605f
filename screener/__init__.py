"""screener: rare-earth supply-chain exposure outside China, paired with price risk.

The data flow, one module per arrow::

    universes/*.yaml -> universe.load -> exposure.score ----------+
                                                                  +-> screen.build -> report
    store <- prices.refresh (yahoo | csv | demo) -> metrics.compute +
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
