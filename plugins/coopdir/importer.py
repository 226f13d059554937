"""Import co-ops from a CSV list into one YAML file per co-op.

The CSV needs ``name`` and ``website`` columns; ``country``, ``city``, ``business_areas`` and
``region_as_listed`` are used when present, and any other column is ignored. Several countries or
cities in one cell are separated by ``;``.

The importer only writes what it can map: countries become ISO 3166-1 codes, business areas become
services, technologies and sectors from the shipped vocabularies, matched as whole phrases. What it
cannot map goes into the report instead of the file, so a person can decide. It never copies free
text (such as a list's notes) into the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
import yaml

from . import clock
from .checks import website_key
from .coopfile import slug_for, write_coop_file
from .formats import check_http_url
from .vocab import Vocabulary, vocabulary

NoteFn = Callable[[str, str, str], None]


# Vocabularies matched in business-area text, in the order their fields appear in a file. Sector
# matches give way to service and technology matches on the same words ("education" in
# "consulting and education" is a service there, not the sector served).
MATCHED_VOCABULARIES = ("services", "technologies", "sectors")

# Spellings that are also ordinary words: matched only when written with a capital letter.
CAPITALISED_ONLY = frozenset(
    {
        "ai", "angular", "apache", "c", "dart", "electron", "elm", "ember", "express", "flask",
        "go", "hugo", "ionic", "jekyll", "julia", "matrix", "meteor", "ml", "node", "phoenix",
        "puppet", "r", "react", "ruby", "rust", "sh", "spring", "swift", "unity", "vue", "web",
    }
)  # fmt: skip

# How lists write countries that pycountry does not know by that name: text -> (code, region).
COUNTRY_ALIASES: dict[str, tuple[str, str | None]] = {
    "uk": ("GB", None),
    "u.k.": ("GB", None),
    "great britain": ("GB", None),
    "britain": ("GB", None),
    "england": ("GB", "England"),
    "scotland": ("GB", "Scotland"),
    "wales": ("GB", "Wales"),
    "cymru": ("GB", "Wales"),
    "northern ireland": ("GB", "Northern Ireland"),
    "u.s.": ("US", None),
    "u.s.a.": ("US", None),
    "united states of america": ("US", None),
    "quebec": ("CA", "Québec"),
    "catalonia": ("ES", "Catalunya"),
    "catalunya": ("ES", "Catalunya"),
    "russia": ("RU", None),
    "turkey": ("TR", None),
    "korea": ("KR", None),
    "holland": ("NL", None),
    "the netherlands": ("NL", None),
    "brasil": ("BR", None),
    "deutschland": ("DE", None),
    "espana": ("ES", None),
    "macedonia": ("MK", None),
    "ivory coast": ("CI", None),
    "palestine": ("PS", None),
}

# The Basque Country spans Spain and France: the row's city or region text decides which.
BASQUE_COUNTRY = frozenset({"basque country", "euskadi", "euskal herria", "pais vasco"})
BASQUE_PLACES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        (
            "bilbao", "bilbo", "donostia", "san sebastian", "vitoria", "gasteiz", "vitoria-gasteiz",
            "errenteria", "renteria", "irun", "barakaldo", "getxo", "eibar", "durango", "hernani",
            "tolosa", "zarautz", "arrasate", "mondragon", "onati", "bergara", "azpeitia",
            "portugalete", "leioa", "basauri", "pasaia", "hondarribia", "lasarte-oria", "gernika",
            "galdakao", "sestao", "santurtzi", "ermua", "gipuzkoa", "bizkaia", "araba", "alava",
        ),
        ("ES", "Euskadi"),
    ),
    **dict.fromkeys(
        (
            "bayonne", "baiona", "biarritz", "anglet", "angelu", "hendaye", "hendaia",
            "saint-jean-de-luz", "donibane lohizune", "ustaritz", "uztaritze", "iparralde",
            "pyrenees-atlantiques", "lapurdi", "labourd",
        ),
        ("FR", "Pays basque"),
    ),
}  # fmt: skip

# Region names as lists write them that pycountry does not know: text -> subdivision code.
REGION_ALIASES = {
    "catalonia": "ES-CT",
    "nrw": "DE-NW",
    "north rhine-westphalia": "DE-NW",
    "bavaria": "DE-BY",
    "lower austria": "AT-3",
    "upper austria": "AT-4",
}
# How people there write a region, where pycountry's name differs.
REGION_NAMES = {"CA-QC": "Québec", "ES-PV": "Euskadi"}
# With no country given, a region such as "Boulder, CO" still names one: the list's convention
# for North America is "City, ST". Only these countries' subdivisions are tried.
INFER_FROM_SUBDIVISIONS = ("US", "CA")

# Words joined by ",", "and", "&" or "/" in front of a head word share it: "web and mobile
# development" is "web development, mobile development", "augmented, virtual & mixed reality" is
# "augmented reality, virtual reality, mixed reality". Expanded only into spellings a vocabulary
# knows, so a guess never turns into a term.
_HEADS = r"development|design|testing|dev|engineering|reality|analysis|research|management"
_SHARED_HEAD = re.compile(
    r"\b(?P<items>\w+(?:,\s*\w+)*),?\s+(?:and|&|/)\s+(?P<rest>\w+(?:\s+\w+)?)\s+"
    rf"(?P<head>{_HEADS})\b",
    re.IGNORECASE,
)
# "web design and development" is "web design, web development".
_SHARED_MODIFIER = re.compile(
    rf"\b(?P<mod>\w+)\s+(?P<one>{_HEADS})\s+(?:and|&)\s+(?P<two>{_HEADS})\b",
    re.IGNORECASE,
)
_BRACES = re.compile(r"(?P<word>\w+)\s*\{(?P<alts>[^{}]*\|[^{}]*)\}")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Phrase boundaries in a business-areas cell, used to report what maps to nothing.
_PHRASE_BREAK = re.compile(
    r"[,;|(){}\[\]]|\s*/\s*|\s+(?:and|&|\+|or)\s+|\s[-–—]\s|(?<=[a-z]{2})\.(?=\s|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ImportNote:
    """Something in one CSV row that the importer could not map or had to decide."""

    line: int
    name: str
    kind: str
    value: str
    message: str

    def __str__(self) -> str:
        """Return the note as one line for a terminal."""
        return f"line {self.line} ({self.name}): {self.message}"


@dataclass
class ImportReport:
    """What an import wrote, what it left alone, and what it could not map."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    notes: list[ImportNote] = field(default_factory=list)

    def notes_of(self, kind: str) -> list[ImportNote]:
        """Return the notes of one kind, such as ``unmapped-phrase`` or ``unknown-country``."""
        return [note for note in self.notes if note.kind == kind]

    def unmapped_phrases(self) -> list[str]:
        """Return the business-area phrases that mapped to no term, each once, in CSV order."""
        return list(dict.fromkeys(note.value for note in self.notes_of("unmapped-phrase")))

    def lines(self) -> Iterator[str]:
        """Yield a human-readable summary, one line at a time."""
        yield f"{len(self.written)} file(s) written, {len(self.skipped)} skipped"
        for path in self.skipped:
            yield f"skipped (exists): {path}"
        for note in self.notes:
            yield str(note)


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    vocab: str
    slug: str


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()


def import_csv(
    csv_path: Path,
    out_dir: Path,
    *,
    source: str | None = None,
    overwrite: bool = False,
    added: dt.date | None = None,
) -> ImportReport:
    """Write one ``<slug>.yaml`` per CSV row into ``out_dir`` and report what happened.

    A file that already exists is left alone unless ``overwrite`` is true; even then, a file that
    belongs to another co-op (another website) is never replaced. Two rows that would share a
    slug or a website are reported, and only the first is written. ``source`` is the address the
    rows come from; with it, each file gets ``provenance: {added_by: third-party, source: ...}``.
    """
    if source is not None and not _is_http_url(source):
        raise ValueError(f"source must be an http(s) address, not {source!r}")
    rows = list(_read_rows(Path(csv_path)))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = _existing_websites(out_dir)
    matcher = _TermMatcher({name: vocabulary(name) for name in MATCHED_VOCABULARIES})
    report = ImportReport()
    slugs_seen: dict[str, str] = {}
    websites_seen: dict[str, str] = {}

    for row in rows:
        note = _note_adder(report, row)
        if not row.name:
            note("missing-name", "", "no name; row left out")
            continue
        website = row.get("website")
        if not _is_http_url(website):
            note("invalid-website", website, f"website {website!r} is not an http(s) address")
            continue
        slug = slug_for(row.name)
        if not slug:
            note("no-slug", row.name, f"cannot make a file name from {row.name!r}; left out")
            continue
        site_key = website_key(website)
        if slug in slugs_seen:
            note(
                "slug-clash",
                slug,
                f"slug {slug!r} is already taken by {slugs_seen[slug]!r} in this CSV; "
                "row left out (rename one of them)",
            )
            continue
        if site_key in websites_seen:
            note(
                "duplicate-website",
                website,
                f"website {website} is already listed for {websites_seen[site_key]!r}; "
                "row left out",
            )
            continue
        slugs_seen[slug] = row.name
        websites_seen[site_key] = row.name
        owner = next((s for s, key in existing.items() if key == site_key and s != slug), None)
        if owner is not None:
            note(
                "duplicate-website",
                website,
                f"website {website} already belongs to {owner}.yaml; row left out",
            )
            continue

        path = out_dir / f"{slug}.yaml"
        if path.exists():
            if not overwrite:
                report.skipped.append(path)
                if existing.get(slug) not in (None, site_key):
                    note(
                        "slug-clash",
                        slug,
                        f"{path.name} exists for another website; "
                        f"{row.name!r} was not written (give it another slug)",
                    )
                continue
            if existing.get(slug) not in (None, site_key):
                report.skipped.append(path)
                note(
                    "slug-clash",
                    slug,
                    f"{path.name} belongs to another website; not overwritten with {row.name!r}",
                )
                continue

        entry = _build_entry(row, website, source, added or clock.today(), matcher, note)
        write_coop_file(out_dir, slug, entry, overwrite=True)
        report.written.append(path)
    return report


# --- Reading ---------------------------------------------------------------------------------


def _read_rows(csv_path: Path) -> Iterator[_Row]:
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {(column or "").strip().lower() for column in reader.fieldnames or ()}
        missing = {"name", "website"} - columns
        if missing:
            raise ValueError(f"{csv_path}: missing column(s): {', '.join(sorted(missing))}")
        for cells in reader:
            clean = {(key or "").strip().lower(): value or "" for key, value in cells.items()}
            yield _Row(line=reader.line_num, name=" ".join(clean["name"].split()), cells=clean)


def _existing_websites(out_dir: Path) -> dict[str, str | None]:
    """Return slug -> normalised website for the co-op files already in ``out_dir``."""
    found: dict[str, str | None] = {}
    for path in sorted(out_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            data = None
        website = data.get("website") if isinstance(data, dict) else None
        found[path.stem] = website_key(website) if isinstance(website, str) else None
    return found


def _note_adder(report: ImportReport, row: _Row) -> NoteFn:
    def add(kind: str, value: str, message: str) -> None:
        report.notes.append(ImportNote(row.line, row.name, kind, value, message))

    return add


def _is_http_url(value: str | None) -> bool:
    """Accept what the validator accepts as a website (so imported files validate)."""
    return bool(value) and check_http_url(value) is None


# --- Building an entry -----------------------------------------------------------------------


def _build_entry(
    row: _Row,
    website: str,
    source: str | None,
    added: dt.date,
    matcher: _TermMatcher,
    note: NoteFn,
) -> dict[str, object]:
    entry: dict[str, object] = {"name": row.name, "website": website}
    areas = row.get("business_areas")
    if areas:
        found, unmapped = matcher.read(areas)
        for name in MATCHED_VOCABULARIES:
            if found[name]:
                entry[name] = found[name]
        for phrase in unmapped:
            note("unmapped-phrase", phrase, f"business area {phrase!r} maps to no term")
    locations = _locations(row, note)
    if locations:
        entry["locations"] = locations
    entry["provenance"] = {"added_by": "third-party", "added": added.isoformat()}
    if source:
        entry["provenance"]["source"] = source
    return entry


# --- Business areas --------------------------------------------------------------------------


class _TermMatcher:
    """Find vocabulary terms as whole phrases in free text."""

    def __init__(self, vocabularies: dict[str, Vocabulary]) -> None:
        self.vocabularies = vocabularies
        self.spellings = {key for vocab in vocabularies.values() for key in vocab.lookup}
        self.patterns = {
            name: [(_spelling_pattern(key), key, slug) for key, slug in vocab.lookup.items()]
            for name, vocab in vocabularies.items()
        }

    def read(self, text: str) -> tuple[dict[str, list[str]], list[str]]:
        """Return the slugs found per vocabulary, and the phrases that matched nothing."""
        text = self.expand(text)
        matches = self.matches(text)
        found: dict[str, list[str]] = {name: [] for name in self.vocabularies}
        for match in sorted(matches, key=lambda m: m.start):
            if match.slug not in found[match.vocab]:
                found[match.vocab].append(match.slug)
        unmapped = [
            phrase
            for start, end, phrase in _phrases(text)
            if not any(m.start < end and start < m.end for m in matches)
        ]
        return found, unmapped

    def matches(self, text: str) -> list[_Match]:
        """Return the matches that no longer match of the same vocabulary contains."""
        kept: list[_Match] = []
        for name, patterns in self.patterns.items():
            candidates = [
                _Match(hit.start(), hit.end(), name, slug)
                for pattern, key, slug in patterns
                for hit in pattern.finditer(text)
                if key not in CAPITALISED_ONLY or text[hit.start()].isupper()
            ]
            kept.extend(
                m
                for m in candidates
                if not any(
                    o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start)
                    for o in candidates
                )
            )
        primary = [m for m in kept if m.vocab != "sectors"]
        return [
            m
            for m in kept
            if m.vocab != "sectors" or not any(p.start < m.end and m.start < p.end for p in primary)
        ]

    def expand(self, text: str) -> str:
        """Return the text with links unwrapped and shared words distributed to each phrase."""
        text = html.unescape(text)
        text = _MARKDOWN_LINK.sub(r"\1", text)
        text = _BRACES.sub(
            lambda m: ", ".join(f"{m['word']} {alt.strip()}" for alt in m["alts"].split("|")), text
        )

        def shared_modifier(m: re.Match[str]) -> str:
            one, two = f"{m['mod']} {m['one']}", f"{m['mod']} {m['two']}"
            return f"{one}, {two}" if self.knows(one) and self.knows(two) else m[0]

        def shared_head(m: re.Match[str]) -> str:
            items = re.split(r",\s*", m["items"])
            sharing = 0  # how many of the last items form known spellings with the head
            while sharing < len(items) and self.knows(f"{items[-1 - sharing]} {m['head']}"):
                sharing += 1
            if not sharing:
                return m[0]
            kept = items[: len(items) - sharing]
            spread = [f"{item} {m['head']}" for item in items[len(items) - sharing :]]
            return ", ".join([*kept, *spread, f"{m['rest']} {m['head']}"])

        text = _SHARED_MODIFIER.sub(shared_modifier, text)
        return _SHARED_HEAD.sub(shared_head, text)

    def knows(self, phrase: str) -> bool:
        """Return whether a phrase is a spelling of some term."""
        return " ".join(phrase.lower().split()) in self.spellings


def _spelling_pattern(spelling: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s\-]+", spelling) if word]
    body = r"[\s\-]+".join(words)
    return re.compile(rf"(?<![\w.+#-]){body}(?![\w+#]|-\w|\.\w)", re.IGNORECASE)


def _phrases(text: str) -> Iterator[tuple[int, int, str]]:
    start = 0
    for brk in [*_PHRASE_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        raw = text[start:end]
        phrase = raw.strip(" \t.:!?'\"")
        if re.search(r"\w", phrase):
            offset = start + raw.index(phrase)
            yield offset, offset + len(phrase), phrase
        if brk:
            start = brk.end()


# --- Places ----------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Return text lowercased and without accents, for comparing place names."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _split_cell(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def resolve_country(text: str, context: str = "") -> tuple[str, str | None] | None:
    """Return (ISO 3166-1 alpha-2 code, region or None) for a country as lists write it.

    ``context`` is the row's city and region text, used where a name spans two countries (the
    Basque Country). Returns None for anything it does not know, rather than guessing.
    """
    key = _fold(text)
    if key in BASQUE_COUNTRY:
        words = {_fold(part) for part in re.split(r"[,;/()]", context) if part.strip()}
        places = {BASQUE_PLACES[word] for word in words if word in BASQUE_PLACES}
        return places.pop() if len(places) == 1 else None
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    try:
        country = pycountry.countries.lookup(text.strip())
    except LookupError:
        return None
    return country.alpha_2, None


def _is_country_name(text: str) -> bool:
    """Return whether text names a whole country (not a two-letter code, not a region)."""
    key = _fold(text)
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key][1] is None
    return len(key) > 2 and resolve_country(text) is not None


def _subdivision(text: str, country: str) -> str | None:
    """Return the name people use for a region of ``country`` written as ``text``, or None.

    ``text`` is a subdivision's name, or its ISO 3166-2 code written in capitals (``NY``).
    """
    text = text.strip()
    code = REGION_ALIASES.get(_fold(text))
    if code is None:
        for sub in pycountry.subdivisions.get(country_code=country) or ():
            suffix = sub.code.split("-", 1)[1]
            if (text.isupper() and text == suffix) or _fold(_region_name(sub)) == _fold(text):
                code = sub.code
                break
    if code is None or not code.startswith(f"{country}-"):
        return None
    return REGION_NAMES.get(code) or _region_name(pycountry.subdivisions.get(code=code))


def _region_name(sub: object) -> str:
    name = re.sub(r"\s*\[.*?\]", "", getattr(sub, "name", "")).strip()
    if ", " in name:  # "Madrid, Comunidad de" -> "Comunidad de Madrid"
        head, tail = name.split(", ", 1)
        name = f"{tail} {head}"
    return name


def _listed_parts(region_as_listed: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", region_as_listed) if part.strip()]


def _region_from_listing(
    region_as_listed: str, country: str, city: str | None, country_text: str
) -> str | None:
    """Return the one region named in the listing besides the city and the country, if any."""
    parts = _listed_parts(region_as_listed)
    skip = {_fold(country_text)}
    if city:
        alternative = re.search(r"\(([^)]*)\)", city)
        if alternative:
            skip.add(_fold(alternative.group(1)))
        if _fold(city) in (_fold(p) for p in parts):
            parts.remove(next(p for p in parts if _fold(p) == _fold(city)))
    found = {
        region
        for part in parts
        if _fold(part) not in skip and not _is_country_name(part)
        for region in [_subdivision(part, country)]
        if region
    }
    return found.pop() if len(found) == 1 else None


def _infer_country(region_as_listed: str) -> tuple[str, str | None] | None:
    """Return (country, region) named by a listing such as "Boulder, CO", or None.

    A part that names a whole country wins; otherwise one US state or Canadian province must be
    named, and only one.
    """
    parts = _listed_parts(region_as_listed)
    named = {resolve_country(part) for part in parts if _is_country_name(part)}
    if named:
        return named.pop() if len(named) == 1 else None
    found: set[tuple[str, str | None]] = set()
    for part in parts:
        for country in INFER_FROM_SUBDIVISIONS:
            region = _subdivision(part, country)
            if region:
                found.add((country, region))
    return found.pop() if len(found) == 1 else None


def _locations(row: _Row, note: NoteFn) -> list[dict[str, str]]:
    """Return the row's places, pairing its countries and cities, and note what it cannot map."""
    country_texts = _split_cell(row.get("country"))
    cities = _split_cell(row.get("city"))
    listed = row.get("region_as_listed")
    context = "; ".join([*cities, listed])

    countries: list[tuple[str, str | None, str]] = []
    unknown: list[str] = []
    for text in country_texts:
        resolved = resolve_country(text, context)
        if resolved is None:
            unknown.append(text)
            note("unknown-country", text, f"country {text!r} is not known; left out")
        else:
            countries.append((*resolved, text))

    if not country_texts:
        inferred = _infer_country(listed)
        if inferred is None:
            if listed or cities:  # an empty place is not worth a note
                place = f" (listed as {listed!r})" if listed else ""
                lost = f"; city {', '.join(cities)} left out" if cities else ""
                note("no-country", listed, f"no country given{place}; no location written{lost}")
            return []
        country, region = inferred
        where = f"{country} ({region})" if region else country
        note("inferred-country", listed, f"no country given; {where} read from {listed!r}")
        countries = [(country, region, "")]

    places: list[dict[str, str]] = []
    if len(countries) == 1 and not unknown:
        code, region, text = countries[0]
        for city in cities or [None]:
            region_here = region or (
                _region_from_listing(listed, code, city, text) if len(cities) <= 1 else None
            )
            places.append(_place(code, region_here, city))
    elif countries:
        pairs = _pair_cities(countries, cities, listed) if not unknown else None
        if cities and pairs is None:
            note(
                "unpaired-city",
                "; ".join(cities),
                f"cannot tell which country {', '.join(cities)} is in; cities left out",
            )
        for code, region, text in countries:
            own = [city for city, owner in (pairs or {}).items() if owner == text]
            for city in own or [None]:
                places.append(_place(code, region, city))
    elif cities:
        note("unpaired-city", "; ".join(cities), f"city {', '.join(cities)} left out")

    unique: list[dict[str, str]] = []
    for place in places:
        if place not in unique:
            unique.append(place)
    return unique


def _pair_cities(
    countries: list[tuple[str, str | None, str]], cities: list[str], listed: str
) -> dict[str, str] | None:
    """Return city -> country text when the listing puts each city next to one country."""
    if not cities:
        return {}
    segments = [seg for seg in re.split(r"[;/+]|\band\b", listed) if seg.strip()]
    pairs: dict[str, str] = {}
    for city in cities:
        owners = {
            text
            for seg in segments
            if _fold(city) in _fold(seg)
            for _, _, text in countries
            if _fold(text) in _fold(seg)
        }
        if len(owners) != 1:
            return None
        pairs[city] = owners.pop()
    return pairs


def _place(country: str, region: str | None, city: str | None) -> dict[str, str]:
    place = {"country": country}
    if region:
        place["region"] = region
    if city:
        place["city"] = city
    return place
