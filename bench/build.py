"""Benchmark the site build against plain Pelican building one article per co-op.

For each size N (default 1,000 and 10,000), generates N co-ops with 5 openings each and, from
the same data, N Markdown articles (title, date, category = country, tags = technologies,
summary; body = the description and one ``###`` section per opening). Each build runs in a
fresh process under ``/usr/bin/time``, into a fresh output folder from a fresh working folder:

* coopdir: ``coopdir build --coops FOLDER --output OUT`` (atomic; Pelican runs as its child),
  with ``SOURCE_DATE_EPOCH=1793491200`` (1 November 2026) so the build is deterministic;
* pelican: ``pelican CONTENT -s SETTINGS -o OUT`` with the same Pelican, its default theme
  (notmyidea) and quickstart-like settings (pagination 10, no feeds, a fixed SITEURL).

Prints, per size, the median wall time of R runs (default 3 up to 1,000 co-ops, 1 above), the
pages written (HTML files), pages per second, peak RSS (of the largest process in the build's
tree: for ours that is Pelican, while ``coopdir build`` waits), and milliseconds per co-op or
article with the ratio ours / plain. Then, after a full build of ours, rebuilds (a) with no
change, (b) after rewriting one co-op's ``summary:``, (c) after renaming one opening (three
rounds at every size, another co-op each round: the median is quoted); checks
that the changed pages show the change; and compares the rebuilt output with a from-scratch
build of the same files, byte for byte. Where the plugin writes ``timings.json`` into its cache
folder, each build of ours also shows where its time went (load, plan, pages, feeds, ...). The
figures are only comparable on a quiet machine and fixed code: the load average is printed, and
a warning when the plugin, theme or content changed while the benchmark ran.

Targets: ours builds a co-op with its openings at least as fast as plain Pelican builds one
article (ratio <= 1); after a one-file change, a rebuild at N = 10,000 takes at most 10% of a
full build.

    .venv/bin/python bench/build.py [--sizes 1000,10000] [--runs R] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # .venv/bin: the same coopdir and pelican as the project
EPOCH = "1793491200"  # 2026-11-01
OPENINGS = 5
RUNS_SMALL, SMALL = 3, 1_000  # default runs up to SMALL co-ops; 1 above
REBUILD_ROUNDS = 3  # rebuilds of each kind at every size (a few seconds each): medians of 3
TIME_TARGET = 1.0  # ours per co-op / plain per article
REBUILD_TARGET = 0.10  # one-file rebuild / full build
REBUILD_SIZE = 10_000
WATCHED = ("plugins", "theme", "content", "pelican.conf.py")  # the build's code and inputs

PELICAN_SETTINGS = """\
# Plain Pelican, as pelican-quickstart writes it, for the baseline of bench/build.py.
AUTHOR = "coopdir bench"
SITENAME = "Plain Pelican baseline"
SITEURL = ""

PATH = "content"

TIMEZONE = "UTC"

DEFAULT_LANG = "en"

# Feed generation is usually not desired when developing
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Blogroll
LINKS = (
    ("Pelican", "https://getpelican.com/"),
    ("Python.org", "https://www.python.org/"),
    ("Jinja2", "https://palletsprojects.com/p/jinja/"),
)

# Social widget
SOCIAL = (
    ("You can add links in your config file", "#"),
    ("Another social link", "#"),
)

DEFAULT_PAGINATION = 10

DELETE_OUTPUT_DIRECTORY = True
"""

# Peak RSS without /usr/bin/time: a fresh wrapper whose only child is the build.
RUSAGE_WRAPPER = r"""
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], check=False).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Run:
    """One measured build: wall seconds, peak RSS in MB, its output folder, its phases."""

    seconds: float
    peak_mb: float
    output: Path
    phases: dict[str, float] | None = None


NO_DELETIONS_WHILE_TIMING = """Nothing is deleted until every build is timed.

On ext4 without a journal (this machine's root file system) the kernel will not reuse an inode
freed in the last 60 s, or 300 s while its inode-table block is dirty, and it walks past every
such inode on each file it creates: after removing a 343,000-file site, creating as many files
again took 2-4x as long (perf: 65% of the build's CPU in ``recently_deleted``). A benchmark that
removed the previous run's tree before the next timed build measured that, not the builds. Do
not run it within five minutes of removing a large tree either.
"""

KEYS = Path(__file__).resolve().parent / "results" / "keys"
"""The generated co-ops' fediverse keys, kept between runs (bench/results/ is not committed)."""


def prepare_keys(slugs: list[str]) -> None:
    """Make every actor's key pair before timing: a once-per-co-op cost, not a per-build one."""
    from coopdir.keys import public_key_pem
    from coopdir.urls import AP_DIRECTORY_ACCOUNT

    started = time.perf_counter()
    for account in [AP_DIRECTORY_ACCOUNT, *slugs]:
        public_key_pem(KEYS, account)
    print(f"fediverse keys ready in {KEYS} ({time.perf_counter() - started:.1f} s)")


SLOW_DISK_MICROSECONDS = 60.0
"""Above this, the probe below says the disk is in the slow state: twice the quiet figure."""


def file_creation_microseconds(folder: Path, count: int = 3000) -> float:
    """Time creating small files in folders, as a build does: the disk's state, for the record.

    It varies more than tenfold on this machine (see NO_DELETIONS_WHILE_TIMING), and a site
    build of ours creates 34 files per co-op: a slow disk shows up here first.
    """
    probe = folder / "file-creation-probe"
    started = time.perf_counter()
    for number in range(count):
        if number % 10 == 0:
            (probe / str(number)).mkdir(parents=True)
        (probe / str(number - number % 10) / f"{number}.html").write_bytes(b"x" * 2000)
    return (time.perf_counter() - started) / count * 1e6


def run_measured(command: list[str], *, cwd: Path, output: Path) -> Run:
    """Run a build in a fresh process; return its wall time and the peak RSS of its tree."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "COOPDIR_KEYS_DIR": str(KEYS)}
    cwd.mkdir(parents=True, exist_ok=True)
    # Every build starts with nothing left to write back from the one before (a 10k build
    # leaves gigabytes dirty, which the kernel would flush during the next one, whichever tool).
    # A full page cache made no difference here (38.3 s for a 10k build with 3.6 GB free, and
    # with the cache dropped): it is left alone.
    os.sync()
    with tempfile.NamedTemporaryFile("r", suffix=".rss", dir=cwd) as report:
        if Path("/usr/bin/time").exists():
            wrapped = ["/usr/bin/time", "-f", "%M", "-o", report.name, *command]
        else:
            wrapped = [sys.executable, "-c", RUSAGE_WRAPPER, *command]
        start = time.perf_counter()
        result = subprocess.run(
            wrapped, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(
                f"build failed ({result.returncode}): {' '.join(command)}\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
            )
        text = report.read() if wrapped[0] == "/usr/bin/time" else result.stderr
    peak_kb = int(text.strip().splitlines()[-1])
    return Run(seconds, peak_kb / 1024, output)


def build_ours(coops: Path, output: Path, cwd: Path) -> Run:
    """Build the directory with ``coopdir build``; keep the phase timings the plugin writes."""
    command = [str(BIN / "coopdir"), "build", "--coops", str(coops), "--output", str(output)]
    timings = output.with_name(f".{output.name}.cache") / "timings.json"
    timings.unlink(missing_ok=True)
    run = run_measured(command, cwd=cwd, output=output)
    if timings.is_file():
        run.phases = json.loads(timings.read_text("utf-8"))
        # ``coopdir build`` does not wait for Pelican's process to end (pelicanrun), so the
        # process tree measured above may leave it out: the plugin says its own peak.
        run.peak_mb = max(run.peak_mb, float(run.phases.get("peak_rss_mb", 0.0)))
    return run


INSIDE_OF = {"load_files": "load"}
"""Phases timed within another than render."""


def phases_line(run: Run) -> str:
    """Describe where a build of ours spent its time, by the plugin's and build.py's timings."""
    if not run.phases:
        return "no phase timings (the plugin wrote no timings.json)"
    counts = {"pages": "pages_rendered", "render": "pages_rendered", "feeds": "feeds_written"}
    skip = {"pages_rendered", "feeds_written", "fragments_reused", "render_processes"}
    skip |= {"load_processes", "slices_made", "peak_rss_mb", "files_as_before"}  # flags
    skip |= {"pelican_startup", "pelican_exit", "plugin_began", "plugin_ended"}
    skip |= {"search_written", "search_removed", "search_analysed", "search_reused"}  # counts
    around = ("staging", "pelican_process", "swap")  # build.py's steps around Pelican
    # The bulk data and the search index are written inside "render": before the pages when
    # the build runs in one process, in the second process alongside them when in two; deciding
    # what to write ("plan_writes") and the site's own fediverse files are inside it too, and
    # reading the files inside "load".
    inside = ("bulk_data", "search", "plan_writes", "fediverse_site", "load_files")
    inside += ("second_wait", "merge")  # the parent waiting for the second process, then merging
    processes = run.phases.get("render_processes", 1)
    parts, plugin = [], 0.0
    for name, value in run.phases.items():
        if name in skip or name in around or not isinstance(value, int | float):
            continue
        if name not in inside:
            plugin += value
        count = run.phases.get(counts.get(name, ""))
        parts.append(
            f"{name} {value:.2f}"
            + (f" ({count:,} written)" if count is not None else "")
            + (f" in {processes} processes" if name == "render" and processes > 1 else "")
            + (f" in {run.phases.get('load_processes', 1)} processes" if name == "load" else "")
            + (f" (inside {INSIDE_OF.get(name, 'render')})" if name in inside else "")
        )
    if all(name in run.phases for name in around):
        parts.append(f"Pelican start-up and own work {run.phases['pelican_process'] - plugin:.2f}")
        if "pelican_startup" in run.phases:
            parts.append(
                f"(of which start-up to the plugin {run.phases['pelican_startup']:.2f},"
                f" exit after it {run.phases['pelican_exit']:.2f})"
            )
        made = run.phases.get("staging_from", "?")
        parts.append(f"staging {run.phases['staging']:.2f} (by {made})")
        parts.append(f"swap {run.phases['swap']:.2f}")
        rest = run.seconds - sum(run.phases[name] for name in around)
        parts.append(f"rest {rest:.2f} (the coopdir command's start-up)")
    else:
        parts.append(f"rest {run.seconds - plugin:.2f} (start-up, Pelican, staging, swap)")
    return ", ".join(parts)


def build_plain(content: Path, settings: Path, output: Path, cwd: Path) -> Run:
    """Build the Markdown articles with plain Pelican."""
    command = [str(BIN / "pelican"), str(content), "-s", str(settings), "-o", str(output)]
    return run_measured(command, cwd=cwd, output=output)


def article(data: dict) -> str:
    """Return the Markdown article for one co-op: metadata, description, one section an opening."""
    posted = max(str(opening["posted"]) for opening in data["openings"])
    lines = [
        f"Title: {data['name']}",
        f"Date: {posted}",
        f"Category: {data['locations'][0]['country']}",
        f"Tags: {', '.join(data['technologies'])}",
        f"Summary: {data['summary']}",
        "",
        data["description"],
    ]
    for opening in data["openings"]:
        lines += ["", f"### {opening['title']}", "", opening["description"]]
    return "\n".join(lines) + "\n"


def write_articles(coops: list[Path], content: Path) -> None:
    """Write one article per co-op file, from the same data the build reads."""
    content.mkdir(parents=True)
    for path in coops:
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)
        (content / f"{path.stem}.md").write_text(article(data), "utf-8")


def html_pages(output: Path) -> int:
    """Count the HTML files of a built site."""
    return sum(1 for _ in output.rglob("*.html"))


def digests(output: Path) -> dict[str, str]:
    """Return every file of a built site by relative path, with a digest of its bytes."""
    return {
        path.relative_to(output).as_posix(): hashlib.blake2b(path.read_bytes()).hexdigest()
        for path in output.rglob("*")
        if path.is_file()
    }


def differences(old: dict[str, str], new: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Return the files only in ``old``, only in ``new``, and in both with other bytes."""
    missing = sorted(old.keys() - new.keys())
    extra = sorted(new.keys() - old.keys())
    changed = sorted(name for name in old.keys() & new.keys() if old[name] != new[name])
    return missing, extra, changed


def describe(old: dict[str, str], new: dict[str, str], limit: int = 8) -> list[str]:
    """Describe how two sites differ, a few paths of each kind."""
    lines = []
    for label, names in zip(
        ("only in the from-scratch build", "only in the rebuilt output", "different bytes"),
        differences(old, new),
        strict=True,
    ):
        if names:
            shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
            lines.append(f"    {len(names)} {label}: {shown}")
    return lines


def replace_field(text: str, pattern: str, replacement: str) -> str:
    """Replace the first line matching ``pattern`` and its continuation lines with one line."""
    match = re.search(pattern, text, flags=re.MULTILINE)
    if not match:
        raise ValueError(f"no line matches {pattern!r}")
    indent = len(match.group(0)) - len(match.group(0).lstrip(" "))
    end = text.index("\n", match.start()) + 1
    lines = text[end:].split("\n")
    skipped = 0
    for line in lines:  # a wrapped value continues on lines indented deeper than its key
        if line.startswith(" " * (indent + 1)) and not line.lstrip().startswith("- "):
            skipped += len(line) + 1
        else:
            break
    return text[: match.start()] + replacement + "\n" + text[end + skipped :]


def change_summary(path: Path, summary: str) -> None:
    """Rewrite the ``summary:`` line of a co-op file."""
    text = path.read_text("utf-8")
    path.write_text(replace_field(text, r"^summary: .*$", f"summary: {summary}"), "utf-8")


def change_opening_title(path: Path, title: str) -> str:
    """Rename the first opening of a co-op file; return the opening's id."""
    text = path.read_text("utf-8")
    opening_id = re.search(r"^- id: (\S+)$", text, flags=re.MULTILINE).group(1)
    path.write_text(replace_field(text, r"^  title: .*$", f"  title: {title}"), "utf-8")
    return opening_id


def median(runs: list[Run]) -> float:
    """Return the median wall time of some runs."""
    return statistics.median(run.seconds for run in runs)


def print_builds(size: int, results: dict[str, list[Run]], pages: dict[str, int]) -> float | None:
    """Print the table of full builds at one size; return ours / plain per co-op, if measured."""
    header = ("tool", "median s", "runs (s)", "pages", "pages/s", "peak MB", "ms/co-op", "x plain")
    print(
        f"{header[0]:<10}{header[1]:>10}{header[2]:>22}{header[3]:>9}{header[4]:>9}"
        f"{header[5]:>9}{header[6]:>10}{header[7]:>9}"
    )
    plain = median(results["pelican"]) / size if results.get("pelican") else None
    ratio = None
    for tool, runs in results.items():
        if not runs:
            continue
        seconds = median(runs)
        each = "/".join(f"{run.seconds:.2f}" for run in runs)
        peak = statistics.median(run.peak_mb for run in runs)
        per = seconds / size
        versus = f"{per / plain:.2f}" if plain else "-"
        if tool == "coopdir" and plain:
            ratio = per / plain
        print(
            f"{tool:<10}{seconds:>10.2f}{each:>22}{pages[tool]:>9,}{pages[tool] / seconds:>9.0f}"
            f"{peak:>9.0f}{per * 1000:>10.2f}{versus:>9}"
        )
    return ratio


def incremental(size: int, coops: Path, base: Run, work: Path, rounds: int, full: float) -> dict:
    """Rebuild after no change, one summary and one opening title; check and print each."""
    steps = {"(a) no change": [], "(b) one co-op's summary": [], "(c) one opening's title": []}
    changed_files: dict[str, list[int]] = {step: [] for step in steps}
    peaks: dict[str, list[float]] = {step: [] for step in steps}
    failures: list[str] = []
    output = base.output
    before = digests(output)
    for round_number in range(rounds):
        for step in steps:
            if step.startswith("(b)"):
                slug = f"example-coop-{size // 2 + round_number:05d}"
                text = f"Summary changed by the build benchmark, round {round_number + 1}"
                change_summary(coops / f"{slug}.yaml", text)
                page = output / "coops" / slug / "index.html"
            elif step.startswith("(c)"):
                slug = f"example-coop-{size // 3 + round_number:05d}"
                text = f"Renamed opening, round {round_number + 1}"
                opening_id = change_opening_title(coops / f"{slug}.yaml", text)
                page = output / "coops" / slug / "openings" / opening_id / "index.html"
            run = build_ours(coops, output, work)
            steps[step].append(run)
            peaks[step].append(run.peak_mb)
            after = digests(output)
            changed_files[step].append(sum(len(names) for names in differences(before, after)))
            if step.startswith("(a)") and after != before:
                failures.append(f"{step}, round {round_number + 1}: the output changed")
                failures.extend(describe(before, after))
            if not step.startswith("(a)") and text not in page.read_text("utf-8"):
                failures.append(f"{step}, round {round_number + 1}: {page} lacks {text!r}")
            before = after
    print(f"rebuilds at N = {size:,} after a full build of {full:.2f} s (median of {rounds}):")
    print(f"{'step':<26}{'median s':>10}{'runs (s)':>22}{'% of full':>11}{'peak MB':>9}"
          f"{'files changed':>15}")
    medians = {}
    for step, runs in steps.items():
        seconds = median(runs)
        medians[step] = seconds
        each = "/".join(f"{run.seconds:.2f}" for run in runs)
        files = "/".join(str(count) for count in changed_files[step])
        print(f"{step:<26}{seconds:>10.2f}{each:>22}{seconds / full:>11.1%}"
              f"{statistics.median(peaks[step]):>9.0f}{files:>15}")
    for step, runs in steps.items():
        print(f"{step[:3]} phases (s), last run: {phases_line(runs[-1])}")
    checks = "all pass" if not failures else "FAILED"
    print(f"checks (output unchanged after (a); new text on the changed pages): {checks}")
    for line in failures:
        print(f"  {line}")
    return {"medians": medians, "failures": failures}


def compare_with_scratch(coops: Path, rebuilt: Path, tmp: Path, state: dict[str, int]) -> list[str]:
    """Build the final files from scratch and compare with the rebuilt output byte for byte."""
    scratch = build_ours(coops, tmp / "scratch" / "out", tmp / "scratch" / "work")
    expected, got = digests(scratch.output), digests(rebuilt)
    print(f"from-scratch build of the changed files: {scratch.seconds:.2f} s, "
          f"{len(expected):,} files")
    if expected == got:
        print("rebuilt output equals the from-scratch build, byte for byte")
        return []
    problems = ["rebuilt output differs from a from-scratch build:", *describe(expected, got)]
    again = build_ours(coops, tmp / "scratch2" / "out", tmp / "scratch2" / "work")
    if digests(again.output) == expected and edits_since(state):
        problems.append("    (two from-scratch builds agree, but the build's code changed since the"
                        " rebuild: see the note below)")
    elif digests(again.output) == expected:
        problems.append("    (two from-scratch builds agree: the rebuild is wrong)")
    else:
        problems.append("    (two from-scratch builds differ too: the build is not deterministic)")
        problems.extend(describe(expected, digests(again.output)))
    for line in problems:
        print(line)
    return problems


def inputs_state() -> dict[str, int]:
    """Return the modification time of every file the build reads from the project."""
    state = {}
    for name in WATCHED:
        for path in [PROJECT / name, *(PROJECT / name).rglob("*")]:
            if any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts):
                continue
            with contextlib.suppress(FileNotFoundError):  # the project may change meanwhile
                if path.is_file():
                    state[str(path.relative_to(PROJECT))] = path.stat().st_mtime_ns
    return state


def edits_since(state: dict[str, int]) -> list[str]:
    """Return the build's code and input files changed (or added, or removed) since ``state``."""
    now = inputs_state()
    return sorted(name for name in state.keys() | now.keys() if state.get(name) != now.get(name))


def bench_size(size: int, runs: int, *, baseline: bool, tmp: Path) -> dict:
    """Generate N co-ops and articles, build both R times, then rebuild ours incrementally."""
    from generate import write_coops

    state = inputs_state()
    tmp.mkdir(parents=True, exist_ok=True)
    coops = tmp / "coops"
    started = time.perf_counter()
    paths = write_coops(coops, size, openings=OPENINGS)
    prepare_keys([path.stem for path in paths])
    megabytes = sum(path.stat().st_size for path in paths) / 1e6
    settings = tmp / "pelicanconf.py"
    if baseline:
        write_articles(paths, tmp / "content")
        settings.write_text(PELICAN_SETTINGS, "utf-8")
    probe = file_creation_microseconds(tmp)
    print(f"\nN = {size:,}: generated {size:,} co-ops x {OPENINGS} openings ({megabytes:.1f} MB)"
          f"{' and as many articles' if baseline else ''} in {time.perf_counter() - started:.1f} s;"
          f" {runs} run(s) each; creating a small file took {probe:.0f} µs")
    if probe > SLOW_DISK_MICROSECONDS:
        print(f"warning: creating files is slow right now ({probe:.0f} µs, against 23-31 µs on "
              "a quiet disk here): a large tree was probably removed in the last minutes (see "
              "NO_DELETIONS_WHILE_TIMING); full builds of ours will measure that, not the code")
    results: dict[str, list[Run]] = {"coopdir": [], "pelican": []}
    pages: dict[str, int] = {}
    outputs: list[dict[str, str]] = []
    for number in range(runs):  # interleaved, so drift in machine load hits both alike
        run = build_ours(coops, tmp / f"ours-{number}" / "out", tmp / f"ours-{number}" / "work")
        results["coopdir"].append(run)
        pages["coopdir"] = html_pages(run.output)
        if runs > 1:
            outputs.append(digests(run.output))
        if baseline:
            plain = build_plain(
                tmp / "content",
                settings,
                tmp / f"plain-{number}" / "out",
                tmp / f"plain-{number}" / "work",
            )
            results["pelican"].append(plain)
            pages["pelican"] = html_pages(plain.output)
    ratio = print_builds(size, results, pages)
    deterministic = all(output == outputs[0] for output in outputs)
    if runs > 1:
        print(f"full builds of ours byte-identical across runs: {'yes' if deterministic else 'NO'}")
        if not deterministic:
            for output in outputs[1:]:
                for line in describe(outputs[0], output):
                    print(line)
    print(f"coopdir phases (s), last full build: {phases_line(results['coopdir'][-1])}")
    last = results["coopdir"][-1]
    if (last.phases or {}).get("feeds") is not None:  # issue 4: what feeds cost in a full build
        print(f"feeds: {last.phases['feeds']:.2f} s of a {last.seconds:.2f} s full build = "
              f"{last.phases['feeds'] / last.seconds:.1%} ({last.phases.get('feeds_written', 0):,}"
              " feeds, 3 files each)")
    full = median(results["coopdir"])
    rebuilds = incremental(size, coops, results["coopdir"][-1], tmp / f"ours-{runs - 1}" / "work",
                           max(runs, REBUILD_ROUNDS), full)
    mismatch = compare_with_scratch(coops, results["coopdir"][-1].output, tmp, state)
    edited = edits_since(state)
    if edited:
        print(f"note: {len(edited)} file(s) of the build's code or inputs changed during the builds"
              f" at this size ({', '.join(edited[:6])}{', ...' if len(edited) > 6 else ''}): they"
              " did not all run the same code; differences and slow rebuilds may come from that")
    return {
        "ratio": ratio,
        "full": full,
        "rebuilds": rebuilds["medians"],
        "problems": rebuilds["failures"] + mismatch + ([] if deterministic else ["nondeterminism"]),
    }


SITE_BYTES_PER_COOP = 340_000
"""What one co-op's site takes on disk (10,000 co-ops: 3.2 GB; 34 files and 12 folders each)."""
ARTICLE_BYTES = 60_000
"""What plain Pelican's output takes per article."""


def disk_needed(plans: dict[int, int], *, baseline: bool) -> int:
    """Estimate the bytes a run needs: its full builds, the rebuilt tree's spare, a check build.

    A disk that fills halfway fails the build (cleanly) and wastes the run, so the run checks
    first (with a quarter more as margin).
    """
    per_size = [
        size * (SITE_BYTES_PER_COOP * (runs + 2) + (ARTICLE_BYTES * runs if baseline else 0))
        for size, runs in plans.items()
    ]
    return int(sum(per_size) * 1.25)


def verdict(met: bool) -> str:
    """Say whether a target is met."""
    return "meets" if met else "misses"


def main() -> None:
    """Benchmark every size, print tables, then one line per target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="co-op counts, comma-separated")
    parser.add_argument(
        "--runs", type=int, help=f"runs per build (default {RUNS_SMALL} up to {SMALL:,}, 1 above)"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="build only ours")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]

    version = subprocess.run(
        [BIN / "pelican", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"Pelican {version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
          f"SOURCE_DATE_EPOCH={EPOCH} (2026-11-01)")
    print(f"runs: {args.runs if args.runs else f'{RUNS_SMALL} up to {SMALL:,} co-ops, 1 above'}"
          f" (median reported); peak MB is the largest process in the build's tree")
    print(f"load average at start: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print("(see NO_DELETIONS_WHILE_TIMING: run it five minutes after removing any large tree)")
    plans = {size: args.runs or (RUNS_SMALL if size <= SMALL else 1) for size in sizes}
    needed = disk_needed(plans, baseline=not args.skip_baseline)
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        sys.exit(f"bench/build.py needs about {needed / 1e9:.1f} GB free in "
                 f"{tempfile.gettempdir()} (every tree stays until all builds are timed); "
                 f"{free / 1e9:.1f} GB are free: free some, or pass fewer --sizes or --runs")
    before = inputs_state()
    summary = {}
    # Every tree stays until all builds are timed (see NO_DELETIONS_WHILE_TIMING).
    with tempfile.TemporaryDirectory(prefix="coopdir-bench-") as tmp:
        for size in sizes:
            runs = plans[size]
            folder = Path(tmp) / str(size)
            summary[size] = bench_size(size, runs, baseline=not args.skip_baseline, tmp=folder)
    edited = edits_since(before)

    print(f"\nload average at end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if edited:
        print(f"warning: {len(edited)} file(s) of the build's code or inputs changed while the "
              f"benchmark ran ({', '.join(edited[:5])}): the figures mix versions")
    for size, result in summary.items():
        if result["ratio"] is not None:
            print(f"N = {size:,}: ours per co-op (with {OPENINGS} openings) / plain Pelican per "
                  f"article = {result['ratio']:.2f} ({verdict(result['ratio'] <= TIME_TARGET)} "
                  f"the <= {TIME_TARGET:g} target)")
    at = REBUILD_SIZE if REBUILD_SIZE in summary else max(summary)
    note = "" if at == REBUILD_SIZE else f" (not run at N = {REBUILD_SIZE:,}; shown at N = {at:,})"
    result = summary[at]
    for step, seconds in result["rebuilds"].items():
        if step.startswith("(a)"):
            continue
        share = seconds / result["full"]
        print(f"N = {at:,}: rebuild after {step[4:]} = {seconds:.2f} s = {share:.1%} of a full "
              f"build ({verdict(share <= REBUILD_TARGET)} the <= {REBUILD_TARGET:.0%} target)"
              f"{note}")
    problems = [f"N = {size:,}" for size, result in summary.items() if result["problems"]]
    print("correctness: " + (f"PROBLEMS at {', '.join(problems)} (see above)" if problems else
                             "rebuilds show the changes and equal from-scratch builds"))


if __name__ == "__main__":
    main()
