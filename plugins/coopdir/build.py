"""Build the site all or nothing, and rebuild it while files change.

Pelican writes into a staging folder, which then replaces the output folder: a failed build
leaves the previous site exactly as it was, and a server never sees a half-written site.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .incremental import MANIFEST, NEXT_MANIFEST

PROJECT = Path(__file__).resolve().parents[2]


def pelican_command(
    staging: Path, settings_file: Path, content: Path, *, keep_output: bool
) -> list[str]:
    """Return the Pelican command line, strict: any warning or error fails the build."""
    command = [
        sys.executable,
        "-m",
        "pelican",
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


def replace_folder(new: Path, old: Path) -> None:
    """Put ``new`` where ``old`` is, with two renames; remove the old site without waiting.

    Deleting 100,000 files takes seconds and nobody needs to wait for it: the retired site is
    renamed out of the way and removed by a detached ``rm`` (or here, if there is none).
    """
    retired = old.with_name(f".{old.name}.previous.{os.getpid()}")
    if old.exists():
        os.rename(old, retired)
    os.rename(new, old)
    if retired.exists():
        remove_later(retired)
    for leftover in old.parent.glob(f".{old.name}.previous.*"):  # from an interrupted build
        if leftover != retired and not _being_removed(leftover):
            remove_later(leftover)


def remove_later(folder: Path) -> None:
    """Remove a folder in a detached process (it outlives this one), or now without ``rm``."""
    rm = shutil.which("rm")
    if rm is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    marked = folder.with_name(folder.name + ".removing")
    os.rename(folder, marked)
    subprocess.Popen(  # noqa: S603 - fixed program, our own path
        [rm, "-rf", "--", str(marked)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _being_removed(folder: Path) -> bool:
    return folder.name.endswith(".removing")


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
    cache = cache_folder(output)
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    incremental = not full and output.is_dir() and (cache / MANIFEST).is_file()
    if incremental:
        copy_by_hard_links(output, staging)
    env = {
        **os.environ,
        "COOPDIR_COOPS": str(coops.resolve()),
        "COOPDIR_CACHE_DIR": str(cache),
        "COOPDIR_INCREMENTAL": "1" if incremental else "0",
    }
    command = pelican_command(staging, settings_file, content, keep_output=incremental)
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        (cache / NEXT_MANIFEST).unlink(missing_ok=True)
        return result.returncode
    replace_folder(staging, output)
    os.replace(cache / NEXT_MANIFEST, cache / MANIFEST)
    return 0


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
