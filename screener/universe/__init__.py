"""Stage 1 of the flow: universe files → validated records → exposure scores.

``load`` reads and validates a universe YAML into frozen :mod:`records`; :mod:`model` holds
the scoring parameters; :mod:`exposure` scores a company (pure); :mod:`scored` loads all of it
together; :mod:`profile` is one company's exposure view as plain data.
"""

from __future__ import annotations

#: The liquidity-gate presets of the scoring model (``model.yaml`` ``gates``). Here rather than
#: in :mod:`model` so that the command line can offer them without importing the model's
#: schema and YAML reader (about 30 ms of every ``lookup``).
PRESETS: tuple[str, ...] = ("mvis", "eqm", "none")
