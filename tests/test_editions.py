"""Regional editions side by side: a site with Taiwan, Hong Kong and Simplified editions,
built from our fixture batch plus a Simplified article, read back as its readers would: the
feeds in feedparser, the pages' lang and hreflang, the sitemap and OPML, and each
subscriber's mail in the outbox. (The two-edition default is the golden files' job.)"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import feedparser
import pytest

from conftest import NOW, body_of, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.delivery import confirmations
from publisher.errors import ConfigError
from publisher.mail import subscribers
from publisher.mail.archive import build_site
from publisher.store import Store

pytestmark = pytest.mark.engines

DAY = dt.date(2025, 12, 14)
BASE = "https://news.example.org/"
EDITIONS = """
[[editions]]
tag = "zh-Hant-TW"
conversion = "s2twp"
path = "tw"

[[editions]]
tag = "zh-Hant-HK"
conversion = "s2hk"
path = "hk"

[[editions]]
tag = "zh-Hans-CN"
conversion = "tw2sp"
path = "cn"
"""
PATHS = {"zh-Hant-TW": "tw", "zh-Hant-HK": "hk", "zh-Hans-CN": "cn"}
# Our own Simplified article: Taiwan and Hong Kong say 軟體 and 軟件 for 软件.
SIMPLIFIED = ("新版办公软件今日上线", "公司今天推出新版办公软件，用户可免费升级。", "范例日报")
READERS = {"tw@example.org": "zh-TW", "hk@example.org": "zh-HK", "cn@example.org": "zh-CN"}


@pytest.fixture
def site(tmp_path: Path, news_path: Path) -> Config:
    """The three-edition site: ingested, built, the digest archived and sent."""
    config = make_config(tmp_path, EDITIONS)
    args = ["--config", str(tmp_path / "config.toml")]
    assert main([*args, "ingest", str(news_path), "--date", DAY.isoformat()]) == 0
    with Store(config.storage) as store:
        store_day(config, store, [SIMPLIFIED], DAY)
        build_site(config, store, NOW)
    for address, tag in READERS.items():
        assert main([*args, "subscribers", "add", address, "--edition", tag]) == 0
    assert main([*args, "send", "--date", DAY.isoformat()]) == 0
    return config


def feed(config: Config, path: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((config.output_dir / path).read_bytes())
    assert parsed.bozo == 0, parsed.bozo_exception
    return parsed


def test_each_edition_has_its_own_feed_whose_links_stay_in_it(site: Config) -> None:
    for tag, path in PATHS.items():
        parsed = feed(site, f"{path}/atom.xml")
        assert parsed.feed.language == tag
        others = {each.hreflang for each in parsed.feed.links if each.get("hreflang")}
        assert others == set(PATHS), "its page, and the same feed in the two other editions"
        assert len(parsed.entries) == 9
        for entry in parsed.entries:
            assert entry.link.startswith(f"{BASE}{path}/articles/2025-12-14/")
            assert f":{path}/" in entry.id
            langs = {link.get("hreflang") for link in entry.links if link.rel == "alternate"}
            assert langs == {*PATHS, None}
        assert (site.output_dir / path / "digests" / "atom.xml").is_file()
        assert (site.output_dir / path / "digests" / f"{DAY}.html").is_file()


def test_each_edition_reads_in_its_own_words(site: Config) -> None:
    titles = {
        tag: {entry.title for entry in feed(site, f"{path}/atom.xml").entries}
        for tag, path in PATHS.items()
    }
    assert "新版辦公軟體今日上線" in titles["zh-Hant-TW"]
    assert "新版辦公軟件今日上線" in titles["zh-Hant-HK"]
    assert "新版办公软件今日上线" in titles["zh-Hans-CN"]
    # The converted entry says where it came from: the Simplified edition's page.
    hk = next(e for e in feed(site, "hk/atom.xml").entries if "軟件" in e.title)
    [via] = [link for link in hk.links if link.rel == "via"]
    assert via.hreflang == "zh-Hans-CN" and via.href.startswith(f"{BASE}cn/articles/")


def test_pages_name_their_language_and_link_every_other_edition(site: Config) -> None:
    for tag, path in PATHS.items():
        [page] = list((site.output_dir / path / "articles" / "2025-12-14").glob("*.html"))[:1]
        html = page.read_text(encoding="utf-8")
        assert f'<html lang="{tag}">' in html
        for other, folder in PATHS.items():
            if other == tag:
                continue
            same = f"{BASE}{folder}/articles/2025-12-14/{page.name}"
            assert f'<link rel="alternate" hreflang="{other}" href="{same}">' in html
            switch = f'href="../../../{folder}/articles/2025-12-14/{page.name}" hreflang="{other}"'
            assert switch in html
        index = (site.output_dir / path / "index.html").read_text(encoding="utf-8")
        assert "繁體中文版（香港）" in index or tag == "zh-Hant-HK"
        opml = (site.output_dir / path / "feeds.opml").read_text(encoding="utf-8")
        assert f'language="{tag}"' in opml


def test_the_sitemap_names_each_page_in_all_three(site: Config) -> None:
    [part] = (site.output_dir / "sitemaps").glob("2025-12.xml")
    xml = part.read_text(encoding="utf-8")
    urls = re.findall(r"<url>.*?</url>", xml)
    assert urls and all(xml.count("hreflang") for xml in urls)
    for url in urls:
        assert sorted(re.findall(r'hreflang="([^"]+)"', url)) == sorted([*PATHS, "x-default"])


def outbox(config: Config) -> dict[str, EmailMessage]:
    """The outbox, the confirmation mails the pages queued sent first (as `serve` would)."""
    with Store(config.storage) as store:
        confirmations.send_due(config, store)
    mails = {}
    for path in (config.root / "outbox" / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mails[str(message["To"])] = message
    return mails


def test_each_reader_gets_the_digest_of_their_edition(site: Config) -> None:
    mails = outbox(site)
    assert set(mails) == set(READERS)
    for address, typed in READERS.items():
        tag = {"zh-TW": "zh-Hant-TW", "zh-HK": "zh-Hant-HK", "zh-CN": "zh-Hans-CN"}[typed]
        html = body_of(mails[address], "html")
        text = body_of(mails[address])
        assert f'<html lang="{tag}"' in html  # premailer inlines its font stack
        own = f"{BASE}{PATHS[tag]}/articles/"
        assert own in html
        for other, folder in PATHS.items():
            if other != tag:
                # The same digest in each other edition; their articles only as the
                # original of a converted one.
                assert f"{BASE}{folder}/digests/{DAY}.html" in text
                for line in text.splitlines():
                    if f"{BASE}{folder}/articles/" in line:
                        assert "由簡體原文自動轉換：" in line or "由繁体原文自动转换：" in line
        assert f"{tag.lower()}.digest." in str(mails[address]["List-Id"])
    assert "軟件" in body_of(mails["hk@example.org"])
    assert "軟體" in body_of(mails["tw@example.org"])


def test_the_edition_option_names_editions_and_lists_them_when_none_fits(
    site: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(site.root / "config.toml"), "subscribers"]
    assert main([*args, "add", "mo@example.org", "--edition", "zh-MO"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("publisher: error: --edition: 'zh-MO': no such edition; ")
    assert "this site has zh-Hant-TW, zh-Hant-HK or zh-Hans-CN" in error
    assert main([*args, "add", "any@example.org", "--edition", "zh-Hant"]) == 0
    assert main([*args, "set", "any@example.org", "--edition", "hk"]) == 0
    assert "any@example.org: zh-Hant-HK, daily" in capsys.readouterr().out
    assert main([*args, "set", "any@example.org", "--frequency", "daily"]) == 0
    assert "any@example.org: zh-Hant-HK, daily" in capsys.readouterr().out, "the edition stays"


def test_script_still_names_an_edition_as_a_deprecated_alias(
    site: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(site.root / "config.toml"), "subscribers"]
    assert main([*args, "add", "a@example.org", "--edition", "zh-Hant-HK"]) == 0
    assert main([*args, "add", "b@example.org", "--script", "zh-Hant-HK"]) == 0
    assert main([*args, "set", "b@example.org", "--script", "cn"]) == 0
    assert "b@example.org: zh-Hans-CN, daily" in capsys.readouterr().out
    with Store(site.storage) as store:
        people = {person.email: person for person in subscribers.everyone(store)}
    assert people["a@example.org"].edition == "zh-Hant-HK"
    assert people["b@example.org"].edition == "zh-Hans-CN"
    for action in ("add", "set"):
        with pytest.raises(SystemExit):
            main([*args, action, "--help"])
        shown = capsys.readouterr().out
        usage, _, rest = shown.partition("\n\n")
        assert "--edition EDITION" in usage and "--script" not in usage
        assert "--edition EDITION, --script EDITION" in rest
        assert "deprecated alias of --edition" in " ".join(rest.split())


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[[editions]]\ntag = "zh-TW"\n', "editions[1].tag", "must be a BCP 47 tag"),
        ('[[editions]]\ntag = "zh-Hant"\nconversion = "tw2sp"\n', "editions[1].conversion", ""),
        ('[[editions]]\nconversion = "s2hk"\n', "editions[1].tag", "is required"),
        ('[[editions]]\ntag = "zh-Hant"\n', "editions", "one zh-Hant and one zh-Hans"),
        ('[[editions]]\ntag = "zh-Hant"\nscript = "x"\n', "editions[1].script", "its `tag`"),
        ("[scripts]\neditions = []\n", "scripts.editions", "[[editions]] tables"),
    ],
)
def test_a_bad_editions_table_names_its_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{key}: ")) as raised:
        make_config(tmp_path, text)
    assert words in str(raised.value)


def test_serve_leads_each_reader_to_their_regional_edition_and_its_form(site: Config) -> None:
    from test_web import Client, serving

    from publisher.web import app as web

    with serving(web.create_app(site, now=lambda: NOW)) as port:
        client = Client(port)
        for header, path in [
            ("zh-HK,zh;q=0.8", "hk"),
            ("zh-Hant-HK", "hk"),
            ("zh-TW", "tw"),
            ("zh-MO", "tw"),  # no Macau edition: the first Traditional one
            ("zh-CN", "cn"),
            ("en, zh-Hans;q=0.5", "cn"),
        ]:
            reply = client.get("/", Accept_Language=header)
            assert (reply.status, reply.headers["Location"]) == (302, f"/{path}/index.html")
        chosen = client.get("/", Accept_Language="zh-TW", Cookie="script=hk")
        assert chosen.headers["Location"] == "/hk/index.html", "the switcher's choice wins"
        # The Hong Kong pages' subscribe link opens the form with that edition chosen.
        form = client.get("/subscribe?script=hk").text
        assert '<html lang="zh-Hant-HK">' in form
        assert re.search(r'value="hk" checked> 繁體中文（香港）', form)
        assert 'value="cn"> 简体中文（中国大陆）' in form
        done = client.post("/subscribe", "email=new%40example.org&script=hk")
        assert done.status == 200
    with Store(site.storage) as store:
        person = next(p for p in store.subscribers() if p.email == "new@example.org")
    assert (person.script, person.edition) == ("zh-Hant", "zh-Hant-HK")
    [mail] = [m for to, m in outbox(site).items() if to == "new@example.org"]
    text = body_of(mail)
    assert f"{BASE}hk/index.html" in text
    assert f"繁體中文版（台灣）：{BASE}tw/index.html" in text
    assert f"简体中文版（中国大陆）：{BASE}cn/index.html" in text


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium")
@pytest.mark.parametrize(
    ("language", "tag"),
    [
        ("zh-HK", "zh-Hant-HK"),
        ("zh-TW", "zh-Hant-TW"),
        ("zh-MO", "zh-Hant-TW"),
        ("zh-CN", "zh-Hans-CN"),
    ],
)
def test_the_static_root_page_leads_each_region_to_its_edition(
    site: Config, tmp_path: Path, language: str, tag: str
) -> None:
    """What `serve` does at `/`, the static index.html does in the browser (issue 10.3)."""
    from test_browser import chromium
    from test_web import serving

    from publisher.web import app as web

    with serving(web.create_app(site, now=lambda: NOW)) as port:
        dom = chromium(
            tmp_path,
            f"--accept-lang={language}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"http://127.0.0.1:{port}/index.html",
        )
    assert f'<html lang="{tag}">' in dom


def test_status_counts_readers_by_edition(site: Config, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--config", str(site.root / "config.toml"), "status"]) == 0
    shown = capsys.readouterr().out
    assert "subscribers: 1 active zh-Hans-CN, 1 active zh-Hant-HK, 1 active zh-Hant-TW" in shown
