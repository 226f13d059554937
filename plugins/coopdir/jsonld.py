"""schema.org JSON-LD for opening and co-op pages: what search engines read about them.

``job_posting`` follows Google's "Job posting structured data" rules; ``organization`` describes
a co-op. Both say only what the co-op's file says and the page shows: nothing is guessed, so a
fact that cannot be said truthfully in schema.org terms is left out rather than approximated.
Both return plain dicts of JSON types, ready for ``json.dumps`` or Jinja's ``tojson``.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from urllib.parse import urlsplit

from . import labels, urls
from .model import Coop, Opening, Place, Reach
from .vocab import vocabulary

CONTEXT = "https://schema.org"

EMPLOYMENT_TYPE = {
    "full-time": "FULL_TIME",
    "part-time": "PART_TIME",
    "contractor": "CONTRACTOR",
    "temporary": "TEMPORARY",
    "intern": "INTERN",
    "volunteer": "VOLUNTEER",
    "per-diem": "PER_DIEM",
}
"""Our ``employment_type`` codes → Google's employmentType values."""

KIND_EMPLOYMENT_TYPE = {"internship": "INTERN", "volunteer": "VOLUNTEER", "contract": "CONTRACTOR"}
"""An opening's ``kind`` → employmentType, for openings that give no ``employment_type``."""

PAY_UNIT = {"hour": "HOUR", "day": "DAY", "week": "WEEK", "month": "MONTH", "year": "YEAR"}
"""Our pay periods → the unitText values Google reads in a salary."""

EUROPEAN_UNION = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)
"""The member states of the European Union (27 since 1 February 2020): the one world region
of ours that is a definite list of countries. Update it when membership changes."""


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def job_posting(
    opening: Opening, coop: Coop, *, site_url: str, default_days_note: bool = False
) -> dict[str, Any]:
    """Return a schema.org ``JobPosting`` for an opening's page.

    With ``default_days_note``, an opening whose co-op gave no closing day says so in its
    description, as the page does next to the closing day.
    """
    posting: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "JobPosting",
        "title": opening.title,
        "description": _description(opening, coop, default_days_note),
        "datePosted": opening.posted.isoformat(),
        "validThrough": _end_of_day(_valid_through(opening, coop)),
        "hiringOrganization": _hiring_organization(coop, site_url),
        "identifier": {"@type": "PropertyValue", "name": coop.name, "value": opening.id},
        "url": urls.absolute(site_url, urls.opening_url(opening)),
        "directApply": _is_web_address(opening.apply),
    }
    places = _job_places(opening, coop)
    if places:
        posting["jobLocation"] = _one_or_many([_job_place(place) for place in places])
    if opening.remote == "remote":
        posting["jobLocationType"] = "TELECOMMUTE"
        reach = opening.applicants_from or coop.hires_from
        countries = _applicant_countries(reach) if reach else []
        if countries:
            posting["applicantLocationRequirements"] = _one_or_many(
                [{"@type": "Country", "name": labels.country_name(code)} for code in countries]
            )
    employment = _employment_types(opening)
    if employment:
        posting["employmentType"] = _one_or_many(employment)
    salary = _base_salary(opening)
    if salary:
        posting["baseSalary"] = salary
    if opening.technologies:
        posting["skills"] = [labels.term_label("technologies", t) for t in opening.technologies]
    return posting


def organization(coop: Coop, *, site_url: str) -> dict[str, Any]:
    """Return a schema.org ``Organization`` for a co-op's page."""
    org: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Organization",
        "name": coop.name,
        "url": coop.website,
        "mainEntityOfPage": urls.absolute(site_url, urls.coop_url(coop)),
    }
    same_as = [coop.website]
    if coop.contact:
        same_as += [link.url for link in coop.contact.links if link.url not in same_as]
    org["sameAs"] = _one_or_many(same_as)
    if coop.summary:
        org["description"] = coop.summary
    if coop.logo:
        org["logo"] = coop.logo
    if coop.founded is not None:
        org["foundingDate"] = f"{coop.founded:04d}"
    if coop.status == "dissolved" and coop.status_since:
        org["dissolutionDate"] = coop.status_since.isoformat()
    if coop.locations:
        org["address"] = _one_or_many([_postal_address(place) for place in coop.locations])
    if coop.contact and coop.contact.email:
        org["email"] = coop.contact.email
    if coop.workers is not None:
        org["numberOfEmployees"] = {"@type": "QuantitativeValue", "value": coop.workers}
    if coop.networks:
        org["memberOf"] = _one_or_many([_network(n.network) for n in coop.networks])
    return org


# --- parts -------------------------------------------------------------------------------------


def _one_or_many(values: list[Any]) -> Any:
    """Return a lone value as itself and several as a list (both are valid JSON-LD)."""
    return values[0] if len(values) == 1 else values


def _is_web_address(apply: str) -> bool:
    return urlsplit(apply).scheme.lower() in ("http", "https")


def _description(opening: Opening, coop: Coop, default_days_note: bool) -> str:
    """Return the opening's description as HTML, never empty."""
    text = opening.description_html.strip()
    if not text:
        kind = labels.OPENING_KIND.get(opening.kind, opening.kind)
        text = f"<p>{escape(kind)} at {escape(coop.name)}: {escape(opening.title)}.</p>"
    if default_days_note and not opening.closes_given:
        days = (opening.closes - opening.posted).days
        text += (
            f"<p>The co-op gave no closing date: this listing closes {days} days after it was "
            f"posted, on {_human_date(opening.closes)}.</p>"
        )
    return text


def _human_date(day: dt.date) -> str:
    """Write a date as the pages do: ``1 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _valid_through(opening: Opening, coop: Coop) -> dt.date:
    """Return the last day to apply: ``closes``, or the eve of the co-op's dissolution."""
    if coop.status == "dissolved" and coop.status_since:
        return min(opening.closes, coop.status_since - dt.timedelta(days=1))
    return opening.closes


def _end_of_day(day: dt.date) -> str:
    """Return the last second of a day in UTC (the site's time zone), ISO 8601."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC).isoformat()


def _hiring_organization(coop: Coop, site_url: str) -> dict[str, Any]:
    org: dict[str, Any] = {
        "@type": "Organization",
        "name": coop.name,
        "sameAs": coop.website,
        "url": urls.absolute(site_url, urls.coop_url(coop)),
    }
    if coop.logo:
        org["logo"] = coop.logo
    return org


def _job_places(opening: Opening, coop: Coop) -> tuple[Place, ...]:
    """Return where the work happens: the opening's place, else the co-op's.

    A remote opening without a place of its own has none: the co-op's offices are not where
    its work happens.
    """
    if opening.location:
        return (opening.location,)
    if opening.remote == "remote":
        return ()
    return coop.locations


def _postal_address(place: Place) -> dict[str, Any]:
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": place.country}
    if place.region:
        address["addressRegion"] = place.region
    if place.city:
        address["addressLocality"] = place.city
    return address


def _job_place(place: Place) -> dict[str, Any]:
    return {"@type": "Place", "address": _postal_address(place)}


def _applicant_countries(reach: Reach) -> list[str]:
    """Return the countries applicants may live in, as ISO codes, when that is a true list.

    Worldwide reach has no list (Google asks for the property when applicants must be in some
    places). A world region other than the European Union has no agreed list of countries,
    and naming only some of the places would tell search engines that the others are excluded:
    then nothing is said.
    """
    if reach.worldwide:
        return []
    countries = list(reach.countries)
    for region in reach.regions:
        if region != "european-union":
            return []
        countries += EUROPEAN_UNION
    return list(dict.fromkeys(countries))


def _employment_types(opening: Opening) -> list[str]:
    if opening.employment_type:
        return [EMPLOYMENT_TYPE[code] for code in opening.employment_type]
    if opening.kind in KIND_EMPLOYMENT_TYPE:
        return [KIND_EMPLOYMENT_TYPE[opening.kind]]
    return []


def _number(value: float) -> int | float:
    """Return a whole number as an int, so 38000.0 is written 38000."""
    return int(value) if float(value).is_integer() else value


def _base_salary(opening: Opening) -> dict[str, Any] | None:
    """Return the pay range as a MonetaryAmount, or None when the opening states no amount.

    ``from 25`` is a minimum, not the salary: only an exact amount is written as ``value``.
    """
    pay = opening.pay
    if pay is None or (pay.min is None and pay.max is None) or not pay.currency:
        return None
    value: dict[str, Any] = {"@type": "QuantitativeValue"}
    if pay.min is not None and pay.max is not None and pay.min == pay.max:
        value["value"] = _number(pay.min)
    else:
        if pay.min is not None:
            value["minValue"] = _number(pay.min)
        if pay.max is not None:
            value["maxValue"] = _number(pay.max)
    if pay.period:
        value["unitText"] = PAY_UNIT[pay.period]
    return {"@type": "MonetaryAmount", "currency": pay.currency, "value": value}


def _network(slug: str) -> dict[str, Any]:
    terms = vocabulary("networks").terms
    network: dict[str, Any] = {"@type": "Organization", "name": labels.term_label("networks", slug)}
    if slug in terms and terms[slug].url:
        network["url"] = terms[slug].url
    return network
