"""The HTML report, card page, CSV and JSON writers: parsed, asserted by stable selectors."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import statistics
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fixtures.screen_doc import make_doc

import screener
from screener import settings
from screener.errors import NotFoundError, ScreenerError
from screener.report import html, tabular
from screener.screen.history import regime

SECTIONS = (
    "summary",
    "takeaways",
    "changes",
    "scatter",
    "table",
    "events",
    "cards",
    "quality",
    "methodology",
    "disclaimer",
)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return make_doc()


@pytest.fixture(scope="module")
def soup(doc: dict[str, Any]) -> BeautifulSoup:
    return BeautifulSoup(html.render_report(doc), "html.parser")


def _render(doc: dict[str, Any]) -> BeautifulSoup:
    return BeautifulSoup(html.render_report(doc), "html.parser")


def test_every_section_is_present_once(soup: BeautifulSoup) -> None:
    for sid in SECTIONS:
        assert len(soup.select(f"#{sid}")) == 1, sid


def test_table_lists_rows_in_rank_order_with_filter_attributes(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    trs = soup.select("table#ranked tbody tr")
    assert [tr["data-id"] for tr in trs] == [
        r["id"] for r in sorted(doc["rows"], key=lambda r: r["rank"])
    ]
    first = doc["rows"][0]
    tr = trs[0]
    assert tr["data-country"] == first["hq"]
    assert tr["data-quadrant"] == (first["quadrant"] or "")
    assert set(tr["data-stages"].split()) == {s["stage"] for s in first["segments"]}
    assert tr["data-gate"] == {True: "pass", False: "fail", None: "unknown"}[first["gates"]["pass"]]


def test_null_metric_renders_dash_with_reason_and_sorts_empty(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    row = next(r for r in doc["rows"] if r["risk"]["vol_1y"] is None)
    tr = soup.select_one(f'table#ranked tr[data-id="{row["id"]}"]')
    vol_col = [th.get_text(strip=True) for th in soup.select("table#ranked thead th")].index(
        "Volatility 1y"
    )
    cell = tr.find_all("td")[vol_col]
    assert cell.get_text(strip=True) == "–"
    assert cell["title"] == row["risk_reasons"]["vol_1y"]
    assert cell["data-sort-value"] == ""


def test_factor_bars_have_width_of_points_over_max(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    row = doc["rows"][0]
    bars = soup.select_one(f'table#ranked tr[data-id="{row["id"]}"] .bars').select(".bar i")
    assert len(bars) == 6
    for bar, (_name, f) in zip(bars, row["exposure"]["factors"].items(), strict=True):
        expected = round(100 * f["points"] / (100 * f["weight"]), 1)
        assert bar["style"] == f"width: {expected}%"


def test_scatter_plots_each_row_with_score_and_vol(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    priced = [
        r
        for r in doc["rows"]
        if r["exposure"]["score"] is not None and r["risk"]["vol_1y"] is not None
    ]
    circles = soup.select("#scatter circle[data-ticker]")
    assert sorted(c["data-ticker"] for c in circles) == sorted(r["ticker"] for r in priced)
    assert all(c.find("title") for c in circles)
    caption = soup.select_one("#scatter figcaption").get_text(" ", strip=True)
    missing = len(doc["rows"]) - len(priced)
    assert missing > 0 and f"{missing} not plotted" in caption
    frontier = [r for r in priced if r["frontier"]]
    points = soup.select_one("#scatter polyline.frontier-line")["points"].split()
    assert len(points) == 2 * len(frontier) - 1  # one step (two vertices) per extra frontier name
    assert len(soup.select("#scatter circle.frontier")) == len(frontier)


def test_scatter_median_lines_are_medians_of_plotted_rows(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    priced = [r for r in doc["rows"] if r["risk"]["vol_1y"] is not None]
    med_s = statistics.median(r["exposure"]["score"] for r in priced)
    med_v = statistics.median(r["risk"]["vol_1y"] for r in priced)
    titles = [t.get_text() for t in soup.select("#scatter .medians title")]
    assert titles == [f"median volatility {100 * med_v:.1f}%", f"median score {med_s:.1f}"]


def test_scatter_labels_do_not_overlap(soup: BeautifulSoup) -> None:
    boxes = []
    for t in soup.select("#scatter .labels text"):
        x, y, w = float(t["x"]), float(t["y"]), 6.1 * len(t.get_text())
        left = {"start": x, "end": x - w, "middle": x - w / 2}[t["text-anchor"]]
        boxes.append((left, y - 9, left + w, y + 2))
    assert len(boxes) > 20
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_scatter_labels_do_not_cross_the_frontier_line() -> None:
    # A steep frontier through a crowd of labels: one check over many fixture sizes.
    crossings = 0
    for n in (12, 30, 60):
        soup = _render(make_doc(n=n))
        line = soup.select_one("#scatter polyline.frontier-line")
        if line is None:
            continue
        pts = [tuple(map(float, p.split(","))) for p in line["points"].split()]
        segs = [
            (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
            for a, b in pairwise(pts)
        ]
        for t in soup.select("#scatter .labels text"):
            x, y, w = float(t["x"]), float(t["y"]), 6.1 * len(t.get_text())
            left = {"start": x, "end": x - w, "middle": x - w / 2}[t["text-anchor"]]
            box = (left, y - 9, left + w, y + 2)
            for sx0, sy0, sx1, sy1 in segs:
                if not (box[2] <= sx0 or sx1 <= box[0] or box[3] <= sy0 or sy1 <= box[1]):
                    crossings += 1
    assert crossings == 0


def test_synthetic_banner_iff_synthetic() -> None:
    on = _render(make_doc(synthetic=True))
    off = _render(make_doc(synthetic=False))
    banner = on.select_one("#synthetic-banner")
    assert banner is not None and "SYNTHETIC DEMO DATA" in banner.get_text()
    assert off.select_one("#synthetic-banner") is None
    assert "SYNTHETIC DEMO DATA" not in off.get_text()


def test_hostile_text_is_escaped_everywhere() -> None:
    doc = make_doc(n=6)
    evil = "<script>alert(1)</script>"
    doc["rows"][0]["name"] = evil
    doc["rows"][0]["segments"][0]["site"] = evil
    doc["rows"][0]["sources"][0]["title"] = evil
    doc["failures"][0]["reason"] = evil
    doc["context"][0]["name"] = '"><img src=x onerror=alert(1)>'
    page = html.render_report(doc)
    soup = BeautifulSoup(page, "html.parser")
    assert all("alert(1)" not in (s.string or "") for s in soup.find_all("script"))
    assert soup.find("img") is None
    assert not any(attr.startswith("on") for tag in soup.find_all(True) for attr in tag.attrs)
    row = soup.select_one(f'table#ranked tr[data-id="{doc["rows"][0]["id"]}"] td.name')
    assert row.get_text() == evil  # shown as text, not dropped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_non_http_source_urls_are_not_links() -> None:
    doc = make_doc(n=4)
    srcs = doc["rows"][0]["sources"]
    srcs[0]["url"] = "javascript:alert(1)"
    srcs.append(
        {"n": len(srcs) + 1, "id": "SX", "url": " JaVaScRiPt:alert(2)", "date": None, "title": "t"}
    )
    srcs.append(
        {"n": len(srcs) + 1, "id": "SY", "url": "data:text/html,hi", "date": None, "title": "d"}
    )
    soup = _render(doc)
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    # The data files beside report.html are the only relative links.
    local = ("#", "https://", "http://", "screen.csv", "screen.json")
    assert not [h for h in hrefs if not (h.startswith(local))]
    card = soup.select_one(f"#card-{doc['rows'][0]['id']}")
    assert "javascript:alert(1)" in card.get_text()  # still visible, as text
    for a in soup.select("ol.sources a"):
        assert a["rel"] == ["noopener", "noreferrer"]


def test_no_external_resources(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    source_urls = {s["url"] for r in doc["rows"] + doc["context"] for s in r["sources"]}
    assert soup.find("link", rel="stylesheet") is None
    assert [t for t in soup.find_all(src=True)] == []
    for a in soup.find_all(href=True):
        # Besides anchors and sources: the data files written beside report.html.
        local = a["href"] in ("screen.csv", "screen.json")
        assert a["href"].startswith("#") or a["href"] in source_urls or local, a["href"]
    for style in soup.find_all("style"):
        assert "@import" not in style.text and "url(" not in style.text
    assert all(
        t.get("xmlns", "").startswith("http://www.w3.org/")
        for t in soup.find_all("svg", xmlns=True)
    )


def test_size_is_reasonable_for_fifty_companies() -> None:
    doc = make_doc(n=50)
    full = [r for r in doc["rows"] if r["data_quality"]["observations"] >= 252]
    assert len(full) == 48 and all(len(r["series"]["close"]) == 53 for r in full)
    size = len(html.render_report(doc).encode("utf-8"))
    assert size < 2_000_000, size


def test_cards_show_breakdown_evidence_and_numbered_sources(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    # A card per listed company; unlisted ones are rows of one table, anchored the same way.
    cards = soup.select("details.card")
    assert len(cards) == len(doc["rows"])
    assert [tr["id"] for tr in soup.select("#context tbody tr")] == [
        f"card-{c['id']}" for c in doc["context"]
    ]
    row = next(r for r in doc["rows"] if r["exposure"]["factors"]["processing"]["evidence"])
    card = soup.select_one(f"details.card#card-{row['id']}")
    ev = row["exposure"]["factors"]["processing"]["evidence"][0]
    n = next(s["n"] for s in row["sources"] if s["id"] == ev["sources"][0])
    stage = ev["stage"].replace("_", " ")
    expected = f"{stage} at {ev['site']}, {ev['country']} ({ev['tier']}, {ev['status']}) [{n}]"
    assert expected in [
        tr.get_text(" ", strip=True).replace("\xa0", "").strip()
        for tr in card.select("tr.evidence")
    ]
    assert card.select_one(f"#card-{row['id']}-src-{n}") is not None
    stages = [th.get_text() for th in card.select(".stagemap tbody th")]
    assert stages == ["mining", "separation", "metal alloy", "magnet", "recycling"]
    assert [th.get_text() for th in card.select(".stagemap thead th")][1:] == list(
        dict.fromkeys(s["country"] for s in row["segments"])
    )
    closes = card.select_one("p.closes").get_text(" ", strip=True)
    first, last = row["series"]["close"][0], row["series"]["close"][-1]
    assert closes.startswith(f"{row['series']['dates'][0]} {first:,.2f} → ")
    assert f"{row['series']['dates'][-1]} {last:,.2f}" in closes
    assert card.select_one("svg.price-chart") is not None


def test_stage_map_cells_hold_status_badges(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    row = doc["rows"][0]
    card = soup.select_one(f"#card-{row['id']}")
    countries = [th.get_text() for th in card.select(".stagemap thead th")][1:]
    for seg in row["segments"]:
        tr = next(
            tr
            for tr in card.select(".stagemap tbody tr")
            if tr.th.get_text() == seg["stage"].replace("_", " ")
        )
        cell = tr.find_all("td")[countries.index(seg["country"])]
        assert seg["status"] in [b.get_text() for b in cell.select(".badge")]


def test_methodology_prints_the_parameters_in_force() -> None:
    doc = make_doc(n=5)
    doc["run"]["weights"] = {
        "sourcing": 0.31,
        "processing": 0.24,
        "recycling": 0.1,
        "heavy_ree": 0.15,
        "purity": 0.15,
        "support": 0.05,
    }
    doc["run"]["model"]["maturity"]["exploration"] = 0.123
    doc["run"]["model"]["jurisdictions"]["tiers"]["allied"]["countries"] = ["CA", "ZZ-TEST"]
    doc["metrics"][0]["formula"] = "FORMULA-MARKER"
    text = _render(doc).select_one("#methodology").get_text(" ", strip=True)
    assert "sourcing 0.31" in text and "processing 0.24" in text
    assert "exploration 0.12" in text
    assert "CA, ZZ-TEST" in text
    assert "FORMULA-MARKER" in text
    assert "USD 150.0m" in text  # mvis min market cap from the model


def test_china_multiplier_separates_penalties_from_ownership_thresholds() -> None:
    doc = make_doc(n=5)
    doc["run"]["model"]["china"]["feoc_ownership_pct"] = 30
    doc["run"]["model"]["china"]["processing_in_china"] = 0.17
    rows = [
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in _render(doc).select("#methodology table.china-penalties tbody tr")
    ]
    assert rows[0][0].startswith("HQ in China") and "≥ 30%" in rows[0][0]
    assert rows[0][1] == "1.00"
    assert rows[1] == ["Chinese ownership from 5% to below 30%", "ownership % / 100"]
    assert ["Processes or tolls in China", "0.17"] in rows
    # Thresholds are not listed as if they were penalties.
    assert not any(r[0].startswith(("feoc ownership", "minority ownership")) for r in rows)


def test_factor_weights_say_what_each_factor_measures() -> None:
    rows = {
        tr.td.get_text(): tr.find_all("td")[2].get_text(" ", strip=True)
        for tr in _render(make_doc(n=5)).select("#methodology table.weights tbody tr")
    }
    assert "separation ×" in rows["processing"]
    assert rows["purity"] == "rare-earth share of revenue"
    assert rows["support"].startswith("sum of the support items")


def test_changes_section_first_run_and_with_previous() -> None:
    first = _render(make_doc(n=5, first_run=True)).select_one("#changes").get_text(" ", strip=True)
    assert "First run: no previous run to compare" in first
    doc = make_doc(n=12)
    section = _render(doc).select_one("#changes")
    text = section.get_text(" ", strip=True)
    assert "Compared with run 2026-W47" in text
    # One table per non-empty group; each row: ticker (linked to its card), name, the change.
    moves = section.select('table[data-group="rank_moves"] tr')
    assert len(moves) == len(doc["changes"]["rank_moves"])
    first = doc["changes"]["rank_moves"][0]  # the largest move: up 6 in the fixture
    assert first["to"] < first["from"]
    cells = [td.get_text(" ", strip=True) for td in moves[0].find_all("td")]
    assert cells[0] == first["ticker"]
    assert cells[1] == next(r["name"] for r in doc["rows"] if r["id"] == first["id"])
    assert cells[2] == f"rank {first['from']} → {first['to']} (up {first['from'] - first['to']})"
    assert moves[0].find("a")["href"] == f"#card-{first['id']}"
    # A removed company has no card to link to.
    removed = section.select('table[data-group="removed"] tr')
    assert [tr.find("a") for tr in removed] == [None]
    # The regime shift is labelled with its bands, and the bands are explained.
    shift = section.select_one('table[data-group="regime_shifts"] tr').get_text(" ", strip=True)
    record = doc["changes"]["regime_shifts"][0]
    was, now = regime(record["from"]), regime(record["to"])
    assert (record["previous_regime"], record["regime"]) == (was, now) and was != now
    assert (
        f"{was} → {now} volatility (1-month volatility at percentile "
        f"{100 * record['from']:.0f} → {100 * record['to']:.0f} of its own past year)" in shift
    )
    assert "counts as high" in text


def test_changes_summary_names_the_quiet_groups() -> None:
    doc = make_doc(n=12)
    for k in ("added", "removed", "score_changes", "gate_changes", "new_failures"):
        doc["changes"][k] = []
    section = _render(doc).select_one("#changes")
    summary = section.select_one(".change-summary").get_text(" ", strip=True)
    assert summary.startswith("Rank moves: 2; Volatility regime shifts: 1.")
    assert "No score changes, added, removed, gate changes, new failures." in summary
    assert [t["data-group"] for t in section.select("table")] == ["rank_moves", "regime_shifts"]


def test_changes_come_right_after_the_takeaways_and_the_nav_lists_every_section(
    soup: BeautifulSoup,
) -> None:
    order = [s["id"] for s in soup.select("main > section")]
    assert order[:4] == ["summary", "takeaways", "changes", "scatter"]
    assert order.index("cards") < order.index("quality") < order.index("methodology")
    nav = [a["href"] for a in soup.select("nav.toc a")]
    assert nav == [f"#{sid}" for sid in SECTIONS]
    for href in nav:
        assert soup.select_one(href) is not None


def test_quality_lists_failures_stale_profiles_and_stale_prices(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    q = soup.select_one("#quality")
    text = q.get_text(" ", strip=True)
    for f in doc["failures"]:
        assert f["ticker"] in text
    stale_profiles = [r["ticker"] for r in doc["rows"] if "STALE_PROFILE" in r["exposure"]["flags"]]
    stale_prices = [
        r["ticker"]
        for r in doc["rows"]
        if r["data_quality"]["stale_days"] >= settings.get("stale_price_days")
    ]
    assert stale_profiles and stale_prices
    lists = q.find_all("ul")
    linked = [[a.get_text() for a in ul.find_all("a")] for ul in lists]
    assert stale_prices in linked
    # Stale profiles: a table, oldest profile first, each linked to its card.
    by_ticker = {r["ticker"]: r for r in doc["rows"]}
    trs = q.select("table.stale-profiles tbody tr")
    shown = [tr.find("a").get_text() for tr in trs]
    assert sorted(shown) == sorted(stale_profiles)
    ages = [by_ticker[t]["exposure"]["age_days"] for t in shown]
    assert ages == sorted(ages, reverse=True)
    assert [int(tr.select("td")[3].get_text()) for tr in trs] == ages


def test_quality_counts_demo_rows_as_synthetic_even_without_the_row_mark() -> None:
    doc = make_doc(n=6)
    for r in doc["rows"]:
        r["data_quality"]["synthetic"] = False
        r["data_quality"]["source"] = "demo"
    soup = _render(doc)
    text = soup.select_one("#quality").get_text(" ", strip=True)
    assert "all 6 listed names are priced from generated data" in text
    card = soup.select_one(f"#card-{doc['rows'][0]['id']}").get_text(" ", strip=True)
    assert "SYNTHETIC prices" in card
    # A real-data run with a csv source claims nothing synthetic.
    doc["run"]["synthetic"] = False
    for r in doc["rows"]:
        r["data_quality"]["source"] = "csv"
    soup = _render(doc)
    assert "SYNTHETIC" not in soup.select_one(f"#card-{doc['rows'][0]['id']}").get_text()
    assert "generated data" not in soup.select_one("#quality").get_text()


def test_takeaways_come_from_the_document(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    items = [li.get_text() for li in soup.select("#takeaways li")]
    top = sorted(doc["rows"], key=lambda r: r["rank"])[0]
    assert any(top["ticker"] in t and f"{top['exposure']['score']:.1f}" in t for t in items)
    doc2 = make_doc(n=5)
    doc2["takeaways"] = ["Precomputed sentence from screen.build."]
    assert [li.get_text() for li in _render(doc2).select("#takeaways li")] == doc2["takeaways"]


def test_filters_offer_values_present_in_rows(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    def options(name: str) -> list[str]:
        return [
            o["value"] for o in soup.select(f'.filters select[name="{name}"] option') if o["value"]
        ]

    assert options("country") == sorted({r["hq"] for r in doc["rows"]})
    assert options("quadrant") == sorted({r["quadrant"] for r in doc["rows"] if r["quadrant"]})
    assert set(options("stage")) == {s["stage"] for r in doc["rows"] for s in r["segments"]}


def test_templates_never_mark_text_safe() -> None:
    for path in settings.templates_dir().iterdir():
        assert "|safe" not in path.read_text(encoding="utf-8").replace(" ", ""), path.name
    for module in (
        "report/html.py",
        "report/tabular.py",
        "report/context.py",
        "report/card.py",
        "report/charts.py",
        "report/formatters.py",
        "report/takeaways.py",
    ):
        code = (Path(screener.__file__).parent / module).read_text(encoding="utf-8")
        assert "Markup(" not in code and "markupsafe" not in code, module


# --- the card page ------------------------------------------------------------------------


def test_render_card_by_id_and_ticker(doc: dict[str, Any]) -> None:
    row = doc["rows"][3]
    by_id = BeautifulSoup(html.render_card(doc, row["id"]), "html.parser")
    by_ticker = BeautifulSoup(html.render_card(doc, row["ticker"]), "html.parser")
    for s in (by_id, by_ticker):
        cards = s.select("details.card")
        assert [c["id"] for c in cards] == [f"card-{row['id']}"]
        assert s.select_one("#disclaimer") is not None
        assert (s.select_one("#synthetic-banner") is not None) is doc["run"]["synthetic"]
    ctx = doc["context"][0]
    page = BeautifulSoup(html.render_card(doc, ctx["id"]), "html.parser")
    assert "never priced" in page.select_one("details.card").get_text()


def test_render_card_unknown_id_names_run(doc: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError, match=r"no company with id or ticker 'NOPE' in run 2026-W48"):
        html.render_card(doc, "NOPE")


# --- CSV / JSON / writing -------------------------------------------------------------------


def test_csv_columns_follow_the_contract(doc: dict[str, Any]) -> None:
    cols = tabular.csv_columns(doc)
    assert cols[:10] == [
        "rank",
        "ticker",
        "id",
        "name",
        "hq",
        "score",
        "score_low",
        "score_high",
        "raw_score",
        "china_multiplier",
    ]
    assert cols[10:22] == [f"{f}_{k}" for f in doc["run"]["weights"] for k in ("value", "points")]
    assert cols[22] == "flags"
    metric_names = [m["name"] for m in doc["metrics"]]
    assert cols[23 : 23 + len(metric_names)] == metric_names
    assert cols[-1] == "synthetic"
    assert "gate_pass" in cols and "dq_stale_days" in cols and len(cols) == len(set(cols))


def test_csv_rows_nulls_and_formula_guard(doc: dict[str, Any]) -> None:
    d = make_doc(n=6)
    d["rows"][0]["name"] = '=HYPERLINK("http://x")'
    rows = list(csv.DictReader(io.StringIO(tabular.csv_text(d))))
    assert len(rows) == len(d["rows"])
    assert rows[0]["name"].startswith("'=")
    unpriced = next(
        r for r, src in zip(rows, d["rows"], strict=True) if src["risk"]["vol_1y"] is None
    )
    assert unpriced["vol_1y"] == ""
    first = d["rows"][0]
    assert float(rows[0]["score"]) == tabular.rounded(first["exposure"]["score"])
    for rec, src in zip(rows, d["rows"], strict=True):  # the interval, right after the score
        low, high = float(rec["score_low"]), float(rec["score_high"])
        exp = src["exposure"]
        assert (low, high) == (tabular.rounded(exp["low"]), tabular.rounded(exp["high"]))
        assert low <= float(rec["score"]) <= high
    assert rows[0]["flags"] == ";".join(first["exposure"]["flags"])
    assert rows[0]["synthetic"] == "true"
    # Rounded at the writer: 6 significant digits, USD to whole dollars.
    assert float(rows[0]["ret_1m"]) == pytest.approx(first["risk"]["ret_1m"], rel=1e-5)
    assert float(rows[0]["ret_1m"]) == float(f"{first['risk']['ret_1m']:.6g}")
    assert rows[0]["market_cap_usd"] == str(round(first["risk"]["market_cap_usd"]))


def test_files_carry_no_float_noise() -> None:
    d = make_doc(n=4)
    d["rows"][0]["exposure"]["score"] = 29.279999999999998
    d["rows"][0]["risk"]["adv_3m_usd"] = 1234567.891
    text, table = tabular.json_text(d), tabular.csv_text(d)
    for out in (text, table):
        assert "29.279999999999998" not in out and "29.28" in out
        assert "1234567.891" not in out and "1234568" in out
    # No float anywhere in either file has more than 6 significant digits.
    for number in re.findall(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?", text + table):
        digits = number.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
        assert len(digits) <= 6, number


def _reference_json(doc: Any) -> str:
    """screen.json as the writer made it before its one-pass version: json.dumps with indent
    over the rounded tree, then every list of numbers joined onto one line."""
    number = r"(?:-?[0-9][0-9.eE+-]*|null)"
    lists = re.compile(rf"\[\n\s*({number}(?:,\n\s*{number})*)\n\s*\]")
    text = json.dumps(tabular.rounded_tree(doc), indent=2, ensure_ascii=False, allow_nan=False)
    return lists.sub(lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text + "\n")


def test_json_text_is_byte_for_byte_the_indenting_encoder(doc: dict[str, Any]) -> None:
    assert tabular.json_text(doc) == _reference_json(doc)
    odd = {
        "empty": {},
        "none": [],
        "nested": [[1, 2.5], [], [None, None], [True, 1], [{"a": 1e-07}]],
        "text": 'quote " backslash \\ newline \n tab \t “unicode” é \u2028',
        "cap_usd": 1234567.891,
        "xs_usd": [1.5, 2.4, None],
        "big": 1.23456789e20,
        "tiny": -0.000123456789,
        "flags": [True, False, None],
        "ints": [1, -2, 3],
        "mixed": ["a", 1, None],
        7: "a number key",
    }
    assert tabular.json_text(odd) == _reference_json(odd)  # type: ignore[arg-type]


def test_json_round_trips_and_refuses_nan() -> None:
    d = make_doc(n=4)
    back = json.loads(tabular.json_text(d))
    assert back.keys() == d.keys() and back["rows"][0].keys() == d["rows"][0].keys()
    assert back["rows"][0]["risk"] == {
        k: (tabular.rounded(v, k) if isinstance(v, float) else v)
        for k, v in d["rows"][0]["risk"].items()
    }
    d["rows"][1]["risk"]["vol_1y"] = float("nan")
    with pytest.raises(ScreenerError, match=r"doc\.rows\[1\]\.risk\.vol_1y"):
        tabular.json_text(d)


def test_write_outputs_writes_three_files_and_no_temp(tmp_path: Path) -> None:
    d = make_doc(n=5)
    paths = tabular.write_outputs(d, tmp_path / "out")
    assert set(paths) == {"report.html", "screen.csv", "screen.json"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html",
        "screen.csv",
        "screen.json",
    ]
    assert paths["screen.json"].read_text(encoding="utf-8") == tabular.json_text(d)
    assert json.loads(paths["screen.json"].read_text(encoding="utf-8")).keys() == d.keys()
    assert paths["screen.csv"].read_text(encoding="utf-8").splitlines()[0] == ",".join(
        tabular.csv_columns(d)
    )


def test_write_outputs_failure_leaves_previous_files(tmp_path: Path) -> None:
    good = make_doc(n=5)
    tabular.write_outputs(good, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    bad = make_doc(n=5, seed=8)
    bad["rows"][0]["exposure"]["score"] = float("inf")
    with pytest.raises(ScreenerError):
        tabular.write_outputs(bad, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_report_text_has_no_template_leftovers(soup: BeautifulSoup) -> None:
    text = soup.get_text()
    assert not re.search(r"\{\{|\}\}|\{%|None\b|nan\b", text)


def test_sparse_documents_render() -> None:
    """An empty run, and a company whose every fetch failed (no prices stored), still render."""
    empty = make_doc(n=3, first_run=True)
    empty["rows"], empty["failures"] = [], []
    soup = _render(empty)
    assert soup.select("table#ranked tbody tr") == []
    assert soup.select("#scatter circle") == []
    doc = make_doc(n=3, n_unpriced=0, n_unstored=1)
    bare = next(r for r in doc["rows"] if r["risk_reasons"] == {"*": "no stored prices"})
    assert all(v is None for v in bare["risk"].values()) and bare["series"]["close"] == []
    soup = _render(doc)
    assert soup.select_one(f'table#ranked tr[data-id="{bare["id"]}"]') is not None
    caption = soup.select_one("#scatter figcaption").get_text()
    assert f"{bare['ticker']} (no 1-year volatility)" in caption


def test_table_flags_are_short_badges_with_full_meaning_and_a_legend(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    row = next(r for r in doc["rows"] if r["exposure"]["flags"])
    badges = soup.select(f'table#ranked tr[data-id="{row["id"]}"] td.flags .flag')
    assert [b["title"].split(":")[0] for b in badges] == row["exposure"]["flags"]
    for b in badges:
        code = b["title"].split(":")[0]
        assert code in b["class"] and len(b.get_text()) <= 9  # short text, full code in title
        assert len(b["title"]) > len(code) + 10  # the meaning follows the code
    legend = soup.select_one("#flag-legend")
    assert soup.select_one('table#ranked thead a[href="#flag-legend"]') is not None
    every = [f for r in doc["rows"] + doc["context"] for f in r["exposure"]["flags"]]
    codes = [dd.code.get_text() for dd in legend.select("dd")]
    assert sorted(codes) == sorted(set(every))
    for dd in legend.select("dd"):
        code = dd.code.get_text()
        assert f"({every.count(code)} of {len(doc['rows']) + len(doc['context'])} companies)" in (
            dd.get_text()
        )


def test_table_money_cells_leave_the_currency_to_the_header(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    heads = [th.get_text(" ", strip=True) for th in soup.select("table#ranked thead th")]
    col = heads.index("Market cap (USD)")
    row = next(r for r in doc["rows"] if r["risk"]["market_cap_usd"] is not None)
    tr = soup.select_one(f'table#ranked tr[data-id="{row["id"]}"]')
    text = tr.find_all("td")[col].get_text(strip=True)
    assert not text.startswith("USD") and text[-1] in "kmnt"
    # The card keeps the currency in the value.
    card = soup.select_one(f"#card-{row['id']} .risk-grid").get_text(" ", strip=True)
    assert "USD " + text in card


def test_scatter_caption_sentences_are_separated() -> None:
    doc = make_doc(n=60)
    for r in doc["rows"]:  # every name plotted: the caption's "every listed company" branch
        if r["risk"]["vol_1y"] is None:
            r["risk"]["vol_1y"] = 0.5
    cap = _render(doc).select_one("#scatter figcaption").get_text(" ", strip=True)
    assert "every listed company has a score and a volatility." in cap
    assert re.search(r"[a-z]\.\d", cap) is None  # "volatility.7 labels" was one word
    assert re.search(r"\. \d+ labels? (is|are) left out", cap)
    assert "1 labels" not in cap


def test_card_price_names_its_currency_and_support_drops_unknowns() -> None:
    doc = make_doc(n=5)
    row = doc["rows"][0]
    row["data_quality"]["currency"] = "AUD"
    row["support"] = [
        {
            "kind": "strategic_offtake",
            "counterparty": "Buyer Co",
            "country": None,
            "date": None,
            "note": None,
            "sources": [],
            "refs": [],
        }
    ]
    card = _render(doc).select_one(f"#card-{row['id']}")
    heads = [h.get_text() for h in card.select("h4")]
    assert "Weekly closes, 1 year (AUD)" in heads
    support = [li.get_text(" ", strip=True) for li in card.select("ul li")]
    assert "strategic offtake — Buyer Co" in support


def test_csv_quality_columns_follow_the_metrics_quality_table() -> None:
    from screener.metrics.quality import QUALITY_COLUMNS
    from screener.report.tabular import _DQ_FIELDS

    assert (*(c for c in QUALITY_COLUMNS if c != "synthetic"), "source", "last_error") == _DQ_FIELDS


# --- model v2: the evidence interval, the audit, staleness ---------------------------------


def _interval(x: dict[str, Any]) -> str:
    return f"{x['score']:.1f} ({x['low']:.1f}–{x['high']:.1f})"


def test_table_score_carries_its_interval(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    assert any(r["exposure"]["low"] < r["exposure"]["high"] for r in doc["rows"])
    for r in doc["rows"]:
        cell = soup.select_one(f'table#ranked tr[data-id="{r["id"]}"] td.score')
        exp = r["exposure"]
        assert cell.get_text(" ", strip=True) == _interval(exp)
        assert cell.select_one(".interval").get_text() == f"({exp['low']:.1f}–{exp['high']:.1f})"
        assert float(cell["data-low"]) == exp["low"] and float(cell["data-high"]) == exp["high"]
        assert float(cell["data-sort-value"]) == exp["score"]  # still sorts by the score
    for c in doc["context"]:
        cell = soup.select_one(f'#context tr[data-id="{c["id"]}"] td.score')
        assert cell.get_text(" ", strip=True) == _interval(c["exposure"])


def test_scatter_has_a_whisker_per_point_from_low_to_high(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    # The y scale, read back from the axis' tick labels (drawn 4 units below their tick).
    ticks = [
        (float(t.get_text()), float(t["y"]) - 4)
        for t in soup.select('#scatter .ticks text[text-anchor="end"]')
    ]
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]

    def py(v: float) -> float:
        return y0 + (v - v0) * (y1 - y0) / (v1 - v0)

    by_id = {r["id"]: r["exposure"] for r in doc["rows"]}
    circles = {c["data-id"]: c for c in soup.select("#scatter circle[data-id]")}
    whiskers = soup.select("#scatter .whiskers line.whisker")
    assert sorted(w["data-id"] for w in whiskers) == sorted(circles)
    for w in whiskers:
        exp, c = by_id[w["data-id"]], circles[w["data-id"]]
        assert w["x1"] == w["x2"] == c["cx"]
        assert float(w["y1"]) == pytest.approx(py(exp["low"]), abs=0.06)
        assert float(w["y2"]) == pytest.approx(py(exp["high"]), abs=0.06)
        assert float(w["y2"]) <= float(c["cy"]) <= float(w["y1"])  # the point sits on it
        assert (float(w["data-low"]), float(w["data-high"])) == (exp["low"], exp["high"])
    plot_top = float(soup.select("#scatter .axes line")[1]["y1"])  # the vertical axis' top
    assert min(float(w["y2"]) for w in whiskers) >= plot_top  # the axis covers every whisker


def test_card_shows_interval_drivers_and_confidence_note(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    wide = make_doc(seed=8)  # this seed has a profile with four unknowns
    row = max(wide["rows"], key=lambda r: len(r["exposure"]["interval_drivers"]))
    assert len(row["exposure"]["interval_drivers"]) > 3  # the card names the widest three
    card = _render(wide).select_one(f"#card-{row['id']}")
    exp = row["exposure"]
    assert card.select_one("h4.card-score").get_text(" ", strip=True) == (
        "Exposure score " + _interval(exp)
    )
    drivers = [d.get_text() for d in card.select(".rests-on .driver")]
    assert drivers == [
        f"{d['what']} (±{(d['high'] - d['low']) / 2:.1f})" for d in exp["interval_drivers"][:3]
    ]
    widths = [d["high"] - d["low"] for d in exp["interval_drivers"][:3]]
    assert widths == sorted(widths, reverse=True)
    noted = next(r for r in doc["rows"] if r["exposure"]["confidence_note"])
    note = soup.select_one(f"#card-{noted['id']} .confidence-note").get_text()
    assert noted["exposure"]["confidence_note"] in note
    quiet = next(r for r in doc["rows"] if not r["exposure"]["confidence_note"])
    assert soup.select_one(f"#card-{quiet['id']} .confidence-note") is None


def test_card_lists_plants_with_capacity_and_feed(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    rows = doc["rows"] + doc["context"]
    unknown_feed = next(
        r
        for r in rows
        if any(
            s["stage"] in ("separation", "magnet") and s["feed_origin"] is None
            for s in r["segments"]
        )
    )
    for r in (rows[0], unknown_feed):
        trs = soup.select(f"#card-{r['id']} table.plants tbody tr")
        assert len(trs) == len(r["segments"])
        for tr, seg in zip(trs, r["segments"], strict=True):
            cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            cap = seg["capacity_tpa"]
            assert cells[3] == ("capacity unknown" if cap is None else f"{cap:,.0f} t/yr")
            assert cells[5] == (seg["capacity_note"] or "")
            if seg["stage"] in ("separation", "metal_alloy", "magnet"):
                origin = seg["feed_origin"]
                assert cells[4] == ("feed unknown" if origin is None else f"feed {origin}")
                assert ("feed-unknown" in tr.select_one("td.feed")["class"]) is (origin is None)
            else:
                assert cells[4] == "–"


def test_card_marks_support_not_for_rare_earths_and_source_kinds(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    row = next(r for r in doc["rows"] if any(not s["ree_related"] for s in r["support"]))
    items = soup.select(f"#card-{row['id']} ul.support li")
    assert len(items) == len(row["support"])
    for li, s in zip(items, row["support"], strict=True):
        counted = "not counted: not for rare earths" not in li.get_text()
        assert counted is s["ree_related"]
        assert ("not-counted" in (li.get("class") or [])) is (not s["ree_related"])
    row = next(r for r in doc["rows"] if any(s["kind"] == "secondary" for s in r["sources"]))
    kinds = soup.select(f"#card-{row['id']} ol.sources li")
    for li, s in zip(kinds, row["sources"], strict=True):
        tag = li.select_one(".src-kind")
        assert tag.get_text() == s["kind"]
        assert ("secondary" in tag["class"]) is (s["kind"] == "secondary")


def test_quality_lists_what_to_recheck_first_from_the_document(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    audit = doc["audit"]
    assert len(audit) == 10
    trs = soup.select("#quality table.audit tbody tr")
    assert [tr["data-id"] for tr in trs] == [a["id"] for a in audit]
    ranks = {r["id"]: r["rank"] for r in doc["rows"]}
    for tr, a in zip(trs, audit, strict=True):
        cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        assert cells[0] == a["ticker"] and cells[1] == a["name"]
        assert cells[2] == str(a["rank"]) == str(ranks[a["id"]])
        assert cells[3] == f"{a['best_rank']}–{a['worst_rank']}"
        assert cells[4] == _interval(a)
        assert cells[5] == f"{a['age_days']} d"
        assert [s.get_text() for s in tr.select("td.why .reason")] == a["reasons"]
        assert tr.find("a")["href"] == f"#card-{a['id']}"


def test_header_states_how_old_the_universe_is(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    uni = doc["run"]["universe"]
    text = soup.select_one("header.page .universe-age").get_text(" ", strip=True)
    assert text == f"newest {uni['newest_fact']}, median {uni['median_fact']}"


def test_table_shows_each_profiles_age(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    for r in doc["rows"]:
        cell = soup.select_one(f'table#ranked tr[data-id="{r["id"]}"] td.age')
        assert cell.get_text() == f"{r['exposure']['age_days']} d"
        assert float(cell["data-sort-value"]) == r["exposure"]["age_days"]


def _stale_badges(soup: BeautifulSoup) -> list[str]:
    return [
        tr["data-id"]
        for tr in soup.select("table#ranked tbody tr")
        if tr.select_one("td.flags .flag.STALE_PROFILE")
    ]


def test_stale_badge_marks_the_few_stale_rows(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    stale = [r["id"] for r in doc["rows"] if "STALE_PROFILE" in r["exposure"]["flags"]]
    assert 0 < len(stale) < len(doc["rows"]) / 2
    assert _stale_badges(soup) == stale
    assert soup.select_one("#stale-note") is None


def test_stale_badge_gives_way_to_one_header_note_when_most_rows_are_stale() -> None:
    doc = make_doc(n=12)
    rows = doc["rows"]
    for r in rows[: len(rows) // 2]:  # exactly half: no longer a distinction worth a badge
        if "STALE_PROFILE" not in r["exposure"]["flags"]:
            r["exposure"]["flags"].append("STALE_PROFILE")
    stale = sum("STALE_PROFILE" in r["exposure"]["flags"] for r in rows)
    soup = _render(doc)
    assert _stale_badges(soup) == []
    note = soup.select_one("header.page #stale-note").get_text(" ", strip=True)
    assert f"{stale} of {len(rows)} listed profiles are older than 180 days" in note
    legend = soup.select_one("#flag-legend").get_text(" ", strip=True)
    assert "STALE_PROFILE" in legend and "Not marked in the table" in legend
    # The card keeps the full record: flag and age.
    card = soup.select_one(f"#card-{rows[0]['id']}")
    assert "STALE_PROFILE" in card.get_text() and f"{rows[0]['exposure']['age_days']} days old" in (
        card.get_text()
    )
    # Every row stale: said as "All".
    for r in rows:
        if "STALE_PROFILE" not in r["exposure"]["flags"]:
            r["exposure"]["flags"].append("STALE_PROFILE")
    note = _render(doc).select_one("#stale-note").get_text(" ", strip=True)
    assert f"All {len(rows)} listed profiles" in note


def test_methodology_prints_the_v2_parameters_in_force() -> None:
    doc = make_doc(n=5)
    model = doc["run"]["model"]
    model["scale"]["references"]["magnet"] = 2345
    model["feed"]["unknown"] = {"value": 0.55, "low": 0.05, "high": 0.95}
    model["purity_unknown"] = {"value": 0.5, "low": 0.1, "high": 0.9}
    section = _render(doc).select_one("#methodology")
    text = section.get_text(" ", strip=True)
    refs = {
        tr.td.get_text(): tr.find_all("td")[1].get_text()
        for tr in section.select("table.scale-references tbody tr")
    }
    assert refs["magnet"] == "2,345" and refs["separation"] == "5,000"
    scale = section.select_one(".scale-rule").get_text(" ", strip=True)
    assert "scale = 0.50 + (1 − 0.50) × min(1, capacity / reference) 0.50" in scale
    assert "counts 0.75 (range 0.50–1.00)" in scale
    feed = section.select_one(".feed-rule").get_text(" ", strip=True)
    assert "counts 0.55 (range 0.05–0.95)" in feed and "covered and high risk" in feed
    assert "an unknown share counts 0.50 (range 0.10–0.90)" in text
    assert "pilot 0.35" in text
    rule = section.select_one(".interval-rule").get_text(" ", strip=True)
    assert "low/high is the score with every unknown at the bottom/top of its range" in rule


def test_a_run_stored_before_the_v2_keys_still_renders() -> None:
    doc = make_doc(n=6)
    del doc["audit"]
    for k in ("newest_fact", "median_fact"):
        del doc["run"]["universe"][k]
    for k in ("scale", "feed"):
        del doc["run"]["model"][k]
    for r in doc["rows"] + doc["context"]:
        for k in ("low", "high", "interval_drivers", "confidence_note"):
            del r["exposure"][k]
    soup = _render(doc)
    assert soup.select(".interval") == [] and soup.select("#scatter line.whisker") == []
    assert "Not recorded in this run" in soup.select_one("#quality").get_text()
    assert soup.select_one(".universe-age").get_text(" ", strip=True) == "newest –, median –"


def test_score_changes_say_what_changed_in_the_profile() -> None:
    d = make_doc(n=12)
    moved = [m for m in d["changes"]["score_changes"] if m.get("profile_changes")]
    assert moved, "the fixture has a score change with profile changes"
    soup = BeautifulSoup(html.render_report(d), "html.parser")
    text = soup.select_one("#changes").get_text(" ", strip=True)
    for m in moved:
        assert m["profile_changes"][0] in text


def test_methodology_metric_texts_name_no_code() -> None:
    from screener.report.methodology import plain

    labels = {"vol_1m": "Volatility 1m", "vol_1y": "Volatility 1y", "max_dd_1y": "Max drawdown 1y"}
    assert plain("As max_dd_1y over 3 years; NaN if short.", labels) == (
        "As Max drawdown 1y over 3 years; no value if short."
    )
    assert plain("a ticket of adv_ticket_usd (USD 1m) taking adv_participation (20 %)", {}) == (
        "a ticket of USD 1m taking 20 %"
    )
    ref = "Hull (2022); empyrical-reloaded (x/y), verified in tests/test_m.py (annual_volatility)"
    assert plain(ref, {}) == "Hull (2022); empyrical-reloaded (x/y)"
    assert plain("vol_1m / vol_1y", labels) == "Volatility 1m / Volatility 1y"


def test_rendered_report_shows_no_internal_names(soup: BeautifulSoup) -> None:
    """What a reader sees (text and tooltips, not the script) has no code names or raw nulls."""
    page = copy.copy(soup)
    for t in page(["script", "style"]):
        t.decompose()
    text = page.get_text(" ")
    tips = " ".join(
        str(v) for tag in page.find_all(True) for k, v in tag.attrs.items() if k == "title"
    )
    for seen in (text, tips):
        for bad in (
            r"\bNaN\b",
            r"\bNone\b",
            r"\bnan\b",
            r"vol_regime",
            r"score / vol_1y",
            r"tests/",
            r"\.py\b",
            r"\bvol_1y\b",
            r"\bmax_dd_1y\b",
            r"\bvar_level\b",
            r"\badv_ticket_usd\b",
            r"\bfx_fill_days\b",
        ):
            assert not re.search(bad, seen), (bad, re.search(bad, seen))


def test_summary_lists_changes_with_causes_top_ten_and_breakdowns(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    from screener.screen import summary as screen_summary
    from screener.universe.records import STAGES

    s = soup.select_one("#summary")
    # What changed: each busy group with its count; a rank move says why it moved.
    items = [li.get_text(" ", strip=True) for li in s.select("ul.summary-list > li")]
    moves = doc["changes"]["rank_moves"]
    assert moves and any(t.startswith(f"Rank moves ({len(moves)})") for t in items)
    scored = {m["id"] for m in doc["changes"]["score_changes"]}
    for m in moves[:3]:
        line = next(t for t in items if t.startswith("Rank moves"))
        cause = "cause:" if m["id"] in scored else "others moved"
        assert f"rank {m['from']} → {m['to']}" in line and cause in line
    # The top ten, in rank order, each with its interval and a link to its card.
    top = sorted(doc["rows"], key=lambda r: r["rank"])[:10]
    trs = s.select("table.top-ten tbody tr")
    assert [tr["data-id"] for tr in trs] == [r["id"] for r in top]
    for tr, r in zip(trs, top, strict=True):
        assert tr.select_one("a")["href"] == f"#card-{r['id']}"
        assert f"({r['exposure']['low']:.1f}–{r['exposure']['high']:.1f})" in tr.get_text()
    # Breakdowns: the screen's counts, the busiest countries first.
    want = screen_summary.by_country(doc["rows"])
    got = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in s.select("table.by-country tbody tr")
    ]
    assert got == [[c.country, str(c.hq), str(c.operations)] for c in want[: len(got)]]
    stages = [tr["data-stage"] for tr in s.select("table.by-stage tbody tr")]
    assert stages == [x.stage for x in screen_summary.by_stage(doc["rows"], STAGES)]
    # The basket's compact block: the basket, REMX and SPY over one year, linking to its section.
    from screener.report.basket_chart import basket_view

    basket = basket_view(doc)
    assert basket is not None and basket.compact
    block = s.select_one("#summary-basket")
    labels = [th.get_text(strip=True) for th in block.select("table.basket-compact tbody th")]
    assert labels == [c.label for c in basket.compact]
    assert block.select_one('a[href="#basket"]') is not None and soup.select_one("#basket")


def test_compiled_templates_are_cached_in_the_cache_dir_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    from screener.report.html import _bytecode_cache

    monkeypatch.setenv("SCREENER_HOME", str(tmp_path / "home"))
    cache = _bytecode_cache()
    assert isinstance(cache, jinja2.FileSystemBytecodeCache)
    assert (tmp_path / "home" / "cache" / "templates").is_dir()
    # a data dir that cannot hold a folder: no cache, and no error either
    (tmp_path / "file").write_text("x", encoding="utf-8")
    monkeypatch.setenv("SCREENER_HOME", str(tmp_path / "file"))
    assert _bytecode_cache() is None
