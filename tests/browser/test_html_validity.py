"""Every page of the built fixture sites is valid HTML, by the Nu HTML Checker (vnu).

vnu runs once for both sites (one JVM: it is slow to start). Errors fail; warnings are printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import INSTALL_HINT, VNU_JAR, require

Messages = dict[str, list[dict[str, Any]]]


def java_command() -> str:
    java = shutil.which("java")
    if java is None:
        pytest.fail(f"java not found: {INSTALL_HINT}", pytrace=False)
    return java


@pytest.fixture(scope="session")
def vnu_messages(directory_site: Path, hostile_site: Path) -> dict[Path, Messages]:
    """Run vnu once over both built sites; return {site: {file path in the site: messages}}."""
    require(VNU_JAR, "vnu.jar")
    sites = [directory_site, hostile_site]
    result = subprocess.run(
        [java_command(), "-jar", str(VNU_JAR), "--format", "json", "--skip-non-html",
         *map(str, sites)],
        capture_output=True, text=True, timeout=600,
    )
    output = result.stderr.strip() or result.stdout.strip()  # vnu writes its report to stderr
    try:
        report = json.loads(output)
    except json.JSONDecodeError:
        pytest.fail(f"vnu gave no JSON report (exit {result.returncode}):\n{output[:5000]}",
                    pytrace=False)
    by_site: dict[Path, Messages] = {site: defaultdict(list) for site in sites}
    for message in report.get("messages", []):
        file = Path(unquote(urlsplit(message.get("url", "")).path))
        for site in sites:
            if file.is_relative_to(site):
                by_site[site][file.relative_to(site).as_posix()].append(message)
                break
        else:
            by_site[sites[0]][str(file)].append(message)
    return by_site


def describe(file: str, message: dict[str, Any]) -> str:
    kind = message.get("subType") or message.get("type")
    where = f"{file}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"
    extract = (message.get("extract") or "").replace("\n", "⏎")
    if len(extract) > 160:
        extract = extract[:157] + "..."
    return f"{where}: {kind}: {message.get('message')}\n    {extract}"


def is_error(message: dict[str, Any]) -> bool:
    return message.get("type") in ("error", "non-document-error") or (
        message.get("subType") == "fatal")


def check(messages: Messages, site_name: str, capsys: pytest.CaptureFixture[str]) -> None:
    errors = [describe(file, message) for file, found in sorted(messages.items())
              for message in found if is_error(message)]
    warnings = [describe(file, message) for file, found in sorted(messages.items())
                for message in found if not is_error(message)]
    if warnings:
        with capsys.disabled():
            print(f"\nvnu: {len(warnings)} warning(s) in the {site_name} site:")
            print("\n".join(warnings))
    if errors:
        pytest.fail(f"vnu: {len(errors)} error(s) in the {site_name} site:\n" + "\n".join(errors),
                    pytrace=False)


def test_the_directory_site_is_valid_html(
    vnu_messages: dict[Path, Messages], directory_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (directory_site / "index.html").exists()
    check(vnu_messages[directory_site], "fixture directory", capsys)


def test_the_hostile_site_is_valid_html(
    vnu_messages: dict[Path, Messages], hostile_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (hostile_site / "index.html").exists()
    check(vnu_messages[hostile_site], "hostile", capsys)
