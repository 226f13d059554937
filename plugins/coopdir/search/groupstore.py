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
    """The document's position in the index (int32, as the other columns but ``field``)."""
    field: np.ndarray
    """The field, an index into FIELDS (uint8)."""
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
    """Where a group's analysis is in the columns, and its result rows.

    A tuple: ten thousand are made at each build (a frozen dataclass costs five times more).
    """

    docs: int
    doc_start: int
    """The position of the group's first document when its rows were written: its rows' and
    facets' document positions are this plus the position in the group."""
    rows: tuple[int, int]
    words: tuple[int, int]
    facets: tuple[int, int]
    fresh: bool
    """Whether the positions are in this build's new columns (else in the store's)."""
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

    def add(self, docs: list[SearchDoc], first: int) -> tuple[int, int, int]:
        """Analyse a group's documents (the first at position ``first``).

        Returns where its rows, words and facets end.
        """
        words: dict[str, None] = {}
        for number, doc in enumerate(docs, first):
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
        fresh: dict[Hashable, _Span] = {}
        spans: list[_Span] = []
        doc_starts: list[int] = []
        at = 0
        for number, key in enumerate(groups.keys):
            span = self.spans.get(key) or fresh.get(key)
            if span is None:
                docs = groups.make(number)
                begun = (len(new.docs), len(new.words), len(new.facet_docs))
                ends = new.add(docs, at)
                span = fresh[key] = _Span(
                    len(docs),
                    at,
                    (begun[0], ends[0]),
                    (begun[1], ends[1]),
                    (begun[2], ends[2]),
                    True,
                    marshal.dumps(tuple(map(result_row, docs))),
                )
            spans.append(span)
            doc_starts.append(at)
            at += span.docs
        self.analysed = sum(span.docs for span in fresh.values())
        self.reused = len(spans) - len(fresh)
        stems, new_stems = _numbered(self.stems, new.stems)
        word_table, new_words = _numbered(list(self.words), new.words)
        stem_of = self.words | {word: stem(word) for word in word_table[len(self.words) :]}
        values, new_values = _numbered(self.values, new.facet_values)

        # The new columns, copied run by run: after a one-file change, three runs (the groups
        # before the changed one, its new rows, the groups after), not a position per row.
        row_runs = _runs(spans, doc_starts, "rows")
        word_runs = _runs(spans, doc_starts, "words")
        facet_runs = _runs(spans, doc_starts, "facets")
        self.row_doc = _assemble((self.row_doc, np.array(new.docs, np.int32)), row_runs, True)
        self.row_field = _assemble((self.row_field, np.array(new.fields, np.uint8)), row_runs)
        self.row_count = _assemble((self.row_count, np.array(new.counts, np.int32)), row_runs)
        stem_column = _assemble((self.row_stem, new_stems), row_runs)
        word_column = _assemble((self.word_row, new_words), word_runs)
        facet_docs = np.array(new.facet_docs, np.int32)
        self.facet_doc = _assemble((self.facet_doc, facet_docs), facet_runs, True)
        value_column = _assemble((self.facet_value, new_values), facet_runs)
        self.stems, self.row_stem = _renumber(stems, stem_column)
        word_table, self.word_row = _renumber(word_table, word_column)
        self.words = {word: stem_of[word] for word in word_table}
        self.values, self.facet_value = _renumber(values, value_column)

        # Each group's place in the new columns (a group that came twice: its first place).
        self.spans = {}
        row_at = word_at = facet_at = 0
        for key, span, doc_start in zip(groups.keys, spans, doc_starts, strict=True):
            rows_end = row_at + span.rows[1] - span.rows[0]
            words_end = word_at + span.words[1] - span.words[0]
            facets_end = facet_at + span.facets[1] - span.facets[0]
            if key not in self.spans:
                self.spans[key] = _Span(
                    span.docs,
                    doc_start,
                    (row_at, rows_end),
                    (word_at, words_end),
                    (facet_at, facets_end),
                    False,
                    span.result_rows,
                )
            row_at, word_at, facet_at = rows_end, words_end, facets_end

        result_rows = [span.result_rows for span in spans]
        return Analysis(
            count=at,
            postings=Postings(
                doc=self.row_doc,
                field=self.row_field,
                stem=self.row_stem,
                count=self.row_count,
                stems=self.stems,
                words=dict(self.words),
            ),
            facet_doc=self.facet_doc,
            facet_value=self.facet_value,
            facet_values=self.values,
            keys=list(groups.keys),
            ends=[start + span.docs for start, span in zip(doc_starts, spans, strict=True)],
            rows=lambda number: marshal.loads(result_rows[number]),
        )


Run = tuple[int, int, int, int]
"""Rows ``start:end`` of a source (0: the store's columns, 1: the new rows), and how much
their document positions move (``shift``)."""


def _runs(spans: list[_Span], doc_starts: list[int], part: str) -> list[Run]:
    """Return the runs that make a part's new column: each span's rows, adjacent ones joined."""
    runs: list[Run] = []
    for span, doc_start in zip(spans, doc_starts, strict=True):
        start, end = getattr(span, part)
        if start == end:
            continue
        source, shift = int(span.fresh), doc_start - span.doc_start
        if runs and runs[-1][0] == source and runs[-1][2] == start and runs[-1][3] == shift:
            runs[-1] = (source, runs[-1][1], end, shift)
        else:
            runs.append((source, start, end, shift))
    return runs


def _assemble(
    sources: tuple[np.ndarray, np.ndarray], runs: list[Run], docs: bool = False
) -> np.ndarray:
    """Return the column the runs make of the sources (``docs``: positions, moved by shift).

    One run that is a whole source is that source itself: a rebuild with no change copies
    nothing.
    """
    old, new = sources
    dtype = old.dtype
    if len(runs) == 1 and not (docs and runs[0][3]):
        source, start, end, _ = runs[0]
        whole = sources[source]
        if start == 0 and end == len(whole) and whole.dtype == dtype:
            return whole
    total = sum(end - start for _, start, end, _ in runs)
    column = np.empty(total, dtype)
    at = 0
    for source, start, end, shift in runs:
        part = column[at : at + end - start]
        if docs and shift:
            np.add(sources[source][start:end], shift, out=part, casting="unsafe")
        else:
            part[:] = sources[source][start:end]
        at += end - start
    return column


def _numbered(table: list, values: list) -> tuple[list, np.ndarray]:
    """Return the table with the new values added at its end, and the values' numbers."""
    numbers: defaultdict[object, int] = defaultdict(
        itertools.count(len(table)).__next__, zip(table, itertools.count())
    )
    found = np.fromiter(map(numbers.__getitem__, values), dtype=np.int32, count=len(values))
    return list(numbers), found


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
