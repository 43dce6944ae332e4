"""Ingest into a real SQLite file: what is stored, re-ingesting, bad files, and atomicity."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import NOW, make_config
from publisher.articles import batch, ingest
from publisher.articles.conversion import Scripts, convert_all
from publisher.articles.ingest import ARTICLES_PER_CHUNK, batch_date, ingest_file, ingest_files
from publisher.config import Config
from publisher.errors import StorageError
from publisher.records import Script
from publisher.store import Store

pytestmark = pytest.mark.engines

DAY = dt.date(2025, 12, 14)


def test_a_batch_is_stored_whole_in_batch_order(
    config: Config, store: Store, news_path: Path
) -> None:
    outcome = ingest_file(config, store, news_path, day=DAY, now=NOW)
    assert (outcome.added, outcome.duplicates, outcome.error) == (8, 0, None)
    parsed = batch.parse(news_path.read_bytes(), news_path)
    stored = store.articles(day=DAY)
    assert [a.original.title for a in stored] == [p.title for p in parsed]
    assert [a.original.body for a in stored] == [p.body for p in parsed]
    assert [a.original.source for a in stored] == [p.source for p in parsed]
    assert [a.position for a in stored] == list(range(8))
    assert {a.script for a in stored} == {Script.HANT}
    # Each its own time, the ingest's moment for the first, a second less for each after.
    start = dt.datetime(2025, 12, 14, 9, 30, tzinfo=config.site.zone)
    assert [a.published for a in stored] == [start - dt.timedelta(seconds=n) for n in range(8)]
    for article in stored:
        assert article.published.utcoffset() == dt.timedelta(hours=8)
        assert len(article.key) == 64


def test_reingesting_adds_nothing(config: Config, store: Store, news_path: Path) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    again = ingest_file(config, store, news_path, day=DAY, now=NOW)
    assert (again.added, again.duplicates) == (0, 8)
    # Another date, other white space: still the same articles.
    text = news_path.read_text(encoding="utf-8").replace("\n", "\r\n\n")
    copy = config.root / "copy-2025-12-20.txt"
    copy.write_text(text, encoding="utf-8")
    assert ingest_file(config, store, copy, now=NOW).added == 0
    assert len(store.articles()) == 8


def test_conversions_are_stored_at_ingest(config: Config, store: Store, news_path: Path) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    rows = store.db.execute("SELECT signature, COUNT(*) FROM conversions GROUP BY 1").fetchall()
    # Each article's conversion, and its original as its editions show it.
    assert sorted((sig.split(":")[0], n) for sig, n in rows) == [
        ("original-zh-Hant", 8),
        ("tw2sp", 8),
    ]


def test_a_later_file_of_the_same_day_goes_after(config: Config, store: Store) -> None:
    first = config.root / "a.txt"
    first.write_text("一\n甲。 (A)\n二\n乙。 (B)\n", encoding="utf-8")
    second = config.root / "b.txt"
    second.write_text("三\n丙。 (C)\n一\n甲。 (A)\n", encoding="utf-8")
    ingest_file(config, store, first, day=DAY, now=NOW)
    outcome = ingest_file(config, store, second, day=DAY, now=NOW)
    assert (outcome.added, outcome.duplicates) == (1, 1)
    assert [a.original.title for a in store.articles(day=DAY)] == ["一", "二", "三"]


def test_simplified_batch_is_detected(config: Config, store: Store) -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "2025-12-15-simplified.txt"
    ingest_file(config, store, path, now=NOW)
    [article] = store.articles()
    assert article.script is Script.HANS
    assert article.batch_date == dt.date(2025, 12, 15)  # from the file name


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("2025-12-14.txt", None, dt.date(2025, 12, 14)),
        ("news_2025-01-31_am.txt", None, dt.date(2025, 1, 31)),
        ("2025-13-45-then-2025-02-03.txt", None, dt.date(2025, 2, 3)),
        ("batch.txt", None, NOW.date()),
        ("2025-12-14.txt", dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ],
)
def test_batch_date(name: str, given: dt.date | None, expected: dt.date) -> None:
    assert batch_date(Path(name), given, NOW) == expected


def test_bad_file_stores_nothing_and_names_the_line(config: Config, store: Store) -> None:
    bad = config.root / "bad.txt"
    bad.write_text("好標題\n好內文。 (來源)\n壞標題\n沒有來源的內文\n", encoding="utf-8")
    outcome = ingest_file(config, store, bad, day=DAY, now=NOW)
    assert outcome.added == 0
    assert outcome.error is not None and str(outcome.error).startswith(f"{bad}:4: no source")
    assert store.articles() == []


def test_a_bad_line_after_many_chunks_stores_nothing(
    config: Config, store: Store, news_path: Path
) -> None:
    """Ingest stores a big file in chunks, inside one transaction: a refused last line
    leaves the store exactly as it was, articles stored before included."""
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    before = store.articles()
    count = ARTICLES_PER_CHUNK * 2 + 7
    lines = [f"第{n}則標題\n第{n}則內文，說明事情的經過。 (來源{n % 5})" for n in range(count)]
    big = config.root / "big.txt"
    big.write_text("\n".join([*lines, "最後一則\u202e標題", "內文。 (來源)"]) + "\n")
    outcome = ingest_file(config, store, big, day=DAY, now=NOW)
    assert outcome.error is not None
    assert str(outcome.error).startswith(f"{big}:{2 * count + 1}: bidirectional control U+202E")
    assert store.articles() == before
    # Without the bad line the same file goes in whole, numbered on after the day's first.
    big.write_text("\n".join(lines) + "\n")
    outcome = ingest_file(config, store, big, day=DAY, now=NOW)
    assert (outcome.added, outcome.duplicates, outcome.error) == (count, 0, None)
    positions = [a.position for a in store.articles(day=DAY)]
    assert positions == list(range(len(before) + count))


def test_missing_file_is_an_error_not_a_crash(config: Config, store: Store) -> None:
    missing = config.root / "nope.txt"
    outcome = ingest_file(config, store, missing, now=NOW)
    assert str(outcome.error) == f"{missing}: no such file"  # no line 0: there is no line


def refuse_articles(store: Store, when: str) -> None:
    """The database itself refuses an article where `when` (SQL on NEW) holds."""
    if store.db.engine == "sqlite":
        store.db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN {when}"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    else:
        store.db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF {when} THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$"
        )
        store.db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse()"
        )


def test_failure_mid_file_leaves_the_store_as_before(
    config: Config, store: Store, news_path: Path
) -> None:
    """The database itself refuses the sixth article; the five before it must not stay."""
    ingest_file(config, store, Path(__file__).parents[1] / "examples" / "2025-12-14.txt", now=NOW)
    before = store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    refuse_articles(store, "NEW.batch_date = '2025-12-14' AND NEW.position = 5")
    # The driver's error reaches the caller as a StorageError saying what was being done.
    with pytest.raises(StorageError, match="cannot store the articles: disk on fire"):
        ingest_file(config, store, news_path, day=DAY, now=NOW)
    assert store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == before
    # Two texts an article: its conversion, and its original as its editions show it.
    assert store.db.execute("SELECT COUNT(*) FROM conversions").fetchone()[0] == 2 * before
    assert not store.db.in_transaction


def _day_file(folder: Path, name: str, count: int, *, last: str = "") -> Path:
    """A batch of `count` articles named after `name`, then `last` lines as they are."""
    lines = [f"{name}第{n}則標題\n{name}第{n}則內文，說明經過。 (來源)" for n in range(count)]
    path = folder / f"{name}.txt"
    path.write_text("\n".join(lines) + "\n" + last, encoding="utf-8")
    return path


def _titles(store: Store) -> set[str]:
    return {article.original.title[:2] for article in store.articles()}


def test_a_bad_file_among_good_ones_is_undone_alone(config: Config, store: Store) -> None:
    """Files share a transaction, each in its own savepoint: a file refused after a whole
    chunk of good articles leaves none of them, and the files around it stay."""
    bad = _day_file(config.root, "乙檔", ARTICLES_PER_CHUNK + 5, last="壞標題\n沒有來源的內文\n")
    files = [_day_file(config.root, "甲檔", 3), bad, _day_file(config.root, "丙檔", 2)]
    outcomes = list(ingest_files(config, store, files, day=DAY, now=NOW))
    assert [(o.path, o.added) for o in outcomes] == [(files[0], 3), (bad, 0), (files[2], 2)]
    assert str(outcomes[1].error).startswith(f"{bad}:{2 * (ARTICLES_PER_CHUNK + 5) + 2}: no source")
    assert _titles(store) == {"甲檔", "丙檔"}
    assert [a.position for a in store.articles(day=DAY)] == list(range(5))


def test_an_outcome_is_told_once_it_is_committed(
    config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are committed together; a file's outcome comes once another connection can
    see its articles, and a store failure takes back only files nobody was told of."""
    monkeypatch.setattr(ingest, "COMMIT_EVERY", 3)  # two files of two articles a commit
    files = [_day_file(config.root, name, 2) for name in ("甲檔", "乙檔", "丙檔", "丁檔")]
    refuse_articles(store, "NEW.position = 7")
    told = []
    with Store(config.storage) as other:
        with pytest.raises(StorageError, match="disk on fire"):
            for outcome in ingest_files(config, store, files, day=DAY, now=NOW):
                told.append(outcome.path)
                assert outcome.path.stem in _titles(other)
        assert told == files[:2]
        assert _titles(other) == {"甲檔", "乙檔"}  # 丙檔 went in fine, but with 丁檔's commit


def test_a_repeat_in_a_later_file_is_caught_while_the_first_is_on_its_way(
    config: Config, store: Store
) -> None:
    """Files are read ahead of the store: an article repeated by the next file, before the
    first is stored, is still a duplicate, not a second row."""
    first = _day_file(config.root, "甲檔", 3)
    again = config.root / "again.txt"
    again.write_text(first.read_text(encoding="utf-8").split("\n", 2)[2], encoding="utf-8")
    outcomes = list(ingest_files(config, store, [first, again], day=DAY, now=NOW))
    assert [(o.added, o.duplicates) for o in outcomes] == [(3, 0), (0, 2)]
    assert len(store.articles()) == 3


def test_articles_of_a_refused_file_go_in_with_the_next_one(config: Config, store: Store) -> None:
    """A file refused on its last line, after a first chunk was stored: that chunk is undone
    before the next file is read, so the articles the next file repeats are added there,
    not taken for ones already stored."""
    bad = _day_file(
        config.root, "乙檔", 2 * ARTICLES_PER_CHUNK + 5, last="壞標題\n沒有來源的內文\n"
    )
    lines = bad.read_text(encoding="utf-8").splitlines()
    repeats = config.root / "repeats.txt"
    repeats.write_text("\n".join([*lines[:6], "新標題", "新內文。 (來源)"]) + "\n")
    outcomes = list(ingest_files(config, store, [bad, repeats], day=DAY, now=NOW))
    assert outcomes[0].error is not None
    assert (outcomes[1].added, outcomes[1].duplicates) == (4, 0)
    assert [a.original.title for a in store.articles()] == [*lines[0:6:2], "新標題"]


def _mixed(folder: Path, count: int) -> Path:
    """`count` articles, every third in Simplified, each naming a protected term."""
    lines = []
    for n in range(count):
        if n % 3:
            lines += [f"台積電第{n}則報導", f"台積電的記憶體晶片產能第{n}次擴充。 (經濟日報)"]
        else:
            lines += [f"台积电第{n}则报道", f"台积电的内存芯片产能第{n}次扩充。 (经济日报)"]
    path = folder / "mixed.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("worker", [True, False], ids=["worker", "no-worker"])
def test_a_big_ingest_converts_as_a_small_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    """Past WORKER_AFTER articles conversion goes to a worker process, or stays here where
    none can start: either way each twin is what this process's converters make, with the
    site's protected terms."""
    if not worker:

        def no_worker(*_: object) -> None:
            raise OSError("this platform lacks a functioning sem_open implementation")

        monkeypatch.setattr(ingest, "ProcessPoolExecutor", no_worker)
    config = make_config(tmp_path, '[scripts]\nprotected_terms = ["台積電", "台积电"]\n')
    path = _mixed(tmp_path, ingest.WORKER_AFTER + 300)
    scripts = Scripts.from_config(config)
    with Store(config.storage) as store:
        outcome = ingest_file(config, store, path, day=DAY, now=NOW)
        assert (outcome.added, outcome.error) == (ingest.WORKER_AFTER + 300, None)
        twins = {}
        for article in store.articles():
            converter = scripts.converter_to(article.script.twin)
            stored = store.conversions([article.key], converter.signature).get(article.key)
            assert stored is not None
            assert stored.text == converter.convert_text(article.original)
            twins[article.script] = stored.text
    # Protected terms stay as written, the rest is converted (记忆体 would be a wrong twin).
    assert twins[Script.HANT].title.startswith("台積電第")
    assert twins[Script.HANT].body.startswith("台積電的内存芯片")
    assert twins[Script.HANS].title.startswith("台积电第")


def test_heavy_files_send_their_first_new_articles_to_the_worker(config: Config) -> None:
    """Files that weigh WORKER_BYTES hand their first new articles to the worker (it loads
    OpenCC while the next are read), which makes their own twins; a chunk with nothing new
    starts no worker, so a big batch ingested again waits for none at its end."""
    path = _mixed(config.root, 30)
    scripts = Scripts.from_config(config)
    parsed = batch.parse(path.read_bytes(), path)
    keyed = [(ingest.article_key(item.title, item.body), item) for item in parsed]
    articles = ingest.new_articles(keyed, DAY, ingest.Place(DAY, 0, None, NOW), set(), scripts)
    texts = [(a.script.twin, a.original) for a in articles]
    with ingest._Converter(scripts, ingest.WORKER_BYTES - 1) as light:
        assert light.submit(articles)() == convert_all(scripts, texts)
        assert light.pool is None
    with ingest._Converter(scripts, ingest.WORKER_BYTES) as heavy:
        assert heavy.submit([])() == []
        assert heavy.pool is None
        back = heavy.submit(articles)
        assert heavy.pool is not None and len(heavy.sent) == 1
        assert back() == convert_all(scripts, texts)


def test_the_command_converts_too_rather_than_wait_for_the_worker(config: Config) -> None:
    """Chunks sent to the worker that it has not begun are converted by the command itself
    while it waits for the first (the worker is still starting): both cores convert, and
    each chunk still gets exactly its own twins, in order."""
    path = _mixed(config.root, 600)
    scripts = Scripts.from_config(config)
    parsed = batch.parse(path.read_bytes(), path)
    keyed = [(ingest.article_key(item.title, item.body), item) for item in parsed]
    articles = ingest.new_articles(keyed, DAY, ingest.Place(DAY, 0, None, NOW), set(), scripts)
    chunks = [articles[start : start + 50] for start in range(0, len(articles), 50)]
    with ingest._Converter(scripts) as converter:
        converter.converted = ingest.WORKER_AFTER  # past it: every chunk goes to the worker
        backs = [converter.submit(chunk) for chunk in chunks]
        firsts = backs[0]()
        assert any(sent.twins is not None for sent in converter.sent), "none made here"
        twins = [firsts, *(back() for back in backs[1:])]
    assert not converter.sent
    for chunk, made in zip(chunks, twins, strict=True):
        assert made == convert_all(scripts, [(a.script.twin, a.original) for a in chunk])


def test_the_same_visible_article_with_zero_width_characters_is_stored_once(
    config: Config, store: Store
) -> None:
    """Issue 26.10: zero-width characters in a body are no part of the article's identity."""
    plain = config.root / "plain-2025-12-14.txt"
    plain.write_text("記憶體廠擴產\n新的記憶體工廠開始量產。 (範例通訊社)\n", encoding="utf-8")
    hidden = config.root / "hidden-2025-12-14.txt"
    hidden.write_text(
        "記憶體廠擴產\n新的記\u200b憶體\u2060工廠開始\ufeff量產\u200c。 (範例通訊社)\n",
        encoding="utf-8",
    )
    assert ingest_file(config, store, plain, now=NOW).added == 1
    again = ingest_file(config, store, hidden, now=NOW)
    assert (again.added, again.duplicates, again.error) == (0, 1, None)
    assert len(store.articles()) == 1


KEYS = Path(__file__).parent / "data" / "article_keys.json"


def test_the_keys_of_every_example_and_fixture_article_are_those_of_earlier_releases() -> None:
    """Keys (and the Atom ids made from them) were recorded from main before zero-width
    characters left the identity; a text without them keeps its key."""
    recorded = json.loads(KEYS.read_text(encoding="utf-8"))
    repo = KEYS.parents[2]
    keys = {}
    for name in {name.rpartition(":")[0] for name in recorded}:
        for article in batch.parse((repo / name).read_bytes(), Path(name)):
            keys[f"{name}:{article.line}"] = ingest.article_key(article.title, article.body)
    assert keys == recorded


def test_the_keys_stored_by_the_first_release_are_the_keys_of_their_text(tmp_path: Path) -> None:
    dump = Path(__file__).parent / "data" / "store-0.1.0.sql"
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.executescript(dump.read_text(encoding="utf-8"))
        rows = db.execute("SELECT key, title, body FROM articles").fetchall()
    db.close()
    assert rows and all(key == ingest.article_key(title, body) for key, title, body in rows)
