"""Argument types and options shared by the command modules."""

from __future__ import annotations

import argparse
import datetime as dt


def date_argument(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {value!r}") from None


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
