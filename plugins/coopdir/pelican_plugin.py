"""The Pelican glue: one generator that loads the directory, then writes its pages.

Pelican calls ``generate_context`` on every generator before any ``generate_output``: all files
are loaded and checked, and every page planned, in the first phase, so a bad file stops the build
before anything is written. The second phase only renders the plan.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from . import clock, labels, urls
from .load import LoadSettings, load_directory
from .model import Directory
from .pages import Page, plan_pages
from .problems import InvalidDirectory
from .settings import CoopdirSettings
from .sitemap import robots_txt, sitemap_xml

logger = logging.getLogger(__name__)

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def human_date(day: Any) -> str:
    """Write a date the same way in every locale: ``1 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


TEMPLATE_GLOBALS = {
    "coop_url": urls.coop_url,
    "opening_url": urls.opening_url,
    "facet_url": urls.facet_url,
    "urls": urls,
    "labels": labels,
    "country_name": labels.country_name,
    "language_name": labels.language_name,
    "term_label": labels.term_label,
}


TEMPLATE_FILTERS = {
    "human_date": human_date,
    "country_name_filter": labels.country_name,
    "language_label": labels.language_name,
    "region_label": labels.REGION.__getitem__,
    "sector_label": lambda slug: labels.term_label("sectors", slug),
    "employment_label": labels.EMPLOYMENT_TYPE.__getitem__,
}


class DirectoryGenerator(Generator):
    """Load coops/ into a Directory and plan its pages (phase one); write them (phase two)."""

    directory: Directory
    pages: list[Page]
    coopdir: CoopdirSettings

    def generate_context(self) -> None:
        """Load and check every co-op file and plan every page; stop at any problem."""
        self.coopdir = CoopdirSettings.from_pelican(self.settings)
        try:
            self.directory = load_directory(
                self.coopdir.coops_path,
                settings=LoadSettings(
                    self.coopdir.default_opening_days, self.coopdir.max_file_bytes
                ),
                today=clock.today(),
            )
        except InvalidDirectory as error:
            # One record for all problems: with --fatal, Pelican stops at the first error record.
            logger.error("%s", "\n".join(str(problem) for problem in error.problems))
            count = len(error.problems)
            raise SystemExit(f"{count} problem(s) in co-op files; nothing was built") from None
        self.pages = plan_pages(
            self.directory,
            repository_url=self.coopdir.repository_url,
            folder=Path(self.coopdir.coops_path).name,
        )
        self.env.globals.update(TEMPLATE_GLOBALS)
        self.env.filters.update(TEMPLATE_FILTERS)
        self.context["directory"] = self.directory
        # Links to slices only where the slice has a page (a closed opening may name a
        # technology no open opening or listed co-op has).
        self.env.globals["slice_urls"] = frozenset(page.url for page in self.pages)
        self.context["coopdir"] = self.coopdir

    def generate_output(self, writer: Any) -> None:
        """Render every planned page, then the sitemap and robots.txt."""
        for page in self.pages:
            writer.write_file(
                page.save_as,
                self.get_template(page.template),
                self.context,
                page=page,
                **page.context,
            )
        output = Path(self.output_path)
        pages = [page.url for page in self.pages if page.template != "404"]
        pages += [f"/{p.url}" for p in self.context.get("pages", ())]
        (output / "sitemap.xml").write_bytes(sitemap_xml(self.coopdir.site_url, pages))
        (output / "robots.txt").write_text(robots_txt(self.coopdir.site_url), "utf-8")


def get_generators(pelican: Any) -> type[Generator]:
    """Hand Pelican our generator class."""
    return DirectoryGenerator


def connect() -> None:
    """Connect the generator to Pelican (called by ``coopdir.register``)."""
    signals.get_generators.connect(get_generators)
