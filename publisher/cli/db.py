"""db status, db upgrade: the store's schema version and its migrations; db copy: a whole
store into another database."""

from __future__ import annotations

import argparse
import dataclasses

from publisher.cli.options import changes_store
from publisher.config import Config, StorageConfig
from publisher.config_checks import check_storage
from publisher.errors import StorageError


def _missing(config: Config) -> StorageError:
    return StorageError(
        f"{config.storage}: no store here yet; start one with: publisher ingest FILE"
    )


def _status(_: argparse.Namespace, config: Config) -> int:
    from publisher.store import migrations, schema_status

    if not config.storage.exists():
        raise _missing(config)
    version, pending = schema_status(config.storage)
    print(f"store: {config.storage}")
    print(f"schema: version {version} (this publisher knows up to {migrations.LATEST})")
    if not pending:
        print("up to date")
        return 0
    for step in pending:
        print(f"  pending {step.version}: {step.summary}")
    print("the next command that opens the store applies them, or now: publisher db upgrade")
    return 0


def _upgrade(_: argparse.Namespace, config: Config) -> int:
    from publisher.store import Store, backups

    if not config.storage.exists():
        raise _missing(config)
    with Store(config.storage) as store:
        steps, version = store.upgraded, store.schema_version
    if not steps:
        print(f"{config.storage}: schema version {version}, up to date")
        return 0
    before = steps[0].version - 1
    print(f"{config.storage}: upgraded from schema version {before} to {version}")
    for step in steps:
        print(f"  {step.version}: {step.summary}")
    path = config.storage.file
    if path is not None and before > 0:
        print(f"the store as it was is kept in {backups.backup_path(path, before)}")
        print(
            "to undo: stop publisher, install the release you had, then run: "
            + backups.restore_command(path, before)
        )
    return 0


def _copy(args: argparse.Namespace, config: Config) -> int:
    from publisher.store.copying import copy_store

    source, target = (_location(config, url) for url in (args.source, args.target))
    if not source.exists():
        raise StorageError(f"{source}: no such store")
    counts = copy_store(source, target)
    total = sum(counts.values())
    print(f"copied {total} rows from {source} to {target}; the counts match:")
    for table, count in counts.items():
        print(f"  {table}: {count}")
    print(f"to use it: set storage.url = {args.target!r} in the config")
    return 0


def _location(config: Config, url: str) -> StorageConfig:
    """A URL as storage.url takes it, checked the same way; the password, if any, from
    the variable the config names."""
    problem = check_storage(url)
    if problem:
        raise StorageError(f"{url}: {problem}")
    settings = dataclasses.replace(config, storage=dataclasses.replace(config.storage, url=url))
    return settings.storage


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="the store's schema: its version and upgrades")
    actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="show the schema version and pending upgrades")
    status.set_defaults(handler=_status)
    upgrade = actions.add_parser(
        "upgrade",
        help="apply pending schema upgrades now (any command that opens the store does too), "
        "keeping a copy of the store as it was",
    )
    changes_store(upgrade)
    upgrade.set_defaults(handler=_upgrade)
    copy = actions.add_parser(
        "copy",
        help="copy a whole store into an empty one (e.g. SQLite to PostgreSQL), counts checked",
        description="Copy every row of SOURCE into TARGET, which must be empty, in one "
        "transaction; the row counts are compared before it commits. Stop publisher's "
        "commands and daemons first. A password comes from the variable storage.password_env "
        "names. Example: publisher db copy sqlite:///publisher.db "
        "postgresql://news@db.example.org/news",
    )
    copy.add_argument("source", metavar="SOURCE", help="sqlite:///PATH or postgresql://…")
    copy.add_argument("target", metavar="TARGET", help="sqlite:///PATH or postgresql://…")
    copy.set_defaults(handler=_copy)
