"""Pages as a browser shows them: headless Chromium (Debian's `chromium`) renders the
subscribe form and a digest archive page served by `publisher serve`, and the text must be
in the DOM it built. Skipped, saying why, where /usr/bin/chromium is not installed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import serving

from conftest import NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.mail.archive import write_archive
from publisher.records import Script
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store
from publisher.web import app as web

CHROMIUM = Path("/usr/bin/chromium")
# As the workplace notes say: no sandbox as root, and no background traffic to the
# (closed) internet, which would otherwise stall each start.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed (/usr/bin/chromium); on Debian: "
    "apt-get install --no-install-recommends chromium fonts-noto-cjk",
)


def chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Config:
    config = make_config(tmp_path_factory.mktemp("browser"))
    with Store(config.database) as store:
        ingest_file(config, store, seed_path, day=NOW.date(), now=NOW)
        build(config, store, NOW)
        write_archive(config, store, NOW.date())
    return config


@pytest.fixture(scope="module")
def base(site: Config) -> Iterator[str]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield f"http://127.0.0.1:{port}/"


def test_the_subscribe_form_renders_in_both_scripts(base: str, tmp_path: Path) -> None:
    hant = chromium(tmp_path, "--dump-dom", base + "subscribe?script=zh-Hant")
    assert "訂閱每日摘要" in hant and 'type="email"' in hant
    assert "繁體中文" in hant and "简体中文" in hant
    # The browser's own language picks the script when the URL does not.
    hans = chromium(tmp_path, "--accept-lang=zh-CN", "--dump-dom", base + "subscribe")
    assert "订阅每日摘要" in hans


def test_a_digest_archive_page_shows_the_days_articles(
    base: str, site: Config, seed_path: Path, tmp_path: Path
) -> None:
    first_title = seed_path.read_text(encoding="utf-8-sig").strip().splitlines()[0].strip()
    path = Site.digest_path(Script.HANT, NOW.date())
    dom = chromium(tmp_path, "--dump-dom", base + path)
    assert first_title in dom


def test_a_screenshot_of_the_form_is_a_real_picture(base: str, tmp_path: Path) -> None:
    picture = tmp_path / "subscribe.png"
    chromium(tmp_path, f"--screenshot={picture}", "--window-size=420,800", base + "subscribe")
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
