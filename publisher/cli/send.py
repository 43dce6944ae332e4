"""send: deliver a day's digest to every active subscriber, each mail at most once."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from typing import TYPE_CHECKING

from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config
from publisher.run.signals import stop_on_signals
from publisher.store import Store

if TYPE_CHECKING:
    from publisher.delivery.engine import SendReport

# Exit codes: 1 when a mail failed or may not have arrived (someone must look), 75
# (EX_TEMPFAIL, as sendmail uses it) when mails are only deferred or the run stopped early:
# running the same command again later finishes the job.
EXIT_FAILED = 1
EXIT_TEMPFAIL = 75


def _summary(report: SendReport) -> str:
    text = (
        f"{report.day}: {report.sent} sent, {report.failed} failed, "
        f"{report.uncertain} uncertain, {report.deferred} deferred"
    )
    extra = []
    if report.skipped:
        extra.append(f"{report.skipped} done before")
    if report.withdrawn:
        extra.append(f"{report.withdrawn} unsubscribed meanwhile")
    if extra:
        text += f" ({', '.join(extra)})"
    return text + f"; {report.seconds:.1f} s, {report.renders} renders"


def _uncertain_help(store: Store, day: dt.date) -> list[str]:
    rows = store.uncertain_deliveries(day)
    if not rows:
        return []
    lines = [f"uncertain (may or may not have arrived; never resent on their own): {len(rows)}"]
    lines += [f"  {row.email}  {row.message_id or '-'}  {row.reason}" for row in rows[:20]]
    if len(rows) > 20:
        lines.append(f"  … and {len(rows) - 20} more")
    lines.append(
        "  look these Message-IDs up in the relay's log; to send again those that are not "
        f"there: publisher send --date {day} --retry-uncertain"
    )
    return lines


def _send(args: argparse.Namespace, config: Config) -> int:
    # Here, not at the top: only sending needs the mail stack (premailer, feedgen, smtplib).
    from publisher.delivery import engine as delivery

    now = config.now()
    day: dt.date = args.date or now.date()
    stop = threading.Event()
    with existing_store(config) as store:
        if args.retry_uncertain:
            count = store.requeue_uncertain(day, now)
            print(f"{day}: {count} uncertain deliveries queued again")
        with stop_on_signals(stop):
            report = delivery.send_day(config, store, day, now, stop=stop)
        if report.empty:
            print(f"no articles for {day}: nothing to send")
            return 0
        print(_summary(report))
        if report.stopped:
            print(f"stopped early: {report.reason}; run the same command again to go on")
        elif report.deferred:
            print(f"{report.deferred} deferred: run the same command again later to retry them")
        for line in _uncertain_help(store, day):
            print(line)
    if report.failed or report.uncertain:
        return EXIT_FAILED
    return EXIT_TEMPFAIL if report.stopped or report.deferred else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "send",
        help="mail a day's digest to every active subscriber (each at most once)",
        description="Deliver the digest of a day through delivery.backend (a Maildir outbox "
        "or SMTP) to every active subscriber in their script. Safe to run again: nobody gets "
        "the same digest twice; deferred mails are retried, and a run that was stopped or "
        "killed goes on where it was. Exit status: 0 all sent, 1 something failed or is "
        "uncertain, 75 some mails deferred or the run stopped early (run it again later).",
    )
    send.add_argument(
        "--date",
        type=date_argument,
        metavar="YYYY-MM-DD",
        help="the digest's day (default: today in the site's time zone)",
    )
    send.add_argument(
        "--retry-uncertain",
        action="store_true",
        help="first queue again the day's uncertain deliveries (check the relay's log first: "
        "any that did arrive will arrive twice)",
    )
    changes_store(send)
    send.set_defaults(handler=_send)
