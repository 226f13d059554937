"""Every page of the built fixture directory loads cleanly and fits a 375 px screen.

No console errors, no dialogs, no horizontal scroll at 375 px, on every HTML page of the site:
the made-up co-ops have long non-Latin names, right-to-left text and every field filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Browser, html_pages

MOBILE_WIDTH = 375

LAYOUT = r"""
const one = el => el.localName + (el.id ? '#' + el.id : '')
  + (typeof el.className === 'string' && el.className.trim()
     ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const label = el => {
  const chain = [];
  for (let at = el; at && at !== document.body && chain.length < 4; at = at.parentElement) {
    chain.unshift(one(at));
  }
  const text = (el.textContent || '').trim().replace(/\s+/g, ' ');
  return chain.join(' > ') + (text ? ` "${text.slice(0, 40)}${text.length > 40 ? '…' : ''}"` : '');
};
const width = window.innerWidth;
return {
  innerWidth: width,
  scrollWidth: document.documentElement.scrollWidth,
  widest: [...document.body.querySelectorAll('*')]
    .map(el => [el.getBoundingClientRect().right, el])
    .filter(([right]) => right > width)
    .sort((a, b) => b[0] - a[0]).slice(0, 5)
    .map(([right, el]) => `${label(el)} (right edge ${Math.round(right)} px)`),
};
"""


def test_every_page_loads_cleanly_and_fits_375px(
    browser: Browser, directory_site: Path, directory_url: str, subtests: Any
) -> None:
    pages = html_pages(directory_site)
    assert "/" in pages and "/coops/alder-harbour/" in pages, pages
    browser.set_viewport(MOBILE_WIDTH)
    try:
        for path in pages:
            with subtests.test(msg=path):
                visit = browser.visit(directory_url + path)
                layout = browser.driver.execute_script(LAYOUT)
                browser.more_console(visit)
                problems = [f"a dialog opened: {text!r}" for text in visit.alerts]
                problems += [f"a console error: {error}" for error in visit.console_errors]
                if layout["scrollWidth"] > layout["innerWidth"]:
                    problems.append(
                        f"it scrolls sideways at {MOBILE_WIDTH} px: the page is "
                        f"{layout['scrollWidth']} px wide; what sticks out: "
                        + ", ".join(layout["widest"]))
                if problems:
                    pytest.fail(f"{path}:\n  " + "\n  ".join(problems), pytrace=False)
    finally:
        browser.reset_viewport()
