"""JSON Feed 1.1 beside every Atom feed: each edition's, each source's and the digests'.

Every feed.json the site writes validates against a JSON Schema of JSON Feed 1.1 written
from the specification (tests/data/jsonfeed-1.1.schema.json), and reads, in a real feed
reader, as the same entries as its Atom twin. feedparser 6.0 (the newest release) reads
no JSON Feed, so the reader is `reader` (lemon24/reader): its own JSON Feed parser for the
JSON, feedparser for the Atom, one entry model for both."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import reader
from lxml import etree

from conftest import DAY, EXAMPLES, NOW, make_config, reading, with_feeds
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.mail.archive import build_site
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store

SCHEMA = json.loads((Path(__file__).parent / "data" / "jsonfeed-1.1.schema.json").read_text())
ATOM = "{http://www.w3.org/2005/Atom}"


def make_site(root: Path, seed: Path | None = None) -> Config:
    config = make_config(root)
    with Store(config.storage) as store:
        if seed is not None:
            assert ingest_file(config, store, seed, day=DAY, now=NOW).error is None
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build_site(config, store, NOW)
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Config:
    return make_site(tmp_path_factory.mktemp("jsonfeed"), seed_path)


def json_feeds(config: Config) -> list[Path]:
    return sorted(path for path in config.output_dir.rglob("*.json") if "search" not in path.parts)


def atom_twin(path: Path) -> Path:
    """The Atom feed a feed.json stands beside."""
    name = "atom.xml" if path.name == "feed.json" else path.stem + ".xml"
    return path.with_name(name)


def test_every_kind_of_feed_has_its_json_twin(site: Config) -> None:
    names = {path.relative_to(site.output_dir).as_posix() for path in json_feeds(site)}
    for edition in ("zh-Hant", "zh-Hans"):
        for feed in ("feed.json", "digests/feed.json", "digests/weekly/feed.json"):
            assert f"{edition}/{feed}" in names
        sources = {name for name in names if name.startswith(f"{edition}/sources/")}
        atoms = list((site.output_dir / edition / "sources").glob("*.xml"))
        assert len(sources) == len(atoms) > 2


def test_every_json_feed_validates_against_the_schema(site: Config) -> None:
    checker = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for path in json_feeds(site):
        document = json.loads(path.read_bytes())
        errors = [error.message for error in checker.iter_errors(document)]
        assert errors == [], path
        assert document["items"], path


def test_the_schema_refuses_what_the_spec_refuses() -> None:
    """The schema is not a rubber stamp: each of these breaks one rule of the spec."""
    good = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "站",
        "items": [
            {"id": "1", "content_html": "<p>字</p>", "date_published": "2025-12-14T09:30:00+08:00"}
        ],
    }
    jsonschema.validate(good, SCHEMA)
    bad: list[dict[str, Any]] = [
        {**good, "version": "https://jsonfeed.org/version/1"},
        {key: value for key, value in good.items() if key != "title"},
        {**good, "items": [{"id": "1"}]},  # no content
        {**good, "items": [{"id": "1", "content_text": "字", "date_published": "2025-12-14"}]},
        {**good, "hubs": [{"url": "https://hub.example.org/"}]},  # a hub without its type
        {**good, "author_name": "甲"},  # not a field, not an extension
        {**good, "_publisher": "not an object"},
    ]
    for document in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, SCHEMA)


def atom_entries(path: Path) -> list[dict[str, Any]]:
    """Each entry of an Atom document as its raw text says it."""
    root = etree.parse(str(path)).getroot()
    found = []
    for entry in root.iter(f"{ATOM}entry"):
        links = [link.attrib for link in entry.iter(f"{ATOM}link")]
        lang = entry.get("{http://www.w3.org/XML/1998/namespace}lang")
        found.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "title": entry.findtext(f"{ATOM}title"),
                "published": entry.findtext(f"{ATOM}published"),
                "updated": entry.findtext(f"{ATOM}updated"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "content": entry.findtext(f"{ATOM}content"),
                "summary": entry.findtext(f"{ATOM}summary"),
                "link": links[0]["href"],
                "others": [
                    (a["hreflang"], a["href"])
                    for a in links[1:]
                    if a["rel"] == "alternate" and a.get("hreflang") not in (None, lang)
                ],
                "via": [(a["title"], a["hreflang"], a["href"]) for a in links if a["rel"] == "via"],
                "lang": lang,
            }
        )
    return found


def test_each_item_is_its_atom_entry_field_for_field(site: Config) -> None:
    for path in json_feeds(site):
        document = json.loads(path.read_bytes())
        atom = etree.parse(str(atom_twin(path))).getroot()
        assert document["title"] == atom.findtext(f"{ATOM}title")
        assert document["language"] == atom.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert (
            document["feed_url"]
            == f"https://news.example.org/{path.relative_to(site.output_dir).as_posix()}"
        )
        entries = atom_entries(atom_twin(path))
        assert len(document["items"]) == len(entries) > 0
        for item, entry in zip(document["items"], entries, strict=True):
            assert item["id"] == entry["id"]  # the Atom tag: id
            assert item["url"] == entry["link"]
            assert item["title"] == entry["title"]
            assert item["content_html"] == entry["content"]
            assert item["date_published"] == entry["published"]
            assert item["date_modified"] == entry["updated"]
            assert item.get("summary") == entry["summary"]
            assert item.get("authors", [{}])[0].get("name") == entry["author"]
            assert item["language"] == entry["lang"]
            extension = item.get("_publisher", {})
            others = [(e["language"], e["url"]) for e in extension.get("editions", [])]
            assert others == entry["others"]
            converted = extension.get("converted")
            via = (
                [(converted["note"], converted["original_language"], converted["original_url"])]
                if converted
                else []
            )
            assert via == entry["via"]


def test_a_converted_item_carries_its_note_and_original(site: Config) -> None:
    """The Simplified edition's items converted from Traditional say so in `_publisher`,
    as the page does, and their HTML ends with the same note."""
    items = json.loads((site.output_dir / "zh-Hans" / "feed.json").read_bytes())["items"]
    converted = [item for item in items if "converted" in item.get("_publisher", {})]
    assert converted
    for item in converted:
        note = item["_publisher"]["converted"]
        assert note["note"] == "由繁体原文自动转换"
        assert note["original_language"] == "zh-Hant"
        assert note["original_url"] == item["url"].replace("/zh-Hans/", "/zh-Hant/")
        assert note["note"] in item["content_html"]


@pytest.fixture
def feed_reader(site: Config) -> Iterator[reader.Reader]:
    with reading(site.output_dir) as opened:
        yield opened


def test_a_feed_reader_reads_the_same_entries_from_both(
    site: Config, feed_reader: reader.Reader
) -> None:
    pairs = [
        (
            path.relative_to(site.output_dir).as_posix(),
            atom_twin(path).relative_to(site.output_dir).as_posix(),
        )
        for path in json_feeds(site)
    ]
    for json_name, atom_name in pairs:
        feed_reader.add_feed(json_name)
        feed_reader.add_feed(atom_name)
    feed_reader.update_feeds()
    for json_name, atom_name in pairs:
        assert feed_reader.get_feed(json_name).version == "json11"
        assert feed_reader.get_feed(json_name).last_exception is None
        shown = [
            [
                (
                    e.id,
                    e.title,
                    e.link,
                    e.published,
                    e.updated,
                    # JSON Feed's items without authors have the feed's (its 1.1 spec);
                    # reader applies that for Atom only.
                    e.authors_str or e.feed.authors_str,
                    e.summary,
                    [c.value.strip() for c in e.content],  # feedparser strips the end
                )
                for e in feed_reader.get_entries(feed=name)
            ]
            for name in (json_name, atom_name)
        ]
        assert len(shown[0]) == len(shown[1]) > 0, json_name
        for from_json, from_atom in zip(*shown, strict=True):
            differ = [
                n for n, (a, b) in enumerate(zip(from_json, from_atom, strict=True)) if a != b
            ]
            assert not differ, (
                json_name,
                from_json[0],
                [(from_json[n], from_atom[n]) for n in differ],
            )
        feed = feed_reader.get_feed(json_name), feed_reader.get_feed(atom_name)
        assert (feed[0].title, feed[0].link) == (feed[1].title, feed[1].link)


def test_every_page_that_offers_the_atom_feed_offers_the_json_feed(site: Config) -> None:
    pages = sorted(site.output_dir.rglob("*.html"))
    offered = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        head = html.split("</head>")[0]
        atom = re.findall(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', head
        )
        feeds = re.findall(
            r'<link rel="alternate" type="application/feed\+json"[^>]*href="([^"]+)"', head
        )
        assert len(feeds) == len(atom), page
        for href in feeds:
            target = href.removeprefix("https://news.example.org/")
            resolved = (page.parent / target) if target == href else site.output_dir / target
            assert resolved.resolve().is_file(), f"{page}: {href}"
            offered += 1
    assert offered > len(pages)


def test_the_json_feed_list_names_every_json_feed_and_only_them(site: Config) -> None:
    for edition in ("zh-Hant", "zh-Hans"):
        atom_list = (site.output_dir / edition / "feeds.opml").read_text(encoding="utf-8")
        json_list = (site.output_dir / edition / "feeds-json.opml").read_text(encoding="utf-8")
        atom_urls = re.findall(r'xmlUrl="([^"]+)"', atom_list)
        json_urls = re.findall(r'xmlUrl="([^"]+)"', json_list)
        assert all(url.endswith(".xml") for url in atom_urls), "importing it never doubles a feed"
        twins = [
            re.sub(r"(atom)?\.xml$", lambda m: "feed.json" if m[1] else ".json", url)
            for url in atom_urls
        ]
        assert json_urls == twins
        for url in json_urls:
            assert (site.output_dir / url.removeprefix("https://news.example.org/")).is_file()
        index = (site.output_dir / edition / "index.html").read_text(encoding="utf-8")
        assert 'href="feeds-json.opml"' in index


def test_a_day_added_rewrites_only_the_json_feeds_that_show_it_and_as_a_full_build_would(
    tmp_path: Path, news_path: Path
) -> None:
    (tmp_path / "kept").mkdir()
    config = make_config(tmp_path / "kept")
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            ingest_file(config, store, batch, now=NOW)
        build(config, store, NOW)
        before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in json_feeds(config)}
        later = NOW + dt.timedelta(days=1)
        ingest_file(config, store, news_path, day=DAY + dt.timedelta(days=2), now=later)
        build(config, store, later)
    after = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in json_feeds(config)}
    changed = {
        path.relative_to(config.output_dir).as_posix()
        for path in after
        if after[path] != before.get(path)
    }
    site = Site.from_config(config)
    with Store(config.storage) as store:
        new_sources = {a.original.source for a in store.articles(day=DAY + dt.timedelta(days=2))}
    assert changed == {
        path
        for edition in site.editions
        for path in (
            site.json_feed_path(edition),
            *(site.source_json_path(edition, s) for s in new_sources),
        )
    }
    # The same bytes as a whole build of the same store into a fresh folder.
    fresh = dataclasses.replace(
        config, site=dataclasses.replace(config.site, output_dir=str(tmp_path / "fresh"))
    )
    with Store(config.storage) as store:
        build(fresh, store, NOW + dt.timedelta(days=1), full=True)
    for path in json_feeds(config):
        name = path.relative_to(config.output_dir)
        assert path.read_bytes() == (fresh.output_dir / name).read_bytes(), name


def test_json_feeds_follow_the_feed_settings(tmp_path: Path) -> None:
    config = with_feeds(make_config(tmp_path), per_source=False, max_entries=2)
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            ingest_file(config, store, batch, now=NOW)
        build(config, store, NOW)
    assert not list((config.output_dir / "zh-Hant" / "sources").glob("*.json"))
    items = json.loads((config.output_dir / "zh-Hant" / "feed.json").read_bytes())["items"]
    assert len(items) == 2
