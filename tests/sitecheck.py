"""Helpers for tests that read a built site: parse pages, walk links, compare structure."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DAY_EPOCH = "1793491200"  # 2026-11-01, the day fixture sites are built on
FIXTURE_KEYS = ROOT / "tests" / "fixtures" / "keys"


@functools.cache
def keys_dir_for_tests() -> Path:
    """Return this test run's keys folder: a copy of the fixtures' committed public keys.

    Fixture actors then publish the same keys every run (the golden copy stays byte-equal),
    and keys for any other account are generated here, never in the home folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="coopdir-test-keys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # not left in /tmp run after run
    for key in FIXTURE_KEYS.glob("*.public.pem"):
        shutil.copy(key, folder / key.name)
    return folder


def make_html(coops: Path, output: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Build ``coops`` into ``output`` with ``make html``, exactly as people do."""
    return subprocess.run(
        ["make", "--no-print-directory", "html", f"COOPS={coops}", f"OUTPUTDIR={output}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "SOURCE_DATE_EPOCH": FIXTURE_DAY_EPOCH,
            "COOPDIR_KEYS_DIR": str(keys_dir_for_tests()),
            **env,
        },
    )


def parse(path: Path) -> BeautifulSoup:
    """Parse one built page."""
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def html_files(site: Path) -> list[Path]:
    """Return every HTML file of a built site, sorted."""
    return sorted(site.rglob("*.html"))


def internal_links(site: Path) -> Iterator[tuple[Path, str]]:
    """Yield (page, target) for every link and asset on the site that stays on the site."""
    for page in html_files(site):
        soup = parse(page)
        for element in soup.find_all(["a", "link", "script", "img", "form"]):
            target = element.get("href") or element.get("src") or element.get("action")
            if not target:
                continue
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith("#"):
                continue
            yield page, target


def resolve(site: Path, page: Path, target: str) -> Path | None:
    """Return the file a link points to, or None if there is none."""
    path = unquote(urlsplit(target).path)
    base = site if path.startswith("/") else page.parent
    candidate = (base / path.lstrip("/")).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def structure(html: str) -> list[str]:
    """Return a page as one line per element and text node, indented by depth.

    Golden comparisons use this, so formatting and attribute order do not matter, while every
    element, attribute value and piece of text does.
    """
    lines: list[str] = []

    def walk(node: Tag, depth: int) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                attrs = " ".join(
                    f'{key}="{" ".join(value) if isinstance(value, list) else value}"'
                    for key, value in sorted(child.attrs.items())
                )
                lines.append("  " * depth + f"<{child.name}{' ' + attrs if attrs else ''}>")
                walk(child, depth + 1)
            elif isinstance(child, NavigableString) and child.strip():
                lines.append("  " * depth + repr(" ".join(child.split())))

    walk(BeautifulSoup(html, "html.parser"), 0)
    return lines


def check_relevance(case: dict, urls: list[str]) -> None:
    """Assert one entry of tests/search_relevance.yaml against the URLs an engine ranked."""
    expect = case["expect"]
    within = case.get("within", len(expect))
    top = urls[:within]
    missing = [url for url in expect if url not in top]
    what = f"{case['query']!r} ({case['why']})"
    assert not missing, f"{what}: {missing} not in the top {within}: {top}"
    if case.get("first"):
        assert urls[0] == expect[0], f"{what}: first was {urls[0]}"


def relevance_set() -> list[dict]:
    """Return tests/search_relevance.yaml: the queries both search engines must pass."""
    import yaml

    return yaml.safe_load((ROOT / "tests/search_relevance.yaml").read_text("utf-8"))
