"""The Pelican glue: one generator that loads the directory, then writes its pages.

Pelican calls ``generate_context`` on every generator before any ``generate_output``: all files
are loaded and checked in the first phase, so a bad file stops the build before anything is
written.
"""

from __future__ import annotations

import logging
from typing import Any

from pelican import signals
from pelican.generators import Generator

from . import clock
from .load import LoadSettings, load_directory
from .model import Directory
from .problems import InvalidDirectory
from .settings import CoopdirSettings

logger = logging.getLogger(__name__)


class DirectoryGenerator(Generator):
    """Load coops/ into a Directory (phase one) and write its pages (phase two)."""

    directory: Directory

    def generate_context(self) -> None:
        """Load and check every co-op file; refuse to go on if any has a problem."""
        settings = CoopdirSettings.from_pelican(self.settings)
        try:
            self.directory = load_directory(
                settings.coops_path,
                settings=LoadSettings(settings.default_opening_days, settings.max_file_bytes),
                today=clock.today(),
            )
        except InvalidDirectory as error:
            # One record for all problems: with --fatal, Pelican stops at the first error record.
            logger.error("%s", "\n".join(str(problem) for problem in error.problems))
            count = len(error.problems)
            raise SystemExit(f"{count} problem(s) in co-op files; nothing was built") from None
        self.context["directory"] = self.directory
        self.context["coopdir"] = settings

    def generate_output(self, writer: Any) -> None:
        """Write the directory page and one page per co-op."""
        writer.write_file("index.html", self.get_template("directory"), self.context,
                          coops=self.directory.coops)
        template = self.get_template("coop")
        for coop in self.directory.coops:
            writer.write_file(f"coops/{coop.slug}/index.html", template, self.context, coop=coop)


def get_generators(pelican: Any) -> type[Generator]:
    """Hand Pelican our generator class."""
    return DirectoryGenerator


def connect() -> None:
    """Connect the generator to Pelican (called by ``coopdir.register``)."""
    signals.get_generators.connect(get_generators)
