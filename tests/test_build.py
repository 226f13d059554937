"""A real Pelican build of a small folder of co-ops, through the Makefile as people run it."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent


def make_html(coops: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "html", f"COOPS={coops}", f"OUTPUTDIR={output}"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1793491200"},  # 2026-11-01
    )


def write(folder: Path, slug: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.yaml").write_text(textwrap.dedent(text), "utf-8")


def test_build_writes_a_page_per_coop_with_its_facts(tmp_path: Path) -> None:
    coops = tmp_path / "coops"
    write(coops, "zeta-coop", """\
        name: Zeta Coöp
        website: https://zeta.example.org/
        summary: Hosting for <em>community</em> groups.
        """)
    write(coops, "alpha", """\
        name: Alpha
        website: https://alpha.example.org/
        description: "Hello <script>alert(1)</script> **friends**"
        openings:
          - id: dev
            title: Developer
            posted: 2026-10-01
            apply: https://alpha.example.org/jobs
            example: true
        """)
    result = make_html(coops, tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr

    index = BeautifulSoup((tmp_path / "out/index.html").read_text("utf-8"), "html.parser")
    links = [a["href"] for a in index.select("main table a")]
    assert links == ["/coops/alpha/", "/coops/zeta-coop/"]

    zeta_html = (tmp_path / "out/coops/zeta-coop/index.html").read_text("utf-8")
    zeta = BeautifulSoup(zeta_html, "html.parser")
    assert zeta.h1.get_text() == "Zeta Coöp"
    assert zeta.select_one("article p").get_text() == "Hosting for <em>community</em> groups."
    alpha_html = (tmp_path / "out/coops/alpha/index.html").read_text("utf-8")
    alpha = BeautifulSoup(alpha_html, "html.parser")
    assert alpha.find("script") is None
    assert alpha.find("strong").get_text() == "friends"
    assert "example" in alpha.select_one("article li").get_text()


def test_build_refuses_bad_data_and_names_the_line(tmp_path: Path) -> None:
    coops = tmp_path / "coops"
    write(coops, "broken", """\
        name: Broken
        website: htp://broken.example.org
        """)
    result = make_html(coops, tmp_path / "out")
    assert result.returncode != 0
    assert f"{coops}/broken.yaml:2:10: website:" in result.stdout
    assert not (tmp_path / "out").exists()
