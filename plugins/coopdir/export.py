"""Bulk data: the whole directory as JSON and CSV files, for people who build on it.

Every fact of every co-op and opening, in JSON types: dates as ISO strings, vocabulary terms
as their canonical slugs, every field present (``null`` or ``[]`` when a file does not say).
The JSON Schemas in ``schema/api-*.schema.json`` describe the files. The same data and day give
the same bytes: keys are sorted, and nothing records when the build ran.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, Protocol

from . import jsonbytes, urls
from .model import (
    Contact,
    Coop,
    Directory,
    Hiring,
    Lineage,
    Membership,
    Opening,
    Pay,
    Place,
    Provenance,
    Reach,
    Registration,
    TimezoneSpan,
)

GENERATED_FROM = "coops/*.yaml"

COOPS_JSON = "api/coops.json"
OPENINGS_JSON = "api/openings.json"
COOPS_CSV = "api/coops.csv"

CSV_COLUMNS = (
    "slug",
    "name",
    "website",
    "url",
    "countries",
    "cities",
    "remote",
    "type",
    "status",
    "services",
    "technologies",
    "hiring",
    "founded",
    "members",
    "workers",
    "open_openings",
)
"""The columns of ``api/coops.csv``; lists are joined with ``;``."""


def coop_file(slug: str) -> str:
    """Return the output path of one co-op's JSON file."""
    return f"api/coops/{slug}.json"


def coop_record(
    coop: Coop,
    directory: Directory,
    site_url: str,
    opening_records: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return every fact of a co-op, with its page URL and its openings, in JSON types.

    ``opening_records`` (opening key → record) are its openings' records when the caller has
    made them already.
    """
    openings = sorted(coop.openings, key=lambda o: (o.posted, o.id), reverse=True)
    records = opening_records or {
        o.key: opening_record(o, directory, site_url) for o in coop.openings
    }
    return {
        "slug": coop.slug,
        "url": urls.absolute(site_url, urls.coop_url(coop)),
        "name": coop.name,
        "website": coop.website,
        "summary": coop.summary,
        "description": coop.description,
        "description_html": coop.description_html or None,
        "logo": coop.logo,
        "founded": coop.founded,
        "status": coop.status,
        "status_since": _date(coop.status_since),
        "type": coop.type,
        "legal_form": coop.legal_form,
        "registration": _registration(coop.registration),
        "networks": [{"network": n.network, "evidence": n.evidence} for n in coop.networks],
        "services": list(coop.services),
        "technologies": list(coop.technologies),
        "sectors": list(coop.sectors),
        "locations": [_place(place) for place in coop.locations],
        "remote": coop.remote,
        "hires_from": _reach(coop.hires_from),
        "languages": list(coop.languages),
        "timezones": _span(coop.timezones),
        "members": coop.members,
        "workers": coop.workers,
        "governance": coop.governance,
        "pay_model": coop.pay_model,
        "pay_ratio": coop.pay_ratio,
        "membership": _membership(coop.membership),
        "hiring": _hiring(coop.hiring),
        "contact": _contact(coop.contact),
        "lineage": _lineage(coop.lineage),
        "provenance": _provenance(coop.provenance),
        "openings": [records[o.key] for o in openings],
    }


def opening_record(opening: Opening, directory: Directory, site_url: str) -> dict[str, Any]:
    """Return every fact of an opening, with its co-op, page URL and state, in JSON types."""
    return {
        "coop": opening.coop_slug,
        "id": opening.id,
        "url": urls.absolute(site_url, urls.opening_url(opening)),
        "state": directory.opening_state(opening),
        "title": opening.title,
        "kind": opening.kind,
        "employment_type": list(opening.employment_type),
        "description": opening.description,
        "description_html": opening.description_html or None,
        "posted": opening.posted.isoformat(),
        "updated": _date(opening.updated),
        "last_changed": opening.last_changed.isoformat(),
        "closes": opening.closes.isoformat(),
        "closes_given": opening.closes_given,
        "apply": opening.apply,
        "remote": opening.remote,
        "location": _place(opening.location) if opening.location else None,
        "applicants_from": _reach(opening.applicants_from),
        "timezones": _span(opening.timezones),
        "overlap_hours": opening.overlap_hours,
        "hours_per_week": opening.hours_per_week,
        "pay": _pay(opening.pay),
        "technologies": list(opening.technologies),
        "languages": list(opening.languages),
        "example": opening.example,
    }


@dataclass(frozen=True)
class CoopPieces:
    """One co-op's parts of the bulk files, as UTF-8 JSON (``indent=2``, keys sorted).

    Each is indented as an item of a collection's list (``_ITEM_INDENT``), ready to be joined:
    the collections are hundreds of megabytes at 10,000 co-ops, rebuilt from these pieces
    after any change. The co-op's own file is its record unindented (``own_file``).
    """

    record: bytes
    openings: dict[str, bytes]
    """Opening key → the opening's record."""
    csv_row: bytes
    """The co-op's line of ``coops.csv``."""

    def own_file(self) -> bytes:
        """Return the co-op's own file: its record at the top level, and a newline."""
        return _unindent(self.record) + b"\n"


def coop_pieces(coop: Coop, directory: Directory, site_url: str) -> CoopPieces:
    """Serialise one co-op's record and its openings' records (each made once, for both)."""
    records = {o.key: opening_record(o, directory, site_url) for o in coop.openings}
    return CoopPieces(
        record=_indent(_dumps(coop_record(coop, directory, site_url, records))),
        openings={key: _indent(_dumps(record)) for key, record in records.items()},
        csv_row=_csv_line(_csv_cells(coop, directory, site_url)),
    )


@dataclass(frozen=True)
class Collection:
    """One collection file's shape: its items in order, and the bytes around and between them.

    The file is ``head + separator.join(items) + tail``. Each item is named (``keys``) and
    belongs to one co-op (``owners``), whose pieces hold its bytes (``piece``): enough for a
    rebuild to patch the previous file where only some co-ops changed (``bulkpatch``).
    """

    head: bytes
    separator: bytes
    tail: bytes
    keys: list[str]
    owners: list[str]
    """The slug of the co-op each item belongs to."""
    piece: Callable[[CoopPieces, str], bytes]
    """An item's bytes, from its owner's pieces and its key."""

    def items(self, pieces: Callable[[str], CoopPieces]) -> list[bytes]:
        """Return every item's bytes, in order, from the co-ops' pieces (slug → pieces)."""
        return [
            self.piece(pieces(owner), key)
            for key, owner in zip(self.keys, self.owners, strict=True)
        ]

    def join(self, items: list[bytes]) -> bytes:
        """Return the whole file made of these items."""
        return self.head + self.separator.join(items) + self.tail


def collections(directory: Directory) -> dict[str, Collection]:
    """Return the shapes of the collection files (output-relative path → shape)."""
    slugs = sorted(coop.slug for coop in directory.coops)
    openings = directory.openings()
    return {
        COOPS_JSON: _envelope_collection("coops", slugs, slugs, lambda pieces, key: pieces.record),
        OPENINGS_JSON: _envelope_collection(
            "openings",
            [o.key for o in openings],
            [o.coop_slug for o in openings],
            lambda pieces, key: pieces.openings[key],
        ),
        COOPS_CSV: Collection(
            _csv_line(CSV_COLUMNS), b"", b"", slugs, slugs, lambda pieces, key: pieces.csv_row
        ),
    }


class PiecesSource(Protocol):
    """Where ``bulk_files`` gets each co-op's pieces (``bulkcache.PiecesCache`` keeps them)."""

    def pieces(self, coop: Coop, directory: Directory, site_url: str) -> CoopPieces:
        """Return a co-op's pieces."""
        ...


def bulk_files(
    directory: Directory,
    site_url: str,
    cache: PiecesSource | None = None,
    only: Container[str] | None = None,
) -> dict[str, bytes]:
    """Return the bulk data files (output-relative path → bytes), the same for the same data.

    The collections are joined from each co-op's serialised pieces (from ``cache`` when given):
    the bytes are exactly those of serialising the whole at once. With ``only``, just the files
    it names are returned (a rebuild writes few).
    """
    coops = sorted(directory.coops, key=lambda coop: coop.slug)
    pieces = {
        coop.slug: cache.pieces(coop, directory, site_url)
        if cache
        else coop_pieces(coop, directory, site_url)
        for coop in coops
    }
    files = {
        name: shape.join(shape.items(pieces.__getitem__))
        for name, shape in collections(directory).items()
        if only is None or name in only
    }
    for coop in coops:
        name = coop_file(coop.slug)
        if only is None or name in only:
            files[name] = pieces[coop.slug].own_file()
    return files


# --- parts -------------------------------------------------------------------------------------


def _dumps(data: Any) -> bytes:
    return jsonbytes.dumps(data, indent=True, sort_keys=True)


_ITEM_INDENT = b"    "
"""How far a collection's items are indented: two levels of ``indent=2``."""
_SLOT = "\x00items\x00"


def _indent(text: bytes) -> bytes:
    """Indent a document as an item of a collection's list.

    JSON indentation nests by adding the same indent to every line; a newline in JSON text is
    always between tokens (strings escape theirs), so this is exact and ``_unindent`` undoes it.
    """
    return _ITEM_INDENT + text.replace(b"\n", b"\n" + _ITEM_INDENT)


def _unindent(item: bytes) -> bytes:
    return item[len(_ITEM_INDENT) :].replace(b"\n" + _ITEM_INDENT, b"\n")


def _envelope_collection(
    key: str, keys: list[str], owners: list[str], piece: Callable[[CoopPieces, str], bytes]
) -> Collection:
    """Return ``{"count": n, "generated_from": ..., key: [items]}`` as ``_dumps`` writes it.

    The items (``_indent``-ed) take the place of a placeholder in the envelope.
    """
    envelope = _dumps({"generated_from": GENERATED_FROM, "count": len(keys), key: _SLOT})
    before, after = envelope.split(json.dumps(_SLOT).encode("utf-8"), 1)
    if not keys:
        return Collection(before + b"[]" + after + b"\n", b",\n", b"", keys, owners, piece)
    return Collection(before + b"[\n", b",\n", b"\n  ]" + after + b"\n", keys, owners, piece)


def _csv_line(cells: list[Any]) -> bytes:
    """Return one line of CSV (the csv module's quoting, a newline at the end)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def _csv_cells(coop: Coop, directory: Directory, site_url: str) -> list[Any]:
    """Return a co-op's cells in ``coops.csv``, in the order of CSV_COLUMNS."""
    open_count = sum(1 for o in coop.openings if directory.opening_state(o) == "open")
    return [
        coop.slug,
        coop.name,
        coop.website,
        urls.absolute(site_url, urls.coop_url(coop)),
        ";".join(dict.fromkeys(place.country for place in coop.locations)),
        ";".join(dict.fromkeys(place.city for place in coop.locations if place.city)),
        coop.remote or "",
        coop.type or "",
        coop.status,
        ";".join(coop.services),
        ";".join(coop.technologies),
        coop.hiring.status if coop.hiring else "",
        _cell(coop.founded),
        _cell(coop.members),
        _cell(coop.workers),
        open_count,
    ]


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def _date(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _place(place: Place) -> dict[str, Any]:
    return {"country": place.country, "region": place.region, "city": place.city}


def _reach(reach: Reach | None) -> dict[str, Any] | None:
    if reach is None:
        return None
    return {
        "worldwide": reach.worldwide,
        "countries": list(reach.countries),
        "regions": list(reach.regions),
    }


def _span(span: TimezoneSpan | None) -> dict[str, Any] | None:
    return {"earliest": span.earliest, "latest": span.latest} if span else None


def _pay(pay: Pay | None) -> dict[str, Any] | None:
    if pay is None:
        return None
    return {
        "min": pay.min,
        "max": pay.max,
        "currency": pay.currency,
        "period": pay.period,
        "policy": pay.policy,
    }


def _registration(registration: Registration | None) -> dict[str, Any] | None:
    if registration is None:
        return None
    return {
        "registry": registration.registry,
        "number": registration.number,
        "url": registration.url,
    }


def _membership(membership: Membership | None) -> dict[str, Any] | None:
    if membership is None:
        return None
    buy_in = membership.buy_in
    return {
        "candidacy_months": membership.candidacy_months,
        "buy_in": {"amount": buy_in.amount, "currency": buy_in.currency, "terms": buy_in.terms}
        if buy_in
        else None,
        "decided_by": membership.decided_by,
        "notes": membership.notes,
    }


def _hiring(hiring: Hiring | None) -> dict[str, Any] | None:
    return {"status": hiring.status, "confirmed": hiring.confirmed.isoformat()} if hiring else None


def _contact(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "email": contact.email,
        "fediverse": contact.fediverse,
        "links": [{"kind": link.kind, "url": link.url} for link in contact.links],
    }


def _lineage(lineage: Lineage | None) -> dict[str, Any] | None:
    if lineage is None:
        return None
    return {"spun_off_from": list(lineage.spun_off_from), "merged_into": lineage.merged_into}


def _provenance(provenance: Provenance | None) -> dict[str, Any] | None:
    if provenance is None:
        return None
    return {
        "added_by": provenance.added_by,
        "added": _date(provenance.added),
        "source": provenance.source,
        "last_verified": _date(provenance.last_verified),
    }
