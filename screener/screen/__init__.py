"""Stage 4 of the flow: scores + metrics → the screen table → the typed run document.

:mod:`panel` reads what the store holds; :mod:`table` builds the screen (gates, pairing, rank
robustness); :mod:`document` arranges the run document every renderer reads; :mod:`history`
compares two runs.
"""
