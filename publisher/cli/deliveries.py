"""deliveries: list a day's mail, and settle the uncertain ones by hand."""

from __future__ import annotations

import argparse
import datetime as dt
import functools

from publisher.cli import exits
from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config
from publisher.delivery import settle
from publisher.mail import subscribers
from publisher.mail.weekly import sending_day, week_label
from publisher.records import DeliveryStatus, DigestKind, SubscriberStatus
from publisher.store import Store


def uncertain_lines(
    store: Store, day: dt.date, limit: int | None = None, kind: DigestKind = DigestKind.DAILY
) -> list[str]:
    rows = store.uncertain_deliveries(day, kind=kind)
    lines = [f"  {row.email}  {row.message_id or '-'}  {row.reason}" for row in rows[:limit]]
    if limit is not None and len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more")
    return lines


def _digest(args: argparse.Namespace, day: dt.date) -> tuple[dt.date, DigestKind, str]:
    """The rows --date (and --weekly) name: a day's, or the weekly's of the week holding it
    (keyed by its Monday); and how to name them to a person."""
    if not args.weekly:
        return day, DigestKind.DAILY, str(day)
    monday = day - dt.timedelta(days=day.weekday())
    return monday, DigestKind.WEEKLY, f"weekly of {week_label(monday)} (week of {monday})"


def _list(args: argparse.Namespace, config: Config) -> int:
    day, kind, name = _digest(args, args.date or config.now().date())
    with existing_store(config) as store:
        counts = store.delivery_counts(day, kind=kind)
        if not args.uncertain:
            print(f"{name}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
        lines = uncertain_lines(store, day, kind=kind)
    if lines:
        print(f"uncertain ({len(lines)}):")
        print("\n".join(lines))
    elif args.uncertain:
        print(f"{name}: no uncertain deliveries")
    return exits.of_day(settle.day_state(counts))


def _settle(command: argparse.ArgumentParser, args: argparse.Namespace, config: Config) -> int:
    if not (args.sent or args.resend):
        command.error(
            "name the deliveries to settle: --sent ADDR… (the relay's log shows them "
            "delivered) or --resend ADDR… (to send again), by address or Message-ID"
        )
    day, kind, name = _digest(args, args.date)
    with existing_store(config) as store:
        done = settle.settle(
            store, day, config.now(), sent=args.sent, resend=args.resend, kind=kind
        )
        counts = store.delivery_counts(day, kind=kind)
        again = _resend_days(store, day, kind, done.resend)
        gone = [e for e in done.resend if _status(store, e) is not SubscriberStatus.ACTIVE]
    for email in done.sent:
        print(f"{name}: {email} marked as sent")
    for email in done.resend:
        print(f"{name}: {email} queued again")
    for email in gone:
        print(f"{email} is not active (bounced or unsubscribed): the next send leaves them out")
    for when in again:
        print(f"the next send mails them: publisher send --date {when}")
    left = counts[DeliveryStatus.UNCERTAIN]
    if left:
        weekly = " --weekly" if args.weekly else ""
        print(f"{left} uncertain left: publisher deliveries list --date {day}{weekly} --uncertain")
    return exits.of_day(settle.day_state(counts))


def _status(store: Store, email: str) -> SubscriberStatus | None:
    person = subscribers.by_email(store, email)
    return None if person is None else person.status


def _resend_days(
    store: Store, day: dt.date, kind: DigestKind, emails: tuple[str, ...]
) -> list[dt.date]:
    """The sends that mail rows queued again: the day's own, or for a weekly the day it
    goes to each of those readers (their weekday in the week after)."""
    if not emails:
        return []
    if kind is DigestKind.DAILY:
        return [day]
    weekdays = set()
    for email in emails:
        person = subscribers.by_email(store, email)
        if person is not None and person.weekday is not None:
            weekdays.add(person.weekday)
    return sorted(sending_day(day, weekday) for weekday in weekdays)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser(
        "deliveries",
        help="list a day's deliveries, or settle the uncertain ones by hand",
        description="Uncertain mail (the server may or may not have taken it) is never "
        "resent on its own. Look its Message-ID up in the relay's log, then settle each one.",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="count a day's deliveries by state and list the uncertain ones",
        description="Count a day's deliveries by state and list the uncertain ones with "
        f"their Message-IDs. {exits.HELP}",
    )
    listing.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD", help="default: today")
    listing.add_argument(
        "--uncertain", action="store_true", help="list only the uncertain deliveries"
    )
    _weekly_option(listing)
    listing.set_defaults(handler=_list)

    settling = actions.add_parser(
        "settle",
        help="mark uncertain deliveries as sent, or queue them (or failed ones) again",
        description="Mark uncertain deliveries of a day, each named by address or "
        "Message-ID: --sent for those the relay's log shows delivered, --resend for those it "
        "does not (the next send mails them). --resend also takes failed deliveries, for "
        "when what made them fail is fixed. Nothing changes if a name is not an uncertain or "
        f"failed delivery of the day. {exits.HELP}",
    )
    settling.add_argument(
        "--date", type=date_argument, metavar="YYYY-MM-DD", required=True, help="the day"
    )
    settling.add_argument(
        "--sent", nargs="+", default=[], metavar="ADDR", help="addresses or Message-IDs"
    )
    settling.add_argument(
        "--resend", nargs="+", default=[], metavar="ADDR", help="addresses or Message-IDs"
    )
    _weekly_option(settling)
    changes_store(settling)
    settling.set_defaults(handler=functools.partial(_settle, settling))


def _weekly_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="the weekly digest of the week holding --date (status names it by its Monday)",
    )
