"""Each edition's own font stack: computed in Chromium for a page's body and for a link in the
other script, and inlined in the digest mail (read with the stdlib email parser)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, chromium
from test_web import mail_to, serving

from conftest import EXAMPLES, NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import subscribers
from publisher.records import Script
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web

EDITIONS = '[[editions]]\ntag = "zh-Hant"\n[[editions]]\ntag = "zh-Hans"\n'
EDITIONS += '[[editions]]\ntag = "zh-Hant-HK"\npath = "hk"\n'

# Loaded from the served site, it reads the computed font of each edition's index page: the
# body's, and that of the page's links to the other editions (each with its own lang).
PROBE = """<!DOCTYPE html>
%s
<pre id="out"></pre>
<script>
window.onload = () => {
  const found = {};
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument, seen = {};
    for (const link of doc.querySelectorAll("a[lang]"))
      seen[link.lang] = getComputedStyle(link).fontFamily;
    found[frame.id] = {body: getComputedStyle(doc.body).fontFamily, links: seen};
  }
  document.getElementById("out").textContent = JSON.stringify(found);
};
</script>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("fonts"), EDITIONS)
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build(config, store, NOW)
    return config


def _first(fonts: str) -> str:
    return fonts.split(",")[0].strip().strip('"')


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed")
def test_each_editions_body_is_drawn_with_its_own_families_first(
    site: Config, tmp_path: Path
) -> None:
    frames = "".join(
        f'<iframe id="{path}" src="{path}/index.html"></iframe>'
        for path in ("zh-Hant", "zh-Hans", "hk")
    )
    (site.output_dir / "font-probe.html").write_text(PROBE % frames, encoding="utf-8")
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        dom = chromium(tmp_path, "--dump-dom", f"http://127.0.0.1:{port}/font-probe.html")
    found = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    fonts = json.loads(html.unescape(found[1]))
    assert _first(fonts["zh-Hans"]["body"]) == "PingFang SC"
    assert _first(fonts["zh-Hant"]["body"]) == "PingFang TC"
    assert _first(fonts["hk"]["body"]) == "PingFang HK"
    assert fonts["zh-Hans"]["body"].endswith("sans-serif")
    # A link to another edition is drawn in that edition's script, on every page.
    expected = {"zh-Hans": "PingFang SC", "zh-Hant": "PingFang TC", "zh-Hant-HK": "PingFang HK"}
    for edition, tag in (("zh-Hant", "zh-Hant"), ("zh-Hans", "zh-Hans"), ("hk", "zh-Hant-HK")):
        links = fonts[edition]["links"]
        assert set(links) == set(expected) - {tag}, edition
        assert all(_first(font) == expected[lang] for lang, font in links.items()), edition


def test_the_digest_mail_of_each_script_names_its_own_families_first(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        for script in Script:
            subscribers.add(store, f"{script.value.lower()}@example.org", script, NOW)
        assert send_day(config, store, NOW.date(), NOW).sent == 2
    for script, first, other, other_first in (
        (Script.HANS, "PingFang SC", "zh-Hant", "PingFang TC"),
        (Script.HANT, "PingFang TC", "zh-Hans", "PingFang SC"),
    ):
        mail = mail_to(config, f"{script.value.lower()}@example.org", digest=True)
        part = mail.get_body(("html",))
        assert part is not None
        body = part.get_content()
        pads = _styles(body, r'<td class="pad[ "]')
        assert pads and all(f'font-family:"{first}"' in style for style in pads)
        links = _styles(body, rf'<a [^>]*\slang="{other}"')
        assert links and all(f'font-family:"{other_first}"' in style for style in links)


def _styles(body: str, start: str) -> list[str]:
    """The inlined style of each element whose start tag begins so."""
    tags = re.findall(rf"{start}[^>]*>", body)
    found = [re.search(r"style=([\"'])(.*?)\1", tag) for tag in tags]
    return [html.unescape(each[2]) for each in found if each]
