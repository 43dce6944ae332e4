"""Build: the store → feeds and pages under the output folder, for both scripts.

Two phases, as in pelican: plan every output with a fingerprint of what it is made from,
then render and write only the outputs whose fingerprint changed. Articles never change
(their key is the hash of their text), so a fingerprint is the keys an output shows, when
their conversions were last corrected, the templates it uses and the settings. A whole
re-render runs on worker processes (publisher.site.workers). Writes are atomic;
identical bytes leave a file untouched. Rendering goes group by group (`GROUP_KEYS`), so a
100,000-article first build holds one group in memory; files are made durable together,
COMMIT_FILES at a time (publisher.files.FileBatch), and all of them before the build records
its fingerprints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import itertools
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path, PurePosixPath

import jinja2

from publisher.articles.conversion import Scripts
from publisher.articles.renditions import convert_missing, corrected_in, renditions
from publisher.files import LIBC, FileBatch, remove_temporaries
from publisher.records import ArticleRef, BuildRecord, Edition, Rendition, Script
from publisher.site import feeds, history, jsonfeed, manifest, reader, search, templating, workers
from publisher.site.discovery import og_locales
from publisher.site.grouping import Groups, month_of
from publisher.site.outputs import Added, Extra, Output, Scope
from publisher.site.pages import FAVICON, STYLESHEET, Pages, root_index
from publisher.site.paths import Site
from publisher.site.workers import BuildSettings
from publisher.store import Store

# Article keys whose renditions a group of outputs may hold in memory at once: memory stays
# flat as the archive grows, and a key shared by a day's page and its articles is loaded
# about once.
GROUP_KEYS = 1000
# Files staged before they are made durable and put in place: each commit syncs the whole
# filesystem once (0.1–0.2 s here), so a build that adds a day and writes a hundred files
# pays it once, and a first build of 200,000 files a few hundred times, not once per group.
COMMIT_FILES = 1000
# Outputs to render from which a build that plans them all uses worker processes
# (build.workers): below it, starting them (an interpreter and a plan each) costs more
# than they win.
PARALLEL_OUTPUTS = 2000
# Outputs whose last fingerprints a plan reads from the store at once.
FINGERPRINTS_AT_ONCE = 10_000


@dataclass(frozen=True)
class BuildReport:
    written: int
    unchanged: int
    seconds: float


class _Fingerprints:
    """Fingerprints of one plan. An output of more than GROUP_KEYS keys is fingerprinted by a
    digest of its keys, made once per list: the search index's parts share the list of every
    article, which would otherwise be hashed once per part."""

    def __init__(
        self,
        settings: str,
        corrected: dict[Edition, dict[str, dt.datetime]],
        templates: templating.Marks,
    ) -> None:
        self.settings = settings
        self.corrected = corrected
        self.templates = templates
        # By the id of a keys tuple (the plan keeps it alive) and what picks the corrections.
        self._digests: dict[tuple[int, Edition, tuple[Edition, ...]], str] = {}

    def __call__(self, output: Output) -> str:
        marks = self._digest(output) if len(output.shows) > GROUP_KEYS else self._marks(output)
        used = self.templates.of(output.templates)
        made_of = "\0".join((self.settings, used, output.path, *marks))
        return hashlib.sha256(made_of.encode()).hexdigest()

    def _digest(self, output: Output) -> list[str]:
        shown = (id(output.shows), output.edition, output.twins)
        if shown not in self._digests:
            marks = self._marks(output)
            digest = hashlib.sha256("\0".join(marks).encode()).hexdigest()
            self._digests[shown] = f"{len(marks)} keys:{digest}"
        return [self._digests[shown]]

    def _marks(self, output: Output) -> list[str]:
        fixes = self.corrected[output.edition]
        for other in output.twins:  # it shows other editions' texts too
            fixes = self.corrected[other] | fixes
        if not fixes:
            return list(output.shows)
        return [f"{key}@{fixes[key].isoformat()}" if key in fixes else key for key in output.shows]


def _settings(config: BuildSettings, titles: Mapping[Edition, str]) -> str:
    """Everything besides the articles and templates that shapes an output (a changed key
    rebuilds all), the output folder included: a new folder is built whole. The conversion
    settings are left out: they reach an output through its articles' correction times, so
    a new protected term rewrites only the entries it changes; the templates reach it
    through those it uses (`templating.Marks`)."""
    shown = dataclasses.replace(config.scripts, hant_variant="", protected_terms=())
    made_of = repr((config.site, config.feeds, shown, titles, str(config.output_dir)))
    return hashlib.sha256(made_of.encode()).hexdigest()


def _feed(
    site: Site,
    config: BuildSettings,
    env: jinja2.Environment,
    edition: Edition,
    keys: Sequence[str],
    *,
    path: str,
    path_in: Callable[[Edition], str],
    by_source: bool = False,
    rss: bool = False,
    prev_archive: str = "",
    added: Added | None = None,
) -> Output:
    """An Atom feed, or its RSS twin, of the renditions of `keys`; an Atom feed links
    `prev-archive` to the path `prev_archive` (its history, RFC 5005) when one is given.
    Given what was `added` since the last build, an Atom feed that showed some of `keys`
    gets only the new ones' renditions and keeps the others' entries from its file."""
    title = site.titles[edition]

    def meta_of(chosen: Sequence[Rendition]) -> feeds.FeedMeta:
        # A source's feed names the source as this feed's script writes it.
        name = f"{title} · {chosen[0].text.source}" if by_source and chosen else title
        meta = feeds.edition_feed_meta(
            site,
            edition,
            path=path,
            path_in=path_in,
            page_path=site.index_path(edition),
            title=name,
        )
        if prev_archive and not rss:
            archived = history.prev_archive_link(site, prev_archive)
            meta = dataclasses.replace(meta, links=(*meta.links, archived))
        return meta

    def entry(rendition: Rendition) -> feeds.FeedEntry:
        return feeds.article_entry(site, rendition, config.feeds.summary_chars, env=env)

    def render(chosen: Sequence[Rendition]) -> bytes:
        entries = [entry(rendition) for rendition in chosen]
        if rss:
            return feeds.rss_feed(
                meta_of(chosen), entries, self_url=site.url(site.rss_path(edition))
            )
        return feeds.atom_feed(meta_of(chosen), entries)

    new = added.among(keys) if added and not rss else None
    if added and new:
        previous = added.root / path

        def kept(chosen: Sequence[Rendition]) -> bytes:
            made = {rendition.article.key: entry(rendition) for rendition in chosen}
            return feeds.atom_kept(meta_of(chosen), keys, made, previous)

        # The link's target moves with the month, so it is part of what the feed is made from.
        return Output(
            path,
            tuple(new),
            edition,
            kept,
            made_of=(*keys, prev_archive),
            templates=feeds.ENTRY_TEMPLATES,
        )
    path = site.rss_path(edition) if rss else path
    return Output(path, (*keys, prev_archive), edition, render, templates=feeds.ENTRY_TEMPLATES)


def _feeds(
    site: Site,
    config: BuildSettings,
    env: jinja2.Environment,
    edition: Edition,
    window: Sequence[str],
    groups: Groups,
    newest: dt.date | None,
    scope: Scope | None,
    added: Added | None,
) -> list[Output]:
    path = site.atom_path(edition)

    def prev_archive(source: str | None = None) -> str:
        """The archive document of the feed's newest month."""
        last = next(iter(groups.sources[source])) if source is not None else newest
        return history.archive_path(edition, month_of(last), source) if last else ""

    outputs = [
        _feed(
            site,
            config,
            env,
            edition,
            window,
            path=path,
            path_in=site.atom_path,
            prev_archive=prev_archive(),
            added=added,
        ),
        _feed(site, config, env, edition, window, path=path, path_in=site.atom_path, rss=True),
    ]
    if config.feeds.per_source:
        # Paths come from the original source name, so both scripts' twins find each other.
        outputs += [
            _feed(
                site,
                config,
                env,
                edition,
                list(islice(chain.from_iterable(days.values()), config.feeds.max_entries)),
                path=site.source_feed_path(edition, source),
                path_in=lambda other, source=source: site.source_feed_path(other, source),  # type: ignore[misc]
                by_source=True,
                prev_archive=prev_archive(source),
                added=added,
            )
            for source, days in groups.sources.items()
            if scope is None or source in scope.sources
        ]
    return outputs


def plan(
    config: BuildSettings,
    site: Site,
    index: Sequence[ArticleRef],
    added: frozenset[str] | None = None,
    scope: Scope | None = None,
    extra: Extra | None = None,
) -> list[Output]:
    """Every output of the site, from the article index newest first, or those in `scope`
    (with the pages of its months, which the sitemap lists), and those `extra` adds. Pure,
    but for a build whose only change is the articles `added` since the last: then the
    search index's parts and the archive documents render by appending to the files that
    build wrote."""
    env = templating.steady(templating.for_site(config))  # templates as the build began
    window = [ref.key for ref in index[: config.feeds.max_entries]]
    groups = Groups.of(index)
    by_day = groups.days
    days = groups.counts()
    default = site.editions.default(Script(config.scripts.default))
    feed_settings = jsonfeed.FeedSettings(
        config.feeds.max_entries, config.feeds.summary_chars, config.feeds.per_source
    )
    # Each article's page in every edition: one keys tuple per article, one render per
    # edition, not one of each per page (a 100,000-article plan holds 200,000 pages).
    # Days in the order of the index, each with its keys: a scope takes its months' days
    # whole, without a test per article.
    shown = [(day, keys) for day, keys in by_day.items() if scope is None or scope.has_month(day)]
    alone = [(key,) for _, keys in shown for key in keys]
    kept = Added(added, config.output_dir) if added else None
    new_keys = added or frozenset()
    outputs = [
        Output(
            "index.html",
            (),
            default,
            lambda _: root_index(env, site, default),
            templates=("root.html",),
        ),
        Output(
            STYLESHEET,
            (),
            default,
            lambda _: env.get_template("site.css").render().encode(),
            templates=("site.css",),
        ),
        Output(
            FAVICON,
            (),
            default,
            lambda _: env.get_template(FAVICON).render().encode(),
            templates=(FAVICON,),
        ),
    ]
    # Every output's path in plan order, and those a scope leaves out: the sitemap's pages.
    listed = [output.path for output in outputs]
    for edition in site.editions:
        pages = Pages(
            env,
            site,
            edition,
            config.feeds.summary_chars,
            config.feeds.per_source,
            og_locales(config.scripts.hant_variant, site.editions),
        )
        newest = index[0].day if index else None
        start = len(outputs)
        outputs += _feeds(site, config, env, edition, window, groups, newest, scope, kept)
        outputs += jsonfeed.outputs(site, env, feed_settings, edition, window, groups, scope, kept)
        # The index lists every day and its count, so its keys include them.
        day_marks = tuple(f"{day.isoformat()}:{count}" for day, count in days)
        outputs.append(
            Output(
                site.index_path(edition),
                (*window, *day_marks),
                edition,
                pages.index_renderer(days),
                templates=("index.html",),
            )
        )
        listed += [output.path for output in outputs[start:]]
        article = pages.article_renderer
        singles = iter(alone)
        day_paths, article_paths = [], []  # listed days first, as the sitemap has them
        # Each day's page, then its articles' pages: they show the same articles, which a
        # group of outputs loads once.
        for day, keys in shown:
            day_page = pages.day_renderer(day)
            path = site.day_path(edition, day)
            day_paths.append(path)
            day_keys = tuple(keys)
            outputs.append(Output(path, day_keys, edition, day_page, templates=("day.html",)))
            for key, single in zip(keys, singles, strict=False):  # singles goes on
                path = site.article_path_of(edition, day, key)
                article_paths.append(path)
                # Within a scope an older article's page shows what it showed: the sitemap
                # lists it, the plan leaves it out.
                if scope is None or key in new_keys:
                    outputs.append(
                        Output(path, single, edition, article, templates=("article.html",))
                    )
            if extra and extra.beside_day:
                outputs += extra.beside_day(edition, day, day_keys)
        listed += day_paths + article_paths
    outputs += reader.outputs(config, site, env, index, groups, listed, kept, scope)
    return outputs + (extra.outputs(groups, scope) if extra else [])


def _renditions_for(
    store: Store, scripts: Scripts, outputs: Iterable[Output]
) -> dict[tuple[Edition, str], Rendition]:
    """Load and convert, in one pass, every rendition the outputs to render need (a streamed
    output loads its own, `_slices`)."""
    wanted: dict[Edition, set[str]] = defaultdict(set)
    for output in outputs:
        for edition in _editions_of(output) if output.streamed is None else ():
            wanted[edition].update(output.keys)
    # The articles once for every edition that shows them (the search index's outputs show
    # each article in both scripts).
    articles = store.articles_by_keys(set().union(*wanted.values()))
    found = {}
    for edition, keys in wanted.items():
        shown = [article for article in articles if article.key in keys]
        for rendition in renditions(store, scripts, shown, edition):
            found[edition, rendition.article.key] = rendition
    return found


def _slices(store: Store, scripts: Scripts, output: Output) -> Iterator[list[Rendition]]:
    """A streamed output's renditions, GROUP_KEYS articles at a time, loaded as it asks."""
    for start in range(0, len(output.keys), GROUP_KEYS):
        keys = output.keys[start : start + GROUP_KEYS]
        part = dataclasses.replace(output, keys=keys, streamed=None)
        yield _chosen(_renditions_for(store, scripts, [part]), part)


def _editions_of(output: Output) -> tuple[Edition, ...]:
    return (output.edition, *output.twins)


def _chosen(loaded: dict[tuple[Edition, str], Rendition], output: Output) -> list[Rendition]:
    """The renditions `output.render` takes: its edition's, then the twins' when it asks."""
    return [
        loaded[edition, key]
        for edition in _editions_of(output)
        for key in output.keys
        if (edition, key) in loaded
    ]


def _shows(output: Output) -> tuple[object, ...]:
    """What decides the renditions an output's render gets."""
    return (output.edition, output.twins, output.keys)


def _groups(outputs: Iterable[Output], limit: int) -> Iterator[list[Output]]:
    """The outputs in plan order, cut into groups that show at most `limit` keys (a
    larger output is a group of its own)."""
    group: list[Output] = []
    keys = 0
    for output in outputs:
        if group and keys + len(output.keys) > limit:
            yield group
            group, keys = [], 0
        group.append(output)
        keys += len(output.keys)
    if group:
        yield group


def _render(
    store: Store,
    scripts: Scripts,
    root: Path,
    todo: Iterable[Output],
    batch: FileBatch | None = None,
) -> int:
    """Render and write `todo` group by group, so that memory holds one group's renditions
    and pages, whatever the size of the archive; returns how many files were written.
    Given the `batch` of a worker process, which it keeps across the parts of the build it
    is given, the files are staged there: what is not in place yet when this returns goes
    with its next commit, COMMIT_FILES at a time or when the build ends (one syncfs costs
    0.1–0.2 s, and a part is often a few dozen files)."""
    written = 0
    # Outputs that show the same keys in a row (the search index's parts show them all)
    # share one load of their renditions.
    last: tuple[tuple[object, ...], list[Rendition]] | None = None
    with FileBatch() if batch is None else nullcontext(batch) as files:
        for group in _groups(todo, GROUP_KEYS):
            shared = last and all(_shows(output) == last[0] for output in group)
            loaded = {} if shared else _renditions_for(store, scripts, group)
            for output in group:
                if output.streamed is not None:
                    data = output.streamed(_slices(store, scripts, output))
                else:
                    if last is None or _shows(output) != last[0]:
                        last = (_shows(output), _chosen(loaded, output))
                    data = output.render(last[1])
                written += files.write_if_changed(root / output.path, data)
            if files.staged >= COMMIT_FILES:
                files.commit()
            if loaded:
                _give_back_memory()
    return written


def _give_back_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim). Groups differ in
    shape (a month's archive, a thousand article pages), and without it the pieces one group
    frees are not all reused by the next: a 100,000-article first build's memory grew by
    some 10 MB per month's archive."""
    if LIBC is not None and hasattr(LIBC, "malloc_trim"):
        LIBC.malloc_trim(0)


def build(
    config: BuildSettings,
    store: Store,
    now: dt.datetime,
    progress: Callable[[list[Output]], Iterable[Output]] = iter,
    *,
    full: bool = False,
    extra: Extra | None = None,
    looking: Callable[[list[Output]], Iterable[Output]] = iter,
) -> BuildReport:
    """Render and write what changed, the outputs `extra` plans too (the digest's pages);
    `progress` wraps the outputs to render (a bar), `looking` those whose fingerprint and
    file are looked at first (all of them, for `full`: the long part of it).

    What changed is told by the store: a build of the same store generation with the same
    settings has nothing to do and returns at once, whatever the size of the archive. When
    only articles were added since, the outputs that may show them are fingerprinted (see
    `_may_change`); otherwise every output is. The outputs whose fingerprint moved are
    rendered. Files are trusted to be as the last build left them while every folder it
    wrote is as it left it (`manifest`); where one is not (files deleted by hand), or with
    `full`, the outputs whose file is missing are re-made too."""
    started = time.perf_counter()
    scripts = Scripts.from_config(config)
    site = Site.from_config(config, scripts)
    settings = _settings(config, site.titles)
    # A build with other conversion settings must look for corrections even when the store
    # has not changed, and one with an edited template for the outputs that use it: the
    # shortcut's key holds the conversions' signatures and every template too.
    signatures = tuple(
        signature
        for edition in site.editions
        for signature in (
            scripts.converter_for(edition).signature,
            scripts.original_signature(edition.script),
        )
    )
    templates = templating.fingerprint(templating.own_templates(config))
    templating.forget_loaded(config)
    # And what the extra outputs depend on besides the store (the weeks that have ended).
    shaped = (settings, signatures, templates, extra.key if extra else None)
    key = hashlib.sha256(repr(shaped).encode()).hexdigest()
    generation = store.generation()
    last = store.last_build()
    root = config.output_dir
    folders = manifest.recorded(root)
    gone = None if full or folders is None else manifest.moved(root, folders)
    same = gone == set() and last is not None and last.settings == key
    todo: list[Output] = []
    fingerprint: _Fingerprints | None = None
    whole: _Whole | None = None
    if same and last and last.generation == generation:
        total = last.written + last.unchanged
    else:
        added = _added(store, last.generation, generation) if same and last else None
        before = last.written + last.unchanged if last else 0
        todo, fingerprint, total, whole = _plan_changes(
            config,
            store,
            site,
            settings,
            now,
            added=added,
            before=before,
            extra=extra,
            gone=gone,
            looking=looking,
        )
    try:
        written = None
        count = workers.worker_count(config.build.workers)
        if whole and count > 1 and len(todo) >= PARALLEL_OUTPUTS:
            again = extra.again if extra else None
            job = workers.Job(plan_whole, _render, config, whole.index, again)
            places = [(whole.places[id(output)], output) for output in todo]
            written = workers.render(job, places, count, GROUP_KEYS, progress)
        if written is None:  # one process: a small build, or no worker could start
            written = _render(store, scripts, config.output_dir, progress(todo))
    finally:
        gc.unfreeze()  # a daemon builds again in this process: its cycles are collected
    # Every build looks: what one killed while removing left half removed goes next time.
    search.remove_unnamed_parts(config.output_dir)
    seconds = time.perf_counter() - started
    # Made now rather than kept through the render, and handed to the store one by one: at
    # 100,000 articles a first build's fingerprints are some 40 MB held at once.
    changed = ((output.path, fingerprint(output)) for output in todo) if fingerprint else ()
    store.record_build(
        changed, BuildRecord(now, written, total - written, seconds, generation, key)
    )
    if folders is None or gone is None or gone:  # looked through the folder: note all of it
        manifest.record(root, manifest.every_folder(root))
    elif todo:
        manifest.record(root, folders.keys() | manifest.parents(output.path for output in todo))
    return BuildReport(written=written, unchanged=total - written, seconds=seconds)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Plan with Python's cycle collector paused, then leave what the plan made out of its
    passes (gc.freeze) until the render is done. A plan makes hundreds of thousands of
    objects (the article index, the outputs) that hold no cycles and live until then; the
    collector went through them again and again as they were made: some 0.3 s of a day
    added at 100,000 articles, and more during the render."""
    gc.disable()
    try:
        yield
        gc.freeze()  # until `build` has rendered
    finally:
        gc.enable()


def _added(store: Store, shown: int, generation: int) -> frozenset[str] | None:
    """The keys of the articles stored since generation `shown`, when adding them is all
    that changed: each generation since then stored articles (a store copied from another
    starts its own count, and gets None)."""
    added = store.added_since(shown)
    if set(added.values()) != set(range(shown + 1, generation + 1)):
        return None
    return frozenset(added)


def _may_change(output: Output, known: set[str], added: frozenset[str]) -> bool:
    """Whether an output can read differently now that `added` are stored, the settings and
    corrections being those of the last build: an output made of one older article and
    nothing else (its page, a day or a source of one article) shows what it showed."""
    return len(output.keys) != 1 or output.keys[0] in added or output.keys[0] not in known


@dataclass(frozen=True)
class _Whole:
    """A plan of every output of the site and the extra ones: the article index it was made
    from, and each output's place in it (by the output's id), which is how the build names
    an output to a worker."""

    index: Sequence[ArticleRef]
    places: dict[int, int]

    @classmethod
    def of(cls, index: Sequence[ArticleRef], outputs: Sequence[Output]) -> _Whole:
        return cls(index, {id(output): place for place, output in enumerate(outputs)})


def plan_whole(
    config: BuildSettings, site: Site, index: Sequence[ArticleRef], extra: Extra | None
) -> list[Output]:
    """Every output of the site and those `extra` adds, as a build that looks at them all
    plans them (a worker process's plan, the same as the build's)."""
    with _collector_paused():
        return plan(config, site, index, extra=extra)


def _may_be_missing(path: str, gone: set[str] | None) -> bool:
    """Whether an output's file may be missing: its folder changed since the last build
    (`gone`), or there is nothing to go by (None)."""
    return gone is None or (bool(gone) and str(PurePosixPath(path).parent) in gone)


def _plan_changes(
    config: BuildSettings,
    store: Store,
    site: Site,
    settings: str,
    now: dt.datetime,
    *,
    added: frozenset[str] | None,
    before: int,
    extra: Extra | None,
    gone: set[str] | None,
    looking: Callable[[list[Output]], Iterable[Output]],
) -> tuple[list[Output], _Fingerprints, int, _Whole | None]:
    """The outputs to render, what fingerprints them, how many outputs there are, and, when
    every output was planned, what a worker process needs to plan them again. The
    conversions the current settings lack are made first; their corrections move the
    fingerprints of exactly the outputs that show them. Articles `added` since the last
    build under these settings were converted by the ingest (or are, in memory, by
    `renditions`), so then only the outputs that may show them are looked at. The outputs
    whose file is missing are rendered too, looked for in the folders `gone` (changed since
    the last build), or everywhere when it is None."""
    scripts = Scripts.from_config(config)
    root = config.output_dir
    # A killed build's temporaries: the caller holds the store lock, so none is live. A
    # killed build recorded nothing, so the build after it always comes this way; looking
    # through every folder of the output is left to the builds after one that was killed.
    if store.start_build() or gone is None:
        remove_temporaries(root)
    if added is None:
        convert_missing(store, scripts, site.editions, now)
    # The plan's objects are left to the collector again once the build has rendered.
    with _collector_paused():
        corrected = {edition: corrected_in(store, scripts, edition) for edition in site.editions}
        index = store.article_index()
        scope = Scope.of(index, added) if added else None
        outputs = plan(config, site, index, added, scope, extra)
        whole = _Whole.of(index, outputs) if added is None else None  # what workers plan
        if added is None:
            looked_at = outputs
        else:
            known = set(map(itemgetter(0), index))
            looked_at = [output for output in outputs if _may_change(output, known, added)]
        marks = templating.Marks(templating.for_site(config), templating.own_templates(config))
        fingerprint = _Fingerprints(settings, corrected, marks)
        # The paths as text: a Path per output to look for costs more than the look (2 s of
        # a 100,000-article whole build's planning, which the workers wait for). A missing
        # file is rendered whatever its fingerprint, which is then not made here.
        folder = f"{root}{os.sep}"
        todo: list[Output] = []
        recorded = 0  # of the outputs looked at, those the last build recorded
        looked = iter(looking(looked_at))
        # The last build's fingerprints a slice of the plan at a time: those of a
        # 100,000-article site, all at once, were 80 MB of the build's memory.
        while chunk := list(itertools.islice(looked, FINGERPRINTS_AT_ONCE)):
            previous = store.output_fingerprints(output.path for output in chunk)
            recorded += len(previous)
            todo += [
                output
                for output in chunk
                if (_may_be_missing(output.path, gone) and not os.path.exists(folder + output.path))
                or previous.get(output.path) != fingerprint(output)
            ]
        if scope is None:
            return todo, fingerprint, len(outputs), whole
        # The outputs the last build had (`before`, as many as it counted) and the new ones.
        return todo, fingerprint, before + len(looked_at) - recorded, None
