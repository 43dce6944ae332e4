"""deliveries: list a day's mail, and settle the uncertain ones by hand."""

from __future__ import annotations

import argparse
import datetime as dt

from publisher.cli import exits
from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config
from publisher.delivery import settle
from publisher.records import DeliveryStatus
from publisher.store import Store


def uncertain_lines(store: Store, day: dt.date, limit: int | None = None) -> list[str]:
    rows = store.uncertain_deliveries(day)
    lines = [f"  {row.email}  {row.message_id or '-'}  {row.reason}" for row in rows[:limit]]
    if limit is not None and len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more")
    return lines


def _list(args: argparse.Namespace, config: Config) -> int:
    day: dt.date = args.date or config.now().date()
    with existing_store(config) as store:
        counts = store.delivery_counts(day)
        if not args.uncertain:
            print(f"{day}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
        lines = uncertain_lines(store, day)
    if lines:
        print(f"uncertain ({len(lines)}):")
        print("\n".join(lines))
    elif args.uncertain:
        print(f"{day}: no uncertain deliveries")
    return exits.of_day(settle.day_state(counts))


def _settle(args: argparse.Namespace, config: Config) -> int:
    with existing_store(config) as store:
        done = settle.settle(store, args.date, config.now(), sent=args.sent, resend=args.resend)
        counts = store.delivery_counts(args.date)
    for email in done.sent:
        print(f"{args.date}: {email} marked as sent")
    for email in done.resend:
        print(f"{args.date}: {email} queued again")
    if done.resend:
        print(f"the next send mails them: publisher send --date {args.date}")
    left = counts[DeliveryStatus.UNCERTAIN]
    if left:
        print(f"{left} uncertain left: publisher deliveries list --date {args.date} --uncertain")
    return exits.of_day(settle.day_state(counts))


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
    listing.set_defaults(handler=_list)

    settling = actions.add_parser(
        "settle",
        help="mark uncertain deliveries as sent, or queue them to be sent again",
        description="Mark uncertain deliveries of a day, each named by address or "
        "Message-ID: --sent for those the relay's log shows delivered, --resend for those it "
        "does not (the next send mails them). Nothing changes if a name is not an uncertain "
        f"delivery of the day. {exits.HELP}",
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
    changes_store(settling)
    settling.set_defaults(handler=_settle)
