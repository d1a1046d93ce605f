"""Week-over-week changes between two run documents (docs/screen-json.md ``changes``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: vol_regime crossing these percentiles counts as a regime shift.
REGIME_HIGH = 0.8
REGIME_LOW = 0.2
#: Score moves smaller than this are rounding noise, not a change.
SCORE_EPS = 0.05


def _regime(x: Any) -> str | None:
    if x is None:
        return None
    return "high" if x >= REGIME_HIGH else "low" if x <= REGIME_LOW else "normal"


def _profile_key(row: Mapping[str, Any]) -> Any:
    """What of a row's profile feeds the score (weights excluded)."""
    return (
        row.get("segments"),
        row.get("china"),
        row.get("support"),
        row.get("revenue"),
        row.get("exposure", {}).get("as_of"),
    )


def changes(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """Compare two documents by company id. ``previous`` None → a first run."""
    empty: dict[str, Any] = {
        "previous_run": None,
        "added": [],
        "removed": [],
        "rank_moves": [],
        "score_changes": [],
        "regime_shifts": [],
        "gate_changes": [],
        "new_failures": [],
    }
    if previous is None:
        return empty
    out = dict(empty)
    out["previous_run"] = {"id": previous["run"]["id"], "as_of": previous["run"]["as_of"]}
    cur = {r["id"]: r for r in current["rows"]}
    prev = {r["id"]: r for r in previous["rows"]}

    def ref(r: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "ticker": r["ticker"], "name": r["name"]}

    out["added"] = [ref(cur[i]) for i in cur if i not in prev]
    out["removed"] = [ref(prev[i]) for i in prev if i not in cur]
    weights_changed = current["run"].get("weights") != previous["run"].get("weights")
    for i in (i for i in cur if i in prev):
        a, b = prev[i], cur[i]
        if a["rank"] != b["rank"]:
            out["rank_moves"].append({**ref(b), "from": a["rank"], "to": b["rank"]})
        sa, sb = a["exposure"]["score"], b["exposure"]["score"]
        if abs(sa - sb) >= SCORE_EPS:
            profile_changed = _profile_key(a) != _profile_key(b)
            cause = (
                "profile+weights"
                if profile_changed and weights_changed
                else "profile"
                if profile_changed
                else "weights"
                if weights_changed
                else "model"  # neither: model parameters other than weights changed
            )
            out["score_changes"].append({**ref(b), "from": sa, "to": sb, "cause": cause})
        ra, rb = a.get("risk", {}).get("vol_regime"), b.get("risk", {}).get("vol_regime")
        if _regime(ra) != _regime(rb) and ra is not None and rb is not None:
            out["regime_shifts"].append(
                {
                    **ref(b),
                    "from": ra,
                    "to": rb,
                    "regime": _regime(rb),
                    "previous_regime": _regime(ra),
                }
            )
        ga, gb = a.get("gates", {}).get("pass"), b.get("gates", {}).get("pass")
        if ga != gb:
            out["gate_changes"].append({**ref(b), "from": ga, "to": gb})
    out["rank_moves"].sort(key=lambda m: -abs(m["from"] - m["to"]))
    before = {f["ticker"] for f in previous.get("failures", [])}
    out["new_failures"] = [f for f in current.get("failures", []) if f["ticker"] not in before]
    return out
