"""Key takeaways: each sentence built from document values."""

from __future__ import annotations

from fixtures.screen_doc import make_doc

from screener.report import takeaways


def test_top_three_names_scores_and_quadrants() -> None:
    doc = make_doc(n=10)
    text = takeaways.top_by_score(doc)
    top = sorted(doc["rows"], key=lambda r: r["rank"])[:3]
    assert text is not None
    positions = [text.index(f"{r['ticker']} ({r['exposure']['score']:.1f}, ") for r in top]
    assert positions == sorted(positions)
    assert (
        top[3 - 1]["ticker"] in text
        and sorted(doc["rows"], key=lambda r: r["rank"])[3]["ticker"] + " (" not in text
    )


def test_gate_counts() -> None:
    doc = make_doc(n=10)
    doc["rows"][0]["gates"]["pass"] = None
    passed = sum(1 for r in doc["rows"] if r["gates"]["pass"] is True)
    text = takeaways.gates(doc)
    assert (
        text
        == f"{passed} of 10 listed names pass the {doc['run']['preset_label']} gates; 1 cannot be judged for missing data."
    )


def test_frontier_lists_frontier_tickers_in_rank_order() -> None:
    doc = make_doc(n=12)
    names = [r["ticker"] for r in sorted(doc["rows"], key=lambda r: r["rank"]) if r["frontier"]]
    text = takeaways.frontier(doc)
    assert text is not None and all(t in text for t in names)
    for r in doc["rows"]:
        r["frontier"] = False
    assert takeaways.frontier(doc) is None


def test_rank_moves_biggest_first_and_first_run() -> None:
    doc = make_doc(n=12)
    doc["changes"]["rank_moves"] = [
        {"id": "a", "ticker": "AAA", "from": 3, "to": 2},
        {"id": "b", "ticker": "BBB", "from": 1, "to": 9},
    ]
    assert (
        takeaways.rank_moves(doc)
        == "Biggest rank moves since 2026-W47: BBB down 8 (1 → 9) and AAA up 1 (3 → 2)."
    )
    assert (
        takeaways.rank_moves(make_doc(n=4, first_run=True))
        == "First run: no previous run to compare."
    )


def test_china_counts_and_failures_and_synthetic() -> None:
    doc = make_doc(n=10)
    for r in doc["rows"]:
        r["exposure"]["flags"] = []
    doc["rows"][2]["exposure"]["flags"] = ["FEOC", "COVERED_CHAIN"]
    doc["rows"][5]["exposure"]["flags"] = ["COVERED_CHAIN"]
    t = doc["rows"][2]["ticker"]
    assert takeaways.china_links(doc) == (
        f"1 of 10 names are FEOC (Chinese ownership or control) ({t}) and 2 have a covered-country link in their chain."
    )
    assert takeaways.failures(doc) == "1 ticker could not be priced: SYNX1.V (see Data quality)."
    doc["failures"] = []
    assert takeaways.failures(doc) == "All 10 listed tickers were priced."
    assert takeaways.synthetic(doc) is not None
    assert takeaways.synthetic(make_doc(n=3, synthetic=False)) is None


def test_highest_vol_regime() -> None:
    doc = make_doc(n=8)
    for i, r in enumerate(doc["rows"]):
        r["risk"]["vol_regime"] = None if i == 0 else i / 100
    best = doc["rows"][-1]
    assert takeaways.vol_regime(doc) == (
        f"Highest volatility regime: {best['ticker']} (1-month volatility at percentile 7 of "
        "its own past year; 100 is the top)."
    )


def test_build_skips_empty_rules_and_keeps_order() -> None:
    doc = make_doc(n=6, synthetic=False)
    out = takeaways.build(doc)
    assert out[0].startswith("Highest exposure scores")
    assert all(isinstance(s, str) and s.endswith(".") for s in out)
    empty = make_doc(n=3, synthetic=False, first_run=True)
    empty["rows"], empty["failures"] = [], []
    assert takeaways.build(empty) == [
        "First run: no previous run to compare.",
        "All 0 listed tickers were priced.",
    ]
