"""The command line: a thin layer that parses arguments, calls the library and turns
PublisherError into a message and an exit code. A bug still shows its traceback."""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from publisher import __version__, config
from publisher.cli import (
    bounces,
    conversions,
    core,
    daemon,
    db,
    deliveries,
    doctor,
    exits,
    mail,
    post,
    send,
)
from publisher.errors import LockError, PublisherError
from publisher.run.logs import LOG_FORMAT
from publisher.store import locks

# The long-running commands: their log is their output (the daemon's runs, the server's
# requests), so they log at INFO with time stamps.
SERVICES = frozenset({"run", "serve"})

# Each module adds its commands; every command sets `handler(args, config) -> exit code`.
COMMAND_MODULES = (core, mail, bounces, send, deliveries, post, daemon, db, conversions, doctor)


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error in one line, as every other error (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(exits.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    root = _Parser(
        prog="publisher",
        description="Turn daily batches of Chinese news into Atom feeds, static pages and a "
        "mail digest, in Traditional (zh-Hant) and Simplified (zh-Hans) script.",
    )
    root.add_argument("--version", action="version", version=f"publisher {__version__}")
    _global_options(root, config.DEFAULT_PATH, False)
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    _describe(root)
    return root


def _global_options(command: argparse.ArgumentParser, path: object, verbose: object) -> None:
    """--config and -v, which the README says every command takes, before the command or
    after it (`publisher build --config x.toml`). A command's own copy defaults to SUPPRESS,
    so that leaving it out keeps what was given before the command."""
    command.add_argument(
        "--config",
        type=Path,
        default=path,
        metavar="PATH",
        help="configuration file (default: ./config.toml; all defaults if that is missing)",
    )
    command.add_argument(
        "-v", "--verbose", action="store_true", default=verbose, help="log more detail to stderr"
    )


def _describe(command: argparse.ArgumentParser) -> None:
    """A command's --help opens with its one-line help where it has no longer description."""
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                sub.description = sub.description or summaries.get(name)
                _global_options(sub, argparse.SUPPRESS, argparse.SUPPRESS)
                _describe(sub)


class _Plain(logging.Formatter):
    """A warning as a command says it: `publisher: warning: …`, no time stamp, no logger."""

    def format(self, record: logging.LogRecord) -> str:
        return f"publisher: {record.levelname.lower()}: {record.getMessage()}"


def _set_up_logging(args: argparse.Namespace) -> None:
    """One voice per command: its plain lines on stdout, warnings on stderr. Time-stamped
    log lines only with -v, or from the services (`run`, `serve`), whose log is their output."""
    handler = logging.StreamHandler(sys.stderr)
    if args.verbose or args.command in SERVICES:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        level = logging.DEBUG if args.verbose else logging.INFO
    else:
        handler.setFormatter(_Plain())
        level = logging.WARNING
    logging.basicConfig(level=level, handlers=[handler])


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            # The last lines meet a closed pipe here rather than at the interpreter's exit,
            # where Python could only print the error.
            sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_closed():
            raise  # another pipe or socket broke: a bug's traceback, not the reader's end
        # `publisher status | head -2`: the reader has what it wanted. End as a command
        # killed by SIGPIPE ends, quietly; stdout goes nowhere so that no later flush fails.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exits.CLOSED_PIPE


def _stdout_closed() -> bool:
    """Whether stdout is a pipe with no reader left (poll says POLLERR of such a pipe)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no file number (a test's capture)
        return False


def _main(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    _set_up_logging(args)
    try:
        if getattr(args, "needs_config", True):
            settings = config.load(args.config)
        else:
            settings = config.Config()
        shared = getattr(args, "shared", False) and settings.storage.shared
        if getattr(args, "locks", False) and not shared:
            purpose = f"publisher {args.command}"
            zone = settings.site.zone
            with locks.hold(settings.storage, wait=args.wait, purpose=purpose, zone=zone):
                code: int = args.handler(args, settings)
        else:
            code = args.handler(args, settings)
    except PublisherError as error:
        print(f"publisher: error: {error}", file=sys.stderr)
        return exits.BUSY if isinstance(error, LockError) else exits.ATTENTION
    except KeyboardInterrupt:
        print("publisher: interrupted", file=sys.stderr)
        return 130
    return code
