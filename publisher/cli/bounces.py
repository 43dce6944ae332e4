"""`publisher bounces`: read returned mail (DSNs) and complaints (ARF) and apply them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publisher.cli.options import changes_store
from publisher.config import Config


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "bounces",
        help="read bounce reports (DSN) and complaints (ARF) from files, Maildirs or mboxes",
        description="Read delivery status notifications (RFC 3464) and complaint reports "
        "(ARF, RFC 5965). A bad address (5.1.x, 5.2.1) marks the subscriber bounced, so "
        "they are never mailed again; soft bounces (4.x.x, a full mailbox 5.2.2) are "
        "counted, and bounces.soft_limit of them within bounces.soft_days days do the same; "
        "a refusal that is the sender's problem (5.7.x: DKIM, SPF, DMARC, a blocklist; "
        "5.3.x, 5.4.x) marks nobody and is named in a warning; a complaint unsubscribes. Mail "
        "that is no report, or matches no mail of ours, is skipped with a warning. Reading "
        "the same mail twice changes nothing.",
    )
    command.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="a mail file, a Maildir or an mbox"
    )
    changes_store(command)
    command.set_defaults(handler=_bounces)


def _bounces(args: argparse.Namespace, config: Config) -> int:
    # Here, not at the top: `publisher --help` need not load the mail parsers.
    from publisher.mail import bounces, returns, tokens
    from publisher.store import Store

    limit = returns.SoftBounceLimit(config.bounces.soft_limit, config.bounces.soft_days)
    with Store(config.storage) as store:
        counted = returns.apply_all(
            store,
            bounces.read_paths(args.paths),
            limit,
            tokens.load_secret(config),
            config.now(),
        )
    print(counted.describe())
    for line in counted.warnings():
        print(f"publisher: warning: {line}", file=sys.stderr)
    return 1 if counted.counts["skipped"] else 0
