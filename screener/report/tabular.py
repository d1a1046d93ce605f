"""The run document as files: ``screen.csv``, ``screen.json``, and all three outputs written.

All three outputs are written atomically (temp file in the target directory, fsync,
``os.replace``) after all three have rendered, so a failed render leaves the previous files.

Numbers are rounded here, at the writer, to the precision they mean (docs/screen-json.md,
"Precision"): USD amounts to whole dollars, every other float to 6 significant digits, so a
file never shows float noise such as ``29.279999999999998``. The document in memory and the
stored run keep full precision.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from screener.errors import ScreenerError
from screener.fileio import atomic_write_text
from screener.report.html import render_report
from screener.screen.types import Row, RunDoc
from screener.universe.model import FACTORS

__all__ = ["csv_columns", "csv_text", "json_text", "write_outputs"]

# The metrics' data-quality columns (less `synthetic`: the CSV's last column says it for every
# row) plus the price source and the last fetch error. Spelled out rather than imported so that
# re-rendering a stored run does not load numpy/scipy; tests/test_report.py holds them equal.
_DQ_FIELDS = (
    "observations",
    "first_date",
    "last_date",
    "gaps",
    "stale_days",
    "flagged_jumps",
    "currency",
    "source",
    "last_error",
)
# Cells that start like a spreadsheet formula are prefixed with ' (OWASP "CSV injection"):
# names and error texts are untrusted and the CSV is meant to be opened in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_columns(doc: RunDoc) -> list[str]:
    """The flat CSV header, in the order docs/screen-json.md gives.

    Risk metrics follow the metric registry (``doc.metrics``) in its order; a risk key that a
    row carries but the registry lacks is appended (sorted) rather than dropped.
    """
    cols = ["rank", "ticker", "id", "name", "hq", "score", "score_low", "score_high"]
    cols += ["raw_score", "china_multiplier"]
    for f in _factor_names(doc):
        cols += [f"{f}_value", f"{f}_points"]
    cols.append("flags")
    registry = [m["name"] for m in doc["metrics"]]
    extra = sorted({k for r in doc["rows"] for k in r["risk"]} - set(registry))
    cols += registry + extra
    cols += ["gate_market_cap", "gate_adv", "gate_pass", "quadrant", "frontier", "exposure_per_vol"]
    cols += ["basket_weight", "basket_weight_invvol"]
    cols += [f"dq_{f}" for f in _DQ_FIELDS]
    cols.append("synthetic")
    return cols


def _factor_names(doc: RunDoc) -> list[str]:
    return list(doc["run"]["weights"]) or list(FACTORS)


#: Significant digits of a float in screen.json and screen.csv (USD amounts: whole dollars).
SIGNIFICANT = 6


def _is_usd(key: str) -> bool:
    return key.endswith("_usd")


def rounded(value: float, key: str = "") -> float:
    """``value`` at the precision the files carry: a ``*_usd`` key to whole dollars, any other
    float to :data:`SIGNIFICANT` significant digits (``29.279999999999998`` -> ``29.28``)."""
    if not math.isfinite(value):
        return value
    if _is_usd(key):
        return float(round(value))
    return float(f"{value:.{SIGNIFICANT}g}")


def rounded_tree(value: Any, key: str = "") -> Any:
    """A copy of a JSON tree with every float :func:`rounded` by the key it sits under."""
    if isinstance(value, float):
        return round(value) if _is_usd(key) and math.isfinite(value) else rounded(value, key)
    if isinstance(value, dict):
        return {k: rounded_tree(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded_tree(v, key) for v in value]
    return value


def _number_text(value: float) -> str:
    """A rounded float as short text: ``12.0`` -> ``12``, ``0.5834`` -> ``0.5834``."""
    return f"{value:.{SIGNIFICANT}g}" if abs(value) < 1e15 else repr(value)


def _csv_cell(value: Any, key: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if _is_usd(key):
            return str(round(value))
        return _number_text(rounded(value, key))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_record(doc: RunDoc, row: Row, cols: list[str]) -> list[str]:
    exp, gates, dq = row["exposure"], row["gates"], row["data_quality"]
    rec: dict[str, Any] = {
        "rank": row["rank"],
        "ticker": row["ticker"],
        "id": row["id"],
        "name": row["name"],
        "hq": row["hq"],
        "score": exp["score"],
        "score_low": exp["low"],
        "score_high": exp["high"],
        "raw_score": exp["raw_score"],
        "china_multiplier": exp["china_multiplier"],
        "flags": ";".join(exp["flags"]),
        "gate_market_cap": gates["market_cap"],
        "gate_adv": gates["adv"],
        "gate_pass": gates["pass"],
        "quadrant": row["quadrant"],
        "frontier": row["frontier"],
        "exposure_per_vol": row["exposure_per_vol"],
        # absent in runs stored before the basket was kept: empty cells, not zeros
        "basket_weight": row.get("basket_weight"),
        "basket_weight_invvol": row.get("basket_weight_invvol"),
        "synthetic": dq["synthetic"],
    }
    for f in _factor_names(doc):
        fac = exp["factors"][f]
        rec[f"{f}_value"], rec[f"{f}_points"] = fac["value"], fac["points"]
    dq_fields: dict[str, Any] = dict(dq)
    for f in _DQ_FIELDS:
        rec[f"dq_{f}"] = dq_fields[f]
    return [_csv_cell(rec[c] if c in rec else row["risk"].get(c), c) for c in cols]


def csv_text(doc: RunDoc) -> str:
    """``screen.csv``: one line per listed company, columns from :func:`csv_columns`."""
    cols = csv_columns(doc)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in doc["rows"]:
        w.writerow(_csv_record(doc, row, cols))
    return buf.getvalue()


def json_text(doc: RunDoc) -> str:
    """``screen.json``: the document indented by two spaces, its floats :func:`rounded`, each
    list of numbers (or nulls) on one line. NaN/inf are refused: the contract says null.

    One pass over the tree writes the text, rounds and checks: ``json.dumps`` with ``indent``
    runs its pure-Python encoder, and with a separate rounding copy and NaN search it took
    0.109 s on the demo document against 0.076 s for this. The output is byte for byte what
    ``json.dumps(rounded_tree(doc), indent=2, ensure_ascii=False)`` gives with the number
    lists joined (``tests/test_report.py`` compares the two).
    """
    out: list[str] = []
    _write(doc, "", "\n", out, "doc")
    out.append("\n")
    return "".join(out)


_encode_str = json.encoder.encode_basestring


def _scalar(value: Any, key: str, path: str) -> str | None:
    """JSON text of a scalar (None when ``value`` is a container)."""
    if isinstance(value, str):
        return str(_encode_str(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScreenerError(
                f"screen document holds a non-finite number at {path}; "
                "a value that could not be computed must be null (docs/screen-json.md)"
            )
        if _is_usd(key):  # whole dollars, written as an integer (as rounded_tree gives)
            return int.__repr__(round(value))
        return float.__repr__(rounded(value, key))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, (dict, list, tuple)):
        return None
    raise TypeError(f"{path}: {type(value).__name__} is not JSON serialisable")


def _write(value: Any, key: str, newline: str, out: list[str], path: str) -> None:
    """Append the text of ``value`` (under ``key``, at the indent ``newline`` carries)."""
    text = _scalar(value, key, path)
    if text is not None:
        out.append(text)
        return
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            name = _key_text(k)
            out.append(("," if i else "") + inner + _encode_str(name) + ": ")
            _write(v, name, inner, out, f"{path}.{k}")
        out.append(newline + "}")
        return
    if not value:
        out.append("[]")
        return
    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value):
        texts = [_scalar(v, key, f"{path}[{i}]") for i, v in enumerate(value)]
        out.append("[" + ", ".join(t for t in texts if t is not None) + "]")
        return
    out.append("[")
    for i, v in enumerate(value):
        out.append(("," if i else "") + inner)
        _write(v, key, inner, out, f"{path}[{i}]")
    out.append(newline + "]")


def _key_text(key: Any) -> str:
    """A mapping key as JSON writes it (keys are text: numbers and constants spelled out)."""
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, float):
        return float.__repr__(key)
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def write_outputs(doc: RunDoc, out_dir: Path) -> dict[str, Path]:
    """Write ``report.html``, ``screen.csv`` and ``screen.json`` into ``out_dir``.

    Everything renders in memory first; only then is each file replaced atomically, so a
    rendering error never leaves a half-written or mixed set behind.
    """
    out_dir = Path(out_dir)
    # JSON first: it validates the document (no NaN) before anything is rendered.
    data = json_text(doc)
    texts = {"report.html": render_report(doc), "screen.csv": csv_text(doc), "screen.json": data}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScreenerError(
            f"cannot create output folder {out_dir}: {e.strerror}; pass another --out"
        ) from e
    paths: dict[str, Path] = {}
    for name, text in texts.items():
        target = out_dir / name
        try:
            atomic_write_text(target, text)
        except OSError as e:
            raise ScreenerError(
                f"cannot write {target}: {e.strerror}; check the folder's permissions"
            ) from e
        paths[name] = target
    return paths
