"""The Jinja2 environment shared by pages, feeds and the digest. Autoescape is always on:
article text is data and must show as text, never run as markup."""

from __future__ import annotations

import contextlib
import hashlib
import re
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Protocol

import jinja2
import jinja2.meta

from publisher.errors import TemplateRenderError
from publisher.files import cache_home, private_folder
from publisher.settings import SiteConfig
from publisher.site import fonts
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
    env = _Environment(
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
    env.globals |= {"font_rules": fonts.rules(), "font_stack": fonts.stack}
    return env


class _Environment(jinja2.Environment):
    """Jinja2's, but a template that cannot be compiled or rendered (a syntax error, a
    variable it names that is not given) raises TemplateRenderError naming the template's
    file and line: an operator's own template is input, so its fault is a message, not a
    traceback."""

    def handle_exception(self, source: str | None = None) -> NoReturn:
        try:
            super().handle_exception(source)
        except jinja2.TemplateError as error:
            raise render_error(error) from error


# The template variables renamed after 0.1.0 (issue 23): `script` became `edition`, an article's
# `edition` became `rendition` (`editions`: `renditions`), `view.script` `view.edition`,
# `other.locale` `other.edition`. An override written for the old names meets one of these.
_OLD_NAMES = re.compile(r"'(script|scripts|locale|locales|editions)' is undefined")
_OLD_ATTRIBUTES = re.compile(
    r"has no attribute '(script|locale|locales)'"
    r"|Edition object' has no attribute '(article|text|converted|corrected|updated)'"
)
RENAMED = (
    "template variables were renamed in this release (script → edition, an article's "
    "edition → rendition, editions → renditions, view.script → view.edition, "
    "other.locale → other.edition): see CHANGELOG.md"
)


def render_error(error: jinja2.TemplateError) -> TemplateRenderError:
    """`error` as a message naming the template's file and line, with a hint for a
    template written for the names of 0.1.0."""
    template, line = _where(error)
    problem = error.message or type(error).__name__
    if isinstance(error, jinja2.UndefinedError) and (
        _OLD_NAMES.search(problem) or _OLD_ATTRIBUTES.search(problem)
    ):
        problem = f"{problem}; {RENAMED}"
    return TemplateRenderError(template, line, problem)


def _where(error: jinja2.TemplateError) -> tuple[str, int]:
    """The template and line: a syntax error carries them; an error while rendering has
    them in the frames Jinja2 rewrote to point into templates (the innermost wins)."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return error.filename or error.name or "template", error.lineno
    found = ("template", 0)
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        if "__jinja_exception__" in trace.tb_frame.f_globals:
            found = (trace.tb_frame.f_code.co_filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


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


class TemplateSettings(Protocol):
    """What finding the site's templates reads of the configuration (a Config is one):
    site.templates_dir and the folder it is taken from."""

    @property
    def site(self) -> SiteConfig: ...

    def path(self, value: str) -> Path: ...


def for_site(config: TemplateSettings) -> jinja2.Environment:
    """The site's own templates (site.templates_dir) before the built-in ones."""
    return environment(own_templates(config))


def forget_loaded(config: TemplateSettings) -> None:
    """Let the site's environment, and the one its builds render with (`steady`), load
    their templates again. Jinja2 reloads a template whose file changed, but not one that a
    file added since shadows: a template put in site.templates_dir while the daemon runs was
    else never used by its builds."""
    env = for_site(config)
    for each in (env, _steady.get(env)):
        if each is not None and each.cache is not None:
            each.cache.clear()


# The environment a build renders with, per site's environment (`steady`).
_steady: dict[jinja2.Environment, jinja2.Environment] = {}


def steady(env: jinja2.Environment) -> jinja2.Environment:
    """`env` as a build renders with it: each template loaded once, then used as it is,
    without the look at its file's time Jinja2 takes on every use (a whole build uses
    templates some 200,000 times, every include of every page). A build begins with
    `forget_loaded`, so it uses the templates as they are when it starts; `publisher
    serve`'s own pages use `env` itself, which still sees an edited template at once."""
    if not env.auto_reload:
        return env
    if env not in _steady:
        _steady[env] = env.overlay(auto_reload=False, cache_size=-1)  # -1: keeps every one
    return _steady[env]


def own_templates(config: TemplateSettings) -> Path | None:
    folder = config.site.templates_dir
    return config.path(folder) if folder else None


class Marks:
    """Fingerprints of the templates an output is made from: the templates it names and
    every one they extend, include or import, as the site has them (its own before the
    built-in ones). An edited template then re-renders only the outputs that use it. An
    output that names none, or a template that names another by a variable, is made from
    every template (`fingerprint`)."""

    def __init__(self, env: jinja2.Environment, folder: Path | None) -> None:
        self.env = env
        self.every = fingerprint(folder)
        self._marks: dict[tuple[str, ...], str] = {}

    def of(self, names: tuple[str, ...] | None) -> str:
        if names is None:
            return self.every
        if names not in self._marks:
            used = self.used(names)
            if used is None:
                self._marks[names] = self.every
            else:
                digest = hashlib.sha256()
                for name in sorted(used):
                    digest.update(f"{name}\0{self._source(name)}\0".encode())
                self._marks[names] = digest.hexdigest()[:16]
        return self._marks[names]

    def used(self, names: tuple[str, ...]) -> frozenset[str] | None:
        """`names` and the templates they reach; None when one is named by a variable."""
        found: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in found:
                continue
            found.add(name)
            try:
                parsed = self.env.parse(self._source(name), name)
            except (jinja2.TemplateSyntaxError, TemplateRenderError):
                continue  # read as it is (search.js), or its render names the file and line
            for other in jinja2.meta.find_referenced_templates(parsed):
                if other is None:
                    return None
                todo.append(other)
        return frozenset(found)

    def _source(self, name: str) -> str:
        assert self.env.loader is not None
        try:
            return self.env.loader.get_source(self.env, name)[0]
        except jinja2.TemplateNotFound:  # its render names it
            return ""


def fingerprint(folder: Path | None = None) -> str:
    """A hash of every template a build may use, so an edited template forces a re-render."""
    digest = hashlib.sha256()
    for path in sorted([*builtin_templates().iterdir(), *(folder.iterdir() if folder else [])]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
