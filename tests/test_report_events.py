"""The report's "Policy events" section: parsed, asserted by stable selectors.

The document is the fixture's (tests/fixtures/screen_doc.py): the real event-study engine over
seeded closes with planted jumps on the event dates, labelled synthetic.
"""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from fixtures.screen_doc import make_doc

from screener.report import formatters, html
from screener.report.event_charts import charts, frame
from screener.screen.event_doc import events_not_run

TERCILES = ["high", "mid", "low"]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return make_doc()


@pytest.fixture(scope="module")
def section(doc: dict[str, Any]) -> Tag:
    return _section(doc)


def _section(doc: dict[str, Any]) -> Tag:
    found = BeautifulSoup(html.render_report(doc), "html.parser").select_one("section#events")
    assert found is not None
    return found


def test_fixture_has_exact_and_approximate_events_and_skips_the_unmeasurable(
    doc: dict[str, Any],
) -> None:
    rec = doc["events"]
    assert rec["synthetic"] is True and rec["benchmark"] == "SPY" and rec["window"] == [0, 5]
    flags = {e["approximate"] for e in rec["events"]}
    assert flags == {True, False}
    assert all(e["n"] > 0 for e in rec["events"])
    reasons = {s["reason"] for s in rec["skipped"]}
    assert any("history" in r for r in reasons)  # events before the fixture's prices start


@pytest.mark.parametrize(("approximate", "table"), [(False, "exact"), (True, "approximate")])
def test_events_tables_rows_equal_the_documents_events(
    doc: dict[str, Any], section: Tag, approximate: bool, table: str
) -> None:
    events = [e for e in doc["events"]["events"] if e["approximate"] is approximate]
    trs = section.select(f"table#events-{table} tbody tr")
    assert [tr["data-id"] for tr in trs] == [e["id"] for e in events]
    for tr, e in zip(trs, events, strict=True):
        cell = {k: tr.select_one(f"td.{k}").get_text(strip=True) for k in ("date", "n", "high")}
        assert cell == {
            "date": e["date"],
            "n": str(e["n"]),
            "high": formatters.signed_pct(e["terciles"]["high"]),
        }
        assert tr.select_one("td.low").get_text() == formatters.signed_pct(e["terciles"]["low"])
        assert tr.select_one("td.diff").get_text() == formatters.pp(e["difference"])
        assert tr.select_one("td.p").get_text() == formatters.pvalue(e["p"])
        assert tr.select_one("td.direction").get_text() == e["direction"]
        mark = tr.select_one("td.overlap")
        if e["overlaps"]:
            assert mark.get_text() == f"yes ({len(e['overlaps'])})"
            assert mark.span["title"] == "overlaps " + ", ".join(e["overlaps"])
        else:
            assert mark.get_text() == "no"


def test_one_small_chart_per_event_with_three_paths_and_bands(
    doc: dict[str, Any], section: Tag
) -> None:
    events = doc["events"]["events"]
    exact = [e["id"] for e in events if not e["approximate"]]
    approx = [e["id"] for e in events if e["approximate"]]
    figures = section.select("figure.event-chart")
    assert [f["data-event"] for f in figures] == exact + approx  # exact-dated first
    for fig in figures:
        paths = fig.select("svg polyline.path")
        bands = fig.select("svg polygon.band")
        assert [p["class"][1] for p in paths] == [f"t-{t}" for t in TERCILES]
        assert [b["class"][1] for b in bands] == [f"t-{t}" for t in TERCILES]
        assert all(len(p["points"].split()) == 16 for p in paths)  # τ = −5..+10
        assert all(len(b["points"].split()) == 32 for b in bands)  # upper, then lower back
        assert fig.select_one("line.event-day") is not None
        ticks = [t.get_text() for t in fig.select("g.ticks text")]
        assert {"-5", "0", "+5", "+10", "trading days from the event"} <= set(ticks)
        assert any(t.endswith("%") for t in ticks)  # the CAR axis


def test_chart_geometry_matches_the_numbers(doc: dict[str, Any]) -> None:
    events = doc["events"]["events"]
    f = frame(events)
    ev = events[0]
    chart = charts([ev], events)[0]
    high = chart.lines[0]
    xs = [float(p.split(",")[0]) for p in high.points.split()]
    assert xs[0] == f.plot_left and xs[-1] == f.plot_right
    assert xs[5] == f.event_x  # τ = 0
    # every band and mean lies within the shared axes (y grows downwards)
    bottom, top = f.y_ticks[0], f.y_ticks[-1]
    for line in chart.lines:
        for pt in (line.points + " " + line.band).split():
            assert top.pos <= float(pt.split(",")[1]) <= bottom.pos
    # the first mean, CAR(−5, −5), sits at its value on the y axis
    per_unit = (bottom.pos - top.pos) / (_tick_value(top.label) - _tick_value(bottom.label))
    first = ev["paths"]["high"]["mean"][0]
    y0 = float(high.points.split()[0].split(",")[1])
    assert y0 == pytest.approx(f.zero_y - first * per_unit, abs=0.11)


def _tick_value(label: str) -> float:
    return float(label.rstrip("%")) / 100


def test_takeaways_caveat_and_scores_note_are_the_documents(
    doc: dict[str, Any], section: Tag
) -> None:
    rec = doc["events"]
    items = [li.get_text() for li in section.select("ul.events-takeaways li")]
    assert items == [*rec["takeaways"], rec["caveat"]]
    assert "little power" in rec["caveat"]
    assert rec["scores_note"] in section.get_text()


def test_synthetic_sentence_on_synthetic_data_only(section: Tag) -> None:
    note = section.select_one(".events-synthetic")
    assert note is not None and "synthetic by construction" in note.get_text()
    assert "plants a jump" in note.get_text()
    real = _section(make_doc(synthetic=False))
    assert real.select_one(".events-synthetic") is None
    assert "synthetic" not in real.get_text().lower()
    assert real.select("figure.event-chart")  # the study itself is still shown


def test_a_stored_run_without_events_renders(doc: dict[str, Any]) -> None:
    old = {k: v for k, v in doc.items() if k != "events"}
    sec = _section(old)
    assert sec.select_one(".events-absent").get_text() == "Not recorded in this run."
    assert sec.select("table, figure") == []


def test_a_run_without_spy_says_why(doc: dict[str, Any]) -> None:
    why = "not measured: the store holds no SPY prices"
    sec = _section({**doc, "events": events_not_run(why, synthetic=True)})
    assert sec.select_one(".events-absent").get_text() == f"The event study was {why}."
    assert sec.select("table, figure") == []


def test_chart_text_is_at_least_10px(section: Tag) -> None:
    sizes = {float(g["font-size"]) for g in section.select("svg [font-size]")}
    assert sizes and min(sizes) >= 10
