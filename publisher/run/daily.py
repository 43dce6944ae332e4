"""One daily run: ingest the inbox, build (the site and the digest archive), send today's digest.

`run_day` is what both `publisher run --once` (cron) and the daemon's cron trigger call; the
scheduler only decides when. Every step is safe to repeat: ingest skips stored articles,
build rewrites only what changed, delivery resumes from its table. So a run cut short (a
crash, SIGTERM) is finished by simply running again, and `due` says when that is needed.

The caller holds the store lock (publisher.store.locks) around a run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from publisher.articles.ingest import IngestOutcome, ingest_files
from publisher.config import Config
from publisher.delivery import engine as delivery
from publisher.delivery.engine import SendReport
from publisher.delivery.posts import PostReport
from publisher.delivery.transport import Transport
from publisher.delivery.websub import PingReport
from publisher.errors import InputError, PublisherError
from publisher.files import unreadable, write_atomic
from publisher.mail import returns, tokens
from publisher.mail.archive import build_site
from publisher.mail.bounces import BounceError
from publisher.run import posting
from publisher.run.hubs import notify_hubs
from publisher.site.build import BuildReport
from publisher.store import Store

log = logging.getLogger(__name__)

# A day whose run began but did not finish (stopped, or mail deferred past midnight) is
# finished by the next run, for this many days back; an older digest is stale news and is
# left to an operator's `publisher send --date`.
RESUME_DAYS = 3

DONE = "done"
REJECTED = "rejected"
# Names an uploader uses while a file is still arriving; such files wait for the next run.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", "~")


# -- the inbox ------------------------------------------------------------------------------


def inbox_files(inbox: Path) -> list[Path]:
    """Batch files waiting in `inbox`, by name: regular files only (done/ and rejected/ are
    folders), no hidden files and no half-uploaded ones. A missing inbox holds nothing yet;
    one that is a file or cannot be listed is an error naming it."""
    if not inbox.exists():
        return []
    if not inbox.is_dir():
        raise InputError(inbox, "schedule.inbox_dir is a file, not a folder")
    try:
        entries = list(inbox.iterdir())
    except OSError as error:
        raise InputError(inbox, f"schedule.inbox_dir {unreadable(error)}") from None
    return sorted(
        path
        for path in entries
        if path.is_file()
        and not path.is_symlink()
        and not path.name.startswith(".")
        and not path.name.endswith(PARTIAL_SUFFIXES)
    )


def _candidates(folder: Path, name: str) -> Iterator[Path]:
    """name, then name.1, name.2 … before the suffix: a later file of the same name must
    never overwrite an earlier one (its error report or its record of what came in)."""
    yield folder / name
    stem, dot, suffix = name.partition(".")
    for number in range(1, 10_000):
        yield folder / (f"{stem}.{number}{dot}{suffix}" if dot else f"{name}.{number}")
    raise FileExistsError(f"{folder}: no free name left for {name}")


def _error_file(path: Path) -> Path:
    return path.with_name(path.name + ".error.txt")


def file_away(path: Path, folder: Path, error: str | None = None) -> Path:
    """Move `path` into `folder` under a name no other file has; with `error`, first write
    NAME.error.txt beside where it will land (replacing one left by an interrupted call).
    Atomic (a hard link, then the unlink) and safe to repeat: after a crash between the
    two steps, the next call finds the file already in place and only removes the inbox
    copy."""
    folder.mkdir(parents=True, exist_ok=True)
    for target in _candidates(folder, path.name):
        if target.exists() and os.path.samefile(target, path):
            break  # linked by an earlier, interrupted call
        if target.exists():
            continue
        if error is not None:
            write_atomic(_error_file(target), error.encode() + b"\n")
        try:
            os.link(path, target)  # fails instead of overwriting, unlike rename
        except FileExistsError:
            continue
        break
    path.unlink()
    return target


def _explain(outcome: IngestOutcome) -> str:
    error = outcome.error
    assert error is not None
    where = f"line {error.line}: " if error.line else ""
    return f"{outcome.path.name}: rejected, nothing of it was stored.\n{where}{error.problem}"


def ingest_inbox(config: Config, store: Store, now: dt.datetime) -> list[IngestOutcome]:
    """Ingest every waiting file, then move it to done/ or, with the reason, rejected/."""
    inbox = config.path(config.schedule.inbox_dir)
    if not inbox.exists():
        log.warning("%s: no inbox folder (schedule.inbox_dir): no batch file to ingest", inbox)
    outcomes = []
    # A file is moved only once its articles are committed: a crash before leaves it in
    # the inbox, and ingesting it again adds nothing twice.
    for outcome in ingest_files(config, store, inbox_files(inbox), now=now):
        path = outcome.path
        if outcome.error is None:
            moved = file_away(path, inbox / DONE)
            log.info("%s: %d added, %d already stored", moved, outcome.added, outcome.duplicates)
        else:
            moved = file_away(path, inbox / REJECTED, _explain(outcome))
            log.warning("%s: rejected: %s", moved, outcome.error)
        outcomes.append(outcome)
    return outcomes


def read_bounces(config: Config, store: Store, now: dt.datetime) -> None:
    """Apply the bounces and complaints waiting in `bounces.maildir`, before sending, so
    that an address that died yesterday is not mailed today. A bounce Maildir that cannot
    be read is worth a warning, not a day without a digest."""
    if not config.bounces.maildir:
        return
    limit = returns.SoftBounceLimit(config.bounces.soft_limit, config.bounces.soft_days)
    path = config.path(config.bounces.maildir)
    try:
        counted = returns.read_maildir(store, path, limit, tokens.load_secret(config), now)
    except BounceError as error:
        log.warning("bounces not read: %s", error)
        return
    log.info("bounces: %s", counted.describe())
    for line in counted.warnings():
        log.warning("bounces: %s", line)


# -- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunReport:
    day: dt.date
    ingested: tuple[IngestOutcome, ...] = ()
    build: BuildReport | None = None
    send: SendReport | None = None
    seconds: float = 0.0
    already_complete: bool = False  # the day was complete before: nothing was done
    pings: PingReport | None = None  # WebSub, when hubs are set
    posts: PostReport | None = None  # Telegram, when channels are set

    @property
    def complete(self) -> bool:
        """Nothing left that running again would do: every mail of the day is settled
        (sent, failed for good or uncertain); only a stop or deferred mail leave work."""
        if self.already_complete:
            return True
        posting = self.posts is not None and self.posts.unfinished
        return self.send is not None and not self.send.unfinished and not posting

    def summary(self) -> str:
        if self.already_complete:
            return f"{self.day}: already complete, nothing to do"
        files = len(self.ingested)
        rejected = sum(outcome.error is not None for outcome in self.ingested)
        added = sum(outcome.added for outcome in self.ingested)
        parts = [f"{self.day}: {files} files ({rejected} rejected), {added} articles added"]
        if self.build is not None:
            parts.append(f"{self.build.written} outputs written")
        if self.pings is not None:
            parts.append(self.pings.summary())
        if self.send is not None:
            send = self.send
            parts.extend(_mails(each) for each in (send, send.weekly) if each is not None)
        if self.posts is not None:
            parts.append(self.posts.summary())
        parts.append(f"{self.seconds:.1f} s")
        return ", ".join(parts) + ("" if self.complete else "; not complete")


def _mails(send: SendReport) -> str:
    weekly = "weekly " if send.kind == "weekly" else ""
    return (
        f"{weekly}mails sent {send.sent}, failed {send.failed}, uncertain {send.uncertain}, "
        f"deferred {send.deferred}, skipped {send.skipped}"
        + (f" (stopped: {send.reason})" if send.stopped else "")
    )


def today(config: Config, now: dt.datetime) -> dt.date:
    return now.astimezone(config.site.zone).date()


def run_time(config: Config, at: dt.time | None = None) -> dt.time:
    """The time of day of the run: `at` (from `run --at`) or schedule.time."""
    if at is not None:
        return at
    hour, minute = config.schedule.hour_minute
    return dt.time(hour, minute)


def scheduled_at(config: Config, day: dt.date, at: dt.time | None = None) -> dt.datetime:
    """The moment of `day`'s run: schedule.time (or `at`) in the site's time zone."""
    return dt.datetime.combine(day, run_time(config, at), tzinfo=config.site.zone)


def completed(store: Store, day: dt.date) -> bool:
    run = store.run_of(day)
    return run is not None and run.finished is not None


def run_due(store: Store, now: dt.datetime, config: Config, at: dt.time | None = None) -> bool:
    """Start-up catch-up: today's run time has passed and today's run has not completed."""
    day = today(config, now)
    return now >= scheduled_at(config, day, at) and not completed(store, day)


def unfinished(store: Store, day: dt.date) -> list[dt.date]:
    """Earlier days, at most RESUME_DAYS back, whose run started and never completed."""
    return store.unfinished_runs(day, day - dt.timedelta(days=RESUME_DAYS))


def finish_earlier(
    config: Config,
    store: Store,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
) -> None:
    """Send what earlier unfinished days still owe (their articles and pages are in place
    already); the delivery table makes it safe, nobody gets a day's digest twice."""
    for day in unfinished(store, today(config, now)):
        if stop is not None and stop.is_set():
            break
        started = time.monotonic()
        sent = delivery.send_day(config, store, day, now, stop=stop, transport=transport)
        posts = post_to_channels(config, store, day, now, stop)
        report = RunReport(day, send=sent, seconds=time.monotonic() - started, posts=posts)
        _record_end(store, report, now)
        log.info("finished an earlier day: %s", report.summary())


def _record_end(store: Store, report: RunReport, now: dt.datetime) -> None:
    store.record_run_end(report.day, now if report.complete else None, report.summary())


def run_day(
    config: Config,
    store: Store,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
) -> RunReport:
    """Today's run, unless today is already complete, after finishing what earlier days left
    unsent. `now` dates the day and the records; `stop` (SIGTERM) ends the sending between
    two messages, leaving the day incomplete."""
    finish_earlier(config, store, now, stop=stop, transport=transport)
    day = today(config, now)
    if completed(store, day):
        return RunReport(day, already_complete=True)
    started = time.monotonic()
    store.record_run_start(day, now)
    ingested = tuple(ingest_inbox(config, store, now))
    read_bounces(config, store, now)
    built = build_site(config, store, now)
    pings = notify_hubs(config, store, now)
    sent = delivery.send_day(config, store, day, now, stop=stop, transport=transport)
    posts = post_to_channels(config, store, day, now, stop)
    seconds = time.monotonic() - started
    report = RunReport(day, ingested, built, sent, seconds, pings=pings, posts=posts)
    _record_end(store, report, now)
    return report


def post_to_channels(
    config: Config, store: Store, day: dt.date, now: dt.datetime, stop: threading.Event | None
) -> PostReport | None:
    """The day's Telegram posts, after its mail (it may take minutes at Telegram's pace).
    Channels without a token are a warning: the day's mail is not held up by them."""
    if stop is not None and stop.is_set():
        return None
    try:
        return posting.post(config, store, day, now, stop=stop)
    except PublisherError as error:
        log.warning("telegram: nothing posted: %s", error)
        return None
