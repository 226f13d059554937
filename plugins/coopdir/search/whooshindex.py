"""The Whoosh index behind ``coopdir search``: kept up to date co-op by co-op.

The index lives in a folder of its own (by default in the build cache beside ``output/``) with a
manifest of what each co-op contributed, so a refresh re-indexes only the co-ops whose documents
changed. Queries are built here rather than parsed, so that the words people type mean the same
as in the browser: every word must match (in any field, by its stem), a word that matches nothing
is looked up again forgiving one typo (two in long words), and when no result has every word the
results with some of them are shown instead, and say so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import fields, index, query, scoring

from .analysis import fold_words, near_words, prefix_key, stem, stem_analyzer
from .documents import FIELD_BOOSTS, FILTER_KEYS, SearchDoc

SCHEMA_VERSION = "4"
MANIFEST = "coopdir-search.json"


def _field_name(key: str) -> str:
    return key.replace("-", "_")


def make_schema() -> fields.Schema:
    """Return the index schema: weighted text fields, stored display fields, facet keywords."""
    analyzer = stem_analyzer()
    schema = fields.Schema(
        url=fields.ID(stored=True, unique=True),
        coop_slug=fields.ID(),
        kind=fields.ID(stored=True),
        title=fields.STORED(),
        coop_name=fields.STORED(),
        where=fields.STORED(),
        example=fields.STORED(),
    )
    for name, boost in FIELD_BOOSTS.items():
        schema.add(name, fields.TEXT(analyzer=analyzer, field_boost=boost, phrase=False))
    for key in FILTER_KEYS:
        schema.add(_field_name(key), fields.KEYWORD(commas=True, lowercase=True))
    return schema


def _record(doc: SearchDoc) -> dict[str, str]:
    record = {
        "url": doc.url,
        "coop_slug": doc.coop_slug,
        "kind": doc.kind,
        "title": doc.title,
        "coop_name": doc.coop_name,
        "where": doc.where,
        "example": doc.example,
    }
    record.update(dict(doc.fields))
    for key in FILTER_KEYS:
        record[_field_name(key)] = ",".join(doc.facet(key))
    return record


def _digests(docs: Iterable[SearchDoc]) -> dict[str, str]:
    """One digest per co-op of everything it puts in the index."""
    by_coop: dict[str, list[str]] = {}
    for doc in docs:
        by_coop.setdefault(doc.coop_slug, []).append(repr(doc))
    return {
        slug: hashlib.sha256("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:20]
        for slug, parts in by_coop.items()
    }


def _words(docs: Iterable[SearchDoc]) -> dict[str, dict[str, str]]:
    """Every folded word of each co-op's documents, with its stem: where typos are looked up."""
    by_coop: dict[str, dict[str, str]] = {}
    for doc in docs:
        words = by_coop.setdefault(doc.coop_slug, {})
        for _, text in doc.fields:
            for word in fold_words(text):
                words[word] = stem(word)
    return by_coop


def _version() -> str:
    return f"{SCHEMA_VERSION}:{sorted(FIELD_BOOSTS.items())}:{FILTER_KEYS}"


def refresh_index(folder: Path, docs: list[SearchDoc]) -> int:
    """Bring the index in ``folder`` up to date with ``docs``; return how many co-ops changed.

    A missing, unreadable or older-format index is rebuilt from scratch.
    """
    wanted = _digests(docs)
    manifest_path = folder / MANIFEST
    known: dict[str, str] = {}
    fresh = True
    if manifest_path.is_file() and index.exists_in(str(folder)):
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
        except ValueError:
            manifest = {}
        if manifest.get("version") == _version():
            known, fresh = manifest.get("coops", {}), False
    words: dict[str, dict[str, str]] = {} if fresh else manifest.get("words", {})
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        ix = index.create_in(str(folder), make_schema())
    else:
        ix = index.open_dir(str(folder))
    changed = {slug for slug in set(wanted) | set(known) if wanted.get(slug) != known.get(slug)}
    if changed:
        writer = ix.writer(limitmb=256)
        for slug in sorted(changed):
            if not fresh:
                writer.delete_by_term("coop_slug", slug)
        for doc in docs:
            if doc.coop_slug in changed:
                writer.add_document(**_record(doc))
        writer.commit(optimize=fresh)
        words = {slug: one for slug, one in words.items() if slug in wanted and slug not in changed}
        words.update(_words(doc for doc in docs if doc.coop_slug in changed))
    manifest = {"version": _version(), "coops": wanted, "words": words}
    manifest_path.write_text(json.dumps(manifest, sort_keys=True), "utf-8")
    return len(changed)


@dataclass(frozen=True)
class Hit:
    """One result: what it is, where it is, and which words matched in which fields."""

    url: str
    kind: str
    title: str
    coop_name: str
    where: str
    score: float
    why: tuple[str, ...]
    example: bool = False


@dataclass
class Results:
    """Ranked hits, how many matched in all, and whether every word had to match."""

    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    every_word: bool = True
    unknown_words: list[str] = field(default_factory=list)


class Vocabulary:
    """The words and stems of the index, by prefix key: where a typed word's typos are found."""

    def __init__(self, folder: Path) -> None:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        self.stems: dict[str, str] = {}
        for words in manifest["words"].values():
            self.stems.update(words)
        for stemmed in set(self.stems.values()):
            self.stems.setdefault(stemmed, stemmed)
        self.by_key: dict[str, list[str]] = {}
        for word in sorted(self.stems):
            self.by_key.setdefault(prefix_key(word), []).append(word)

    def near(self, word: str) -> list[str]:
        """Return the stems of the words a typo or two away from ``word``."""
        found = near_words(word, self.by_key.get(prefix_key(word), ()))
        return sorted({self.stems[other] for other in found})


TYPO_BOOST = 0.8
"""A match through a corrected typo counts a little less than the word as typed."""


def _word_query(
    reader: object, vocabulary: Callable[[], Vocabulary], word: str
) -> tuple[query.Query | None, dict[str, str]]:
    """Return the query for one typed word (its stem, else near spellings) and stem → word.

    ``vocabulary`` loads the words of the index only when a word is not in it: reading them
    costs more than the search itself in a big directory (bench/search.py).
    """
    stemmed = stem(word)
    names = list(FIELD_BOOSTS)
    if any(reader.doc_frequency(name, stemmed) for name in names):  # type: ignore[attr-defined]
        return query.Or([query.Term(name, stemmed) for name in names]), {stemmed: word}
    near = vocabulary().near(word)
    if not near:
        return None, {}
    terms = [query.Term(name, term) for term in near for name in names]
    return query.Or(terms, boost=TYPO_BOOST), dict.fromkeys(near, word)


def search(
    folder: Path,
    text: str,
    *,
    filters: dict[str, str] | None = None,
    limit: int = 10,
) -> Results:
    """Search the index in ``folder``; ``filters`` maps a facet key to the value it must have."""
    ix = index.open_dir(str(folder))
    results = Results()
    filter_terms = [
        query.Term(_field_name(key), value.lower()) for key, value in (filters or {}).items()
    ]
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        reader = searcher.reader()
        parts: list[query.Query] = []
        words: dict[str, str] = {}
        vocabulary = functools.cache(functools.partial(Vocabulary, folder))
        for word in dict.fromkeys(fold_words(text)):
            part, found = _word_query(reader, vocabulary, word)
            if part is None:
                results.unknown_words.append(word)
                continue
            parts.append(part)
            words.update(found)
        if not parts:
            if not filter_terms or fold_words(text):
                return results
            parts = [query.Every()]
        restrict = query.And(filter_terms) if filter_terms else None
        found_hits = searcher.search(query.And(parts), limit=limit, filter=restrict, terms=True)
        if found_hits.scored_length() == 0 and len(parts) > 1:
            results.every_word = False
            found_hits = searcher.search(query.Or(parts), limit=limit, filter=restrict, terms=True)
        results.total = len(found_hits)
        for hit in found_hits:
            results.hits.append(
                Hit(
                    url=hit["url"],
                    kind=hit["kind"],
                    title=hit["title"],
                    coop_name=hit["coop_name"],
                    where=hit["where"],
                    score=round(hit.score, 3),
                    why=_why(hit.matched_terms() if hit.matched_terms else [], words),
                    example=bool(hit.get("example")),
                )
            )
    return results


def _why(matched: list[tuple[str, bytes]], words: dict[str, str]) -> tuple[str, ...]:
    """Say which typed word matched in which field: ``name: python``, ``tags: pyhton≈python``."""
    by_word: dict[str, list[str]] = {}
    for name, raw in matched:
        if name not in FIELD_BOOSTS:
            continue
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        word = words.get(term, term)
        shown = word if stem(word) == term else f"{word}≈{term}"
        by_word.setdefault(shown, []).append(name)
    return tuple(
        f"{shown} in {', '.join(sorted(set(names), key=list(FIELD_BOOSTS).index))}"
        for shown, names in by_word.items()
    )
