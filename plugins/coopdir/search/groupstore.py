"""Each group of search documents' analysis, kept between builds by its key.

A group is a run of consecutive documents: in a build, one co-op's (the co-op and its open
openings, keyed by the co-op's fingerprint and the day: nothing else goes into them); for a
plain list of documents (``coopdir search``'s, tests'), one document, keyed by a digest of it.
After a one-file change a rebuild makes and analyses the documents of one co-op; every other
group is one dictionary lookup, and its documents are never made at all.

A group's analysis is kept as rows of columns (numpy arrays) shared by all groups: its stems per
field (what ``bm25.py`` scores, over all rows at once), its words that are not their own stem,
its facet values, and its result rows (marshal's bytes, read only when a result chunk that shows
them must be encoded again). Positions in the columns are relative to the group, so a group's
rows are the same wherever the group now stands in the index.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .analysis import fold_words, stem
from .documents import FIELD_BOOSTS, FILTER_KEYS, SearchDoc

FIELDS: tuple[str, ...] = tuple(FIELD_BOOSTS)
"""The search fields, numbered: a row's ``field`` is an index into this."""

ResultRow = tuple[str, str, str, str, str, int]
"""What a result line shows: url, kind, title, co-op, where, example (0 or 1)."""


@dataclass(frozen=True)
class Groups:
    """The documents of an index, in index order, as groups made only when they are needed."""

    keys: list[Hashable]
    """One per group: equal keys promise equal documents (marshal-able: str, bytes, tuples)."""
    make: Callable[[int], list[SearchDoc]]
    """The documents of the group at a position, in index order."""

    @classmethod
    def of_documents(cls, docs: list[SearchDoc]) -> Groups:
        """Return each document as a group of its own, keyed by a digest of all it holds."""
        return cls([document_key(doc) for doc in docs], lambda number: [docs[number]])


def document_key(doc: SearchDoc) -> bytes:
    """Return a digest of everything a document holds: equal digests, equal documents."""
    held = (
        doc.url, doc.kind, doc.title, doc.coop_name, doc.where,
        doc.fields, doc.facets, doc.coop_slug, doc.example,
    )
    return hashlib.blake2b(marshal.dumps(held), digest_size=16).digest()


def result_row(doc: SearchDoc) -> ResultRow:
    """Return what a result line shows of a document."""
    return (doc.url, doc.kind, doc.title, doc.coop_name, doc.where, int(doc.example))


@dataclass
class Postings:
    """The stems of the documents: one row per (document, field, stem), in document order.

    Within a document, rows follow its fields in order (then the order stems first occur):
    scores summed over fields must be added in that order to be the same to the last bit.
    """

    doc: np.ndarray
    """The document's position in the index."""
    field: np.ndarray
    """The field, an index into FIELDS."""
    stem: np.ndarray
    """The stem, an index into ``stems``."""
    count: np.ndarray
    """How often the stem occurs in the field."""
    stems: list[str]
    """Every stem of the documents, sorted: stem numbers follow the stems' order."""
    words: dict[str, str]
    """Every word of the documents that is not its own stem → its stem."""


@dataclass
class Analysis:
    """What the browser index is made from: every group's analysis, in index order."""

    count: int
    """Documents in the index."""
    postings: Postings
    facet_doc: np.ndarray
    """One row per (document, facet value), in document order: the document's position..."""
    facet_value: np.ndarray
    """...and the value, an index into ``facet_values``."""
    facet_values: list[tuple[str, str]]
    """Every (filter key, value in lower case) of the documents, sorted."""
    keys: list[Hashable]
    """Each group's key, in index order."""
    ends: list[int]
    """Each group's end: the position after its last document."""
    rows: Callable[[int], tuple[ResultRow, ...]]
    """The result rows of the group at a position."""


class _Span(NamedTuple):
    """Where a group's analysis is in the store's columns, and its result rows.

    A tuple: ten thousand are made at each build (a frozen dataclass costs five times more).
    """

    docs: int
    rows: tuple[int, int]
    words: tuple[int, int]
    facets: tuple[int, int]
    result_rows: bytes
    """marshal's bytes of the group's result rows."""


def _text_stems(text: str) -> tuple[dict[str, int], dict[str, None]]:
    """Return a text's stem counts (in the order stems first occur) and its distinct words."""
    words = fold_words(text)
    return Counter(map(stem, words)), dict.fromkeys(words)


def _empty(dtype: type) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass
class _NewRows:
    """The columns of the groups analysed in this build, as lists until they are joined."""

    docs: list[int] = field(default_factory=list)
    fields: list[int] = field(default_factory=list)
    stems: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    facet_docs: list[int] = field(default_factory=list)
    facet_values: list[tuple[str, str]] = field(default_factory=list)
    seen: dict[str, tuple[dict[str, int], dict[str, None]]] = field(default_factory=dict)
    """Texts analysed already: openings repeat their co-op's name, places and kind."""

    def add(self, docs: list[SearchDoc]) -> tuple[int, int, int]:
        """Analyse a group's documents; return where its rows, words and facets end."""
        words: dict[str, None] = {}
        for number, doc in enumerate(docs):
            # As the plain loop would: a field named twice counts as its last text, in its
            # first place.
            fields: dict[str, dict[str, int]] = {}
            for name, text in doc.fields:
                known = self.seen.get(text)
                if known is None:
                    known = self.seen[text] = _text_stems(text)
                fields[name] = known[0]
                words.update(known[1])
            for name, counts in fields.items():
                self.docs += [number] * len(counts)
                self.fields += [FIELDS.index(name)] * len(counts)
                self.stems += counts
                self.counts += counts.values()
            for key, values in dict(doc.facets).items():  # a key named twice: its last
                if key in FILTER_KEYS:
                    for value in values:
                        self.facet_docs.append(number)
                        self.facet_values.append((key, value.lower()))
        # Only words that are not their own stem are kept: the index lists no others.
        self.words += [word for word in words if stem(word) != word]
        return len(self.docs), len(self.words), len(self.facet_docs)


@dataclass
class GroupStore:
    """The analysis of the groups of the last build, by group key, as columns.

    Stem, word and facet value numbers index ``stems``, ``words`` and ``values``.
    """

    stems: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)
    """Every word of the groups that is not its own stem → its stem."""
    values: list[tuple[str, str]] = field(default_factory=list)
    spans: dict[Hashable, _Span] = field(default_factory=dict)
    row_doc: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    row_field: np.ndarray = field(default_factory=lambda: _empty(np.uint8))
    row_stem: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    row_count: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    word_row: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    facet_doc: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    facet_value: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    analysed: int = 0
    """How many documents the last ``analyse`` call made and analysed (not in the store)."""
    reused: int = 0
    """How many groups the last ``analyse`` call took from the store."""

    def analyse(self, groups: Groups) -> Analysis:
        """Return the analysis of ``groups``; the store then holds exactly these groups."""
        new = _NewRows()
        rows, words, facets = len(self.row_doc), len(self.word_row), len(self.facet_doc)
        fresh: dict[Hashable, _Span] = {}
        spans: list[_Span] = []
        analysed = 0
        for number, key in enumerate(groups.keys):
            span = self.spans.get(key) or fresh.get(key)
            if span is None:
                docs = groups.make(number)
                begun = (len(new.docs), len(new.words), len(new.facet_docs))
                ends = new.add(docs)
                span = fresh[key] = _Span(
                    len(docs),
                    (rows + begun[0], rows + ends[0]),
                    (words + begun[1], words + ends[1]),
                    (facets + begun[2], facets + ends[2]),
                    marshal.dumps(tuple(map(result_row, docs))),
                )
                analysed += len(docs)
            spans.append(span)
        self.analysed, self.reused = analysed, len(spans) - len(fresh)
        stems, new_stems = _numbered(self.stems, new.stems)
        word_table, new_words = _numbered(list(self.words), new.words)
        stem_of = self.words | {word: stem(word) for word in word_table[len(self.words) :]}
        values, new_values = _numbered(self.values, new.facet_values)

        doc_counts = np.fromiter((span.docs for span in spans), np.int64, len(spans))
        doc_ends = np.cumsum(doc_counts)
        take, row_lengths = _gather([span.rows for span in spans])
        take_words, _ = _gather([span.words for span in spans])
        take_facets, facet_lengths = _gather([span.facets for span in spans])

        row_doc = np.concatenate([self.row_doc, np.array(new.docs, np.int32)])[take]
        self.row_field = np.concatenate([self.row_field, np.array(new.fields, np.uint8)])[take]
        self.row_count = np.concatenate([self.row_count, np.array(new.counts, np.int32)])[take]
        stem_column = np.concatenate([self.row_stem, new_stems])[take]
        word_column = np.concatenate([self.word_row, new_words])[take_words]
        facet_doc = np.concatenate([self.facet_doc, np.array(new.facet_docs, np.int32)])
        facet_doc = facet_doc[take_facets]
        value_column = np.concatenate([self.facet_value, new_values])[take_facets]
        self.row_doc, self.facet_doc = row_doc, facet_doc
        self.stems, self.row_stem = _renumber(stems, stem_column)
        word_table, self.word_row = _renumber(word_table, word_column)
        self.words = {word: stem_of[word] for word in word_table}
        self.values, self.facet_value = _renumber(values, value_column)

        # Each group's place in the new columns (a group that came twice: its first place).
        self.spans = {}
        row_at = word_at = facet_at = 0
        for key, span in zip(groups.keys, spans, strict=True):
            rows_end = row_at + span.rows[1] - span.rows[0]
            words_end = word_at + span.words[1] - span.words[0]
            facets_end = facet_at + span.facets[1] - span.facets[0]
            if key not in self.spans:
                self.spans[key] = _Span(
                    span.docs,
                    (row_at, rows_end),
                    (word_at, words_end),
                    (facet_at, facets_end),
                    span.result_rows,
                )
            row_at, word_at, facet_at = rows_end, words_end, facets_end

        doc_starts = doc_ends - doc_counts
        result_rows = [span.result_rows for span in spans]
        return Analysis(
            count=int(doc_ends[-1]) if len(doc_ends) else 0,
            postings=Postings(
                doc=self.row_doc.astype(np.int64) + np.repeat(doc_starts, row_lengths),
                field=self.row_field.astype(np.int64),
                stem=self.row_stem.astype(np.int64),
                count=self.row_count.astype(np.int64),
                stems=self.stems,
                words=dict(self.words),
            ),
            facet_doc=self.facet_doc.astype(np.int64) + np.repeat(doc_starts, facet_lengths),
            facet_value=self.facet_value,
            facet_values=self.values,
            keys=list(groups.keys),
            ends=doc_ends.tolist(),
            rows=lambda number: marshal.loads(result_rows[number]),
        )


def _gather(spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Return the column positions of every span, one after the other, and each span's length."""
    bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
    lengths = bounds[:, 1] - bounds[:, 0]
    return _ranges(bounds[:, 0], bounds[:, 1]), lengths


def _numbered(table: list, values: list) -> tuple[list, np.ndarray]:
    """Return the table with the new values added at its end, and the values' numbers."""
    numbers: defaultdict[object, int] = defaultdict(
        itertools.count(len(table)).__next__, zip(table, itertools.count())
    )
    found = np.fromiter(map(numbers.__getitem__, values), dtype=np.int32, count=len(values))
    return list(numbers), found


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return the row numbers of every range [start, end), one range after the other."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return _empty(np.int64)
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _renumber(table: list, column: np.ndarray) -> tuple[list, np.ndarray]:
    """Keep only the table entries the column uses, sorted; return them and the column renumbered.

    Sorted stems number the stems in the order the index lists them; dropping the unused ones
    keeps the store from growing as co-ops change their words.
    """
    used: Iterable[int] = np.flatnonzero(np.bincount(column, minlength=len(table))).tolist()
    order = sorted(used, key=table.__getitem__)
    renumbered = np.zeros(len(table), dtype=np.int32)
    renumbered[order] = np.arange(len(order), dtype=np.int32)
    return [table[number] for number in order], renumbered[column]
