"""The browser index keeps long document lists in files of their own, and finds the same.

A word found in most documents (in a big directory: "co", "cooperative", "python") has a long
list; kept in its two-letter shard, every query for any word of that shard would download it.
Each long list has a file of its own instead. This runs theme/static/js/search.js in Node over
an index with long lists, and checks that a first query fetches only the lists of its own words
and ranks exactly as it does over the same index with every list kept in its shard.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from sitecheck import ROOT

from coopdir.search.browserindex import OWN_FILE, browser_index
from coopdir.search.documents import SearchDoc

SCRIPT = ROOT / "tests/js/search_query.mjs"
COUNT = 1200
QUERIES = [
    ["cooperative", {}, False],
    ["Example Co-op 0042", {}, False],
    ["python berlin", {}, False],
    ["comunity", {}, False],  # a typo of a word with a long list
    ["python glasgow", {}, False],  # no document has both: those with some
    ["consult", {}, True],  # typing: words it begins
    ["rust", {"type": "opening"}, False],
]


def document(number: int) -> SearchDoc:
    kind = "coop" if number % 4 == 0 else "opening"
    city = "Berlin" if number % 5 == 0 else "Leipzig"
    return SearchDoc(
        url=f"/coops/example-{number // 4:04d}/" + ("" if kind == "coop" else f"o{number}/"),
        kind=kind,
        title=f"Example Co-op {number // 4:04d}" if kind == "coop" else f"Role {number}",
        coop_name=f"Example Co-op {number // 4:04d}",
        where=city,
        fields=(
            ("name", f"Example Co-op {number // 4:04d}"),
            ("tags", "python" if number % 3 == 0 else "rust"),
            ("place", city + (" Glasgow" if number == 7 else "")),
            ("summary", "cooperative community" + " consulting" * (number % 2)),
            ("description", "A cooperative of " * (1 + number % 3) + f"{number} members"),
        ),
        facets=(("type", (kind,)),),
        coop_slug=f"example-{number // 4:04d}",
    )


def run_node(files: dict[str, bytes], queries: list) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: run `make test` (it installs nodejs)", pytrace=False)
    payload = {"files": {name: data.decode() for name, data in files.items()}, "queries": queries}
    result = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def docs() -> list[SearchDoc]:
    return sorted((document(number) for number in range(COUNT)), key=lambda doc: doc.url)


def test_long_lists_get_files_of_their_own(docs: list[SearchDoc]) -> None:
    files = browser_index(docs)
    shard = json.loads(files["search-index/t/co.json"])
    assert {"cooper", "co", "commun"} <= set(shard["p"])  # each in every document
    for stemmed, number in shard["p"].items():
        assert stemmed not in shard["s"]
        assert len(files[f"search-index/t/co.{number}.json"]) > OWN_FILE
    assert all(len(json.dumps(packed)) <= OWN_FILE for packed in shard["s"].values())


def test_a_query_fetches_only_its_own_long_lists(docs: list[SearchDoc]) -> None:
    files = browser_index(docs)
    own = json.loads(files["search-index/t/co.json"])["p"]
    fetched = run_node(files, [["cooperative", {}, False]])[0]["fetched"]
    lists = [path for path in fetched if re.fullmatch(r"search-index/t/co\.\d+\.json", path)]
    assert lists == [f"search-index/t/co.{own['cooper']}.json"]
    shard = [name for name in files if re.fullmatch(r"search-index/t/co(\.\d+)?\.json", name)]
    skipped = [name for name in shard if name not in fetched]
    assert len(skipped) == len(own) - 1  # every other word's long list stayed on the server
    assert sum(len(files[name]) for name in skipped) > sum(len(files[name]) for name in lists)


def test_own_files_change_no_result(docs: list[SearchDoc]) -> None:
    split = run_node(browser_index(docs), QUERIES)
    shared = run_node(browser_index(docs, own_file=10**9), QUERIES)
    for query, one, other in zip(QUERIES, split, shared, strict=True):
        assert one["total"] > 0, query
        for key in ("ids", "scores", "total", "everyWord", "unknown", "urls"):
            assert one[key] == other[key], (query, key)
    assert split[4]["everyWord"] is False
    assert split[3]["total"] == split[0]["total"]  # the typo finds what the word finds


def test_list_pages_number_documents_as_the_index_does() -> None:
    """The ids list pages carry (from URLs alone) are the documents' places in the index."""
    import datetime as dt

    from coopdir.load import load_directory
    from coopdir.search.documents import search_documents, search_ids

    directory = load_directory(ROOT / "tests/fixtures/directory", today=dt.date(2026, 11, 1))
    documents = search_documents(directory)
    assert len(documents) >= 10
    assert search_ids(directory) == {doc.url: number for number, doc in enumerate(documents)}
