"""The reader's script, remembered: `/` leads to the edition the browser asks for
(Accept-Language, with Vary), a choice made with a page's switcher wins over the header, and
the static root page does the same in the browser. Chromium parts skip where it is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, chromium
from test_web import Client, serving

from conftest import NOW, make_config, store_day
from publisher.config import Config
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web

pytestmark = pytest.mark.engines

# Our own sentences, one per script.
ITEMS = [
    ("山區步道重新開放", "颱風過後修復完成的步道，本週末起重新開放給登山客。", "地方新聞"),
    ("新图书馆周末开放", "市中心新图书馆本周末开放，首月可免费办理借书证。", "城市日报"),
]
HANT_HOME, HANS_HOME = "/zh-Hant/index.html", "/zh-Hans/index.html"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("choice"))
    with Store(config.storage) as store:
        store_day(config, store, ITEMS)
        build(config, store, NOW)
    return config


@pytest.fixture(scope="module")
def port(site: Config) -> Iterator[int]:
    with serving(web.create_app(site, now=lambda: NOW)) as bound:
        yield bound


@pytest.mark.parametrize(
    ("language", "home"),
    [
        ("zh-TW,zh;q=0.9,en;q=0.8", HANT_HOME),
        ("zh-HK", HANT_HOME),
        ("zh-MO", HANT_HOME),
        ("zh-CN,zh;q=0.9", HANS_HOME),
        ("zh-SG", HANS_HOME),
        ("en-US,zh-Hans;q=0.5", HANS_HOME),
    ],
)
def test_the_front_door_leads_to_the_edition_the_browser_asks_for(
    port: int, language: str, home: str
) -> None:
    reply = Client(port).get("/", Accept_Language=language)
    assert reply.status == 302
    assert reply.headers["Location"] == home
    assert {"accept-language", "cookie"} <= {
        each.strip().lower() for each in reply.headers["Vary"].split(",")
    }


def test_a_remembered_choice_wins_over_the_header(port: int) -> None:
    reply = Client(port).get("/", Accept_Language="zh-TW", Cookie="script=zh-Hans")
    assert reply.headers["Location"] == HANS_HOME


def test_without_a_preference_the_front_door_offers_both(port: int) -> None:
    reply = Client(port).get("/", Accept_Language="en, zh;q=0.5", Cookie="script=klingon")
    assert reply.status == 200
    assert "Accept-Language" in reply.headers["Vary"]
    assert f'href="https://news.example.org{HANT_HOME}"' in reply.text
    assert f'href="https://news.example.org{HANS_HOME}"' in reply.text


def test_every_page_links_the_same_item_in_the_other_script(site: Config) -> None:
    for page in (site.output_dir / "zh-Hant").rglob("*.html"):
        twin = str(page.relative_to(site.output_dir / "zh-Hant"))
        assert f'href="https://news.example.org/zh-Hans/{twin}"' in page.read_text(
            encoding="utf-8"
        ), page


# A test-only page that drives the real ones in a frame: a click on the switcher of the
# Traditional home page (its link leads to the configured https host, so the harness goes
# to the Simplified home page itself), then `/` from the server, then the static root page;
# it notes each page landed on. A page loads between the click and `/`: Chromium hands a
# cookie the page wrote to its network service on its own time, and a request made at once
# could go without it (one run in some twenty did).
HARNESS = """<!DOCTYPE html><html><body>
<iframe id="f" src="/zh-Hant/index.html"></iframe>
<script>
var frame = document.getElementById("f"), step = 0, landed = [];
frame.onload = function () {
  step += 1;
  landed.push(frame.contentWindow.location.pathname);
  document.body.setAttribute("data-landed", landed.join(" "));
  if (step === 1) {
    frame.contentWindow.addEventListener("click", function (e) { e.preventDefault(); });
    frame.contentDocument.querySelector("nav a[data-script]").click();
    frame.src = "/zh-Hans/index.html";
  } else if (step === 2) {
    frame.src = "/";
  } else if (step === 3) {
    frame.src = "/index.html";
  }
};
</script></body></html>"""


@needs_chromium
def test_a_choice_made_with_the_switcher_is_remembered(
    site: Config, port: int, tmp_path: Path
) -> None:
    (site.output_dir / "harness.html").write_text(HARNESS, encoding="utf-8")
    dom = chromium(
        tmp_path,
        "--accept-lang=zh-TW",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"http://127.0.0.1:{port}/harness.html",
    )
    # After the switcher's click, both `/` (the server) and the static root page (its
    # script) lead to the Simplified edition, not to the zh-TW the browser asks for.
    assert f'data-landed="{HANT_HOME} {HANS_HOME} {HANS_HOME} {HANS_HOME}"' in dom


@needs_chromium
@pytest.mark.parametrize(("language", "title"), [("zh-CN", "新图书馆"), ("zh-TW", "山區步道")])
def test_the_static_root_page_leads_the_browser_to_its_edition(
    port: int, tmp_path: Path, language: str, title: str
) -> None:
    dom = chromium(
        tmp_path,
        f"--accept-lang={language}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"http://127.0.0.1:{port}/index.html",
    )
    assert title in dom
