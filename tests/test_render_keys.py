"""An edited template re-renders the outputs made with it and no others: each output is
keyed by the templates it uses (with those they include or extend), not by all of them.
Real store, real files, the site's own templates folder (site.templates_dir)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from conftest import NOW, make_config
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.site import templating
from publisher.site.build import _chosen, _renditions_for, build, plan
from publisher.site.outputs import Output
from publisher.site.paths import Site
from publisher.store import Store


@pytest.fixture
def own(tmp_path: Path) -> Path:
    folder = tmp_path / "own"
    folder.mkdir()
    return folder


@pytest.fixture
def site_config(tmp_path: Path, own: Path) -> Config:
    return make_config(tmp_path, f'templates_dir = "{own.name}"\n')


@pytest.fixture
def built(site_config: Config, news_path: Path) -> Iterator[Store]:
    with Store(site_config.storage) as store:
        ingest_file(site_config, store, news_path, now=NOW)
        build(site_config, store, NOW)
        yield store


def rendered(config: Config, store: Store) -> set[str]:
    """The paths a build renders (its progress sees each output it renders)."""
    seen: list[Output] = []

    def record(todo: list[Output]) -> Iterable[Output]:
        seen.extend(todo)
        return todo

    build(config, store, NOW, record)
    return {output.path for output in seen}


def edit(own: Path, name: str, old: str, new: str) -> None:
    """The built-in template `name` as the site's own, with `old` made `new`."""
    text = (templating.builtin_templates() / name).read_text(encoding="utf-8")
    assert old in text
    (own / name).write_text(text.replace(old, new, 1), encoding="utf-8")


def site_of(config: Config) -> Site:
    return Site.from_config(config, Scripts.from_config(config))


def test_an_edited_search_page_renders_the_search_pages_only(
    site_config: Config, built: Store, own: Path
) -> None:
    edit(own, "search.html", "{% block main %}", "{% block main %}<p>找找看</p>")
    site = site_of(site_config)
    assert rendered(site_config, built) == {site.search_path(each) for each in site.editions}
    for edition in site.editions:
        page = site_config.output_dir / site.search_path(edition)
        assert "<p>找找看</p>" in page.read_text(encoding="utf-8")


def test_an_edited_article_page_renders_the_article_pages_only(
    site_config: Config, built: Store, own: Path
) -> None:
    edit(own, "article.html", "{% block main %}", "{% block main %}<p>本文</p>")
    site = site_of(site_config)
    pages = {
        site.article_path_of(edition, ref.day, ref.key)
        for edition in site.editions
        for ref in built.article_index()
    }
    assert len(pages) == 16
    assert rendered(site_config, built) == pages


def test_an_edited_include_renders_every_page_that_includes_it(
    site_config: Config, built: Store, own: Path
) -> None:
    """_paragraphs.html is included by the article pages and makes the feeds' contents."""
    edit(own, "_paragraphs.html", "<p>", '<p class="段">')
    again = rendered(site_config, built)
    site = site_of(site_config)
    assert {site.article_path_of(each, ref.day, ref.key) for each in site.editions
            for ref in built.article_index()} <= again  # fmt: skip
    assert {site.atom_path(each) for each in site.editions} <= again
    assert not any(path.endswith(("search.html", "style.css", ".opml")) for path in again)


def test_an_edited_stylesheet_rewrites_the_stylesheet_only(
    site_config: Config, built: Store, own: Path
) -> None:
    edit(own, "site.css", "{", "{\n  --accent: #b03a2e;")
    assert rendered(site_config, built) == {"style.css"}
    assert "--accent: #b03a2e;" in (site_config.output_dir / "style.css").read_text()
    # The digest's stylesheet is inlined into the mail when it is made; no page embeds it.
    edit(own, "digest.css", "{", "{\n  --accent: #b03a2e;")
    assert rendered(site_config, built) == set()


def test_an_unchanged_template_folder_renders_nothing(site_config: Config, built: Store) -> None:
    assert rendered(site_config, built) == set()


def test_every_output_names_the_templates_its_render_uses(
    config: Config, news_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keys an output: each template its render loads (by name, includes and the
    templates they extend too) is among those it names, or an edit to it would not
    re-render the output."""
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, now=NOW)
        index = store.article_index()
        scripts = Scripts.from_config(config)
        loaded: list[str] = []
        get_template = jinja2.Environment.get_template

        def recorded(env: jinja2.Environment, name: Any, *args: Any, **kwargs: Any) -> Any:
            loaded.append(str(name))
            return get_template(env, name, *args, **kwargs)

        monkeypatch.setattr(jinja2.Environment, "get_template", recorded)
        site = site_of(config)
        marks = templating.Marks(templating.for_site(config), templating.own_templates(config))
        outputs = plan(config, site, index)
        for output in outputs:
            assert output.templates is not None, output.path
            loaded.clear()
            output.render(_chosen(_renditions_for(store, scripts, [output]), output))
            used = marks.used(output.templates)
            assert used is not None and set(loaded) <= used, output.path
