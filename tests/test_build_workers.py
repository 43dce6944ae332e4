"""A whole re-render on worker processes (build.workers) writes what one process writes.
Real store, real files, real worker processes; the kill test of the parallel path is in
test_build_scale.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest

from conftest import NOW, make_config
from publisher import config as config_module
from publisher.articles.ingest import ingest_file
from publisher.config import BuildConfig, Config
from publisher.errors import ConfigError, PublisherError
from publisher.files import FileBatch
from publisher.mail.archive import build_site
from publisher.site import build as site_build
from publisher.site import workers
from publisher.site.outputs import Output
from publisher.store import Store

DAY = dt.date(2025, 12, 14)


def write_days(folder: Path, days: int, per_day: int) -> list[Path]:
    """Batches of our own: `days` days of `per_day` articles, from three sources."""
    paths = []
    for number in range(days):
        day = DAY - dt.timedelta(days=31 * number)  # a month apart: archive documents
        lines = []
        for n in range(per_day):
            lines += [
                f"第{number}天第{n}則：記憶體晶片價格上漲",
                f"第{n}則內文：新廠開始量產，軟體更新也已釋出。 (來源{n % 3})",
            ]
        path = folder / f"{day.isoformat()}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def with_workers(config: Config, count: int) -> Config:
    return dataclasses.replace(config, build=BuildConfig(workers=count))


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many workers each build that used them asked for; every whole build of more
    than one output may use them."""
    asked: list[int] = []
    render_on = workers.render

    def spy(
        job: workers.Job,
        todo: Sequence[tuple[int, Output]],
        count: int,
        limit: int,
        progress: Callable[[list[Output]], Iterable[Output]],
    ) -> int | None:
        asked.append(count)
        return render_on(job, todo, count, limit, progress)

    monkeypatch.setattr(workers, "render", spy)
    monkeypatch.setattr(site_build, "PARALLEL_OUTPUTS", 2)
    monkeypatch.setattr(site_build, "GROUP_KEYS", 8)  # many tasks, the search index's whole
    monkeypatch.setattr(workers, "cores", lambda: 2)
    return asked


def test_two_workers_write_byte_for_byte_what_one_process_writes(
    tmp_path: Path, spied: list[int]
) -> None:
    """As `publisher build` builds: the digest's pages beside the site's outputs."""
    trees = {}
    for count in (1, 2):
        root = tmp_path / str(count)
        root.mkdir()
        config = with_workers(make_config(root), count)
        with Store(config.storage) as store:
            for path in write_days(root, 3, 12):
                ingest_file(config, store, path, now=NOW)
            report = build_site(config, store, NOW)
        trees[count] = files_of(config.output_dir)
        assert report.written == len(trees[count])
    assert spied == [2]  # the one-process build did not use them
    assert len(trees[1]) > 100
    assert any("/digests/2025-" in path for path in trees[1]), "the digest's day pages"
    assert trees[2] == trees[1]


def test_the_build_process_leaves_every_file_to_the_workers(
    tmp_path: Path, spied: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest's pages too: the build's own process, which holds the whole plan, renders
    nothing beside it (at 100,000 articles the digest's pages took it from 230 MB to 470)."""
    written_here: list[Path] = []
    write = FileBatch.write_if_changed

    def spy(files: FileBatch, path: Path, data: bytes) -> bool:
        written_here.append(path)
        return write(files, path, data)

    monkeypatch.setattr(FileBatch, "write_if_changed", spy)  # in this process only
    config = with_workers(make_config(tmp_path), 2)
    with Store(config.storage) as store:
        for path in write_days(tmp_path, 3, 12):
            ingest_file(config, store, path, now=NOW)
        report = build_site(config, store, NOW)
    assert spied == [2]
    assert written_here == []
    assert report.written == len(files_of(config.output_dir)) > 100
    assert list(config.output_dir.glob("*/digests/2025-*.html")), "the digest's day pages"


def test_a_template_error_in_a_worker_is_one_line_naming_the_template(
    tmp_path: Path, spied: list[int], news_path: Path
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "article.html").write_text("{{ nothing_given }}\n", encoding="utf-8")
    config = with_workers(make_config(tmp_path, 'templates_dir = "own"\n'), 2)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, now=NOW)
        with pytest.raises(PublisherError) as caught:
            site_build.build(config, store, NOW)
    assert spied == [2]
    assert str(caught.value).startswith(f"{own / 'article.html'}:1: ")
    assert "nothing_given" in str(caught.value)


def test_workers_are_at_most_the_cores() -> None:
    assert workers.worker_count(0) == workers.cores()
    assert workers.worker_count(1) == 1
    assert workers.worker_count(10_000) == workers.cores()


@pytest.mark.parametrize("value", ["-1", "2000", "'two'"])
def test_a_wrong_number_of_workers_is_named(tmp_path: Path, value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[build]\nworkers = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert caught.value.key == "build.workers"
