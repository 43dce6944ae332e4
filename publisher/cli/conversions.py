"""conversions diff: what a change of the conversion settings changed, for an editor."""

from __future__ import annotations

import argparse

from publisher.cli.options import changes_store, date_argument
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
