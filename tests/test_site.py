"""The built site, end to end: a real Pelican build of fixture and real data, read as files."""

from __future__ import annotations

import difflib
import json
import pickle
import shutil
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from sitecheck import (
    FIXTURE_DAY_EPOCH,
    ROOT,
    html_files,
    internal_links,
    keys_dir_for_tests,
    make_html,
    parse,
    resolve,
    structure,
)

FIXTURE = ROOT / "tests/fixtures/directory"
GOLDEN = ROOT / "tests/golden"


def assert_same_files(ours: Path, theirs: Path, label: object = "") -> None:
    """Assert two built sites hold the same files with the same bytes."""
    mine = {p.relative_to(ours): p.read_bytes() for p in ours.rglob("*") if p.is_file()}
    other = {p.relative_to(theirs): p.read_bytes() for p in theirs.rglob("*") if p.is_file()}
    assert mine.keys() == other.keys(), label
    assert [str(name) for name in mine if mine[name] != other[name]] == [], label


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("real") / "site"
    result = make_html(ROOT / "coops", output, SOURCE_DATE_EPOCH=str(int(time.time())))
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def test_every_real_coop_file_has_its_page(real_site: Path) -> None:
    for path in sorted((ROOT / "coops").glob("*.yaml")):
        page = real_site / "coops" / path.stem / "index.html"
        assert page.is_file(), f"no page for {path.name}"
        name = yaml.safe_load(path.read_text("utf-8"))["name"]
        assert parse(page).h1.get_text(strip=True) == name


@pytest.mark.parametrize("which", ["directory_site", "real_site"])
def test_no_broken_internal_link(which: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(which)
    broken = [
        f"{page.relative_to(site)} -> {target}"
        for page, target in internal_links(site)
        if resolve(site, page, target) is None
    ]
    assert broken == []


def test_every_page_is_in_the_sitemap(directory_site: Path) -> None:
    sitemap = BeautifulSoup((directory_site / "sitemap.xml").read_text("utf-8"), "xml")
    listed = {
        loc.get_text().removeprefix("http://localhost:8000") for loc in sitemap.find_all("loc")
    }
    pages = {
        "/" + str(p.relative_to(directory_site).parent).replace(".", "").strip("/") + "/"
        for p in html_files(directory_site)
        if p.name == "index.html"
    }
    pages = {page.replace("//", "/") for page in pages}
    assert pages == listed
    robots = (directory_site / "robots.txt").read_text()
    assert "Sitemap: http://localhost:8000/sitemap.xml" in robots


def test_closed_openings_and_dissolved_coops_are_in_the_archive_only(directory_site: Path) -> None:
    archive = parse(directory_site / "archive/index.html")
    closed_links = {a["href"] for a in archive.select("#closed ~ ul a")}
    openings = parse(directory_site / "openings/index.html")
    open_links = {a["href"] for a in openings.select("main .card .card-title a")}
    assert open_links, "the fixture has open openings"
    closed_openings = {link for link in closed_links if "/openings/" in link}
    assert closed_openings, "the fixture has a closed opening"
    assert not closed_openings & open_links
    directory = parse(directory_site / "coops/index.html")
    listed = {a["href"] for a in directory.select("table.coops tbody td:first-child a")}
    dissolved = {a["href"] for a in archive.select("#dissolved ~ ul a")}
    assert dissolved, "the fixture has a dissolved co-op"
    assert not dissolved & listed


def test_lineage_is_shown_both_ways(directory_site: Path) -> None:
    children = {}
    for path in FIXTURE.glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        for parent in data.get("lineage", {}).get("spun_off_from", []):
            children.setdefault(parent, []).append(path.stem)
    assert children, "the fixture has a spin-off"
    for parent, kids in children.items():
        parent_page = parse(directory_site / f"coops/{parent}/index.html")
        links = {a["href"] for a in parent_page.select("#lineage ~ ul a")}
        assert {f"/coops/{kid}/" for kid in kids} <= links
        for kid in kids:
            kid_page = parse(directory_site / f"coops/{kid}/index.html")
            assert f"/coops/{parent}/" in {a["href"] for a in kid_page.select("#lineage ~ ul a")}


def test_two_builds_are_byte_identical(directory_site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert make_html(FIXTURE, again).returncode == 0
    first = {
        p.relative_to(directory_site): p.read_bytes()
        for p in directory_site.rglob("*")
        if p.is_file()
    }
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_failed_build_leaves_the_previous_site_untouched(tmp_path: Path) -> None:
    coops = tmp_path / "coops"
    coops.mkdir()
    (coops / "good.yaml").write_text("name: Good\nwebsite: https://good.example.org/\n")
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    (coops / "bad.yaml").write_text(
        textwrap.dedent("""\
        name: Bad
        website: htp://bad.example.org
        """)
    )
    result = make_html(coops, output)
    assert result.returncode != 0
    assert f"{coops}/bad.yaml:2:10: website:" in result.stdout + result.stderr
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before


def test_pelican_failure_after_validation_also_keeps_the_previous_site(tmp_path: Path) -> None:
    # A theme error only Pelican sees: the build fails at render time, not validation time.
    coops = tmp_path / "coops"
    coops.mkdir()
    (coops / "good.yaml").write_text("name: Good\nwebsite: https://good.example.org/\n")
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    before = sorted(p.relative_to(output) for p in output.rglob("*"))
    broken_content = tmp_path / "content"
    shutil.copytree(ROOT / "content", broken_content)
    (broken_content / "pages" / "broken.md").write_text(
        "Title: Broken\nSlug: about\n\nSame slug twice.\n"
    )
    from coopdir.build import build_site

    assert build_site(coops, output, content=broken_content) != 0
    assert sorted(p.relative_to(output) for p in output.rglob("*")) == before


def test_site_matches_the_golden_copy(directory_site: Path) -> None:
    """Regenerate with `make golden` after an intended change, and review the diff."""
    built = {p.relative_to(directory_site) for p in directory_site.rglob("*") if p.is_file()}
    golden = {p.relative_to(GOLDEN) for p in GOLDEN.rglob("*") if p.is_file()}
    assert built == golden, "files differ from tests/golden/; run `make golden` and review"
    for name in sorted(built):
        new, old = directory_site / name, GOLDEN / name
        if name.suffix == ".html":
            diff = list(
                difflib.unified_diff(
                    structure(old.read_text("utf-8")),
                    structure(new.read_text("utf-8")),
                    "golden",
                    "built",
                    lineterm="",
                    n=2,
                )
            )
            assert diff == [], f"{name} differs from tests/golden:\n" + "\n".join(diff[:60])
        else:
            assert new.read_bytes() == old.read_bytes(), f"{name} differs from tests/golden"


def test_rebuild_after_one_change_renders_only_what_changed_and_equals_a_full_build(
    tmp_path: Path,
) -> None:
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    untouched = output / "coops/alder-harbour/index.html"
    inode = untouched.stat().st_ino
    changed = coops / "zurich-kollektiv.yaml"
    changed.write_text(changed.read_text("utf-8").replace("summary:", "summary: New!", 1), "utf-8")
    assert make_html(coops, output).returncode == 0
    assert untouched.stat().st_ino == inode, "an unchanged page was rendered again"
    page = parse(output / "coops/zurich-kollektiv/index.html")
    assert page.select_one(".lede").get_text().startswith("New!")
    full = tmp_path / "full"
    from coopdir.build import build_site

    assert build_site(coops, full, full=True) == 0
    assert_same_files(output, full)


def test_a_rebuild_lists_a_new_opening_in_the_sitemap(tmp_path: Path) -> None:
    """An opening added under facets that already have pages changes no page's template
    inputs but the lists: the sitemap must still name its page (it is kept otherwise)."""
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output, full = tmp_path / "site", tmp_path / "full"
    assert make_html(coops, output).returncode == 0
    path = coops / "alder-harbour.yaml"
    text = path.read_text("utf-8")
    first = text[text.index("  - id: backend-dev-2026") : text.index("  - id: sysadmin-2026")]
    path.write_text(text.replace(first, first + first.replace("-2026", "-2027", 1), 1), "utf-8")
    assert make_html(coops, output).returncode == 0
    sitemap = (output / "sitemap.xml").read_text("utf-8")
    assert "/coops/alder-harbour/openings/backend-dev-2027/</loc>" in sitemap
    from coopdir.build import build_site

    assert build_site(coops, full, full=True) == 0
    assert sitemap == (full / "sitemap.xml").read_text("utf-8")


def test_a_rebuild_keeps_the_list_of_files_only_when_nothing_could_change_it(
    tmp_path: Path,
) -> None:
    """A rebuild takes the previous build's list of files as its own only when the placements,
    the prose pages, the code and settings are the previous build's: a prose page removed,
    or a co-op moved, and the list is made again (and the file that went is removed)."""
    from coopdir.build import build_site

    coops, content = tmp_path / "coops", tmp_path / "content"
    shutil.copytree(FIXTURE, coops)
    shutil.copytree(ROOT / "content", content)
    output = tmp_path / "site"
    assert build_site(coops, output, content=content) == 0

    def rebuild(label: str) -> int:
        assert build_site(coops, output, content=content) == 0
        timings = json.loads((tmp_path / ".site.cache/timings.json").read_text("utf-8"))
        full = tmp_path / f"full-{label}"
        assert build_site(coops, full, content=content, full=True) == 0
        assert_same_files(output, full, label)
        return timings["files_as_before"]

    zurich = coops / "zurich-kollektiv.yaml"
    zurich.write_text(zurich.read_text("utf-8").replace("summary:", "summary: New!", 1))
    assert rebuild("summary") == 1
    (content / "pages" / "about.md").unlink()
    assert rebuild("prose page removed") == 0
    assert not (output / "about").exists()
    zurich.write_text(zurich.read_text("utf-8").replace("[rust, python]", "[rust, python, go]"))
    assert rebuild("a technology added") == 0
    assert rebuild("nothing") == 1
    # An opening like another (no new facet value, so no new page of a slice) comes and goes:
    # the second time nothing new is written, and only the placements say its files must go.
    alder = coops / "alder-harbour.yaml"
    text = alder.read_text("utf-8")
    first = text[text.index("  - id: backend-dev-2026") : text.index("  - id: sysadmin-2026")]
    alder.write_text(text.replace(first, first + first.replace("-2026", "-2027", 1), 1))
    assert rebuild("an opening added") == 0
    assert (output / "coops/alder-harbour/openings/backend-dev-2027/index.html").is_file()
    alder.write_text(text)
    assert rebuild("the opening removed") == 0
    assert not (output / "coops/alder-harbour/openings/backend-dev-2027").exists()


def test_rebuild_drops_the_pages_of_a_removed_coop(tmp_path: Path) -> None:
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    assert (output / "coops/zurich-kollektiv/index.html").exists()
    (coops / "zurich-kollektiv.yaml").unlink()
    assert make_html(coops, output).returncode == 0
    assert not (output / "coops/zurich-kollektiv").exists()
    assert [f"{p} -> {t}" for p, t in internal_links(output) if resolve(output, p, t) is None] == []


def test_a_build_in_two_processes_equals_one_in_one(tmp_path: Path) -> None:
    """Big builds read half the files, then write half their pages, feeds and fediverse files,
    in a forked second process (Pelican's spinner thread once kept the reading on one)."""
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    one, two = tmp_path / "one", tmp_path / "two"
    assert make_html(coops, one).returncode == 0
    assert make_html(coops, two, COOPDIR_PARALLEL_FROM="1").returncode == 0
    timings = json.loads((tmp_path / ".two.cache/timings.json").read_text("utf-8"))
    assert (timings["load_processes"], timings["render_processes"]) == (2, 2)
    assert_same_files(two, one)


def test_a_folder_is_retired_again_while_its_last_removal_still_runs(tmp_path: Path) -> None:
    """Two builds of a big site minutes apart each retire a spare site of the same name; the
    detached removal of the first (minutes, at 10,000 co-ops) must not stop the second."""
    from coopdir.build import remove_later

    spare = tmp_path / ".site.spare"
    sites = [tmp_path / "first", tmp_path / "second"]
    for site in sites:
        (site / "many").mkdir(parents=True)
        for number in range(10_000):  # enough that the first removal still runs at the second
            (site / "many" / str(number)).write_bytes(b"x")
    for site in sites:
        site.rename(spare)
        remove_later(spare)
        assert not spare.exists()
    deadline = time.monotonic() + 60
    while any(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.iterdir()) == []


SHORT_FEEDS = """\
exec(open({conf!r}, encoding="utf-8").read())
PATH = {content!r}
THEME = {theme!r}
PLUGIN_PATHS = [{plugins!r}]
COOPDIR = {{"coops_path": "coops", "feed_limit": 1}}
"""
"""Our settings, with feeds of one entry: a slice's feed then shows only its newest opening."""


def test_a_rebuild_follows_an_opening_into_a_slice_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slice's feed is fingerprinted by the openings it shows: one that becomes the newest
    elsewhere in the slice (another co-op's file) still rebuilds it, as a full build has it."""
    from coopdir.build import build_site

    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXTURE_DAY_EPOCH)
    monkeypatch.setenv("COOPDIR_KEYS_DIR", str(keys_dir_for_tests()))
    settings = tmp_path / "settings.py"
    settings.write_text(
        SHORT_FEEDS.format(
            conf=str(ROOT / "pelican.conf.py"),
            content=str(ROOT / "content"),
            theme=str(ROOT / "theme"),
            plugins=str(ROOT / "plugins"),
        ),
        "utf-8",
    )
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    site, full = tmp_path / "site", tmp_path / "full"
    assert build_site(coops, site, settings_file=settings) == 0
    feed = site / "technologies/python/feed.atom"
    assert "alder-harbour" not in feed.read_text("utf-8")  # taawun-raqmi's is newer
    path = coops / "alder-harbour.yaml"
    path.write_text(
        path.read_text("utf-8").replace("posted: 2026-10-15", "posted: 2026-10-29", 1), "utf-8"
    )
    assert build_site(coops, site, settings_file=settings) == 0
    assert "alder-harbour" in feed.read_text("utf-8")
    assert build_site(coops, full, settings_file=settings, full=True) == 0
    assert_same_files(site, full)


def test_rebuilds_from_the_spare_site_equal_full_builds(tmp_path: Path) -> None:
    """From the second rebuild on, staging starts as the site before last, brought up to date."""
    from coopdir.build import build_site, spare_folder

    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output = tmp_path / "site"
    edits = [
        ("zurich-kollektiv.yaml", lambda text: text.replace("summary:", "summary: One!", 1)),
        ("alder-harbour.yaml", lambda text: text.replace("summary:", "summary: Two!", 1)),
        ("zurich-kollektiv.yaml", None),  # removed
        ("alder-harbour.yaml", lambda text: text.replace("Two!", "Three!", 1)),
    ]
    assert make_html(coops, output).returncode == 0
    for round_number, (name, edit) in enumerate(edits):
        path = coops / name
        if edit is None:
            path.unlink()
        else:
            path.write_text(edit(path.read_text("utf-8")), "utf-8")
        # Odd rounds write in two processes; the spare then replays a journal both wrote.
        env = {"COOPDIR_PARALLEL_FROM": "1"} if round_number % 2 else {}
        assert make_html(coops, output, **env).returncode == 0
        timings = json.loads((tmp_path / ".site.cache/timings.json").read_text("utf-8"))
        # After a full build the site is copied; then the journal is replayed, but after a
        # failed build (round 2), when both trees are compared.
        assert timings["staging_from"] == ["copy", "journal", "trees", "journal"][round_number]
        if round_number == 1:
            # A failed build leaves a half-written staging folder as the next spare, and no
            # journal that could describe it: the next rebuild must still equal a full build.
            (coops / "broken.yaml").write_text("name: Broken\nwebsite: nowhere\n", "utf-8")
            assert build_site(coops, output) != 0  # fails in Pelican, after staging
            (coops / "broken.yaml").unlink()
        spare = spare_folder(output)
        assert spare.is_dir(), "the previous site was not kept as the next staging folder"
        full = tmp_path / f"full{round_number}"
        assert build_site(coops, full, full=True) == 0
        assert_same_files(output, full, round_number)
    assert not (output / "coops/zurich-kollektiv").exists()
    # Unchanged pages are one file shared by the site and its spare, not copies.
    shared = output / "coops/coop-ca-marche/index.html"
    assert shared.stat().st_nlink >= 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other json"])
def test_a_rebuild_succeeds_whatever_the_cache_folder_holds(tmp_path: Path, damage: str) -> None:
    """Every cache only saves time: damaged, cut short or foreign, it must not fail a build or
    change the site (a build that failed on its own cache would fail every time after)."""
    from coopdir.build import build_site

    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output, full = tmp_path / "site", tmp_path / "full"
    assert make_html(coops, output).returncode == 0
    damaged = [p for p in (tmp_path / ".site.cache").rglob("*") if p.is_file()]
    assert len(damaged) >= 6  # manifest, parse, fragments, slices, bulk, search, names...
    for path in damaged:
        data = path.read_bytes()
        path.write_bytes(
            {
                "garbage": bytes(range(256)) * 3,
                "truncated": data[: len(data) // 2],
                "empty": b"",
                "other json": b'{"build": null, "names": [1], "__files__": 3}',
            }[damage]
        )
    rebuilt = make_html(coops, output)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert build_site(coops, full, full=True) == 0
    assert_same_files(output, full)


def test_a_cache_from_before_fediverse_names_named_their_build_is_ignored(tmp_path: Path) -> None:
    """A cache written before the names file named its build (one list per co-op, and no build
    id in the manifest) is not read as this format: the rebuild succeeds and makes the
    co-ops' documents again (it used to fail, and every build after it too).
    """
    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output = tmp_path / "site"
    assert make_html(coops, output).returncode == 0
    cache = tmp_path / ".site.cache"
    stored = json.loads((cache / "fediverse.json").read_text("utf-8"))
    (cache / "fediverse.json").write_text(json.dumps(stored["names"]), "utf-8")
    version, manifest = pickle.loads((cache / "manifest.pickle").read_bytes())
    del manifest["__fediverse_names_build__"]
    (cache / "manifest.pickle").write_bytes(pickle.dumps((version, manifest)))
    (coops / "alder-harbour.yaml").write_text(
        (coops / "alder-harbour.yaml").read_text("utf-8") + "\n", "utf-8"
    )
    rebuilt = make_html(coops, output)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert (output / "ap/coops/alder-harbour/actor").is_file()


def test_fediverse_names_left_by_a_failed_build_are_not_trusted(tmp_path: Path) -> None:
    """A build that fails after writing its list of fediverse files must not steer the next.

    The list a failed build leaves (here: one co-op's without its actor) sits beside the
    fingerprints of the build before it; trusting it, the next rebuild would keep the co-op's
    documents as they are and delete the file the list lacks.
    """
    from coopdir.build import build_site

    coops = tmp_path / "coops"
    shutil.copytree(FIXTURE, coops)
    output, full = tmp_path / "site", tmp_path / "full"
    assert make_html(coops, output).returncode == 0
    assert make_html(coops, output).returncode == 0  # a rebuild, as a failed one would be
    names_file = tmp_path / ".site.cache/fediverse.json"
    stored = json.loads(names_file.read_text("utf-8"))
    slug = "alder-harbour"
    stored["names"][slug] = [n for n in stored["names"][slug] if not n.endswith("/actor")]
    stored["build"] = "a build that failed after writing this"
    names_file.write_text(json.dumps(stored), "utf-8")
    assert make_html(coops, output).returncode == 0
    assert (output / f"ap/coops/{slug}/actor").is_file()
    assert build_site(coops, full, full=True) == 0
    assert_same_files(output, full)
