"""post, posts list, posts settle: a day's articles to the Telegram channels of
`[telegram]`, each at most once, and the uncertain posts settled by hand."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from collections import Counter

from publisher.cli import exits
from publisher.cli.options import changes_store, date_argument, existing_store
from publisher.config import Config
from publisher.delivery.settle import DayState
from publisher.errors import PublisherError
from publisher.records import Post, PostStatus
from publisher.run.signals import stop_on_signals
from publisher.store import Store

SETTLE = "publisher posts settle --date {day} --sent KEY… --resend KEY…"


def day_state(posts: list[Post]) -> DayState:
    """As a day's mail: attention for a failed or uncertain post, unfinished while some wait."""
    counts = Counter(post.status for post in posts)
    if counts[PostStatus.FAILED] or counts[PostStatus.UNCERTAIN]:
        return DayState.ATTENTION
    if counts[PostStatus.QUEUED] or counts[PostStatus.SENDING]:
        return DayState.UNFINISHED
    return DayState.COMPLETE


def counted(posts: list[Post]) -> list[str]:
    """A line per edition and chat: how many posts are in each state."""
    by_chat: dict[tuple[str, str], Counter[str]] = {}
    for post in posts:
        by_chat.setdefault((post.edition, post.chat), Counter())[post.status.value] += 1
    return [
        f"  {edition} {chat}: " + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        for (edition, chat), states in by_chat.items()
    ]


def uncertain_help(posts: list[Post], day: dt.date) -> list[str]:
    uncertain = [post for post in posts if post.status is PostStatus.UNCERTAIN]
    if not uncertain:
        return []
    return [
        "uncertain (may or may not be in the channel; never posted again unless you say so):",
        *(f"  {post.edition} {post.chat}  {post.article[:16]}  {post.error}" for post in uncertain),
        f"  look in each channel, then settle each: {SETTLE.format(day=day)}",
    ]


def _post(args: argparse.Namespace, config: Config) -> int:
    from publisher.run import posting

    if not config.telegram.channels:
        raise PublisherError("no channel to post to: set telegram.channels in the config")
    now = config.now()
    day: dt.date = args.date or now.date()
    stop = threading.Event()
    with existing_store(config) as store:
        with stop_on_signals(stop):
            report = posting.post(config, store, day, now, stop=stop)
        assert report is not None
        print(report.summary())
        posts = store.posts_of(day)
    for line in [*counted(posts), *uncertain_help(posts, day)]:
        print(line)
    if report.stopped:
        print("run the same command again to go on")
    return exits.of_day(day_state(posts))


def _list(args: argparse.Namespace, config: Config) -> int:
    day: dt.date = args.date or config.now().date()
    with existing_store(config) as store:
        posts = store.posts_of(day)
    print(f"posts {day}:" + ("" if posts else " none"))
    for line in [*counted(posts), *uncertain_help(posts, day)]:
        print(line)
    return exits.of_day(day_state(posts))


def _settle(args: argparse.Namespace, config: Config) -> int:
    if not (args.sent or args.resend):
        raise PublisherError("name the posts to settle: --sent KEY… and/or --resend KEY…")
    with existing_store(config) as store:
        for keys, status in ((args.sent, PostStatus.SENT), (args.resend, PostStatus.QUEUED)):
            for key in keys:
                for post in _uncertain(store, args.date, key, args.edition):
                    store.settle_post(post.id, status, config.now(), error=post.error)
                    verb = "in the channel" if status is PostStatus.SENT else "to post again"
                    print(f"{post.edition} {post.chat} {post.article[:16]}: {verb}")
        posts = store.posts_of(args.date)
    if any(post.status is PostStatus.QUEUED for post in posts):
        print(f"the next `publisher post --date {args.date}` posts those again")
    return exits.of_day(day_state(posts))


def _uncertain(store: Store, day: dt.date, key: str, edition: str | None) -> list[Post]:
    """The day's uncertain posts of the article whose key begins with `key` (the 16 digits
    of its page's name will do), in `edition` only when given."""
    found = [
        post
        for post in store.posts_of(day, PostStatus.UNCERTAIN)
        if post.article.startswith(key.lower()) and edition in (None, post.edition)
    ]
    if len(key) < 8 or not found:
        raise PublisherError(f"{key}: no uncertain post of {day} with such a key (see posts list)")
    return found


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    post = commands.add_parser(
        "post",
        help="post a day's articles to the Telegram channels (each at most once)",
        description="Post each article of a day to its edition's Telegram channel "
        "(telegram.channels), with the bot token from $PUBLISHER_TELEGRAM_TOKEN: title, "
        "source, date and a link to its page. Safe to run again: nothing is posted twice; "
        "a post that was cut off after it went out is uncertain until you settle it "
        f"(publisher posts settle). {exits.HELP.replace('mail', 'posts')}",
    )
    post.add_argument(
        "--date",
        type=date_argument,
        metavar="YYYY-MM-DD",
        help="the articles' day (default: today in the site's time zone)",
    )
    changes_store(post)
    post.set_defaults(handler=_post)

    posts = commands.add_parser("posts", help="list a day's Telegram posts, settle uncertain ones")
    actions = posts.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="a day's posts by channel and state")
    listing.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD",
                         help="the articles' day (default: today)")  # fmt: skip
    listing.set_defaults(handler=_list)
    settling = actions.add_parser(
        "settle",
        help="settle uncertain posts: in the channel (--sent) or to post again (--resend)",
        description="A post whose fate is unknown (the poster was cut off between handing it "
        "to the Bot API and its answer) is never posted again on its own. Look in the "
        "channel, then name each by its article key (the 16 digits of its page's name): "
        "--sent if it is there, --resend to have the next `publisher post` post it.",
    )
    settling.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD", required=True)
    settling.add_argument("--edition", metavar="TAG", help="only this edition's channel")
    settling.add_argument("--sent", nargs="+", default=[], metavar="KEY",
                          help="posts that are in the channel")  # fmt: skip
    settling.add_argument("--resend", nargs="+", default=[], metavar="KEY",
                          help="posts that are not: the next `post` posts them")  # fmt: skip
    changes_store(settling)
    settling.set_defaults(handler=_settle)
