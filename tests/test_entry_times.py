"""A day's entries keep their order in every reader: each article has a time of its own,
one second before the article before it, from the moment it was ingested here.

Feed readers sort by time, newest first. When every entry of a day had the day's midnight,
they sorted a day's articles as they liked (Miniflux #3074, NetNewsWire #2928), and the W3C
validator warned "Two entries with the same value for atom:updated". The validator is not
on PyPI and cannot be fetched by the tests (no internet), so its check is made here as it
makes it: no two entries of one feed document with the same <updated> text (its `unique`
check on entry/updated)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import feedparser
import pytest

from conftest import EXAMPLES, NOW, make_config, reading
from publisher.articles import ingest
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import Place, ingest_file
from publisher.articles.punctuation import full_width
from publisher.config import Config
from publisher.records import ParsedArticle
from publisher.site.build import build
from publisher.store import Store, migrations

pytestmark = pytest.mark.engines

ZONE = NOW.tzinfo
SECOND = dt.timedelta(seconds=1)
DAY = dt.date(2025, 12, 14)
_UPDATED = re.compile(r"<entry\b[^>]*>.*?<updated>([^<]+)</updated>", re.S)


def atom_documents(config: Config) -> list[Path]:
    """Every Atom document the build wrote: feeds, per-source feeds, archive documents."""
    return [
        path
        for path in sorted(config.output_dir.rglob("*.xml"))
        if b"<feed " in path.read_bytes()[:300]
    ]


def entry_times(path: Path) -> list[str]:
    return _UPDATED.findall(path.read_text(encoding="utf-8"))


def test_a_batch_gets_a_second_per_article_from_the_moment_of_its_ingest(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    times = [article.published for article in store.articles(day=DAY)]
    assert times == [NOW - SECOND * n for n in range(8)]


def test_a_later_batch_of_the_same_day_goes_on_below_it_in_the_days_order(
    config: Config, store: Store, news_path: Path, tmp_path: Path
) -> None:
    """Ingested a second later (two commands in a row) or an hour later: the day's order
    is its positions, and each time is still its own."""
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    more = tmp_path / "more.txt"
    more.write_text("新廠開始量產\n記憶體價格連續上漲。 (甲報)\n", encoding="utf-8")
    ingest_file(config, store, more, day=DAY, now=NOW + SECOND)
    articles = store.articles(day=DAY)
    assert [a.position for a in articles] == list(range(9))
    assert [a.published for a in articles] == [NOW - SECOND * n for n in range(9)]


def test_a_batch_of_another_day_keeps_its_date_at_the_time_of_day_of_its_ingest(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=dt.date(2025, 11, 2), now=NOW)
    (first, *_) = store.articles()
    assert first.published == dt.datetime(2025, 11, 2, 9, 30, tzinfo=ZONE)


def test_times_never_leave_the_batchs_date() -> None:
    """A batch ingested seconds after midnight starts late enough for all of it; a day
    already full to its first second stays in it."""
    just_after = dt.datetime(2025, 12, 14, 0, 0, 3, 250_000, tzinfo=ZONE)
    times = Place(DAY, 0, None, just_after).times(8)
    assert times == [dt.datetime(2025, 12, 14, 0, 0, 7, tzinfo=ZONE) - SECOND * n for n in range(8)]
    start = dt.datetime(2025, 12, 14, tzinfo=ZONE)
    assert Place(DAY, 8, start + SECOND, just_after).times(3) == [start, start, start]


def test_the_next_article_follows_the_last_one_stored() -> None:
    keyed = [(f"{n:064x}", ParsedArticle(f"標題{n}", "內文。", "甲報", n)) for n in range(3)]
    place = Place(DAY, 5, NOW - SECOND * 4, NOW + dt.timedelta(hours=5))
    scripts = Scripts.from_config(Config())
    made = ingest.new_articles(keyed, DAY, place, {keyed[1][0]}, scripts)
    assert [(a.position, a.published) for a in made] == [
        (5, NOW - SECOND * 5),
        (6, NOW - SECOND * 6),
    ]
    assert place.after(made) == Place(DAY, 7, NOW - SECOND * 6, place.ingested)


def test_no_two_entries_of_a_feed_share_an_updated_time(tmp_path: Path, seed_path: Path) -> None:
    """The W3C validator's duplicate-updated check, on every Atom document of the seed's
    site (the feeds, the per-source feeds, the archive documents) and of our examples."""
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        assert ingest_file(config, store, seed_path, day=DAY, now=NOW).error is None
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build(config, store, NOW)
    documents = atom_documents(config)
    assert len(documents) > 10
    for path in documents:
        times = entry_times(path)
        assert len(set(times)) == len(times), f"{path}: two entries share an <updated>"
    assert sum(len(entry_times(path)) for path in documents) > 50
    # The subscription feed lists newest first, and its times say the same.
    parsed = feedparser.parse(config.output_dir / "zh-Hant" / "atom.xml")
    published = [entry.published_parsed for entry in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert len(parsed.entries) == 8 + 4


def test_reader_lists_a_days_entries_in_batch_order(tmp_path: Path, seed_path: Path) -> None:
    """A reader following several of the day's feeds (one per source) sorts their entries
    by time: with one time for the whole day it fell back to the feeds' URLs."""
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        assert ingest_file(config, store, seed_path, day=DAY, now=NOW).error is None
        build(config, store, NOW)
        batch_order = [full_width(a.original.title) for a in store.articles(day=DAY)]
    sources = sorted((config.output_dir / "zh-Hant" / "sources").glob("*.xml"))
    assert len(sources) > 2
    with reading(config.output_dir) as feed_reader:
        for path in sources:
            feed_reader.add_feed(path.relative_to(config.output_dir).as_posix())
        feed_reader.update_feeds()
        listed = [entry.title for entry in feed_reader.get_entries()]
    assert listed == batch_order


def test_a_store_from_before_gets_times_in_each_days_order_and_its_feeds_show_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, news_path: Path
) -> None:
    """A store of the step before, whose articles all have their day's midnight (two
    ingests of one day, an hour apart, and one of another day), upgrades on either engine:
    each day's first article gets the time of day of its first ingest, each after it a
    second less; the next build writes every feed with them, and ids stay as they were."""
    config = make_config(tmp_path)
    step = next(s for s in migrations.STEPS if s.summary.startswith("each article its own"))
    earlier = tuple(s for s in migrations.STEPS if s.version < step.version)
    more = tmp_path / "more.txt"
    more.write_text("新廠開始量產\n記憶體價格連續上漲。 (甲報)\n", encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", earlier)
        patch.setattr(migrations, "LATEST", earlier[-1].version)
        with Store(config.storage) as store:
            ingest_file(config, store, news_path, day=DAY, now=NOW)
            ingest_file(config, store, more, day=DAY, now=NOW + dt.timedelta(hours=1))
            other = tmp_path / "other.txt"
            other.write_text("夜市試行行動支付\n攤商表示反應良好。 (乙報)\n", encoding="utf-8")
            ingest_file(config, store, other, day=DAY + dt.timedelta(days=1), now=NOW)
            # As the release before wrote them: the batch date's midnight for all.
            store.db.execute("UPDATE articles SET published = batch_date || 'T00:00:00+08:00'")
            build(config, store, NOW)
            ids_before = [
                e.id for e in feedparser.parse(config.output_dir / "zh-Hant/atom.xml").entries
            ]
    with Store(config.storage) as store:
        assert step in store.upgraded
        first_day = store.articles(day=DAY)
        next_day = store.articles(day=DAY + dt.timedelta(days=1))
        report = build(config, store, NOW)
    assert [a.published for a in first_day] == [NOW - SECOND * n for n in range(9)]
    assert [a.published for a in next_day] == [NOW + dt.timedelta(days=1)]
    assert report.written > 0
    parsed = feedparser.parse(config.output_dir / "zh-Hant" / "atom.xml")
    assert [entry.id for entry in parsed.entries] == ids_before
    times = entry_times(config.output_dir / "zh-Hant" / "atom.xml")
    assert times[:2] == ["2025-12-15T09:30:00+08:00", "2025-12-14T09:30:00+08:00"]
    assert len(set(times)) == len(times)
