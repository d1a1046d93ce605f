"""Jinja filters: numbers and codes in, plain text out.

Every filter returns ``str`` (never ``Markup``), so the template's autoescape still escapes what
they return; a filter cannot smuggle HTML into the page. ``None`` (a value the screen could not
compute) renders as an en dash, never as 0.

Conventions, one per kind of number:

* returns (``ret_*``) are signed percentages: ``+12.3%``, ``-4.0%``;
* volatility, drawdown, VaR and other fractions are percentages: ``61.0%``;
* USD amounts are compact: ``USD 950k``, ``USD 12.3m``, ``USD 1.2bn``;
* dates are ISO 8601 (``2026-11-27``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from screener.screen.table import QUADRANT_LABELS

DASH = "–"  # en dash: the "not computed" mark

MetricKind = Literal["signed_pct", "pct", "usd", "days", "ratio", "number"]


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def num(x: Any, digits: int = 1) -> str:
    """A plain number with ``digits`` decimals; ``None`` -> en dash."""
    if _is_missing(x):
        return DASH
    return f"{float(x):,.{digits}f}"


def pct(x: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.61`` -> ``61.0%``."""
    if _is_missing(x):
        return DASH
    return f"{100.0 * float(x):.{digits}f}%"


def signed_pct(x: Any, digits: int = 1) -> str:
    """A return as a signed percentage: ``0.123`` -> ``+12.3%``; zero has no sign."""
    if _is_missing(x):
        return DASH
    v = 100.0 * float(x)
    text = f"{v:+.{digits}f}%"
    # "-0.0%" / "+0.0%" say more than the data does.
    return text[1:] if float(text[1:-1]) == 0.0 else text


def pp(x: Any, digits: int = 1) -> str:
    """A difference of two fractions in signed percentage points: ``0.044`` -> ``+4.4 pp``."""
    if _is_missing(x):
        return DASH
    text = f"{100.0 * float(x):+.{digits}f}"
    return (text[1:] if float(text[1:]) == 0.0 else text) + " pp"


def pvalue(x: Any) -> str:
    """A p-value with three decimals; below 0.001 as ``<0.001``."""
    if _is_missing(x):
        return DASH
    return "<0.001" if float(x) < 0.001 else f"{float(x):.3f}"


def usd(x: Any, prefix: bool = True) -> str:
    """A USD amount, compact: ``12_300_000`` -> ``USD 12.3m``; ``1.2e9`` -> ``USD 1.2bn``.

    ``prefix=False`` drops the ``USD`` for table cells whose column header names the currency.
    """
    if _is_missing(x):
        return DASH
    v = float(x)
    sign = "-" if v < 0 else ""
    a = abs(v)
    units = ((1.0, ""), (1e3, "k"), (1e6, "m"), (1e9, "bn"), (1e12, "tn"))
    i = max(k for k, (scale, _) in enumerate(units) if a >= scale or k == 0)
    # 999.96m would print as "1000.0m" (and 999.6 as "1000"): promote it to the next unit.
    if i + 1 < len(units) and round(a / units[i][0], 0 if i == 0 else 1) >= 1000:
        i += 1
    scale, suffix = units[i]
    cur = "USD " if prefix else ""
    return f"{cur}{sign}{a:.0f}" if i == 0 else f"{cur}{sign}{a / scale:.1f}{suffix}"


def isodate(x: Any) -> str:
    """A date (or ISO string) as ``YYYY-MM-DD``; a timestamp keeps its time in ISO form."""
    if x is None or x == "":
        return DASH
    if isinstance(x, datetime):
        return x.isoformat(timespec="seconds")
    if isinstance(x, date):
        return x.isoformat()
    return str(x)


def yesno(x: Any, yes: str = "yes", no: str = "no", unknown: str = "unknown") -> str:
    """A tri-state boolean as text (``None`` is unknown, not false)."""
    if x is None:
        return unknown
    return yes if x else no


def sortval(x: Any) -> str:
    """The value of a ``data-sort-value`` attribute: numbers in full precision, ``None`` empty.

    The table's script sorts numerically when both values parse as numbers and puts empty
    values last in either direction.
    """
    if _is_missing(x):
        return ""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int | float):
        return repr(float(x))
    return str(x)


def metric_kind(name: str, unit: str = "") -> MetricKind:
    """How a risk metric is displayed, from its registry name and unit.

    Names carry the convention of the metric registry (``ret_*`` returns, ``*_usd`` amounts,
    ``vol_*``/``*dd*``/``var``/``cvar`` fractions); the unit decides the rest.
    """
    u = unit.lower()
    if name.startswith("ret_") or "return" in u:
        return "signed_pct"
    if u == "usd" or (not u and name.endswith("_usd")):
        return "usd"
    if "day" in u and "per" not in u:
        return "days"
    if "percentile" in u or "rank" in u:
        return "number"
    if (
        name.startswith(("vol", "var", "cvar", "max_dd", "dd", "ewma"))
        or "_dd" in name
        or u in {"annualised", "annualized", "fraction", "share", "probability"}
    ):
        return "pct"
    if name.startswith(("beta", "corr")) or u in {"ratio", "beta", "correlation"}:
        return "ratio"
    return "number"


_KIND_FORMAT: dict[MetricKind, Callable[[Any], str]] = {
    "signed_pct": signed_pct,
    "pct": pct,
    "usd": usd,
    "days": lambda x: num(x, 1) if _is_missing(x) else f"{float(x):,.1f} d",
    "ratio": lambda x: num(x, 2),
    "number": lambda x: num(x, 2),
}


def metric(x: Any, name: str, unit: str = "", bare: bool = False) -> str:
    """Format a risk metric value by its kind (see :func:`metric_kind`).

    ``bare=True`` leaves out a unit the column header already states (``USD``, ``d``).
    """
    kind = metric_kind(name, unit)
    if bare and kind == "usd":
        return usd(x, prefix=False)
    if bare and kind == "days":
        return num(x, 1)
    return _KIND_FORMAT[kind](x)


def quadrant(code: Any) -> str:
    """A quadrant code as words; ``None`` (no volatility) says so."""
    if code is None:
        return "not placed (no volatility)"
    return QUADRANT_LABELS.get(str(code), str(code))


def label(code: Any) -> str:
    """A snake_case code as words: ``metal_alloy`` -> ``metal alloy``."""
    if code is None:
        return DASH
    return str(code).replace("_", " ")


FILTERS: dict[str, Callable[..., str]] = {
    "num": num,
    "pct": pct,
    "signed_pct": signed_pct,
    "pp": pp,
    "pvalue": pvalue,
    "usd": usd,
    "isodate": isodate,
    "yesno": yesno,
    "sortval": sortval,
    "metric": metric,
    "quadrant": quadrant,
    "label": label,
}
