"""The browser's search script and the build's Python agree on words and typos.

The browser never stems: it looks up the words the build saw. That only works if it splits and
folds text exactly as the build's analyzer does, and measures typos with the same distance. This
runs theme/static/js/search.js in Node (from the machine's Node.js, as the browser tests need)
over every text of the search corpus and over random near-miss pairs.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA
from sitecheck import ROOT

from coopdir.load import load_directory
from coopdir.search.analysis import STOP, fold_words, word_analyzer
from coopdir.search.documents import search_documents

SCRIPT = ROOT / "tests/js/search_functions.mjs"
HARD_TEXTS = [
    "Montréal, Zürich, São Paulo, Kraków, Øresund, Straße, Æbeltoft, Łódź, İstanbul",
    "Node.js, C++, C#, .NET, vue.js 3.2, e-mail, co-op's work_flow",
    "Коопе́ратив Север, تعاون رقمي, 合作社, ﬁnance (ligature), Ｆｕｌｌｗｉｄｔｈ",
    "The IT co-op in the US and the UK; it is what it is",
]


def run_node(payload: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: run `make test` (it installs nodejs)", pytrace=False)
    result = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def corpus_texts(search_corpus: Path) -> list[str]:
    directory = load_directory(search_corpus, today=dt.date(2026, 12, 1))
    return [text for doc in search_documents(directory) for _, text in doc.fields if text]


def test_browser_splits_and_folds_every_text_as_the_build_does(search_corpus: Path) -> None:
    texts = corpus_texts(search_corpus) + HARD_TEXTS
    got = run_node({"stop": sorted(STOP), "texts": texts, "pairs": []})["words"]
    differences = [
        (text, browser, fold_words(text))
        for text, browser in zip(texts, got, strict=True)
        if list(dict.fromkeys(fold_words(text))) != browser
    ]
    assert differences == [], differences[:5]


def test_browser_counts_typos_as_the_build_does() -> None:
    rng = random.Random(7)
    letters = "abcdeé"
    pairs = []
    for _ in range(3000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(0, 10)))
        near = list(word)
        for _ in range(rng.randint(0, 3)):
            action = rng.randint(0, 3)
            if action == 0 and near:
                near.pop(rng.randrange(len(near)))
            elif action == 1:
                near.insert(rng.randint(0, len(near)), rng.choice(letters))
            elif action == 2 and near:
                near[rng.randrange(len(near))] = rng.choice(letters)
            elif action == 3 and len(near) > 1:
                i = rng.randrange(len(near) - 1)
                near[i], near[i + 1] = near[i + 1], near[i]
        pairs.append((word, "".join(near), rng.choice([1, 2])))
    got = run_node({"stop": [], "texts": [], "pairs": pairs})["distances"]
    expected = [min(OSA.distance(a, b, score_cutoff=k), k + 1) for a, b, k in pairs]
    assert got == expected


def test_the_fast_word_splitter_is_the_whoosh_analyzer(search_corpus: Path) -> None:
    """fold_words (used for the browser index and typos) yields what Whoosh indexes."""
    analyzer = word_analyzer()
    for text in corpus_texts(search_corpus) + HARD_TEXTS:
        assert fold_words(text) == [token.text for token in analyzer(text)], text
