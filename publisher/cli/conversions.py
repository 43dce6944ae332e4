"""conversions diff: what a change of the conversion settings changed, for an editor;
conversions reports / accept / reject: readers' reports of a wrong conversion."""

from __future__ import annotations

import argparse
import sys

from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config


def _diff(args: argparse.Namespace, config: Config) -> int:
    from publisher.articles.conversion import Scripts
    from publisher.articles.renditions import corrections
    from publisher.editions import Editions
    from publisher.store import Store

    scripts, editions = Scripts.from_config(config), Editions.from_config(config)
    with Store(config.storage) as store:
        shown = 0
        # A review: what the current settings change is converted in memory, not stored.
        for correction in corrections(store, scripts, editions, config.now()):
            if args.since and correction.corrected.date() < args.since:
                break
            article = correction.article
            print(
                f"{article.batch_date} {correction.edition.tag} {correction.title}"
                f" (corrected {correction.corrected.isoformat(timespec='minutes')})"
            )
            for before, after in correction.phrases:
                print(f"  {before} → {after}")
            shown += 1
    print(f"{shown} {'article' if shown == 1 else 'articles'} read differently after a correction")
    return 0


def _reports(_: argparse.Namespace, config: Config) -> int:
    from publisher.articles.conversion import Scripts
    from publisher.articles.reports import open_reports
    from publisher.editions import Editions

    with existing_store(config) as store:
        listed = open_reports(store, Scripts.from_config(config), Editions.from_config(config))
    for each in listed:
        report = each.report
        wanted = f" → {report.suggestion}" if report.suggestion else ""
        when = report.reported.astimezone(config.site.zone).isoformat(timespec="minutes")
        print(f"{report.id}  {when}  {report.edition}  {report.phrase}{wanted}")
        print(f"    {each.title}")
        print(f"    {each.context or '(the converted text no longer shows it)'}")
    print(f"{len(listed)} open {'report' if len(listed) == 1 else 'reports'}")
    return 0


def _accept(args: argparse.Namespace, config: Config) -> int:
    from publisher.articles.conversion import Scripts
    from publisher.articles.reports import accept
    from publisher.articles.sitephrases import phrases_path
    from publisher.editions import Editions
    from publisher.store import Store

    path = phrases_path(config)
    with Store(config.storage) as store:
        scripts, editions = Scripts.from_config(config), Editions.from_config(config)
        done = accept(store, scripts, editions, path, args.id, args.right, config.now())
    print(f"report {args.id} accepted: {done.traditional} ⇄ {done.simplified} added to {path}")
    if not done.shows:
        print(
            "but the article's conversion still does not show it: a longer phrase of "
            f"OpenCC's around it wins; add that whole phrase to {path}",
            file=sys.stderr,
        )
        return 1
    print("see what it changes: publisher conversions diff; the next build re-issues them")
    return 0


def _reject(args: argparse.Namespace, config: Config) -> int:
    from publisher.articles.reports import reject
    from publisher.store import Store

    with Store(config.storage) as store:
        reject(store, args.id, config.now())
    print(f"report {args.id} rejected")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    conversions = commands.add_parser(
        "conversions", help="review what changed conversion settings change in articles"
    )
    actions = conversions.add_subparsers(dest="action", metavar="ACTION", required=True)
    diff = actions.add_parser(
        "diff",
        help="list, per article, the phrases that the current conversion settings "
        "(protected terms, dictionaries, OpenCC) change before → after, newest correction "
        "first; changes nothing: the next build stores and publishes them with a newer "
        "<updated>",
    )
    diff.add_argument(
        "--since", type=date_argument, metavar="YYYY-MM-DD", help="only corrections since then"
    )
    changes_store(diff)
    diff.set_defaults(handler=_diff)
    reports = actions.add_parser(
        "reports", help="list readers' open reports of a wrong conversion, newest first"
    )
    reports.set_defaults(handler=_reports)
    accept = actions.add_parser(
        "accept",
        help="add a report's phrase pair to the site's phrase file (scripts.phrases_file) and "
        "close it; the next build re-issues the articles it changes as corrections",
    )
    accept.add_argument("id", type=int, help="the report's number, from `conversions reports`")
    accept.add_argument(
        "--as",
        dest="right",
        default="",
        metavar="TEXT",
        help="the right form in the report's edition (default: the reader's suggestion)",
    )
    changes_store(accept)
    accept.set_defaults(handler=_accept)
    reject = actions.add_parser("reject", help="close a report without changing anything")
    reject.add_argument("id", type=int, help="the report's number")
    changes_store(reject)
    reject.set_defaults(handler=_reject)
