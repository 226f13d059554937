"""Hostile text in every field runs no script and breaks no layout, in a real browser.

tests/fixtures/hostile/ holds co-ops whose every text field is script, markup, javascript:
links and text as long as the schema allows. Every page of that site is loaded in Chromium at
375 px wide.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from .conftest import Browser, html_pages

MOBILE_WIDTH = 375

# Our own scripts are files under /theme/ or /static/ on our site; any other executable script
# came from data. JSON-LD (application/ld+json) is data, not code, and must parse as JSON: text
# that broke out of it would show up as extra elements and scripts, which the checks below catch.
PAGE_REPORT = r"""
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
const executable = s => !s.type
  || /^((text|application)\/(x-)?(java|ecma)script|module)$/i.test(s.type.trim());
const scripts = [...document.scripts].map(s => ({
  src: s.src || null, type: s.type, text: s.text, executable: executable(s),
}));
const handlers = [];
const badUrls = [];
for (const el of document.querySelectorAll('*')) {
  for (const attr of el.attributes) {
    const name = attr.name.toLowerCase();
    if (name.startsWith('on')) handlers.push(`<${one(el)} ${name}="${attr.value}">`);
    if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data', 'poster']
          .includes(name) && /^\s*(javascript|data|vbscript):/i.test(attr.value)) {
      badUrls.push(`<${one(el)} ${name}="${attr.value.slice(0, 80)}">`);
    }
  }
}
// Elements our pages never have: where they appear, they came from data.
const never = 'iframe, frame, frameset, object, embed, applet, base, meta[http-equiv], '
  + 'body style, portal, fencedframe';
const width = window.innerWidth;
return {
  pwned: typeof window.__pwned,
  parentPwned: typeof window.parent.__pwned,
  scripts, handlers, badUrls,
  dangerous: [...document.querySelectorAll(never)].map(el => el.outerHTML.slice(0, 120)),
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: width,
  origin: location.origin,
  widest: [...document.body.querySelectorAll('*')]
    .map(el => [el.getBoundingClientRect().right, el])
    .filter(([right]) => right > width)
    .sort((a, b) => b[0] - a[0]).slice(0, 5)
    .map(([right, el]) => `${label(el)} (right edge ${Math.round(right)} px)`),
  requests: performance.getEntriesByType('resource').map(r => r.name),
};
"""


def script_problems(report: dict[str, Any], origin: str, site: Path | None) -> list[str]:
    """Scripts that are not ours: any executable script that is not a file under /theme/ or
    /static/, that carries inline text, or whose file holds text from the co-op files; data
    blocks that are not JSON."""
    problems = []
    for script in report["scripts"]:
        src, kind, text = script["src"], script["type"], script["text"]
        if script["executable"]:
            path = src[len(origin):] if src and src.startswith(origin) else src
            if not (path and path.startswith(("/theme/", "/static/"))):
                problems.append(f"a script that is not ours: src={src!r} text={text[:120]!r}")
            elif text.strip():
                problems.append(f"our script {src} has inline text {text[:120]!r}")
            elif site is not None:
                file = site / urlsplit(path).path.lstrip("/")
                if file.is_file() and "__pwned" in file.read_text("utf-8", errors="replace"):
                    problems.append(f"our script {src} holds text from the co-op files")
        elif "json" in (kind or ""):
            try:
                json.loads(text)
            except ValueError:
                problems.append(f"a {kind} block that is not JSON: {text[:200]!r}")
        else:
            problems.append(f"a script of unknown type {kind!r}: {text[:120]!r}")
    return problems


def page_problems(report: dict[str, Any], alerts: list[str], console_errors: list[str],
                  width: int, site: Path | None = None) -> list[str]:
    """Everything wrong with one loaded hostile page, in words."""
    origin = report["origin"]
    problems = []
    if report["pwned"] != "undefined" or report["parentPwned"] != "undefined":
        problems.append("window.__pwned was set: text from a co-op file ran as script")
    problems += [f"a dialog opened: {text!r}" for text in alerts]
    problems += script_problems(report, origin, site)
    problems += [f"an event handler attribute: {handler[:160]}" for handler in report["handlers"]]
    problems += [f"a javascript:/data: URL: {url}" for url in report["badUrls"]]
    problems += [f"an element made from data: {html}" for html in report["dangerous"]]
    problems += [f"a request to another host: {url[:160]}" for url in report["requests"]
                 if not url.startswith(origin + "/")]
    problems += [f"a console error: {error[:300]}" for error in console_errors]
    if report["innerWidth"] != width:
        problems.append(f"the viewport is {report['innerWidth']} px wide, not {width}")
    if report["scrollWidth"] > report["innerWidth"]:
        problems.append(
            f"it scrolls sideways at {width} px: the page is {report['scrollWidth']} px wide; "
            f"what sticks out: {', '.join(report['widest'])}")
    return problems


def test_hostile_site_has_pages_for_every_hostile_coop(hostile_site: Path) -> None:
    pages = html_pages(hostile_site)
    for slug in ("hostile-script", "hostile-attributes", "hostile-links"):
        assert f"/coops/{slug}/" in pages, pages


def test_hostile_text_runs_no_script_and_fits_375px(
    browser: Browser, hostile_site: Path, hostile_url: str, subtests: Any
) -> None:
    pages = html_pages(hostile_site)
    assert len(pages) >= 4, pages
    browser.set_viewport(MOBILE_WIDTH)
    try:
        for path in pages:
            with subtests.test(msg=path):
                visit = browser.visit(hostile_url + path)
                report = browser.driver.execute_script(PAGE_REPORT)
                browser.more_console(visit)
                problems = page_problems(report, visit.alerts, visit.console_errors,
                                         MOBILE_WIDTH, hostile_site)
                if problems:
                    pytest.fail(f"{path}:\n  " + "\n  ".join(problems), pytrace=False)
    finally:
        browser.reset_viewport()


CANARY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A page that was broken into</title></head>
<body><p>Hello</p><script>alert("boo")</script><img src="/missing.png" onerror="window.__pwned=1">
<div style="width: 2000px">wide</div><a href="javascript:window.__pwned=1">x</a>
<iframe srcdoc="<p>framed"></iframe></body></html>
"""


def test_the_checks_catch_a_page_that_was_broken_into(
    browser: Browser, serve: Any, tmp_path: Path
) -> None:
    """The checks above must fail on a page that shows each problem: no silent passes."""
    (tmp_path / "index.html").write_text(CANARY, "utf-8")
    browser.set_viewport(MOBILE_WIDTH)
    try:
        visit = browser.visit(serve(tmp_path) + "/")
        report = browser.driver.execute_script(PAGE_REPORT)
        browser.more_console(visit)
    finally:
        browser.reset_viewport()
    found = "\n".join(page_problems(report, visit.alerts, visit.console_errors, MOBILE_WIDTH))
    for expected in ("window.__pwned was set", "a dialog opened: 'boo'",
                     "a script that is not ours", "an event handler attribute: <img onerror",
                     "a javascript:/data: URL: <a href=", "an element made from data: <iframe",
                     "missing.png - Failed to load resource", "it scrolls sideways at 375 px"):
        assert expected in found, f"{expected!r} not among:\n{found}"


QUERY_PAYLOAD = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def query_targets(site: Path) -> dict[str, list[str]]:
    """Pages that read a query string: {URL path: field names}, from the site's GET forms
    (their action) and from pages with named form controls (filters that script reads)."""
    targets: dict[str, set[str]] = {}
    for path in html_pages(site):
        file = site / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))
        soup = BeautifulSoup(file.read_text("utf-8"), "html.parser")
        for form in soup.find_all("form"):
            if str(form.get("method", "get")).lower() != "get":
                continue
            action = urlsplit(urljoin(path, str(form.get("action") or path))).path
            names = {str(field["name"]) for field in form.find_all(["input", "select", "textarea"])
                     if field.get("name")}
            targets.setdefault(action, set()).update(names)
        loose = {str(field["name"]) for field in soup.find_all(["input", "select", "textarea"])
                 if field.get("name") and field.find_parent("form") is None}
        if loose:
            targets.setdefault(path, set()).update(loose)
    return {path: sorted(names) for path, names in sorted(targets.items())}


def test_hostile_query_strings_run_no_script(
    browser: Browser, hostile_site: Path, hostile_url: str, subtests: Any
) -> None:
    """Every page that reads a query string (search, filters) shows hostile values as text."""
    targets = query_targets(hostile_site)
    browser.set_viewport(MOBILE_WIDTH)
    try:
        for path, names in targets.items():
            query = urlencode({name: QUERY_PAYLOAD for name in names or ["q"]})
            with subtests.test(msg=f"{path}?{'&'.join(names)}"):
                visit = browser.visit(f"{hostile_url}{path}?{query}")
                report = browser.driver.execute_script(PAGE_REPORT)
                browser.more_console(visit)
                problems = page_problems(report, visit.alerts, visit.console_errors,
                                         MOBILE_WIDTH, hostile_site)
                if problems:
                    pytest.fail(f"{path}?{query}:\n  " + "\n  ".join(problems), pytrace=False)
    finally:
        browser.reset_viewport()
