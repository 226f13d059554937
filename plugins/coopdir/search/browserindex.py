"""The static search index the site's search box reads: small files fetched as needed.

A first query downloads the index summary, the one or two term shards its words fall in, and the
result chunks of the hits shown, nothing else. Everything the browser needs to agree with
``coopdir search`` is decided here, in Python, with the same analyzer: each shard maps the words
seen in the data to their stems (the browser never stems), and each stem to the documents it
occurs in with a precomputed score per document (BM25 per field, times the field's boost). The
browser adds up the scores of the words typed.

Layout under ``search-index/``:
    index.json                 version, document count, chunk size, stop words, shards, facets
    t/<key>.json               {"w": {word: stem}, "s": {stem: [id deltas..., weights...]},
                                "p": {stem: n}}: stems whose list is in a file of its own,
    t/<key>.<n>.json           [id deltas..., weights...] of one such stem
    d/<n>.json                 [[url, kind, title, co-op, where, example], ...] for ids n*CHUNK...
    f/<facet>/<value>.json     [id deltas...]: the documents with that facet value
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict

from .. import jsonbytes
from .analysis import STOP, fold_words, stem
from .analysis import prefix_key as shard_key
from .documents import FIELD_BOOSTS, FILTER_KEYS, SearchDoc

FOLDER = "search-index"
CHUNK = 32
"""Documents per result chunk: a page of results fetches a few small files, not one big one."""
OWN_FILE = 2048
"""A stem whose document list takes more bytes than this gets a file of its own, so a query
fetches the long lists of its own words only, not those of every word that shares its first two
letters (in a big directory, "co" shares a shard with cooperative, community, consulting...)."""
K1 = 1.2
B = 0.75
WEIGHT_SCALE = 10
"""Weights are stored as integers (weight × 10): one decimal is plenty to rank by."""

_SAFE_KEY = re.compile(r"[a-z0-9]{1,2}")


def shard_file(key: str) -> str:
    """Return a shard's file name; keys outside [a-z0-9] are spelled as code points."""
    if _SAFE_KEY.fullmatch(key):
        return key
    return "u" + "-".join(f"{ord(ch):x}" for ch in key)


def _dumps(value: object) -> bytes:
    return jsonbytes.dumps(value, sort_keys=True)


def _deltas(ids: list[int]) -> list[int]:
    return [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))] if ids else []


def _field_stems(docs: list[SearchDoc]) -> tuple[list[dict[str, Counter[str]]], dict[str, str]]:
    """Return each document's stem counts per field, and every surface word → its stem."""
    per_doc = []
    words: dict[str, str] = {}
    for doc in docs:
        fields: dict[str, Counter[str]] = {}
        for name, text in doc.fields:
            counts: Counter[str] = Counter()
            for word in fold_words(text):
                stemmed = stem(word)
                words[word] = stemmed
                counts[stemmed] += 1
            fields[name] = counts
        per_doc.append(fields)
    return per_doc, words


def _weights(per_doc: list[dict[str, Counter[str]]]) -> dict[str, dict[int, int]]:
    """Return stem → {document id: score}: Whoosh's BM25F, per field, summed over fields.

    The same formula as ``coopdir search`` (whoosh.scoring.BM25F): rarity per field,
    ``log(N / (df + 1)) + 1``; a field's boost multiplies the word's count before BM25 caps it
    (Whoosh stores boosted counts); field length is the word count. So both engines rank alike.
    Scores are final; the browser only adds them up.
    """
    count = len(per_doc)
    average = {
        name: (sum(sum(fields.get(name, Counter()).values()) for fields in per_doc) / count) or 1.0
        for name in FIELD_BOOSTS
    }
    frequency: Counter[tuple[str, str]] = Counter(
        (name, stemmed)
        for fields in per_doc
        for name, counts in fields.items()
        for stemmed in counts
    )
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    for doc_id, fields in enumerate(per_doc):
        for name, counts in fields.items():
            length = sum(counts.values())
            norm = K1 * (1 - B + B * length / average[name])
            boost = FIELD_BOOSTS[name]
            for stemmed, tf in counts.items():
                idf = math.log(count / (frequency[name, stemmed] + 1)) + 1
                weight = idf * tf * boost * (K1 + 1) / (tf * boost + norm)
                postings[stemmed][doc_id] = postings[stemmed].get(doc_id, 0.0) + weight
    return {
        stemmed: {doc_id: max(1, round(w * WEIGHT_SCALE)) for doc_id, w in docs.items()}
        for stemmed, docs in postings.items()
    }


def browser_index(docs: list[SearchDoc], *, own_file: int = OWN_FILE) -> dict[str, bytes]:
    """Return every file of the browser index, by path under the output folder.

    ``own_file``: how long (in bytes) a stem's document list may be and still share its shard.
    """
    per_doc, words = _field_stems(docs)
    postings = _weights(per_doc) if docs else {}
    shards: dict[str, dict[str, dict]] = defaultdict(lambda: {"w": {}, "s": {}})
    for word, stemmed in words.items():
        if word != stemmed:
            shards[shard_key(word)]["w"][word] = stemmed
    files: dict[str, bytes] = {}
    for stemmed, by_doc in sorted(postings.items()):
        ids = sorted(by_doc)
        packed = _deltas(ids) + [by_doc[i] for i in ids]
        key = shard_key(stemmed)
        encoded = _dumps(packed)
        if len(encoded) > own_file:
            own = shards[key].setdefault("p", {})
            own[stemmed] = len(own)
            files[f"{FOLDER}/t/{shard_file(key)}.{own[stemmed]}.json"] = encoded
        else:
            shards[key]["s"][stemmed] = packed
    for key, shard in shards.items():
        files[f"{FOLDER}/t/{shard_file(key)}.json"] = _dumps(shard)
    for start in range(0, len(docs), CHUNK):
        rows = [
            [doc.url, doc.kind, doc.title, doc.coop_name, doc.where, int(doc.example)]
            for doc in docs[start : start + CHUNK]
        ]
        files[f"{FOLDER}/d/{start // CHUNK}.json"] = _dumps(rows)
    facets: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        by_value: dict[str, list[int]] = defaultdict(list)
        for doc_id, doc in enumerate(docs):
            for value in doc.facet(key):
                by_value[value.lower()].append(doc_id)
        facets[key] = sorted(by_value)
        for value, ids in by_value.items():
            files[f"{FOLDER}/f/{key}/{value}.json"] = _dumps(_deltas(ids))
    version = hashlib.sha256(b"".join(files[name] for name in sorted(files))).hexdigest()[:12]
    summary = {
        "version": version,
        "count": len(docs),
        "chunk": CHUNK,
        "scale": WEIGHT_SCALE,
        "stop": sorted(STOP),
        "shards": sorted(shards),
        "facets": facets,
    }
    files[f"{FOLDER}/index.json"] = _dumps(summary)
    return files
