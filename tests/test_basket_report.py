"""The basket and the cards' price charts in the rendered report, screen.csv and a re-render.

The document is the SYNTHETIC fixture (tests/fixtures/screen_doc.py) built by the real code.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fixtures.screen_doc import make_doc

from screener.report import html, tabular
from screener.report.basket_chart import basket_view, time_chart
from screener.report.price_chart import price_chart_view

LABEL = "today's basket on past prices, not a backtest"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return make_doc()


@pytest.fixture(scope="module")
def soup(doc: dict[str, Any]) -> BeautifulSoup:
    return BeautifulSoup(html.render_report(doc), "html.parser")


def test_basket_section_carries_the_look_ahead_label(soup: BeautifulSoup) -> None:
    section = soup.select_one("section#basket")
    assert section is not None
    assert LABEL in section.get_text(" ").lower()
    # every chart's caption and every stats table says it, not just the intro
    captions = section.select("figure.basket-chart figcaption")
    assert len(captions) == 2 and all(LABEL in c.get_text().lower() for c in captions)
    tables = section.select("table.basket-stats caption")
    assert len(tables) == 2 and all(LABEL in t.get_text() for t in tables)


def test_basket_charts_have_axes_dates_and_a_legend(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    panels = soup.select("section#basket .bk-panel")
    assert [p["data-window"] for p in panels] == ["1y", "3y"]
    keys = [ln["key"] for ln in doc["basket"]["windows"][0]["lines"]]
    assert keys == ["basket", "basket_invvol", "point_in_time", "REMX", "SPY"]
    for p in panels:
        svg = p.select_one("svg.basket-chart")
        assert svg is not None
        drawn = {pl["data-key"] for pl in svg.select("path.ret")}
        assert drawn == set(keys)
        assert {pl["data-key"] for pl in svg.select("path.dd")} == set(keys)
        months = [t.get_text() for t in svg.select("g.xticks text")]
        assert 2 <= len(months) <= 7 and any(m[:3] in {"Jan", "Jul"} for m in months)
        assert any(" 20" in m for m in months)  # the year is on the first tick of each year
        assert any(t.get_text() == "0%" for t in svg.select("g.yticks text"))
        legend = [li["data-key"] for li in p.select("ul.chart-legend li")]
        assert legend == keys
        rows = [tr["data-key"] for tr in p.select("table.basket-stats tbody tr")]
        assert rows == keys


def test_stats_table_shows_the_documents_numbers(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    w = doc["basket"]["windows"][1]
    basket = next(ln for ln in w["lines"] if ln["key"] == "basket")["stats"]
    row = soup.select_one('section#basket .bk-panel-3y tr[data-key="basket"]')
    cells = [td.get_text() for td in row.select("td")]
    assert cells[0] == f"{basket['total_return'] * 100:+.1f}%"
    assert cells[1] == f"{basket['vol'] * 100:.1f}%"
    assert cells[3] == f"{basket['beta']:.2f}"
    remx = soup.select_one('section#basket .bk-panel-3y tr[data-key="REMX"]')
    assert [td.get_text() for td in remx.select("td")][3:] == ["–", "–"]  # no beta to itself


def test_window_toggle_works_without_javascript_and_prints_both(soup: BeautifulSoup) -> None:
    radios = soup.select("section#basket .bk-tabs > input[type=radio]")
    assert [r["id"] for r in radios] == ["bk-w-1y", "bk-w-3y"]
    assert radios[0].has_attr("checked") and not radios[1].has_attr("checked")
    style = soup.select_one("section#basket style").get_text()
    assert "#bk-w-3y:not(:checked) ~ .bk-panel-3y" in style
    assert "@media print" in style and ".bk-panel { display: block !important" in style


def test_basket_facts_line(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    v = doc["basket"]["variants"][0]
    text = soup.select_one("section#basket .basket-facts").get_text(" ")
    assert f"{v['names']} names" in text
    assert f"largest weight {v['largest']['ticker']}" in text
    assert "2026-W47" in text  # turnover against the previous stored run


def test_equal_weight_fallback_is_said(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    d["basket"]["variants"][0].update(rule="equal_weight", names=5, cap=0.2)
    text = BeautifulSoup(html.render_report(d), "html.parser").select_one(".basket-rule")
    assert text is not None and "too few for an 8 % issuer cap" in text.get_text()


def test_compact_block_for_the_summary(doc: dict[str, Any]) -> None:
    view = basket_view(doc)
    assert view is not None
    out = (
        html.environment()
        .from_string('{% from "_basket.html" import basket_compact %}{{ basket_compact(b) }}')
        .render(b=view)
    )
    table = BeautifulSoup(out, "html.parser").select_one("table.basket-compact")
    assert [th.get_text() for th in table.select("tbody th")] == ["Basket", "REMX", "SPY"]
    assert LABEL in table.caption.get_text() and "SYNTHETIC" in table.caption.get_text()


def test_card_price_chart_against_remx_labelled_synthetic(
    doc: dict[str, Any], soup: BeautifulSoup
) -> None:
    row = next(r for r in doc["rows"] if r["price"])
    card = soup.select_one(f'details.card[data-id="{row["id"]}"]')
    fig = card.select_one("figure.price-chart")
    assert fig is not None and fig["data-window"] == row["price"]["window"]
    keys = [pl["data-key"] for pl in fig.select("path.ret")]
    assert sorted(keys) == sorted([row["ticker"], "REMX"])
    assert [pl["data-key"] for pl in fig.select("path.dd")] == [row["ticker"]]
    assert fig.select("g.xticks text") and fig.select("g.yticks text")
    assert "SYNTHETIC" in fig.figcaption.get_text()


def test_card_price_chart_on_market_data_does_not_say_synthetic() -> None:
    d = make_doc(synthetic=False)
    row = next(r for r in d["rows"] if r["price"])
    view = price_chart_view(d, row)
    assert view is not None and "SYNTHETIC" not in view.caption and "USD" in view.caption


def test_rows_without_prices_have_no_chart(doc: dict[str, Any], soup: BeautifulSoup) -> None:
    for r in doc["rows"]:
        card = soup.select_one(f'details.card[data-id="{r["id"]}"]')
        assert (card.select_one("figure.price-chart") is not None) == bool(r["price"])


def test_a_run_stored_before_the_basket_renders_without_it(doc: dict[str, Any]) -> None:
    old = copy.deepcopy(doc)
    del old["basket"]
    for r in old["rows"]:
        for k in ("basket_weight", "basket_weight_invvol", "price"):
            del r[k]
    s = BeautifulSoup(html.render_report(old), "html.parser")
    assert s.select_one("section#basket") is None and not s.select("figure.price-chart")
    header = next(csv.reader(io.StringIO(tabular.csv_text(old))))
    assert "basket_weight" in header  # the column stays, its cells are empty


def test_rerender_from_the_json_alone_is_identical(doc: dict[str, Any]) -> None:
    # a stored run is its JSON: re-rendering it needs neither the store nor the universe.
    # screen.json is rounded at the writer (6 significant digits), so its report equals the
    # rounded document's, and the rounding is stable: the JSON of the JSON is the JSON.
    text = tabular.json_text(doc)
    again = json.loads(text)
    assert tabular.json_text(again) == text
    assert html.render_report(again) == html.render_report(json.loads(tabular.json_text(again)))
    assert html.render_report(again).count('class="card"') == html.render_report(doc).count(
        'class="card"'
    )


def test_csv_carries_both_weights(doc: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(tabular.csv_text(doc))))
    by_id = {r["id"]: r for r in rows}
    total = 0.0
    for r in doc["rows"]:
        # rounded at the writer to 6 significant digits
        assert float(by_id[r["id"]]["basket_weight"]) == tabular.rounded(r["basket_weight"])
        w_iv = r["basket_weight_invvol"]
        assert float(by_id[r["id"]]["basket_weight_invvol"]) == tabular.rounded(w_iv)
        total += r["basket_weight"]
    assert total == pytest.approx(1.0, abs=1e-4)


def test_time_chart_month_ticks_and_empty_input() -> None:
    dates = ["2025-11-28", "2026-02-27", "2026-05-29", "2026-08-28", "2026-11-27"]
    chart = time_chart(
        dates, [("x", "X", [0.0, 0.1, -0.1, 0.2, 0.3], [0.0, 0.0, -0.2, 0, 0])], height=300
    )
    assert chart is not None
    labels = [t.label for t in chart.x_ticks]
    assert labels == ["Jan 2026", "Mar", "May", "Jul", "Sep", "Nov"]
    xs = [t.pos for t in chart.x_ticks]
    assert xs == sorted(xs) and chart.plot_left <= xs[0] and xs[-1] <= chart.plot_right
    assert time_chart(dates, [("x", "X", [None] * 5, [None] * 5)], height=300) is None


def _absolute(d: str) -> list[tuple[float, float]]:
    """The vertices of ``M x y l dx dy …`` path data (an independent reading of it)."""
    import re

    head, _, rel = d[1:].partition("l")
    nums = [float(n) for n in re.findall(r"-?\d*\.?\d+", head)]
    pts = [(nums[0], nums[1])]
    deltas = [float(n) for n in re.findall(r"-?\d*\.?\d+", rel)]
    for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
        pts.append((round(pts[-1][0] + dx, 1), round(pts[-1][1] + dy, 1)))
    return pts


def test_line_paths_pass_through_every_value_to_a_tenth_of_a_pixel() -> None:
    """The relative path data draws the polyline it replaced: each dated value at its pixel,
    rounded to 0.1, with missing values skipped; no drift over a long line."""
    import numpy as np
    import pandas as pd

    days = pd.bdate_range("2023-11-27", "2026-11-27", freq="W-FRI")
    rng = np.random.default_rng(5)
    ret: list[float | None] = list(np.cumprod(1 + rng.normal(0, 0.05, len(days))) - 1)
    ret[7] = None  # a week without a close
    peak = np.maximum.accumulate([1 + (r or 0) for r in ret])
    dd = [(1 + (r or 0)) / p - 1 for r, p in zip(ret, peak, strict=True)]
    dates = [d.date().isoformat() for d in days]
    chart = time_chart(dates, [("x", "X", ret, dd)], height=300)
    assert chart is not None
    line = chart.lines[0]
    got = _absolute(line.ret_path)
    assert len(got) == len(days) - 1
    kept = [(d, r) for d, r in zip(days, ret, strict=True) if r is not None]
    first, span = days[0], (days[-1] - days[0]).days
    for (gx, _), (d, _) in zip(got, kept, strict=True):
        x = chart.plot_left + (d - first).days / span * (chart.plot_right - chart.plot_left)
        assert abs(gx - x) <= 0.051
    # y is the value under the panel's linear scale: fit it; every vertex within rounding
    v = np.array([r for _, r in kept])
    gy = np.array([y for _, y in got])
    slope, intercept = np.polyfit(v, gy, 1)
    assert slope < 0 and np.abs(gy - (intercept + slope * v)).max() <= 0.06  # 0.05 + the fit
    assert len(_absolute(line.dd_path)) == len(days)


def test_screen_json_keeps_number_lists_on_one_line(doc: dict[str, Any]) -> None:
    text = tabular.json_text(doc)
    # the same document, its floats rounded at the writer (6 significant digits)
    rounded = tabular.rounded_tree(doc)
    assert json.loads(text) == json.loads(json.dumps(rounded))
    row = next(r for r in rounded["rows"] if r["price"])
    one_line = json.dumps(row["price"]["ret"], allow_nan=False)
    assert f'"ret": {one_line}' in text
    # a string that looks like a list is left alone (only indent whitespace holds a newline)
    odd = {"note": "a [\n 1,\n 2\n] b", "xs": [1, None, -0.5]}
    out = tabular.json_text(odd)  # type: ignore[arg-type]
    assert json.loads(out) == odd and '"xs": [1, null, -0.5]' in out
