"""The basket's and the cards' charts in headless chromium: chart text at least 10 px on a
phone, the 1y/3y toggle without JavaScript, both windows in print.

Same browser set-up as tests/test_browser.py (skipped with the reason when chromium or
chromedriver is missing); the document is the SYNTHETIC fixture.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.screen_doc import make_doc
from test_browser import CHROMEDRIVER, CHROMIUM, _driver

from screener.report import tabular

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver)",
    ),
]

#: The smallest rendered font size (px) of any text in the matched SVGs: the SVG's scale on
#: screen times the text's computed font size.
SMALLEST_TEXT = """
const out = [];
for (const svg of document.querySelectorAll(arguments[0])) {
  if (!svg.getBoundingClientRect().width) continue;
  const scale = svg.getScreenCTM().a;
  for (const t of svg.querySelectorAll('text')) {
    out.push(scale * parseFloat(getComputedStyle(t).fontSize));
  }
}
return out.length ? Math.min(...out) : null;
"""


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("basket-report")
    tabular.write_outputs(make_doc(), out)
    return (out / "report.html").as_uri()


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    javascript = getattr(request, "param", True)
    with tempfile.TemporaryDirectory() as profile:
        driver = _driver(profile, javascript=javascript)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.mark.parametrize("width", [360, 390, 1400])
def test_chart_text_is_at_least_10px(browser: Any, report_url: str, width: int) -> None:
    browser.set_window_size(width, 900)
    browser.get(report_url)
    inner = browser.execute_script("return window.innerWidth")
    browser.set_window_size(width + (width - inner), 900)  # the viewport itself is `width`
    for selector in ("svg.basket-chart", "svg.price-chart"):
        smallest = browser.execute_script(SMALLEST_TEXT, selector)
        assert smallest is not None, selector
        assert smallest >= 10.0 - 1e-6, (selector, width, smallest)
    # the basket section never pushes the page sideways (its tables scroll in their own box)
    right = browser.execute_script(
        "return document.querySelector('section#basket').getBoundingClientRect().right"
    )
    assert right <= browser.execute_script("return window.innerWidth")


@pytest.mark.parametrize("browser", [False], indirect=True)
def test_window_toggle_without_javascript(browser: Any, report_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(report_url)
    assert browser.execute_script("return document.documentElement.classList.contains('js')") in (
        False,
        None,
    )
    one = browser.find_element(By.CSS_SELECTOR, ".bk-panel-1y")
    three = browser.find_element(By.CSS_SELECTOR, ".bk-panel-3y")
    assert one.is_displayed() and not three.is_displayed()
    browser.find_element(By.CSS_SELECTOR, "label[for=bk-w-3y]").click()
    assert three.is_displayed() and not one.is_displayed()


def test_print_shows_both_windows(browser: Any, report_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(report_url)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    panels = browser.find_elements(By.CSS_SELECTOR, ".bk-panel")
    assert len(panels) == 2 and all(p.is_displayed() for p in panels)
    assert not browser.find_element(By.CSS_SELECTOR, "label[for=bk-w-1y]").is_displayed()


def test_report_file_is_on_disk(report_url: str) -> None:
    assert Path(report_url.removeprefix("file://")).stat().st_size > 0
