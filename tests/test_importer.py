"""Tests for coopdir.importer: CSV rows in, co-op YAML files and a report out."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import yaml

from coopdir.checks import website_key as normalise_website
from coopdir.coopfile import slug_for as slugify
from coopdir.importer import import_csv
from coopdir.load import check_paths

SOURCE = "https://example.org/list/README.md"
SCHEMA_LINE = "# yaml-language-server: $schema=../plugins/coopdir/schema/coop.schema.json"
COLUMNS = ["name", "website", "country", "city", "business_areas", "region_as_listed", "notes"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return path


def run(tmp_path: Path, rows: list[dict[str, str]], **kwargs):
    out = tmp_path / "coops"
    kwargs.setdefault("added", date(2026, 11, 1))
    report = import_csv(write_csv(tmp_path / "list.csv", rows), out, **kwargs)
    return out, report


def load(out: Path, slug: str) -> dict:
    return yaml.safe_load((out / f"{slug}.yaml").read_text(encoding="utf-8"))


def test_file_starts_with_schema_line_and_keeps_schema_field_order(tmp_path):
    out, report = run(
        tmp_path,
        [
            {
                "name": "Agaric",
                "website": "https://agaric.coop/",
                "country": "USA",
                "business_areas": "Web development, Drupal",
                "notes": "Worker-owned collective building online since 2006.",
            }
        ],
        source=SOURCE,
    )
    path = out / "agaric.yaml"
    assert report.written == [path]
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    data = yaml.safe_load(text)
    assert list(data) == ["name", "website", "services", "technologies", "locations", "provenance"]
    assert data["provenance"] == {
        "added_by": "third-party", "added": "2026-11-01", "source": SOURCE
    }
    assert "Worker-owned" not in text  # the list's own notes are never copied


def test_without_source_provenance_says_who_and_when_only(tmp_path):
    out, _ = run(tmp_path, [{"name": "Koumbit", "website": "https://koumbit.org/"}])
    assert load(out, "koumbit") == {
        "name": "Koumbit",
        "website": "https://koumbit.org/",
        "provenance": {"added_by": "third-party", "added": "2026-11-01"},
    }


def test_source_that_is_not_a_web_address_is_refused(tmp_path):
    with pytest.raises(ValueError, match="source"):
        run(tmp_path, [{"name": "A", "website": "https://a.coop/"}], source="the README")


def test_several_countries_without_a_city_give_one_location_each(tmp_path):
    out, report = run(
        tmp_path,
        [
            {
                "name": "Spread Out",
                "website": "https://spread.example/",
                "country": "USA; Nicaragua; Germany",
                "region_as_listed": "USA / Nicaragua / Germany",
            }
        ],
    )
    assert load(out, "spread-out")["locations"] == [
        {"country": "US"},
        {"country": "NI"},
        {"country": "DE"},
    ]
    assert report.notes == []


def test_one_country_with_several_cities_gives_one_location_per_city(tmp_path):
    out, _ = run(
        tmp_path,
        [
            {
                "name": "Two Towns",
                "website": "https://two.example/",
                "country": "Canada",
                "city": "Montreal; Quebec City",
                "region_as_listed": "Montreal and Quebec City, Canada",
            }
        ],
    )
    assert load(out, "two-towns")["locations"] == [
        {"country": "CA", "city": "Montreal"},
        {"country": "CA", "city": "Quebec City"},
    ]


def test_region_is_read_from_the_listing_when_it_names_a_subdivision(tmp_path):
    out, _ = run(
        tmp_path,
        [
            {
                "name": "Upstate",
                "website": "https://upstate.example/",
                "country": "USA",
                "city": "Ithaca",
                "region_as_listed": "Ithaca, NY, USA",
            }
        ],
    )
    assert load(out, "upstate")["locations"] == [
        {"country": "US", "region": "New York", "city": "Ithaca"}
    ]


def test_scotland_quebec_and_the_basque_country_become_a_country_and_a_region(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "Fife", "website": "https://fife.example/", "country": "Scotland",
             "city": "Cupar", "region_as_listed": "Cupar, Scotland"},
            {"name": "Transatlantic", "website": "https://ta.example/",
             "country": "France; UK; Québec", "region_as_listed": "France, UK, Québec"},
            {"name": "Gipuzkoa Apps", "website": "https://gi.example/", "country": "Basque Country",
             "city": "Errenteria", "region_as_listed": "Errenteria, Basque Country"},
            {"name": "Somewhere Basque", "website": "https://sb.example/",
             "country": "Basque Country", "region_as_listed": "Basque Country"},
        ],
    )  # fmt: skip
    assert load(out, "fife")["locations"] == [
        {"country": "GB", "region": "Scotland", "city": "Cupar"}
    ]
    assert load(out, "transatlantic")["locations"] == [
        {"country": "FR"},
        {"country": "GB"},
        {"country": "CA", "region": "Québec"},
    ]
    assert load(out, "gipuzkoa-apps")["locations"] == [
        {"country": "ES", "region": "Euskadi", "city": "Errenteria"}
    ]
    # Without a town that tells Spain from France, no location is written, and the user is told.
    assert "locations" not in load(out, "somewhere-basque")
    assert [n.value for n in report.notes_of("unknown-country")] == ["Basque Country"]


def test_unknown_country_is_reported_and_not_guessed(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "Lost", "website": "https://lost.example/", "country": "Atlantis",
             "city": "Poseidonia"},
            {"name": "Half Known", "website": "https://half.example/",
             "country": "France; Narnia", "city": "Paris"},
        ],
    )  # fmt: skip
    assert "locations" not in load(out, "lost")
    assert load(out, "half-known")["locations"] == [{"country": "FR"}]
    unknown = report.notes_of("unknown-country")
    assert [(n.name, n.value) for n in unknown] == [("Lost", "Atlantis"), ("Half Known", "Narnia")]
    assert unknown[0].line == 2  # the CSV line, header being line 1
    # Cities whose country is unknown are left out too, and said so.
    assert [n.value for n in report.notes_of("unpaired-city")] == ["Poseidonia", "Paris"]


def test_country_is_inferred_only_from_an_unambiguous_listing(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "Front Range", "website": "https://fr.example/", "city": "Boulder",
             "region_as_listed": "Boulder, CO"},
            {"name": "Everywhere", "website": "https://ew.example/",
             "region_as_listed": "Remote, international"},
        ],
    )  # fmt: skip
    assert load(out, "front-range")["locations"] == [
        {"country": "US", "region": "Colorado", "city": "Boulder"}
    ]
    assert "locations" not in load(out, "everywhere")
    assert [n.name for n in report.notes_of("inferred-country")] == ["Front Range"]
    assert [n.name for n in report.notes_of("no-country")] == ["Everywhere"]


def test_accented_name_keeps_its_spelling_and_gets_an_ascii_slug(tmp_path):
    out, report = run(
        tmp_path,
        [{"name": "Coopérative Ñandú Straße", "website": "https://nandu.example/"}],
    )
    assert report.written == [out / "cooperative-nandu-strasse.yaml"]
    text = (out / "cooperative-nandu-strasse.yaml").read_text(encoding="utf-8")
    assert "name: Coopérative Ñandú Straße" in text  # written as text, not \u escapes
    assert slugify("24ème") == "24eme"
    assert slugify("Startin'blox") == "startinblox"
    assert slugify("Web|Alternatif") == "web-alternatif"


def test_aliases_in_business_areas_map_to_canonical_slugs(tmp_path):
    out, report = run(
        tmp_path,
        [
            {
                "name": "Stack",
                "website": "https://stack.example/",
                "business_areas": "Web and mobile development. Node.js, Postgres, k8s, "
                "Ruby on Rails",
            }
        ],
    )
    data = load(out, "stack")
    assert data["services"] == ["web-development", "mobile-development"]
    # "js" inside Node.js and "Ruby" inside Ruby on Rails are not extra technologies.
    assert data["technologies"] == ["node-js", "postgresql", "kubernetes", "rails"]
    assert report.notes == []


def test_words_that_are_also_ordinary_words_need_a_capital(tmp_path):
    out, _ = run(
        tmp_path,
        [
            {"name": "Lang", "website": "https://lang.example/",
             "business_areas": "Development (Clojure, Go, Java)"},
            {"name": "Prose", "website": "https://prose.example/",
             "business_areas": "Web apps that go fast"},
        ],
    )  # fmt: skip
    assert load(out, "lang")["technologies"] == ["clojure", "go", "java"]
    assert "technologies" not in load(out, "prose")


def test_sectors_are_read_but_give_way_to_services(tmp_path):
    out, _ = run(
        tmp_path,
        [
            {"name": "Charity Web", "website": "https://cw.example/",
             "business_areas": "Web development and hosting for charities and non-profits"},
            {"name": "Teachers", "website": "https://t.example/",
             "business_areas": "Consulting and education"},
        ],
    )  # fmt: skip
    assert load(out, "charity-web")["sectors"] == ["nonprofits"]
    teachers = load(out, "teachers")
    assert teachers["services"] == ["consulting", "training"]
    assert "sectors" not in teachers


def test_phrases_that_map_to_nothing_are_reported_not_written(tmp_path):
    out, report = run(
        tmp_path,
        [
            {
                "name": "Odd",
                "website": "https://odd.example/",
                "business_areas": "Hosting, underwater basket weaving, Holacracy",
            }
        ],
    )
    assert load(out, "odd")["services"] == ["hosting"]
    assert report.unmapped_phrases() == ["underwater basket weaving", "Holacracy"]
    assert all(n.name == "Odd" for n in report.notes_of("unmapped-phrase"))


def test_slug_clash_in_one_csv_writes_the_first_and_reports_the_second(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "Open Tech", "website": "https://opentech.example/"},
            {"name": "Open-Tech!", "website": "https://other.example/"},
        ],
    )
    assert report.written == [out / "open-tech.yaml"]
    assert load(out, "open-tech")["website"] == "https://opentech.example/"
    [clash] = report.notes_of("slug-clash")
    assert clash.name == "Open-Tech!"
    assert "Open Tech" in clash.message


def test_same_website_twice_is_reported(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "First", "website": "https://www.Same.example/"},
            {"name": "Second", "website": "http://same.example"},
        ],
    )
    assert [p.name for p in report.written] == ["first.yaml"]
    assert [n.name for n in report.notes_of("duplicate-website")] == ["Second"]
    assert normalise_website("https://WWW.Same.example/") == normalise_website(
        "http://same.example"
    )
    assert normalise_website("https://a.example/en/") != normalise_website("https://a.example/")


def test_existing_file_is_skipped_unless_overwrite(tmp_path):
    out = tmp_path / "coops"
    out.mkdir()
    existing = out / "koumbit.yaml"
    existing.write_text("name: Koumbit\nwebsite: https://www.koumbit.org/\nfounded: 2004\n")
    rows = [{"name": "Koumbit", "website": "https://koumbit.org", "business_areas": "Hosting"}]
    csv_path = write_csv(tmp_path / "list.csv", rows)

    report = import_csv(csv_path, out)
    assert report.skipped == [existing] and report.written == []
    assert yaml.safe_load(existing.read_text())["founded"] == 2004  # untouched

    report = import_csv(csv_path, out, overwrite=True)
    assert report.written == [existing]
    assert load(out, "koumbit")["services"] == ["hosting"]


def test_overwrite_never_replaces_another_coops_file(tmp_path):
    out = tmp_path / "coops"
    out.mkdir()
    existing = out / "nova.yaml"
    existing.write_text("name: Nova\nwebsite: https://nova.example/\n")
    rows = [{"name": "Nova", "website": "https://a-different-nova.example/"}]
    report = import_csv(write_csv(tmp_path / "list.csv", rows), out, overwrite=True)
    assert report.written == []
    assert load(out, "nova")["website"] == "https://nova.example/"
    [clash] = report.notes_of("slug-clash")
    assert "nova.yaml" in clash.message


def test_website_already_in_another_file_is_not_imported_again(tmp_path):
    out = tmp_path / "coops"
    out.mkdir()
    (out / "tech-collective.yaml").write_text(
        "name: TechCollective\nwebsite: https://techcollective.com\n"
    )
    rows = [{"name": "Tech Collective Inc", "website": "https://www.techcollective.com/"}]
    report = import_csv(write_csv(tmp_path / "list.csv", rows), out)
    assert report.written == []
    assert not (out / "tech-collective-inc.yaml").exists()
    assert "tech-collective.yaml" in report.notes_of("duplicate-website")[0].message


def test_values_yaml_would_read_as_booleans_or_dates_stay_strings(tmp_path):
    out, _ = run(
        tmp_path,
        [
            {"name": "NO", "website": "https://no.example/", "country": "Norway", "city": "Yes"},
            {"name": "2026-01-01", "website": "https://date.example/"},
        ],
    )
    assert load(out, "no")["name"] == "NO"
    assert load(out, "no")["locations"] == [{"country": "NO", "city": "Yes"}]
    assert load(out, "2026-01-01")["name"] == "2026-01-01"


def test_unicode_host_name_is_kept_as_listed_and_valid(tmp_path):
    out, report = run(tmp_path, [{"name": "Codeurs", "website": "https://codeursenliberté.fr/"}])
    assert load(out, "codeurs")["website"] == "https://codeursenliberté.fr/"
    assert check_paths([out], today=date(2026, 11, 1))[1] == []
    assert normalise_website("https://codeursenliberté.fr") == normalise_website(
        "https://xn--codeursenlibert-pnb.fr/"
    )


def test_rows_without_name_or_web_address_are_reported(tmp_path):
    out, report = run(
        tmp_path,
        [
            {"name": "", "website": "https://anon.example/"},
            {"name": "No Site", "website": "not a url"},
        ],
    )
    assert report.written == []
    assert [n.kind for n in report.notes] == ["missing-name", "invalid-website"]


def test_missing_required_column_is_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,url\nA,https://a.example/\n", encoding="utf-8")
    with pytest.raises(ValueError, match="name, website"):
        import_csv(path, tmp_path / "coops")
