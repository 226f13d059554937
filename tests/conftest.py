"""Shared helpers: write co-op files into a temporary folder and check them on a fixed day."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sitecheck import ROOT, keys_dir_for_tests, make_html

from coopdir.load import LoadSettings, check_paths
from coopdir.model import Coop
from coopdir.problems import Problem

TODAY = date(2026, 11, 1)
"""The day every test checks on, so that "open" and "in the future" never depend on the clock."""
TODAY_EPOCH = "1793491200"
"""TODAY as SOURCE_DATE_EPOCH, for code that reads the clock itself (the command line)."""


def write_coop(tmp_path: Path, slug: str, text: str) -> Path:
    """Write ``tmp_path/coops/<slug>.yaml`` (dedented, UTF-8, LF) and return its path."""
    folder = tmp_path / "coops"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8", newline="\n")
    return path


def check(
    folder: Path, *, settings: LoadSettings | None = None
) -> tuple[list[Coop], list[Problem]]:
    """Run the loader on one file or folder on TODAY."""
    return check_paths([folder], settings=settings, today=TODAY)


def problems_for(folder: Path, *, settings: LoadSettings | None = None) -> list[str]:
    """Return every problem in a file or folder as the text people read, checked on TODAY."""
    return [str(problem) for problem in check(folder, settings=settings)[1]]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test inside tmp_path, so problems name files as ``coops/<slug>.yaml``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return tmp_path


@pytest.fixture(scope="session", autouse=True)
def fediverse_keys() -> Iterator[Path]:
    """Point every build of the session, in this process too, at the test keys folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOPDIR_KEYS_DIR", str(keys_dir_for_tests()))
        yield keys_dir_for_tests()


@pytest.fixture(scope="session")
def build_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Return ``build_site(coops_folder) -> output folder``, building each folder once a session.

    It runs ``make html`` the way people build, on the fixed day, so every test that reads a
    built site (files, links, golden copy, browser) shares one build of each fixture.
    """
    built: dict[Path, Path | str] = {}

    def build(coops: Path) -> Path:
        coops = Path(coops).resolve()
        if coops not in built:
            output = tmp_path_factory.mktemp(f"site-{coops.name}") / "output"
            result = make_html(coops, output)
            built[coops] = output if result.returncode == 0 else (
                f"`make html COOPS={coops}` failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        outcome = built[coops]
        if isinstance(outcome, str):
            pytest.fail(outcome, pytrace=False)
        return outcome

    return build


@pytest.fixture(scope="session")
def directory_site(build_site: Callable[[Path], Path]) -> Path:
    """The built site of tests/fixtures/directory/: every page type, made-up co-ops."""
    return build_site(ROOT / "tests" / "fixtures" / "directory")


SEARCH_DAY_EPOCH = "1796083200"
"""2026-12-01: the day the search corpus is built on (after the real co-ops' ``added`` date)."""


@pytest.fixture(scope="session")
def search_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real co-ops of coops/ plus the made-up co-ops with openings of tests/fixtures/search/."""
    folder = tmp_path_factory.mktemp("search-corpus") / "coops"
    folder.mkdir()
    sources = [ROOT / "coops", ROOT / "tests/fixtures/search"]
    for path in [file for source in sources for file in source.glob("*.yaml")]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.fixture(scope="session")
def search_site(tmp_path_factory: pytest.TempPathFactory, search_corpus: Path) -> Path:
    """The search corpus built with ``make html`` (site, browser index and Whoosh index)."""
    output = tmp_path_factory.mktemp("search-site") / "output"
    result = make_html(search_corpus, output, SOURCE_DATE_EPOCH=SEARCH_DAY_EPOCH)
    if result.returncode:
        pytest.fail(f"building the search corpus failed:\n{result.stdout}{result.stderr}")
    return output
