"""Say what is converted: a converted page, feed entry and digest item carries a note in its
own script that links to the original; the original carries none."""

from __future__ import annotations

import dataclasses

import feedparser
import pytest

from conftest import DAY, NOW, store_day
from publisher.config import Config
from publisher.mail.sources import DigestSources
from publisher.mail.view import render_mail
from publisher.records import Script
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store

# Our own sentences: one article written in Traditional, one in Simplified.
HANT = ("港口新設自動吊車", "港務局表示，新設的自動吊車讓貨櫃裝卸時間縮短三成。", "港務快訊")
HANS = ("城市公园延长开放时间", "市政府宣布，夏季期间城市公园每天开放到晚上十点。", "城市日报")


@pytest.fixture
def built(config: Config, store: Store) -> Config:
    store_day(config, store, [HANT, HANS])
    build(config, store, NOW)
    return config


def page(config: Config, store: Store, script: Script, title: str) -> str:
    article = next(a for a in store.articles() if a.original.title == title)
    site = Site.from_config(config)
    path = config.output_dir / site.article_path(site.editions.default(script), article)
    return path.read_text(encoding="utf-8")


def original_url(config: Config, store: Store, title: str) -> str:
    article = next(a for a in store.articles() if a.original.title == title)
    site = Site.from_config(config)
    return site.url(site.article_path(site.editions.default(article.script), article))


def original_link(config: Config, store: Store, title: str) -> str:
    """The original's page as the converted page links it: relative, from the same day."""
    article = next(a for a in store.articles() if a.original.title == title)
    site = Site.from_config(config)
    return f"../../../{site.article_path(site.editions.default(article.script), article)}"


def test_a_converted_page_says_so_in_its_script_and_links_the_original(
    built: Config, store: Store
) -> None:
    hans_url, hant_url = original_link(built, store, HANT[0]), original_link(built, store, HANS[0])
    note = '<a href="{}" hreflang="{}" rel="via">{}</a>'
    hans_page = page(built, store, Script.HANS, HANT[0])
    assert note.format(hans_url, "zh-Hant", "由繁体原文自动转换") in hans_page
    hant_page = page(built, store, Script.HANT, HANS[0])
    assert note.format(hant_url, "zh-Hans", "由簡體原文自動轉換") in hant_page
    # Originals carry no note.
    for text in ("由繁体原文自动转换", "由簡體原文自動轉換"):
        assert text not in page(built, store, Script.HANT, HANT[0])
        assert text not in page(built, store, Script.HANS, HANS[0])


def test_feeds_mark_converted_entries_with_a_via_link_to_the_original(
    built: Config, store: Store
) -> None:
    raw = (built.output_dir / "zh-Hans" / "atom.xml").read_bytes()
    entries = {entry.title: entry for entry in feedparser.parse(raw).entries}
    via = [link for link in entries["港口新设自动吊车"].links if link.rel == "via"]
    assert [(link.href, link.hreflang) for link in via] == [
        (original_url(built, store, HANT[0]), "zh-Hant")
    ]
    assert "由繁体原文自动转换" in entries["港口新设自动吊车"].content[0].value
    assert not [link for link in entries[HANS[0]].links if link.rel == "via"]


def test_the_note_is_configurable(built: Config, store: Store) -> None:
    scripts = dataclasses.replace(built.scripts, converted_note_hans="本页由繁体自动转为简体")
    build(dataclasses.replace(built, scripts=scripts), store, NOW)
    assert "本页由繁体自动转为简体" in page(built, store, Script.HANS, HANT[0])


def test_a_converted_digest_item_says_so_with_a_link(built: Config, store: Store) -> None:
    sources = DigestSources.of(built)
    view = sources.views(store, DAY)[sources.site.editions.default(Script.HANS)]
    text, html = render_mail(sources.env, view)
    original = original_url(built, store, HANT[0])
    assert f"由繁体原文自动转换：{original}" in text
    assert (
        f'<a href="{original}" hreflang="zh-Hant" class="converted">由繁体原文自动转换</a>' in html
    )
    assert text.count("由繁体原文自动转换") == 1, "the Simplified original has no note"
