"""Pages as a browser shows them: headless Chromium (Debian's `chromium`) renders the
subscribe form and a digest archive page served by `publisher serve`, and the text must be
in the DOM it built. Skipped, saying why, where /usr/bin/chromium is not installed."""

from __future__ import annotations

import html
import json
import re
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
def site(tmp_path_factory: pytest.TempPathFactory, news_path: Path) -> Config:
    config = make_config(tmp_path_factory.mktemp("browser"))
    with Store(config.database) as store:
        ingest_file(config, store, news_path, day=NOW.date(), now=NOW)
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
    base: str, site: Config, news_path: Path, tmp_path: Path
) -> None:
    first_title = news_path.read_text(encoding="utf-8-sig").strip().splitlines()[0].strip()
    path = Site.digest_path(Script.HANT, NOW.date())
    dom = chromium(tmp_path, "--dump-dom", base + path)
    assert first_title in dom


def test_a_screenshot_of_the_form_is_a_real_picture(base: str, tmp_path: Path) -> None:
    picture = tmp_path / "subscribe.png"
    chromium(tmp_path, f"--screenshot={picture}", "--window-size=420,800", base + "subscribe")
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


# Loaded beside an article page from the same server, it reads what Chromium laid out: whether
# the stylesheet applied (body max-width), and how much wider than one em the step from a
# Chinese character to the next on one line is at most (justified text stretches it).
LAYOUT_PROBE = """<!DOCTYPE html>
<iframe id="page" src="%s" style="width: 380px; height: 3000px"></iframe>
<pre id="out"></pre>
<script>
window.onload = () => {
  const doc = document.getElementById("page").contentDocument;
  let widest = 0, lines = 0;
  for (const p of doc.querySelectorAll("article > p")) {
    const text = p.firstChild, range = doc.createRange();
    const em = parseFloat(getComputedStyle(p).fontSize);
    let last = null;
    for (let i = 0; i < text.length; i++) {
      range.setStart(text, i); range.setEnd(text, i + 1);
      const box = range.getBoundingClientRect();
      const han = /\\p{Script=Han}/u.test(text.data[i]);
      const sameLine = last && Math.abs(last.top - box.top) < 1;
      if (han && sameLine) widest = Math.max(widest, box.left - last.left - em);
      if (last && box.top > last.top + 1) lines++;
      last = han ? box : null;
    }
  }
  const style = getComputedStyle(doc.body).maxWidth;
  document.getElementById("out").textContent = JSON.stringify({style, widest, lines});
};
</script>
"""


def test_an_article_served_off_its_base_url_is_styled_with_even_chinese_lines(
    base: str, site: Config, tmp_path: Path
) -> None:
    # `base` is a loopback port; site.base_url is https://news.example.org/.
    assert not base.startswith(site.site.base_url)
    articles = sorted((site.output_dir / "zh-Hans" / "articles").rglob("*.html"))
    longest = max(articles, key=lambda path: path.stat().st_size)
    probe = site.output_dir / "layout-probe.html"
    probe.write_text(LAYOUT_PROBE % longest.relative_to(site.output_dir).as_posix())
    dom = chromium(tmp_path, "--dump-dom", base + probe.name)
    found = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    layout = json.loads(html.unescape(found[1]))
    assert layout["style"] != "none", "the stylesheet did not load"
    assert layout["lines"] > 10  # the text wraps, so a justified line would show its gaps
    assert layout["widest"] < 0.5, f"Chinese characters stretched {layout['widest']:.1f} px apart"
