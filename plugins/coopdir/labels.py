"""Words people read for the codes in co-op files (``DE`` → Germany, ``fully-remote`` → …).

Templates show labels; files, URLs and facets keep codes. One table per field, so a page, a
feed and a facet title say the same thing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import langcodes
import pycountry

from .vocab import vocabulary

REMOTE_POLICY = {
    "fully-remote": "Fully remote",
    "remote-first": "Remote first",
    "hybrid": "Hybrid",
    "remote-friendly": "Remote friendly",
    "on-site": "On site",
}
OPENING_REMOTE = {"remote": "Remote", "hybrid": "Hybrid", "on-site": "On site"}
OPENING_KIND = {
    "job": "Job",
    "member-track": "Member-track position",
    "founding-member": "Founding member",
    "contract": "Contract",
    "internship": "Internship",
    "volunteer": "Volunteer",
}
EMPLOYMENT_TYPE = {
    "full-time": "Full time",
    "part-time": "Part time",
    "contractor": "Contractor",
    "temporary": "Temporary",
    "intern": "Intern",
    "volunteer": "Volunteer",
    "per-diem": "Per diem",
}
HIRING_STATUS = {
    "hiring": "Hiring",
    "taking-members": "Taking new members",
    "open-to-conversations": "Open to conversations",
    "not-hiring": "Not hiring",
}
COOP_TYPE = {
    "worker-coop": "Worker co-op",
    "multi-stakeholder-coop": "Multi-stakeholder co-op",
    "platform-coop": "Platform co-op",
    "freelancers-coop": "Freelancers' co-op",
    "collective": "Collective",
    "worker-owned": "Worker-owned company",
}
STATUS = {"active": "Active", "forming": "Forming", "dormant": "Dormant", "dissolved": "Dissolved"}
GOVERNANCE = {
    "consensus": "Consensus",
    "consent": "Consent (sociocracy)",
    "majority-vote": "Majority vote",
    "elected-board": "Elected board",
    "holacracy": "Holacracy",
    "other": "Other",
}
PAY_MODEL = {
    "equal-pay": "Equal pay",
    "pay-ratio": "Capped pay ratio",
    "needs-based": "Needs-based pay",
    "hours-based": "Pay by hours worked",
    "role-based": "Pay by role",
    "other": "Other",
}
PAY_PERIOD = {
    "hour": "an hour",
    "day": "a day",
    "week": "a week",
    "month": "a month",
    "year": "a year",
}
REGION = {
    "africa": "Africa",
    "asia": "Asia",
    "europe": "Europe",
    "european-union": "the European Union",
    "latin-america": "Latin America",
    "middle-east": "the Middle East",
    "north-america": "North America",
    "oceania": "Oceania",
}
LINK_KIND = {
    "forge": "Code",
    "chat": "Chat",
    "blog": "Blog",
    "newsletter": "Newsletter",
    "social": "Social media",
    "other": "Link",
}


@cache
def country_name(code: str) -> str:
    """Return a country's common name for its ISO code (``GB`` → United Kingdom)."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


@cache
def language_name(tag: str) -> str:
    """Return a language's English name for its BCP 47 tag (``pt-BR`` → Portuguese (Brazil))."""
    try:
        return langcodes.Language.get(tag).display_name("en")
    except (ValueError, LookupError, ImportError):  # display names need language_data
        return tag


def term_label(vocabulary_name: str, slug: str) -> str:
    """Return the label of a vocabulary term (``javascript`` → JavaScript)."""
    terms = vocabulary(vocabulary_name)
    return terms.terms[slug].label if slug in terms.terms else slug


def place_text(place: Any) -> str:
    """Write a place as people read it: ``Montréal, Québec, Canada``."""
    return ", ".join(filter(None, [place.city, place.region, country_name(place.country)]))


def places_text(places: Any) -> str:
    """Write several places: ``Lyon, France; Montréal, Canada`` (or "Not stated")."""
    return "; ".join(place_text(place) for place in places) or "Not stated"


def opening_where(opening: Any, coop: Any) -> str:
    """Say where an opening's work happens, the same way on its page, in lists and in feeds.

    Remote work says only that; hybrid and on-site work name the opening's place, or else all
    of the co-op's places.
    """
    mode = OPENING_REMOTE.get(opening.remote or "", "")
    if opening.remote == "remote":
        return mode
    if opening.location:
        where = place_text(opening.location)
    else:
        where = places_text(coop.locations) if coop.locations else ""
    return ", ".join(filter(None, [mode, where])) or "Not stated"
