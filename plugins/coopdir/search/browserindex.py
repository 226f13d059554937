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
import json
import marshal
import re
from collections import defaultdict

import numpy as np

from .. import jsonbytes
from .analysis import STOP
from .analysis import prefix_key as shard_key
from .bm25 import WEIGHT_SCALE, bm25f
from .documents import FILTER_KEYS, SearchDoc
from .indexcache import Encodings, IndexCache, digest

FOLDER = "search-index"
CHUNK = 32
"""Documents per result chunk: a page of results fetches a few small files, not one big one."""
OWN_FILE = 2048
"""A stem whose document list takes more bytes than this gets a file of its own, so a query
fetches the long lists of its own words only, not those of every word that shares its first two
letters (in a big directory, "co" shares a shard with cooperative, community, consulting...)."""

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


def _stem_lists(
    docs: list[SearchDoc], cache: IndexCache
) -> tuple[list[tuple[str, bytes, bytes]], dict[str, str]]:
    """Return each stem's document list, (stem, key, JSON), in stem order; and word → stem.

    A list is the ids as deltas then the scores: ``[id deltas..., weights...]``. Its JSON is
    reused when its key (a digest of the numbers) is known.
    """
    postings = cache.stems.analyse(docs)
    if not docs:  # nothing to score
        return [], postings.words
    scores = bm25f(postings, len(docs))
    if not len(scores.stem):
        return [], postings.words
    starts = np.flatnonzero(np.diff(scores.stem, prepend=-1))
    ends = np.append(starts[1:], len(scores.stem))
    deltas = np.diff(scores.doc, prepend=0)
    deltas[starts] = scores.doc[starts]
    packed = np.concatenate([deltas, scores.score]).astype(np.int64)
    count = len(deltas)
    lists = []
    for number, start, end in zip(
        scores.stem[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
    ):
        raw = packed[start:end].tobytes() + packed[count + start : count + end].tobytes()
        key = digest(b"list:" + raw)  # marshal's bytes, the other keys, begin with "(" or ")"

        def make(start: int = start, end: int = end) -> bytes:
            return _dumps(packed[start:end].tolist() + packed[count + start : count + end].tolist())

        lists.append((postings.stems[number], key, cache.encodings.get(key, make)))
    return lists, postings.words


def _shard(encodings: Encodings, shard: dict[str, dict]) -> bytes:
    """Return a shard's JSON, reused when its words, lists and own files are as they were.

    ``shard["s"]`` holds each of its stems' (key, JSON) until it is encoded.
    """
    lists = shard["s"]
    key = digest(
        marshal.dumps(
            (
                "shard",
                sorted(shard["w"].items()),
                sorted((stemmed, known[0]) for stemmed, known in lists.items()),
                sorted(shard.get("p", {}).items()),
            )
        )
    )

    def make() -> bytes:
        packed = {stemmed: json.loads(encoded) for stemmed, (_, encoded) in lists.items()}
        return _dumps({**shard, "s": packed})

    return encodings.get(key, make)


def browser_index(
    docs: list[SearchDoc], *, own_file: int = OWN_FILE, cache: IndexCache | None = None
) -> dict[str, bytes]:
    """Return every file of the browser index, by path under the output folder.

    ``own_file``: how long (in bytes) a stem's document list may be and still share its shard.
    ``cache``: what the last build kept (see indexcache.py); the files are the same without it.
    """
    cache = cache or IndexCache()
    encodings = cache.encodings
    encodings.start()
    lists, words = _stem_lists(docs, cache)
    shards: dict[str, dict[str, dict]] = defaultdict(lambda: {"w": {}, "s": {}})
    for word, stemmed in words.items():
        shards[shard_key(word)]["w"][word] = stemmed
    files: dict[str, bytes] = {}
    for stemmed, key, encoded in lists:
        shard = shards[shard_key(stemmed)]
        if len(encoded) > own_file:
            own = shard.setdefault("p", {})
            own[stemmed] = len(own)
            files[f"{FOLDER}/t/{shard_file(shard_key(stemmed))}.{own[stemmed]}.json"] = encoded
        else:
            shard["s"][stemmed] = (key, encoded)
    for key, shard in shards.items():
        files[f"{FOLDER}/t/{shard_file(key)}.json"] = _shard(encodings, shard)
    for start in range(0, len(docs), CHUNK):
        rows = tuple(
            (doc.url, doc.kind, doc.title, doc.coop_name, doc.where, int(doc.example))
            for doc in docs[start : start + CHUNK]
        )
        files[f"{FOLDER}/d/{start // CHUNK}.json"] = encodings.get(
            digest(marshal.dumps(("rows", rows))), lambda rows=rows: _dumps(rows)
        )
    facets: dict[str, list[str]] = {}
    by_key: dict[str, dict[str, list[int]]] = {key: defaultdict(list) for key in FILTER_KEYS}
    lists_of: dict[tuple, list[list[int]]] = {}  # openings of a co-op share their facets
    for doc_id, doc in enumerate(docs):
        lists = lists_of.get(doc.facets)
        if lists is None:
            lists = lists_of[doc.facets] = [
                by_key[key][value.lower()]
                for key, values in dict(doc.facets).items()
                if key in by_key
                for value in values
            ]
        for ids in lists:
            ids.append(doc_id)
    for key, by_value in by_key.items():
        facets[key] = sorted(by_value)
        for value, ids in by_value.items():
            files[f"{FOLDER}/f/{key}/{value}.json"] = encodings.get(
                digest(marshal.dumps(("ids", ids))), lambda ids=ids: _dumps(_deltas(ids))
            )
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
