"""Controlled vocabularies (technologies, services, sectors, networks), kept as data files.

Co-op files name terms by their canonical slug or by an alias (``js`` for ``javascript``); the
loader stores the canonical slug, so every page, feed and facet groups on one spelling.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

VOCABULARY_NAMES = ("technologies", "services", "sectors", "networks")


@dataclass(frozen=True)
class Term:
    """One term of a vocabulary: its slug, the label people read, and other accepted spellings."""

    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """A named set of terms with an alias index for lookups."""

    name: str
    terms: dict[str, Term]
    lookup: dict[str, str]

    def resolve(self, word: str) -> str | None:
        """Return the canonical slug for a slug or alias (case-insensitive), or None."""
        return self.lookup.get(word.strip().lower())

    def suggest(self, word: str, limit: int = 3) -> list[str]:
        """Return the canonical slugs closest to a misspelled word, best first."""
        matches = difflib.get_close_matches(
            word.strip().lower(), self.lookup, n=limit * 2, cutoff=0.72
        )
        seen: list[str] = []
        for match in matches:
            slug = self.lookup[match]
            if slug not in seen:
                seen.append(slug)
        return seen[:limit]

    def label(self, slug: str) -> str:
        """Return the label people read for a canonical slug."""
        return self.terms[slug].label


def parse_vocabulary(name: str, text: str) -> Vocabulary:
    """Build a vocabulary from the YAML text of a vocabulary file.

    Raises ValueError when two terms claim one spelling, so the data files cannot drift into
    ambiguity.
    """
    # libyaml's parser when PyYAML has it (the same safe loading, ten times faster): every
    # build that checks a file reads the vocabularies first.
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    terms: dict[str, Term] = {}
    lookup: dict[str, str] = {}
    for slug, entry in raw.items():
        entry = entry or {}
        term = Term(
            slug=slug,
            label=entry.get("label", slug),
            aliases=tuple(entry.get("aliases", ())),
            url=entry.get("url"),
        )
        terms[slug] = term
        for spelling in (slug, term.label, *term.aliases):
            key = str(spelling).strip().lower()
            if lookup.get(key, slug) != slug:
                raise ValueError(
                    f"vocab/{name}.yaml: {spelling!r} names both {lookup[key]} and {slug}"
                )
            lookup[key] = slug
    return Vocabulary(name=name, terms=terms, lookup=lookup)


@cache
def vocabulary(name: str) -> Vocabulary:
    """Return the vocabulary shipped with the package (read once per process)."""
    text = resources.files("coopdir").joinpath("vocab", f"{name}.yaml").read_text("utf-8")
    return parse_vocabulary(name, text)
