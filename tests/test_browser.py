"""Pages as a browser shows them: headless Chromium (Debian's `chromium`) renders the
subscribe form and a digest archive page served by `publisher serve`, and the text must be
in the DOM it built. Skipped, saying why, where /usr/bin/chromium is not installed."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import Client, link_in, local_path, mail_to, mails, serving

from conftest import EXAMPLES, NOW, body_of, make_config
from publisher.articles.ingest import ingest_file
from publisher.articles.punctuation import full_width
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.editions import HANT
from publisher.mail import subscribers, tokens
from publisher.mail.archive import build_site
from publisher.records import Frequency, Script
from publisher.site.paths import Site
from publisher.store import Store
from publisher.web import app as web
from publisher.words import WORDS

CHROMIUM = Path("/usr/bin/chromium")
NEXT_DAY = NOW.date() + dt.timedelta(days=1)
DAY = NOW.date()
TECH = "範例科技週報"  # a source of the first day's examples
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
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=NOW.date(), now=NOW)
        build_site(config, store, NOW)
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
    first_title = full_width(first_title)  # as shown (scripts.punctuation)
    path = Site.digest_path(HANT, NOW.date())
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
<iframe id="page" src="%s" style="width: 200px; height: 3000px"></iframe>
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
    assert layout["lines"] > 3  # the text wraps, so a justified line would show its gaps
    assert layout["widest"] < 0.5, f"Chinese characters stretched {layout['widest']:.1f} px apart"


# Opened from the served site, it opens a reader's preferences link in a window of the same
# origin, makes the choices as a reader would (clicks, a select) and saves; then it copies
# the page that answered into its own DOM for --dump-dom.
PREFERENCES_PROBE = """<!DOCTYPE html>
<pre id="out"></pre>
<script>
const page = window.open(%s);
let saved = false;
function step() {
  const doc = page.document;
  const ready = doc && doc.readyState === "complete";
  if (ready && !saved && doc.querySelector("input[name=script]")) {
    doc.querySelector("input[value=%s]").click();
    doc.querySelector("input[value=weekly]").click();
    doc.getElementById("weekday").value = "mon";
    for (const id of %s) doc.querySelector(`input[name=sources][value='${id}']`).click();
    saved = true;
    doc.querySelector("button[value=save]").click();
  } else if (ready && saved && doc.querySelector("[role=status]")) {
    const answer = doc.documentElement.lang + "|" + doc.body.innerText;
    document.getElementById("out").textContent = answer;
    return;
  }
  setTimeout(step, 20);
}
step();
</script>
"""


def save_preferences(
    config: Config, tmp_path: Path, link: str, edition: str, unticked: list[str]
) -> tuple[str, str]:
    """The preferences page at `link` in Chromium, with `edition` chosen and the sources
    `unticked` unticked, saved: the saved page's `lang` and its text."""
    config.output_dir.mkdir(parents=True, exist_ok=True)
    probe = config.output_dir / f"probe-{edition}.html"
    slugs = json.dumps([Site.source_slug(name) for name in unticked])
    probe.write_text(PREFERENCES_PROBE % (json.dumps(link), edition, slugs), encoding="utf-8")
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        dom = chromium(
            tmp_path,
            "--disable-popup-blocking",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"http://127.0.0.1:{port}/{probe.name}",
        )
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found and found[1], dom[-2000:]
    lang, _, text = html.unescape(found[1]).partition("|")
    return lang, text


@pytest.fixture
def mailing(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A site with two days of examples, and a reader in each script who got the first."""
    config = make_config(tmp_path_factory.mktemp("preferences"))
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        for script in Script:
            subscribers.add(store, f"{script.value.lower()}@example.org", script, NOW)
        assert send_day(config, store, NOW.date(), NOW).sent == 2
    return config


@pytest.mark.parametrize("script", list(Script))
def test_a_reader_changes_script_and_frequency_from_the_digest_link(
    mailing: Config, script: Script, tmp_path: Path
) -> None:
    address = f"{script.value.lower()}@example.org"
    link = local_path(link_in(mail_to(mailing, address, digest=True), "preferences"))
    lang, text = save_preferences(mailing, tmp_path, link, script.twin, [TECH])
    assert lang == script.twin and WORDS[script.twin]["saved"] in text
    with Store(mailing.storage) as store:
        person = subscribers.by_email(store, address)
        assert person is not None and (person.frequency, person.weekday) == (Frequency.WEEKLY, 0)
        assert store.opted_out_sources(person.id) == {TECH}
        send_day(mailing, store, NEXT_DAY, NOW + dt.timedelta(days=1))
    later = [m for m in mails(mailing) if m["To"] == address and str(DAY) not in m["Message-ID"]]
    assert len(later) == 1, "on Monday the weekly, and no daily mail"
    assert later[0]["Message-ID"].startswith(f"<weekly.2025-W50.{script.twin}.{person.id}@")
    text = body_of(later[0])
    assert WORDS[script.twin]["unsubscribe"] in text and WORDS[script]["unsubscribe"] not in text
    assert "星系" in text and "記憶體展" not in text and "内存展" not in text, "no tech news"


def many_sources(count: int) -> str:
    """A day's batch of our own with one article from each of `count` sources, named in
    Traditional script with characters that Simplified writes otherwise."""
    return "\n".join(
        f"範例第{n}號報導：城市圖書館延長開放時間\n"
        f"第{n}區的圖書館從下個月起延長開放時間到晚上十點，館方說明這是回應讀者的意見，"
        f"也會增加自習座位與電源插座。 (範例第{n}號週報)\n"
        for n in range(count)
    )


def test_the_preferences_page_saves_with_two_hundred_sources(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Edition, frequency and sources changed in Chromium on a site of 200 sources, saved,
    and read back from the store; the page names the sources in the reader's script."""
    config = make_config(tmp_path_factory.mktemp("many-sources"))
    batch = tmp_path / "2025-12-14.txt"
    batch.write_text(many_sources(200), encoding="utf-8")
    address = "many@example.org"
    with Store(config.storage) as store:
        assert ingest_file(config, store, batch, now=NOW).error is None
        assert len(store.counts_by_source()) == 200
        subscribers.add(store, address, Script.HANT, NOW)
        assert send_day(config, store, DAY, NOW).sent == 1
    link = local_path(link_in(mail_to(config, address, digest=True), "preferences"))
    dropped = ["範例第7號週報", "範例第123號週報"]
    lang, text = save_preferences(config, tmp_path, link, "zh-Hans", dropped)
    assert lang == "zh-Hans" and WORDS[Script.HANS]["saved"] in text
    assert "范例第7号周报" in text and "範例第7號週報" not in text, "names in the page's script"
    with Store(config.storage) as store:
        person = subscribers.by_email(store, address)
        assert person is not None and person.script is Script.HANS
        assert (person.frequency, person.weekday) == (Frequency.WEEKLY, 0)
        assert store.opted_out_sources(person.id) == set(dropped)


# Beside a copy of a preferences page (the page itself may not be framed), it lays the copy
# out at a phone's width and reports which choices wrap inside their label, and the colours
# of the save button and of the buttons that unsubscribe or erase.
PHONE_PROBE = """<!DOCTYPE html>
<iframe id="page" src="%s" style="width: 390px; height: 3000px; border: 0"></iframe>
<pre id="out"></pre>
<script>
window.onload = () => {
  const doc = document.getElementById("page").contentDocument;
  const broken = [];
  for (const label of doc.querySelectorAll("fieldset label")) {
    const line = parseFloat(getComputedStyle(label).lineHeight);
    if (label.getBoundingClientRect().height > 1.5 * line) broken.push(label.textContent.trim());
  }
  const look = (selector) => {
    const style = getComputedStyle(doc.querySelector(selector));
    return [style.backgroundColor, style.color, style.borderColor].join(" ");
  };
  const buttons = ["save", "unsubscribe", "erase", "export"].map(
    (value) => look(`button[value=${value}]`));
  document.getElementById("out").textContent = JSON.stringify({broken, buttons});
};
</script>
"""


def _has_cjk_font() -> bool:
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


@pytest.mark.skipif(
    shutil.which("fc-list") is None or not _has_cjk_font(),
    reason="no CJK font: Chromium would measure empty boxes, not Chinese text; on Debian: "
    "apt-get install fonts-noto-cjk",
)
def test_on_a_phone_no_choice_breaks_and_destructive_buttons_stand_apart(
    base: str, site: Config, tmp_path: Path
) -> None:
    with Store(site.storage) as store:
        person = subscribers.add(store, "phone@example.org", Script.HANS, NOW)
    token = tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 0)
    port = int(base.rstrip("/").rpartition(":")[2])
    page = Client(port).get(f"/preferences?token={token}")
    assert page.status == 200 and page.text.count('name="sources"') == 8
    (site.output_dir / "phone-copy.html").write_text(page.text, encoding="utf-8")
    probe = site.output_dir / "phone-probe.html"
    probe.write_text(PHONE_PROBE % "phone-copy.html", encoding="utf-8")
    dom = chromium(tmp_path, "--window-size=500,900", "--dump-dom", base + probe.name)
    found = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    layout = json.loads(html.unescape(found[1]))
    assert layout["broken"] == [], "labels broken across lines at 390 px"
    save, unsubscribe, erase, export = layout["buttons"]
    assert unsubscribe == erase, "the two destructive buttons look alike"
    assert len({save, unsubscribe, export}) == 3, "save, destroy and download look different"


ROOT_PROBE = """<!DOCTYPE html>
<iframe id="page" src="index.html" style="width: 390px; height: 900px"></iframe>
<pre id="out"></pre>
<script>
window.onload = () => {
  const doc = document.getElementById("page").contentDocument;
  const choice = getComputedStyle(doc.querySelector("li"));
  const font = getComputedStyle(doc.body).fontFamily;
  document.getElementById("out").textContent = JSON.stringify(
    [choice.borderTopStyle, choice.listStyleType, font.includes("Noto Sans CJK")]);
};
</script>
"""


def test_the_root_chooser_is_styled_like_the_site(base: str, site: Config, tmp_path: Path) -> None:
    """Each edition a card of its own, in the site's fonts; not a bare bulleted list."""
    (site.output_dir / "root-probe.html").write_text(ROOT_PROBE, encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", base + "root-probe.html")
    found = re.search(r'<pre id="out">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    assert json.loads(html.unescape(found[1])) == ["solid", "none", True]
