"""The Jinja2 environment shared by pages, feeds and the digest. Autoescape is always on:
article text is data and must show as text, never run as markup."""

from __future__ import annotations

import contextlib
import hashlib
from functools import cache
from pathlib import Path

import jinja2

from publisher.config import Config
from publisher.files import cache_home, private_folder
from publisher.text import excerpt, paragraphs


def builtin_templates() -> Path:
    """templates/ beside the package in a checkout; publisher/templates in an installed wheel."""
    package = Path(__file__).parents[1]
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


@cache
def environment(folder: Path | None = None) -> jinja2.Environment:
    """Templates from `folder` (a site's own), falling back to the built-in ones."""
    search = [builtin_templates()] if folder is None else [folder, builtin_templates()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in search]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_compiled(),
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["excerpt"] = excerpt
    return env


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Templates as an earlier process compiled them (compiling all takes 0.13 s of each
    command's start). A template's entry holds the checksum of its source, so an edited one
    compiles again; an entry that cannot be read or written is passed over."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled() -> jinja2.BytecodeCache | None:
    """Compiled templates are code this process runs: kept only in a folder of its own."""
    folder = private_folder(cache_home() / "templates")
    return _Compiled(str(folder)) if folder else None


def for_site(config: Config) -> jinja2.Environment:
    """The site's own templates (site.templates_dir) before the built-in ones."""
    return environment(own_templates(config))


def own_templates(config: Config) -> Path | None:
    folder = config.site.templates_dir
    return config.path(folder) if folder else None


def fingerprint(folder: Path | None = None) -> str:
    """A hash of every template a build may use, so an edited template forces a re-render."""
    digest = hashlib.sha256()
    for path in sorted([*builtin_templates().iterdir(), *(folder.iterdir() if folder else [])]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
