"""Corrections reach readers: a changed conversion setting rewrites exactly the entries whose
converted text it changes, with a newer <updated>, and `conversions diff` shows the change."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import feedparser
import pytest

from conftest import NOW, make_config, store_day
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_files
from publisher.articles.renditions import corrections
from publisher.cli import main
from publisher.config import Config
from publisher.editions import Editions
from publisher.records import Script
from publisher.site import history
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store

pytestmark = pytest.mark.engines

LATER = NOW + dt.timedelta(days=1)
# Our own sentences: the first has a term OpenCC changes (晶片 → 芯片), the second none.
CHIP = ("新廠量產晶片", "新廠今天開始量產晶片，產能比去年高出一成。", "科技日報")
WEATHER = ("週末天氣轉涼", "氣象局說週末氣溫下降，山區可能下雨。", "氣象新聞")


def protecting(config: Config, *terms: str) -> Config:
    return dataclasses.replace(
        config, scripts=dataclasses.replace(config.scripts, protected_terms=terms)
    )


def files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


def updated(config: Config, script: Script) -> dict[str, str]:
    site = Site.from_config(config)
    raw = (config.output_dir / site.atom_path(site.editions.default(script))).read_bytes()
    return {entry.title: entry.updated for entry in feedparser.parse(raw).entries}


@pytest.fixture
def built(config: Config, store: Store) -> Config:
    store_day(config, store, [CHIP, WEATHER])
    build(config, store, NOW)
    return config


def test_a_new_protected_term_bumps_updated_of_exactly_the_entries_it_changes(
    built: Config, store: Store
) -> None:
    before = files(built.output_dir)
    hans_titles = set(updated(built, Script.HANS))
    assert "新厂量产芯片" in hans_titles

    report = build(protecting(built, "晶片"), store, LATER)

    after = files(built.output_dir)
    rewritten = {path for path in after if after[path] != before.get(path)}
    site = Site.from_config(built)
    article = next(a for a in store.articles() if a.original.title == CHIP[0])
    hans = site.editions.default(Script.HANS)
    assert rewritten == {
        site.atom_path(hans),
        site.rss_path(hans),
        site.json_feed_path(hans),
        site.source_feed_path(hans, CHIP[2]),
        site.source_json_path(hans, CHIP[2]),
        site.index_path(hans),
        site.day_path(hans, article.batch_date),
        site.article_path(hans, article),
        # The archive's outputs that show the article's Simplified text.
        site.source_page_path(hans, CHIP[2]),
        history.archive_path(hans, (2025, 12)),
        history.archive_path(hans, (2025, 12), CHIP[2]),
        "search/zh-Hans/docs/0.json",
        "search/zh-Hant/docs/0.json",  # its edits into the other script
        *(path for path in rewritten if path.startswith("search/terms/")),
    }
    assert report.written == len(rewritten)
    entries = updated(built, Script.HANS)
    assert entries["新厂量产晶片"] == LATER.isoformat()
    assert entries["周末天气转凉"] == "2025-12-14T08:00:00+08:00"
    assert set(updated(built, Script.HANT).values()) == {"2025-12-14T08:00:00+08:00"}


def test_corrections_made_together_keep_distinct_times_in_the_feeds_order(
    config: Config, store: Store
) -> None:
    """Two entries corrected by one build: the newer gets the build's time, the older a
    second less, so no two entries of the feed share an <updated> (the W3C validator's
    warning) and a reader sorting by it keeps the feed's order."""
    store_day(config, store, [CHIP])
    store_day(config, store, [("晶片展登場", "今年的晶片展有百家廠商參加。", "展覽快報")])
    build(config, store, NOW)
    build(protecting(config, "晶片"), store, LATER)
    entries = updated(config, Script.HANS)
    assert entries == {
        "新厂量产晶片": LATER.isoformat(),  # first in the feed
        "晶片展登场": (LATER - dt.timedelta(seconds=1)).isoformat(),
    }


def test_settings_that_change_no_text_rewrite_nothing(built: Config, store: Store) -> None:
    before = files(built.output_dir)
    report = build(protecting(built, "不在文中的詞"), store, LATER)
    assert report.written == 0
    assert files(built.output_dir) == before


def test_going_back_to_earlier_settings_is_a_correction_too(built: Config, store: Store) -> None:
    build(protecting(built, "晶片"), store, LATER)
    build(built, store, LATER + dt.timedelta(hours=1))
    entries = updated(built, Script.HANS)
    assert entries["新厂量产芯片"] == (LATER + dt.timedelta(hours=1)).isoformat()
    assert entries["周末天气转凉"] == "2025-12-14T08:00:00+08:00"


def test_corrections_list_the_phrases_before_and_after(built: Config, store: Store) -> None:
    changed = protecting(built, "晶片")
    build(changed, store, LATER)
    found = list(corrections(store, Scripts.from_config(changed), Editions.from_config(changed)))
    assert [(c.title, c.edition.tag, c.corrected) for c in found] == [
        ("新厂量产晶片", "zh-Hans", LATER)
    ]
    assert ("量产芯片", "量产晶片") in found[0].phrases
    assert all("天气" not in before for before, _ in found[0].phrases)


def test_conversions_diff_shows_an_editor_what_a_new_term_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        store_day(config, store, [CHIP, WEATHER])
    path = tmp_path / "config.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + '[scripts]\nprotected_terms = ["晶片"]\n',
        encoding="utf-8",
    )
    assert main(["--config", str(path), "conversions", "diff"]) == 0
    shown = capsys.readouterr().out
    assert "2025-12-14 zh-Hans 新厂量产晶片 (corrected " in shown
    assert "  量产芯片 → 量产晶片" in shown
    assert "1 article read differently after a correction" in shown
    # Asked again, it still lists the correction, and converts nothing twice.
    assert main(["--config", str(path), "conversions", "diff"]) == 0
    assert "1 article read differently" in capsys.readouterr().out


def test_conversions_diff_changes_nothing_the_build_dates_the_correction(
    built: Config, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """A review stores nothing: the entry's <updated> is the time of the build that
    publishes the correction, not of the review before it."""
    keys = [article.key for article in store.articles()]
    before = {key: store.conversions_of(key) for key in keys}
    path = built.root / "config.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + '[scripts]\nprotected_terms = ["晶片"]\n',
        encoding="utf-8",
    )
    assert main(["--config", str(path), "conversions", "diff"]) == 0
    assert "  量产芯片 → 量产晶片" in capsys.readouterr().out
    assert {key: store.conversions_of(key) for key in keys} == before
    build(protecting(built, "晶片"), store, LATER)
    assert updated(built, Script.HANS)["新厂量产晶片"] == LATER.isoformat()


# A batch of our own: a Traditional original with a half-width comma between CJK letters
# (`scripts.punctuation` shows it full-width), one the setting leaves as it is, and before them
# a Simplified one with a half-width comma, converted in the zh-Hant feed.
COMMA_TITLE = "港口新碼頭啟用,貨運量可望增加"
COMMA_BATCH = (
    "城市新建自行车道,下月开放\n新建的自行车道下月开放,全长十二公里。 (城市快报)\n\n"
    f"{COMMA_TITLE}\n新碼頭今天啟用,港務局說今年的貨運量可望增加兩成。 (港務快訊)\n\n"
    "市區公車路線調整\n下個月起市區公車有三條路線調整站位，乘客可上網查詢。 (交通快訊)\n"
)


def punctuated(config: Config, mode: str) -> Config:
    return dataclasses.replace(
        config, scripts=dataclasses.replace(config.scripts, punctuation=mode)
    )


def entry_times(config: Config) -> dict[tuple[Script, str], str]:
    """(script, entry id) → <updated>, from each script's default edition's Atom feed."""
    site = Site.from_config(config)
    found: dict[tuple[Script, str], str] = {}
    for script in Script:
        raw = (config.output_dir / site.atom_path(site.editions.default(script))).read_bytes()
        found |= {(script, entry.id): entry.updated for entry in feedparser.parse(raw).entries}
    return found


def moved(before: dict[tuple[Script, str], str], after: dict[tuple[Script, str], str]) -> set[str]:
    """The scripts' entries whose <updated> moved, as (script, updated now)."""
    assert before.keys() == after.keys()
    return {
        f"{script} {after[script, id_]}"
        for script, id_ in before
        if before[script, id_] != after[script, id_]
    }


def test_the_punctuation_setting_corrects_exactly_the_originals_and_conversions_it_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, '[scripts]\npunctuation = "as-is"\n')
    batch = tmp_path / "2025-12-14.txt"
    batch.write_text(COMMA_BATCH, encoding="utf-8")
    with Store(config.storage) as store:
        assert all(not each.error for each in ingest_files(config, store, [batch], now=NOW))
        build(config, store, NOW)
    shown = entry_times(config)
    assert len(shown) == 6 and len(set(shown.values())) == 3  # each as published

    # The editor sees what the setting changes before a build shows it.
    path = tmp_path / "config.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"as-is"', '"full-width"'), encoding="utf-8"
    )
    assert main(["--config", str(path), "conversions", "diff"]) == 0
    listed = capsys.readouterr().out
    assert f"2025-12-14 zh-Hant {COMMA_TITLE.replace(',', '，')} (corrected " in listed
    assert "  啟用,貨運 → 啟用，貨運" in listed
    assert "2025-12-14 zh-Hans 城市新建自行车道，下月开放 (corrected " in listed
    assert "  车道,下月 → 车道，下月" in listed
    # Each comma article in both editions: its original and its conversion.
    assert "4 articles read differently after a correction" in listed
    assert "公車" not in listed

    full = punctuated(config, "full-width")
    with Store(config.storage) as store:
        build(full, store, LATER)
        # In each feed, a second apart in the feed's order: the Simplified article is newer.
        second = (LATER - dt.timedelta(seconds=1)).isoformat()
        assert moved(shown, entry_times(config)) == {
            f"{script} {when}" for script in Script for when in (LATER.isoformat(), second)
        }
        hant = entry_times(config)
        newest = next(id_ for (script, id_), when in hant.items() if when == LATER.isoformat())
        assert "zh-Hant/" in newest and newest in {
            f"tag:news.example.org,2025-12-14:zh-Hant/{a.key}"
            for a in store.articles()
            if a.script is Script.HANS
        }
        # Stored once: the next builds write nothing and date nothing anew.
        before = files(config.output_dir)
        assert build(full, store, LATER + dt.timedelta(hours=1)).written == 0
        assert files(config.output_dir) == before

        # Back to as-is corrects them again.
        latest = LATER + dt.timedelta(hours=2)
        build(config, store, latest)
        second = (latest - dt.timedelta(seconds=1)).isoformat()
        assert moved(shown, entry_times(config)) == {
            f"{script} {when}" for script in Script for when in (latest.isoformat(), second)
        }
