"""The directory page's filters and sorting, in a real browser, and its no-JavaScript form."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sitecheck import parse

from .conftest import Browser


def result_titles(browser: Browser) -> list[str]:
    """The titles of the results a search box shows, in order."""
    links = browser.driver.find_elements(By.CSS_SELECTOR, "[data-search-results] li a")
    return [link.text for link in links]


def visible_names(browser: Browser) -> list[str]:
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "table.coops tbody tr")
    return [row.find_element(By.CSS_SELECTOR, "td a").text for row in rows if row.is_displayed()]


def test_filters_narrow_the_table_and_announce_the_count(
    browser: Browser, directory_url: str
) -> None:
    visit = browser.visit(directory_url + "/coops/")
    assert visit.console_errors == []
    everyone = visible_names(browser)
    assert len(everyone) >= 5
    status = browser.driver.find_element(By.ID, "filter-status")
    assert status.get_attribute("aria-live") == "polite"
    assert status.text == f"{len(everyone)} of {len(everyone)} co-ops shown"

    box = browser.driver.find_element(By.ID, "filter-text")
    box.send_keys("zurich")  # accents fold: "Zürich Kollektiv" matches
    browser.wait_for(lambda: status.text == f"1 of {len(everyone)} co-ops shown")
    assert visible_names(browser) == ["Zürich Kollektiv (Beispiel)"]
    box.clear()
    box.send_keys(" ")  # clear() sends no input event; a keystroke does
    browser.wait_for(lambda: len(visible_names(browser)) == len(everyone))

    Select(browser.driver.find_element(By.ID, "filter-countries")).select_by_value("CA")
    browser.wait_for(lambda: len(visible_names(browser)) < len(everyone))
    shown = visible_names(browser)
    assert shown and set(shown) < set(everyone)
    assert all(
        "Canada" in row.text
        for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.coops tbody tr")
        if row.is_displayed()
    )


def test_search_box_on_every_page_leads_to_the_search_page(
    browser: Browser, directory_url: str
) -> None:
    browser.visit(directory_url + "/archive/")
    box = browser.driver.find_element(By.ID, "site-search")
    box.send_keys("Север")
    box.submit()
    WebDriverWait(browser.driver, 10).until(lambda driver: "/search/" in driver.current_url)
    assert browser.driver.current_url.endswith("/search/?q=%D0%A1%D0%B5%D0%B2%D0%B5%D1%80")
    browser.wait_for(lambda: result_titles(browser) != [])
    assert result_titles(browser)[0] == "Коопе́ратив Север"


def test_the_directory_filter_forgives_a_typo_through_the_search_index(
    browser: Browser, directory_url: str
) -> None:
    visit = browser.visit(directory_url + "/coops/?q=kollektiw")
    browser.wait_for(lambda: len(visible_names(browser)) == 1)
    assert visible_names(browser) == ["Zürich Kollektiv (Beispiel)"]
    browser.more_console(visit)
    assert visit.console_errors == []


def test_sorting_by_a_column_reorders_rows_and_says_so(
    browser: Browser, directory_url: str
) -> None:
    browser.visit(directory_url + "/coops/")
    header = browser.driver.find_element(By.CSS_SELECTOR, "table.coops thead th:nth-child(2)")
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    places = [
        row.find_elements(By.TAG_NAME, "td")[1].text
        for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.coops tbody tr")
    ]
    assert places == sorted(places, key=str.casefold)
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "descending"


def test_without_javascript_the_filters_stay_hidden_and_every_coop_is_listed(
    directory_site: Path,
) -> None:
    page = parse(directory_site / "coops/index.html")
    assert page.find(id="filters").has_attr("hidden")
    rows = page.select("table.coops tbody tr")
    assert len(rows) == len(list((directory_site / "coops").glob("*/index.html"))) - 1  # dissolved
