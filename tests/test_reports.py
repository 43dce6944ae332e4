"""Readers report a wrong word; editors fix it once: the form over HTTP against `publisher
serve`, `conversions reports / accept / reject`, and the next build's corrections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import feedparser
import pytest
from test_serve import publisher_serve
from test_web import Client, serving

from conftest import DAY, NOW, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.editions import HANS as HANS_EDITION
from publisher.mail.archive import build_site
from publisher.mail.sources import DigestSources
from publisher.mail.view import render_mail
from publisher.records import Article, Script
from publisher.site.paths import Site
from publisher.store import Store
from publisher.web import app as web

pytestmark = pytest.mark.engines

# Our own articles: two Traditional ones with 吊車 (crane), one without, one Simplified.
CRANE = ("港口新設自動吊車", "港務局表示，新設的自動吊車讓貨櫃裝卸時間縮短三成。", "港務快訊")
CRANE_TOO = ("碼頭吊車夜間維修", "為了安全，碼頭的吊車今晚停工維修。", "港務快訊")
OTHER = ("圖書館延長開放", "市立圖書館週末延長開放到晚上九點。", "市府新聞")
HANS = ("城市公园延长开放时间", "市政府宣布，夏季期间城市公园每天开放到晚上十点。", "城市日报")


def _site(root: Path, settings: str = "") -> Config:
    config = make_config(root, settings)
    with Store(config.storage) as store:
        store_day(config, store, [CRANE, CRANE_TOO, OTHER, HANS])
        build_site(config, store, NOW)  # as `publisher build` does
    return config


def _key(config: Config, title: str) -> str:
    with Store(config.storage) as store:
        return next(a.key for a in store.articles() if a.original.title == title)


def _form(**fields: str) -> str:
    return urlencode(fields)


def _cli(config: Config, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config.root / "config.toml"), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _entries(config: Config) -> dict[str, feedparser.FeedParserDict]:
    feed = feedparser.parse(config.output_dir / "zh-Hans" / "atom.xml")
    return {entry.id: entry for entry in feed.entries}


def _files(config: Config) -> dict[str, bytes]:
    root = config.output_dir
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_report_sent_to_publisher_serve_is_listed_accepted_and_corrected_by_the_next_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _site(tmp_path)
    crane, crane_too = _key(config, CRANE[0]), _key(config, CRANE_TOO[0])
    page = Site.from_config(config).article_path(HANS_EDITION, _article(config, crane))
    converted_page = (config.output_dir / page).read_text(encoding="utf-8")
    assert f"report?article={crane}&amp;edition=zh-Hans" in converted_page
    assert "转换有误？" in converted_page
    with publisher_serve(config) as (client, _):
        form = client.get(f"/report?article={crane}&edition=zh-Hans")
        assert form.status == 200 and "吊车" in form.body.decode()
        refused = client.post("/report", _form(article=crane, edition="zh-Hans", phrase="飞机"))
        assert refused.status == 400 and "找不到“飞机”" in refused.body.decode()
        sent = client.post(
            "/report",
            _form(article=crane, edition="zh-Hans", phrase="吊车", suggestion="起重機"),
        )
        assert sent.status == 200 and "谢谢报告" in sent.body.decode()
    code, listed = _cli(config, capsys, "conversions", "reports")
    assert code == 0
    assert "zh-Hans  吊车 → 起重機" in listed and "港口新设自动[吊车]" in listed
    assert "1 open report" in listed
    before = _entries(config)
    files_before = _files(config)

    # The reader's suggestion is in the wrong script: the editor gives the right form.
    code, said = _cli(config, capsys, "conversions", "accept", "1", "--as", "起重机")
    assert code == 0 and "吊車 ⇄ 起重机" in said
    assert "吊車\t起重机" in (config.root / "phrases.txt").read_text(encoding="utf-8")
    code, diff = _cli(config, capsys, "conversions", "diff")
    assert "自动吊车 → 自动起重机" in diff and "2 articles read differently" in diff
    code, _ = _cli(config, capsys, "build")
    assert code == 0

    after = _entries(config)
    changed = {key for key, entry in after.items() if entry.updated != before[key].updated}
    assert changed == {
        _entry_id(after, "港口新设自动起重机"),
        _entry_id(after, "码头起重机夜间维修"),
    }
    assert all(after[key].updated > before[key].updated for key in changed)
    # Exactly the outputs that show the two articles in zh-Hans were rewritten (and the
    # search index, which now knows 起重机): no page or feed of zh-Hant.
    files_after = _files(config)
    rewritten = {name for name, data in files_after.items() if files_before.get(name) != data}
    shown = {name for name in rewritten if not name.startswith("search/")}
    assert shown and all(name.startswith("zh-Hans/") for name in shown)
    site = Site.from_config(config)
    for key, changes in ((crane, True), (crane_too, True), (_key(config, OTHER[0]), False)):
        path = site.article_path(HANS_EDITION, _article(config, key))
        assert (path in rewritten) is changes
    code, listed = _cli(config, capsys, "conversions", "reports")
    assert "0 open reports" in listed


def _article(config: Config, key: str) -> Article:
    with Store(config.storage) as store:
        return store.articles_by_keys([key])[0]


def _entry_id(entries: dict[str, feedparser.FeedParserDict], title: str) -> str:
    return next(key for key, entry in entries.items() if entry.title == title)


@pytest.fixture
def site(tmp_path: Path) -> Config:
    return _site(
        tmp_path,
        "[web]\nreport_limit = 3\nreport_window_seconds = 600\nreports_per_article_per_day = 2\n",
    )


@pytest.fixture
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


def test_reports_are_limited_per_article_and_per_client_and_keep_nothing_of_the_reader(
    site: Config, client: Client
) -> None:
    crane, other = _key(site, CRANE[0]), _key(site, OTHER[0])
    fields = {"edition": "zh-Hans", "phrase": "吊车"}
    assert client.post("/report", _form(article=crane, **fields)).status == 200
    assert client.post("/report", _form(article=crane, **fields)).status == 200
    per_article = client.post("/report", _form(article=crane, **fields))
    assert per_article.status == 429 and "这篇文章今天已收到许多报告" in per_article.body.decode()
    # The client has sent three; a fourth, on another article, is one too many.
    per_client = client.post("/report", _form(article=other, edition="zh-Hans", phrase="图书馆"))
    assert per_client.status == 429 and per_client.headers["Retry-After"]
    with Store(site.storage) as store:
        rows = store.db.execute("SELECT * FROM conversion_reports").fetchall()
    assert len(rows) == 2
    assert not any("127.0.0.1" in str(value) for row in rows for value in row)


def test_an_original_and_an_unknown_article_take_no_report(site: Config, client: Client) -> None:
    crane = _key(site, CRANE[0])
    original = client.post("/report", _form(article=crane, edition="zh-Hant", phrase="吊車"))
    assert original.status == 400 and "這篇文章是原文" in original.body.decode()
    unknown = client.post("/report", _form(article="0" * 64, edition="zh-Hans", phrase="吊车"))
    assert unknown.status == 404
    assert client.get(f"/report?article={crane}&edition=zh-Hant").status == 400


def test_reject_closes_a_report_and_changes_nothing(
    site: Config, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    crane = _key(site, CRANE[0])
    assert (
        client.post("/report", _form(article=crane, edition="zh-Hans", phrase="吊车")).status == 200
    )
    code, said = _cli(site, capsys, "conversions", "accept", "1")
    assert code != 0 and "has no suggestion: give --as TEXT" in said
    code, said = _cli(site, capsys, "conversions", "reject", "1")
    assert code == 0 and "report 1 rejected" in said
    code, said = _cli(site, capsys, "conversions", "reject", "1")
    assert code != 0 and "report 1 is rejected already" in said
    assert not (site.root / "phrases.txt").exists()


def test_a_simplified_original_reported_in_traditional_gives_the_pair_both_ways(
    site: Config, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    hans = _key(site, HANS[0])
    fields = _form(article=hans, edition="zh-Hant", phrase="公園", suggestion="公園綠地")
    assert client.post("/report", fields).status == 200
    code, said = _cli(site, capsys, "conversions", "accept", "1")
    assert code == 0 and "公園綠地 ⇄ 公园" in said
    _cli(site, capsys, "build")
    hant = feedparser.parse(site.output_dir / "zh-Hant" / "atom.xml")
    assert any(entry.title == "城市公園綠地延長開放時間" for entry in hant.entries)


def test_the_report_link_is_on_converted_digest_items(site: Config) -> None:
    sources = DigestSources.of(site)
    with Store(site.storage) as store:
        views = sources.views(store, DAY)
    hans = next(view for edition, view in views.items() if edition.script is Script.HANS)
    _, html = render_mail(sources.env, hans)
    crane = _key(site, CRANE[0])
    assert f"https://news.example.org/report?article={crane}&amp;edition=zh-Hans" in html
    assert "转换有误？" in html
    hant = next(view for edition, view in views.items() if edition.script is Script.HANT)
    _, html = render_mail(sources.env, hant)
    # Only the one converted item of zh-Hant (the Simplified original) links to the form.
    assert html.count("report?article=") == 1 and f"article={_key(site, HANS[0])}" in html


def test_accepting_a_pair_that_a_longer_phrase_still_overrides_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """資料庫 is one OpenCC phrase (数据库): a pair for 資料 alone changes nothing in it, and
    the editor learns that at once rather than from an unchanged build."""
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        store_day(config, store, [("資料庫管理新制", "新制上路。", "科技日報")])
        key = store.articles()[0].key
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        fields = _form(article=key, edition="zh-Hans", phrase="数据", suggestion="资料")
        assert Client(port).post("/report", fields).status == 200
    code, said = _cli(config, capsys, "conversions", "accept", "1")
    assert code == 1 and "資料 ⇄ 资料 added" in said
    assert "still does not show it: a longer phrase of OpenCC's around it wins" in said
