"""Build the site all or nothing, and rebuild it while files change.

Pelican writes into a staging folder, which then replaces the output folder: a failed build
leaves the previous site exactly as it was, and a server never sees a half-written site.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from . import pelicanrun
from .incremental import (
    FEDIVERSE_NAMES,
    JOURNAL,
    MANIFEST,
    NEXT_FEDIVERSE_NAMES,
    NEXT_JOURNAL,
    NEXT_MANIFEST,
    read_journal,
    remove_empty_folders,
)

PROJECT = Path(__file__).resolve().parents[2]


def pelican_arguments(
    staging: Path, settings_file: Path, content: Path, *, keep_output: bool
) -> list[str]:
    """Return Pelican's arguments, strict: any warning or error fails the build."""
    command = [
        str(content),
        "-s",
        str(settings_file),
        "-o",
        str(staging),
        "--fatal",
        "warnings",
    ]
    if keep_output:  # staging starts as a copy of the previous site: keep it
        command += ["-e", "DELETE_OUTPUT_DIRECTORY=false"]
    return command


def cache_folder(output: Path) -> Path:
    """Return where rebuilds of ``output`` keep their cache: a hidden folder beside it."""
    return output.with_name(f".{output.name}.cache")


def copy_by_hard_links(site: Path, staging: Path) -> None:
    """Start the staging folder as the previous site, sharing files instead of copying them.

    Theme assets are left out: Pelican copies those itself, by writing into existing files.
    """
    cp = shutil.which("cp")
    if cp:  # GNU cp links 100,000 files several times faster than a Python loop
        subprocess.run([cp, "-al", "--", str(site), str(staging)], check=True)
        shutil.rmtree(staging / "theme", ignore_errors=True)
        return

    def link(source: str, destination: str) -> None:
        os.link(source, destination)

    shutil.copytree(
        site,
        staging,
        copy_function=link,
        ignore=lambda folder, names: ["theme"] if Path(folder) == site else [],
    )


def _entries(root: Path) -> tuple[dict[str, int], set[str]]:
    """Return a tree's files (relative path → inode) and folders, read with ``os.scandir``.

    Inodes come from the directory listing itself: no ``stat`` per file.
    """
    files: dict[str, int] = {}
    folders: set[str] = set()
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(root / relative if relative else root) as listing:
            for entry in listing:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.add(name)
                    pending.append(name)
                else:
                    files[name] = entry.inode()
    return files, folders


def sync_by_hard_links(site: Path, spare: Path) -> int:
    """Make ``spare`` (an older copy of the site) equal to ``site``; return files changed.

    Files the two trees share are one file (the same inode); a file the builds since have
    written anew is linked over, a file the site no longer has is removed. Only the changes
    cost anything, where a fresh ``cp -al`` links every file of the site again. Theme assets
    are left out, as in ``copy_by_hard_links``.
    """
    shutil.rmtree(spare / "theme", ignore_errors=True)
    have, have_folders = _entries(spare)
    want, want_folders = _entries(site)
    changed = 0
    for folder in sorted(want_folders - have_folders):
        if folder != "theme" and not folder.startswith("theme/"):
            if folder in have:  # a file where the site now has a folder
                (spare / folder).unlink()
            (spare / folder).mkdir(exist_ok=True)
    for name, inode in want.items():
        if name.startswith("theme/") or have.get(name) == inode:
            continue
        target = spare / name
        if name in have:
            target.unlink()
        elif name in have_folders:  # a folder where the site now has a file
            shutil.rmtree(target)
        os.link(site / name, target)
        changed += 1
    for name in have.keys() - want.keys() - want_folders:
        (spare / name).unlink()
        changed += 1
    for folder in sorted(have_folders - want_folders, reverse=True):
        shutil.rmtree(spare / folder, ignore_errors=True)
    return changed


def replay_journal(site: Path, spare: Path, names: list[str]) -> int:
    """Make ``spare`` (the site before last) equal to ``site``: replay the last build's journal.

    ``names`` are the files the last build wrote or removed: each is linked over from the site,
    or removed where the site no longer has it. Only those are touched, where
    ``sync_by_hard_links`` compares every file of both trees. Theme assets are left out, as
    everywhere here (Pelican copies them afresh).

    A file costs two system calls, an ``unlink`` and a ``link``, in the usual case: after a
    build that wrote the whole site (the first of a new day, or after a template change) the
    journal names every file, and replaying it then beats linking the site afresh with
    ``cp -al`` (which makes every folder again, and leaves the old tree for a removal that
    competes with the next build for the disk).
    """
    shutil.rmtree(spare / "theme", ignore_errors=True)
    emptied: set[Path] = set()
    site_root, spare_root = os.fspath(site) + os.sep, os.fspath(spare) + os.sep
    for name in names:
        if name == "theme" or name.startswith("theme/"):
            continue
        source, target = site_root + name, spare_root + name
        try:
            os.unlink(target)
        except (FileNotFoundError, NotADirectoryError):  # not there, or its folder is a file
            pass
        except IsADirectoryError:  # a folder where the site now has a file, or nothing
            shutil.rmtree(target)
        try:
            os.link(source, target)
        except OSError:
            if not os.path.isfile(source):  # the site no longer has it (or it is a folder now)
                emptied.add(Path(target).parent)
                continue
            _unlink_file_on_the_way(spare, name)  # a file where a folder must be
            os.makedirs(os.path.dirname(target), exist_ok=True)  # a folder new to the site
            os.link(source, target)
    remove_empty_folders(spare, emptied)  # as the site lost them
    return len(names)


def _unlink_file_on_the_way(root: Path, name: str) -> None:
    """Remove a file of ``root`` that sits where a folder on the way to ``name`` must be."""
    parts = Path(name).parts
    for depth in range(1, len(parts)):
        path = root.joinpath(*parts[:depth])
        if os.path.lexists(path) and not path.is_dir():
            path.unlink()
            return


def spare_folder(output: Path) -> Path:
    """Return where the site before last waits to be the next build's staging folder."""
    return output.with_name(f".{output.name}.spare")


def replace_folder(new: Path, old: Path, *, keep_old_as: Path | None = None) -> None:
    """Put ``new`` where ``old`` is, with two renames; keep or remove the old site.

    With ``keep_old_as``, the old site becomes the spare the next rebuild starts from.
    Otherwise (deleting 100,000 files takes seconds and nobody needs to wait for it) the
    retired site is renamed out of the way and removed by a detached ``rm``.
    """
    retired = old.with_name(f".{old.name}.previous.{os.getpid()}")
    if old.exists():
        os.rename(old, retired)
    os.rename(new, old)
    if retired.exists():
        if keep_old_as is not None and not keep_old_as.exists():
            os.rename(retired, keep_old_as)
        else:
            remove_later(retired)
    for leftover in old.parent.glob(f".{old.name}.previous.*"):  # from an interrupted build
        if leftover != retired and not _being_removed(leftover):
            remove_later(leftover)


def remove_later(folder: Path) -> None:
    """Remove a folder in a detached process (it outlives this one), or now without ``rm``.

    A shell starts ``rm`` in the background and ends at once: the ``rm`` belongs to no one
    here (nothing to wait for, no zombie), in a session of its own.
    """
    rm, sh = shutil.which("rm"), shutil.which("sh")
    if rm is None or sh is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    # A name of its own: the last removal of a folder of this name may still be running
    # (a 10,000 co-op site takes minutes), and renaming onto its folder would fail.
    marked = folder.with_name(f"{folder.name}.removing-{uuid.uuid4().hex}")
    os.rename(folder, marked)
    subprocess.run(  # noqa: S603 - fixed programs, our own path
        [sh, "-c", '"$0" -rf -- "$1" </dev/null >/dev/null 2>&1 &', rm, str(marked)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        check=False,
    )


def _being_removed(folder: Path) -> bool:
    return ".removing-" in folder.name


def build_site(
    coops: Path,
    output: Path,
    *,
    settings_file: Path = PROJECT / "pelican.conf.py",
    content: Path = PROJECT / "content",
    full: bool = False,
) -> int:
    """Build ``coops`` into ``output`` atomically; return Pelican's exit code.

    Unless ``full``, a rebuild starts from the previous site and renders only the pages whose
    inputs changed; the result is the same, byte for byte, as a full build.
    """
    output = output.resolve()
    staging = output.with_name(f".{output.name}.staging")
    spare = spare_folder(output)
    cache = cache_folder(output)
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    incremental = not full and output.is_dir() and (cache / MANIFEST).is_file()
    started = time.perf_counter()
    # The journal says how the spare differs from the site, if the last build was an incremental
    # one that succeeded; from here on it describes nothing (a failed build leaves the staging
    # folder, written in part, as the next spare).
    journal = read_journal(cache) if incremental else None
    (cache / JOURNAL).unlink(missing_ok=True)
    how = "none"  # how the staging folder was made: read by tests and bench/build.py
    if incremental and spare.is_dir():
        # The site before last, brought up to date: only what changed since is touched.
        os.rename(spare, staging)
        try:
            if journal is None:
                raise FileNotFoundError(cache / JOURNAL)
            replay_journal(output, staging, journal)
            how = "journal"
        except OSError:  # no journal, or one the trees disagree with: compare them whole
            sync_by_hard_links(output, staging)
            how = "trees"
    elif incremental:
        copy_by_hard_links(output, staging)
        how = "copy"
    elif spare.exists():
        remove_later(spare)  # a full build rewrites every file: the spare cannot serve
    env = {
        **os.environ,
        "COOPDIR_COOPS": str(coops.resolve()),
        "COOPDIR_CACHE_DIR": str(cache),
        "COOPDIR_INCREMENTAL": "1" if incremental else "0",
    }
    staged = time.perf_counter() - started
    arguments = pelican_arguments(staging, settings_file, content, keep_output=incremental)
    started = time.perf_counter()
    launched = time.time()
    # Pelican, without the seconds of freeing its heap at exit (pelicanrun.py)
    returncode = pelicanrun.run(arguments, env)
    pelican = time.perf_counter() - started
    ended = time.time()
    if returncode != 0:
        if spare.exists():
            shutil.rmtree(staging, ignore_errors=True)
        else:  # any tree will do as the spare: the next rebuild syncs it
            os.rename(staging, spare)
        for name in (NEXT_MANIFEST, NEXT_JOURNAL, NEXT_FEDIVERSE_NAMES):
            (cache / name).unlink(missing_ok=True)
        return returncode
    started = time.perf_counter()
    # After a full build every file is new: the old site would not save the next rebuild any
    # work, so it is removed (the next rebuild links a fresh staging folder instead).
    replace_folder(staging, output, keep_old_as=spare if incremental else None)
    os.replace(cache / NEXT_MANIFEST, cache / MANIFEST)
    if (cache / NEXT_FEDIVERSE_NAMES).is_file():
        os.replace(cache / NEXT_FEDIVERSE_NAMES, cache / FEDIVERSE_NAMES)
    if incremental and spare.is_dir() and (cache / NEXT_JOURNAL).is_file():
        os.replace(cache / NEXT_JOURNAL, cache / JOURNAL)  # the spare is the site before this one
    else:
        (cache / NEXT_JOURNAL).unlink(missing_ok=True)
    _add_timings(
        cache,
        staging=staged,
        pelican_process=pelican,
        swap=time.perf_counter() - started,
        staging_from=how,
        launched=launched,
        ended=ended,
    )
    return 0


def _add_timings(cache: Path, **seconds: float | str) -> None:
    """Add the steps around Pelican to the plugin's timings.json (read by bench/build.py)."""
    file = cache / "timings.json"
    try:
        timings = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError):
        return
    # Pelican's process before the plugin began (start-up) and after it ended (exit).
    launched, ended = seconds.pop("launched"), seconds.pop("ended")
    with contextlib.suppress(KeyError, TypeError):
        seconds["pelican_startup"] = timings.pop("plugin_began") - launched
        seconds["pelican_exit"] = ended - timings.pop("plugin_ended")
    file.write_text(json.dumps({**timings, **seconds}), "utf-8")


WATCHED = ("coops", "content", "theme", "plugins", "pelican.conf.py")


def serve_and_rebuild(coops: Path, output: Path, port: int, *, watch: bool) -> None:
    """Serve ``output`` on http://localhost:PORT; with ``watch``, rebuild when sources change.

    Pelican's own ``-r`` does not watch co-op files outside its content folder, nor plugin
    code; this watches both (plugin edits take effect because each build is a new process).
    """
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(output.resolve()))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving {output} at http://localhost:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        if not watch:
            threading.Event().wait()
        from watchfiles import watch as watch_files

        paths = [coops.resolve()] + [PROJECT / name for name in WATCHED if name != "coops"]
        for changes in watch_files(*paths):
            print(f"{len(changes)} change(s); rebuilding", flush=True)
            print(
                "built" if build_site(coops, output) == 0 else "build failed; site unchanged",
                flush=True,
            )
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
