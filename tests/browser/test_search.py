"""The site's search in a real browser: relevance, filters, announcements, keyboard, no-JS.

The search corpus (the real co-ops plus tests/fixtures/search/) is built once by `make html`;
each query is typed into the home page's search box as a person would, and the results read
back from the page. The same relevance set runs against `coopdir search` (tests/test_search.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from sitecheck import check_relevance, parse, relevance_set

from .conftest import SCREENSHOTS, Browser

RELEVANCE = relevance_set()


@pytest.fixture(scope="module")
def search_url(serve: Callable[[Path], str], search_site: Path) -> str:
    return serve(search_site)


def settled(browser: Browser, form: Any, query: str) -> bool:
    """The box has answered this query: not busy, and the status names the query."""
    status = form.find_element(By.CSS_SELECTOR, "[data-search-status]").text
    return form.get_attribute("aria-busy") is None and (f"“{query.strip()}”" in status)


def result_urls(form: Any) -> list[str]:
    """The paths the results link to, read in one step (the list may be re-rendering)."""
    return form.parent.execute_script(
        "return Array.from(arguments[0].querySelectorAll('[data-search-results] li a'))"
        ".map(a => new URL(a.href).pathname)",
        form,
    )


def type_query(browser: Browser, form: Any, query: str) -> None:
    box = form.find_element(By.CSS_SELECTOR, "input[name=q]")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(query)
    browser.wait_for(lambda: settled(browser, form, query))


def set_filters(form: Any, filters: dict[str, str]) -> None:
    for select in form.find_elements(By.TAG_NAME, "select"):
        Select(select).select_by_value(filters.get(select.get_attribute("name"), ""))


def test_search_box_passes_the_relevance_set(
    browser: Browser, search_url: str, subtests: Any
) -> None:
    visit = browser.visit(search_url + "/")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
    for case in RELEVANCE:
        with subtests.test(query=case["query"]):
            set_filters(form, case.get("filters", {}))
            type_query(browser, form, case["query"])
            check_relevance(case, result_urls(form))
    browser.more_console(visit)
    assert visit.console_errors == []


def test_results_are_announced_and_reachable_by_keyboard(
    browser: Browser, search_url: str
) -> None:
    browser.visit(search_url + "/")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
    status = form.find_element(By.CSS_SELECTOR, "[data-search-status]")
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    type_query(browser, form, "montreal")
    count = len(result_urls(form))
    assert status.text == f"{count} results for “montreal”."
    box = form.find_element(By.CSS_SELECTOR, "input[name=q]")
    box.send_keys(Keys.ENTER)  # submitting searches in place: the page stays
    assert urlsplit(browser.driver.current_url).path == "/"
    # Tab from the box through the search button and the filters reaches the first result.
    first = form.find_element(By.CSS_SELECTOR, "[data-search-results] li a")
    for _ in range(12):
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
        if browser.driver.switch_to.active_element == first:
            break
    assert browser.driver.switch_to.active_element == first
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.wait_for(lambda: urlsplit(browser.driver.current_url).path.startswith("/coops/"))


def test_filters_narrow_results_and_a_remote_filter_combines_with_words(
    browser: Browser, search_url: str
) -> None:
    browser.visit(search_url + "/")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
    type_query(browser, form, "python")
    everything = result_urls(form)
    assert "/coops/harbour-lights/" in everything
    form.find_element(By.CSS_SELECTOR, "input[name=remote-ok]").click()
    Select(form.find_element(By.CSS_SELECTOR, "select[name=type]")).select_by_value("opening")
    only = ["/coops/harbour-lights/openings/data-engineer/"]
    browser.wait_for(lambda: result_urls(form) == only)


def test_search_page_keeps_the_query_in_its_address(browser: Browser, search_url: str) -> None:
    visit = browser.visit(search_url + "/search/?q=halifax&type=coop")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
    browser.wait_for(lambda: settled(browser, form, "halifax"))
    assert result_urls(form) == ["/coops/harbour-lights/"]
    type_query(browser, form, "zurich")
    assert browser.driver.current_url.endswith("/search/?type=coop&q=zurich")
    browser.more_console(visit)
    assert visit.console_errors == []


def test_a_first_query_downloads_only_what_it_needs(browser: Browser, search_url: str) -> None:
    browser.visit(search_url + "/")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
    type_query(browser, form, "hosting")
    fetched = browser.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/search-index/'))"
        ".map(e => [new URL(e.name).pathname, e.decodedBodySize])"
    )
    paths = [path for path, _ in fetched]
    shards = [path for path in paths if "/t/" in path]
    assert "/search-index/index.json" in paths
    assert shards == ["/search-index/t/ho.json"]  # the word's shard only, not the whole index
    assert not any("/f/" in path for path in paths)  # no filter chosen: no filter file
    assert sum(size for _, size in fetched) < 64_000


def test_openings_page_filters_its_cards_by_words_and_kind(
    browser: Browser, search_url: str
) -> None:
    visit = browser.visit(search_url + "/openings/")
    cards = browser.driver.find_elements(By.CSS_SELECTOR, "[data-filter-items] > li")

    def shown() -> list[str]:
        return [card.find_element(By.TAG_NAME, "a").text for card in cards if card.is_displayed()]

    assert len(shown()) == 6
    box = browser.driver.find_element(By.ID, "filter-text")
    box.send_keys("engineer")
    browser.wait_for(lambda: len(shown()) == 2)
    assert shown()[0] in {"Rust engineer for database tooling", "Data engineer (Python)"}
    Select(browser.driver.find_element(By.ID, "filter-kinds")).select_by_value("job")
    browser.wait_for(lambda: shown() == ["Data engineer (Python)"])
    status = browser.driver.find_element(By.ID, "filter-status")
    assert status.text == "1 of 6 openings shown"
    browser.more_console(visit)
    assert visit.console_errors == []


def test_without_javascript_search_leads_to_the_facet_pages(
    browser: Browser, search_url: str, search_site: Path
) -> None:
    page = parse(search_site / "search/index.html")
    links = {a["href"] for a in page.select("main a")}
    assert {"/coops/", "/openings/", "/countries/", "/technologies/"} <= links
    assert page.find("noscript") is not None
    home = parse(search_site / "index.html")
    form = home.select_one("form[data-search=list]")
    assert form["action"] == "/search/" and form["method"] == "get"
    browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.visit(search_url + "/")
        box = browser.driver.find_element(By.ID, "find-q")
        box.send_keys("python")
        box.submit()
        browser.wait_for(lambda: "/search/" in browser.driver.current_url)
        text = browser.driver.find_element(By.TAG_NAME, "main").text
        assert "Searching needs JavaScript" in text
        assert browser.driver.find_element(By.LINK_TEXT, "By technology").is_displayed()
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_search_with_results_has_no_axe_violations_in_light_and_dark(
    browser: Browser, search_url: str, subtests: Any
) -> None:
    from .test_accessibility import describe

    try:
        for scheme in ("light", "dark"):
            with subtests.test(scheme=scheme):
                browser.color_scheme(scheme)
                browser.visit(search_url + "/search/?q=python")
                form = browser.driver.find_element(By.CSS_SELECTOR, "form[data-search=list]")
                browser.wait_for(lambda form=form: settled(browser, form, "python"))
                assert result_urls(form), "no results to check"
                violations = browser.run_axe()
                assert violations == [], describe(violations)
                shot = SCREENSHOTS / f"search-results-{scheme}-1280.png"
                browser.full_page_screenshot(shot)
    finally:
        browser.color_scheme("light")
