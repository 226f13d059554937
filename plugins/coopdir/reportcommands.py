"""``coopdir check-links`` and ``coopdir stale``: the reports the nightly job posts.

Both read the co-op files with the same loader as the build (an invalid file is reported as
``validate`` reports it, and no report is written), and write Markdown to a file or stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import clock
from .problems import Problem

DEFAULT_COOPS = Path("coops")
DEFAULT_LINK_CACHE = Path(".coopdir-cache") / "links.json"


def _stop_on_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    files = len({problem.path for problem in problems})
    click.echo(
        f"{len(problems)} problem(s) in {files} file(s); fix them first (coopdir validate).",
        err=True,
    )
    sys.exit(1)


def _write_report(markdown: str, report: Path | None) -> None:
    if report is None:
        click.echo(markdown, nl=False)
        return
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(markdown, encoding="utf-8")


def _connect_to_table(values: tuple[str, ...]) -> dict[tuple[str, int], tuple[str, int]]:
    from .connectto import parse_connect_to

    table = {}
    for value in values:
        try:
            source, target = parse_connect_to(value)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--connect-to") from None
        table[source] = target
    return table


@click.command("check-links")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown report here (default: stdout).",
)
@click.option(
    "--cache",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_LINK_CACHE,
    show_default=True,
    help="Remember answers here: an address that worked is not asked again for 7 days.",
)
@click.option("--no-cache", is_flag=True, help="Ask every server again and remember nothing.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="How many hosts to check at once.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests to the same host.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for a connection, and then for an answer.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="Retries after a connection error, a timeout, 429 or 503.",
)
@click.option(
    "--connect-to",
    multiple=True,
    metavar="HOST:PORT:ADDRESS:PORT",
    help="As curl's: connect to ADDRESS:PORT for HOST:PORT (to check a site on a new server).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr (default: when stderr is a terminal).",
)
def check_links_command(  # noqa: PLR0913 - one option per knob of the checker
    paths: tuple[Path, ...],
    report: Path | None,
    cache: Path,
    no_cache: bool,
    concurrency: int,
    delay: float,
    timeout: float,
    retries: int,
    connect_to: tuple[str, ...],
    progress: bool | None,
) -> None:
    """Check every web address in co-op files (default: coops/) and report in Markdown.

    Exits 0 when every address works (redirects and available https upgrades are listed but
    fine) and 1 when any is broken.
    """
    from .linkcache import LinkCache
    from .linkcheck import CheckSettings, check_links, no_progress
    from .linkreport import broken_count, link_report
    from .linksources import find_link_sources

    today = clock.today()
    sources, problems = find_link_sources(list(paths) or [DEFAULT_COOPS], today=today)
    if sources is None:
        _stop_on_problems(problems)
        return
    settings = CheckSettings(
        concurrency=concurrency,
        delay=delay,
        timeout=timeout,
        retries=retries,
        connect_to=_connect_to_table(connect_to),
    )
    show_bar = sys.stderr.isatty() if progress is None else progress
    results = check_links(
        sources.urls,
        settings,
        cache=None if no_cache else LinkCache(cache),
        progress=(
            (lambda total: click.progressbar(length=total, label="Checking", file=sys.stderr))
            if show_bar
            else no_progress
        ),
    )
    _write_report(link_report(sources, results, today=today), report)
    broken = broken_count(results)
    click.echo(
        f"{broken} of {len(results)} address(es) broken"
        + (f"; report in {report}" if report else "")
        + ".",
        err=True,
    )
    if broken:
        sys.exit(1)


@click.command("stale")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--days",
    type=click.IntRange(1),
    default=365,
    show_default=True,
    help="List co-ops not verified (provenance.last_verified) for this many days.",
)
@click.option(
    "--hiring-days",
    type=click.IntRange(1),
    default=90,
    show_default=True,
    help="List hiring statuses not confirmed (hiring.confirmed) for this many days.",
)
@click.option(
    "--closing-days",
    type=click.IntRange(0),
    default=7,
    show_default=True,
    help="List open openings that close within this many days.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown report here (default: stdout).",
)
def stale_command(
    paths: tuple[Path, ...], days: int, hiring_days: int, closing_days: int, report: Path | None
) -> None:
    """Report co-ops due for a check and openings about to close (default: coops/).

    Exits 0 whatever it finds (the report is for people), and 1 only when a file is invalid.
    """
    from .stale import StaleSettings, find_stale, stale_report

    today = clock.today()
    settings = StaleSettings(verify_days=days, hiring_days=hiring_days, closing_days=closing_days)
    findings, problems = find_stale(list(paths) or [DEFAULT_COOPS], today=today, settings=settings)
    if findings is None:
        _stop_on_problems(problems)
        return
    _write_report(stale_report(findings, today=today, settings=settings), report)
    click.echo(f"{findings.total} item(s) to look at.", err=True)
