"""`coopdir search` and the Whoosh index it keeps: relevance, filters, freshness, errors."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SEARCH_DAY_EPOCH, write_coop
from sitecheck import ROOT, check_relevance, relevance_set

from coopdir.cli import main
from coopdir.load import load_directory
from coopdir.search.command import fresh_index
from coopdir.search.documents import search_documents
from coopdir.search.whooshindex import refresh_index, search

RELEVANCE = relevance_set()


@pytest.fixture(scope="module")
def built_index(search_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Whoosh index `coopdir search` keeps, made from the search corpus on its day."""
    folder = tmp_path_factory.mktemp("whoosh") / "search-index"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SEARCH_DAY_EPOCH)
        fresh_index(search_corpus, folder)
    assert (folder / "coopdir-search.json").is_file(), "no Whoosh index was made"
    return folder


@pytest.mark.parametrize("case", RELEVANCE, ids=[case["query"] for case in RELEVANCE])
def test_whoosh_search_passes_the_relevance_set(built_index: Path, case: dict[str, Any]) -> None:
    results = search(built_index, case["query"], filters=case.get("filters"), limit=20)
    check_relevance(case, [hit.url for hit in results.hits])


def run(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SEARCH_DAY_EPOCH)
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def fresh_clone(tmp_path: Path, search_corpus: Path) -> Path:
    """A folder like a fresh clone: co-op files in coops/, nothing built, no index."""
    shutil.copytree(search_corpus, tmp_path / "coops")
    return tmp_path


def test_search_works_in_a_fresh_clone_and_prints_name_first_with_why(
    fresh_clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(["search", "rust", "engineer"], fresh_clone, monkeypatch)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("Rust engineer for database tooling — opening at Lindenfeld Kollektiv")
    assert "/coops/lindenfeld-kollektiv/openings/rust-engineer/" in first
    assert "matched" in first and "rust in name" in first and "engineer in name" in first
    assert (fresh_clone / ".output.cache/search-index/coopdir-search.json").is_file()


def test_search_forgives_a_typo_and_says_so(
    fresh_clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(["search", "outlandsh"], fresh_clone, monkeypatch)
    assert result.output.splitlines()[0].startswith("Outlandish — co-op")
    assert "outlandsh≈outlandish in name" in result.output


def test_search_json_and_filters(fresh_clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        [
            "search",
            "--json",
            "--remote",
            "--kind",
            "job",
            "--technology",
            "py",
            "--type",
            "opening",
        ],
        fresh_clone,
        monkeypatch,
    )
    data = json.loads(result.output)
    assert [hit["url"] for hit in data["hits"]] == ["/coops/harbour-lights/openings/data-engineer/"]
    result = run(
        ["search", "--json", "--country", "ch", "--type", "opening"], fresh_clone, monkeypatch
    )
    urls = {hit["url"] for hit in json.loads(result.output)["hits"]}
    assert urls == {
        "/coops/lindenfeld-kollektiv/openings/rust-engineer/",
        "/coops/lindenfeld-kollektiv/openings/accountant/",
    }


def test_search_says_when_no_result_has_every_word(
    fresh_clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(["search", "bookkeeper", "kotlin"], fresh_clone, monkeypatch)
    assert "No entry has every word" in result.output
    assert {"Bookkeeper (part time)", "Desenvolvedora mobile (Kotlin)"} <= {
        line.split(" — ")[0] for line in result.output.splitlines()
    }
    result = run(["search", "zzzyyyxxx"], fresh_clone, monkeypatch)
    assert "No entry has: zzzyyyxxx" in result.output and "No results." in result.output


def test_search_refreshes_only_what_changed(
    fresh_clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Harbour Lights" in run(["search", "halifax"], fresh_clone, monkeypatch).output
    path = fresh_clone / "coops/harbour-lights.yaml"
    path.write_text(path.read_text("utf-8").replace("city: Halifax", "city: Lunenburg"), "utf-8")
    (fresh_clone / "coops/koumbit.yaml").unlink()
    assert "No results." in run(["search", "halifax"], fresh_clone, monkeypatch).output
    assert "Harbour Lights" in run(["search", "lunenburg"], fresh_clone, monkeypatch).output
    assert "No results." in run(["search", "koumbit"], fresh_clone, monkeypatch).output
    manifest = json.loads(
        (fresh_clone / ".output.cache/search-index/coopdir-search.json").read_text()
    )
    assert "koumbit" not in manifest["coops"] and "koumbit" not in manifest["words"]


def test_refresh_reindexes_one_coop_and_agrees_with_a_fresh_index(tmp_path: Path) -> None:
    coops = sorted((ROOT / "tests/fixtures/search").glob("*.yaml"))
    folder = tmp_path / "coops"
    folder.mkdir()
    for path in coops:
        shutil.copy(path, folder)
    day = dt.date(2026, 12, 1)
    docs = search_documents(load_directory(folder, today=day))
    assert refresh_index(tmp_path / "a", docs) == 3
    assert refresh_index(tmp_path / "a", docs) == 0
    changed = folder / "quilombo-digital.yaml"
    changed.write_text(
        changed.read_text("utf-8").replace("Quilombo Digital", "Quilombo Dados"), "utf-8"
    )
    docs = search_documents(load_directory(folder, today=day))
    assert refresh_index(tmp_path / "a", docs) == 1
    assert refresh_index(tmp_path / "b", docs) == 3
    for words in ["dados", "digital", "kotlin", "zurich", "pyhton"]:
        incremental = [hit.url for hit in search(tmp_path / "a", words).hits]
        fresh = [hit.url for hit in search(tmp_path / "b", words).hits]
        assert incremental == fresh, words
    assert search(tmp_path / "a", "dados").hits[0].url == "/coops/quilombo-digital/"


def test_search_reports_bad_files_with_file_and_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_coop(workdir, "broken", "name: Broken\nwebsite: not a url\n")
    result = run(["search", "broken"], workdir, monkeypatch)
    assert result.exit_code == 1
    assert "coops/broken.yaml:2:" in result.output
