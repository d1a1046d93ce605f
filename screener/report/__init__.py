"""Stage 5 of the flow: the run document rendered (HTML report, card page, CSV, JSON).

Renderers arrange; they never compute. :mod:`context` and :mod:`card` turn the document into
frozen view records, :mod:`charts` lays out SVG geometry, :mod:`formatters` are the jinja
filters, :mod:`takeaways` writes the plain sentences of the summary, :mod:`html` renders
and :mod:`tabular` writes CSV and JSON.
"""
