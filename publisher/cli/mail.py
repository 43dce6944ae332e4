"""Commands for the mail side: the subscriber list and rendering the daily digest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from publisher.cli.options import (
    EDITION_OPTIONS,
    SCRIPT_ALIAS,
    changes_store,
    date_argument,
    edition_argument,
    existing_store,
)
from publisher.config import Config
from publisher.editions import Editions
from publisher.errors import SubscriberError
from publisher.mail import preferences, privacy, subscribers, tokens
from publisher.records import Frequency
from publisher.store import Store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_subscribers(commands)
    digest = commands.add_parser(
        "digest",
        help="build the site, the digest's web archive with it, and print a day's digest pages",
        description="A shortcut: `publisher build` (which writes every day's digest pages "
        "and the digest feeds with the other static pages), then the paths of one day's "
        "digest page in each edition. Sends nothing.",
    )
    digest.add_argument(
        "--date", type=date_argument, metavar="YYYY-MM-DD", help="default: today in the site's zone"
    )
    changes_store(digest)
    digest.set_defaults(handler=_digest)


def _register_subscribers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser(
        "subscribers",
        help="add, import, list or remove digest subscribers",
        description="Manage the people who get the daily digest.",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="add an active subscriber (or change an active subscriber's edition)",
        description="Add an address as an active subscriber. Safe to run twice: an address "
        "already active in that edition is left as it is (exit 0); with another edition, its "
        "edition is changed. Someone pending or unsubscribed is refused (exit 1).",
    )
    add.add_argument("email", help="the subscriber's address")
    add.add_argument(
        *EDITION_OPTIONS,
        dest="edition",
        metavar="EDITION",
        help="an edition of the site ([[editions]]) or a tag such as zh-Hant, zh-Hans, zh-TW, "
        f"zh-HK, zh-CN (default: scripts.default from the config). {SCRIPT_ALIAS}",
    )
    add.add_argument("--name", default="", help="the subscriber's name (optional)")
    changes_store(add)
    add.set_defaults(handler=_add)

    imports = actions.add_parser(
        "import",
        help="add subscribers from a CSV file of email,edition[,name] rows",
        description="Add the good rows as active subscribers and report each bad row by its "
        "line number. Addresses already on the list are left as they are, so importing a "
        "file twice changes nothing, and nobody who unsubscribed is put back. The edition "
        "column names a script, zh-Hant or zh-Hans (its first edition).",
    )
    imports.add_argument("file", type=Path, help="CSV file; a header row is allowed")
    changes_store(imports)
    imports.set_defaults(handler=_import)

    listing = actions.add_parser("list", help="show every subscriber with edition and status")
    listing.set_defaults(handler=_list)

    remove = actions.add_parser(
        "remove",
        help="unsubscribe an address (the record stays, so it is never mailed again)",
    )
    remove.add_argument("email", help="the subscriber's address")
    changes_store(remove)
    remove.set_defaults(handler=_remove)

    _register_set(actions)

    export = actions.add_parser(
        "export",
        help="print everything stored about a subscriber, as JSON",
        description="Print, as JSON, everything the store holds about one subscriber: "
        "address, edition, choices, sign-up and confirmation times, deliveries, bounces.",
    )
    export.add_argument("email", help="the subscriber's address")
    export.set_defaults(handler=_export)

    erase = actions.add_parser(
        "erase",
        help="forget a subscriber: delete them and their history, keep a keyed hash only",
        description="Delete the subscriber, their deliveries and bounces. Only a keyed hash "
        "of the address stays, so that no import ever mails them again.",
    )
    erase.add_argument("email", help="the subscriber's address")
    changes_store(erase)
    erase.set_defaults(handler=_erase)


def _register_set(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    choose = actions.add_parser(
        "set",
        help="change a subscriber's edition, sources, frequency or pause",
        description="Change a subscriber's choices, as on their preferences page; they take "
        "effect from the next digest. A weekly reader gets the last complete week's digest "
        "on their weekday and no daily one; a reader whose sources published nothing in a "
        "digest gets no mail for it (recorded as skipped).",
    )
    choose.add_argument("email", help="the subscriber's address")
    choose.add_argument(
        *EDITION_OPTIONS,
        dest="edition",
        metavar="EDITION",
        help=f"an edition, or zh-Hant, zh-Hans, zh-TW, zh-HK, zh-CN. {SCRIPT_ALIAS}",
    )
    choose.add_argument("--frequency", type=Frequency, choices=list(Frequency))
    choose.add_argument(
        "--weekday", choices=preferences.WEEKDAYS, help="the day of a weekly digest"
    )
    sources = choose.add_mutually_exclusive_group()
    sources.add_argument(
        "--sources",
        metavar='"A,B"',
        help="only these sources (comma-separated names, as `publisher status` lists them)",
    )
    sources.add_argument(
        "--all-sources", action="store_true", help="every source, new ones included"
    )
    pause = choose.add_mutually_exclusive_group()
    pause.add_argument(
        "--pause-until",
        type=date_argument,
        metavar="YYYY-MM-DD",
        help="send nothing before this day's digest",
    )
    pause.add_argument("--resume", action="store_true", help="end a pause now")
    changes_store(choose)
    choose.set_defaults(handler=_set)


def _set(args: argparse.Namespace, config: Config) -> int:
    now = config.now()
    with Store(config.storage) as store:
        change = preferences.Change(
            edition=edition_argument(config, args.edition) if args.edition else None,
            frequency=args.frequency,
            weekday=preferences.WEEKDAYS.index(args.weekday) if args.weekday else None,
            paused_until=args.pause_until,
            resume=args.resume,
            opted_out=_opted_out(config, store, args),
        )
        person = privacy.find(store, args.email)
        person = preferences.apply(store, person, change, now.date())
        opted_out = store.opted_out_sources(person.id)
    weekly = f" on {preferences.WEEKDAYS[person.weekday]}" if person.weekday is not None else ""
    paused = f", paused until {person.paused_until}" if person.paused_until else ""
    but = f", all sources but {', '.join(sorted(opted_out))}" if opted_out else ", all sources"
    edition = subscribers.edition_of(person)
    print(f"{person.email}: {edition}, {person.frequency}{weekly}{paused}{but}")
    return 0


def _opted_out(config: Config, store: Store, args: argparse.Namespace) -> frozenset[str] | None:
    if args.all_sources:
        return frozenset()
    if args.sources is None:
        return None
    known = [tally.name for tally in store.counts_by_source()]
    from publisher.articles.conversion import Scripts  # OpenCC: only where names are read

    # A name in either script: the operator may copy it from any edition's page.
    editions = Editions.from_config(config)
    spelt = preferences.spellings(known, Scripts.from_config(config), editions)
    return preferences.opt_outs(known, args.sources.split(","), spelt)


def _add(args: argparse.Namespace, config: Config) -> int:
    edition = edition_argument(config, args.edition or config.scripts.default)
    with Store(config.storage) as store:
        enrolment = subscribers.enrol(store, args.email, edition, config.now(), name=args.name)
    print(enrolment.describe())
    return 0


def _import(args: argparse.Namespace, config: Config) -> int:
    with Store(config.storage) as store:
        report = subscribers.import_csv(
            store, args.file, config.now(), secret=tokens.load_secret(config)
        )
    *problems, summary = report.describe()
    for line in problems:
        print(line, file=sys.stderr)
    print(summary)
    return 1 if report.errors else 0


def _list(args: argparse.Namespace, config: Config) -> int:
    from publisher.editions import Editions

    editions = Editions.from_config(config)
    with existing_store(config) as store:
        everyone = subscribers.everyone(store)
    for person in everyone:
        # The edition they get: a stored "" (or one since removed) is the script's first.
        edition = editions.of(person.script, person.edition).tag
        print(f"{person.email}\t{edition}\t{person.status}\t{person.name}".rstrip())
    return 0


def _remove(args: argparse.Namespace, config: Config) -> int:
    with existing_store(config) as store:
        person = subscribers.by_email(store, args.email)
        if person is None:
            raise SubscriberError(f"{args.email} is not on the list")
        person = subscribers.unsubscribe(store, person.id, config.now())
    print(f"unsubscribed {person.email}")
    return 0


def _export(args: argparse.Namespace, config: Config) -> int:
    with Store(config.storage) as store:
        data = privacy.export(store, privacy.find(store, args.email))
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _erase(args: argparse.Namespace, config: Config) -> int:
    with Store(config.storage) as store:
        person = privacy.find(store, args.email)
        cleared = privacy.erase(store, person, tokens.load_secret(config))
    print(f"erased {person.email}: only a keyed hash of the address is kept")
    if not cleared:
        print(
            f"publisher: warning: another process kept reading the store, so the old pages "
            f"stay in {config.storage}-wal until its next checkpoint (when the last "
            "publisher process using the store ends)",
            file=sys.stderr,
        )
    return 0


def _digest(args: argparse.Namespace, config: Config) -> int:
    # Here, not at the top: only this command needs the renderers (jinja2, premailer, feedgen).
    from publisher.mail.archive import build_site, day_pages
    from publisher.run.hubs import notify_hubs

    now = config.now()
    day = args.date or now.date()
    with Store(config.storage) as store:
        build_site(config, store, now)
        pinged = notify_hubs(config, store, now)
        stored = bool(store.articles(day=day, limit=1))
    if pinged is not None:
        print(pinged.summary())
    if not stored:
        print(f"no articles for {day.isoformat()}: no digest", file=sys.stderr)
        return 0
    for path in day_pages(config, day):
        print(path)
    return 0
