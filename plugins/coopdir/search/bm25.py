"""The scores of the browser index: Whoosh's BM25F, per field, summed over fields, for every row.

The same formula as ``coopdir search`` (whoosh.scoring.BM25F): rarity per field,
``log(N / (df + 1)) + 1``; a field's boost multiplies the word's count before BM25 caps it
(Whoosh stores boosted counts); field length is the word count. So both engines rank alike.

Computed over all rows at once with numpy (a Python loop over a big directory's two million
rows took seconds), with the very operations, in the very order, of the plain formula, so every
score is the same double and rounds to the same integer: additions, products and quotients of
doubles are exact to the last bit in both, the logarithm is Python's own, and a document's
fields are added in its own order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .documents import FIELD_BOOSTS
from .groupstore import FIELDS, Postings

K1 = 1.2
B = 0.75
WEIGHT_SCALE = 10
"""Scores are stored as integers (score × 10): one decimal is plenty to rank by."""


@dataclass
class Scores:
    """One row per (stem, document) the stem occurs in, sorted by stem then document."""

    stem: np.ndarray
    doc: np.ndarray
    score: np.ndarray
    """The score × WEIGHT_SCALE, rounded, at least 1."""


def bm25f(postings: Postings, count: int) -> Scores:
    """Return every document's score for each of its stems, ``count`` documents in all."""
    width = len(FIELDS)
    field, stem, times = postings.field, postings.stem, postings.count.astype(np.float64)
    cell = postings.doc.astype(np.int64)
    cell *= width
    cell += field
    length = np.bincount(cell, weights=times, minlength=count * width)  # whole numbers
    totals = length.reshape(count, width).sum(axis=0).tolist() if count else [0.0] * width
    average = np.array([(int(total) / count) or 1.0 for total in totals])
    # What depends on the (document, field) or the (field, stem) only is computed once for
    # each, then spread over the rows: the same operations on the same doubles, fewer of them.
    cell_norm = K1 * ((1 - B) + (B * length) / np.tile(average, count))
    pair = field.astype(np.int64)
    pair *= len(postings.stems)
    pair += stem
    idf = _rarity(np.bincount(pair), count)[pair]
    boost = np.array([FIELD_BOOSTS[name] for name in FIELDS])[field]
    weight = idf * times
    weight *= boost
    weight *= K1 + 1
    times *= boost
    times += cell_norm[cell]
    weight /= times
    # Rows go by document then field: a stable sort by stem keeps each (stem, document)'s
    # fields in the document's order, the order the plain formula adds them up in.
    narrow = stem.astype(np.uint16) if len(postings.stems) <= 1 << 16 else stem  # radix sort
    order = np.argsort(narrow, kind="stable")
    stem, doc, weight = stem[order], postings.doc[order], weight[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (stem[1:] != stem[:-1]) | (doc[1:] != doc[:-1])
    starts = np.flatnonzero(first)
    total = weight[starts]
    later = np.flatnonzero(~first)  # a document's second field with the stem, third...
    if len(later):
        group = (np.cumsum(first) - 1)[later]
        rank = later - starts[group]
        for place in range(1, int(rank.max()) + 1):
            rows = rank == place  # at most one row per group: each is added once
            total[group[rows]] += weight[later[rows]]
    score = np.maximum(1, np.rint(total * WEIGHT_SCALE)).astype(np.int64)
    return Scores(stem=stem[starts], doc=doc[starts], score=score)


def _rarity(frequency: np.ndarray, count: int) -> np.ndarray:
    """Return ``log(N / (df + 1)) + 1`` per row, with Python's logarithm, once per distinct df."""
    distinct = np.flatnonzero(np.bincount(frequency))
    table = np.zeros(int(distinct[-1]) + 1 if len(distinct) else 1)
    table[distinct] = [math.log(count / (df + 1)) + 1 for df in distinct.tolist()]
    return table[frequency]
