"""The directory's search documents as one group per co-op, made only for co-ops that changed.

A co-op's documents (its own and its open openings') come from its file alone, with the day
(which openings are open), the settings that shape the output (how long an opening without a
closing day stays open) and the code (labels, vocabularies: the cache's version). Its
fingerprint, which changes with its file, with the day and settings, keys the group. A rebuild
after a one-file change makes the documents of that co-op only, not the 60,000 of a big
directory.
"""

from __future__ import annotations

import hashlib

from ..model import Coop, Directory
from ..urls import coop_url
from .documents import SearchDoc, coop_document, opening_document
from .groupstore import Groups, document_key


def coop_documents(directory: Directory, coop: Coop) -> list[SearchDoc]:
    """Return a co-op's search documents, sorted by URL: none for a dissolved co-op.

    The very documents ``search_documents`` has for it (tests/test_search_rebuild.py checks).
    """
    if coop.status == "dissolved":  # not listed, and none of its openings is open
        return []
    openings = [o for o in coop.openings if directory.opening_state(o) == "open"]
    docs = [coop_document(coop, [o.kind for o in openings])]
    docs += [opening_document(opening, coop) for opening in openings]
    return sorted(docs, key=lambda doc: doc.url)


def directory_groups(directory: Directory, settings: str = "") -> Groups:
    """Return the directory's search documents as groups, in the order of ``search_documents``.

    ``settings``: what says which settings the directory was loaded and is built with.

    Every URL of a co-op's documents begins with ``/coops/<slug>/``, which no other co-op's
    does: sorted by that, then each co-op's own in URL order, the documents are sorted by URL.
    """
    coops = sorted((c for c in directory.coops if c.status != "dissolved"), key=coop_url)
    scope = hashlib.blake2b(f"{directory.today}\0{settings}".encode(), digest_size=8).hexdigest()
    keys: list = []
    made: dict[int, list[SearchDoc]] = {}
    for number, coop in enumerate(coops):
        if coop.source.digest:
            keys.append(f"{coop.fingerprint}@{scope}")
        else:  # a co-op made in code, not read from a file: keyed by its documents
            made[number] = coop_documents(directory, coop)
            keys.append(tuple(map(document_key, made[number])))
    return Groups(
        keys, lambda number: made.get(number) or coop_documents(directory, coops[number])
    )
