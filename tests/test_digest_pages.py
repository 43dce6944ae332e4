"""After the README's main job, as a new user runs it: every link a mailed digest gives into
the site opens a file that the build wrote, and every page links the site's icon."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_cli_messages import readme_main_job

from conftest import EXAMPLES, REPO

# The embedded default site.base_url, and the pages `publisher serve` answers itself.
BASE = "http://127.0.0.1:8080/"
ENDPOINTS = ("preferences", "unsubscribe", "subscribe", "confirm", "report")
LINK = re.compile(r"https?://[^\s\"'<>)]+")
ICON = re.compile(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">')


def mailed_links(outbox: Path) -> set[str]:
    """Every URL in the text and HTML parts of every mail in the outbox."""
    links: set[str] = set()
    for path in (outbox / "new").iterdir():
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        for part in mail.walk():
            if part.get_content_type() in {"text/plain", "text/html"}:
                assert isinstance(part, EmailMessage)
                links.update(LINK.findall(part.get_content()))
    return links


@pytest.fixture(scope="module")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the README's main job ran, as a new user runs it."""
    folder = tmp_path_factory.mktemp("main-job")
    shutil.copytree(EXAMPLES, folder / "examples")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        readme_main_job(), shell=True, cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_every_site_link_in_the_readme_main_jobs_mail_opens_a_built_file(main_job: Path) -> None:
    tmp_path = main_job
    pages = {
        urlsplit(link).path.lstrip("/")
        for link in mailed_links(tmp_path / "outbox")
        if link.startswith(BASE) and urlsplit(link).path.strip("/").split("/")[0] not in ENDPOINTS
    }
    assert "zh-Hans/digests/2025-12-14.html" in pages, "the digest links its web copy"
    assert "zh-Hant/digests/2025-12-14.html" in pages, "and its other edition"
    missing = sorted(page for page in pages if not (tmp_path / "feeds" / page).is_file())
    assert missing == []


def test_every_page_links_the_sites_icon(main_job: Path) -> None:
    root = main_job / "feeds"
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 20 and any("/digests/" in str(page) for page in pages)
    for page in pages:
        found = ICON.search(page.read_text(encoding="utf-8"))
        assert found, page
        assert (page.parent / found[1]).resolve() == (root / "favicon.svg").resolve(), page
    assert (root / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")
