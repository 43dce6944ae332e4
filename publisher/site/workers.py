"""A whole re-render on every core: the build's outputs rendered and written by worker
processes, each a fresh interpreter (spawn: fork is unsafe beside the daemon's threads), so
rendering, which holds the interpreter's lock, runs on as many cores as there are workers.

An output's render is a closure over the plan and cannot be sent to another process; each
worker makes the same plan from the same article index and the same extra outputs (`Job`),
and is sent the places in it of the outputs it renders: every output of the build, so that
the build's own process holds the plan and renders nothing. Outputs that share one
computation (the search index's parts of a segment share the postings of every article) go
to the same worker, in plan order. Each worker writes its files itself, atomically and
durable together (publisher.files): what a kill leaves is what a killed one-process build
leaves, whole files old or new and temporaries the next build sweeps. Workers die with the
build (`start_worker`)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from threading import Barrier
from typing import Protocol, TypeVar

from publisher.articles.conversion import Scripts, start_worker
from publisher.errors import PublisherError
from publisher.files import FileBatch
from publisher.records import ArticleRef
from publisher.settings import BuildConfig, StorageConfig
from publisher.site.outputs import Extra, Output
from publisher.site.paths import Site, SiteSettings
from publisher.site.templating import TemplateSettings
from publisher.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


class BuildSettings(SiteSettings, TemplateSettings, Protocol):
    """What a build reads of the configuration (a Config is one, and is what the build's
    processes are sent): the site's part, its templates, [build], the store and the output
    folder."""

    @property
    def build(self) -> BuildConfig: ...

    @property
    def storage(self) -> StorageConfig: ...

    @property
    def output_dir(self) -> Path: ...


Plan = Callable[[BuildSettings, Site, Sequence[ArticleRef], Extra | None], list[Output]]
Render = Callable[[Store, Scripts, Path, Iterable[Output], FileBatch], int]


def cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than
    the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(setting: int) -> int:
    """build.workers: 0 is every core, another number at most that many."""
    return cores() if setting == 0 else min(setting, cores())


@dataclass(frozen=True)
class Job:
    """What a worker needs to make the build's plan again: the plan function and the
    render loop (module functions, sent by name), the config, the article index and what
    makes the extra outputs (`Extra.again`)."""

    plan: Plan
    render: Render
    config: BuildSettings
    index: Sequence[ArticleRef]
    extra: Callable[[], Extra] | None


def tasks(todo: Sequence[tuple[int, Output]], limit: int) -> list[list[tuple[int, Output]]]:
    """The outputs to render (with their places in the plan) cut into tasks that show about
    `limit` keys, the costliest first, so that the last task to finish is a short one. A run
    of outputs that show the same keys (the search index's parts) is one task: they share
    what is computed from those keys."""
    made: list[list[tuple[int, Output]]] = []
    keys = 0
    for place, output in todo:
        same = bool(made) and _shows(made[-1][-1][1]) == _shows(output)
        if made and (same or keys + len(output.keys) <= limit):
            made[-1].append((place, output))
            keys += 0 if same else len(output.keys)
        else:
            made.append([(place, output)])
            keys = len(output.keys)
    return sorted(made, key=_cost, reverse=True)  # stable: plan order among equals


def _shows(output: Output) -> tuple[object, ...]:
    return (output.edition, output.twins, id(output.keys), len(output.keys))


def _cost(task: list[tuple[int, Output]]) -> int:
    """Renditions a task reads: outputs that show the same keys read them once."""
    shown = {_shows(output): len(output.keys) * (1 + len(output.twins)) for _, output in task}
    return sum(shown.values()) + len(task)


def render(
    job: Job,
    todo: Sequence[tuple[int, Output]],
    workers: int,
    limit: int,
    progress: Callable[[list[Output]], Iterable[Output]],
) -> int | None:
    """Render and write `todo` (outputs with their places in `job`'s plan) on `workers`
    processes; returns how many files were written, or None when no process could be
    started (no /dev/shm, a process limit): then the caller renders them itself. `progress`
    goes one output on as each is done. A worker's error is raised here; a worker that
    died ends the build."""
    pool: ProcessPoolExecutor | None = None
    running: dict[Future[int], int] = {}
    try:
        context = multiprocessing.get_context("spawn")
        # Each worker waits there once its files are in place, so that each takes one of
        # the build's last tasks (`_put_in_place`).
        barrier = context.Barrier(workers)
        pool = ProcessPoolExecutor(workers, context, _start, (os.getpid(), job, barrier))
        for task in tasks(todo, limit):
            places = [place for place, _ in task]
            paths = [output.path for _, output in task]
            running[pool.submit(_render_task, places, paths)] = len(task)
    except (OSError, ImportError, NotImplementedError) as error:
        log.info("rendering in this process, no worker could start: %s", error)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        return None  # what a worker wrote already, the caller writes again: the same bytes
    written = 0
    ticks = iter(progress([output for _, output in todo]))
    try:
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                written += _result(future)
                for _ in range(running.pop(future)):
                    next(ticks, None)
        for last in [pool.submit(_put_in_place) for _ in range(workers)]:
            _result(last)
    finally:
        pool.shutdown(cancel_futures=True)
    for _ in ticks:  # a progress that records what was rendered sees all of it
        pass
    return written


def _result(future: Future[T]) -> T:
    try:
        return future.result()
    except BrokenProcessPool:
        raise PublisherError(
            "a build process ended before its work was done (out of memory?); files it did "
            "not finish are left as they were, and the next build makes them"
        ) from None


@dataclass
class _Worker:
    job: Job
    store: Store
    scripts: Scripts
    outputs: list[Output]
    files: FileBatch  # staged across tasks, put in place COMMIT_FILES at a time
    barrier: Barrier


_held: list[_Worker] = []  # this worker process's, once started


def _start(parent: int, job: Job, barrier: Barrier) -> None:
    start_worker(parent)
    store = Store(job.config.storage)
    Finalize(store, store.close, exitpriority=10)
    scripts = Scripts.from_config(job.config)
    site = Site.from_config(job.config, scripts)
    outputs = job.plan(job.config, site, job.index, job.extra() if job.extra else None)
    _held.append(_Worker(job, store, scripts, outputs, FileBatch(), barrier))


def _put_in_place() -> None:
    """The last task of each worker: its staged files in place (durable, renamed), then a
    wait until every worker's are, so that no worker takes two of these."""
    worker = _held[0]
    worker.files.commit()
    worker.barrier.wait()


def _render_task(places: list[int], paths: list[str]) -> int:
    worker = _held[0]
    outputs = [worker.outputs[place] for place in places]
    if [output.path for output in outputs] != paths:  # the same plan, or nothing is written
        raise PublisherError("a build process planned other outputs than the build")
    try:
        root = worker.job.config.output_dir
        return worker.job.render(worker.store, worker.scripts, root, outputs, worker.files)
    except PublisherError as error:
        # Sent back as its message: an error's own arguments do not always survive the pipe.
        raise PublisherError(str(error)) from None
