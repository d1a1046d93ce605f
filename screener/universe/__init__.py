"""Stage 1 of the flow: universe files → validated records → exposure scores.

``load`` reads and validates a universe YAML into frozen :mod:`records`; :mod:`model` holds
the scoring parameters; :mod:`exposure` scores a company (pure); :mod:`scored` loads all of it
together; :mod:`profile` is one company's exposure view as plain data.
"""
