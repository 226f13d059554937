"""Check web addresses the way a careful visitor would, and say what each one does.

Politeness comes first, because the co-ops' sites are small and a directory that hammers them
is a bad neighbour:

* addresses are grouped by host, and each host is visited by one worker at a time, never two
  requests closer than ``delay`` seconds (redirect hops and retries included; a redirect to
  another host is paced within the visit that follows it);
* at most ``concurrency`` hosts are visited at once;
* HEAD first, GET (headers only) when HEAD is refused or fails;
* 429 and 503 are retried after the server's ``Retry-After`` (capped) or a growing backoff, and
  so are connection errors (urllib3's ``Retry``);
* every request names the checker and the repository in its ``User-Agent``.

An ``http://`` address whose ``https://`` twin works is classed ``https-upgrade``, whether or
not the http one still answers: the fix is the same, write the https address.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib.metadata import version
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.utils import requote_uri
from urllib3.util.retry import Retry

from .connectto import ConnectToAdapter, Endpoint
from .linkcache import LinkCache
from .linkresult import LinkClass, LinkResult
from .settings import CoopdirSettings

USER_AGENT = (
    f"coopdir-check-links/{version('coopdir')} (+{CoopdirSettings.repository_url}; "
    "checks the links in a directory of tech worker co-operatives)"
)
RETRY_STATUSES = frozenset({429, 503})
_REQUEST_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
TURNED_AWAY = frozenset({403, 429, 999})
"""Statuses sites send to automated visitors they do not want (999: LinkedIn)."""


@dataclass(frozen=True)
class CheckSettings:
    """How hard and how fast to check."""

    concurrency: int = 8
    """At most this many hosts are visited at once."""
    delay: float = 1.0
    """Seconds between two requests to the same host."""
    timeout: float = 10.0
    """Seconds to wait for a connection, and then for an answer."""
    retries: int = 2
    """Retries after a connection error, a timeout, 429 or 503."""
    backoff: float = 0.5
    """The base of the exponential backoff between retries, in seconds."""
    retry_after_cap: float = 60.0
    """The longest ``Retry-After`` honoured, in seconds; a longer one is cut to this."""
    max_redirects: int = 10
    """More redirects than this in a row is a loop."""
    connect_to: Mapping[Endpoint, Endpoint] = field(default_factory=dict)
    """curl's ``--connect-to``: (host, port) → (address, port) for the TCP connection."""
    verify: bool | str = True
    """Check TLS certificates (a path: the CA bundle to trust, as in requests)."""
    user_agent: str = USER_AGENT


class _PoliteRetry(Retry):
    """urllib3's Retry, never sooner than the per-host delay (even when Retry-After says 0)."""

    def __init__(self, *args: Any, min_wait: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_wait = min_wait

    def new(self, **kwargs: Any) -> _PoliteRetry:
        """Carry the minimum wait into the next attempt's Retry."""
        kwargs.setdefault("min_wait", self.min_wait)
        return super().new(**kwargs)

    def sleep(self, response: Any = None) -> None:
        """Sleep as urllib3 would (Retry-After or backoff), and at least ``min_wait``."""
        started = time.monotonic()
        super().sleep(response)
        remaining = self.min_wait - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def _session(settings: CheckSettings) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = settings.user_agent
    retry = _PoliteRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff,
        retry_after_max=settings.retry_after_cap,  # type: ignore[arg-type]
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        min_wait=settings.delay,
    )
    adapter = ConnectToAdapter(settings.connect_to, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _HostPacer:
    """Keep requests to each host ``delay`` seconds apart, from one's end to the next's start."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._last_end: dict[str, float] = {}

    def wait(self, host: str) -> None:
        last = self._last_end.get(host)
        if last is not None:
            remaining = last + self.delay - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    def done(self, host: str) -> None:
        self._last_end[host] = time.monotonic()


class _TooManyRedirects(requests.TooManyRedirects):
    """More redirects in a row than ``max_redirects``."""


@dataclass(frozen=True)
class _Answer:
    status: int
    final_url: str
    hops: int


def _causes(error: BaseException) -> Iterator[BaseException]:
    """Yield an error and everything it wraps (causes, urllib3 reasons, exception args)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner.extend(current.args)
        pending.extend(item for item in inner if isinstance(item, BaseException))


def _error_class(error: BaseException) -> tuple[LinkClass, str]:
    """Class an exception from requests by what went wrong underneath it."""
    chain = list(_causes(error))

    def found(*types: type[BaseException]) -> bool:
        return any(isinstance(item, types) for item in chain)

    if found(_TooManyRedirects):
        return LinkClass.REDIRECT_LOOP, str(error)
    if found(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return LinkClass.DNS_FAILURE, "the host name could not be resolved"
    if found(ConnectionRefusedError):
        return LinkClass.REFUSED, "connection refused"
    if found(ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return LinkClass.REFUSED, "connection reset by the server"
    if found(ssl.SSLError, ssl.CertificateError, urllib3.exceptions.SSLError):
        return LinkClass.TLS_ERROR, _innermost_message(chain, ssl.SSLError)
    if found(TimeoutError, urllib3.exceptions.TimeoutError, requests.Timeout):
        return LinkClass.TIMEOUT, "no answer in time"
    return LinkClass.ERROR, _innermost_message(chain, Exception)


def _innermost_message(chain: list[BaseException], kind: type[BaseException]) -> str:
    matching = [item for item in chain if isinstance(item, kind)] or chain
    text = str(matching[-1]) or type(matching[-1]).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _status_class(status: int) -> LinkClass:
    if 200 <= status < 300:
        return LinkClass.OK
    if status == 404:
        return LinkClass.NOT_FOUND
    if status == 410:
        return LinkClass.GONE
    if status in TURNED_AWAY:
        return LinkClass.THROTTLED
    if 400 <= status < 500:
        return LinkClass.CLIENT_ERROR
    if 500 <= status < 600:
        return LinkClass.SERVER_ERROR
    return LinkClass.ERROR


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def https_twin(url: str) -> str | None:
    """Return the https:// version of an http:// address on the default port, else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or parts.port not in (None, 80):
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.port == 80:
        host = host.rsplit(":", 1)[0]
    return urlunsplit(("https", host, parts.path, parts.query, parts.fragment))


class _HostVisit:
    """Check the addresses of one host, one request at a time, with one session."""

    def __init__(self, settings: CheckSettings) -> None:
        self.settings = settings
        self.pacer = _HostPacer(settings.delay)

    def _fetch(self, session: requests.Session, method: str, url: str) -> _Answer:
        """Send one request and follow redirects by hand, so every hop is paced."""
        current = url
        for hops in range(self.settings.max_redirects + 1):
            host = (urlsplit(current).hostname or "").lower()
            self.pacer.wait(host)
            try:
                with session.request(
                    method,
                    current,
                    allow_redirects=False,
                    stream=True,  # a GET reads the headers only
                    # per request, or requests lets REQUESTS_CA_BUNDLE win over a CA path
                    verify=self.settings.verify,
                    timeout=(self.settings.timeout, self.settings.timeout),
                ) as response:
                    status = response.status_code
                    target = session.get_redirect_target(response)
            finally:
                self.pacer.done(host)
            if target is None:
                return _Answer(status, current, hops)
            current = requote_uri(urljoin(current, target))
        raise _TooManyRedirects(f"more than {self.settings.max_redirects} redirects")

    def _check_as_is(self, session: requests.Session, url: str) -> LinkResult:
        try:
            answer = self._fetch(session, "HEAD", url)
            if answer.status >= 400 and answer.status != 429:
                answer = self._fetch(session, "GET", url)  # many servers mishandle HEAD
        except _REQUEST_ERRORS as error:
            link_class, detail = _error_class(error)
            return LinkResult(url, link_class, detail=detail)
        link_class = _status_class(answer.status)
        detail = _status_text(answer.status)
        final_url = answer.final_url if answer.final_url != url else None
        if final_url:
            detail += f" after {answer.hops} redirect(s), at {final_url}"
            if link_class is LinkClass.OK:
                link_class = LinkClass.REDIRECTED
        return LinkResult(url, link_class, answer.status, final_url, detail)

    def check(self, session: requests.Session, url: str) -> LinkResult:
        """Check one address, and its https:// twin when it is an http:// one."""
        result = self._check_as_is(session, url)
        twin = https_twin(url)
        if twin is None or result.link_class is LinkClass.DNS_FAILURE:
            return result  # no twin, or none with the same name
        if result.link_class.fine and (result.final_url or "").startswith("https://"):
            if result.final_url == twin:
                return LinkResult(url, LinkClass.HTTPS_UPGRADE, result.status, twin, result.detail)
            return result  # moved elsewhere, and to https: write where it ends
        probe = self._check_as_is(session, twin)
        if not probe.link_class.fine:
            return result
        return LinkResult(
            url,
            LinkClass.HTTPS_UPGRADE,
            probe.status,
            probe.final_url or twin,
            f"{twin} answers {probe.detail}",
        )

    def run(self, urls: list[str]) -> list[LinkResult]:
        with _session(self.settings) as session:
            return [self.check(session, url) for url in urls]


class ProgressBar(Protocol):
    """What ``check_links`` needs of a progress bar (``click.progressbar`` is one)."""

    def update(self, n_steps: int) -> None:
        """Advance the bar by ``n_steps``."""


class _NoBar:
    def update(self, n_steps: int) -> None:
        del n_steps


def no_progress(total: int) -> AbstractContextManager[ProgressBar]:
    """Return a progress bar that shows nothing."""
    del total
    return nullcontext(_NoBar())


def _by_host(urls: Iterable[str]) -> dict[str, list[str]]:
    hosts: dict[str, list[str]] = {}
    for url in urls:
        hosts.setdefault((urlsplit(url).hostname or url).lower(), []).append(url)
    return hosts


def check_links(
    urls: Iterable[str],
    settings: CheckSettings,
    *,
    cache: LinkCache | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int], AbstractContextManager[ProgressBar]] = no_progress,
) -> dict[str, LinkResult]:
    """Check each address once (or take a recent good answer from the cache), by address.

    ``progress(total)`` makes the bar advanced as hosts are done; the cache is saved at the end.
    """
    now = now or dt.datetime.now(dt.UTC)
    urls = list(dict.fromkeys(urls))
    results: dict[str, LinkResult] = {}
    pending = []
    for url in urls:
        remembered = cache.get(url, now) if cache else None
        if remembered:
            results[url] = remembered
        else:
            pending.append(url)
    with (
        progress(len(pending)) as bar,
        ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool,
    ):
        visits = {
            pool.submit(_HostVisit(settings).run, host_urls): host_urls
            for host_urls in _by_host(pending).values()
        }
        for done in as_completed(visits):
            for result in done.result():
                results[result.url] = result
                if cache:
                    cache.put(result, now)
            bar.update(len(visits[done]))
    if cache:
        cache.save(now)
    return {url: results[url] for url in urls}
