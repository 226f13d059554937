"""Bulk data (coopdir.export): the fixture directory as JSON and CSV, checked by the schemas."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import write_coop
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from sitecheck import ROOT

from coopdir.bulkcache import PiecesCache
from coopdir.export import CSV_COLUMNS, bulk_files, coop_record, opening_record
from coopdir.load import load_directory

SITE = "https://coops.example"
FIXTURE_DAY = date(2026, 11, 1)
SCHEMAS = ("coop", "api-coop", "api-coops", "api-openings")


def schema(name: str) -> dict[str, Any]:
    text = resources.files("coopdir").joinpath("schema", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


REGISTRY = Registry().with_resources(
    (schema(name)["$id"], Resource.from_contents(schema(name))) for name in SCHEMAS
)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), registry=REGISTRY, format_checker=FormatChecker())


def errors(name: str, data: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(name).iter_errors(data)
    ]


@pytest.fixture(scope="module")
def directory():
    return load_directory(ROOT / "tests/fixtures/directory", today=FIXTURE_DAY)


@pytest.fixture(scope="module")
def files(directory) -> dict[str, bytes]:
    return bulk_files(directory, SITE)


def read_json(files: dict[str, bytes], path: str) -> Any:
    return json.loads(files[path].decode("utf-8"))


# --- the schemas ----------------------------------------------------------------------------


def test_format_checking_is_real() -> None:
    # Without jsonschema's format extras, "uri" would pass anything, silently.
    assert {"uri", "date", "email"} <= set(FormatChecker().checkers)


@pytest.mark.parametrize("name", ["api-coop", "api-coops", "api-openings"])
def test_the_schemas_are_valid_and_describe_every_property(name: str) -> None:
    Draft202012Validator.check_schema(schema(name))
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}")
            return
        if not isinstance(node, dict):
            return
        if "properties" in node:
            if node.get("additionalProperties") is not False:
                missing.append(f"{where}: additionalProperties is not false")
            if set(node.get("required", ())) != set(node["properties"]):
                missing.append(f"{where}: not every property is required (null says unknown)")
            for key, value in node["properties"].items():
                if not value.get("description"):
                    missing.append(f"{where}/properties/{key}: no description")
        for key, value in node.items():
            walk(value, f"{where}/{key}")

    walk(schema(name), name)
    assert missing == []


def test_the_collection_schemas_share_the_coop_schema() -> None:
    assert schema("api-coops")["properties"]["coops"]["items"]["$ref"] == "api-coop.schema.json"
    assert schema("api-openings")["properties"]["openings"]["items"]["$ref"] == (
        "api-coop.schema.json#/$defs/opening"
    )


# --- the files ------------------------------------------------------------------------------


def test_the_files_are_the_ones_promised(files: dict[str, bytes], directory) -> None:
    assert set(files) == {
        "api/coops.json",
        "api/openings.json",
        "api/coops.csv",
        *(f"api/coops/{coop.slug}.json" for coop in directory.coops),
    }


def test_every_json_file_validates_against_its_schema(files: dict[str, bytes]) -> None:
    assert errors("api-coops", read_json(files, "api/coops.json")) == []
    assert errors("api-openings", read_json(files, "api/openings.json")) == []
    for path in files:
        if path.startswith("api/coops/"):
            assert errors("api-coop", read_json(files, path)) == [], path


def test_the_schemas_reject_what_they_should(files: dict[str, bytes]) -> None:
    record = read_json(files, "api/coops/alder-harbour.json")
    bad = {
        **record,
        "website": "not a url",
        "founded": "2012",
        "extra": True,
        "openings": [{**record["openings"][0], "state": "maybe", "posted": "2026-13-45"}],
        "contact": {**record["contact"], "email": "not an address"},
    }
    del bad["name"]
    found = "\n".join(errors("api-coop", bad))
    for expected in (
        "website: 'not a url' is not a 'uri'",
        "founded: '2012' is not of type 'integer', 'null'",
        "'extra' was unexpected",
        "'name' is a required property",
        "openings/0/state: 'maybe' is not one of",
        "openings/0/posted: '2026-13-45' is not a 'date'",
        "contact: {'email': 'not an address'",
    ):
        assert expected in found


def test_json_is_sorted_indented_utf8_with_a_final_newline(files: dict[str, bytes]) -> None:
    for path, data in files.items():
        if not path.endswith(".json"):
            continue
        text = data.decode("utf-8")
        assert text.endswith("}\n")
        canonical = json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True)
        assert text == canonical + "\n"
    assert "Коопе́ратив Север" in files["api/coops.json"].decode("utf-8")  # not \u escapes


def test_the_collections_have_their_wrapper(files: dict[str, bytes], directory) -> None:
    coops = read_json(files, "api/coops.json")
    assert coops["generated_from"] == "coops/*.yaml"
    assert coops["count"] == len(coops["coops"]) == len(directory.coops)
    assert [c["slug"] for c in coops["coops"]] == sorted(c.slug for c in directory.coops)
    openings = read_json(files, "api/openings.json")
    assert openings["generated_from"] == "coops/*.yaml"
    every = [o for coop in directory.coops for o in coop.openings]
    assert openings["count"] == len(openings["openings"]) == len(every)


def test_openings_are_newest_first_with_their_state(files: dict[str, bytes], directory) -> None:
    openings = read_json(files, "api/openings.json")["openings"]
    posted = [o["posted"] for o in openings]
    assert posted == sorted(posted, reverse=True)
    states = {f"{o['coop']}/{o['id']}": o["state"] for o in openings}
    assert states == {o.key: directory.opening_state(o) for o in directory.openings()}
    assert states["alder-harbour/sysadmin-2026"] == "closed"  # closed 2026-07-31
    assert states["alder-harbour/backend-dev-2026"] == "open"
    assert set(states.values()) <= {"open", "upcoming", "closed"}


def test_closed_openings_are_closed(files: dict[str, bytes], directory) -> None:
    closed = {o.key for o in directory.closed_openings()}
    assert closed  # the fixture has some
    for record in read_json(files, "api/openings.json")["openings"]:
        key = f"{record['coop']}/{record['id']}"
        assert (record["state"] == "closed") == (key in closed)
        if record["state"] == "closed":
            assert record["closes"] < FIXTURE_DAY.isoformat()


def test_each_coop_file_is_its_record_in_the_collection(files: dict[str, bytes]) -> None:
    for record in read_json(files, "api/coops.json")["coops"]:
        assert read_json(files, f"api/coops/{record['slug']}.json") == record
        assert files[f"api/coops/{record['slug']}.json"] == (
            json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        ).encode("utf-8")


def test_coop_openings_are_the_opening_records(files: dict[str, bytes]) -> None:
    by_key = {
        f"{o['coop']}/{o['id']}": o for o in read_json(files, "api/openings.json")["openings"]
    }
    seen = 0
    for coop in read_json(files, "api/coops.json")["coops"]:
        for opening in coop["openings"]:
            assert opening == by_key[f"{coop['slug']}/{opening['id']}"]
            assert opening["coop"] == coop["slug"]
            seen += 1
    assert seen == len(by_key)


def test_a_record_has_every_fact_in_json_types(files: dict[str, bytes]) -> None:
    coop = read_json(files, "api/coops/alder-harbour.json")
    assert coop["url"] == "https://coops.example/coops/alder-harbour/"
    assert coop["technologies"] == ["python", "django", "postgresql", "javascript"]
    assert coop["locations"][0] == {"country": "GB", "region": "Scotland", "city": "Glasgow"}
    assert coop["hires_from"] == {"worldwide": False, "countries": ["GB"], "regions": ["europe"]}
    assert coop["membership"]["buy_in"] == {
        "amount": 500, "currency": "GBP", "terms": "from wages over two years"
    }
    assert coop["hiring"] == {"status": "hiring", "confirmed": "2026-10-20"}
    assert coop["provenance"] == {
        "added_by": "coop", "added": None, "source": None, "last_verified": "2026-10-20"
    }
    assert coop["lineage"] is None
    assert coop["networks"][0] == {
        "network": "cotech", "evidence": "https://harbour.example.coop/cotech-member"
    }
    opening = next(o for o in coop["openings"] if o["id"] == "backend-dev-2026")
    assert opening["url"] == (
        "https://coops.example/coops/alder-harbour/openings/backend-dev-2026/"
    )
    assert opening["pay"] == {
        "min": 38000, "max": 42000, "currency": "GBP", "period": "year",
        "policy": "equal hourly pay for every member",
    }
    assert opening["closes"] == "2026-12-15" and opening["closes_given"] is True
    assert opening["last_changed"] == opening["posted"] == "2026-10-15"
    assert opening["updated"] is None
    assert opening["description_html"].startswith("<p>Build and look after")
    sever = read_json(files, "api/coops/kooperativ-sever.json")["openings"][0]
    assert sever["closes"] == "2027-01-23" and sever["closes_given"] is False  # 90 days


def test_records_say_canonical_slugs_and_derived_facts(tmp_path: Path) -> None:
    write_coop(tmp_path, "aliases", """\
        name: Aliases
        website: https://aliases.example/
        technologies: [js, Python]
        networks:
          - network: coops.tech
            evidence: https://aliases.example/cotech
        openings:
          - id: dev
            title: Developer
            posted: 2026-10-01
            updated: 2026-10-10
            closes: 2026-11-20
            apply: mailto:jobs@aliases.example
            technologies: [js]
        """)
    directory = load_directory(tmp_path / "coops", today=FIXTURE_DAY)
    coop = directory.coops[0]
    record = coop_record(coop, directory, SITE + "/")
    assert record["technologies"] == ["javascript", "python"]
    assert record["networks"][0]["network"] == "cotech"
    assert record["url"] == "https://coops.example/coops/aliases/"
    opening = opening_record(coop.openings[0], directory, SITE)
    assert opening["technologies"] == ["javascript"]
    assert opening["updated"] == opening["last_changed"] == "2026-10-10"
    assert opening["state"] == "open"
    assert opening["kind"] == "job" and opening["example"] is False
    assert errors("api-coop", record) == []


# --- the CSV --------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_coop(files: dict[str, bytes], directory) -> None:
    text = files["api/coops.csv"].decode("utf-8")
    assert "\r" not in text and text.endswith("\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    with io.StringIO(text, newline="") as raw:
        assert next(csv.reader(raw)) == list(CSV_COLUMNS)
    assert CSV_COLUMNS == (
        "slug", "name", "website", "url", "countries", "cities", "remote", "type", "status",
        "services", "technologies", "hiring", "founded", "members", "workers", "open_openings",
    )
    assert [row["slug"] for row in rows] == sorted(coop.slug for coop in directory.coops)
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["alder-harbour"] == {
        "slug": "alder-harbour",
        "name": "Alder Harbour Tech Co-op",
        "website": "https://harbour.example.coop/",
        "url": "https://coops.example/coops/alder-harbour/",
        "countries": "GB;DE",
        "cities": "Glasgow;Leipzig",
        "remote": "remote-first",
        "type": "worker-coop",
        "status": "active",
        "services": "web-development;hosting;design",
        "technologies": "python;django;postgresql;javascript",
        "hiring": "hiring",
        "founded": "2012",
        "members": "11",
        "workers": "13",
        "open_openings": "1",  # backend-dev is open; sysadmin closed in July
    }
    assert by_slug["ancienne-fabrique"]["status"] == "dissolved"
    assert by_slug["ancienne-fabrique"]["members"] == ""
    assert by_slug["kooperativ-sever"]["name"] == "Коопе́ратив Север"


def test_two_builds_give_the_same_bytes(directory) -> None:
    again = load_directory(ROOT / "tests/fixtures/directory", today=FIXTURE_DAY)
    assert bulk_files(directory, SITE) == bulk_files(again, SITE)


def dumps(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def test_collections_joined_from_pieces_are_the_whole_serialised_at_once(directory, files) -> None:
    coops = sorted(directory.coops, key=lambda coop: coop.slug)
    records = [coop_record(coop, directory, SITE) for coop in coops]
    openings = [opening_record(o, directory, SITE) for o in directory.openings()]
    envelope = {"generated_from": "coops/*.yaml"}
    assert files["api/coops.json"] == dumps({**envelope, "count": len(records), "coops": records})
    assert files["api/openings.json"] == dumps(
        {**envelope, "count": len(openings), "openings": openings}
    )
    for record in records:
        assert files[f"api/coops/{record['slug']}.json"] == dumps(record)


def test_empty_directory_collections(tmp_path: Path) -> None:
    (tmp_path / "coops").mkdir()
    empty = bulk_files(load_directory(tmp_path / "coops", today=FIXTURE_DAY), SITE)
    assert json.loads(empty["api/coops.json"]) == {
        "coops": [], "count": 0, "generated_from": "coops/*.yaml"
    }
    assert empty["api/openings.json"].endswith(b'"openings": []\n}\n')


def test_cached_pieces_are_reused_for_unchanged_coops_only(tmp_path: Path) -> None:
    folder = tmp_path / "coops"
    folder.mkdir()
    for path in (ROOT / "tests/fixtures/directory").glob("*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    cache_file = tmp_path / "bulk.sqlite"
    cache = PiecesCache.open(cache_file, "v1")
    first = bulk_files(load_directory(folder, today=FIXTURE_DAY), SITE, cache)
    cache.save()
    changed = folder / "alder-harbour.yaml"
    changed.write_text(changed.read_text("utf-8").replace("summary:", "summary: New!", 1), "utf-8")
    directory = load_directory(folder, today=FIXTURE_DAY)
    cache = PiecesCache.open(cache_file, "v1")
    cache.read_all()
    assert len(cache.entries) == len(directory.coops)
    again = bulk_files(directory, SITE, cache)
    assert again == bulk_files(directory, SITE)  # from pieces or from scratch: the same bytes
    assert again["api/coops.json"] != first["api/coops.json"]
    assert b"New!" in again["api/coops/alder-harbour.json"]
    other = PiecesCache.open(cache_file, "v2")
    other.read_all()
    assert other.entries == {}  # another version starts empty


def test_a_rebuild_reads_and_writes_only_the_pieces_it_asks_for(tmp_path: Path) -> None:
    """The pieces cache is one row per co-op: a patch touches the changed co-ops' rows only."""
    folder = tmp_path / "coops"
    shutil.copytree(ROOT / "tests/fixtures/directory", folder)
    cache_file = tmp_path / "bulk.sqlite"
    cache = PiecesCache.open(cache_file, "v1")
    bulk_files(load_directory(folder, today=FIXTURE_DAY), SITE, cache)
    cache.save()
    before = rows(cache_file)
    changed = folder / "alder-harbour.yaml"
    changed.write_text(changed.read_text("utf-8").replace("summary:", "summary: New!", 1), "utf-8")
    directory = load_directory(folder, today=FIXTURE_DAY)
    cache = PiecesCache.open(cache_file, "v1")
    made = cache.pieces(directory.by_slug["alder-harbour"], directory, SITE)
    assert b"New!" in made.record
    assert cache.entries.keys() == {"alder-harbour"}  # no other row was read
    cache.save()
    after = rows(cache_file)
    assert after.keys() == before.keys()
    assert [slug for slug in after if after[slug] != before[slug]] == ["alder-harbour"]
    # Given every slug there is (after a full join), rows of co-ops that are gone go too.
    cache.save({"alder-harbour"})
    assert rows(cache_file).keys() == {"alder-harbour"}


def rows(cache_file: Path) -> dict[str, tuple]:
    with contextlib.closing(sqlite3.connect(cache_file)) as db:
        return {row[0]: row[1:] for row in db.execute("SELECT * FROM pieces")}


def test_a_rebuild_can_ask_for_some_files_only(directory, files: dict[str, bytes]) -> None:
    """Asked for a few files, bulk_files returns just those, with the bytes of the whole set."""
    wanted = {"api/coops.json", "api/coops/alder-harbour.json", "api/not-a-file.json"}
    some = bulk_files(directory, SITE, only=wanted)
    assert some.keys() == {"api/coops.json", "api/coops/alder-harbour.json"}
    assert all(some[name] == files[name] for name in some)


def test_every_coop_file_is_its_record_in_the_collection(files: dict[str, bytes]) -> None:
    """A co-op's own file says exactly what its item in coops.json says, at the top level."""
    listed = read_json(files, "api/coops.json")["coops"]
    assert listed
    for record in listed:
        own = files[f"api/coops/{record['slug']}.json"]
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        assert own == text.encode("utf-8")
