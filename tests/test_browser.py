"""The report in a real headless browser: Debian's chromium driven by selenium + chromedriver.

The report is opened from disk (file://), as a user would open it. Selenium is pointed at
/usr/bin/chromedriver explicitly so selenium-manager never downloads a driver or a browser.
Skipped (with the reason) only when chromium or chromedriver is not installed; CI installs both
(apt: chromium chromium-driver).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.screen_doc import make_doc

from screener.report import tabular

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver)",
    ),
]

SECTIONS = (
    "takeaways",
    "scatter",
    "table",
    "events",
    "cards",
    "changes",
    "quality",
    "methodology",
    "disclaimer",
)


def _driver(profile: str, javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,2200",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        opts.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return make_doc()


@pytest.fixture(scope="module")
def report_file(doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tabular.write_outputs(doc, tmp_path_factory.mktemp("report"))["report.html"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="screener-chromium-")
    driver = _driver(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, report_file: Path) -> Any:
    browser.get(report_file.as_uri())  # a new document: the wide tests' marker is gone
    browser.get_log("browser")  # start each test with an empty console log
    return browser


def _column(driver: Any, label: str) -> int:
    headers = driver.find_elements("css selector", "table#ranked thead th")
    return [h.text.strip(" ▲▼") for h in headers].index(label)


def _sort_values(driver: Any, col: int) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('table#ranked tbody tr'))"
        ".map(r => r.cells[arguments[0]].getAttribute('data-sort-value'));",
        col,
    )


def test_loads_without_console_errors_and_has_every_section(
    browser: Any, report_file: Path, tmp_path: Path
) -> None:
    browser.get(report_file.as_uri())
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    for sid in SECTIONS:
        assert browser.find_element("id", sid).is_displayed(), sid
    assert "js" in browser.find_element("tag name", "html").get_attribute("class").split()
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    extra = os.environ.get("SCREENER_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(extra) / "report.png")


def test_scatter_has_one_point_per_priced_company(page: Any, doc: dict[str, Any]) -> None:
    priced = sorted(
        r["ticker"]
        for r in doc["rows"]
        if r["exposure"]["score"] is not None and r["risk"]["vol_1y"] is not None
    )
    tickers = page.execute_script(
        "return Array.from(document.querySelectorAll('#scatter circle[data-ticker]')).map(c => c.dataset.ticker);"
    )
    assert sorted(tickers) == priced
    # Every point is drawn inside the plot's box.
    svg = page.find_element("css selector", "#scatter svg").rect
    for c in page.find_elements("css selector", "#scatter circle[data-ticker]")[:5]:
        r = c.rect
        assert (
            svg["x"] <= r["x"] <= svg["x"] + svg["width"]
            and svg["y"] <= r["y"] <= svg["y"] + svg["height"]
        )


def test_clicking_a_header_sorts_numerically_nulls_last_and_toggles(page: Any) -> None:
    col = _column(page, "Volatility 1y")
    header = page.find_elements("css selector", "table#ranked thead th")[col]
    header.find_element("css selector", "button.sort").click()
    values = _sort_values(page, col)
    numbers = [float(v) for v in values if v != ""]
    assert numbers == sorted(numbers) and len(numbers) < len(values)
    assert values[len(numbers) :] == [""] * (len(values) - len(numbers))  # nulls last
    assert header.get_attribute("aria-sort") == "ascending"
    header.find_element("css selector", "button.sort").click()
    values = _sort_values(page, col)
    numbers = [float(v) for v in values if v != ""]
    assert numbers == sorted(numbers, reverse=True) and values[-1] == ""
    assert header.get_attribute("aria-sort") == "descending"


def test_sorting_by_text_column_and_back_to_rank(page: Any, doc: dict[str, Any]) -> None:
    ticker_col = _column(page, "Ticker")
    page.find_elements("css selector", "table#ranked thead th button.sort")[ticker_col].click()
    tickers = [
        r.find_elements("tag name", "td")[ticker_col].text
        for r in page.find_elements("css selector", "table#ranked tbody tr")
    ]
    assert tickers == sorted(tickers) and tickers != [
        r["ticker"] for r in sorted(doc["rows"], key=lambda r: r["rank"])
    ]
    page.find_elements("css selector", "table#ranked thead th button.sort")[0].click()
    ids = page.execute_script(
        "return Array.from(document.querySelectorAll('table#ranked tbody tr')).map(r => r.dataset.id);"
    )
    assert ids == [r["id"] for r in sorted(doc["rows"], key=lambda r: r["rank"])]


def test_filters_hide_rows(page: Any, doc: dict[str, Any]) -> None:
    from selenium.webdriver.support.ui import Select

    country = doc["rows"][0]["hq"]
    Select(page.find_element("css selector", '.filters select[name="country"]')).select_by_value(
        country
    )
    visible = [
        r.get_attribute("data-id")
        for r in page.find_elements("css selector", "table#ranked tbody tr")
        if r.is_displayed()
    ]
    assert visible == [
        r["id"] for r in sorted(doc["rows"], key=lambda r: r["rank"]) if r["hq"] == country
    ]
    assert len(visible) < len(doc["rows"])
    Select(page.find_element("css selector", '.filters select[name="gate"]')).select_by_value(
        "fail"
    )
    both = [
        r.get_attribute("data-id")
        for r in page.find_elements("css selector", "table#ranked tbody tr")
        if r.is_displayed()
    ]
    assert both == [
        r["id"]
        for r in sorted(doc["rows"], key=lambda r: r["rank"])
        if r["hq"] == country and r["gates"]["pass"] is False
    ]
    count = page.find_element("id", "filter-count").text
    assert count == f"{len(both)} of {len(doc['rows'])} shown"


def test_without_javascript_table_is_in_rank_order_and_filters_hidden(
    report_file: Path, doc: dict[str, Any]
) -> None:
    profile = tempfile.mkdtemp(prefix="screener-chromium-nojs-")
    driver = _driver(profile, javascript=False)
    try:
        driver.get(report_file.as_uri())
        assert not driver.find_element("css selector", ".filters").is_displayed()
        rows = driver.find_elements("css selector", "table#ranked tbody tr")
        assert [r.get_attribute("data-id") for r in rows] == [
            r["id"] for r in sorted(doc["rows"], key=lambda r: r["rank"])
        ]
        assert all(r.is_displayed() for r in rows)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# --- the weekly read: first screen, phone, paper (issue 10) ------------------------------------

#: The first screen the summary must fit in, and the page-height budget with cards collapsed.
SCREEN_W, SCREEN_H = 1400, 900
PHONE_W = 390
MAX_HEIGHT_PX = 15_000
MAX_A4_PAGES = 15


def _viewport(driver: Any, width: int, height: int) -> None:
    """Emulate a viewport of exactly ``width`` × ``height`` CSS px (a window cannot be made
    narrower than ~500 px in headless Chromium; the emulated viewport can)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


@pytest.fixture
def wide(browser: Any, report_file: Path) -> Iterator[Any]:
    """The report at 1400 × 900. The tests below share one load (they undo what they change);
    the page is loaded afresh when a test outside them loaded or used it (its marker is gone)."""
    _viewport(browser, SCREEN_W, SCREEN_H)
    if not browser.execute_script("return window.__wideLoad === true"):
        browser.get(report_file.as_uri())
        browser.execute_script("window.__wideLoad = true")
    try:
        yield browser
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _bottom(driver: Any, selector: str) -> float:
    return float(
        driver.execute_script(
            "var e = document.querySelector(arguments[0]);"
            "return e ? e.getBoundingClientRect().bottom + window.scrollY : -1;",
            selector,
        )
    )


def test_summary_fits_the_first_screen_at_1400(wide: Any) -> None:
    wide.execute_script("window.scrollTo(0, 0)")
    parts = (
        "#summary .summary-changes h2",
        "#summary .summary-changes",
        "#summary .top-ten tbody tr:last-child",
        "#summary .by-country tbody tr:last-child",
        "#summary .by-stage tbody tr:last-child",
        "#summary",
    )
    for sel in parts:
        bottom = _bottom(wide, sel)
        assert 0 < bottom <= SCREEN_H, (sel, bottom)
    assert len(wide.find_elements("css selector", "#summary .top-ten tbody tr")) == 10


def test_page_height_with_cards_collapsed_is_bounded(wide: Any) -> None:
    assert wide.execute_script("return document.querySelectorAll('details.card[open]').length") == 0
    height = wide.execute_script("return document.documentElement.scrollHeight")
    assert height < MAX_HEIGHT_PX


def test_table_header_stays_visible_after_scrolling(wide: Any) -> None:
    top = wide.execute_script(
        "var w = document.querySelector('#table .table-wrap');"
        "window.scrollTo(0, w.getBoundingClientRect().top + window.scrollY);"
        "w.scrollTop = 400; w.scrollLeft = 200;"
        "return [w.scrollTop, w.getBoundingClientRect().top];"
    )
    scrolled, wrap_top = top
    assert scrolled > 0  # the table is taller than its box: there was something to scroll
    # The header sits at the top of the box, in view, and is what the eye sees there (the rows
    # scroll beneath it).
    th = wide.execute_script(
        "var th = document.querySelector('#ranked thead th:nth-child(4)');"
        "var r = th.getBoundingClientRect();"
        "var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        "return [r.top, r.bottom, !!(hit && hit.closest('thead'))];"
    )
    assert abs(th[0] - wrap_top) <= 2 and 0 <= th[0] < th[1] <= SCREEN_H
    assert th[2], "the header is covered or scrolled away"
    wide.execute_script(
        "var w = document.querySelector('#table .table-wrap'); w.scrollTop = 0; w.scrollLeft = 0;"
    )


def test_chart_points_link_to_existing_cards_and_open_them(wide: Any, doc: dict[str, Any]) -> None:
    links = wide.execute_script(
        "return Array.from(document.querySelectorAll('#scatter a.pt-link'))"
        ".map(a => [a.getAttribute('href'), a.dataset.id]);"
    )
    assert links
    for href, cid in links:
        target = wide.execute_script(
            "var e = document.getElementById(arguments[0]); return e ? [e.tagName, e.dataset.id] : null;",
            href[1:],
        )
        assert target == ["DETAILS", cid], href
    href, cid = links[0]
    wide.execute_script("window.scrollTo(0, 0)")
    wide.execute_script("arguments[0].scrollIntoView({block: 'center'})", _point(wide, cid))
    _point(wide, cid).click()
    opened = wide.execute_script("return document.getElementById(arguments[0]).open", href[1:])
    card_top = wide.execute_script(
        "return document.getElementById(arguments[0]).getBoundingClientRect().top", href[1:]
    )
    wide.execute_script("document.getElementById(arguments[0]).open = false", href[1:])
    assert opened is True and -1 <= card_top < SCREEN_H  # scrolled to it (sub-pixel)


def _point(driver: Any, cid: str) -> Any:
    return driver.find_element("css selector", f'#scatter circle.pt[data-id="{cid}"]')


def test_range_filters_hide_rows_and_chart_points(wide: Any, doc: dict[str, Any]) -> None:
    scores = sorted(r["exposure"]["score"] for r in doc["rows"])
    cut = scores[len(scores) // 2]
    box = wide.find_element("css selector", '.filters input[name="score_min"]')
    wide.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.send_keys(str(cut))
    try:
        plotted = [
            r
            for r in doc["rows"]
            if r["exposure"]["score"] is not None and r["risk"]["vol_1y"] is not None
        ]
        keep = {r["id"] for r in doc["rows"] if r["exposure"]["score"] >= cut}
        shown_rows = {
            r.get_attribute("data-id")
            for r in wide.find_elements("css selector", "table#ranked tbody tr")
            if r.is_displayed()
        }
        assert shown_rows == keep and 0 < len(keep) < len(doc["rows"])
        points = wide.execute_script(
            "return Array.from(document.querySelectorAll('#scatter a.pt-link'))"
            ".map(a => [a.dataset.id, getComputedStyle(a).display !== 'none']);"
        )
        assert {cid for cid, visible in points if visible} == keep & {r["id"] for r in plotted}
        assert any(not visible for _, visible in points)
        # A second bound narrows further: volatility at most the median of the kept names.
        vols = sorted(100 * r["risk"]["vol_1y"] for r in plotted if r["id"] in keep)
        vmax = vols[len(vols) // 2]
        wide.find_element("css selector", '.filters input[name="vol_max"]').send_keys(f"{vmax:.4f}")
        both = {
            r["id"]
            for r in plotted
            if r["id"] in keep and 100 * r["risk"]["vol_1y"] <= float(f"{vmax:.4f}")
        }
        points = wide.execute_script(
            "return Array.from(document.querySelectorAll('#scatter a.pt-link'))"
            ".map(a => [a.dataset.id, getComputedStyle(a).display !== 'none']);"
        )
        assert {cid for cid, visible in points if visible} == both and both
    finally:
        wide.find_element("id", "filter-reset").click()
    assert all(
        r.is_displayed() for r in wide.find_elements("css selector", "table#ranked tbody tr")
    )


def test_card_search_filters_cards_by_name_or_ticker(wide: Any, doc: dict[str, Any]) -> None:
    row = doc["rows"][5]
    box = wide.find_element("id", "card-search")
    wide.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.send_keys(row["ticker"].lower())
    try:
        shown = [
            c.get_attribute("data-id")
            for c in wide.find_elements("css selector", "#cards details.card")
            if c.is_displayed()
        ]
        assert row["id"] in shown and len(shown) < len(doc["rows"])
    finally:
        box.clear()
        wide.execute_script(
            "var b = document.getElementById('card-search');b.dispatchEvent(new Event('input'));"
        )


def test_phone_width_has_no_sideways_scroll_and_readable_chart_text(
    browser: Any, report_file: Path
) -> None:
    _viewport(browser, PHONE_W, 844)
    try:
        browser.get(report_file.as_uri())
        width, inner = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth];"
        )
        assert inner == PHONE_W and width <= inner
        # Every drawn SVG text is at least 10 px tall on screen (font size × the SVG's scale).
        sizes = browser.execute_script(
            "var out = [];"
            "document.querySelectorAll('svg text').forEach(function (t) {"
            "  if (!t.getClientRects().length) { return; }"
            "  var svg = t.closest('svg'), vb = svg.viewBox.baseVal;"
            "  var scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;"
            "  out.push(parseFloat(getComputedStyle(t).fontSize) * scale); });"
            "return out;"
        )
        assert sizes and min(sizes) >= 10.0 - 1e-6, min(sizes)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _page_fill(page: Any) -> float:
    """How far down an A4 page its text reaches, as a share of the page height (0: no text)."""
    ys: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            ys.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    top = float(page.mediabox.top)
    return (top - min(ys)) / top if ys else 0.0


def test_printed_on_a4_in_few_well_filled_pages(browser: Any, report_file: Path) -> None:
    import base64
    import io

    import pypdf

    browser.get("about:blank")  # a fresh load: no card opened by another test
    browser.get(report_file.as_uri())
    pdf = browser.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(pdf["data"])))
    pages = reader.pages
    assert float(pages[0].mediabox.width) == pytest.approx(595, abs=2)  # A4: 210 mm
    assert float(pages[0].mediabox.height) == pytest.approx(842, abs=2)
    assert 1 < len(pages) <= MAX_A4_PAGES
    fills = [_page_fill(p) for p in pages]
    assert all(f >= 0.25 for f in fills[:-1]), fills
    text = "\n".join(p.extract_text() for p in pages)
    # Collapsed cards print as their one line; link URLs are printed after the link.
    assert "Company cards" in text and "Factor" not in text.split("Company cards")[-1][:2000]
    assert "(https://" in text
