"""curl's ``--connect-to`` for requests: send one host's traffic to another address and port.

The request still names the original host (its ``Host`` header, TLS server name and
certificate check are unchanged); only the TCP connection goes elsewhere. People use it to
check a site on a new server before its DNS moves, and the tests use it to give co-op files
real-looking addresses (``https://coop.test/``) that reach servers on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

Endpoint = tuple[str, int]


def host_key(host: str) -> str:
    """Return a host name as connections see it: lowercase, IDNA-encoded when not ASCII."""
    host = host.lower().rstrip(".")
    return host if host.isascii() else host.encode("idna").decode("ascii")


def parse_connect_to(value: str) -> tuple[Endpoint, Endpoint]:
    """Read curl's ``HOST:PORT:ADDRESS:PORT`` (``coop.test:443:127.0.0.1:8443``).

    Raise ValueError with what to write instead.
    """
    parts = value.rsplit(":", 3)
    if len(parts) != 4 or not all(parts) or not parts[1].isdigit() or not parts[3].isdigit():
        raise ValueError(
            f"{value!r} is not HOST:PORT:ADDRESS:PORT — write for example "
            "coop.test:443:127.0.0.1:8443"
        )
    host, port, address, to_port = parts
    return (host_key(host), int(port)), (address.strip("[]"), int(to_port))


class _ConnectToMixin:
    """Open the TCP connection to the mapped address; everything else is urllib3's own."""

    connect_to: Mapping[Endpoint, Endpoint] = {}
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        target = self.connect_to.get((host_key(self.host), self.port))
        if target is None:
            return super()._new_conn()  # type: ignore[misc]
        try:
            return create_connection(
                target,
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} (at {target[0]}:{target[1]}) timed out"
            ) from error
        except OSError as error:
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {error}"
            ) from error


class ConnectToAdapter(HTTPAdapter):
    """A requests adapter whose connections follow a ``--connect-to`` table."""

    def __init__(self, connect_to: Mapping[Endpoint, Endpoint], **kwargs: Any) -> None:
        table = {(host_key(host), port): target for (host, port), target in connect_to.items()}
        http_connection = type("ConnectToHTTPConnection", (_ConnectToMixin, HTTPConnection), {})
        https_connection = type(
            "ConnectToHTTPSConnection", (_ConnectToMixin, HTTPSConnection), {}
        )
        http_connection.connect_to = table
        https_connection.connect_to = table
        self._pool_classes = {
            "http": type("ConnectToHTTPPool", (HTTPConnectionPool,), {}),
            "https": type("ConnectToHTTPSPool", (HTTPSConnectionPool,), {}),
        }
        self._pool_classes["http"].ConnectionCls = http_connection
        self._pool_classes["https"].ConnectionCls = https_connection
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager, with pools that open mapped connections."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes
