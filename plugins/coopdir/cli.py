"""The ``coopdir`` command: the same loader and checks the build uses, for people and CI."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import clock
from .problems import Problem

# The checking modules import jsonschema (most of a second): each command imports what it uses,
# so `coopdir build` and `coopdir serve` start fast.

DEFAULT_COOPS = Path("coops")


def _exit_with_problems(error: Exception, what_to_do: str) -> None:
    """Print every problem of an InvalidDirectory (file:line: ...) and exit 1."""
    problems = error.problems  # type: ignore[attr-defined]
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(f"{len(problems)} problem(s) in co-op files: {what_to_do}.")


def _load_or_exit(coops: Path) -> Any:
    """Load the co-op files for a command that needs them all valid; else report and exit 1."""
    from .load import load_directory
    from .problems import InvalidDirectory

    try:
        return load_directory(coops)
    except InvalidDirectory as error:
        _exit_with_problems(error, "fix them first (coopdir validate lists them)")


def labels_opening_kinds() -> list[str]:
    """Return the kinds of opening (for ``--kind``), without importing the checks."""
    from .labels import OPENING_KIND

    return list(OPENING_KIND)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    """Escape text for a GitHub Actions workflow command (their documented encoding)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(problem: Problem) -> str:
    """Render a problem as a GitHub Actions error annotation on its file and line."""
    where = f"{problem.field}: " if problem.field else ""
    fix = f" — {problem.hint}" if problem.hint else ""
    message = f"{where}{problem.message}{fix}"
    return (
        f"::error file={_github_escape(problem.path, property_value=True)},"
        f"line={problem.line},col={problem.column}::{_github_escape(message)}"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coopdir")
def main() -> None:
    """Work with the co-op directory: validate files, add co-ops, import lists."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text: PATH:LINE:COL lines; github: Actions annotations; json: a list.",
)
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check co-op files (default: coops/) and report every problem in every file.

    Exits 0 when all files are valid and 1 when any is not.
    """
    from .load import check_paths

    targets = list(paths) or [DEFAULT_COOPS]
    coops, problems = check_paths(targets)
    if output_format == "json":
        click.echo(
            json.dumps([problem.as_dict() for problem in problems], indent=2, ensure_ascii=False)
        )
    else:
        for problem in problems:
            click.echo(format_github(problem) if output_format == "github" else str(problem))
    if problems:
        files = len({problem.path for problem in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s).", err=True)
        sys.exit(1)
    openings = sum(len(coop.openings) for coop in coops)
    click.echo(f"All good: {len(coops)} co-op(s), {openings} opening(s).", err=True)


Check = Callable[[str], "tuple[str, str] | None"]


def _checked_answer(text: str, check: Check | None) -> str:
    """Return a prompt answer, or raise BadParameter (click asks again) with what is wrong."""
    text = text.strip()
    if text and check:
        for item in _split(text) if "," in text else [text]:
            problem = check(item)
            if problem:
                raise click.BadParameter(f"{problem[0]} — {problem[1]}")
    return text


def _split(values: str | None) -> list[str]:
    return [value.strip() for value in (values or "").split(",") if value.strip()]


@main.command()
@click.option("--name", help="The co-op's name.")
@click.option("--website", help="Its website, https://...")
@click.option("--summary", help="What it does, in one line.")
@click.option("--country", help="Where it is based: two-letter code (DE, FR, US, GB...).")
@click.option("--city", help="The city it is based in.")
@click.option(
    "--remote",
    type=click.Choice(["fully-remote", "remote-first", "hybrid", "remote-friendly", "on-site"]),
    help="Remote policy.",
)
@click.option("--services", help="Comma-separated services from vocab/services.yaml.")
@click.option("--technologies", help="Comma-separated technologies from vocab/technologies.yaml.")
@click.option("--email", help="A contact email address.")
@click.option("--added-by", type=click.Choice(["coop", "third-party"]), help="Who is adding it.")
@click.option("--slug", help="The file name to use (default: from the name).")
@click.option(
    "--coops-dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_COOPS,
    show_default=True,
    help="The folder of co-op files.",
)
@click.option("--no-input", is_flag=True, help="Never prompt: use only the flags (for scripts).")
def new(  # noqa: PLR0913 - one option per field is the point
    name: str | None,
    website: str | None,
    summary: str | None,
    country: str | None,
    city: str | None,
    remote: str | None,
    services: str | None,
    technologies: str | None,
    email: str | None,
    added_by: str | None,
    slug: str | None,
    coops_dir: Path,
    no_input: bool,
) -> None:
    """Write a new, valid co-op file, asking for what the flags did not give."""
    from .coopfile import slug_for
    from .formats import FORMAT_CHECKS, check_country, check_email, check_http_url

    def ask(
        value: str | None, prompt: str, check: Check | None = None, required: bool = False
    ) -> str | None:
        """Prompt until the answer passes ``check`` (flags are checked with the whole file)."""
        if value is not None or no_input:
            return value
        answer = click.prompt(
            prompt + ("" if required else " (Enter to skip)"),
            default="" if not required else None,
            show_default=False,
            value_proc=lambda text: _checked_answer(text, check),
        )
        return answer or None

    name = ask(name, "Name", required=True)
    website = ask(website, "Website (https://...)", check_http_url, required=True)
    if not name or not website:
        raise click.UsageError("--name and --website are required")
    summary = ask(summary, "What it does, in one line")
    country = ask(country, "Country, two-letter code (DE, FR, US, GB...)", check_country)
    city = ask(city, "City") if country else city
    services = ask(
        services,
        "Services, comma-separated (web-development, hosting, ...)",
        FORMAT_CHECKS["service"],
    )
    technologies = ask(
        technologies,
        "Technologies, comma-separated (python, drupal, ...)",
        FORMAT_CHECKS["technology"],
    )
    email = ask(email, "Contact email", check_email)
    added_by = added_by or (
        "coop"
        if no_input
        else click.prompt(
            "Are you part of this co-op?",
            type=click.Choice(["coop", "third-party"]),
            default="coop",
        )
    )

    data: dict[str, object] = {"name": name, "website": website}
    if summary:
        data["summary"] = summary
    if _split(services):
        data["services"] = _split(services)
    if _split(technologies):
        data["technologies"] = _split(technologies)
    if country:
        data["locations"] = [{"country": country, **({"city": city} if city else {})}]
    if remote:
        data["remote"] = remote
    if email:
        data["contact"] = {"email": email}
    today = clock.today().isoformat()
    data["provenance"] = {"added_by": added_by, "added": today, "last_verified": today}
    _write_checked(coops_dir, slug or slug_for(name), data)


def _write_checked(coops_dir: Path, slug: str, data: dict[str, object]) -> None:
    """Write the file, check it with the whole folder, and take it back if anything is wrong."""
    from .coopfile import write_checked_coop_file

    try:
        path, mine = write_checked_coop_file(coops_dir, slug, data)
    except FileExistsError as error:
        raise click.ClickException(
            f"{error.args[0]} exists already; edit it instead, or pass --slug"
        ) from None
    if mine:
        for problem in mine:
            click.echo(str(problem), err=True)
        raise click.ClickException("nothing was written; fix the values above and run it again")
    click.echo(f"Wrote {path}. Add openings under `openings:`, then run: coopdir validate {path}")


@main.command("import-csv")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--coops-dir", type=click.Path(path_type=Path), default=DEFAULT_COOPS, show_default=True
)
@click.option("--source", help="Where the list comes from (a URL), recorded in each file.")
@click.option("--overwrite", is_flag=True, help="Replace files that exist already.")
@click.option(
    "--added", type=click.DateTime(["%Y-%m-%d"]), help="The day of the import (default: today)."
)
def import_csv_command(
    csv_path: Path, coops_dir: Path, source: str | None, overwrite: bool, added: dt.datetime | None
) -> None:
    """Write one co-op file per row of a CSV list (name, website, country, city, business_areas)."""
    from .importer import import_csv
    from .load import check_paths

    report = import_csv(
        csv_path,
        coops_dir,
        source=source,
        overwrite=overwrite,
        added=added.date() if added else None,
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"Wrote {len(report.written)} file(s); skipped {len(report.skipped)} that exist already."
    )
    _, problems = check_paths([coops_dir])
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(1)


@main.command("from-issue")
@click.argument("issue", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--coops-dir", type=click.Path(path_type=Path), default=DEFAULT_COOPS, show_default=True
)
@click.option(
    "--form",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path(".github/ISSUE_TEMPLATE/add-coop.yml"),
    show_default=True,
    help="The issue form the issue was written with.",
)
def from_issue(issue: Path, coops_dir: Path, form: Path) -> None:
    """Write a co-op file from the body of an "Add a co-op" issue (a Markdown file).

    Exits 1 and writes nothing when an answer is wrong, naming each one as the form labels it.
    """
    from .issueform import read_form, write_from_issue
    from .load import display_path

    path, problems = write_from_issue(
        issue, display_path(issue), coops_dir, read_form(form), clock.today()
    )
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} answer(s) to fix; nothing was written.", err=True)
        sys.exit(1)
    click.echo(f"Wrote {path}.")


coops_option = click.option(
    "--coops",
    "coops_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_COOPS,
    show_default=True,
    help="The folder of co-op files to build.",
)
output_option = click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Where the site goes; replaced only if the build succeeds.",
)


@main.command()
@coops_option
@output_option
@click.option("--full", is_flag=True, help="Render every page, not only what changed.")
def build(coops_dir: Path, output: Path, full: bool) -> None:
    """Build the site with Pelican, all or nothing: a failed build keeps the previous site.

    A rebuild renders only pages whose inputs changed (use --full to render all).
    """
    from .build import build_site

    code = build_site(coops_dir, output, full=full)
    if code:
        click.echo(f"The build failed; {output} was left as it was.", err=True)
        sys.exit(code)
    click.echo(f"Built {output}.", err=True)


@main.command()
@coops_option
@output_option
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--watch", is_flag=True, help="Rebuild when co-op files, content, theme or code change."
)
def serve(coops_dir: Path, output: Path, port: int, watch: bool) -> None:
    """Build the site, serve it on localhost, and (with --watch) rebuild on every change."""
    from .build import build_site, serve_and_rebuild

    if build_site(coops_dir, output) and not output.exists():
        sys.exit("The build failed and there is no previous site to serve.")
    serve_and_rebuild(coops_dir, output, port, watch=watch)


@main.command("search")
@click.argument("words", nargs=-1)
@coops_option
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="The index folder (default: .output.cache/search-index).")
@click.option("--country", help="Only this country (two-letter code: DE, CA...).")
@click.option("--remote", is_flag=True, help="Only remote work or remote-first co-ops.")
@click.option("--kind", type=click.Choice(sorted(labels_opening_kinds())),
              help="Only openings of this kind.")
@click.option("--technology", help="Only this technology (slug or alias: python, js...).")
@click.option("--service", help="Only this service (slug: web-development, hosting...).")
@click.option("--hiring", help="Only co-ops with this hiring status (hiring, taking-members...).")
@click.option("--type", "doc_type", type=click.Choice(["coop", "opening"]),
              help="Only co-ops or only openings.")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def search_command(  # noqa: PLR0913 - one option per filter
    words: tuple[str, ...],
    coops_dir: Path,
    index_dir: Path | None,
    country: str | None,
    remote: bool,
    kind: str | None,
    technology: str | None,
    service: str | None,
    hiring: str | None,
    doc_type: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search co-ops and open openings: names, technologies, places, descriptions.

    Every word must match (forgiving a typo); results come best first, each saying why it
    matched. Indexes the co-op files first when needed, so it works before any build.
    """
    from .problems import InvalidDirectory
    from .search.command import DEFAULT_INDEX, format_results, run_search
    from .vocab import vocabulary

    filters: dict[str, str] = {}
    if country:
        filters["countries"] = country
    if remote:
        filters["remote-ok"] = "yes"
    if kind:
        filters["kinds"] = kind
    if technology:
        filters["technologies"] = vocabulary("technologies").resolve(technology) or technology
    if service:
        filters["services"] = vocabulary("services").resolve(service) or service
    if hiring:
        filters["hiring"] = hiring
    if doc_type:
        filters["type"] = doc_type
    try:
        results = run_search(coops_dir, index_dir or DEFAULT_INDEX, " ".join(words), filters, limit)
    except InvalidDirectory as error:
        _exit_with_problems(error, "fix them to search")
    click.echo(format_results(results, as_json=as_json))


def _add_report_commands() -> None:
    """Add the nightly reports (their module imports requests only when they run)."""
    from .reportcommands import check_links_command, stale_command

    main.add_command(check_links_command)
    main.add_command(stale_command)


_add_report_commands()


site_url_option = click.option(
    "--site-url",
    envvar="COOPDIR_SITE_URL",
    help="Where the site is published (https://...), as for the build: actors' ids start with it.",
)
followers_option = click.option(
    "--database",
    type=click.Path(path_type=Path),
    help="The followers' SQLite file, kept by the inbox service [default: beside the keys folder].",
)


def _fediverse_service(
    coops_dir: Path, site_url: str | None, database: Path | None, *, allow_http: bool = False
) -> tuple[str, tuple[Any, ...], Path, Path]:
    """Check the inputs the inbox and delivery share; return site URL, accounts, keys, database."""
    from .apvocab import accounts
    from .keys import default_keys_dir

    if not site_url or not (site_url.startswith("https://") or allow_http):
        sys.exit("Give the site's https:// address: --site-url or COOPDIR_SITE_URL.")
    directory = _load_or_exit(coops_dir)
    keys = default_keys_dir()
    return (
        site_url.rstrip("/"),
        tuple(accounts(directory)),
        keys,
        database or keys.parent / "followers.sqlite",
    )


@main.command()
@coops_option
@site_url_option
@followers_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8081, show_default=True)
def inbox(
    coops_dir: Path, site_url: str | None, database: Path | None, host: str, port: int
) -> None:
    """Run the inbox service, so that people can follow co-ops (behind the site's web server).

    It verifies signed Follow and Undo requests, keeps followers in SQLite and sends signed
    Accepts. Keys come from COOPDIR_KEYS_DIR, as for the build.
    """
    from aiohttp import web

    from .inbox import InboxSettings, make_app

    settings = InboxSettings(*_fediverse_service(coops_dir, site_url, database))
    web.run_app(make_app(settings), host=host, port=port)


@main.command()
@coops_option
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="The built site, whose outboxes are compared with what followers were sent.",
)
@site_url_option
@followers_option
@click.option("--concurrency", type=int, default=50, show_default=True,
              help="Requests in flight at once.")
@click.option("--allow-loopback", is_flag=True, hidden=True,
              help="Tests only: deliver over http to loopback addresses.")
def deliver(
    coops_dir: Path,
    output: Path,
    site_url: str | None,
    database: Path | None,
    concurrency: int,
    allow_loopback: bool,
) -> None:
    """Send followers what changed in the built outboxes: Create, Update, Delete, Announce.

    Run it after each build, with the same COOPDIR_SITE_URL and COOPDIR_KEYS_DIR, on the host
    where `coopdir inbox` keeps its followers. Failed deliveries are retried with backoff,
    in this run and the next ones; a server answering 410 Gone loses its followers.
    """
    from .delivery import DeliverySettings
    from .delivery import deliver as run_delivery

    url, accounts, keys, followers = _fediverse_service(
        coops_dir, site_url, database, allow_http=allow_loopback
    )
    if not (output / "ap").is_dir():
        sys.exit(f"{output}: no ap/ folder — build the site first (make html), then deliver.")
    settings = DeliverySettings(
        url,
        output,
        accounts,
        keys,
        followers,
        concurrency=concurrency,
        allow_http=allow_loopback,
        allow_loopback=allow_loopback,
    )
    try:
        report = run_delivery(settings)
    except FileNotFoundError as error:
        sys.exit(str(error))
    if report.baselines:
        click.echo(f"first run for {len(report.baselines)} account(s): their outboxes are the "
                   "baseline, nothing of them sent")
    click.echo(
        f"queued {report.queued}, delivered {report.sent}, failed attempts "
        f"{report.failed_attempts}, still pending {report.pending}, given up {report.gave_up}, "
        f"followers dropped (410) {report.dropped_followers}"
    )
