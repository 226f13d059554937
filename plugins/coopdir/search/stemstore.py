"""Each search document's stems per field, kept between builds by the document's content.

Folding and stemming every field of every document is a slow part of making the browser index
(about two seconds for 25,000 documents); after a one-file change only that file's documents are
analysed again, the others are taken from the cache. The analysis is kept as columns (numpy
arrays), one row per distinct stem of a document's field: the scores (``bm25.py``) are computed
over all rows at once, and the cache is a few arrays rather than millions of small objects.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .analysis import fold_words, stem
from .documents import FIELD_BOOSTS, SearchDoc

FIELDS: tuple[str, ...] = tuple(FIELD_BOOSTS)
"""The search fields, numbered: a row's ``field`` is an index into this."""


@dataclass
class Postings:
    """The stems of a list of documents: one row per (document, field, stem), in document order.

    Within a document, rows follow its fields in order (then the order stems first occur):
    scores summed over fields must be added in that order to be the same to the last bit.
    """

    doc: np.ndarray
    """The document's position in the list analysed."""
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


def document_digest(doc: SearchDoc) -> bytes:
    """Return what says a document's text is unchanged: a digest of its fields."""
    return hashlib.blake2b(marshal.dumps(doc.fields), digest_size=16).digest()


def _text_stems(text: str) -> tuple[dict[str, int], dict[str, None]]:
    """Return a text's stem counts (in the order stems first occur) and its distinct words."""
    words = fold_words(text)
    return Counter(map(stem, words)), dict.fromkeys(words)


def _analyse(
    doc: SearchDoc, seen: dict[str, tuple[dict[str, int], dict[str, None]]]
) -> tuple[dict[str, dict[str, int]], dict[str, None]]:
    """Return a document's stem counts per field, and its distinct words.

    As the plain loop would: a field named twice counts as its last text, in its first place.
    ``seen`` holds the texts analysed already: openings repeat their co-op's name, places, kind.
    """
    fields: dict[str, dict[str, int]] = {}
    words: dict[str, None] = {}
    for name, text in doc.fields:
        known = seen.get(text)
        if known is None:
            known = seen[text] = _text_stems(text)
        fields[name] = known[0]
        words.update(known[1])
    return fields, words


def _empty(dtype: type) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass
class StemStore:
    """The analysis of the documents of the last build, by document digest, as columns.

    ``rows[digest]`` is (first row, end row, first word row, end word row) of a document in
    the columns; stem numbers index ``stems``, word numbers the keys of ``words``.
    """

    stems: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)
    """Every word of the documents that is not its own stem → its stem."""
    rows: dict[bytes, tuple[int, int, int, int]] = field(default_factory=dict)
    row_field: np.ndarray = field(default_factory=lambda: _empty(np.uint8))
    row_stem: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    row_count: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    word_row: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    analysed: int = 0
    """How many documents the last ``analyse`` call could not take from the store."""

    def analyse(self, docs: list[SearchDoc]) -> Postings:
        """Return the postings of ``docs``; the store then holds exactly these documents."""
        new_field: list[int] = []
        new_stem: list[str] = []
        new_count: list[int] = []
        new_word: list[str] = []
        rows, word_rows = len(self.row_field), len(self.word_row)
        spans: list[tuple[int, int, int, int]] = []
        fresh: dict[bytes, tuple[int, int, int, int]] = {}
        seen: dict[str, tuple[dict[str, int], dict[str, None]]] = {}
        digests = [document_digest(doc) for doc in docs]
        for doc, digest in zip(docs, digests, strict=True):
            span = self.rows.get(digest) or fresh.get(digest)
            if span is None:
                fields, words = _analyse(doc, seen)
                start, word_start = rows + len(new_field), word_rows + len(new_word)
                for name, counts in fields.items():
                    new_field += [FIELDS.index(name)] * len(counts)
                    new_stem += counts
                    new_count += counts.values()
                new_word += words
                span = (start, rows + len(new_field), word_start, word_rows + len(new_word))
                fresh[digest] = span
            spans.append(span)
        self.analysed = len(fresh)
        stems, new_stem_numbers = _numbered(self.stems, new_stem)
        table, new_word_numbers = _numbered(list(self.words), new_word)
        stem_of = self.words | {word: stem(word) for word in table[len(self.words) :]}
        differs = np.array([stem_of[word] != word for word in table], dtype=bool)
        starts, ends, word_starts, word_ends = (
            np.array([span[i] for span in spans], dtype=np.int64) for i in range(4)
        )
        take, take_words = _ranges(starts, ends), _ranges(word_starts, word_ends)
        stem_column = np.concatenate([self.row_stem, new_stem_numbers])[take]
        word_column = np.concatenate([self.word_row, new_word_numbers])[take_words]
        self.row_field = np.concatenate([self.row_field, np.array(new_field, np.uint8)])[take]
        self.row_count = np.concatenate([self.row_count, np.array(new_count, np.int32)])[take]
        lengths, word_lengths = ends - starts, word_ends - word_starts
        # Only words that are not their own stem are kept: the index lists no others.
        kept = differs[word_column]
        doc_of_word = np.repeat(np.arange(len(docs)), word_lengths)[kept]
        word_lengths = np.bincount(doc_of_word, minlength=len(docs)).astype(np.int64)
        self.stems, self.row_stem = _renumber(stems, stem_column)
        table, self.word_row = _renumber(table, word_column[kept])
        self.words = {word: stem_of[word] for word in table}
        row_ends, word_row_ends = np.cumsum(lengths).tolist(), np.cumsum(word_lengths).tolist()
        self.rows = {
            digest: (end - length, end, word_end - word_length, word_end)
            for digest, end, length, word_end, word_length in zip(
                digests,
                row_ends,
                lengths.tolist(),
                word_row_ends,
                word_lengths.tolist(),
                strict=True,
            )
        }
        return Postings(
            doc=np.repeat(np.arange(len(docs), dtype=np.int64), lengths),
            field=self.row_field.astype(np.int64),
            stem=self.row_stem.astype(np.int64),
            count=self.row_count.astype(np.int64),
            stems=self.stems,
            words=dict(self.words),
        )


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
