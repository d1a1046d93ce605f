r"""screener: rare-earth supply-chain exposure outside China, paired with price risk.

The data flow, one stage package per arrow (docs/architecture.md)::

    universes/*.yaml -> universe (load, score) --------------------------+
                                                                         +-> screen -> report
    sources (yahoo | csv | demo) -> store (check, refresh) -> metrics ---+        \-> lookup

``pipeline`` runs the weekly job through every stage; ``cli`` parses and calls one function.
Imports point only down this flow (tests/test_layout.py keeps it so).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
