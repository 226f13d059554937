"""One test per rule of the co-op file checker: a small bad file, and the problem it must give.

Every test runs inside ``workdir`` (tmp_path as the working folder), so problems name their file
``coops/<slug>.yaml`` exactly as a contributor would see it, and checks on the fixed day TODAY.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import TODAY, check, problems_for, write_coop

from coopdir.load import LoadSettings, load_directory
from coopdir.problems import InvalidDirectory, Problem
from coopdir.schema import coop_schema

HEAD = "name: Example Co-op\nwebsite: https://example.coop/\n"
"""Lines 1-2 of most test files: the two required fields, valid."""
OPENING = HEAD + (
    "openings:\n"  # line 3
    "  - id: dev\n"  # line 4: the opening's mapping starts at column 5, the id's value at 9
    "    title: Developer\n"  # line 5: value at column 12
    "    posted: 2026-10-01\n"  # line 6: value at column 13
    "    apply: https://example.coop/jobs\n"  # line 7: value at column 12
)
"""A valid file with one valid opening; extra opening fields go on line 8, at column 5."""


def problems_in(workdir: Path, text: str, slug: str = "x", **kwargs) -> list[Problem]:
    write_coop(workdir, slug, text)
    return check(workdir / "coops", **kwargs)[1]


def check_text(workdir: Path, text: str, slug: str = "x") -> tuple[list, list[Problem]]:
    write_coop(workdir, slug, text)
    return check(workdir / "coops")


def write_bytes(workdir: Path, name: str, data: bytes) -> Path:
    folder = workdir / "coops"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def show(problems: list[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems) or "(no problems)"


def the_problem(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, show(problems)
    return problems[0]


def assert_problem(
    problem: Problem,
    where: str,
    field: str,
    message_words: list[str],
    hint_words: list[str],
) -> None:
    """Check the exact ``path:line:col: field:`` prefix and the words a person needs."""
    prefix = f"{where}: {field}: " if field else f"{where}: "
    assert str(problem).startswith(prefix), f"{problem}\n  does not start with {prefix!r}"
    assert problem.field == field, problem
    for word in message_words:
        assert word in problem.message, f"{word!r} not in message of: {problem}"
    for word in hint_words:
        assert word in problem.hint, f"{word!r} not in hint of: {problem}"


# --- reading YAML ----------------------------------------------------------------------------

READING_RULES = [
    pytest.param(
        HEAD + "name: Other Co-op\n",
        "coops/x.yaml:3:1", "name", ["`name` is written twice", "first on line 1"], ["keep one"],
        id="duplicate-key",
    ),
    pytest.param(
        OPENING + "    title: Backend developer\n",
        "coops/x.yaml:8:5", "openings[0].title", ["`title` is written twice", "first on line 5"],
        ["keep one"],
        id="duplicate-key-nested",
    ),
    pytest.param(
        "name: &coop Example Co-op\nwebsite: https://example.coop/\n",
        "coops/x.yaml:1:7", "name", ["anchor &coop is not allowed"], ["write the value out"],
        id="anchor",
    ),
    pytest.param(
        HEAD + "summary: *coop\n",
        "coops/x.yaml:3:10", "summary", ["alias *coop is not allowed"], ["write the value out"],
        id="alias",
    ),
    pytest.param(
        HEAD + "<<: {summary: Web things}\n",
        "coops/x.yaml:3:1", "", ["merge keys (<<) are not allowed"], ["fields out in full"],
        id="merge-key",
    ),
    pytest.param(
        HEAD + "---\nname: Second Co-op\n",
        "coops/x.yaml:3:1", "", ["more than one YAML document"], ["one co-op per file", "---"],
        id="several-documents",
    ),
    pytest.param(
        "", "coops/x.yaml:1:1", "", ["the file is empty"], ["name:", "website:"], id="empty-file",
    ),
    pytest.param(
        "# yaml-language-server: $schema=x.json\n\n",
        "coops/x.yaml:1:1", "", ["the file is empty"], ["name:"],
        id="only-a-comment",
    ),
    pytest.param(
        "- name: Example Co-op\n- website: https://example.coop/\n",
        "coops/x.yaml:1:1", "", ["must be a set of `field: value` lines"], ["name: Your Co-op"],
        id="a-list",
    ),
    pytest.param(
        "Example Co-op\n",
        "coops/x.yaml:1:1", "", ["must be a set of `field: value` lines"], ["left margin"],
        id="a-scalar",
    ),
    pytest.param(
        HEAD + "summary: we build: websites\n",
        "coops/x.yaml:3:18", "", ["not valid YAML", "mapping values are not allowed"],
        ["quotes"],
        id="syntax-colon-in-value",
    ),
    pytest.param(
        HEAD + "summary: [web, hosting\nfounded: 2009\n",
        "coops/x.yaml:4:8", "", ["not valid YAML"], ["indentation"],
        id="syntax-unclosed-list",
    ),
    pytest.param(
        HEAD + "contact:\n  fediverse: @coop@social.coop\n",
        "coops/x.yaml:4:14", "", ["not valid YAML"], ["starts with @", "quotes"],
        id="syntax-value-starting-with-at",
    ),
]


@pytest.mark.parametrize(("text", "where", "field", "message", "hint"), READING_RULES)
def test_reading_rule(
    workdir: Path, text: str, where: str, field: str, message: list[str], hint: list[str]
) -> None:
    problem = the_problem(problems_in(workdir, text))
    assert_problem(problem, where, field, message, hint)


def test_python_tag_is_refused_and_never_constructed(workdir: Path) -> None:
    sentinel = workdir / "constructed.txt"
    text = HEAD + f"summary: !!python/object/apply:builtins.open ['{sentinel}', 'w']\n"
    problem = the_problem(problems_in(workdir, text))
    assert_problem(
        problem, "coops/x.yaml:3:10", "summary",
        ["tag !!python/object/apply:builtins.open is not allowed"], ["remove the tag", "quotes"],
    )
    assert not sentinel.exists()


def test_a_tag_on_a_key_is_refused(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, HEAD + "!!str founded: 2009\n"))
    assert_problem(problem, "coops/x.yaml:3:1", "", ["tag !!str is not allowed"], ["remove"])


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(b"\xef\xbb\xbf", "UTF-8"), (b"\xff\xfe", "UTF-16")],
    ids=["utf8", "utf16"],
)
def test_byte_order_mark(workdir: Path, bom: bytes, encoding: str) -> None:
    write_bytes(workdir, "x.yaml", bom + HEAD.encode())
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(
        problem, "coops/x.yaml:1:1", "", [f"{encoding} byte-order mark"],
        ["without a byte-order mark"],
    )


def test_crlf_line_ends(workdir: Path) -> None:
    write_bytes(workdir, "x.yaml", HEAD.replace("\n", "\r\n").encode())
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(problem, "coops/x.yaml:1:20", "", ["CRLF"], ["Unix (LF) line ends"])


def test_tab_indentation(workdir: Path) -> None:
    write_bytes(workdir, "x.yaml", (HEAD + "locations:\n \t- country: DE\n").encode())
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(problem, "coops/x.yaml:4:2", "", ["tab is used for indentation"], ["spaces"])


@pytest.mark.parametrize(
    ("line", "where", "byte"),
    [
        (b"summary: Caf\xe9 and more\n", "coops/x.yaml:3:13", "0xe9"),
        # the column counts characters, not bytes: Ü and ï are two bytes each
        ("summary: Ünïon ".encode() + b"\x80\n", "coops/x.yaml:3:16", "0x80"),
    ],
    ids=["latin-1", "after-multibyte-characters"],
)
def test_byte_that_is_not_utf8(workdir: Path, line: bytes, where: str, byte: str) -> None:
    write_bytes(workdir, "x.yaml", HEAD.encode() + line)
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(problem, where, "", [f"byte {byte} is not UTF-8"], ["UTF-8"])


def test_file_over_the_size_limit(workdir: Path) -> None:
    text = HEAD + "summary: " + "x" * 150 + "\n"
    write_coop(workdir, "x", text)
    limit = len(text.encode()) - 1
    problem = the_problem(check(workdir / "coops", settings=LoadSettings(max_file_bytes=limit))[1])
    assert_problem(problem, "coops/x.yaml:1:1", "", [f"the limit is {limit:,}"], ["shorten"])


def test_file_exactly_at_the_size_limit_is_fine(workdir: Path) -> None:
    text = HEAD + "summary: " + "x" * 150 + "\n"
    write_coop(workdir, "x", text)
    settings = LoadSettings(max_file_bytes=len(text.encode()))
    coops, problems = check(workdir / "coops", settings=settings)
    assert problems == []
    assert coops[0].summary == "x" * 150


def test_file_over_the_size_limit_states_its_real_size(workdir: Path) -> None:
    text = HEAD + "summary: " + "x" * 5000 + "\n"
    write_coop(workdir, "x", text)
    problem = the_problem(check(workdir / "coops", settings=LoadSettings(max_file_bytes=1000))[1])
    assert "1,000" in problem.message
    assert "1,001" not in problem.message, problem


def test_control_character_is_pointed_at_in_one_line(workdir: Path) -> None:
    write_bytes(workdir, "x.yaml", (HEAD + "summary: Web\x07 things\n").encode())
    problem = the_problem(check(workdir / "coops")[1])
    assert (problem.line, problem.column) == (3, 13), problem
    assert "\n" not in str(problem)


@pytest.mark.parametrize(
    "summary", ['"Web\u2028things"', "Web\u2028things", "Web\u0085things"],
    ids=["quoted-line-separator", "plain-line-separator", "plain-next-line"],
)
def test_unicode_line_separators_do_not_shift_line_numbers(workdir: Path, summary: str) -> None:
    text = HEAD + f"summary: {summary}\nfounded: around 2009\n"
    problems = problems_in(workdir, text)
    assert problems
    real_lines = text.count("\n")
    assert all(problem.line <= real_lines for problem in problems), show(problems)
    assert all(problem.line in (3, 4) for problem in problems), show(problems)


# --- how plain values are read ---------------------------------------------------------------


def test_plain_values_are_read_as_written(workdir: Path) -> None:
    """``NO`` stays Norway, ``12:30`` stays a city name, dates stay dates."""
    write_coop(workdir, "x", HEAD + (
        "locations:\n"
        "  - country: NO\n"
        "    city: 12:30\n"
        "legal_form: Norsk SA\n"
    ))
    coops, problems = check(workdir / "coops")
    assert problems == [], show(problems)
    place = coops[0].locations[0]
    assert (place.country, place.city) == ("NO", "12:30")


TYPE_RULES = [
    pytest.param(
        "legal_form: 1.10\n", "coops/x.yaml:3:13", "legal_form",
        ["expected text", "1.10"], ["put it in quotes", "'1.10'"],
        id="version-like-number-in-text",
    ),
    pytest.param(
        'founded: "1999"\n', "coops/x.yaml:3:10", "founded",
        ["expected a whole number", "'1999'"], ["without quotes", ": 1999"],
        id="quoted-number",
    ),
    pytest.param(
        "founded: 0123\n", "coops/x.yaml:3:10", "founded",
        ["expected a whole number", "'0123'"], ["leading zeros", ": 123"],
        id="leading-zero",
    ),
    pytest.param(
        "founded: 2009.5\n", "coops/x.yaml:3:10", "founded",
        ["whole number", "2009.5"], ["remove the fraction"],
        id="fraction-for-whole-number",
    ),
    pytest.param(
        "founded: about 2009\n", "coops/x.yaml:3:10", "founded",
        ["expected a whole number", "'about 2009'"], ["plain number"],
        id="words-for-a-number",
    ),
    pytest.param(
        "hires_from:\n  worldwide: yes\n", "coops/x.yaml:4:14", "hires_from.worldwide",
        ["expected true or false", "'yes'"], ["write true or false"],
        id="yes-for-boolean",
    ),
    pytest.param(
        "hires_from:\n  worldwide: on\n", "coops/x.yaml:4:14", "hires_from.worldwide",
        ["expected true or false", "'on'"], ["write true or false"],
        id="on-for-boolean",
    ),
    pytest.param(
        "remote: on\n", "coops/x.yaml:3:9", "remote",
        ["'on' is not allowed"], ["fully-remote", "on-site"],
        id="on-for-enum",
    ),
    pytest.param(
        "status: yes\n", "coops/x.yaml:3:9", "status",
        ["'yes' is not allowed"], ["active", "dissolved"],
        id="yes-for-enum",
    ),
    pytest.param(
        "legal_form: true\n", "coops/x.yaml:3:13", "legal_form",
        ["expected text", "true"], ["put it in quotes: 'true'"],
        id="boolean-for-text",
    ),
    pytest.param(
        "locations: Leipzig\n", "coops/x.yaml:3:12", "locations",
        ["expected a list"], ["- item"],
        id="text-for-list",
    ),
    pytest.param(
        "hiring: yes\n", "coops/x.yaml:3:9", "hiring",
        ["expected a set of fields"], ["fields of its own"],
        id="text-for-object",
    ),
]


@pytest.mark.parametrize(("extra", "where", "field", "message", "hint"), TYPE_RULES)
def test_type_rule(
    workdir: Path, extra: str, where: str, field: str, message: list[str], hint: list[str]
) -> None:
    problem = the_problem(problems_in(workdir, HEAD + extra))
    assert_problem(problem, where, field, message, hint)


def test_whole_number_written_with_a_fraction(workdir: Path) -> None:
    coops, problems = check_text(workdir, HEAD + "founded: 2009.0\nmembers: 5.0\n")
    if not problems:
        assert isinstance(coops[0].founded, int) and isinstance(coops[0].members, int)


def test_number_too_large_to_be_real(workdir: Path) -> None:
    text = OPENING + "    pay:\n      min: 1.0e999\n      currency: EUR\n      period: year\n"
    coops, problems = check_text(workdir, text)
    assert problems, f"accepted, pay.min = {coops[0].openings[0].pay.min}"


# --- field names and enumerations ------------------------------------------------------------

NAME_RULES = [
    pytest.param(
        HEAD + "webiste: https://example.coop/\n", "coops/x.yaml:3:1", "webiste",
        ["unknown field `webiste`"], ["did you mean website?"],
        id="unknown-key-close-match",
    ),
    pytest.param(
        OPENING + "    titel: Developer\n", "coops/x.yaml:8:5", "openings[0].titel",
        ["unknown field `titel`"], ["did you mean title?"],
        id="unknown-key-nested",
    ),
    pytest.param(
        HEAD + "favourite_colour: blue\n", "coops/x.yaml:3:1", "favourite_colour",
        ["unknown field `favourite_colour`"],
        ["allowed here:", "name", "website", "openings", "provenance"],
        id="unknown-key-no-close-match",
    ),
    pytest.param(
        HEAD + "status: dissolve\n", "coops/x.yaml:3:9", "status",
        ["'dissolve' is not allowed"], ["did you mean dissolved?"],
        id="misspelled-enum",
    ),
    pytest.param(
        HEAD + "governance: concensus\n", "coops/x.yaml:3:13", "governance",
        ["'concensus' is not allowed"], ["did you mean consensus"],
        id="misspelled-enum-2",
    ),
    pytest.param(
        HEAD + "status: Active\n", "coops/x.yaml:3:9", "status",
        ["'Active' is not allowed"], ["lowercase: active"],
        id="enum-in-capitals",
    ),
    pytest.param(
        HEAD + "technologies: [django, pyhton]\n", "coops/x.yaml:3:24", "technologies[1]",
        ["'pyhton'", "vocab/technologies.yaml"], ["did you mean python"],
        id="technology-misspelled",
    ),
    pytest.param(
        HEAD + "sectors: [eductaion]\n", "coops/x.yaml:3:11", "sectors[0]",
        ["'eductaion'", "vocab/sectors.yaml"], ["did you mean education"],
        id="sector-misspelled",
    ),
    pytest.param(
        HEAD + "networks:\n  - network: cotec\n    evidence: https://www.coops.tech/\n",
        "coops/x.yaml:4:14", "networks[0].network",
        ["'cotec'", "vocab/networks.yaml"], ["did you mean cotech"],
        id="network-misspelled",
    ),
    pytest.param(
        HEAD + "technologies: [zzqqxx]\n", "coops/x.yaml:3:16", "technologies[0]",
        ["'zzqqxx'", "vocab/technologies.yaml"], ["pick a term", "propose a new one"],
        id="technology-unknown",
    ),
    pytest.param(
        HEAD + "technologies: [python, hosting]\n", "coops/x.yaml:3:24", "technologies[1]",
        ["'hosting' is in vocab/services.yaml, not vocab/technologies.yaml"],
        ["move it to `services`"],
        id="term-from-another-vocabulary",
    ),
    pytest.param(
        HEAD + "technologies: [python, python]\n", "coops/x.yaml:3:24", "technologies[1]",
        ["'python' is listed twice"], ["remove the repeat"],
        id="listed-twice",
    ),
]


@pytest.mark.parametrize(("text", "where", "field", "message", "hint"), NAME_RULES)
def test_name_rule(
    workdir: Path, text: str, where: str, field: str, message: list[str], hint: list[str]
) -> None:
    problem = the_problem(problems_in(workdir, text))
    assert_problem(problem, where, field, message, hint)


def test_vocabulary_aliases_are_accepted_and_normalised(workdir: Path) -> None:
    text = OPENING.replace("openings:", "technologies: [js, Python, postgres]\nopenings:") + (
        "    technologies: [JS, py]\n"
    )
    coops, problems = check_text(workdir, text)
    assert problems == [], show(problems)
    assert coops[0].technologies == ("javascript", "python", "postgresql")
    assert coops[0].openings[0].technologies == ("javascript", "python")


def test_alias_and_its_term_count_once(workdir: Path) -> None:
    coops, problems = check_text(workdir, HEAD + "technologies: [js, javascript]\n")
    assert problems == [], show(problems)
    assert coops[0].technologies == ("javascript",)


# --- formats ---------------------------------------------------------------------------------

URL_RULES = [
    pytest.param("htp://example.coop/", ["not a web address"], ["did you mean https://example.coop/?"],
                 id="htp-typo"),
    pytest.param("https//example.coop/", ["not a web address"],
                 ["did you mean https://example.coop/?"], id="missing-colon"),
    pytest.param("javascript:alert(1)", ["not a web address"], ["https://"], id="javascript"),
    pytest.param("data:text/html,hi", ["not a web address"], ["https://"], id="data"),
    pytest.param("ftp://example.coop/", ["not a web address"], ["starting with https://"],
                 id="ftp"),
    pytest.param("example.coop", ["has no https://"], ["write https://example.coop"],
                 id="missing-scheme"),
    pytest.param("https://admin:secret@example.coop/", ["user name or password"],
                 ["never put credentials"], id="credentials"),
    pytest.param('"https://example.coop/our team"', ["contains spaces"], ["remove the spaces"],
                 id="spaces"),
    pytest.param('" https://example.coop/"', ["contains spaces"], ["remove the spaces"],
                 id="leading-space"),
    pytest.param("https://localhost/", ["no valid host name"], ["full address"], id="no-domain"),
    pytest.param("https://example.coop:99999/", ["not a web address"], ["typos"], id="bad-port"),
]


@pytest.mark.parametrize(("url", "message", "hint"), URL_RULES)
def test_url_rule(workdir: Path, url: str, message: list[str], hint: list[str]) -> None:
    problem = the_problem(problems_in(workdir, f"name: Example Co-op\nwebsite: {url}\n"))
    assert_problem(problem, "coops/x.yaml:2:10", "website", message, hint)


@pytest.mark.parametrize(
    "url", ["https://example.coop/", "http://example.coop", "https://xn--bcher-kva.example/a?b=c#d"]
)
def test_good_urls_pass(workdir: Path, url: str) -> None:
    coops, problems = check_text(workdir, f"name: Example Co-op\nwebsite: {url}\n")
    assert problems == [], show(problems)
    assert coops[0].website == url


def test_apply_accepts_mailto(workdir: Path) -> None:
    coops, problems = check_text(
        workdir, OPENING.replace("https://example.coop/jobs", "mailto:jobs@example.coop")
    )
    assert problems == [], show(problems)
    assert coops[0].openings[0].apply == "mailto:jobs@example.coop"


@pytest.mark.parametrize(
    ("apply", "message", "hint"),
    [
        ("jobs@example.coop", ["is an email address, not a link"],
         ["write mailto:jobs@example.coop"]),
        ("mailto:jobs", ["is not an email link"], ["mailto:jobs@example.coop"]),
        ("javascript:alert(1)", ["not a web address"], ["https://"]),
    ],
    ids=["bare-email", "mailto-without-domain", "javascript"],
)
def test_apply_rule(workdir: Path, apply: str, message: list[str], hint: list[str]) -> None:
    text = OPENING.replace("https://example.coop/jobs", apply)
    problem = the_problem(problems_in(workdir, text))
    assert_problem(problem, "coops/x.yaml:7:12", "openings[0].apply", message, hint)


def test_contact_email_rule(workdir: Path) -> None:
    problem = the_problem(
        problems_in(workdir, HEAD + "contact:\n  email: mailto:hello@example.coop\n")
    )
    assert_problem(
        problem, "coops/x.yaml:4:10", "contact.email", ["starts with mailto:"],
        ["only the address: hello@example.coop"],
    )


def test_invalid_calendar_date(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, HEAD + "status_since: 2026-02-30\n"))
    assert_problem(
        problem, "coops/x.yaml:3:15", "status_since", ["2026-02-30 is not a real date"],
        ["month and the day"],
    )


@pytest.mark.parametrize("written", ["01/03/2026", "2026-3-1", "1 March 2026", "2026-10-01T10:00"])
def test_date_not_written_yyyy_mm_dd(workdir: Path, written: str) -> None:
    problems = problems_in(workdir, OPENING.replace("2026-10-01", written))
    assert problems, "accepted"
    assert {f"{p.path}:{p.line}:{p.column}" for p in problems} == {"coops/x.yaml:6:13"}
    assert {p.field for p in problems} == {"openings[0].posted"}
    assert any("YYYY-MM-DD" in p.hint for p in problems), show(problems)


def test_closes_before_posted(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, OPENING + "    closes: 2026-09-30\n"))
    assert_problem(
        problem, "coops/x.yaml:8:13", "openings[0].closes",
        ["closes on 2026-09-30", "before it was posted on 2026-10-01"], ["both dates"],
    )


def test_closes_on_the_day_it_is_posted_is_fine(workdir: Path) -> None:
    coops, problems = check_text(workdir, OPENING + "    closes: 2026-10-01\n")
    assert problems == [], show(problems)
    assert coops[0].openings[0].closes == dt.date(2026, 10, 1)


def test_date_written_as_a_number_gets_the_date_hint(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, OPENING.replace("2026-10-01", "20261001")))
    assert_problem(problem, "coops/x.yaml:6:13", "openings[0].posted", [], ["YYYY-MM-DD"])


@pytest.mark.parametrize(
    ("extra", "where", "field"),
    [
        ("members: -3\n", "coops/x.yaml:3:10", "members"),
        ("workers: -1\n", "coops/x.yaml:3:10", "workers"),
        ("membership:\n  candidacy_months: -6\n", "coops/x.yaml:4:21",
         "membership.candidacy_months"),
    ],
)
def test_negative_count(workdir: Path, extra: str, where: str, field: str) -> None:
    problem = the_problem(problems_in(workdir, HEAD + extra))
    assert_problem(problem, where, field, ["too small", "at least 0"], [])


def test_exclusive_minimum_is_worded_as_more_than(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, OPENING + "    hours_per_week: 0\n"))
    assert_problem(problem, "coops/x.yaml:8:21", "openings[0].hours_per_week", ["too small"], [])
    assert "at least 0" not in problem.message
    assert "more than 0" in problem.message


@pytest.mark.parametrize(
    ("country", "message", "hint"),
    [
        ("UK", ["UK is not an ISO 3166-1 code"], ["write GB"]),
        ("de", ["'de' must be in capitals"], ["write DE"]),
        ("Germany", ["'Germany' is not a two-letter country code"], ["did you mean DE?"]),
        ("Atlantis", ["'Atlantis' is not a country code"], ["two-letter ISO 3166-1 code"]),
    ],
)
def test_invalid_country(workdir: Path, country: str, message: list[str], hint: list[str]) -> None:
    problem = the_problem(problems_in(workdir, HEAD + f"locations:\n  - country: {country}\n"))
    assert_problem(problem, "coops/x.yaml:4:14", "locations[0].country", message, hint)


@pytest.mark.parametrize("country", ['""', '" "', '"["', "XX"])
def test_country_that_names_no_country_gets_no_made_up_suggestion(
    workdir: Path, country: str
) -> None:
    problem = the_problem(problems_in(workdir, HEAD + f"locations:\n  - country: {country}\n"))
    assert "did you mean" not in problem.hint, problem


@pytest.mark.parametrize("tag", ["english", "en-", "e"])
def test_invalid_language_tag(workdir: Path, tag: str) -> None:
    problem = the_problem(problems_in(workdir, HEAD + f"languages: [en, {tag}]\n"))
    assert_problem(
        problem, "coops/x.yaml:3:17", "languages[1]", [f"'{tag}' is not a BCP 47 language tag"],
        ["pt-BR"],
    )


def test_language_with_underscore_is_refused(workdir: Path) -> None:
    problems = problems_in(workdir, HEAD + "languages: [en_GB]\n")
    assert problems, "en_GB was accepted"


@pytest.mark.parametrize(
    ("currency", "message", "hint"),
    [
        ("euro", ["'euro' is not a currency code"], ["ISO 4217", "EUR"]),
        ("eur", ["'eur' must be in capitals"], ["write EUR"]),
        ("€", ["'€' is a symbol, not a code"], ["write EUR"]),
    ],
)
def test_invalid_currency(
    workdir: Path, currency: str, message: list[str], hint: list[str]
) -> None:
    text = HEAD + f"membership:\n  buy_in:\n    amount: 500\n    currency: {currency}\n"
    problem = the_problem(problems_in(workdir, text))
    assert_problem(problem, "coops/x.yaml:6:15", "membership.buy_in.currency", message, hint)


# --- required fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "missing", "described"),
    [
        ("website: https://example.coop/\n", "name", "as it writes it itself"),
        ("name: Example Co-op\n", "website", "own website"),
    ],
)
def test_missing_required_field(workdir: Path, text: str, missing: str, described: str) -> None:
    problem = the_problem(problems_in(workdir, "# a comment first\n" + text))
    assert_problem(
        problem, "coops/x.yaml:2:1", "", [f"`{missing}` is missing"],
        [f"add `{missing}:`", described],
    )


def test_missing_opening_fields(workdir: Path) -> None:
    problems = problems_in(workdir, HEAD + "openings:\n  - kind: job\n    remote: remote\n")
    assert problems
    assert {f"{p.path}:{p.line}:{p.column}: {p.field}" for p in problems} == {
        "coops/x.yaml:4:5: openings[0]"
    }
    assert {p.message for p in problems} == {
        "`id` is missing", "`title` is missing", "`posted` is missing", "`apply` is missing"
    }
    for problem in problems:
        name = problem.message.split("`")[1]
        assert problem.hint.startswith(f"add `{name}:` ("), problem


def test_each_missing_field_is_reported_once(workdir: Path) -> None:
    problems = problems_in(workdir, HEAD + "openings:\n  - kind: job\n")
    assert len(problems) == 4, show(problems)


def test_duplicate_opening_id(workdir: Path) -> None:
    text = OPENING + (
        "  - id: dev\n"  # line 8
        "    title: Designer\n"
        "    posted: 2026-10-02\n"
        "    apply: https://example.coop/jobs\n"
    )
    problem = the_problem(problems_in(workdir, text))
    assert_problem(
        problem, "coops/x.yaml:8:9", "openings[1].id", ["'dev' is already used on line 4"],
        ["own id", "never reuse"],
    )


# --- rules across fields ---------------------------------------------------------------------

PAY = OPENING + "    pay:\n"  # the pay block's fields start on line 9, at column 7


def test_pay_min_above_max(workdir: Path) -> None:
    text = PAY + "      min: 60000\n      max: 50000\n      currency: EUR\n      period: year\n"
    problem = the_problem(problems_in(workdir, text))
    assert_problem(
        problem, "coops/x.yaml:9:12", "openings[0].pay.min", ["min (60000) is above max (50000)"],
        ["swap them"],
    )


def test_pay_amount_without_currency(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, PAY + "      max: 50000\n      period: year\n"))
    assert_problem(
        problem, "coops/x.yaml:9:7", "openings[0].pay", ["pay amount needs a currency"],
        ["currency: EUR"],
    )


def test_pay_amount_without_period(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, PAY + "      min: 20\n      currency: EUR\n"))
    assert_problem(
        problem, "coops/x.yaml:9:7", "openings[0].pay", ["needs a period"], ["period: year"]
    )


def test_pay_currency_without_amount(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, PAY + "      currency: EUR\n"))
    assert_problem(problem, "coops/x.yaml:9:7", "openings[0].pay", ["need an amount"], ["min:"])


@pytest.mark.parametrize("model", ["", "pay_model: equal-pay\n"], ids=["no-model", "other-model"])
def test_pay_ratio_without_pay_ratio_model(workdir: Path, model: str) -> None:
    problem = the_problem(problems_in(workdir, HEAD + model + "pay_ratio: 1.5\n"))
    line = 3 + model.count("\n")
    assert_problem(
        problem, f"coops/x.yaml:{line}:1", "pay_ratio", ["pay_model is not pay-ratio"],
        ["pay_model: pay-ratio"],
    )


@pytest.mark.parametrize(
    ("text", "where", "field"),
    [
        (HEAD + "hires_from:\n  worldwide: true\n  countries: [DE]\n", "coops/x.yaml:4:14",
         "hires_from.worldwide"),
        (HEAD + "hires_from:\n  regions: [europe]\n  worldwide: true\n", "coops/x.yaml:5:14",
         "hires_from.worldwide"),
        (OPENING + "    applicants_from:\n      worldwide: true\n      countries: [FR]\n",
         "coops/x.yaml:9:18", "openings[0].applicants_from.worldwide"),
    ],
    ids=["countries", "regions", "opening"],
)
def test_worldwide_and_places(workdir: Path, text: str, where: str, field: str) -> None:
    problem = the_problem(problems_in(workdir, text))
    assert_problem(problem, where, field, ["worldwide and also lists places"], ["worldwide: true"])


@pytest.mark.parametrize(
    ("extra", "where", "field", "value"),
    [
        ("founded: 2027\n", "coops/x.yaml:3:10", "founded", "2027"),
        ("status_since: 2026-11-03\n", "coops/x.yaml:3:15", "status_since", "2026-11-03"),
        ("hiring:\n  status: hiring\n  confirmed: 2027-01-01\n", "coops/x.yaml:5:14",
         "hiring.confirmed", "2027-01-01"),
        ("provenance:\n  added_by: coop\n  last_verified: 2026-12-01\n", "coops/x.yaml:5:18",
         "provenance.last_verified", "2026-12-01"),
    ],
)
def test_date_in_the_future(workdir: Path, extra: str, where: str, field: str, value: str) -> None:
    problem = the_problem(problems_in(workdir, HEAD + extra))
    assert_problem(problem, where, field, [f"{value} is in the future"], ["give the"])


def test_this_year_and_today_are_not_the_future(workdir: Path) -> None:
    extra = f"founded: {TODAY.year}\nstatus_since: {TODAY.isoformat()}\n"
    assert problems_in(workdir, HEAD + extra) == []


def test_tomorrow_is_allowed_for_authors_a_timezone_ahead_of_utc(workdir: Path) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    assert problems_in(workdir, HEAD + f"status_since: {tomorrow.isoformat()}\n") == []


@pytest.mark.parametrize(
    "summary",
    ['"We build websites\\nand host them"', "|\n  We build websites\n  and host them"],
    ids=["quoted", "block"],
)
def test_multi_line_text_in_one_line_field(workdir: Path, summary: str) -> None:
    problem = the_problem(problems_in(workdir, HEAD + f"summary: {summary}\n"))
    assert_problem(problem, "coops/x.yaml:3:10", "summary", ["must be one line"], ["description"])


@pytest.mark.parametrize("style", ["|", ">"])
def test_one_line_block_scalar_does_not_keep_its_newline(workdir: Path, style: str) -> None:
    coops, problems = check_text(workdir, HEAD + f"summary: {style}\n  We build\n")
    assert problems or "\n" not in coops[0].summary, repr(coops[0].summary)


def test_blank_text(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, 'name: "   "\nwebsite: https://example.coop/\n'))
    assert_problem(problem, "coops/x.yaml:1:7", "name", ["is blank"], ["write something"])


def test_name_over_max_length(workdir: Path) -> None:
    text = "name: " + "N" * 10_000 + "\nwebsite: https://example.coop/\n"
    problem = the_problem(problems_in(workdir, text))
    assert_problem(
        problem, "coops/x.yaml:1:7", "name", ["10,000 characters long", "limit is 120"], ["shorten"]
    )


# --- rules across files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "other", ["http://www.example.coop", "https://EXAMPLE.coop/", "https://www.example.coop/"]
)
def test_websites_unique_across_files(workdir: Path, other: str) -> None:
    write_coop(workdir, "alpha", HEAD)
    write_coop(workdir, "beta", f"name: Beta\nwebsite: {other}\n")
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(
        problem, "coops/beta.yaml:2:10", "website", ["coops/alpha.yaml already uses this website"],
        ["listed once"],
    )


def test_websites_on_one_host_with_different_paths_are_different(workdir: Path) -> None:
    write_coop(workdir, "alpha", "name: Alpha\nwebsite: https://coops.example/alpha/\n")
    write_coop(workdir, "beta", "name: Beta\nwebsite: https://coops.example/beta\n")
    assert problems_for(workdir / "coops") == []


def test_lineage_slug_that_does_not_exist(workdir: Path) -> None:
    write_coop(workdir, "example", HEAD)
    write_coop(workdir, "spin", (
        "name: Spin\nwebsite: https://spin.example/\nlineage:\n  spun_off_from: [exmaple]\n"
    ))
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(
        problem, "coops/spin.yaml:4:19", "lineage.spun_off_from[0]",
        ["no co-op has the slug 'exmaple'"], ["did you mean example?"],
    )


def test_lineage_slug_with_no_close_match(workdir: Path) -> None:
    problem = the_problem(problems_in(workdir, HEAD + "lineage:\n  spun_off_from: [zzz]\n"))
    assert_problem(
        problem, "coops/x.yaml:4:19", "lineage.spun_off_from[0]", ["no co-op has the slug 'zzz'"],
        ["file name (without .yaml)"],
    )


def test_lineage_to_self(workdir: Path) -> None:
    text = HEAD + "status: dissolved\nlineage:\n  merged_into: x\n"
    problem = the_problem(problems_in(workdir, text))
    assert_problem(
        problem, "coops/x.yaml:5:16", "lineage.merged_into", ["cannot be its own parent"],
        ["other co-op's slug"],
    )


def test_merged_into_needs_status_dissolved(workdir: Path) -> None:
    write_coop(workdir, "bigger", "name: Bigger\nwebsite: https://bigger.example/\n")
    problem = the_problem(problems_in(workdir, HEAD + "lineage:\n  merged_into: bigger\n"))
    assert_problem(
        problem, "coops/x.yaml:4:16", "lineage.merged_into", ["merged into another is dissolved"],
        ["status: dissolved"],
    )


def test_lineage_to_a_file_with_problems_is_not_reported_missing(workdir: Path) -> None:
    write_coop(workdir, "parent", "name: Parent\nwebsite: https://parent.example/\nfonded: 2001\n")
    write_coop(workdir, "child", HEAD + "lineage:\n  spun_off_from: [parent]\n")
    problems = check(workdir / "coops")[1]
    assert [p.path for p in problems] == ["coops/parent.yaml"], show(problems)


def test_file_name_not_a_slug(workdir: Path) -> None:
    (workdir / "coops").mkdir()
    (workdir / "coops" / "My Coop.yaml").write_text(HEAD, "utf-8")
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(
        problem, "coops/My Coop.yaml:1:1", "", ["'My Coop.yaml' is not a slug"],
        ["lowercase letters, digits and hyphens", "my-coop.yaml"],
    )


@pytest.mark.parametrize("suffix", [".yml", ".json", ".YAML"])
def test_wrong_extension_in_a_folder(workdir: Path, suffix: str) -> None:
    write_coop(workdir, "good", HEAD)
    (workdir / "coops" / f"other{suffix}").write_text("name: Other\nwebsite: https://o.example/\n")
    problem = the_problem(check(workdir / "coops")[1])
    assert_problem(
        problem, f"coops/other{suffix}:1:1", "", [f"end in .yaml, not {suffix}"],
        ["rename it to other.yaml"],
    )


def test_missing_path(workdir: Path) -> None:
    problem = the_problem(check(workdir / "nowhere")[1])
    assert_problem(problem, "nowhere:1:1", "", ["no such file or folder"], ["check the path"])


# --- everything at once ----------------------------------------------------------------------


def test_all_problems_of_all_files_in_one_run(workdir: Path) -> None:
    write_coop(workdir, "beta", (
        "name: Beta\n"
        "website: htp://beta.example/\n"          # 2: typo in the scheme
        "founded: '2001'\n"                       # 3: quoted number
        "locations:\n"
        "  - country: Germany\n"                  # 5: not a code
        "webiste: https://beta.example/\n"        # 6: unknown field
    ))
    write_coop(workdir, "alpha", OPENING + (
        "    closes: 2026-09-01\n"                # 8: before posted
        "    pay:\n"
        "      min: 60000\n"                      # 10: above max
        "      max: 50000\n"
        "      currency: EUR\n"
        "      period: year\n"
        "pay_ratio: 2\n"                          # 14: without pay_model
    ))
    write_coop(workdir, "gamma", "name: Gamma\nwebsite: https://gamma.example/\n")
    (workdir / "coops" / "delta.yml").write_text("name: Delta\n")

    problems = problems_for(workdir / "coops")
    where = [re.match(r"(\S+?):(\d+):\d+:", line).groups() for line in problems]
    assert where == [
        ("coops/alpha.yaml", "8"),
        ("coops/alpha.yaml", "10"),
        ("coops/alpha.yaml", "14"),
        ("coops/beta.yaml", "2"),
        ("coops/beta.yaml", "3"),
        ("coops/beta.yaml", "5"),
        ("coops/beta.yaml", "6"),
        ("coops/delta.yml", "1"),
    ], "\n".join(problems)
    with pytest.raises(InvalidDirectory) as raised:
        load_directory(workdir / "coops", today=TODAY)
    assert [str(p) for p in raised.value.problems] == problems
    assert str(raised.value) == "\n".join(problems)


# --- a valid file with every field -----------------------------------------------------------

RICH = """\
# yaml-language-server: $schema=../plugins/coopdir/schema/coop.schema.json
name: Rich Tech Co-op
website: https://rich.example.coop/
summary: Web development and hosting for non-profits.
description: |
  # Who we are
  We build **websites**.<script>alert(1)</script>
  [click](javascript:alert(1)) <img src=x onerror=alert(1)> [us](https://rich.example.coop/)
logo: https://rich.example.coop/logo.png
founded: 2009
status: active
status_since: 2020-01-15
type: worker-coop
legal_form: eG
registration:
  registry: Amtsgericht Leipzig
  number: "GnR 1234"
  url: https://register.example/1234
networks:
  - network: CoTech
    evidence: https://www.coops.tech/members
services: [webdev, hosting]
technologies: [python, js]
sectors: [education]
locations:
  - country: NO
    region: Oslo
    city: 12:30
  - country: DE
remote: remote-first
hires_from:
  worldwide: false
  countries: [DE, NO]
  regions: [europe]
languages: [en, de, pt-BR]
timezones:
  earliest: UTC-05:00
  latest: UTC+02:00
members: 12
workers: 15
governance: consent
pay_model: pay-ratio
pay_ratio: 1.5
membership:
  candidacy_months: 6
  buy_in:
    amount: 500
    currency: EUR
    terms: from wages over two years
  decided_by: consensus of all members
  notes: ask us anything
hiring:
  status: hiring
  confirmed: 2026-10-20
contact:
  email: hello@rich.example.coop
  fediverse: "@rich@social.example"
  links:
    - kind: forge
      url: https://git.example.coop/rich
lineage:
  spun_off_from: [old-coop]
provenance:
  added_by: third-party
  added: 2026-10-01
  source: https://list.example/coops
  last_verified: 2026-10-30
openings:
  - id: backend-dev-2026
    title: Backend developer
    kind: member-track
    employment_type: [full-time, part-time]
    description: |
      ## The work
      <iframe src="https://evil.example/"></iframe>Python, mostly.
    posted: 2026-10-01
    closes: 2026-12-15
    updated: 2026-10-20
    apply: mailto:jobs@rich.example.coop
    remote: hybrid
    location:
      country: DE
      region: Sachsen
      city: Leipzig
    applicants_from:
      worldwide: true
    timezones:
      earliest: UTC
      latest: UTC+03:00
    overlap_hours: 4
    hours_per_week: 32.5
    pay:
      min: 48000
      max: 52000
      currency: EUR
      period: year
      policy: equal pay for all members
    technologies: [python, postgres]
    languages: [en]
    example: true
  - id: old-role
    title: Old role
    posted: 2026-05-01
    apply: https://rich.example.coop/jobs/old
    applicants_from:
      countries: [DE]
      regions: [european-union]
"""

OLD = """\
name: Old Co-op
website: https://old.example/
status: dissolved
status_since: 2019-12-31
lineage:
  merged_into: rich
"""


def schema_fields(node: dict, schema: dict, prefix: str = "") -> set[str]:
    """Every field path the schema allows, with lists written as [] (as in CONTRIBUTING.md)."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]] | node
    found: set[str] = set()
    if node.get("type") == "array":
        return schema_fields(node["items"], schema, prefix + "[]")
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        found |= {path} | schema_fields(child, schema, path)
    return found


def data_fields(value: object, prefix: str = "") -> set[str]:
    if isinstance(value, list):
        return set().union(*(data_fields(item, prefix + "[]") for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for name, child in value.items():
        path = f"{prefix}.{name}" if prefix else name
        found |= {path} | data_fields(child, path)
    return found


def test_the_rich_example_uses_every_field_of_the_schema() -> None:
    used = data_fields(yaml.safe_load(RICH)) | data_fields(yaml.safe_load(OLD))
    missing = schema_fields(coop_schema(), coop_schema()) - used
    assert missing == set()


def test_valid_rich_file_loads_into_the_models(workdir: Path) -> None:
    write_coop(workdir, "rich", RICH)
    write_coop(workdir, "old-coop", OLD)
    directory = load_directory(workdir / "coops", today=TODAY)
    assert [coop.slug for coop in directory.coops] == ["old-coop", "rich"]
    rich = directory.by_slug["rich"]
    old = directory.by_slug["old-coop"]

    assert rich.name == "Rich Tech Co-op"
    assert rich.source.path == "coops/rich.yaml"
    assert rich.founded == 2009
    assert rich.status_since == dt.date(2020, 1, 15)
    assert isinstance(rich.status_since, dt.date)
    assert rich.registration.number == "GnR 1234"
    assert [(n.network, n.evidence) for n in rich.networks] == [
        ("cotech", "https://www.coops.tech/members")
    ]
    assert rich.services == ("web-development", "hosting")
    assert rich.technologies == ("python", "javascript")
    assert rich.sectors == ("education",)
    assert [(p.country, p.region, p.city) for p in rich.locations] == [
        ("NO", "Oslo", "12:30"), ("DE", None, None)
    ]
    assert rich.hires_from.worldwide is False
    assert old_role_reach(rich) == (("DE",), ("european-union",))
    assert rich.hires_from.countries == ("DE", "NO")
    assert rich.hires_from.regions == ("europe",)
    assert rich.languages == ("en", "de", "pt-BR")
    assert (rich.timezones.earliest, rich.timezones.latest) == ("UTC-05:00", "UTC+02:00")
    assert (rich.members, rich.workers, rich.pay_ratio) == (12, 15, 1.5)
    assert rich.membership.buy_in.amount == 500
    assert rich.membership.buy_in.currency == "EUR"
    assert rich.membership.candidacy_months == 6
    assert rich.hiring.confirmed == dt.date(2026, 10, 20)
    assert rich.contact.fediverse == "@rich@social.example"
    assert [(link.kind, link.url) for link in rich.contact.links] == [
        ("forge", "https://git.example.coop/rich")
    ]
    assert rich.lineage.spun_off_from == ("old-coop",)
    assert rich.provenance.last_verified == dt.date(2026, 10, 30)
    assert rich.provenance.added == dt.date(2026, 10, 1)
    assert old.lineage.merged_into == "rich"
    assert old.status == "dissolved"

    new, old_role = rich.openings
    assert new.key == "rich/backend-dev-2026"
    assert (new.posted, new.closes, new.closes_given) == (
        dt.date(2026, 10, 1), dt.date(2026, 12, 15), True
    )
    assert new.employment_type == ("full-time", "part-time")
    assert new.location.city == "Leipzig"
    assert new.applicants_from.worldwide is True
    assert (new.pay.min, new.pay.max, new.pay.currency, new.pay.period) == (
        48000, 52000, "EUR", "year"
    )
    assert new.technologies == ("python", "postgresql")
    assert new.hours_per_week == 32.5
    assert new.example is True
    assert old_role.closes_given is False
    assert old_role.closes == dt.date(2026, 5, 1) + dt.timedelta(days=90)
    assert old_role.kind == "job"
    assert new.is_open(TODAY)
    assert not old_role.is_open(TODAY)
    assert not new.is_open(dt.date(2026, 9, 30))
    assert new.is_open(dt.date(2026, 12, 15))
    assert not new.is_open(dt.date(2026, 12, 16))
    assert directory.open_openings() == [new]
    assert directory.openings() == [new, old_role]

    html = BeautifulSoup(rich.description_html, "html.parser")
    assert html.h3.get_text() == "Who we are"
    assert html.strong.get_text() == "websites"
    assert html.find_all(["script", "img", "h1"]) == []
    assert [a["href"] for a in html.find_all("a")] == ["https://rich.example.coop/"]
    opening_html = BeautifulSoup(new.description_html, "html.parser")
    assert opening_html.h3.get_text() == "The work"
    assert opening_html.find("iframe") is None
    assert old.description_html == ""


def old_role_reach(coop) -> tuple:
    reach = coop.openings[1].applicants_from
    return reach.countries, reach.regions


def test_default_closing_day_follows_the_setting(workdir: Path) -> None:
    write_coop(workdir, "x", OPENING)
    coops, _ = check(workdir / "coops", settings=LoadSettings(default_opening_days=30))
    opening = coops[0].openings[0]
    assert opening.closes == dt.date(2026, 10, 31)
    assert not opening.is_open(TODAY)
