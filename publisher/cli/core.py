"""init, ingest, build, status.

Each handler imports what it runs: `publisher --help` and `status` must not pay for the
renderers (jinja2, feedgen) or OpenCC."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config
from publisher.editions import Editions
from publisher.errors import PublisherError
from publisher.files import write_atomic
from publisher.records import DigestKind

if TYPE_CHECKING:
    from publisher.store import Store

T = TypeVar("T")
DATES_SHOWN = 14  # dates shown in full by `status`


def _bar(label: str, unit: str) -> Callable[[Sequence[T]], Iterable[T]]:
    """A progress bar on stderr, only when it is a terminal (disable=None), never in cron."""
    from tqdm import tqdm  # only the commands that show progress pay for it

    return lambda items: tqdm(items, desc=label, unit=unit, disable=None, leave=False)


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"


def _init(args: argparse.Namespace, _: Config) -> int:
    from publisher.site import templating

    target: Path = args.config
    if target.exists() and not args.force:
        raise PublisherError(f"{target} exists already; use --force to overwrite it")
    # Whole or not at all: a config cut short by a kill would load with defaults for the rest.
    write_atomic(target, (templating.builtin_templates() / "config.toml").read_bytes())
    print(f"wrote {target}; edit site.title and site.base_url, then run: publisher ingest FILE")
    return 0


def _ingest(args: argparse.Namespace, config: Config) -> int:
    from publisher.articles.ingest import ingest_files
    from publisher.store import Store

    failed = 0
    with Store(config.storage) as store:
        files = _bar("ingest", "file")(args.files)
        for outcome in ingest_files(config, store, files, day=args.date, now=config.now()):
            path = outcome.path
            if outcome.error is not None:
                failed += 1
                print(f"publisher: rejected {outcome.error}", file=sys.stderr)
            elif outcome.added == 0:
                print(f"{path}: nothing new ({_articles(outcome.duplicates)} already stored)")
            else:
                print(
                    f"{path}: {_articles(outcome.added)} added"
                    + (f", {outcome.duplicates} already stored" if outcome.duplicates else "")
                )
    return 1 if failed else 0


def _build(args: argparse.Namespace, config: Config) -> int:
    from publisher.mail.archive import build_site
    from publisher.run.hubs import notify_hubs
    from publisher.store import Store

    now = config.now()
    with Store(config.storage) as store:
        report = build_site(
            config,
            store,
            now,
            progress=_bar("writing", "file"),
            full=args.full,
            looking=_bar("looking", "file"),
        )
        pinged = notify_hubs(config, store, now)
        empty = not store.articles(limit=1)
    if empty:
        # Not an error (a new site's first build), but a site with no news is rarely meant.
        print(
            f"publisher: warning: no articles stored yet in {config.storage}, so the site "
            "has none; store a batch first: publisher ingest FILE",
            file=sys.stderr,
        )
    print(
        f"{config.output_dir}: {report.written} files written, {report.unchanged} unchanged "
        f"({report.seconds:.2f} s)"
    )
    if pinged is not None:
        print(pinged.summary())
    return 0


def _status(_: argparse.Namespace, config: Config) -> int:
    with existing_store(config) as store:
        print(f"store: {config.storage}")
        _print_articles(store)
        _print_mail(store, Editions.from_config(config))
        _print_confirmations(store, config)
        _print_rates(store, Editions.from_config(config), config)
        _print_posts(store)
    return 0


def _print_confirmations(store: Store, config: Config) -> None:
    """The confirmation mails `serve` has not sent yet, and why: a relay that is down
    shows here long before a reader writes to say no mail came."""
    backlog = store.confirmation_backlog()
    if not backlog.waiting and not backlog.uncertain:
        return
    line = f"confirmation mails: {backlog.waiting} waiting"
    if backlog.oldest is not None:
        since = dt.datetime.fromtimestamp(backlog.oldest, config.site.zone)
        line += f", the oldest since {since.isoformat(timespec='seconds')}"
    print(line)
    if backlog.last_error:
        print(f"  last attempt: {backlog.last_error} (is the relay down?)")
    if backlog.uncertain:
        print(f"  {backlog.uncertain} uncertain: cut off after the relay had the mail")


def _print_posts(store: Store) -> None:
    counts = store.post_counts(DATES_SHOWN)
    if not counts:
        return
    print("telegram posts:")
    days: dict[str, list[str]] = {}
    for day, edition, chat, state, count in counts:
        days.setdefault(f"{day}  {edition} {chat}", []).append(f"{count} {state}")
    for name, states in days.items():
        print(f"  {name}: {', '.join(states)}")


def _print_articles(store: Store) -> None:
    by_date = store.counts_by_date()
    print(f"articles: {sum(each.count for each in by_date)} on {len(by_date)} dates")
    for day in by_date[:DATES_SHOWN]:
        print(f"  {day.name}  {day.count}")
    if len(by_date) > DATES_SHOWN:
        print(f"  … {len(by_date) - DATES_SHOWN} earlier dates")
    print("sources:")
    for source in store.counts_by_source():
        print(f"  {source.count:5d}  {source.name}")
    last = store.last_build()
    if last is None:
        print("last build: never")
    else:
        print(
            f"last build: {last.finished.isoformat()} ({last.written} written, "
            f"{last.unchanged} unchanged, {last.seconds:.2f} s)"
        )


def _print_mail(store: Store, editions: Editions) -> None:
    # By edition: a stored "" (or an edition since removed) counts as the script's first.
    people: Counter[tuple[str, str]] = Counter()
    for tally in store.subscriber_counts():
        edition = editions.of(tally.script, tally.edition).tag
        people[(tally.status.value, edition)] += tally.count
    counted = ", ".join(f"{n} {status} {edition}" for (status, edition), n in people.items())
    print("subscribers: " + (counted or "none"))
    for kind in DigestKind:
        days = store.delivery_days(DATES_SHOWN, kind=kind)
        heading = "digests sent:" if kind is DigestKind.DAILY else "weekly digests sent:"
        if days or kind is DigestKind.DAILY:
            print(heading + ("" if days else " none"))
        for day in days:
            counts = store.delivery_counts(day, kind=kind)
            states = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
            name = f"{day}" if kind is DigestKind.DAILY else f"week of {day}"
            print(f"  {name}  {states}")
            for reply, n in store.waiting_reasons(day, kind=kind):
                print(f"    waiting: {n} × {_explained(reply)}")
            for row in store.uncertain_deliveries(day, kind=kind):
                print(f"    uncertain: {row.email} {row.message_id} ({row.reason})")
    run = store.last_run()
    if run is not None:
        done = f"finished {run.finished.isoformat()}: {run.summary}" if run.finished else ""
        print(f"last daily run: {run.day}, " + (done or "not finished"))


def _print_rates(store: Store, editions: Editions, config: Config) -> None:
    """Complaints and hard bounces per digest day, in all and per edition, back from the
    latest digest sent, and how the days not yet acknowledged stand against the levels."""
    import dataclasses

    from publisher.delivery import reputation

    latest = store.delivery_days(1)
    if not latest:
        return
    levels = reputation.Levels(**dataclasses.asdict(config.rates))
    days = reputation.recent(store, editions, latest[0], levels.days)
    print(f"complaints and bounces ({levels.days} days back from the latest digest):")
    for day, (total, shown) in days.items():
        print(f"  {day}  {total.describe()}")
        for each in shown if len(shown) > 1 else []:
            print(f"    {each.edition}: {each.describe()}")
    judged = reputation.judge(days, levels, store.rates_accepted_through())
    if judged.level is reputation.Level.STOP:
        print(
            f"  send stops: {judged.message(levels)}; see why, then publisher send --accept-rates"
        )
    elif judged.level is reputation.Level.WARN:
        print(f"  warning: {judged.message(levels)}")


def _explained(reply: str) -> str:
    from publisher.mail.refusals import Verdict, of_reply

    refusal = of_reply(reply)
    if refusal is None:
        return reply
    fix = " (fix it, then send again)" if refusal.verdict is Verdict.SENDER else ""
    return f"{reply} — {refusal.verdict}: {refusal.meaning}{fix}"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write a starter config.toml (at --config's path)",
        description="Write a commented starter configuration to the --config path.",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=_init, needs_config=False)

    ingest = commands.add_parser(
        "ingest",
        help="store the articles of batch files (each in both scripts)",
        description="Parse batch files (a title line, then a body line ending with "
        "'(source)') and store their articles. A bad file is rejected whole and named with "
        "its line; the other files still go in. Re-ingesting adds nothing.",
    )
    ingest.add_argument("files", nargs="+", type=Path, metavar="FILE", help="batch files")
    ingest.add_argument(
        "--date",
        type=date_argument,
        metavar="YYYY-MM-DD",
        help="the batch date (default: a date in the file name, else today in the site zone)",
    )
    ingest.set_defaults(handler=_ingest)
    changes_store(ingest)

    build_parser = commands.add_parser(
        "build",
        help="write the feeds, static pages and digest archive of every edition",
        description="Render feeds, pages and the digest's web archive under "
        "site.output_dir. Only what changed is rendered; unchanged files keep their bytes "
        "and mtime. An unchanged store returns at once, unless files were deleted from the "
        "output folder since the last build: those are made again.",
    )
    build_parser.add_argument(
        "--full",
        action="store_true",
        help="plan every output, look at every file and re-make any that is missing",
    )
    build_parser.set_defaults(handler=_build)
    changes_store(build_parser)

    status = commands.add_parser(
        "status",
        help="show what is stored: articles per date and source, the last build",
        description="Summarise the store.",
    )
    status.set_defaults(handler=_status)
