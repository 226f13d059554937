"""Real HTTP(S) servers on 127.0.0.1 that play every way a web address can fail, and a guard
that records any attempt to reach anything but loopback (so a test that strays can fail).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW_SECONDS = 1.0
HOLD_SECONDS = 0.3


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    host: str
    user_agent: str
    at: float


@dataclass
class Log:
    """What a server saw: every request, and the most requests it was answering at once."""

    requests: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [seen.path for seen in self.requests]

    def count(self, path: str) -> int:
        return self.paths().count(path)

    def times(self, path: str | None = None) -> list[float]:
        with self.lock:
            return [s.at for s in self.requests if path is None or s.path == path]

    def reset(self) -> None:
        """Start a test afresh, once requests still running from the last one have ended."""
        deadline = time.monotonic() + 10
        while self.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with self.lock:
            self.requests.clear()
            self.in_flight = self.max_in_flight = 0


class Behaviours(BaseHTTPRequestHandler):
    """Answer by path: each path plays one behaviour of a real site."""

    protocol_version = "HTTP/1.1"
    log: Log  # set per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Keep test output quiet."""

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self._done()  # before the answer leaves: the client may start its next request at once
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _times_seen(self) -> int:
        return self.log.count(self.path)

    def _handle(self) -> None:
        log = self.log
        with log.lock:
            log.requests.append(
                Seen(
                    self.command,
                    self.path,
                    self.headers.get("Host", ""),
                    self.headers.get("User-Agent", ""),
                    time.monotonic(),
                )
            )
            log.in_flight += 1
            log.max_in_flight = max(log.max_in_flight, log.in_flight)
        self._counted = True
        try:
            self._play()
        finally:
            self._done()

    def _done(self) -> None:
        """Count this request as no longer in flight (once)."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.log.lock:
                self.log.in_flight -= 1

    def _play(self) -> None:  # noqa: C901 - one branch per behaviour reads best as a table
        path = self.path
        if path in ("/", "/ok"):
            self._answer(200)
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            self._answer(301, {"Location": f"/chain/{left - 1}" if left > 1 else "/ok"})
        elif path == "/moved-away":
            self._answer(301, {"Location": "/missing"})
        elif path == "/loop":
            self._answer(302, {"Location": "/loop"})
        elif path == "/missing":
            self._answer(404)
        elif path == "/gone":
            self._answer(410)
        elif path == "/broken":
            self._answer(500)
        elif path == "/forbidden":
            self._answer(403)
        elif path == "/no-head":
            self._answer(405 if self.command == "HEAD" else 200)
        elif path == "/throttle":
            self._answer(429, {"Retry-After": "0"})
        elif path == "/throttle-once":
            self._answer(429 if self._times_seen() == 1 else 200, {"Retry-After": "1"})
        elif path == "/throttle-long":
            self._answer(429 if self._times_seen() == 1 else 200, {"Retry-After": "3600"})
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._answer(200)
        elif path == "/hold":
            time.sleep(HOLD_SECONDS)
            self._answer(200)
        else:
            self._answer(404)

    do_HEAD = _handle  # noqa: N815 - http.server's naming
    do_GET = _handle  # noqa: N815


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected; say nothing."""


@dataclass
class Server:
    """A running server: its port, its log, and a URL maker."""

    port: int
    log: Log
    scheme: str

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    """Run a Behaviours server on 127.0.0.1 (HTTPS when given a server TLS context)."""
    log = Log()
    handler = type("LoggedBehaviours", (Behaviours,), {"log": log})
    server = _QuietServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Server(server.server_address[1], log, "https" if tls else "http")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """Return a loopback port nothing listens on (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass
class NetworkGuard:
    """Records (and stops) any connection or name lookup that would leave the machine.

    Names under ``.invalid`` get the answer RFC 6761 requires of every resolver (no such name)
    right here, without asking the system resolver: the lookup would otherwise leave the
    machine. That answer is what the DNS-failure test needs.
    """

    attempts: list[str] = field(default_factory=list)

    def install(self, setattr_: Callable[..., None]) -> None:
        guard = self
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        def allowed(sock: socket.socket, address: Any) -> bool:
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return True
            if _is_loopback(str(address[0])):
                return True
            guard.attempts.append(f"connect {address!r}")
            return False

        def connect(sock: socket.socket, address: Any) -> None:
            if not allowed(sock, address):
                raise OSError(errno.ENETUNREACH, "tests may only connect to 127.0.0.1")
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            return real_connect_ex(sock, address) if allowed(sock, address) else errno.ENETUNREACH

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name is not None and name.rstrip(".").endswith(".invalid"):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            if name is not None and not _is_loopback(name):
                guard.attempts.append(f"look up {name!r}")
                raise socket.gaierror(socket.EAI_NONAME, "tests may not look up real names")
            return real_getaddrinfo(host, *args, **kwargs)

        setattr_(socket.socket, "connect", connect)
        setattr_(socket.socket, "connect_ex", connect_ex)
        setattr_(socket, "getaddrinfo", getaddrinfo)
