"""Run fediverse-pasture's ``verify_actor`` against a co-op's actor and our inbox, on loopback.

fediverse-pasture (funfedi.dev) serves six test actors and, given an actor URI, has each fetch
it and POST a ``Like`` to its inbox: alice signs nothing (she must fail to post), bob signs his
POST, claire signs her GET and her POST (authorized fetch), dean, emily and frank are variants
whose WebFinger has no user part. It also checks that WebFinger for the actor's
``preferredUsername@host`` gives back the same id.

Here the fixture site is built for ``http://127.0.0.1:<port>`` with the inbox service wired in,
served by nginx with the build's configuration, our inbox runs beside it (loopback allowed, as
in the tests), and pasture runs on a third port (Quart, bound to 127.0.0.1). Prints pasture's
result per test actor.

    .venv/bin/python bench/pasture.py [--coop alder-harbour]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_inbox import Loop  # noqa: E402
from test_serving import free_port, nginx_command  # noqa: E402

from coopdir.apvocab import accounts  # noqa: E402
from coopdir.inbox import InboxSettings, make_app  # noqa: E402
from coopdir.load import load_directory  # noqa: E402

PASTURE = """
import logging, sys
from fediverse_pasture.verify_actor import build_app
logging.disable(logging.CRITICAL)
port = int(sys.argv[1])
app = build_app(False, f"127.0.0.1:{port}", False, 10)
app.run(host="127.0.0.1", port=port)
"""


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped ({process.returncode})")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not listen within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coop", default="alder-harbour")
    parser.add_argument("--json", action="store_true", help="Print pasture's result as JSON.")
    arguments = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="coopdir-pasture-"))
    processes: list[subprocess.Popen[bytes]] = []
    loop = Loop()
    try:
        site_port, inbox_port, pasture_port = free_port(), free_port(), free_port()
        site_url = f"http://localhost:{site_port}"  # the nginx configuration serves localhost
        coops, site, keys = scratch / "coops", scratch / "site", scratch / "keys"
        shutil.copytree(ROOT / "tests" / "fixtures" / "directory", coops)
        environment = {
            **os.environ, "COOPDIR_SITE_URL": site_url, "COOPDIR_KEYS_DIR": str(keys),
            "COOPDIR_INBOX_UPSTREAM": f"127.0.0.1:{inbox_port}",
        }
        subprocess.run(
            [str(ROOT / ".venv/bin/coopdir"), "build", "--coops", str(coops), "--output",
             str(site)], env=environment, check=True, capture_output=True,
        )
        settings = InboxSettings(
            site_url, tuple(accounts(load_directory(coops))), keys, scratch / "followers.db",
            allow_http=True, allow_loopback=True,
        )
        loop.serve(make_app(settings), inbox_port)
        nginx_prefix = scratch / "nginx"
        nginx_prefix.mkdir()
        nginx = subprocess.Popen(nginx_command(site, nginx_prefix, site_port))
        processes.append(nginx)
        pasture = subprocess.Popen(
            [sys.executable, "-c", PASTURE, str(pasture_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=scratch,  # pasture writes data.toml and a JSON-LD cache where it runs
        )
        processes.append(pasture)
        wait_for(site_port, nginx, "nginx")
        wait_for(pasture_port, pasture, "fediverse-pasture")
        actor = f"{site_url}/ap/coops/{arguments.coop}/actor"
        answer = requests.get(
            f"http://127.0.0.1:{pasture_port}/",
            params={"actor_uri": actor},
            headers={"Accept": "application/json"},
            timeout=300,
        )
        answer.raise_for_status()
        result = answer.json()["result"]
        if os.environ.get("PASTURE_MESSAGES"):
            print(answer.json()["messages"])
        if arguments.json:
            print(json.dumps(result))
            return
        print(f"fediverse-pasture verify_actor, {actor}:")
        for name, outcome in result.items():
            print(f"  {name:10} {json.dumps(outcome)}")
        posted = {n for n, o in result.items() if isinstance(o, dict) and o.get("post_inbox")}
        print(f"  POSTs taken from {sorted(posted)} (alice and dean do not sign theirs); "
              f"webfinger matches: {result.get('webfinger')}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        loop.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
