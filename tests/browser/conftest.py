"""Shared fixtures for the browser suite: built fixture sites, a loopback server, one Chromium.

Everything here is session-scoped: each fixture site is built once, served once, and one
Chromium (driven by chromedriver through Selenium) visits every page of every test. The tools
come from ``make test`` (``.ci/install-test-deps``): chromium and chromium-driver from apt, java
for vnu, and vnu-jar and axe-core from npm into node_modules/. A missing tool fails the suite
with a message, never skips it.
"""

from __future__ import annotations

import base64
import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
except ImportError as error:  # fail the suite with what to do, never skip it
    raise ImportError(f"{error}: run `make test`, which installs the test extras "
                      "(pyproject.toml [project.optional-dependencies].test) into .venv/") from None

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SOURCE_DATE_EPOCH = "1793491200"
"""2026-11-01, the fixed build day: the fixtures' openings are open or closed relative to it."""

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WINDOW = (1280, 900)
INSTALL_HINT = "run `make test` once (its .ci/install-test-deps installs the browser test tools)"


def require(path: Path, what: str) -> None:
    """Fail (never skip) when a tool the suite needs is missing."""
    if not path.exists():
        pytest.fail(f"{what} not found at {path}: {INSTALL_HINT}", pytrace=False)


# --- building and serving the fixture sites ---------------------------------------------------


@pytest.fixture(scope="session")
def hostile_site(build_site: Callable[[Path], Path]) -> Path:
    """The built site of tests/fixtures/hostile/: script, markup and huge text in every field."""
    return build_site(FIXTURES / "hostile")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Path], str]]:
    """Return ``serve(folder) -> "http://127.0.0.1:<port>"``: one loopback server per folder."""
    servers: dict[Path, tuple[ThreadingHTTPServer, threading.Thread]] = {}

    def start(folder: Path) -> str:
        folder = Path(folder).resolve()
        if folder not in servers:
            handler = functools.partial(_QuietHandler, directory=str(folder))
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, name=f"serve {folder}",
                                      daemon=True)
            thread.start()
            servers[folder] = (server, thread)
        host, port = servers[folder][0].server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for server, thread in servers.values():
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def directory_url(serve: Callable[[Path], str], directory_site: Path) -> str:
    return serve(directory_site)


@pytest.fixture(scope="session")
def hostile_url(serve: Callable[[Path], str], hostile_site: Path) -> str:
    return serve(hostile_site)


# --- the pages of a built site ----------------------------------------------------------------


def html_pages(site: Path) -> list[str]:
    """Every HTML file of a built site, as the URL path it is served at (``/coops/x/``)."""
    paths = []
    for file in sorted(site.rglob("*.html")):
        relative = file.relative_to(site).as_posix()
        if relative == "index.html":
            paths.append("/")
        elif relative.endswith("/index.html"):
            paths.append("/" + relative.removesuffix("index.html"))
        else:
            paths.append("/" + relative)
    return paths


def sitemap_pages(site: Path) -> list[str] | None:
    """The URL paths listed in the site's sitemap.xml, in its order; None when it has none."""
    sitemap = site / "sitemap.xml"
    if not sitemap.exists():
        return None
    paths = []
    for element in ElementTree.parse(sitemap).iter():
        if element.tag.rsplit("}", 1)[-1] == "loc" and element.text:
            path = urlsplit(element.text.strip()).path or "/"
            if (path.endswith("/") or path.endswith(".html")) and path not in paths:
                paths.append(path)
    return paths


def page_type(path: str) -> tuple[str, int]:
    """A page's type: its first path segment and its depth (``/coops/x/openings/y/`` → coops, 4)."""
    segments = [segment for segment in path.strip("/").split("/") if segment]
    if segments and segments[-1] == "index.html":
        segments.pop()
    return (segments[0] if segments else "", len(segments))


def page_type_name(path: str) -> str:
    """A readable, file-safe name for a page's type: home, about, coops-item-openings-item."""
    segments = [segment for segment in path.strip("/").split("/") if segment]
    if segments and segments[-1] == "index.html":
        segments.pop()
    if not segments:
        return "home"
    words = [segments[0]]
    for index, segment in enumerate(segments[1:], start=1):
        words.append("item" if index % 2 else segment)  # /kind/<slug>/sub/<id>/: slugs vary
    name = "-".join(words).removesuffix(".html")
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def one_page_per_type(site: Path) -> dict[str, str]:
    """The first page of each page type: {type name: URL path}, from sitemap.xml when there is one.

    Pages are grouped by first path segment and depth, so the suite follows the page types the
    site has without a list to keep up to date.
    """
    paths = sitemap_pages(site)
    if paths is None:
        paths = html_pages(site)
        paths = [path for path in paths if path.endswith("/")] or paths
    chosen: dict[tuple[str, int], str] = {}
    for path in paths:
        chosen.setdefault(page_type(path), path)
    return {page_type_name(path): path for path in chosen.values()}


# --- the browser ------------------------------------------------------------------------------


@dataclass
class Visit:
    """What happened when the browser loaded one page."""

    url: str
    console: list[dict[str, Any]] = field(default_factory=list)
    """Every console entry the page logged (goog:loggingPrefs browser=ALL)."""
    alerts: list[str] = field(default_factory=list)
    """The text of every alert, confirm or prompt dialog the page opened."""

    @property
    def console_errors(self) -> list[str]:
        return [f"{entry['level']}: {entry['message']}" for entry in self.console
                if entry.get("level") == "SEVERE"]


class Browser:
    """One headless Chromium for the whole session, with the helpers the tests share."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def visit(self, url: str) -> Visit:
        """Load a page, wait until it has loaded, and collect its dialogs and console log."""
        self.driver.get_log("browser")  # drop what earlier pages logged
        self.driver.get(url)
        visit = Visit(url)
        self._take_alerts(visit)
        self.driver.execute_script("return document.readyState")
        self._take_alerts(visit)
        visit.console.extend(self.driver.get_log("browser"))
        return visit

    def _take_alerts(self, visit: Visit) -> None:
        for _ in range(20):  # a page may open one dialog after another
            try:
                alert = self.driver.switch_to.alert
                visit.alerts.append(alert.text)
                alert.dismiss()
            except NoAlertPresentException:
                return

    def wait_for(self, condition: Callable[[], Any], seconds: float = 10) -> None:
        """Wait until ``condition()`` holds (searching and filtering answer asynchronously)."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, seconds).until(lambda _: condition())

    def more_console(self, visit: Visit) -> None:
        """Add what the page has logged since (after running scripts in it, say)."""
        visit.console.extend(self.driver.get_log("browser"))

    def set_viewport(self, width: int, height: int = 900) -> None:
        """Make the page's viewport exactly ``width`` CSS pixels wide (a desktop, not a phone).

        ``mobile: False`` keeps window.innerWidth at ``width`` whatever the content does, so a
        page that is too wide shows as horizontal scroll instead of being zoomed out.
        """
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False,
        })
        # Overlay scrollbars, as on phones: the page gets all ``width`` pixels.
        self.driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})

    def reset_viewport(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": False})
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def color_scheme(self, scheme: str) -> None:
        """Emulate ``prefers-color-scheme: light`` or ``dark``."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": scheme}],
        })

    def full_page_screenshot(self, path: Path) -> None:
        """Save the whole page, its full height, at the current viewport width, as PNG."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        viewport = metrics.get("cssLayoutViewport") or metrics["layoutViewport"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "scale": 1,
                     "width": max(size["width"], viewport["clientWidth"]),
                     "height": max(size["height"], viewport["clientHeight"])},
        })
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def run_axe(self, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Inject axe-core into the current page, run it and return its violations."""
        if not self.driver.execute_script("return typeof window.axe === 'object'"):
            self.driver.execute_script(AXE_JS.read_text("utf-8"))
        return self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, arguments[0])
              .then(result => done(result.violations))
              .catch(error => done([{id: 'axe-error', impact: 'critical',
                                     help: String(error), nodes: []}]));
            """,
            options or {},
        )


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium (chromedriver, Selenium) for the whole session."""
    require(CHROMIUM, "Chromium")
    require(CHROMEDRIVER, "chromedriver")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.unhandled_prompt_behavior = "ignore"  # dialogs stay open for visit() to record
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
