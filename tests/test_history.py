"""screener/screen/history.py: week-over-week changes between two run documents.

The documents are small, hand-built and synthetic: only the keys ``changes`` reads.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from screener.screen.history import changes, regime_shift

WEIGHTS = {
    "sourcing": 0.25,
    "processing": 0.30,
    "recycling": 0.10,
    "heavy_ree": 0.15,
    "purity": 0.15,
    "support": 0.05,
}
CHANGE_KEYS = {
    "previous_run",
    "added",
    "removed",
    "rank_moves",
    "score_changes",
    "regime_shifts",
    "gate_changes",
    "new_failures",
}


def row(
    cid: str,
    rank: int,
    score: float = 50.0,
    *,
    regime: float | None = 0.5,
    gate: bool | None = True,
    segments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": cid,
        "ticker": cid.upper(),
        "tickers": [cid.upper()],
        "listed": True,
        "hq": "US",
        "name": f"Synthetic {cid}",
        "rank": rank,
        "exposure": {"score": score, "as_of": "2026-05-01"},
        "risk": {"vol_regime": regime},
        "gates": {"preset": "mvis", "pass": gate},
        "segments": segments
        if segments is not None
        else [{"stage": "mining", "country": "US", "status": "producing"}],
        "china": {"ownership_pct": 0.0},
        "support": [],
        "revenue": {"share": 1.0, "basis": "reported"},
    }


def doc(
    run_id: str,
    rows: list[dict[str, Any]],
    *,
    weights: dict[str, float] | None = None,
    failures: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "run": {"id": run_id, "as_of": f"{run_id}-as-of", "weights": dict(weights or WEIGHTS)},
        "rows": rows,
        "failures": failures or [],
    }


def test_first_run_has_no_previous_and_no_changes() -> None:
    ch = changes(doc("2026-W48", [row("a", 1)]), None)
    assert set(ch) == CHANGE_KEYS
    assert ch["previous_run"] is None
    assert all(ch[k] == [] for k in CHANGE_KEYS - {"previous_run"})
    # each call gets its own lists
    ch["added"].append({"id": "x"})
    assert changes(doc("2026-W48", [row("a", 1)]), None)["added"] == []


def test_identical_runs_have_no_changes() -> None:
    d = doc("2026-W47", [row("a", 1, 60.0), row("b", 2, 40.0)])
    ch = changes(copy.deepcopy(d), d)
    assert ch["previous_run"] == {"id": "2026-W47", "as_of": "2026-W47-as-of"}
    assert all(ch[k] == [] for k in CHANGE_KEYS - {"previous_run"})


def test_added_and_removed() -> None:
    prev = doc("2026-W47", [row("a", 1), row("gone", 2)])
    cur = doc("2026-W48", [row("a", 1), row("new", 2)])
    ch = changes(cur, prev)
    assert ch["added"] == [{"id": "new", "ticker": "NEW", "name": "Synthetic new"}]
    assert ch["removed"] == [{"id": "gone", "ticker": "GONE", "name": "Synthetic gone"}]
    # a rank shared by an added and a removed name is not a move
    assert ch["rank_moves"] == []


def test_rank_moves_sorted_by_size() -> None:
    # a 1→2 (1), b 2→5 (3), c 3→1 (2), d 4→4 (none), e 5→3 (2)
    # by size: b (3); then c and e (2, document order: c before e); then a (1)
    prev = doc("p", [row("a", 1), row("b", 2), row("c", 3), row("d", 4), row("e", 5)])
    cur = doc("c", [row("c", 1), row("a", 2), row("e", 3), row("d", 4), row("b", 5)])
    moves = changes(cur, prev)["rank_moves"]
    assert [(m["id"], m["from"], m["to"]) for m in moves] == [
        ("b", 2, 5),
        ("c", 3, 1),
        ("e", 5, 3),
        ("a", 1, 2),
    ]
    assert moves[0]["ticker"] == "B" and moves[0]["name"] == "Synthetic b"


def _score_change(
    prev_row: dict[str, Any], cur_row: dict[str, Any], *, new_weights: bool
) -> list[dict[str, Any]]:
    w = dict(WEIGHTS, sourcing=0.30, support=0.0) if new_weights else WEIGHTS
    return changes(doc("c", [cur_row], weights=w), doc("p", [prev_row]))["score_changes"]


def test_score_change_cause_profile() -> None:
    # a new segment, weights unchanged → profile
    seg = [
        {"stage": "mining", "country": "US", "status": "producing"},
        {"stage": "separation", "country": "US", "status": "construction"},
    ]
    ch = _score_change(row("a", 1, 40.0), row("a", 1, 45.5, segments=seg), new_weights=False)
    assert ch == [
        {
            "id": "a",
            "ticker": "A",
            "name": "Synthetic a",
            "from": 40.0,
            "to": 45.5,
            "cause": "profile",
            "profile_changes": ["separation at US: added"],
        }
    ]


def test_score_change_names_what_changed_in_the_profile() -> None:
    before = [
        {"stage": "separation", "country": "MY", "site": "Kuantan", "status": "commissioning"},
        {"stage": "mining", "country": "AU", "site": "Mt Weld", "status": "producing"},
    ]
    after = [
        {
            "stage": "separation",
            "country": "MY",
            "site": "Kuantan",
            "status": "producing",
            "capacity_tpa": 10500,
        },
        {"stage": "mining", "country": "AU", "site": "Mt Weld", "status": "producing"},
    ]
    a, b = row("a", 1, 40.0, segments=before), row("a", 1, 52.0, segments=after)
    b["revenue"] = {"share": 0.9, "basis": "reported"}
    ch = _score_change(a, b, new_weights=False)
    assert ch[0]["profile_changes"] == [
        "ree_revenue_share 1.0 → 0.9",
        "separation at Kuantan: status commissioning → producing",
        "separation at Kuantan: capacity_tpa unknown → 10500",
    ]


def test_score_change_cause_weights() -> None:
    ch = _score_change(row("a", 1, 40.0), row("a", 1, 41.0), new_weights=True)
    assert [c["cause"] for c in ch] == ["weights"]


def test_score_change_cause_profile_and_weights() -> None:
    later = row("a", 1, 47.0)
    later["exposure"]["as_of"] = "2026-11-01"  # a refreshed profile date counts as a profile change
    ch = _score_change(row("a", 1, 40.0), later, new_weights=True)
    assert [c["cause"] for c in ch] == ["profile+weights"]


def test_score_change_cause_model_when_neither_profile_nor_weights_changed() -> None:
    # e.g. a maturity value in model.yaml changed: neither the profile nor the weights differ
    ch = _score_change(row("a", 1, 40.0), row("a", 1, 38.0), new_weights=False)
    assert [c["cause"] for c in ch] == ["model"]


def test_score_noise_below_eps_is_not_a_change() -> None:
    # |40.04 − 40.00| = 0.04 < 0.05 (SCORE_EPS): rounding noise; 0.06 is a change
    assert _score_change(row("a", 1, 40.0), row("a", 1, 40.04), new_weights=False) == []
    assert len(_score_change(row("a", 1, 40.0), row("a", 1, 40.06), new_weights=False)) == 1


def test_regime_shifts_across_0_8_and_0_2_beyond_the_hysteresis() -> None:
    pairs = {
        "up_to_high": (0.5, 0.86),  # normal → high, 0.06 past 0.8: shift
        "stays_high": (0.85, 0.95),  # high → high: none
        "down_to_low": (0.3, 0.14),  # normal → low, 0.06 below 0.2: shift
        "low_to_high": (0.1, 0.9),  # low → high: shift
        "at_0_8": (0.79, 0.8),  # 0.8 is high (≥ 0.8) but only just: none
        "at_0_2": (0.21, 0.2),  # 0.2 is low (≤ 0.2) but only just: none
        "hover_high": (0.81, 0.78),  # high → normal by 0.02: none
        "hover_low": (0.19, 0.23),  # low → normal by 0.03: none
        "jump_over_normal": (0.1, 0.82),  # out of low by 0.62 (into high by 0.02): shift
        "back_to_normal": (0.95, 0.5),  # high → normal: shift
        "stays_normal": (0.25, 0.75),  # a big move inside normal: none
        "newly_known": (None, 0.9),  # no previous value: none
        "now_unknown": (0.9, None),  # no current value: none
    }
    prev = doc("p", [row(k, i + 1, regime=a) for i, (k, (a, _)) in enumerate(pairs.items())])
    cur = doc("c", [row(k, i + 1, regime=b) for i, (k, (_, b)) in enumerate(pairs.items())])
    shifts = {s["id"]: s for s in changes(cur, prev)["regime_shifts"]}
    assert set(shifts) == {
        "up_to_high",
        "down_to_low",
        "low_to_high",
        "jump_over_normal",
        "back_to_normal",
    }
    assert shifts["low_to_high"]["from"] == 0.1 and shifts["low_to_high"]["to"] == 0.9
    assert (shifts["low_to_high"]["previous_regime"], shifts["low_to_high"]["regime"]) == (
        "low",
        "high",
    )
    assert shifts["back_to_normal"]["regime"] == "normal"
    assert shifts["jump_over_normal"]["regime"] == "high"


@pytest.mark.parametrize(
    ("was", "now", "shift"),
    [
        (0.5, 0.85, None),  # exactly the hysteresis past the edge: not more than it
        (0.5, 0.851, ("normal", "high")),
        (0.9, 0.751, None),
        (0.9, 0.749, ("high", "normal")),
        (0.5, 0.151, None),
        (0.5, 0.149, ("normal", "low")),
        (0.1, 0.249, None),
        (0.1, 0.251, ("low", "normal")),
        (0.95, 0.1, ("high", "low")),
        (None, 0.9, None),
    ],
)
def test_regime_shift_hysteresis_edges(
    was: float | None, now: float | None, shift: tuple[str, str] | None
) -> None:
    assert regime_shift(was, now) == shift


def test_gate_changes() -> None:
    pairs = {
        "opens": (False, True),
        "closes": (True, False),
        "unknown": (True, None),
        "known": (None, False),
        "same": (True, True),
        "still_unknown": (None, None),
    }
    prev = doc("p", [row(k, i + 1, gate=a) for i, (k, (a, _)) in enumerate(pairs.items())])
    cur = doc("c", [row(k, i + 1, gate=b) for i, (k, (_, b)) in enumerate(pairs.items())])
    got = [(g["id"], g["from"], g["to"]) for g in changes(cur, prev)["gate_changes"]]
    assert got == [
        ("opens", False, True),
        ("closes", True, False),
        ("unknown", True, None),
        ("known", None, False),
    ]


def test_new_failures_are_tickers_not_failing_last_week() -> None:
    prev = doc("p", [row("a", 1)], failures=[{"ticker": "OLD.AX", "reason": "no data"}])
    cur = doc(
        "c",
        [row("a", 1)],
        failures=[
            {"ticker": "OLD.AX", "reason": "still no data"},
            {"ticker": "NEW.V", "reason": "possibly delisted"},
        ],
    )
    assert changes(cur, prev)["new_failures"] == [
        {"ticker": "NEW.V", "reason": "possibly delisted"}
    ]


def test_one_company_can_appear_in_several_classes() -> None:
    prev = doc("p", [row("a", 1, 60.0, regime=0.5, gate=True), row("b", 2, 50.0)])
    cur = doc(
        "c",
        [
            row("b", 1, 50.0),
            row(
                "a",
                2,
                45.0,
                regime=0.9,
                gate=False,
                segments=[{"stage": "mining", "country": "US", "status": "suspended"}],
            ),
        ],
    )
    ch = changes(cur, prev)
    assert [m["id"] for m in ch["rank_moves"]] == ["b", "a"]  # both move by 1: document order
    assert [(c["id"], c["cause"]) for c in ch["score_changes"]] == [("a", "profile")]
    assert [s["id"] for s in ch["regime_shifts"]] == ["a"]
    assert [g["id"] for g in ch["gate_changes"]] == ["a"]


def test_change_records_have_the_declared_keys() -> None:
    """Every group of the fixture's changes (built by history.changes) matches screen/types.py."""
    from fixtures.screen_doc import make_doc

    from screener.screen import types

    ch = make_doc(n=12)["changes"]
    assert set(ch) == types.ChangesRecord.__required_keys__
    record_types = {
        "added": types.CompanyRef,
        "removed": types.CompanyRef,
        "rank_moves": types.RankMove,
        "score_changes": types.ScoreChange,
        "regime_shifts": types.RegimeShift,
        "gate_changes": types.GateChange,
        "new_failures": types.Failure,
    }
    for group, t in record_types.items():
        assert ch[group], group  # the fixture has an entry in every group
        # the builder writes every key, optional ones included (they are optional only in
        # runs stored before they existed)
        keys = t.__required_keys__ | t.__optional_keys__
        assert all(set(m) == keys for m in ch[group]), group


def test_a_re_dated_profile_says_so() -> None:
    later = row("a", 1, 47.0)
    later["exposure"]["as_of"] = "2026-11-01"
    ch = _score_change(row("a", 1, 40.0), later, new_weights=False)
    assert ch[0]["profile_changes"] == ["facts as of 2026-05-01 → 2026-11-01"]


def test_breakdown_by_country_counts_hq_and_operations() -> None:
    from screener.screen.summary import CountryCount, by_country

    rows = [
        row("a", 1, segments=[{"stage": "mining", "country": "AU", "status": "producing"}]),
        row("b", 2, segments=[{"stage": "mining", "country": "US", "status": "producing"}]),
        row(
            "c",
            3,
            segments=[
                {"stage": "separation", "country": "MY", "status": "producing"},
                {"stage": "mining", "country": "AU", "status": "producing"},
                {"stage": "magnet", "country": "AU", "status": "development"},
            ],
        ),
    ]
    for r, hq in zip(rows, ("AU", "US", "AU"), strict=True):
        r["hq"] = hq
    got = {c.country: c for c in by_country(rows)}  # type: ignore[arg-type]
    # AU: two HQs, two companies operating there (c counted once for its two AU segments).
    assert got["AU"] == CountryCount("AU", 2, 2)
    assert got["US"] == CountryCount("US", 1, 1)
    assert got["MY"] == CountryCount("MY", 0, 1)
    assert next(c.country for c in by_country(rows)) == "AU"  # type: ignore[arg-type]


def test_breakdown_by_stage_counts_names_and_producers() -> None:
    from screener.screen.summary import by_stage

    rows = [
        row("a", 1, 70.0, segments=[{"stage": "mining", "country": "AU", "status": "producing"}]),
        row(
            "b",
            2,
            40.0,
            segments=[
                {"stage": "mining", "country": "US", "status": "development"},
                {"stage": "magnet", "country": "US", "status": "producing"},
            ],
        ),
    ]
    got = by_stage(rows, ("mining", "separation", "magnet"))  # type: ignore[arg-type]
    assert [(s.stage, s.companies, s.producing, s.median_score) for s in got] == [
        ("mining", 2, 1, 55.0),
        ("magnet", 1, 1, 40.0),
    ]
