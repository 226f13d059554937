"""axe-core finds no accessibility violation on any page type, in light and dark mode.

One page of each page type is checked: types are discovered from the built fixture site
(sitemap.xml, else every index.html), grouped by first path segment and depth. Each is also
saved as a full-height screenshot at 375 and 1280 px wide into tests/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import AXE_JS, SCREENSHOTS, WINDOW, Browser, one_page_per_type, require

WIDTHS = (375, 1280)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation.get('help')}"
                     f" {violation.get('helpUrl', '')}".rstrip())
        for node in violation.get("nodes", []):
            target = " ".join(map(str, node.get("target", [])))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
            lines.append(f"        {node.get('html', '')[:200]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def page_types(directory_site: Path) -> dict[str, str]:
    types = one_page_per_type(directory_site)
    assert "home" in types, f"no home page among {types}"
    return types


def test_every_page_type_has_no_axe_violations(
    browser: Browser, directory_url: str, page_types: dict[str, str], subtests: Any
) -> None:
    require(AXE_JS, "axe-core")
    try:
        for name, path in page_types.items():
            for scheme in ("light", "dark"):
                with subtests.test(msg=f"{name} {path} ({scheme})"):
                    browser.color_scheme(scheme)
                    visit = browser.visit(directory_url + path)
                    # Colours are what changes with the scheme: the other rules run once.
                    options = {} if scheme == "light" else {"runOnly": ["color-contrast"]}
                    violations = browser.run_axe(options)
                    browser.more_console(visit)
                    problems = [f"a dialog opened: {text!r}" for text in visit.alerts]
                    problems += [f"a console error: {error}" for error in visit.console_errors]
                    if violations:
                        problems.append(f"axe: {len(violations)} violation(s):\n"
                                        + describe(violations))
                    if problems:
                        pytest.fail(f"{path} ({scheme}):\n" + "\n".join(problems), pytrace=False)
    finally:
        browser.color_scheme("light")


def test_screenshots_of_every_page_type(
    browser: Browser, directory_url: str, page_types: dict[str, str]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    written: list[str] = []
    errors: list[str] = []
    try:
        for width in WIDTHS:
            browser.set_viewport(width, WINDOW[1])
            for name, path in page_types.items():
                visit = browser.visit(directory_url + path)
                target = SCREENSHOTS / f"{name}-{width}.png"
                browser.full_page_screenshot(target)
                assert target.stat().st_size > 1000, f"{target} is (nearly) empty"
                written.append(target.name)
                errors += [f"{path} at {width} px: {error}" for error in visit.console_errors]
    finally:
        browser.reset_viewport()
    assert len(written) == len(WIDTHS) * len(page_types)
    if errors:
        pytest.fail("console errors:\n" + "\n".join(errors), pytrace=False)
