"""The digest as rendered: the mail's HTML (layout, size, premailer), the render count, the
web archive pages and the digest feed, and the `digest` command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import logging
import re
import shutil
from pathlib import Path

import feedparser
import premailer
import pytest

from conftest import DAY, NOW, make_config, store_day
from publisher.articles import batch
from publisher.articles.punctuation import full_width
from publisher.cli import main
from publisher.config import Config
from publisher.editions import HANS, HANT, PAIR
from publisher.mail import subscribers
from publisher.mail import view as digest_view
from publisher.mail.archive import build_site, day_pages
from publisher.mail.digest import prepare_digest
from publisher.mail.letters import ADDRESS, PREFERENCES_URL, UNSUBSCRIBE_URL
from publisher.mail.sources import DigestSources
from publisher.records import Edition
from publisher.site.paths import Site
from publisher.site.templating import builtin_templates
from publisher.store import Store
from publisher.text import excerpt

pytestmark = pytest.mark.engines


def news_articles(news_path: Path) -> list[tuple[str, str, str]]:
    return [(a.title, a.body, a.source) for a in batch.parse(news_path.read_bytes(), news_path)]


def fifty(news_path: Path) -> list[tuple[str, str, str]]:
    """50 articles: the batch's, repeated with numbered titles."""
    day = news_articles(news_path)
    return [(f"{t}（{i}）", b, s) for i, (t, b, s) in enumerate(day * 7)][:50]


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET", "a fixed secret for the tests, 32+ bytes")


def html_of(config: Config, store: Store, edition: Edition) -> str:
    sources = DigestSources.of(config)
    _, html = digest_view.render_mail(sources.env, sources.views(store, DAY)[edition])
    return digest_view.inline_css(html)


# -- the view -----------------------------------------------------------------------------------


def test_the_view_holds_the_days_articles_in_batch_order(
    config: Config, store: Store, news_path: Path
) -> None:
    items = news_articles(news_path)
    store_day(config, store, items)
    store_day(config, store, items[:1], DAY - dt.timedelta(days=1))
    view = DigestSources.of(config).views(store, DAY)[HANT]
    site = Site.from_config(config)
    # Shown with full-width sentence punctuation (scripts.punctuation's default).
    assert [item.title for item in view.items] == [full_width(title) for title, _, _ in items]
    first = view.items[0]
    assert first.source == items[0][2]
    assert first.excerpt == excerpt(full_width(items[0][1]), config.digest.excerpt_chars)
    assert first.date == "2025年12月14日"
    assert first.url.startswith(site.url("zh-Hant/articles/2025-12-14/"))
    assert view.archive_url == "https://news.example.org/zh-Hant/digests/2025-12-14.html"
    assert view.heading == "2025年12月14日・共 8 則新聞"
    hans = DigestSources.of(config).views(store, DAY)[HANS]
    assert hans.site_title == "科技新闻" and hans.heading == "2025年12月14日・共 8 条新闻"


def test_titles_with_line_breaks_are_shown_on_one_line(config: Config, store: Store) -> None:
    store_day(config, store, [("第一行\r\n第二行", "內文。", "來源")])
    view = DigestSources.of(config).views(store, DAY)[HANT]
    assert view.items[0].title == "第一行 第二行"


# -- the mail's HTML ----------------------------------------------------------------------------


def test_the_mail_html_is_a_one_column_table_layout(
    config: Config, store: Store, news_path: Path
) -> None:
    store_day(config, store, news_articles(news_path))
    html = html_of(config, store, HANT)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count('role="presentation"') == 2  # the outer table and the container
    assert re.search(r'<table[^>]*class="container"[^>]*width="600"', html), "Outlook's cap"
    assert "max-width:600px" in html
    # Each article is a row of its own: one column.
    assert html.count('<tr><td class="pad item"') == 8
    assert all(row.count("<td") == 1 for row in re.findall(r"<tr>.*?</tr>", html, re.S)[2:])


def test_premailer_inlines_once_and_keeps_important_in_media_rules(
    config: Config, store: Store
) -> None:
    store_day(config, store, [("標題", "內文。", "來源")])
    html = html_of(config, store, HANT)
    assert re.search(r"<h2 style=\"[^\"]*font-size:18px", html), "styles are inlined"
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert "@media only screen and (max-width: 620px)" in style
    assert re.search(r"\.container \{\s*width: 100% !important", style)
    assert "prefers-color-scheme: dark" in style and style.count("!important") == 7
    assert "h2 {" not in style, "rules that could be inlined are not kept twice"


def test_each_article_has_title_link_source_date_and_excerpt(
    config: Config, store: Store, news_path: Path
) -> None:
    items = news_articles(news_path)
    store_day(config, store, items)
    html = html_of(config, store, HANT)
    view = DigestSources.of(config).views(store, DAY)[HANT]
    for item in view.items:
        assert re.search(rf'<a href="{re.escape(item.url)}"[^>]*>{re.escape(item.title)}</a>', html)
        assert f"{item.source} · 2025年12月14日" in html
        assert item.excerpt in html


def test_the_footer_has_the_subscribers_parts_and_the_archive_link(
    config: Config, store: Store
) -> None:
    store_day(config, store, [("標題", "內文。", "來源")])
    html = html_of(config, store, HANT)
    footer = html[html.index('class="pad footer"') :]
    assert f'<a href="{UNSUBSCRIBE_URL}"' in footer and "取消訂閱" in footer
    assert f'<a href="{PREFERENCES_URL}"' in footer and "管理訂閱設定" in footer
    assert ADDRESS in footer
    assert 'href="https://news.example.org/zh-Hant/digests/2025-12-14.html"' in html


def test_article_text_is_escaped(config: Config, store: Store) -> None:
    store_day(config, store, [("<script>alert(1)</script> & 晶片", "內文。", "A&B")])
    html = html_of(config, store, HANT)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 晶片" in html


def test_fifty_articles_stay_under_100_kb(config: Config, store: Store, news_path: Path) -> None:
    store_day(config, store, fifty(news_path))
    prepared = prepare_digest(config, store, DAY, NOW)
    assert prepared is not None
    for edition in PAIR.all:
        person = subscribers.add(store, f"{edition}@example.org", edition, NOW)
        letter = prepared.letter(person)
        assert letter is not None
        message = email.message_from_bytes(letter.data, policy=email.policy.default)
        part = message.get_body(("html",))
        assert part is not None
        html = part.get_content().encode("utf-8")
        assert html.count(b'class="pad item"') == 50
        assert len(html) < 100 * 1024, f"{edition}: {len(html)} bytes; Gmail clips at 102 KB"


def test_premailer_is_quiet(
    config: Config,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # word-break is valid CSS that cssutils does not know: with validation on it logs an
    # "Unknown Property" error for every element that gets it.
    assert "word-break" in (builtin_templates() / "digest.css").read_text()
    store_day(config, store, [("標題", "內文。", "來源")])
    with caplog.at_level(logging.DEBUG):
        prepare_digest(config, store, DAY, NOW)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capfd.readouterr() == ("", "")


def test_rendering_does_not_grow_with_the_list(
    config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    transform = premailer.Premailer.transform

    def counted(self: premailer.Premailer, *args: object, **kwargs: object) -> str:
        calls.append(1)
        return str(transform(self))

    monkeypatch.setattr(premailer.Premailer, "transform", counted)
    store_day(config, store, [("標題", "內文。", "來源")])
    prepared = prepare_digest(config, store, DAY, NOW)
    assert prepared is not None
    assert prepared.renders == 2 and len(calls) == 2  # once per script
    for number in range(300):
        edition = PAIR.all[number % 2]
        person = subscribers.add(store, f"p{number}@example.org", edition, NOW)
        prepared.letter(person)
    assert prepared.renders == 2 and len(calls) == 2


def test_a_day_without_articles_has_no_digest(config: Config, store: Store) -> None:
    assert prepare_digest(config, store, DAY, NOW) is None
    build_site(config, store, NOW)
    digests = config.output_dir / "zh-Hant/digests"
    assert not (digests / "2025-12-14.html").exists()
    assert feedparser.parse((digests / "atom.xml").read_bytes()).entries == []


# -- the web archive ----------------------------------------------------------------------------


def test_the_archive_pages_and_feeds(config: Config, store: Store, news_path: Path) -> None:
    items = news_articles(news_path)
    store_day(config, store, items[:3], DAY - dt.timedelta(days=1))
    store_day(config, store, items[3:])
    build_site(config, store, NOW)
    out = config.output_dir
    paths = [
        out / "zh-Hant/digests/2025-12-14.html",
        out / "zh-Hant/digests/atom.xml",
        out / "zh-Hant/digests/feed.json",
        out / "zh-Hans/digests/2025-12-14.html",
        out / "zh-Hans/digests/atom.xml",
        out / "zh-Hans/digests/feed.json",
        # A Sunday ends the week: its weekly page and the weekly feeds come beside them.
        out / "zh-Hant/digests/weekly/2025-W50.html",
        out / "zh-Hant/digests/weekly/atom.xml",
        out / "zh-Hant/digests/weekly/feed.json",
        out / "zh-Hans/digests/weekly/2025-W50.html",
        out / "zh-Hans/digests/weekly/atom.xml",
        out / "zh-Hans/digests/weekly/feed.json",
    ]
    assert all(path.is_file() for path in paths)
    assert (out / "zh-Hans/digests/2025-12-13.html").exists(), "every feed entry has its page"
    page = paths[3].read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in page
    assert 'rel="canonical" href="https://news.example.org/zh-Hans/digests/2025-12-14.html"' in page
    twin = "https://news.example.org/zh-Hant/digests/2025-12-14.html"
    assert f'hreflang="zh-Hant" href="{twin}"' in page
    assert 'href="atom.xml" type="application/atom+xml"' in page  # the digest feed, relative
    assert 'href="feed.json" type="application/feed+json"' in page
    assert "PUBLISHER-" not in page and "取消订阅" not in page, "no subscriber in a web page"
    assert page.count('class="pad item"') == 5

    feed = feedparser.parse(paths[4].read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "科技新闻・每日新闻摘要"
    assert feed.feed.language == "zh-Hans"
    assert [entry.links[0].href for entry in feed.entries] == [
        "https://news.example.org/zh-Hans/digests/2025-12-14.html",
        "https://news.example.org/zh-Hans/digests/2025-12-13.html",
    ]
    first = feed.entries[0]
    assert first.title == "科技新闻｜2025年12月14日 新闻摘要"
    assert first.updated == "2025-12-14T08:00:00+08:00"
    assert first.content[0].value.count("<li>") == 5


def test_a_rerun_leaves_the_archive_untouched(
    config: Config, store: Store, news_path: Path
) -> None:
    store_day(config, store, news_articles(news_path)[:2])
    build_site(config, store, NOW)
    paths = sorted((config.output_dir / "zh-Hant/digests").rglob("*.*"))
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths}
    assert build_site(config, store, NOW).written == 0
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths} == before


def test_the_feed_window_follows_feeds_max_entries(
    config: Config, store: Store, news_path: Path
) -> None:
    config = dataclasses.replace(config, feeds=dataclasses.replace(config.feeds, max_entries=2))
    items = news_articles(news_path)
    for offset in range(4):
        store_day(config, store, items[offset : offset + 1], DAY - dt.timedelta(days=offset))
    build_site(config, store, NOW)
    feed = feedparser.parse((config.output_dir / "zh-Hant/digests/atom.xml").read_bytes())
    assert [entry.links[0].href[-15:] for entry in feed.entries] == [
        "2025-12-14.html",
        "2025-12-13.html",
    ]
    assert (config.output_dir / "zh-Hant/digests/2025-12-11.html").exists(), "the index lists it"


# -- the command --------------------------------------------------------------------------------


def run(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def test_cli_digest_prints_the_paths(
    config: Config, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    store_day(config, store, [("標題", "內文。", "來源")])
    assert run(config, "digest", "--date", "2025-12-14") == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(path) for path in day_pages(config, DAY)]
    assert all(path.is_file() for path in day_pages(config, DAY))


def test_cli_digest_says_when_there_is_nothing(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, "digest", "--date", "2025-12-14") == 0
    assert "no articles for 2025-12-14" in capsys.readouterr().err


def test_cli_digest_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["digest", "--help"])
    assert exit.value.code == 0 and "--date" in capsys.readouterr().out


def test_the_restore_recipe_makes_the_whole_site_again(tmp_path: Path, news_path: Path) -> None:
    """docs/deploy.md: after a restore, `build --full` and `digest --date` for every day
    write every file the daily runs had written, digest pages older than the feeds'
    window included."""
    config = make_config(tmp_path, "[feeds]\nmax_entries = 2\n")
    items = news_articles(news_path)
    days = [DAY - dt.timedelta(days=offset) for offset in range(4)]
    with Store(config.storage) as store:
        for offset, day in enumerate(days):
            store_day(config, store, items[offset : offset + 1], day)
    for day in reversed(days):  # the daily runs, one a day
        assert run(config, "build") == run(config, "digest", "--date", day.isoformat()) == 0
    ran = {path: path.read_bytes() for path in config.output_dir.rglob("*") if path.is_file()}
    assert config.output_dir / "zh-Hant" / "digests" / f"{days[-1]}.html" in ran

    shutil.rmtree(config.output_dir)  # a restore brings the database back, not the site
    assert run(config, "build", "--full") == 0
    for day in days:
        assert run(config, "digest", "--date", day.isoformat()) == 0
    restored = {path: path.read_bytes() for path in config.output_dir.rglob("*") if path.is_file()}
    assert sorted(set(ran) - set(restored)) == [], "nothing is missing"
    assert restored == ran
