"""run (the daily scheduler, or one run for cron) and serve (the site and its forms)."""

from __future__ import annotations

import argparse
import datetime as dt

from publisher.cli import exits
from publisher.config import Config
from publisher.run.logs import add_log_file


def time_argument(value: str) -> dt.time:
    try:
        parsed = dt.time.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is not None or parsed.microsecond:
        raise argparse.ArgumentTypeError(f"not a time of day as HH:MM or HH:MM:SS: {value!r}")
    return parsed


def port_argument(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {value!r}")
    return port


def _run(args: argparse.Namespace, config: Config) -> int:
    # Imported here: `publisher --help` should not pay for APScheduler and the mail stack.
    from publisher.run import daemon

    add_log_file(config)
    if args.once:
        return exits.of_day(daemon.run_once(config, wait=args.wait))
    return daemon.run_forever(config, wait=args.wait, at=args.at)


def _serve(args: argparse.Namespace, config: Config) -> int:
    from publisher.web import app as web

    web.serve(config, args.host, args.port)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="run daily at schedule.time: ingest the inbox, build, archive and send the digest",
        description="Run as a daemon: every day at schedule.time (site time zone) ingest the "
        "files in schedule.inbox_dir (then moved to done/ or rejected/), build the site, write "
        "the digest archive and send today's digest. At start-up a missed run of today is "
        "caught up; a completed day never runs twice. SIGTERM or SIGINT stops cleanly after "
        "the message in flight. With --once, do today's run now and exit (for cron). "
        f"{exits.HELP}",
    )
    run.add_argument(
        "--once", action="store_true", help="do today's run now (unless complete) and exit"
    )
    run.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="when another publisher process holds the store, wait for it (default) or, "
        "with --no-wait, exit at once with a message naming it",
    )
    run.add_argument(
        "--at",
        type=time_argument,
        metavar="HH:MM[:SS]",
        help="run daily at this time (site time zone) instead of schedule.time",
    )
    run.set_defaults(handler=_run)

    serve = commands.add_parser(
        "serve",
        help="serve the output folder and the subscribe/confirm/unsubscribe pages over HTTP",
        description="Serve site.output_dir (conditional GET, gzip) and the subscribe, confirm "
        "and unsubscribe pages at the paths below site.base_url that feeds, pages and mails "
        "link to; a thread sends the confirmation mails the sign-ups queue, trying again "
        "while the relay is down. Limits and trusted proxies are in [web]. Put it behind a "
        "reverse proxy (nginx) for HTTPS; see docs/deploy.md.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=port_argument, default=8080, help="port to listen on (8080)")
    serve.set_defaults(handler=_serve)
