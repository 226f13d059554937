"""The fixture site served with the configurations the build wrote, walked as Mastodon does.

WebFinger → actor → outbox → pages → activities → objects, checking status codes, content types
(Mastodon refuses ActivityPub documents not served as ``application/activity+json``), that every
``id`` is the URL it was fetched from, and that every URL stays on the site's host. Every test
runs against nginx, Caddy and Apache (Debian's; ``.ci/install-test-deps`` installs them), each in
the foreground on a free loopback port with a throwaway prefix and the build's own file.
Requests go to 127.0.0.1 with the site's ``Host``, so the ids and WebFinger subjects are the
real ones of the built site (``localhost:8000``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

SITE_HOST = "localhost:8000"
AP_TYPE = "application/activity+json"
JRD_TYPE = "application/jrd+json"
INSTALL_HINT = "run `make test` once (its .ci/install-test-deps installs it with apt-get)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generated(site: Path, name: str, replacements: list[tuple[str, str]]) -> str:
    """Return one of the build's own server configurations, pointed at the built site."""
    text = (site / "server-config" / name).read_text("utf-8")
    for line, replacement in replacements:
        assert line in text, f"the generated {name} has no {line.strip()!r}"
        text = text.replace(line, replacement)
    return text


def find(binary: str) -> str:
    path = shutil.which(binary, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        pytest.fail(f"{binary} not found: {INSTALL_HINT}", pytrace=False)
    return path


def nginx_command(site: Path, prefix: Path, port: int) -> list[str]:
    """Write nginx's main configuration around the generated one; return its command line."""
    (prefix / "coopdir.conf").write_text(
        generated(
            site,
            "nginx.conf",
            [("    listen 80;", f"    listen 127.0.0.1:{port};"),
             ("    root /srv/www/localhost;", f"    root {site};")],
        ),
        "utf-8",
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp_paths}
    include {prefix}/coopdir.conf;
}}
""",
        "utf-8",
    )
    log = prefix / "error.log"
    return [find("nginx"), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(log)]


def caddy_command(site: Path, prefix: Path, port: int) -> list[str]:
    """Write a Caddyfile: global options, then the generated site block on a loopback port."""
    block = generated(
        site,
        "Caddyfile",
        [("http://localhost:8000 {", f"http://:{port} {{\n    bind 127.0.0.1"),
         ("    root * /srv/www/localhost", f"    root * {site}")],
    )
    options = f"{{\n    admin off\n    storage file_system {prefix}\n}}\n"
    (prefix / "Caddyfile").write_text(options + block, "utf-8")
    return [find("caddy"), "run", "--adapter", "caddyfile", "--config", str(prefix / "Caddyfile")]


APACHE_MODULES = ("mpm_event", "authz_core", "mime", "dir", "rewrite", "headers")


def apache_command(site: Path, prefix: Path, port: int) -> list[str]:
    """Write an httpd.conf that serves a copy of the site with its .htaccess.

    Apache will not serve as root: its worker runs as nobody, so it gets a world-readable copy
    of the site (in a prefix outside pytest's folders, which are private to their owner).
    """
    readable = prefix / "public"
    readable.mkdir()
    copy = readable / "site"
    shutil.copytree(site, copy)
    for path in (prefix, readable, copy, *copy.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    modules = "\n".join(
        f"LoadModule {name}_module /usr/lib/apache2/modules/mod_{name}.so"
        for name in APACHE_MODULES
    )
    (prefix / "httpd.conf").write_text(
        f"""ServerRoot "{prefix}"
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {prefix}/httpd.pid
ErrorLog {prefix}/error.log
LogLevel warn
User nobody
Group nogroup
{modules}
TypesConfig /etc/mime.types
DocumentRoot "{copy}"
DirectoryIndex index.html
ErrorDocument 404 /404.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{copy}">
    AllowOverride All
    Require all granted
</Directory>
""",
        "utf-8",
    )
    return [find("apache2"), "-X", "-f", str(prefix / "httpd.conf")]


SERVERS = {"nginx": nginx_command, "caddy": caddy_command, "apache": apache_command}


@contextlib.contextmanager
def running(kind: str, site: Path) -> Iterator[int]:
    """Serve a built site with the generated configuration of ``kind``; yield the port."""
    # Outside pytest's folders, which only their owner may enter (Apache's worker is nobody).
    prefix = Path(tempfile.mkdtemp(prefix=f"coopdir-{kind}-"))
    port = free_port()
    command = SERVERS[kind](site, prefix, port)
    log = prefix / "output.log"
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "HOME": str(prefix), "XDG_DATA_HOME": str(prefix),
           "XDG_CONFIG_HOME": str(prefix)}
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                logs = "".join(p.read_text("utf-8") for p in prefix.glob("*.log"))
                pytest.fail(f"{kind} stopped ({process.returncode}):\n{logs}", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{kind} did not listen within 10 s", pytrace=False)
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, directory_site: Path) -> Iterator[int]:
    """Serve the built fixture site with each generated configuration; yield the port."""
    with running(request.param, directory_site) as port:
        yield port


class Client:
    """Fetch the site's absolute URLs from nginx on loopback, with the site's Host header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy for loopback

    def request(self, method: str, url: str, accept: str = AP_TYPE) -> requests.Response:
        parts = urlsplit(url)
        assert parts.netloc == SITE_HOST, f"{url} leaves the site's host"
        target = f"http://127.0.0.1:{self.port}{parts.path}" + (
            f"?{parts.query}" if parts.query else ""
        )
        return self.session.request(
            method,
            target,
            headers={"Host": SITE_HOST, "Accept": accept},
            allow_redirects=False,
            timeout=10,
        )

    def get(self, url: str, accept: str = AP_TYPE) -> requests.Response:
        return self.request("GET", url, accept)

    def document(self, url: str) -> dict[str, Any]:
        """GET an ActivityPub document the way Mastodon checks it."""
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response.headers["Content-Type"] == AP_TYPE, (url, response.headers)
        document = response.json()
        assert document["id"] == url, f"id {document['id']} is not the URL it came from: {url}"
        return document


@pytest.fixture(scope="module")
def client(server: int) -> Client:
    return Client(server)


def accounts(site: Path) -> list[str]:
    return sorted(path.stem for path in (site / ".well-known/webfinger.d").glob("*.json"))


def webfinger_url(resource: str) -> str:
    return f"http://{SITE_HOST}/.well-known/webfinger?resource={resource}"


def test_webfinger_answers_raw_and_encoded_resources_with_cors(
    client: Client, directory_site: Path
) -> None:
    names = accounts(directory_site)
    assert "directory" in names and "alder-harbour" in names
    for name in names:
        resource = f"acct:{name}@{SITE_HOST}"
        for spelling in (resource, quote(resource, safe=""), resource.replace(":", "%3a", 1)):
            response = client.get(webfinger_url(spelling), accept=JRD_TYPE)
            assert response.status_code == 200, spelling
            assert response.headers["Content-Type"] == JRD_TYPE
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert response.json()["subject"] == resource


def test_webfinger_says_400_without_resource_and_404_for_strangers(client: Client) -> None:
    missing = client.get(f"http://{SITE_HOST}/.well-known/webfinger", accept=JRD_TYPE)
    assert missing.status_code == 400
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    for stranger in (
        f"acct:nobody@{SITE_HOST}",
        "acct:alder-harbour@elsewhere.example",
        f"acct:alder-harbour@{SITE_HOST}.evil.example",
        f"xacct:alder-harbour@{SITE_HOST}",
    ):
        assert client.get(webfinger_url(stranger), accept=JRD_TYPE).status_code == 404, stranger


def test_webfinger_ignores_parameter_order_and_rel_and_takes_the_actor_url(
    client: Client,
) -> None:
    resource = f"acct:alder-harbour@{SITE_HOST}"
    url = (
        f"http://{SITE_HOST}/.well-known/webfinger?rel=self&resource={resource}"
        "&rel=http%3A%2F%2Fwebfinger.net%2Frel%2Fprofile-page"
    )
    assert client.get(url, accept=JRD_TYPE).json()["subject"] == resource
    actor = f"http://{SITE_HOST}/ap/coops/alder-harbour/actor"
    for spelling in (actor, quote(actor, safe="")):
        response = client.get(webfinger_url(spelling), accept=JRD_TYPE)
        assert response.status_code == 200
        assert response.json()["subject"] == resource


def test_walk_from_webfinger_to_every_object(client: Client, directory_site: Path) -> None:
    fetched: set[str] = set()

    def fetch(url: str) -> dict[str, Any]:
        document = client.document(url)
        fetched.add(url)
        return document

    for name in accounts(directory_site):
        jrd = client.get(webfinger_url(f"acct:{name}@{SITE_HOST}"), accept=JRD_TYPE).json()
        actor_url = next(link["href"] for link in jrd["links"] if link["rel"] == "self")
        actor = fetch(actor_url)
        # Mastodon's loop-back check, against the served WebFinger.
        again = client.get(
            webfinger_url(f"acct:{actor['preferredUsername']}@{urlsplit(actor['id']).netloc}"),
            accept=JRD_TYPE,
        ).json()
        assert next(link["href"] for link in again["links"] if link["rel"] == "self") == actor_url
        for collection in ("inbox", "followers", "following", "featured", "featuredTags"):
            fetch(actor[collection])
        page = client.get(actor["url"], accept="text/html")
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        outbox = fetch(actor["outbox"])
        items: list[dict[str, Any]] = []
        page_url = outbox.get("first")
        while page_url:
            page_document = fetch(page_url)
            assert page_document["partOf"] == outbox["id"]
            items += page_document["orderedItems"]
            page_url = page_document.get("next")
        assert len(items) == outbox["totalItems"]
        for activity in items:
            served = fetch(activity["id"])
            assert served["type"] == activity["type"]
            assert served["actor"] == actor["id"]
            target = activity["object"]
            target_id = target if isinstance(target, str) else target["id"]
            note = fetch(target_id)
            if note["type"] == "Note" and activity["type"] == "Create":
                assert note["attributedTo"] == actor["id"]
        for pinned in fetch(actor["featured"])["orderedItems"]:
            assert fetch(pinned)["type"] == "Note"
    # Every ActivityPub file of the site was reached from WebFinger.
    on_disk = {
        f"http://{SITE_HOST}/{path.relative_to(directory_site).as_posix()}"
        for path in (directory_site / "ap").rglob("*")
        if path.is_file()
    }
    assert on_disk == fetched


def test_a_poll_only_inbox_refuses_posts_with_405(client: Client) -> None:
    response = client.request("POST", f"http://{SITE_HOST}/ap/coops/alder-harbour/inbox")
    assert response.status_code == 405


def test_discovery_documents_have_their_content_types(client: Client) -> None:
    expected = {
        "/.well-known/host-meta": "application/xrd+xml",
        "/.well-known/nodeinfo": "application/json",
        "/nodeinfo/2.1": 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
        "/.well-known/webfinger.d/alder-harbour.json": JRD_TYPE,
    }
    for path, media_type in expected.items():
        response = client.get(f"http://{SITE_HOST}{path}", accept="*/*")
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == media_type, path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path


def test_the_server_configurations_are_not_served(client: Client) -> None:
    for name in ("nginx.conf", "Caddyfile"):
        response = client.get(f"http://{SITE_HOST}/server-config/{name}", accept="*/*")
        assert response.status_code == 404
