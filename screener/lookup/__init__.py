"""Stage 5 of the flow, for one company: resolve what the user typed, measure it, show it.

:mod:`query` finds the company and assembles its view (fresh prices unless offline);
:mod:`text` prints that view for a terminal.
"""
