"""Stage 5 of the flow, for one company: resolve what the user typed, measure it, show it.

:mod:`resolve` finds the company (or keeps a symbol outside the universe); :mod:`query`
assembles each view (fresh prices unless offline) into :class:`query.CompanyViews`;
:mod:`text` prints those views for a terminal.
"""
