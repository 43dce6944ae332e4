"""conversions diff: what a change of the conversion settings changed, for an editor."""

from __future__ import annotations

import argparse

from publisher.cli.options import changes_store, date_argument
from publisher.config import Config


def _diff(args: argparse.Namespace, config: Config) -> int:
    from publisher.articles.conversion import Scripts
    from publisher.articles.renditions import convert_missing, corrections
    from publisher.editions import Editions
    from publisher.store import Store

    scripts, editions = Scripts.from_config(config), Editions.from_config(config)
    with Store(config.storage) as store:
        convert_missing(store, scripts, editions, config.now())
        shown = 0
        for correction in corrections(store, scripts, editions):
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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    conversions = commands.add_parser(
        "conversions", help="review what changed conversion settings change in articles"
    )
    actions = conversions.add_subparsers(dest="action", metavar="ACTION", required=True)
    diff = actions.add_parser(
        "diff",
        help="convert what the current settings (protected terms, dictionaries, OpenCC) "
        "change and list, per article, the phrases before → after, newest correction first; "
        "the next build publishes them with a newer <updated>",
    )
    diff.add_argument(
        "--since", type=date_argument, metavar="YYYY-MM-DD", help="only corrections since then"
    )
    changes_store(diff)
    diff.set_defaults(handler=_diff)
