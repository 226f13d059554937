"""Benchmark ``coopdir check-links`` on the real co-op files, with the web played on loopback.

Every address in coops/ is sent (curl's --connect-to) to two servers on 127.0.0.1, plain HTTP
and HTTPS with a certificate for every host, that answer 200 after a simulated round trip. So
the figures are the checker's own: how long the default politeness (one request at a time per
host, 1 s apart, 8 hosts at once) takes for this many hosts, and what a cached rerun costs.

    .venv/bin/python bench/linkcheck.py [--coops coops] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trustme

from coopdir.linkcache import LinkCache
from coopdir.linkcheck import CheckSettings, check_links, https_twin
from coopdir.linksources import find_link_sources


def handler(latency: float) -> type[BaseHTTPRequestHandler]:
    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_HEAD(self) -> None:  # noqa: N802
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD  # noqa: N815

    return Answer


@contextmanager
def server(latency: float, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(latency))
    httpd.daemon_threads = True
    if tls:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coops", type=Path, default=Path("coops"))
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    started = time.perf_counter()
    sources, problems = find_link_sources([args.coops], today=dt.date(2026, 11, 26))
    assert sources is not None, problems
    extract = time.perf_counter() - started
    urls = sources.urls
    hosts = Counter((urlsplit(url).hostname or "").lower() for url in urls)
    names = sorted({urlsplit(u).hostname or "" for u in urls + [https_twin(u) or u for u in urls]})
    print(
        f"{len(sources.uses)} uses of {len(urls)} addresses on {len(hosts)} hosts in "
        f"{sources.files} files (busiest host: {hosts.most_common(1)[0]}); "
        f"{len(sources.skipped)} not checked; extracted in {extract:.2f} s"
    )
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    with (
        tempfile.TemporaryDirectory() as folder,
        server(args.latency) as http_port,
        server(args.latency, context) as https_port,
    ):
        ca_file = Path(folder) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        table = {}
        for name in names:
            table[(name.lower(), 80)] = ("127.0.0.1", http_port)
            table[(name.lower(), 443)] = ("127.0.0.1", https_port)
        settings = CheckSettings(connect_to=table, verify=str(ca_file))
        cache_file = Path(folder) / "links.json"
        for run in ("cold", "cached rerun"):
            started = time.perf_counter()
            results = check_links(urls, settings, cache=LinkCache(cache_file))
            seconds = time.perf_counter() - started
            classes = Counter(result.link_class.code for result in results.values())
            print(f"{run}: {seconds:.2f} s, {dict(sorted(classes.items()))}")


if __name__ == "__main__":
    main()
