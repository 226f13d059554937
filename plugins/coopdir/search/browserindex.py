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

import bisect
import hashlib
import json
import marshal
import re
from collections import defaultdict

import numpy as np

from .. import jsonbytes
from ..urls import SEARCH_INDEX_FOLDER
from .analysis import STOP
from .analysis import prefix_key as shard_key
from .bm25 import WEIGHT_SCALE, bm25f
from .documents import FILTER_KEYS, SearchDoc
from .groupstore import Analysis, Groups, Postings
from .indexcache import Encodings, IndexCache, digest

FOLDER = SEARCH_INDEX_FOLDER
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


def _stem_lists(
    postings: Postings, count: int, encodings: Encodings
) -> list[tuple[str, bytes, bytes]]:
    """Return each stem's document list, (stem, key, JSON), in stem order.

    A list is the ids as deltas then the scores: ``[id deltas..., weights...]``. Its JSON is
    reused when its key (a digest of the numbers) is known.
    """
    if not count:  # nothing to score
        return []
    scores = bm25f(postings, count)
    if not len(scores.stem):
        return []
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

        lists.append((postings.stems[number], key, encodings.get(key, make)))
    return lists


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
    """Return every file of the browser index of ``docs``, by path under the output folder.

    ``own_file``: how long (in bytes) a stem's document list may be and still share its shard.
    ``cache``: what the last build kept (see indexcache.py); the files are the same without it.
    """
    return index_files(Groups.of_documents(docs), own_file=own_file, cache=cache)


def index_files(
    groups: Groups, *, own_file: int = OWN_FILE, cache: IndexCache | None = None
) -> dict[str, bytes]:
    """Return every file of the browser index of the documents of ``groups`` (see browser_index).

    Only groups the cache lacks are made and analysed (see groupstore.py).
    """
    cache = cache or IndexCache()
    encodings = cache.encodings
    encodings.start()
    analysis = cache.groups.analyse(groups)
    lists = _stem_lists(analysis.postings, analysis.count, encodings)
    shards: dict[str, dict[str, dict]] = defaultdict(lambda: {"w": {}, "s": {}})
    for word, stemmed in analysis.postings.words.items():
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
    files.update(_result_chunks(analysis, encodings))
    facets = _facet_lists(analysis, encodings, files)
    version = hashlib.sha256()
    for name in sorted(files):
        version.update(files[name])
    summary = {
        "version": version.hexdigest()[:12],
        "count": analysis.count,
        "chunk": CHUNK,
        "scale": WEIGHT_SCALE,
        "stop": sorted(STOP),
        "shards": sorted(shards),
        "facets": facets,
    }
    files[f"{FOLDER}/index.json"] = _dumps(summary)
    return files


def _result_chunks(analysis: Analysis, encodings: Encodings) -> dict[str, bytes]:
    """Return the result chunks, ``d/<n>.json``: the result rows of ids n*CHUNK onwards.

    A chunk is keyed by the keys of the groups it shows and where in them it starts, so an
    unchanged chunk is known without its rows: they are read only for chunks made again.
    """
    files = {}
    ends, keys = analysis.ends, analysis.keys
    for start in range(0, analysis.count, CHUNK):
        stop = min(start + CHUNK, analysis.count)
        first, last = bisect.bisect_right(ends, start), bisect.bisect_left(ends, stop)
        offset = start - (ends[first - 1] if first else 0)
        key = digest(marshal.dumps(("rows", offset, stop - start, keys[first : last + 1])))

        def make(first: int = first, last: int = last, offset: int = offset) -> bytes:
            rows = [row for group in range(first, last + 1) for row in analysis.rows(group)]
            return _dumps(tuple(rows[offset : offset + CHUNK]))

        files[f"{FOLDER}/d/{start // CHUNK}.json"] = encodings.get(key, make)
    return files


def _facet_lists(
    analysis: Analysis, encodings: Encodings, files: dict[str, bytes]
) -> dict[str, list[str]]:
    """Add each facet value's documents, ``f/<facet>/<value>.json``; return the values by facet.

    The ids of a value are in document order (a document that names a value twice, in two
    spellings, is listed twice, as it always was).
    """
    facets: dict[str, list[str]] = {key: [] for key in FILTER_KEYS}
    order = np.argsort(analysis.facet_value, kind="stable")
    value, ids = analysis.facet_value[order], analysis.facet_doc[order]
    starts = np.flatnonzero(np.diff(value, prepend=-1))
    ends = np.append(starts[1:], len(value))
    for number, start, end in zip(value[starts].tolist(), starts.tolist(), ends.tolist(),
                                  strict=True):
        key, name = analysis.facet_values[number]
        facets[key].append(name)
        listed = ids[start:end]
        files[f"{FOLDER}/f/{key}/{name}.json"] = encodings.get(
            digest(b"ids:" + listed.tobytes()),
            lambda listed=listed: _dumps(np.diff(listed, prepend=0).tolist()),
        )
    for names in facets.values():
        names.sort()
    return facets
