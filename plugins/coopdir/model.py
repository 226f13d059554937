"""The directory's data, as typed and frozen objects that every renderer reads.

The loader builds these only from files that passed every check, so renderers never meet a
missing required field or a wrong type. Facts derived from the data (an opening's effective
closing day, whether it is open today) are computed here, once, so HTML, feeds and ActivityPub
can never disagree about them.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .markdown import render_markdown


@dataclass(frozen=True)
class Source:
    """Where an object was written: the file as shown to people, and its line."""

    path: str
    line: int
    digest: str = ""
    """SHA-1 of the file: what incremental builds compare."""


@dataclass(frozen=True)
class Place:
    """A country (ISO 3166-1 alpha-2) with an optional region and city."""

    country: str
    region: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class Reach:
    """Where people may live: worldwide, or some countries and world regions."""

    worldwide: bool = False
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimezoneSpan:
    """The westernmost and easternmost UTC offsets, written ``UTC+HH:MM``."""

    earliest: str
    latest: str


@dataclass(frozen=True)
class Pay:
    """A pay range, a stated pay policy, or both."""

    min: float | None = None
    max: float | None = None
    currency: str | None = None
    period: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class NetworkMembership:
    """A co-op network the co-op belongs to, with a page that shows it."""

    network: str
    evidence: str


@dataclass(frozen=True)
class Registration:
    """Where and under which number the co-op is registered."""

    registry: str | None = None
    number: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BuyIn:
    """What a new member pays in."""

    amount: float
    currency: str
    terms: str | None = None


@dataclass(frozen=True)
class Membership:
    """The path from joining to becoming a member."""

    candidacy_months: int | None = None
    buy_in: BuyIn | None = None
    decided_by: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Hiring:
    """Whether the co-op is looking for people, as last confirmed."""

    status: str
    confirmed: dt.date


@dataclass(frozen=True)
class Link:
    """Another place to find the co-op (forge, chat, ...)."""

    kind: str
    url: str


@dataclass(frozen=True)
class Contact:
    """How to reach the co-op."""

    email: str | None = None
    fediverse: str | None = None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Lineage:
    """Co-ops this one split from, and the one it merged into (by slug)."""

    spun_off_from: tuple[str, ...] = ()
    merged_into: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Who added the entry, from where, and when it was last checked."""

    added_by: str
    added: dt.date | None = None
    source: str | None = None
    last_verified: dt.date | None = None


@dataclass(frozen=True)
class Opening:
    """One opening of one co-op; ``closes`` is the effective last day to apply."""

    coop_slug: str
    id: str
    title: str
    posted: dt.date
    closes: dt.date
    closes_given: bool
    apply: str
    source: Source
    kind: str = "job"
    employment_type: tuple[str, ...] = ()
    description: str | None = None
    remote: str | None = None
    location: Place | None = None
    applicants_from: Reach | None = None
    timezones: TimezoneSpan | None = None
    overlap_hours: int | None = None
    hours_per_week: float | None = None
    pay: Pay | None = None
    technologies: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    example: bool = False
    updated: dt.date | None = None

    @property
    def last_changed(self) -> dt.date:
        """Return the day the opening last changed: ``updated`` if given, else ``posted``."""
        return self.updated or self.posted

    @property
    def key(self) -> str:
        """Return the id that never changes across the directory: ``coop-slug/opening-id``."""
        return f"{self.coop_slug}/{self.id}"

    def is_open(self, today: dt.date) -> bool:
        """Return True when people can apply on ``today``."""
        return self.posted <= today <= self.closes

    @cached_property
    def description_html(self) -> str:
        """Return the description as sanitised HTML ('' when there is none)."""
        return render_markdown(self.description) if self.description else ""


@dataclass(frozen=True)
class Coop:
    """One co-op, as its file describes it."""

    slug: str
    name: str
    website: str
    source: Source
    summary: str | None = None
    description: str | None = None
    logo: str | None = None
    founded: int | None = None
    status: str = "active"
    status_since: dt.date | None = None
    type: str | None = None
    legal_form: str | None = None
    registration: Registration | None = None
    networks: tuple[NetworkMembership, ...] = ()
    services: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    locations: tuple[Place, ...] = ()
    remote: str | None = None
    hires_from: Reach | None = None
    languages: tuple[str, ...] = ()
    timezones: TimezoneSpan | None = None
    members: int | None = None
    workers: int | None = None
    governance: str | None = None
    pay_model: str | None = None
    pay_ratio: float | None = None
    membership: Membership | None = None
    hiring: Hiring | None = None
    contact: Contact | None = None
    lineage: Lineage | None = None
    provenance: Provenance | None = None
    openings: tuple[Opening, ...] = field(default=())

    @cached_property
    def fingerprint(self) -> str:
        """Say which co-op, with which contents of its file: ``slug=digest`` (made once).

        Outputs that show many co-ops are fingerprinted by these: a rebuild at 10,000 co-ops
        joins 150,000 of them.
        """
        return f"{self.slug}={self.source.digest}"

    @cached_property
    def description_html(self) -> str:
        """Return the description as sanitised HTML ('' when there is none)."""
        return render_markdown(self.description) if self.description else ""

    @property
    def added(self) -> dt.date | None:
        """Return the day the entry was listed, when its file says so."""
        return self.provenance.added if self.provenance else None


@dataclass(frozen=True)
class Directory:
    """Every co-op, sorted by slug, and the day that decides which openings are open."""

    coops: tuple[Coop, ...]
    today: dt.date
    by_slug: dict[str, Coop] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_slug", {coop.slug: coop for coop in self.coops})

    @cached_property
    def _openings(self) -> tuple[Opening, ...]:
        every = [opening for coop in self.coops for opening in coop.openings]
        return tuple(sorted(every, key=lambda o: (o.posted, o.key), reverse=True))

    def openings(self) -> list[Opening]:
        """Return every opening, open or closed, newest first."""
        return list(self._openings)

    def opening_state(self, opening: Opening) -> str:
        """Return ``open``, ``upcoming`` (posted in the future) or ``closed`` for today.

        A dissolved co-op hires nobody, so its openings are closed whatever their dates say.
        """
        if self.by_slug[opening.coop_slug].status == "dissolved" or opening.closes < self.today:
            return "closed"
        return "upcoming" if opening.posted > self.today else "open"

    @cached_property
    def _open_openings(self) -> tuple[Opening, ...]:
        return tuple(o for o in self._openings if self.opening_state(o) == "open")

    @cached_property
    def in_slug_order(self) -> tuple[Coop, ...]:
        """Return every co-op by slug (as ``coops`` is when the loader made the directory)."""
        return tuple(sorted(self.coops, key=lambda coop: coop.slug))

    @cached_property
    def slug_places(self) -> dict[str, int]:
        """Return each slug's place in ``in_slug_order``."""
        return {coop.slug: place for place, coop in enumerate(self.in_slug_order)}

    def adopt_order(
        self,
        listed: tuple[Coop, ...],
        openings: tuple[Opening, ...],
        open_openings: tuple[Opening, ...],
        closed_openings: tuple[Opening, ...],
    ) -> None:
        """Take the sorted lists from a build that sorted the same co-ops the same way.

        ``slicecache`` knows when the previous build's order still holds; sorting 10,000
        co-ops and 50,000 openings again would give these very lists.
        """
        self.__dict__["_listed_coops"] = listed
        self.__dict__["_openings"] = openings
        self.__dict__["_open_openings"] = open_openings
        self.__dict__["_closed_openings"] = closed_openings

    def open_openings(self) -> list[Opening]:
        """Return the openings people can apply to today, newest first."""
        return list(self._open_openings)

    @cached_property
    def _closed_openings(self) -> tuple[Opening, ...]:
        closed = [o for o in self._openings if self.opening_state(o) == "closed"]
        return tuple(sorted(closed, key=lambda o: (o.closes, o.key), reverse=True))

    def closed_openings(self) -> list[Opening]:
        """Return the openings that have closed, most recently closed first."""
        return list(self._closed_openings)

    @cached_property
    def _listed_coops(self) -> tuple[Coop, ...]:
        listed = (coop for coop in self.coops if coop.status != "dissolved")
        return tuple(sorted(listed, key=sort_key_for_name))

    def listed_coops(self) -> list[Coop]:
        """Return the co-ops the directory lists (all but dissolved ones), by name."""
        return list(self._listed_coops)

    def dissolved_coops(self) -> list[Coop]:
        """Return the dissolved co-ops (shown in the archive), by name."""
        return sorted(
            (coop for coop in self.coops if coop.status == "dissolved"), key=sort_key_for_name
        )

    def newest_coops(self, count: int) -> list[Coop]:
        """Return the most recently added listed co-ops (undated entries last)."""
        dated = sorted(
            self.listed_coops(),
            key=lambda c: (
                c.added or dt.date.min,
                c.slug,
            ),
            reverse=True,
        )
        return dated[:count]

    @cached_property
    def _lineage_index(self) -> tuple[dict[str, list[Coop]], dict[str, list[Coop]]]:
        """Index lineage backwards once: (parent slug → spin-offs, slug → co-ops merged in)."""
        spin_offs: dict[str, list[Coop]] = {}
        merged: dict[str, list[Coop]] = {}
        for coop in self.coops:
            if coop.lineage:
                for parent in coop.lineage.spun_off_from:
                    spin_offs.setdefault(parent, []).append(coop)
                if coop.lineage.merged_into:
                    merged.setdefault(coop.lineage.merged_into, []).append(coop)
        return spin_offs, merged

    def spin_offs(self, coop: Coop) -> list[Coop]:
        """Return the co-ops that say they split from this one."""
        return list(self._lineage_index[0].get(coop.slug, ()))

    def merged_from(self, coop: Coop) -> list[Coop]:
        """Return the co-ops that say they merged into this one."""
        return list(self._lineage_index[1].get(coop.slug, ()))


def sort_key_for_name(coop: Coop) -> tuple[str, str]:
    """Sort co-ops by name the way people expect: case and accents do not count."""
    folded = unicodedata.normalize("NFKD", coop.name.casefold())
    return ("".join(ch for ch in folded if not unicodedata.combining(ch)), coop.slug)


# --- building models from checked data --------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _tuple(values: list[Any] | None) -> tuple[Any, ...]:
    return tuple(values or ())


def _place(data: dict[str, Any] | None) -> Place | None:
    return Place(**data) if data else None


def _reach(data: dict[str, Any] | None) -> Reach | None:
    if not data:
        return None
    return Reach(
        worldwide=bool(data.get("worldwide", False)),
        countries=_tuple(data.get("countries")),
        regions=_tuple(data.get("regions")),
    )


def _span(data: dict[str, Any] | None) -> TimezoneSpan | None:
    return TimezoneSpan(**data) if data else None


def build_opening(
    data: dict[str, Any],
    coop_slug: str,
    source: Source,
    default_days: int,
    canonical: Any,
) -> Opening:
    """Build an Opening from checked data; ``canonical`` maps vocabulary aliases to slugs."""
    posted = dt.date.fromisoformat(data["posted"])
    closes = _date(data.get("closes"))
    return Opening(
        coop_slug=coop_slug,
        id=data["id"],
        title=data["title"],
        posted=posted,
        closes=closes or posted + dt.timedelta(days=default_days),
        closes_given=closes is not None,
        apply=data["apply"],
        source=source,
        kind=data.get("kind", "job"),
        employment_type=_tuple(data.get("employment_type")),
        description=data.get("description"),
        remote=data.get("remote"),
        location=_place(data.get("location")),
        applicants_from=_reach(data.get("applicants_from")),
        timezones=_span(data.get("timezones")),
        overlap_hours=data.get("overlap_hours"),
        hours_per_week=data.get("hours_per_week"),
        pay=Pay(**data["pay"]) if data.get("pay") else None,
        technologies=canonical("technologies", data.get("technologies")),
        languages=_tuple(data.get("languages")),
        example=bool(data.get("example", False)),
        updated=_date(data.get("updated")),
    )


def build_coop(
    data: dict[str, Any],
    slug: str,
    source: Source,
    openings: tuple[Opening, ...],
    canonical: Any,
) -> Coop:
    """Build a Coop from checked data and its already-built openings."""
    membership = data.get("membership")
    contact = data.get("contact")
    hiring = data.get("hiring")
    provenance = data.get("provenance")
    lineage = data.get("lineage")
    return Coop(
        slug=slug,
        name=data["name"],
        website=data["website"],
        source=source,
        summary=data.get("summary"),
        description=data.get("description"),
        logo=data.get("logo"),
        founded=data.get("founded"),
        status=data.get("status", "active"),
        status_since=_date(data.get("status_since")),
        type=data.get("type"),
        legal_form=data.get("legal_form"),
        registration=Registration(**data["registration"]) if data.get("registration") else None,
        networks=tuple(
            NetworkMembership(canonical("networks", [item["network"]])[0], item["evidence"])
            for item in data.get("networks", ())
        ),
        services=canonical("services", data.get("services")),
        technologies=canonical("technologies", data.get("technologies")),
        sectors=canonical("sectors", data.get("sectors")),
        locations=tuple(Place(**place) for place in data.get("locations", ())),
        remote=data.get("remote"),
        hires_from=_reach(data.get("hires_from")),
        languages=_tuple(data.get("languages")),
        timezones=_span(data.get("timezones")),
        members=data.get("members"),
        workers=data.get("workers"),
        governance=data.get("governance"),
        pay_model=data.get("pay_model"),
        pay_ratio=data.get("pay_ratio"),
        membership=Membership(
            candidacy_months=membership.get("candidacy_months"),
            buy_in=BuyIn(**membership["buy_in"]) if membership.get("buy_in") else None,
            decided_by=membership.get("decided_by"),
            notes=membership.get("notes"),
        )
        if membership
        else None,
        hiring=Hiring(hiring["status"], dt.date.fromisoformat(hiring["confirmed"]))
        if hiring
        else None,
        contact=Contact(
            email=contact.get("email"),
            fediverse=contact.get("fediverse"),
            links=tuple(Link(**link) for link in contact.get("links", ())),
        )
        if contact
        else None,
        lineage=Lineage(
            spun_off_from=_tuple(lineage.get("spun_off_from")),
            merged_into=lineage.get("merged_into"),
        )
        if lineage
        else None,
        provenance=Provenance(
            added_by=provenance["added_by"],
            added=_date(provenance.get("added")),
            source=provenance.get("source"),
            last_verified=_date(provenance.get("last_verified")),
        )
        if provenance
        else None,
        openings=openings,
    )
