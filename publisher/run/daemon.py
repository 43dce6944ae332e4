"""`publisher run`: the daily run on a schedule (APScheduler 3), or once for cron.

The scheduler only decides when; what runs is `daily.run_day`, the same function `run
--once` calls, under the store lock. A cron trigger fires at schedule.time in the site's
time zone, with coalesce (missed fires collapse into one), max_instances=1 and the
configured misfire grace time. At start-up a day whose time has passed but whose run never
completed is run at once (catch-up); a run left incomplete (mail deferred by a struggling
relay) is tried again later the same day. SIGTERM/SIGINT set an Event that sending checks
between two messages, so a stop finishes the message in flight, records it and exits 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from publisher.config import Config
from publisher.delivery import engine as delivery
from publisher.delivery.settle import DayState, day_state
from publisher.errors import PublisherError
from publisher.run import daily
from publisher.run.daily import RunReport
from publisher.run.signals import stop_on_signals
from publisher.store import Store, locks

log = logging.getLogger(__name__)

JOB_ID = "daily"
RETRY_ID = "retry"
# After an incomplete run (the relay deferred mail), try again this much later.
RETRY_AFTER = dt.timedelta(minutes=15)
# PostgreSQL: how often a daemon that does not lead the day looks at the leader's progress.
FOLLOW_SECONDS = 10.0


def trigger(config: Config, at: dt.time | None = None) -> CronTrigger:
    """Daily at the run time in the site's zone (zoneinfo: DST is the zone's business)."""
    when = daily.run_time(config, at)
    return CronTrigger(
        hour=when.hour, minute=when.minute, second=when.second, timezone=config.site.zone
    )


def run_locked(config: Config, *, wait: bool, stop: threading.Event) -> RunReport | None:
    """Today's run under the store lock. None when `stop` came while waiting for the lock;
    LockError when another process holds it and `wait` is False. Where several daemons
    share the store (on a database server), see `run_shared`."""
    if config.storage.shared:
        return run_shared(config, stop=stop)
    store_lock = locks.store_lock(config.storage, "publisher run", config.site.zone)
    if not store_lock.acquire(wait=wait, stop=stop):
        log.info("stopped while waiting for the store lock; nothing was done")
        return None
    try:
        with Store(config.storage) as store:
            report = daily.run_day(config, store, config.now(), stop=stop)
    finally:
        store_lock.release()
    log.info("run %s", report.summary())
    return report


def run_shared(
    config: Config, *, stop: threading.Event, follow_seconds: float = FOLLOW_SECONDS
) -> RunReport | None:
    """Today's run when several daemons share one PostgreSQL store: one leads the day
    (holds the day's advisory lock and runs it: ingest, build, digest, send); the others
    help it send once it has queued the day's mails, and try for the lead in between, so
    that if the leader dies one of them goes on with the same day. Every step of a run is
    safe to do again, and a finished one does nothing the second time. Returns the
    leader's report, or None for a daemon that followed until the day was done."""
    day = daily.today(config, config.now())
    lead = locks.AdvisoryLock(
        config.storage, locks.leader_key(day), "publisher run (leader)", config.site.zone
    )
    while not stop.is_set():
        if lead.try_acquire():
            try:
                with Store(config.storage) as store:
                    if not daily.completed(store, day):
                        log.info("leading the run of %s", day)
                    return daily.run_day(config, store, config.now(), stop=stop)
            finally:
                lead.release()
        pause = _follow(config, day, stop, follow_seconds)
        if not pause:
            return None
        stop.wait(pause)
    return None


def _follow(config: Config, day: dt.date, stop: threading.Event, pause: float) -> float:
    """One look at the leader's day: send with it once its mails are queued (before that
    the day's articles may still be coming in). Returns how long to wait before the next
    look (the retry delay after deferred mail), 0 when the day is done."""
    with Store(config.storage) as store:
        if daily.completed(store, day):
            return 0.0
        if not sum(store.delivery_counts(day).values()):
            return pause
        log.info("following the leader of %s: sending with it", day)
        report = delivery.send_day(config, store, day, config.now(), stop=stop)
    return RETRY_AFTER.total_seconds() if report.deferred else pause


@dataclass
class Daemon:
    """What a scheduled run needs: the job itself is the module-level `scheduled_run`
    (APScheduler wants importable functions), given this as its argument."""

    config: Config
    scheduler: BackgroundScheduler
    stop: threading.Event
    wait: bool = True

    def run(self) -> None:
        try:
            report = run_locked(self.config, wait=self.wait, stop=self.stop)
            unfinished = report is not None and not report.complete
            if report is not None and report.send is not None and report.send.needs_attention:
                log.error("sending stopped until the operator fixes its cause: not retried today")
                return
        except PublisherError as error:
            log.error("run failed: %s", error)
            unfinished = True
        except Exception:
            # The top of a worker thread: log the bug with its traceback, keep the daemon
            # (and tomorrow's run) alive, and try again, as for a transient failure.
            log.exception("run failed")
            unfinished = True
        if unfinished and not self.stop.is_set():
            self.retry_later()

    def retry_later(self) -> None:
        """Run again after RETRY_AFTER, unless the next scheduled run comes first."""
        moment = self.config.now() + RETRY_AFTER
        job = self.scheduler.get_job(JOB_ID)
        if job is not None and job.next_run_time is not None and job.next_run_time <= moment:
            return
        log.info("the day is not complete; trying again at %s", moment.isoformat("T", "seconds"))
        self.scheduler.add_job(  # coalesce, max_instances, misfire grace: the job defaults
            scheduled_run,
            DateTrigger(moment),
            args=[self],
            id=RETRY_ID,
            name="retry of the daily run",
            replace_existing=True,
        )


def scheduled_run(daemon: Daemon) -> None:
    """The job APScheduler calls (in its worker thread)."""
    daemon.run()


def catch_up_due(config: Config, at: dt.time | None) -> bool:
    with Store(config.storage) as store:
        return daily.run_due(store, config.now(), config, at)


def new_scheduler(config: Config) -> BackgroundScheduler:
    return BackgroundScheduler(
        timezone=config.site.zone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.schedule.misfire_grace_seconds,
        },
    )


def run_forever(config: Config, *, wait: bool = True, at: dt.time | None = None) -> int:
    """The daemon: schedule, catch up if due, run until SIGTERM/SIGINT; returns the exit
    code. Call from the main thread (signal handlers live there)."""
    stop = threading.Event()
    with stop_on_signals(stop):
        scheduler = new_scheduler(config)
        daemon = Daemon(config, scheduler, stop, wait)
        catch_up = catch_up_due(config, at)
        extra = {"next_run_time": config.now()} if catch_up else {}
        scheduler.add_job(
            scheduled_run, trigger(config, at), args=[daemon], id=JOB_ID, name="daily run", **extra
        )
        if catch_up:
            log.info("today's run is due and not complete: running it now")
        scheduler.start()
        if not catch_up:
            job = scheduler.get_job(JOB_ID)
            log.info("nothing due at start-up; next run at %s", job.next_run_time.isoformat())
        while not stop.wait(0.5):
            pass
        scheduler.shutdown(wait=True)  # the running job sees `stop` between two messages
    log.info("stopped")
    return 0


def run_once(config: Config, *, wait: bool = True) -> DayState:
    """`run --once`, for cron: today's run now (whatever the time), unless already complete.
    Returns the state of the day's mail after it, which the exit code says."""
    stop = threading.Event()
    with stop_on_signals(stop):
        report = run_locked(config, wait=wait, stop=stop)
    if report is None:
        return DayState.UNFINISHED  # stopped while waiting for the lock
    with Store(config.storage) as store:
        state = day_state(store.delivery_counts(report.day))
    if report.send is not None and report.send.needs_attention:
        return DayState.ATTENTION  # a setting or the sender's problem: the operator must fix it
    if state is DayState.COMPLETE and not report.complete:
        return DayState.UNFINISHED  # stopped before any mail was queued
    return state
