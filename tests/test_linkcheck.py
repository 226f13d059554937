"""``coopdir check-links`` against real servers on 127.0.0.1 that play each failure mode.

No test may reach anything but loopback: a guard records every other connection or name
lookup, and each test fails if one was attempted.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner, Result
from conftest import write_coop
from loopback import HOLD_SECONDS, NetworkGuard, Server, closed_port, serve

from coopdir.cli import main
from coopdir.linkcache import LinkCache
from coopdir.linkcheck import USER_AGENT, CheckSettings, check_links
from coopdir.linkresult import LinkClass, LinkResult

FAST = CheckSettings(concurrency=4, delay=0.0, timeout=0.3, retries=1, backoff=0.0)
TLS_NAMES = ["coop.test", "down.test", "plain.test"]


@pytest.fixture(scope="module")
def guard() -> Iterator[NetworkGuard]:
    network_guard = NetworkGuard()
    with pytest.MonkeyPatch.context() as patch:
        network_guard.install(patch.setattr)
        yield network_guard


@pytest.fixture(autouse=True)
def only_loopback(guard: NetworkGuard) -> Iterator[None]:
    guard.attempts.clear()
    yield
    assert guard.attempts == [], "the test tried to leave 127.0.0.1"


@pytest.fixture(scope="module")
def http(guard: NetworkGuard) -> Iterator[Server]:
    with serve() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_log(request: pytest.FixtureRequest) -> None:
    for name in ("http", "https"):
        if name in request.fixturenames:
            request.getfixturevalue(name).log.reset()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def https(ca: trustme.CA, guard: NetworkGuard) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*TLS_NAMES).configure_cert(context)
    with serve(context) as server:
        yield server


def check_one(url: str, settings: CheckSettings = FAST) -> LinkResult:
    return check_links([url], settings)[url]


# --- the guard itself --------------------------------------------------------------------------


def test_the_guard_records_a_connection_that_would_leave_the_machine(guard: NetworkGuard) -> None:
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.org", 443)
    assert guard.attempts == ["connect ('192.0.2.1', 80)", "look up 'example.org'"]
    guard.attempts.clear()


# --- one class per behaviour -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected", "status", "final"),
    [
        ("/ok", LinkClass.OK, 200, None),
        ("/chain/3", LinkClass.REDIRECTED, 200, "/ok"),
        ("/missing", LinkClass.NOT_FOUND, 404, None),
        ("/gone", LinkClass.GONE, 410, None),
        ("/broken", LinkClass.SERVER_ERROR, 500, None),
        ("/forbidden", LinkClass.THROTTLED, 403, None),
        ("/throttle", LinkClass.THROTTLED, 429, None),
        ("/no-head", LinkClass.OK, 200, None),
        ("/slow", LinkClass.TIMEOUT, None, None),
        ("/loop", LinkClass.REDIRECT_LOOP, None, None),
    ],
)
def test_each_behaviour_gets_its_class(
    http: Server, path: str, expected: LinkClass, status: int | None, final: str | None
) -> None:
    result = check_one(http.url(path))
    assert (result.link_class, result.status) == (expected, status), result
    assert result.final_url == (http.url(final) if final else None)


def test_a_redirect_to_a_missing_page_says_where_it_ended(http: Server) -> None:
    missing = check_one(http.url("/moved-away"))
    assert (missing.link_class, missing.final_url) == (LinkClass.NOT_FOUND, http.url("/missing"))
    assert missing.detail == f"404 Not Found after 1 redirect(s), at {http.url('/missing')}"


def test_a_closed_port_is_refused() -> None:
    result = check_one(f"http://127.0.0.1:{closed_port()}/")
    assert result.link_class is LinkClass.REFUSED
    assert result.detail == "connection refused"


def test_a_name_that_does_not_exist_is_a_dns_failure() -> None:
    assert check_one("https://nowhere.invalid/").link_class is LinkClass.DNS_FAILURE


def test_an_untrusted_certificate_is_a_tls_error(https: Server) -> None:
    assert check_one(https.url("/ok")).link_class is LinkClass.TLS_ERROR


def test_head_refused_falls_back_to_get(http: Server) -> None:
    check_one(http.url("/no-head"))
    assert [(seen.method, seen.path) for seen in http.log.requests] == [
        ("HEAD", "/no-head"),
        ("GET", "/no-head"),
    ]


def test_throttling_is_retried_then_reported(http: Server) -> None:
    result = check_one(http.url("/throttle"))
    assert result.link_class is LinkClass.THROTTLED
    assert http.log.count("/throttle") == 1 + FAST.retries


def test_retry_after_is_waited_for(http: Server) -> None:
    assert check_one(http.url("/throttle-once")).link_class is LinkClass.OK
    first, second = http.log.times("/throttle-once")
    assert second - first >= 1.0  # the server said Retry-After: 1


def test_a_long_retry_after_is_cut_to_the_cap(http: Server) -> None:
    settings = CheckSettings(delay=0.0, timeout=1.0, retries=1, retry_after_cap=0.2)
    started = time.monotonic()
    assert check_one(http.url("/throttle-long"), settings).link_class is LinkClass.OK
    assert time.monotonic() - started < 3  # not the 3600 s the server asked for
    first, second = http.log.times("/throttle-long")
    assert second - first >= 0.2


def test_every_request_names_coopdir_and_the_repository(http: Server) -> None:
    check_one(http.url("/chain/2"))
    agents = {seen.user_agent for seen in http.log.requests}
    assert agents == {USER_AGENT}
    assert "coopdir" in USER_AGENT and "https://github.com/" in USER_AGENT


# --- https upgrades, through --connect-to ------------------------------------------------------


def named(http: Server, https: Server, ca_file: str, **more: int) -> CheckSettings:
    """Settings where coop.test and friends reach the loopback servers on ports 80 and 443."""
    table = {
        ("coop.test", 80): ("127.0.0.1", http.port),
        ("coop.test", 443): ("127.0.0.1", https.port),
        ("down.test", 80): ("127.0.0.1", closed_port()),
        ("down.test", 443): ("127.0.0.1", https.port),
        ("plain.test", 80): ("127.0.0.1", http.port),
        ("plain.test", 443): ("127.0.0.1", closed_port()),
    }
    return CheckSettings(
        delay=0.0, timeout=0.5, retries=0, connect_to=table, verify=ca_file, **more
    )


def test_an_http_address_whose_https_twin_works_is_an_upgrade(
    http: Server, https: Server, ca_file: str
) -> None:
    result = check_one("http://coop.test/ok", named(http, https, ca_file))
    assert result.link_class is LinkClass.HTTPS_UPGRADE
    assert result.final_url == "https://coop.test/ok"
    assert {seen.host for seen in http.log.requests + https.log.requests} == {"coop.test"}


def test_an_http_address_that_is_down_but_works_over_https_is_an_upgrade(
    http: Server, https: Server, ca_file: str
) -> None:
    result = check_one("http://down.test/ok", named(http, https, ca_file))
    assert (result.link_class, result.final_url) == (
        LinkClass.HTTPS_UPGRADE,
        "https://down.test/ok",
    )


def test_an_http_address_without_https_stays_ok(
    http: Server, https: Server, ca_file: str
) -> None:
    assert check_one("http://plain.test/ok", named(http, https, ca_file)).link_class is (
        LinkClass.OK
    )


def test_connect_to_reaches_a_host_with_an_accented_name(http: Server) -> None:
    table = {("café.test", 8000): ("127.0.0.1", http.port)}
    settings = CheckSettings(delay=0.0, timeout=1.0, retries=0, connect_to=table)
    assert check_one("http://café.test:8000/ok", settings).link_class is LinkClass.OK
    assert [seen.host for seen in http.log.requests] == ["xn--caf-dma.test:8000"]


# --- politeness: delay, concurrency, cache -----------------------------------------------------


def test_requests_to_one_host_keep_the_delay(http: Server) -> None:
    settings = CheckSettings(concurrency=4, delay=0.25, timeout=1.0, retries=0)
    check_links([http.url("/ok"), http.url("/chain/2"), http.url("/gone")], settings)
    times = http.log.times()
    assert len(times) == 6  # /ok; /chain/2 and its two hops; /gone by HEAD then by GET
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.25, gaps


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_hosts_at_once_than_the_concurrency(
    http: Server, https: Server, ca_file: str, concurrency: int
) -> None:
    hosts = [f"h{number}.test" for number in range(6)]
    settings = CheckSettings(
        concurrency=concurrency,
        delay=0.0,
        timeout=2.0,
        retries=0,
        connect_to={(host, 8000): ("127.0.0.1", http.port) for host in hosts},
    )
    started = time.monotonic()
    results = check_links([f"http://{host}:8000/hold" for host in hosts], settings)
    assert {result.link_class for result in results.values()} == {LinkClass.OK}
    assert http.log.max_in_flight == concurrency
    assert time.monotonic() - started >= HOLD_SECONDS * len(hosts) / concurrency


def test_a_rerun_asks_again_only_what_was_broken(http: Server, tmp_path: Path) -> None:
    urls = [http.url("/ok"), http.url("/chain/1"), http.url("/missing")]
    cache_file = tmp_path / "links.json"
    now = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
    first = check_links(urls, FAST, cache=LinkCache(cache_file), now=now)
    asked = http.log.paths()
    http.log.reset()
    second = check_links(urls, FAST, cache=LinkCache(cache_file), now=now + dt.timedelta(days=6))
    assert second == first
    assert http.log.paths() == ["/missing", "/missing"]  # HEAD, then GET; nothing else
    assert "/ok" in asked and "/chain/1" in asked
    remembered = json.loads(cache_file.read_text(encoding="utf-8"))["results"]
    assert set(remembered) == {http.url("/ok"), http.url("/chain/1")}  # failures are not kept


def test_a_good_answer_is_asked_again_after_a_week(http: Server, tmp_path: Path) -> None:
    cache_file = tmp_path / "links.json"
    now = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
    check_links([http.url("/ok")], FAST, cache=LinkCache(cache_file), now=now)
    check_links(
        [http.url("/ok")], FAST, cache=LinkCache(cache_file), now=now + dt.timedelta(days=8)
    )
    assert http.log.paths() == ["/ok", "/ok"]


def test_an_unreadable_cache_is_ignored(http: Server, tmp_path: Path) -> None:
    cache_file = tmp_path / "links.json"
    cache_file.write_text("{not json", encoding="utf-8")
    check_links([http.url("/ok")], FAST, cache=LinkCache(cache_file))
    assert http.log.paths() == ["/ok"]
    assert LinkCache(cache_file).get(http.url("/ok"), dt.datetime.now(dt.UTC)) is not None


# --- the command and its report ----------------------------------------------------------------

COOP = """\
name: Report Co-op
website: http://coop.test/ok
logo: https://coop.test/ok
networks:
  - network: cotech
    evidence: https://coop.test/missing
contact:
  links:
    - kind: forge
      url: https://coop.test/chain/1
openings:
  - id: dev
    title: Developer
    posted: 2026-10-01
    apply: mailto:jobs@coop.test
  - id: old
    title: Old opening
    posted: 2026-01-01
    closes: 2026-02-01
    apply: https://coop.test/gone
"""
OTHER = """\
name: Other Co-op
website: https://nowhere.invalid/
registration:
  url: https://coop.test/missing
"""


def connect_to_args(http: Server, https: Server) -> list[str]:
    return [
        f"--connect-to=coop.test:80:127.0.0.1:{http.port}",
        f"--connect-to=coop.test:443:127.0.0.1:{https.port}",
    ]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_report_lists_broken_first_with_file_line_and_advice(
    workdir: Path, http: Server, https: Server, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    write_coop(workdir, "report-coop", COOP)
    write_coop(workdir, "other-coop", OTHER)
    result = run(
        "check-links", "--delay=0", "--timeout=1", "--retries=0", "--report=out/links.md",
        *connect_to_args(http, https),
    )
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == "2 of 5 address(es) broken; report in out/links.md.\n"
    expected = textwrap.dedent("""\
        # Link check

        Checked 5 addresses written 6 time(s) in 2 co-op file(s) on 2026-11-01: 2 broken, 2 worth updating, 1 fine.

        ## Broken

        ### not found (404) (not-found): 1 address

        What to do: find the page's new address on the co-op's site and write it, or remove the link.

        | where | field | address | what happened |
        |---|---|---|---|
        | `coops/other-coop.yaml:4` | `registration.url` | `https://coop.test/missing` | 404 Not Found |
        | `coops/report-coop.yaml:6` | `networks[0].evidence` | `https://coop.test/missing` | 404 Not Found |

        ### the name does not exist (DNS) (dns-failure): 1 address

        What to do: the domain may have lapsed: find the co-op's current site, or mark the co-op dormant or dissolved.

        | where | field | address | what happened |
        |---|---|---|---|
        | `coops/other-coop.yaml:2` | `website` | `https://nowhere.invalid/` | the host name could not be resolved |

        ## Worth updating

        ### has a working https:// version (https-upgrade): 1 address

        What to do: write the https:// address: it is private and cannot be tampered with on the way.

        | where | field | address | write instead |
        |---|---|---|---|
        | `coops/report-coop.yaml:2` | `website` | `http://coop.test/ok` | `https://coop.test/ok` |

        ### redirects to another address (redirected): 1 address

        What to do: write the address it ends at, so readers skip the detour.

        | where | field | address | write instead |
        |---|---|---|---|
        | `coops/report-coop.yaml:10` | `contact.links[0].url` | `https://coop.test/chain/1` | `https://coop.test/ok` |

        ## Not checked

        | where | field | address | why |
        |---|---|---|---|
        | `coops/report-coop.yaml:15` | `openings[0].apply` | `mailto:jobs@coop.test` | an email address (mailto:) cannot be checked without sending mail |
        | `coops/report-coop.yaml:20` | `openings[1].apply` | `https://coop.test/gone` | the opening closed on 2026-02-01 |
        """)  # noqa: E501 - the report's lines are as long as they are
    assert (workdir / "out" / "links.md").read_text(encoding="utf-8") == expected


def test_all_good_exits_0_and_a_rerun_uses_the_cache(
    workdir: Path, http: Server, https: Server, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    write_coop(workdir, "good", "name: Good\nwebsite: https://coop.test/ok\n")
    args = ["check-links", "coops/good.yaml", "--delay=0", *connect_to_args(http, https)]
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("# Link check\n\nChecked 1 address written 1 time(s)")
    assert "0 broken, 0 worth updating, 1 fine." in first.stdout
    assert (workdir / ".coopdir-cache" / "links.json").is_file()
    assert "Checking" not in first.stderr
    again = run(*args, "--progress")
    assert again.stdout == first.stdout
    assert https.log.count("/ok") == 1  # the second run asked nothing
    assert again.stderr.startswith("Checking")  # the bar, on stderr


def test_invalid_files_are_reported_and_nothing_is_checked(workdir: Path, http: Server) -> None:
    write_coop(workdir, "bad", f"name: Bad\nwebsite: {http.url('/ok')}\n")
    result = run("check-links", "--report=links.md")
    assert result.exit_code == 1
    assert result.stderr.startswith("coops/bad.yaml:2:10: website: ")
    assert not (workdir / "links.md").exists()
    assert http.log.requests == []


def test_a_bad_connect_to_says_how_to_write_it(workdir: Path) -> None:
    write_coop(workdir, "good", "name: Good\nwebsite: https://coop.test/ok\n")
    result = run("check-links", "--connect-to=coop.test:443")
    assert result.exit_code == 2
    assert "is not HOST:PORT:ADDRESS:PORT" in result.stderr
    assert "coop.test:443:127.0.0.1:8443" in result.stderr
