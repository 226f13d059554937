"""The browser index after a change: the bytes of a full build, with only changed files written.

A build makes the index from what the last one cached (each document's analysis, the JSON of
each piece) and writes only the files whose bytes differ into a site that starts as hard links
to the previous one; files the index no longer has are removed. These tests change, add and
remove documents and compare the folder with one made from scratch, file by file and inode by
inode; and they check every score against the plain BM25F loop the numpy code replaces.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitecheck import ROOT, make_html

from coopdir.search.analysis import fold_words, stem
from coopdir.search.bm25 import K1, WEIGHT_SCALE, B
from coopdir.search.browserindex import FOLDER, browser_index, shard_file
from coopdir.search.documents import FIELD_BOOSTS, SearchDoc
from coopdir.search.indexcache import IndexCache
from coopdir.search.indexfiles import update_index_folder

WORDS = [
    "cooperative", "cooperatives", "co-op", "worker", "workers", "owned", "hosting", "hosted",
    "host", "python", "rust", "django", "data", "database", "community", "communities", "design",
    "designers", "research", "accessible", "maps", "servers", "federated", "climate", "public",
    "education", "software", "web", "mobile", "apps", "privacy", "Zürich", "Montréal", "Berlin",
    "Leipzig", "Glasgow", "consulting", "consultancy", "maintenance", "infrastructure",
]
COUNTRIES = ["de", "fr", "gb", "ch", "ca", "es"]


def vocabulary(rng: random.Random) -> list[str]:
    """Return the known words and three thousand made-up ones, commonest first."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    made_up = {"".join(rng.choices(letters, k=rng.randrange(4, 10))) for _ in range(3000)}
    return [*WORDS, *sorted(made_up)]


def document(number: int, rng: random.Random, words: list[str]) -> SearchDoc:
    """Return a made-up co-op or opening with a few dozen words, like a real one."""
    kind = "coop" if number % 5 == 0 else "opening"
    slug = f"coop-{number // 5:04d}"
    weights = [1 / rank for rank in range(1, len(words) + 1)]  # a few words are everywhere

    def text(count: int) -> str:
        return " ".join(rng.choices(words, weights, k=count))

    return SearchDoc(
        url=f"/coops/{slug}/" + ("" if kind == "coop" else f"o{number}/"),
        kind=kind,
        title=text(3).title(),
        coop_name=slug,
        where=rng.choice(WORDS[-9:-4]),
        fields=(
            ("name", f"{slug} {text(2)}"),
            ("tags", text(4)),
            ("place", rng.choice(WORDS[-9:-4])),
            ("summary", text(8)),
            ("description", text(rng.randrange(10, 60))),
        ),
        facets=(("countries", (rng.choice(COUNTRIES),)), ("type", (kind,))),
        coop_slug=slug,
    )


def corpus(count: int = 1500) -> list[SearchDoc]:
    rng = random.Random(7)
    words = vocabulary(rng)
    return sorted((document(n, rng, words) for n in range(count)), key=lambda doc: doc.url)


def files_of(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Return every file under the site's index folder: (inode, bytes) by site path."""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_ino, path.read_bytes())
        for path in (folder / FOLDER).rglob("*")
        if path.is_file()
    }


def rebuild(site: Path, docs: list[SearchDoc], cache: Path, into: Path):  # noqa: ANN201
    """Update a hard-link copy of ``site`` as a rebuild does; return what the update did."""
    shutil.copytree(site, into, copy_function=os.link)
    return update_index_folder(into, docs, cache)


def from_scratch(docs: list[SearchDoc], folder: Path) -> dict[str, bytes]:
    """Return the index a first build, with no cache at all, makes of ``docs``."""
    update_index_folder(folder, docs, None)
    return {name: data for name, (_, data) in files_of(folder).items()}


def new_summary(docs: list[SearchDoc]) -> list[SearchDoc]:
    """One co-op rewrites its summary (the benchmark's one-file change)."""
    changed = list(docs)
    number = next(i for i, doc in enumerate(docs) if doc.kind == "coop" and i > len(docs) // 2)
    fields = tuple(
        (name, "Hosting and research for climate communities" if name == "summary" else text)
        for name, text in docs[number].fields
    )
    changed[number] = replace(docs[number], fields=fields)
    return changed


def test_one_changed_summary_rewrites_only_the_few_files_that_differ(tmp_path: Path) -> None:
    docs = corpus()
    site, cache = tmp_path / "site", tmp_path / "cache"
    update_index_folder(site, docs, cache)
    before = files_of(site)
    changed = new_summary(docs)
    update = rebuild(site, changed, cache, tmp_path / "staging")
    after = files_of(tmp_path / "staging")
    expected = from_scratch(changed, tmp_path / "full")
    assert {name: data for name, (_, data) in after.items()} == expected
    differ = {name for name, data in expected.items() if before[name][1] != data}
    rewritten = {name for name, (inode, _) in after.items() if before[name][0] != inode}
    assert rewritten == differ
    assert update.written == len(differ)
    assert f"{FOLDER}/index.json" in differ  # its version changes with any file
    assert 1 < len(differ) < len(expected) / 20, "a summary change rewrote much of the index"
    assert update.analysed == 1, "unchanged documents were analysed again"
    assert files_of(site) == before, "the previous site was written through a hard link"


def add_document(docs: list[SearchDoc]) -> list[SearchDoc]:
    extra = replace(
        docs[3],
        url="/coops/zz-new/",
        fields=(("name", "Quokka Collective"), ("summary", "quokkas host everything")),
        facets=(("countries", ("nz",)), ("type", ("coop",))),
    )
    return [*docs, extra]


def remove_only_swiss(docs: list[SearchDoc]) -> list[SearchDoc]:
    return [doc for doc in docs if doc.facet("countries") != ("ch",)]


def retitle(docs: list[SearchDoc]) -> list[SearchDoc]:
    return [replace(doc, title="Renamed") if i == 40 else doc for i, doc in enumerate(docs)]


def test_rebuilds_after_any_change_equal_full_builds(tmp_path: Path) -> None:
    """Added words and facet values, removed ones, result rows, and no change at all."""
    edits: list[tuple[str, Callable[[list[SearchDoc]], list[SearchDoc]]]] = [
        ("added", add_document),
        ("removed", remove_only_swiss),
        ("retitled", retitle),
        ("unchanged", lambda docs: docs),
    ]
    docs = corpus(400)
    site, cache = tmp_path / "site", tmp_path / "cache"
    update_index_folder(site, docs, cache)
    for name, edit in edits:
        before = files_of(site)
        docs = edit(docs)
        staging = tmp_path / f"staging-{name}"
        update = rebuild(site, docs, cache, staging)
        after = files_of(staging)
        expected = from_scratch(docs, tmp_path / f"full-{name}")
        assert {n: data for n, (_, data) in after.items()} == expected, name
        gone = before.keys() - expected.keys()
        assert update.removed == len(gone), name
        if name == "added":
            assert f"{FOLDER}/f/countries/nz.json" in after
        if name == "removed":
            assert f"{FOLDER}/f/countries/ch.json" in gone
            assert not any(n.startswith(f"{FOLDER}/f/countries/ch") for n in after)
        differ = {n for n, data in expected.items() if before.get(n, (0, b""))[1] != data}
        rewritten = {n for n, (inode, _) in after.items() if before.get(n, (0,))[0] != inode}
        assert rewritten == differ, name
        if name == "unchanged":
            assert update.written == 0 and update.analysed == 0
        site = staging


def test_a_broken_cache_file_is_made_again(tmp_path: Path) -> None:
    docs = corpus(200)
    cache = tmp_path / "cache"
    update_index_folder(tmp_path / "site", docs, cache)
    (file,) = cache.iterdir()
    file.write_bytes(file.read_bytes()[:100])
    update = rebuild(tmp_path / "site", new_summary(docs), cache, tmp_path / "staging")
    assert update.analysed == len(docs)
    expected = from_scratch(new_summary(docs), tmp_path / "full")
    assert {n: data for n, (_, data) in files_of(tmp_path / "staging").items()} == expected


def plain_scores(docs: list[SearchDoc]) -> dict[str, dict[int, int]]:
    """The scores as the formula reads, one posting at a time (what bm25.py must equal)."""
    per_doc = []
    for doc in docs:
        fields: dict[str, Counter[str]] = {}
        for name, text in doc.fields:
            fields[name] = Counter(stem(word) for word in fold_words(text))
        per_doc.append(fields)
    count = len(per_doc)
    average = {
        name: (sum(sum(fields.get(name, Counter()).values()) for fields in per_doc) / count) or 1.0
        for name in FIELD_BOOSTS
    }
    frequency = Counter((name, s) for fields in per_doc for name, c in fields.items() for s in c)
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    for doc_id, fields in enumerate(per_doc):
        for name, counts in fields.items():
            norm = K1 * (1 - B + B * sum(counts.values()) / average[name])
            boost = FIELD_BOOSTS[name]
            for stemmed, tf in counts.items():
                idf = math.log(count / (frequency[name, stemmed] + 1)) + 1
                weight = idf * tf * boost * (K1 + 1) / (tf * boost + norm)
                postings[stemmed][doc_id] = postings[stemmed].get(doc_id, 0.0) + weight
    return {
        stemmed: {doc_id: max(1, round(w * WEIGHT_SCALE)) for doc_id, w in by_doc.items()}
        for stemmed, by_doc in postings.items()
    }


def index_scores(files: dict[str, bytes]) -> dict[str, dict[int, int]]:
    """Read every stem's document ids and scores back out of the index files."""
    scores = {}
    for key in json.loads(files[f"{FOLDER}/index.json"])["shards"]:
        shard = json.loads(files[f"{FOLDER}/t/{shard_file(key)}.json"])
        lists = dict(shard["s"])
        for stemmed, number in shard.get("p", {}).items():
            lists[stemmed] = json.loads(files[f"{FOLDER}/t/{shard_file(key)}.{number}.json"])
        for stemmed, packed in lists.items():
            half = len(packed) // 2
            ids = [sum(packed[: i + 1]) for i in range(half)]
            scores[stemmed] = dict(zip(ids, packed[half:], strict=True))
    return scores


FIELD = st.sampled_from(list(FIELD_BOOSTS))
TEXT = st.lists(st.sampled_from([*WORDS, "a", "the", "Co-op's", "e-mail", "ĳssel"]), max_size=12)
DOCS = st.lists(
    st.lists(st.tuples(FIELD, TEXT.map(" ".join)), min_size=1, max_size=7), min_size=1, max_size=25
)


def documents(fields: list) -> list[SearchDoc]:
    """Return one document per list of (field, text) pairs, numbered in order."""
    return [
        SearchDoc(
            url=f"/d/{number}/",
            kind="coop",
            title=f"t{len(pairs)}",
            coop_name="c",
            where="",
            fields=tuple(pairs),
            facets=(("type", ("coop",)), ("countries", (pairs[0][0][:2],))),
            coop_slug="c",
        )
        for number, pairs in enumerate(fields)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_scores_equal_the_plain_formula_to_the_last_digit(fields: list) -> None:
    """Any fields, in any order, named twice, empty: the same integers as the plain loop."""
    docs = documents(fields)
    assert index_scores(browser_index(docs, own_file=64)) == plain_scores(docs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS, DOCS, st.integers(0, 25))
def test_an_index_made_from_the_cache_equals_one_made_without(
    first: list, second: list, kept: int
) -> None:
    """Whatever the last build had: documents kept, dropped, moved, new, the same files."""
    cache = IndexCache()
    browser_index(documents(first), own_file=64, cache=cache)
    docs = documents(second + first[:kept])
    assert browser_index(docs, own_file=64, cache=cache) == browser_index(docs, own_file=64)


def test_a_site_rebuild_rewrites_only_the_index_files_that_differ(tmp_path: Path) -> None:
    """The real build: a co-op's new summary, rebuilt, as ``make html`` runs it twice."""
    from coopdir.build import build_site

    coops = tmp_path / "coops"
    shutil.copytree(ROOT / "tests/fixtures/directory", coops)
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    before = files_of(output)
    changed = coops / "zurich-kollektiv.yaml"
    changed.write_text(changed.read_text("utf-8").replace("summary:", "summary: Quokkas!", 1))
    assert make_html(coops, output).returncode == 0
    after = files_of(output)
    timings = json.loads((tmp_path / ".site.cache" / "timings.json").read_text("utf-8"))
    listed = [path for path in coops.glob("*.yaml") if "status: dissolved" not in path.read_text()]
    assert timings["search_reused"] == len(listed) - 1, "unchanged co-ops were made again"
    assert timings["search_analysed"] >= 1
    assert build_site(coops, tmp_path / "full", full=True) == 0
    expected = {name: data for name, (_, data) in files_of(tmp_path / "full").items()}
    assert {name: data for name, (_, data) in after.items()} == expected
    differ = {name for name, data in expected.items() if before[name][1] != data}
    rewritten = {name for name, (inode, _) in after.items() if before[name][0] != inode}
    assert rewritten == differ
    assert len(differ) < len(expected) / 2
    assert any(b"quokka" in data for data in expected.values())
