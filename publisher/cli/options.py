"""Argument types and options shared by the command modules."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from publisher.config import Config
from publisher.errors import PublisherError, SubscriberError
from publisher.records import Edition

if TYPE_CHECKING:
    from publisher.store import Store


def date_argument(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {value!r}") from None


# --edition takes an edition; --script, its name before (it took an edition all the same),
# stays accepted for one release. The usage line shows the first name only.
EDITION_OPTIONS = ("--edition", "--script")
SCRIPT_ALIAS = "--script: a deprecated alias of --edition, removed in the next release."


def edition_argument(config: Config, value: str) -> Edition:
    """The edition `--edition` names, by the site's [[editions]]; a clear error listing them."""
    from publisher.editions import Editions

    try:
        return Editions.from_config(config).named(value)
    except ValueError as error:
        raise SubscriberError(f"--edition: {error}") from None


def changes_store(command: argparse.ArgumentParser, *, shared: bool = False) -> None:
    """The command runs under the store lock, so it never works beside another run.
    `shared`: on PostgreSQL it runs beside others of its kind instead (several senders
    claim rows of their own), so there it takes no lock."""
    command.add_argument(
        "--wait",
        action="store_true",
        help="if another publisher process is working on the store, wait for it "
        "(default: exit at once, naming it)",
    )
    command.set_defaults(locks=True, shared=shared)


def existing_store(config: Config) -> Store:
    """The store for a command that reads it (or sends from it): one that is not there yet is
    not created empty, and the user learns how to start."""
    from publisher.store import Store

    if not config.storage.exists():
        raise PublisherError(
            f"no store yet at {config.storage}; start with: publisher ingest FILE… "
            "(or publisher init to write a config.toml first)"
        )
    return Store(config.storage)
