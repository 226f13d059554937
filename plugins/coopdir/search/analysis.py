"""The one analyzer: what a word becomes in both the Whoosh index and the browser index.

Both engines must agree on what matches. The browser cannot run Whoosh's stemmer, so the build
does all the stemming: the browser index maps every word seen in the data to its stem, and the
browser only folds and splits the query the same way as ``fold_words`` (see theme/static/js/
search.js, which mirrors the tokenizer pattern and the stop words exported in the index).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz.distance import OSA
from whoosh.analysis import (
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem as porter_stem

TOKEN_PATTERN = r"\w+(\.?\w+)*"
"""Whoosh's default token: letters and digits, with inner dots kept (``node.js``)."""

STOP = frozenset(STOP_WORDS - {"it", "us"})
"""English stop words; "it" (IT services) and "us" (a country code people type) are kept."""

MIN_WORD = 1

EXTRA_FOLDS = {
    "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d",
}
"""Letters that Unicode decomposition leaves whole but people type without their stroke."""


class _FoldTable(dict[int, int | str | None]):
    """Every combining mark dropped, the extra letters folded: one ``str.translate``.

    Filled as characters are met (``str.translate`` asks for each one): listing every mark of
    Unicode up front cost a tenth of a second at every import.
    """

    def __missing__(self, ordinal: int) -> int | str | None:
        character = chr(ordinal)
        folded = EXTRA_FOLDS.get(character)
        if folded is None and not unicodedata.category(character).startswith("M"):
            folded = ordinal  # kept as it is
        self[ordinal] = folded
        return folded


_FOLD_TABLE = _FoldTable()

_TOKEN = re.compile(r"\w+(?:\.?\w+)*")


def fold(text: str) -> str:
    """Lowercase, decompose (NFKD: ligatures, full-width forms) and drop accents and marks.

    search.js's ``fold`` does exactly this, in this order (tests/test_search_agreement.py).
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFKD", lowered).translate(_FOLD_TABLE)


class FoldingTokenizer(RegexTokenizer):
    """Whoosh's regex tokenizer over folded text, so accents never split or hide a word."""

    def __call__(self, value: str, **kwargs: object):  # noqa: ANN204 - a token generator
        """Fold the text, then split it into tokens."""
        return super().__call__(fold(value), **kwargs)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the stem of one folded word (Porter, as Whoosh's StemmingAnalyzer has it)."""
    return porter_stem(word)


def word_analyzer():  # noqa: ANN201 - a Whoosh analyzer chain
    """Fold, split and drop stop words: the surface words people type."""
    return FoldingTokenizer(TOKEN_PATTERN) | StopFilter(stoplist=STOP, minsize=MIN_WORD)


def stem_analyzer():  # noqa: ANN201 - a Whoosh analyzer chain
    """``word_analyzer`` followed by stemming: what the Whoosh index stores."""
    return word_analyzer() | StemFilter(stemfn=stem, cachesize=-1)


def fold_words(text: str) -> list[str]:
    """Return the folded surface words of a text, in order (stop words dropped).

    The same words as ``word_analyzer`` yields (tests/test_search.py checks), without Whoosh's
    per-token objects: the build folds every text of the directory.
    """
    return [word for word in _TOKEN.findall(fold(text)) if word not in STOP]


def typo_distance(word: str) -> int:
    """How many typos a word may have and still match: none in short words, two in long ones.

    A typo is one letter added, dropped, changed, or two neighbours swapped (``pyhton``).
    """
    return 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0


def prefix_key(word: str) -> str:
    """Return the first two characters: a typo is looked for among words that share them.

    The browser index is cut into shards by this key, so both engines look in the same place.
    """
    return word[:2]


def near_words(word: str, vocabulary: Iterable[str]) -> list[str]:
    """Return the words of ``vocabulary`` (sharing ``word``'s prefix key) a typo or two away."""
    limit = typo_distance(word)
    if not limit:
        return []
    key = prefix_key(word)
    return [
        other
        for other in vocabulary
        if other != word
        and prefix_key(other) == key
        and OSA.distance(word, other, score_cutoff=limit) <= limit
    ]
