"""Benchmark the site's search (issue 6): our static index and Whoosh against Pagefind.

Generates N co-ops with 5 openings each (default N = 10,000, so 10,000 co-op documents and
50,000 openings; every opening is open on the day chosen), makes the search documents the build
makes, and measures, in one run:

* ours: ``browser_index(docs)`` (median of R), the files it writes under ``search-index/``:
  count, bytes raw and gzipped (-6, each file, as a static host with gzip serves JSON), the
  biggest term shard;
* Pagefind (the baseline, ``pagefind[bin]`` from the ``bench`` extra): one small HTML page per
  search document, indexed by ``python -m pagefind --site`` (median of R, 1 when a run takes
  over a minute); the bundle's size (its index files are compressed already; pagefind.js is
  counted gzipped);
* Whoosh (``coopdir search``): ``refresh_index`` from scratch (median of R, 1 over a minute), the
  index's size on disk, and the latency of ``whooshindex.search`` over about 30 queries taken
  from the generated data (names, technologies, services, places, words, typos, two words):
  median and 95th percentile of 5 repeats each, after one warm-up of each;
* the first query in a real headless Chromium, for ours and for Pagefind, served from loopback:
  for each of 10 queries a fresh page with the browser's cache cleared, then the time from
  starting the query to having the top 10 result rows, and the bytes fetched for it, as
  http.server sends them and as they would weigh from a host that gzips. The loopback server
  counts them: Pagefind fetches from a web worker, which the page's Resource Timing does not see.

lunr is not built: its figure comes from the research note. Prints a table and writes the
figures to ``bench/results/search-<N>.json``.

    make bench-search [N=10000]           # installs the bench extra (Pagefind), then runs:
    .venv/bin/python bench/search.py [N] [--runs 3] [--browser-queries 10] [--output FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import html
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2

sys.path.insert(0, str(Path(__file__).parent))

from coopdir.load import LoadSettings, load_directory  # noqa: E402
from coopdir.search.analysis import fold_words  # noqa: E402
from coopdir.search.browserindex import FOLDER, browser_index  # noqa: E402
from coopdir.search.documents import SearchDoc, search_documents  # noqa: E402
from coopdir.search.whooshindex import refresh_index, search  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
SEARCH_JS = PROJECT / "theme" / "static" / "js" / "search.js"
TEMPLATES = PROJECT / "theme" / "templates"
OPENINGS = 5
TODAY = dt.date(2026, 10, 31)
"""generate.py posts openings between 1 January and 28 October 2026; with openings open for a
year (OPENING_DAYS), every one of them is open on this day."""
OPENING_DAYS = 365
SLOW = 60.0
"""A build step slower than this many seconds is run once, not R times."""
REPEATS = 5
TOP = 10
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (  # as tests/browser/conftest.py
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LUNR = {
    "source": "/work/shared/research/pelican-and-search.md, section C.3 (lunr.py 0.8.0)",
    "documents": 10_000,
    "build_s": 8.54,
    "index_mb_raw": 17.94,
    "index_mb_gzip": 3.42,
    "first_query": "the whole index (3.42 MB gzip) + document store (0.08 MB gzip) + "
                   "lunr.min.js (8.4 KB gzip), then 0.43-0.55 s to parse and load",
}


# --- small helpers ----------------------------------------------------------------------------


def gzipped(data: bytes) -> int:
    """What a file weighs from a host that gzips it (level 6, as nginx and Apache default)."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def median_of(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``share`` of values reach."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def timed_runs(step: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Run ``step`` up to ``runs`` times (once when it is slower than SLOW); return the times."""
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - started)
        if seconds[0] > SLOW:
            break
    return seconds, result


def kb(size: float) -> str:
    return f"{size / 1000:,.1f} KB"


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Return the number of files under ``folder`` and their total size in bytes."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


# --- the data ---------------------------------------------------------------------------------


def make_documents(size: int, tmp: Path) -> list[SearchDoc]:
    """Generate N co-ops with 5 openings each, load them as the build does, return the docs."""
    from generate import write_coops

    started = time.perf_counter()
    write_coops(tmp / "coops", size, openings=OPENINGS)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    directory = load_directory(
        tmp / "coops", today=TODAY, settings=LoadSettings(default_opening_days=OPENING_DAYS)
    )
    docs = search_documents(directory)
    loaded = time.perf_counter() - started
    openings = sum(doc.kind == "opening" for doc in docs)
    print(f"generated {size:,} co-ops x {OPENINGS} openings in {generated:.1f} s; loaded and made "
          f"{len(docs):,} search documents ({len(docs) - openings:,} co-ops, {openings:,} open "
          f"openings on {TODAY}) in {loaded:.1f} s")
    return docs


def pick_queries(docs: list[SearchDoc]) -> list[tuple[str, str]]:
    """Return (kind, query) pairs that hit the generated data: every word occurs in it."""
    names = sorted(doc.title for doc in docs if doc.kind == "coop")
    number = names[len(names) // 3].rsplit(" ", 1)[-1]
    candidates = [
        ("name", names[len(names) // 7]),
        ("name", names[len(names) // 2]),
        ("name", f"co-op {number}"),
        ("technology", "python"),
        ("technology", "rust"),
        ("technology", "kubernetes"),
        ("technology", "postgresql"),
        ("technology", "js"),
        ("service", "hosting"),
        ("service", "web development"),
        ("service", "accessibility"),
        ("place", "berlin"),
        ("place", "montréal"),
        ("place", "zurich"),
        ("place", "buenos aires"),
        ("place", "glasgow"),
        ("word", "democratic"),
        ("word", "privacy"),
        ("word", "infrastructure"),
        ("typo", "pyhton"),
        ("typo", "kubernets"),
        ("typo", "infrastucture"),
        ("typo", "berlni"),
        ("typo", "montral"),
        ("two words", "python berlin"),
        ("two words", "rust remote"),
        ("two words", "hosting climate"),
        ("two words", "backend kubernetes"),
        ("two words", "design privacy"),
        ("two words", "frontend lyon"),
    ]
    seen = {word for doc in docs for _, text in doc.fields for word in fold_words(text)}
    kept = []
    for kind, text in candidates:
        missing = [word for word in fold_words(text) if word not in seen]
        if kind == "typo" or not missing:
            kept.append((kind, text))
        else:
            print(f"note: query {text!r} left out: {', '.join(missing)} not in the data")
    return kept


def browser_queries(queries: list[tuple[str, str]], count: int) -> list[str]:
    """Return ``count`` queries for the browser, taking each kind in turn."""
    by_kind: dict[str, list[str]] = {}
    for kind, text in queries:
        by_kind.setdefault(kind, []).append(text)
    chosen: list[str] = []
    while len(chosen) < min(count, len(queries)):
        for texts in by_kind.values():
            if texts and len(chosen) < count:
                chosen.append(texts.pop(0))
    return chosen


# --- ours -------------------------------------------------------------------------------------


def bench_ours(docs: list[SearchDoc], site: Path, runs: int) -> dict:
    """Time ``browser_index``, write its files into ``site``, describe them."""
    seconds, files = timed_runs(lambda: browser_index(docs), runs)
    for name, data in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    sizes = {name: (len(data), gzipped(data)) for name, data in files.items()}
    shards = {name: size for name, size in sizes.items() if name.startswith(f"{FOLDER}/t/")}
    chunks = {name: size for name, size in sizes.items() if name.startswith(f"{FOLDER}/d/")}
    biggest = max(shards, key=lambda name: shards[name][0])
    return {
        "build_s": median_of(seconds),
        "build_runs_s": seconds,
        "files": len(files),
        "bytes_raw": sum(raw for raw, _ in sizes.values()),
        "bytes_gzip": sum(packed for _, packed in sizes.values()),
        "shards": len(shards),
        "shard_median_gzip": median_of([packed for _, packed in shards.values()]),
        "biggest_shard": {"file": biggest, "raw": shards[biggest][0], "gzip": shards[biggest][1]},
        "summary_gzip": sizes[f"{FOLDER}/index.json"][1],
        "chunk_median_gzip": median_of([packed for _, packed in chunks.values()]),
        "engine_js_gzip": gzipped(SEARCH_JS.read_bytes()),
    }


# --- Pagefind ---------------------------------------------------------------------------------


def pagefind_page(doc: SearchDoc) -> str:
    """One minimal page per document: its text, its filters and its title, for Pagefind."""
    esc = html.escape
    filters = [("type", doc.kind)]
    filters += [("country", value) for value in doc.facet("countries")]
    filters += [("technology", value) for value in doc.facet("technologies")]
    filters += [("remote", value) for value in doc.facet("remote-ok")]
    tags = "".join(
        f'<span data-pagefind-filter="{esc(key)}:{esc(value)}"></span>' for key, value in filters
    )
    sections = "".join(
        f"<section><h2>{esc(name)}</h2><p>{esc(text)}</p></section>"
        for name, text in doc.fields
        if name != "name"
    )
    what = "Co-op" if doc.kind == "coop" else f"Opening at {esc(doc.coop_name)}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(doc.title)}'
        f'</title></head><body><main data-pagefind-body><h1 data-pagefind-meta="title">'
        f"{esc(doc.title)}</h1><p>{what} · {esc(doc.where)}</p>{tags}{sections}</main>"
        "</body></html>\n"
    )


PAGEFIND_UI = ("pagefind-ui", "pagefind-modular-ui", "pagefind-highlight", "pagefind-component")


def pagefind_parts(bundle: Path) -> dict[str, tuple[int, int]]:
    """Group the bundle's files by what they are: (count, bytes as served by a gzipping host)."""
    parts: dict[str, list[int]] = {}
    for path in sorted(bundle.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(bundle).as_posix()
        if name.startswith(PAGEFIND_UI):
            part = "default UI (not needed)"
        elif "/" in name:
            part = name.split("/", 1)[0]
        elif name.endswith(".pf_meta"):
            part = "meta"
        elif name.startswith("wasm."):
            part = "wasm"
        else:
            part = name
        served = gzipped(path.read_bytes()) if path.suffix in {".js", ".json", ".css"} else None
        parts.setdefault(part, []).append(served if served is not None else path.stat().st_size)
    return {part: (len(sizes), sum(sizes)) for part, sizes in parts.items()}


def bench_pagefind(docs: list[SearchDoc], site: Path, runs: int) -> dict:
    """Write one page per document, index them with the Pagefind CLI, describe the bundle."""
    started = time.perf_counter()
    for doc in docs:
        folder = site / doc.url.strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(pagefind_page(doc), "utf-8")
    written = time.perf_counter() - started

    def index() -> str:
        shutil.rmtree(site / "pagefind", ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", str(site)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode:
            sys.exit(f"pagefind failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    seconds, output = timed_runs(index, runs)
    version = subprocess.run(
        [sys.executable, "-m", "pagefind", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    parts = pagefind_parts(site / "pagefind")
    needed = {part: size for part, size in parts.items() if not part.startswith("default UI")}
    raw_files, raw_bytes = folder_bytes(site / "pagefind")
    print(f"pagefind: wrote {len(docs):,} pages in {written:.1f} s; {version}; "
          f"{' '.join(line.strip() for line in output.splitlines() if 'Indexed' in line)}")
    return {
        "version": version,
        "build_s": median_of(seconds),
        "build_runs_s": seconds,
        "files": sum(count for count, _ in needed.values()),
        "bytes_served": sum(size for _, size in needed.values()),
        "bytes_on_disk_all": raw_bytes,
        "files_on_disk_all": raw_files,
        "parts": {part: {"files": count, "bytes": size} for part, (count, size) in parts.items()},
        "engine_js_gzip": gzipped((site / "pagefind" / "pagefind.js").read_bytes()),
    }


# --- Whoosh -----------------------------------------------------------------------------------


def bench_whoosh(docs: list[SearchDoc], folder: Path, runs: int,
                 queries: list[tuple[str, str]]) -> dict:
    """Index from scratch (median of R), then time every query REPEATS times after a warm-up."""

    def build() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        refresh_index(folder, docs)

    seconds, _ = timed_runs(build, runs)
    files, size = folder_bytes(folder)
    hits: dict[str, int] = {}
    tops: dict[str, list[str]] = {}
    for _, text in queries:  # the warm-up; it also records what each query finds
        results = search(folder, text, limit=TOP)
        hits[text] = results.total
        tops[text] = [hit.url for hit in results.hits]
    latencies: list[float] = []
    for _ in range(REPEATS):
        for _, text in queries:
            started = time.perf_counter()
            search(folder, text, limit=TOP)
            latencies.append((time.perf_counter() - started) * 1000)
    return {
        "build_s": median_of(seconds),
        "build_runs_s": seconds,
        "files": files,
        "bytes": size,
        "queries": len(queries),
        "timed": len(latencies),
        "query_median_ms": median_of(latencies),
        "query_p95_ms": percentile(latencies, 0.95),
        "query_max_ms": max(latencies),
        "hits": hits,
        "top": tops,
    }


# --- the first query in Chromium --------------------------------------------------------------


def our_page() -> str:
    """The home page's search box (the real macro) with search.js, and a timing hook."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["human_date"] = str  # macros.html uses it elsewhere; search_box does not
    box = env.get_template("macros.html").module.search_box({}, "find")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>coopdir search bench</title></head><body><main>{box}</main>
<script src="/theme/js/search.js" defer></script>
<script>
window.runQuery = function (text) {{
  var started = performance.now();
  return window.coopdirSearch.query(text, {{}}, {{ typing: false }}).then(function (result) {{
    return window.coopdirSearch.documents(result.meta, result.ids.slice(0, {TOP}))
      .then(function (rows) {{
        return {{ started: started, ms: performance.now() - started, total: result.total,
                 urls: rows.map(function (row) {{ return row.url; }}) }};
      }});
  }});
}};
</script></body></html>
"""


PAGEFIND_BENCH_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Pagefind search bench</title></head><body><main><h1>Pagefind</h1></main>
<script>
window.runQuery = async function (text) {{
  const started = performance.now();
  const pf = await import('/pagefind/pagefind.js');
  const r = await pf.search(text);
  const rows = await Promise.all(r.results.slice(0, {TOP}).map((x) => x.data()));
  return {{ started: started, ms: performance.now() - started, total: r.results.length,
           urls: rows.map((row) => row.url) }};
}};
</script></body></html>
"""

RUN_QUERY = """
const done = arguments[arguments.length - 1];
window.runQuery(arguments[0]).then(done)
  .catch((error) => done({ error: String(error && error.stack || error) }));
"""


class _LoggingHandler(SimpleHTTPRequestHandler):
    """Serves a folder and notes every path asked for: requests from web workers included."""

    requested: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def send_head(self) -> Any:
        self.requested.append(urlsplit(self.path).path)
        return super().send_head()


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``folder`` on loopback; yield its base address and the list of paths requested."""
    requested: list[str] = []
    handler = type("Handler", (_LoggingHandler,), {"requested": requested})
    serving = functools.partial(handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), serving)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """One headless Chromium through chromedriver, as the browser tests start it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        sys.exit("selenium is missing: run `make venv` (it installs the test extra)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            sys.exit(f"{path} not found: run `bash .ci/install-test-deps` once")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(120)
        driver.set_script_timeout(300)
        yield driver
    finally:
        driver.quit()


def served_size(data: bytes, path: str) -> int:
    """What a file weighs from a gzipping host: JSON, JS, CSS and HTML gzipped, the rest as is.

    Pagefind's own index files are gzipped already, so a host serves them as they are.
    """
    return gzipped(data) if Path(path).suffix in {".js", ".json", ".css", ".html"} else len(data)


@dataclass
class Server:
    """One engine's site on loopback, the paths its server was asked for, and its bench page."""

    site: Path
    base: str
    requested: list[str]


def first_query(driver: Any, server: Server, text: str) -> dict:
    """Load the bench page with an empty cache, run one query, return its time and bytes.

    The bytes are counted by the server (the paths asked for while the query ran): Pagefind
    fetches from a web worker, whose requests the page's Resource Timing does not list.
    """
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(f"{server.base}/bench.html")
    driver.execute_script("return document.readyState")
    del server.requested[:]
    result = driver.execute_async_script(RUN_QUERY, text)
    fetched = list(server.requested)
    if "error" in result:
        sys.exit(f"{server.base}: query {text!r} failed in the browser: {result['error']}")
    index = [path for path in fetched if not path.endswith(".js")]
    scripts = [path for path in fetched if path.endswith(".js")]
    raw = {path: (server.site / unquote(path).lstrip("/")).read_bytes() for path in fetched}
    return {
        "query": text,
        "ms": result["ms"],
        "total": result["total"],
        "urls": result["urls"],
        "files": len(index),
        "bytes_http_server": sum(len(raw[path]) for path in index),
        "bytes_gzip_host": sum(served_size(raw[path], path) for path in index),
        "js_in_query": scripts,
        "js_in_query_gzip": sum(served_size(raw[path], path) for path in scripts),
    }


def summarise(rows: list[dict], page_js_gzip: int) -> dict:
    """Medians and maxima over the queries of one engine.

    "With JS" adds the engine's JavaScript: fetched with the page (ours) or during the query.
    """
    for row in rows:
        row["bytes_gzip_host_with_js"] = (
            row["bytes_gzip_host"] + row["js_in_query_gzip"] + page_js_gzip
        )
    keys = ("ms", "files", "bytes_http_server", "bytes_gzip_host", "bytes_gzip_host_with_js")
    summary = {f"{key}_median": median_of([row[key] for row in rows]) for key in keys}
    summary |= {f"{key}_max": max(row[key] for row in rows) for key in keys}
    return summary


def bench_browsers(ours_site: Path, pagefind_site: Path, queries: list[str], tmp: Path) -> dict:
    """Run each query as a first query in Chromium, on our index and on Pagefind's."""
    (ours_site / "theme" / "js").mkdir(parents=True, exist_ok=True)
    shutil.copy2(SEARCH_JS, ours_site / "theme" / "js" / "search.js")
    (ours_site / "bench.html").write_text(our_page(), "utf-8")
    (pagefind_site / "bench.html").write_text(PAGEFIND_BENCH_PAGE, "utf-8")
    rows: dict[str, list[dict]] = {"ours": [], "pagefind": []}
    with (
        serve(ours_site) as (ours_base, ours_log),
        serve(pagefind_site) as (pagefind_base, pagefind_log),
        chromium(tmp / "chromium-profile") as driver,
    ):
        servers = {
            "ours": Server(ours_site, ours_base, ours_log),
            "pagefind": Server(pagefind_site, pagefind_base, pagefind_log),
        }
        for server in servers.values():
            first_query(driver, server, "warm up")  # the browser's own start-up costs
        for text in queries:  # interleaved, so drift in machine load hits both alike
            for engine, server in servers.items():
                rows[engine].append(first_query(driver, server, text))
    return rows


# --- report -----------------------------------------------------------------------------------


def print_report(figures: dict) -> None:
    ours, pagefind, whoosh = figures["ours"], figures["pagefind"], figures["whoosh"]
    browser = figures["browser"]
    print()
    print(f"{'engine':<16}{'build s':>10}{'runs (s)':>24}{'files':>9}{'size':>14}"
          f"{'size served':>14}")
    print(f"{'ours':<16}{ours['build_s']:>10.2f}"
          f"{'/'.join(f'{s:.2f}' for s in ours['build_runs_s']):>24}{ours['files']:>9,}"
          f"{kb(ours['bytes_raw']):>14}{kb(ours['bytes_gzip']):>14}")
    print(f"{'pagefind':<16}{pagefind['build_s']:>10.2f}"
          f"{'/'.join(f'{s:.2f}' for s in pagefind['build_runs_s']):>24}{pagefind['files']:>9,}"
          f"{kb(pagefind['bytes_on_disk_all']):>14}{kb(pagefind['bytes_served']):>14}")
    print(f"{'whoosh':<16}{whoosh['build_s']:>10.2f}"
          f"{'/'.join(f'{s:.2f}' for s in whoosh['build_runs_s']):>24}{whoosh['files']:>9,}"
          f"{kb(whoosh['bytes']):>14}{'-':>14}")
    print(f"{'lunr (research)':<16}{LUNR['build_s']:>10.2f}{'at 10,000 docs':>24}{1:>9}"
          f"{kb(LUNR['index_mb_raw'] * 1e6):>14}{kb(LUNR['index_mb_gzip'] * 1e6):>14}")
    print("(size: on disk; served: as a gzipping host sends it. Pagefind's disk size includes "
          "its default UI, which its served size leaves out.)")
    biggest = ours["biggest_shard"]
    print(f"ours: {ours['shards']:,} term shards (median {kb(ours['shard_median_gzip'])} gzip, "
          f"biggest {biggest['file']} {kb(biggest['raw'])} raw / {kb(biggest['gzip'])} gzip), "
          f"index.json {kb(ours['summary_gzip'])} gzip, result chunks median "
          f"{kb(ours['chunk_median_gzip'])} gzip; search.js {kb(ours['engine_js_gzip'])} gzip")
    print("pagefind parts (files, served bytes): " + "; ".join(
        f"{part} {one['files']:,} {kb(one['bytes'])}" for part, one in pagefind["parts"].items()))
    print(f"whoosh: {whoosh['timed']} searches ({whoosh['queries']} queries x {REPEATS}, after a "
          f"warm-up): median {whoosh['query_median_ms']:.1f} ms, p95 "
          f"{whoosh['query_p95_ms']:.1f} ms, max {whoosh['query_max_ms']:.1f} ms")
    zero = [text for text, hits in whoosh["hits"].items() if not hits]
    if zero:
        print(f"  queries Whoosh finds nothing for: {', '.join(zero)}")
    print(f"lunr: {LUNR['first_query']} ({LUNR['source']})")

    print(f"\nfirst query in headless Chromium, empty cache, top {TOP} result rows "
          "(KB served = as a gzipping host sends the index files; JS not included):")
    scripts = sorted({path for row in browser["pagefind"] for path in row["js_in_query"]})
    print(f"(engine JS, gzip: ours search.js {kb(ours['engine_js_gzip'])}, with the page; "
          f"Pagefind {', '.join(scripts)} "
          f"{kb(median_of([row['js_in_query_gzip'] for row in browser['pagefind']]))}, "
          "during the query, counted in its time)")
    print("(top 10 = how many of the top 10 rows coopdir search (Whoosh) shows too)")
    print(f"{'query':<22}{'ours hits':>10}{'top 10':>7}{'ms':>7}{'files':>6}{'KB served':>10}"
          f"{'pf hits':>9}{'top 10':>7}{'ms':>7}{'files':>6}{'KB served':>10}")
    for mine, theirs in zip(browser["ours"], browser["pagefind"], strict=True):
        top = set(whoosh["top"].get(mine["query"], []))
        print(f"{mine['query'][:21]:<22}{mine['total']:>10,}{len(top & set(mine['urls'])):>7}"
              f"{mine['ms']:>7.0f}{mine['files']:>6}{mine['bytes_gzip_host'] / 1000:>10.1f}"
              f"{theirs['total']:>9,}{len(top & set(theirs['urls'])):>7}{theirs['ms']:>7.0f}"
              f"{theirs['files']:>6}{theirs['bytes_gzip_host'] / 1000:>10.1f}")
    so, sp, ratio = browser["summary"]["ours"], browser["summary"]["pagefind"], browser["ratio"]
    print(f"{'':<24}{'ours median':>14}{'max':>12}{'pagefind median':>18}{'max':>12}"
          f"{'ours/pf':>9}")
    lines = [
        ("time to first result", "ms", 1, " ms"),
        ("bytes served (gzip)", "bytes_gzip_host", 1000, " KB"),
        ("  + engine JS", "bytes_gzip_host_with_js", 1000, " KB"),
        ("bytes over http.server", "bytes_http_server", 1000, " KB"),
        ("files fetched", "files", 1, ""),
    ]
    for label, key, scale, unit in lines:
        print(f"{label:<24}{so[key + '_median'] / scale:>11.1f}{unit:<3}"
              f"{so[key + '_max'] / scale:>9.1f}{unit:<3}{sp[key + '_median'] / scale:>15.1f}"
              f"{unit:<3}{sp[key + '_max'] / scale:>9.1f}{unit:<3}{ratio[key]:>9.2f}")


def main() -> None:
    """Measure every engine on the same documents; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("coops", nargs="?", type=int, default=10_000, help="co-ops (N)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each index build")
    parser.add_argument("--browser-queries", type=int, default=10)
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/...)")
    args = parser.parse_args()
    try:
        import pagefind  # noqa: F401
    except ImportError:
        sys.exit("pagefind is missing: .venv/bin/pip install -e '.[bench]' (the bench extra)")

    command = " ".join([Path(sys.executable).name, *sys.argv])
    print(f"$ {command}")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix=f"coopdir-search-{args.coops}-") as name:
        tmp = Path(name)
        docs = make_documents(args.coops, tmp)
        queries = pick_queries(docs)
        print("ours: building the browser index ...", flush=True)
        ours = bench_ours(docs, tmp / "ours", args.runs)
        print("pagefind: writing pages and indexing ...", flush=True)
        pagefind_figures = bench_pagefind(docs, tmp / "pagefind", args.runs)
        print("whoosh: indexing and querying ...", flush=True)
        whoosh = bench_whoosh(docs, tmp / "whoosh", args.runs, queries)
        print("chromium: first queries ...", flush=True)
        chosen = browser_queries(queries, args.browser_queries)
        rows = bench_browsers(tmp / "ours", tmp / "pagefind", chosen, tmp)
    summary = {
        "ours": summarise(rows["ours"], ours["engine_js_gzip"]),
        "pagefind": summarise(rows["pagefind"], 0),  # its JS is fetched during the query
    }
    ratio = {
        key.removesuffix("_median"): summary["ours"][key] / summary["pagefind"][key]
        for key in summary["ours"]
        if key.endswith("_median") and summary["pagefind"][key]
    }
    figures = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg(),
        "coops": args.coops,
        "documents": len(docs),
        "ours": ours,
        "pagefind": pagefind_figures,
        "whoosh": whoosh,
        "lunr": LUNR,
        "browser": {"queries": chosen, **rows, "summary": summary, "ratio": ratio},
    }
    print_report(figures)
    output = args.output or RESULTS / f"search-{args.coops}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nfigures saved to {output}")


if __name__ == "__main__":
    main()
