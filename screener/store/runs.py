"""Weekly run history: one row in ``runs`` per run (with the whole screen document as JSON)
and one row in ``run_results`` per ranked company (its full row as JSON).

A run is identified by its ISO week (``"2026-W48"``); re-running a week replaces it.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from screener.errors import NotFoundError, StoreError

_RUN_COLUMNS = (
    "run_id",
    "week",
    "as_of",
    "generated_at",
    "universe_name",
    "universe_hash",
    "weights_json",
    "preset",
    "source",
    "synthetic",
    "tool_version",
)
_REQUIRED = ("run_id", "week", "as_of", "generated_at")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value: Any, what: str) -> str:
    """Strict JSON: NaN/inf are refused, because the document contract says null."""
    try:
        return json.dumps(value, default=_default, allow_nan=False, sort_keys=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"cannot store {what} as JSON: {exc} (use null for a missing number)"
        ) from exc


def _timestamp(value: Any, field: str, run_id: str) -> datetime:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"run {run_id}: {field} {value!r} is not a date/time") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    out: datetime = ts.to_pydatetime()
    return out


def prepare(
    meta: dict[str, Any], document: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Validate ``meta`` and ``rows``; return the ``runs`` record and the ``run_results`` frame.

    ``meta`` needs run_id, week, as_of, generated_at; weights may come as ``weights`` (a dict)
    or ``weights_json`` (text). Each row needs a company id (``company_id`` or ``id``); rank,
    score (``score`` or ``exposure.score``) and ticker are taken when present.
    """
    run_id = str(meta.get("run_id") or "?")
    missing = [k for k in _REQUIRED if meta.get(k) in (None, "")]
    if missing:
        raise StoreError(f"run {run_id}: metadata lacks {', '.join(missing)}")
    record: dict[str, Any] = {c: meta.get(c) for c in _RUN_COLUMNS}
    if record["weights_json"] is None and meta.get("weights") is not None:
        record["weights_json"] = to_json(meta["weights"], f"run {run_id} weights")
    record["as_of"] = _timestamp(meta["as_of"], "as_of", run_id).date()
    record["generated_at"] = _timestamp(meta["generated_at"], "generated_at", run_id)
    record["synthetic"] = bool(meta.get("synthetic", False))
    record["document_json"] = to_json(document, f"run {run_id} document")
    results = []
    for i, row in enumerate(rows):
        company = row.get("company_id", row.get("id"))
        if not company:
            raise StoreError(f"run {run_id}: result row {i} has no company_id/id")
        score = row.get("score")
        if score is None and isinstance(row.get("exposure"), dict):
            score = row["exposure"].get("score")
        if isinstance(score, float) and not math.isfinite(score):
            score = None
        rank = row.get("rank")
        results.append(
            {
                "run_id": record["run_id"],
                "company_id": str(company),
                "ticker": row.get("ticker"),
                "rank": None if rank is None else int(rank),
                "score": score,
                "payload_json": to_json(row, f"run {run_id} row {company}"),
            }
        )
    ids = [r["company_id"] for r in results]
    if len(ids) != len(set(ids)):
        dupes = sorted({c for c in ids if ids.count(c) > 1})
        raise StoreError(f"run {run_id}: company id(s) listed twice: {', '.join(dupes)}")
    frame = pd.DataFrame(
        results, columns=["run_id", "company_id", "ticker", "rank", "score", "payload_json"]
    )
    frame = frame.astype(
        {"run_id": object, "company_id": object, "ticker": object, "payload_json": object}
    )
    return record, frame


def write(con: duckdb.DuckDBPyConnection, record: dict[str, Any], results: pd.DataFrame) -> None:
    """Replace the run (delete + insert) inside the caller's transaction."""
    con.execute("DELETE FROM run_results WHERE run_id = ?", [record["run_id"]])
    con.execute("DELETE FROM runs WHERE run_id = ?", [record["run_id"]])
    cols = [*_RUN_COLUMNS, "document_json"]
    con.execute(
        f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [record[c] for c in cols],
    )
    if len(results):
        con.register("incoming_results", results)
        con.execute(
            "INSERT INTO run_results SELECT run_id::VARCHAR, company_id::VARCHAR, ticker::VARCHAR, "
            "rank::INTEGER, score::DOUBLE, payload_json::VARCHAR FROM incoming_results"
        )
        con.unregister("incoming_results")


def _meta(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_RUN_COLUMNS, row, strict=True))


def list_all(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs ORDER BY as_of, run_id"
    ).fetchall()
    return [_meta(r) for r in rows]


def load(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    row = con.execute(
        f"SELECT {', '.join(_RUN_COLUMNS)}, document_json FROM runs WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        known = [
            r[0]
            for r in con.execute("SELECT run_id FROM runs ORDER BY as_of DESC LIMIT 5").fetchall()
        ]
        hint = (
            f" (latest: {', '.join(known)})"
            if known
            else " (no run stored yet: run `screener run`)"
        )
        raise NotFoundError(f"no stored run {run_id!r}{hint}")
    out = _meta(row[:-1])
    out["document"] = json.loads(row[-1])
    payloads = con.execute(
        "SELECT payload_json FROM run_results WHERE run_id = ? ORDER BY rank NULLS LAST, company_id",
        [run_id],
    ).fetchall()
    out["rows"] = [json.loads(p[0]) for p in payloads]
    return out


def previous(
    con: duckdb.DuckDBPyConnection, before_run_id: str | None, before_as_of: date | None
) -> dict[str, Any] | None:
    if (before_run_id is None) == (before_as_of is None):
        raise ValueError("give exactly one of before_run_id or before_as_of")
    if before_run_id is not None:
        row = con.execute("SELECT as_of FROM runs WHERE run_id = ?", [before_run_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no stored run {before_run_id!r}")
        cutoff = row[0]
    else:
        cutoff = pd.Timestamp(before_as_of).date()
    found = con.execute(
        "SELECT run_id FROM runs WHERE as_of < ? ORDER BY as_of DESC, run_id DESC LIMIT 1", [cutoff]
    ).fetchone()
    return None if found is None else load(con, found[0])


#: Columns of :func:`members`.
MEMBER_COLUMNS = ("run_id", "as_of", "company_id", "ticker", "score", "gate_pass", "vol_1y_usd")


def _field(path: str) -> str:
    """A row field as text: the run stores each row under ``payload``; a bare row also works."""
    return (
        f"COALESCE(json_extract_string(x.payload_json, '$.payload.{path}'), "
        f"json_extract_string(x.payload_json, '$.{path}'))"
    )


def members(con: duckdb.DuckDBPyConnection, since: date, before: date) -> pd.DataFrame:
    """The basket's inputs from each stored run's rows, read inside DuckDB (one JSON path per
    field, not whole payloads into Python)."""
    frame = con.execute(
        "SELECT r.run_id, r.as_of, x.company_id, x.ticker, "
        f"COALESCE(x.score, TRY_CAST({_field('exposure.score')} AS DOUBLE)) AS score, "
        f"{_field('gates.pass')} = 'true' AS gate_pass, "
        f"TRY_CAST({_field('risk.vol_1y_usd')} AS DOUBLE) AS vol_1y_usd "
        "FROM runs r JOIN run_results x ON x.run_id = r.run_id "
        "WHERE r.as_of >= ? AND r.as_of < ? ORDER BY r.as_of, r.run_id, x.rank",
        [since, before],
    ).df()
    return frame[list(MEMBER_COLUMNS)]
