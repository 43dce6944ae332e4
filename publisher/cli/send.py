"""send: deliver a day's digest to every active subscriber, each mail at most once."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import threading
from collections import Counter
from typing import TYPE_CHECKING

from publisher.cli import exits
from publisher.cli.deliveries import uncertain_lines
from publisher.cli.options import (
    changes_store,
    date_argument,
    edition_argument,
    existing_store,
)
from publisher.config import Config
from publisher.delivery import settle
from publisher.run.signals import stop_on_signals
from publisher.store import Store

if TYPE_CHECKING:
    from publisher.delivery.engine import SendReport


def _summary(report: SendReport) -> str:
    name = f"week of {report.day} (weekly)" if report.kind == "weekly" else f"{report.day}"
    text = (
        f"{name}: {report.sent} sent, {report.failed} failed, "
        f"{report.uncertain} uncertain, {report.deferred} deferred"
    )
    extra = []
    if report.bounced:
        extra.append(f"{report.bounced} bounced: the address is bad, never mailed again")
    if report.refused:
        extra.append(f"{report.refused} refused for the sender's problem, still queued")
    if report.skipped:
        extra.append(f"{report.skipped} skipped: nothing from their sources")
    if report.done_before:
        extra.append(f"{report.done_before} done before")
    if report.withdrawn:
        extra.append(f"{report.withdrawn} unsubscribed meanwhile")
    if extra:
        text += f" ({', '.join(extra)})"
    return text + f"; {report.seconds:.1f} s, {report.renders} renders"


def _uncertain_help(store: Store, day: dt.date) -> list[str]:
    lines = uncertain_lines(store, day, limit=20)
    if not lines:
        return []
    return [
        "uncertain (may or may not have arrived; never resent unless you say so):",
        *lines,
        "  look these Message-IDs up in the relay's log, then settle each: publisher "
        f"deliveries settle --date {day} --sent ADDR… --resend ADDR…",
    ]


def _proof(args: argparse.Namespace, config: Config, day: dt.date) -> int:
    from publisher.delivery.transport import SendFailure
    from publisher.mail.refusals import of_reply
    from publisher.run.proof import proof_letter, send_proof

    edition = edition_argument(config, args.edition or config.scripts.default)
    with existing_store(config) as store:
        _build_first(args, config, store)
        letter = proof_letter(config, store, args.test, day, edition, config.now())
    try:
        send_proof(config, letter)
    except SendFailure as failure:
        refusal = of_reply(failure.reply)
        meaning = f" ({refusal.explain()})" if refusal else ""
        print(f"publisher: error: the test mail was not sent: {failure.reply}{meaning}")
        return exits.ATTENTION
    print(f"test mail of {day} ({edition.tag}) sent to {letter.recipient}: {letter.message_id}")
    return exits.OK


def _build_first(args: argparse.Namespace, config: Config, store: Store) -> None:
    """Build before sending: a digest links its web copy, which the build writes (at once
    when nothing changed since the last build). Senders that share a PostgreSQL store run
    without the store lock; each takes it for the build, so one builds and the others find
    nothing left to do."""
    from publisher.mail.archive import build_site
    from publisher.store import locks

    with contextlib.ExitStack() as held:
        if args.shared and config.storage.shared:
            purpose, zone = "publisher send: build", config.site.zone
            held.enter_context(locks.hold(config.storage, wait=True, purpose=purpose, zone=zone))
        report = build_site(config, store, config.now())
    if report.written:
        print(f"{config.output_dir}: {report.written} files written before sending")


def _send(args: argparse.Namespace, config: Config) -> int:
    # Here, not at the top: only sending needs the mail stack (premailer, feedgen, smtplib).
    from publisher.delivery import engine as delivery

    now = config.now()
    day: dt.date = args.date or now.date()
    if args.test:
        return _proof(args, config, day)
    stop = threading.Event()
    with existing_store(config) as store:
        _build_first(args, config, store)
        if args.retry_uncertain:
            print(
                "--retry-uncertain resends only what `publisher deliveries settle --resend` "
                "queued again; uncertain mail nobody settled stays as it is"
            )
        with stop_on_signals(stop):
            report = delivery.send_day(
                config, store, day, now, stop=stop, accept_rates=args.accept_rates
            )
        for each in (report, report.weekly):
            if each is not None:
                _print(each)
        for line in _uncertain_help(store, day):
            print(line)
        # The day's state, not this run's: a second send must not hide an earlier failure.
        counts = Counter(store.delivery_counts(day))
        if report.weekly is not None:
            counts.update(store.delivery_counts(report.weekly.day, kind=report.weekly.kind))
        if report.needs_attention:
            return exits.ATTENTION  # nothing more goes until the operator fixes the cause
        return exits.of_day(settle.day_state(counts))


def _print(report: SendReport) -> None:
    if report.empty and report.kind == "weekly":
        print(f"no articles in the week of {report.day}: no weekly digest to send")
        return
    if report.empty:
        print(f"no articles for {report.day}: nothing to send")
        return
    print(_summary(report))
    if report.blocked:
        print(f"stopped: {report.blocked}")
    elif report.stopped:
        print(f"stopped early: {report.reason}; run the same command again to go on")
    elif report.deferred:
        print(f"{report.deferred} deferred: run the same command again later to retry them")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "send",
        help="mail a day's digest to every active subscriber (each at most once)",
        description="Deliver the digest of a day through delivery.backend (a Maildir outbox "
        "or SMTP) to every active subscriber in their script. Safe to run again: nobody gets "
        "the same digest twice; deferred mails are retried, and a run that was stopped or "
        "killed goes on where it was. Uncertain mail is never resent until you settle it "
        f"(publisher deliveries settle). {exits.HELP}",
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
        help="kept for old scripts: resends only the uncertain deliveries marked with "
        "`publisher deliveries settle --resend`, like any send",
    )
    send.add_argument(
        "--accept-rates",
        action="store_true",
        help="send although the complaint or bounce rate of earlier digests is over its stop "
        "level ([rates]): you looked into it; those days are not judged again",
    )
    send.add_argument(
        "--test",
        metavar="ADDR",
        help="send the day's digest to this address only, marked as a test in its subject, "
        "to see the real mail before readers do; records nothing",
    )
    send.add_argument(
        "--edition",
        metavar="EDITION",
        help="with --test: the edition to send (default: scripts.default)",
    )
    changes_store(send, shared=True)
    send.set_defaults(handler=_send)
