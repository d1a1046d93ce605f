"""Week-over-week changes between two run documents (docs/screen-json.md ``changes``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from screener.screen.types import (
    Cause,
    ChangesRecord,
    CompanyRef,
    GateChange,
    RankMove,
    Regime,
    RegimeShift,
    Row,
    RunDoc,
    ScoreChange,
)
from screener.universe.diff import company_changes

#: vol_regime crossing these percentiles counts as a regime shift.
REGIME_HIGH = 0.8
REGIME_LOW = 0.2
#: A shift counts only when the new value lies this far outside the old band: a name
#: hovering at 0.79-0.81 would otherwise "shift" every week (the demo: 14 of 46 in one week).
REGIME_HYSTERESIS = 0.05
#: Score moves smaller than this are rounding noise, not a change.
SCORE_EPS = 0.05


def regime(x: float | None) -> Regime | None:
    """The volatility band of a ``vol_regime`` value: low ≤ 0.2 < normal < 0.8 ≤ high."""
    if x is None:
        return None
    return "high" if x >= REGIME_HIGH else "low" if x <= REGIME_LOW else "normal"


def regime_shift(was: float | None, now: float | None) -> tuple[Regime, Regime] | None:
    """``(previous band, new band)`` when ``vol_regime`` moved from ``was`` to ``now`` into
    another band and lies more than :data:`REGIME_HYSTERESIS` outside the old one, else None.

    Normal → high needs ``now`` > 0.85, high → normal ``now`` < 0.75; normal → low needs
    < 0.15, low → normal > 0.25. A jump over the normal band (0.1 → 0.82) is measured from the
    old band's edge (0.2), so it counts.
    """
    a, b = regime(was), regime(now)
    if was is None or now is None or a is None or b is None or a == b:
        return None
    if now > was:  # left the old band through its upper edge
        past = now - (REGIME_LOW if a == "low" else REGIME_HIGH)
    else:  # through its lower edge
        past = (REGIME_HIGH if a == "high" else REGIME_LOW) - now
    return (a, b) if past > REGIME_HYSTERESIS else None


def _profile_key(row: Mapping[str, Any]) -> Any:
    """What of a row's profile feeds the score (weights excluded)."""
    return (
        row.get("segments"),
        row.get("china"),
        row.get("support"),
        row.get("revenue"),
        row.get("exposure", {}).get("as_of"),
    )


def _ref(r: Row) -> CompanyRef:
    return {"id": r["id"], "ticker": r["ticker"], "name": r["name"]}


def _cause(profile_changed: bool, weights_changed: bool) -> Cause:
    if profile_changed and weights_changed:
        return "profile+weights"
    if profile_changed:
        return "profile"
    if weights_changed:
        return "weights"
    return "model"  # neither: model parameters other than weights changed


def _rank_move(a: Row, b: Row) -> RankMove | None:
    if a["rank"] == b["rank"]:
        return None
    return {**_ref(b), "from": a["rank"], "to": b["rank"]}


def _as_profile(r: Row) -> dict[str, Any]:
    """A row's profile in the universe file's shape, for universe.diff."""
    return {
        "name": r["name"],
        "tickers": r["tickers"],
        "listed": r["listed"],
        "hq": r["hq"],
        "ree_revenue_share": r["revenue"]["share"],
        "revenue_basis": r["revenue"]["basis"],
        "segments": r["segments"],
        "china": r["china"],
        "support": r["support"],
    }


def profile_changes(a: Row, b: Row) -> list[str]:
    """What changed in a company's profile between two runs, in words."""
    out = [c.detail for c in company_changes(b["id"], b["name"], _as_profile(a), _as_profile(b))]
    was, now = a["exposure"]["as_of"], b["exposure"]["as_of"]
    if was != now:
        out.append(f"facts as of {was} → {now}")
    return out


def _score_change(a: Row, b: Row, weights_changed: bool) -> ScoreChange | None:
    sa, sb = a["exposure"]["score"], b["exposure"]["score"]
    if abs(sa - sb) < SCORE_EPS:
        return None
    cause = _cause(_profile_key(a) != _profile_key(b), weights_changed)
    return {
        **_ref(b),
        "from": sa,
        "to": sb,
        "cause": cause,
        "profile_changes": profile_changes(a, b),
    }


def _regime_shift(a: Row, b: Row) -> RegimeShift | None:
    ra, rb = a["risk"].get("vol_regime"), b["risk"].get("vol_regime")
    bands = regime_shift(ra, rb)
    if bands is None or ra is None or rb is None:
        return None
    return {**_ref(b), "from": ra, "to": rb, "regime": bands[1], "previous_regime": bands[0]}


def _gate_change(a: Row, b: Row) -> GateChange | None:
    ga, gb = a["gates"]["pass"], b["gates"]["pass"]
    if ga == gb:
        return None
    return {**_ref(b), "from": ga, "to": gb}


def changes(current: RunDoc, previous: RunDoc | None) -> ChangesRecord:
    """Compare two documents by company id. ``previous`` None → a first run."""
    out: ChangesRecord = {
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
        return out
    out["previous_run"] = {"id": previous["run"]["id"], "as_of": previous["run"]["as_of"]}
    cur = {r["id"]: r for r in current["rows"]}
    prev = {r["id"]: r for r in previous["rows"]}
    out["added"] = [_ref(cur[i]) for i in cur if i not in prev]
    out["removed"] = [_ref(prev[i]) for i in prev if i not in cur]
    weights_changed = current["run"]["weights"] != previous["run"]["weights"]
    for i in (i for i in cur if i in prev):
        a, b = prev[i], cur[i]
        if (move := _rank_move(a, b)) is not None:
            out["rank_moves"].append(move)
        if (score := _score_change(a, b, weights_changed)) is not None:
            out["score_changes"].append(score)
        if (shift := _regime_shift(a, b)) is not None:
            out["regime_shifts"].append(shift)
        if (gate := _gate_change(a, b)) is not None:
            out["gate_changes"].append(gate)
    out["rank_moves"].sort(key=lambda m: -abs(m["from"] - m["to"]))
    before = {f["ticker"] for f in previous["failures"]}
    out["new_failures"] = [f for f in current["failures"] if f["ticker"] not in before]
    return out
