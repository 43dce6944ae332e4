"""Compiled templates kept between processes: used, renewed when a template changes, and
kept only in a folder nobody else can write to (they are code this process runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_config
from publisher.site import templating


def _render(own: Path) -> str:
    env = templating.environment.__wrapped__(own)  # a new environment, as a new process has
    return str(env.get_template("note.txt").render(name="讀者"))


def test_a_template_compiled_once_is_read_back_and_compiled_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    own = tmp_path / "templates"
    own.mkdir()
    (own / "note.txt").write_text("你好，{{ name }}", encoding="utf-8")
    assert _render(own) == "你好，讀者"
    kept = tmp_path / "cache" / "publisher" / "templates"
    assert kept.stat().st_mode & 0o777 == 0o700
    entries = {path: path.read_bytes() for path in kept.iterdir()}
    assert entries
    assert _render(own) == "你好，讀者"
    assert {path: path.read_bytes() for path in kept.iterdir()} == entries  # read, not made
    (own / "note.txt").write_text("再見，{{ name }}", encoding="utf-8")
    assert _render(own) == "再見，讀者"


def test_a_folder_others_can_write_to_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    shared = tmp_path / "publisher" / "templates"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    own = tmp_path / "templates"
    own.mkdir()
    (own / "note.txt").write_text("{{ name }}", encoding="utf-8")
    assert _render(own) == "讀者"
    assert list(shared.iterdir()) == []


def test_a_build_uses_its_templates_as_they_were_and_serve_sees_an_edit_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build renders with `steady`, which does not look at a template's file on each use:
    an edit made while a build runs, or a template added to the site's own folder, is used
    from the next build on (which begins with `forget_loaded`). The site's environment,
    which `publisher serve`'s own pages use, sees an edit at once."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    own = tmp_path / "own"
    own.mkdir()
    config = make_config(tmp_path, 'templates_dir = "own"\n')
    (own / "note.txt").write_text("你好，{{ name }}", encoding="utf-8")
    served = templating.for_site(config)
    built = templating.steady(served)
    assert templating.steady(built) is built

    def both() -> list[str]:
        return [env.get_template("note.txt").render(name="讀者") for env in (served, built)]

    assert both() == ["你好，讀者", "你好，讀者"]
    (own / "note.txt").write_text("再見，{{ name }}", encoding="utf-8")
    assert both() == ["再見，讀者", "你好，讀者"]
    templating.forget_loaded(config)  # the next build
    assert both() == ["再見，讀者", "再見，讀者"]
    # A template added to the site's own folder, in place of the built-in one of that name.
    builtin = str(templating.builtin_templates() / "_og.html")
    assert built.get_template("_og.html").filename == builtin
    (own / "_og.html").write_text("<!-- 自己的 -->\n", encoding="utf-8")
    assert built.get_template("_og.html").filename == builtin
    templating.forget_loaded(config)
    assert built.get_template("_og.html").render() == "<!-- 自己的 -->\n"
