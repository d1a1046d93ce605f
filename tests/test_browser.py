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
    browser.get(report_file.as_uri())
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
