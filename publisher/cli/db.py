"""db status, db upgrade: the store's schema version and its migrations."""

from __future__ import annotations

import argparse

from publisher.cli.options import changes_store
from publisher.config import Config
from publisher.errors import StorageError


def _missing(config: Config) -> StorageError:
    return StorageError(
        f"{config.database}: no store here yet; start one with: publisher ingest FILE"
    )


def _status(_: argparse.Namespace, config: Config) -> int:
    from publisher.store import migrations, schema_status

    if not config.database.exists():
        raise _missing(config)
    version, pending = schema_status(config.database)
    print(f"store: {config.database}")
    print(f"schema: version {version} (this publisher knows up to {migrations.LATEST})")
    if not pending:
        print("up to date")
        return 0
    for step in pending:
        print(f"  pending {step.version}: {step.summary}")
    print("the next command that opens the store applies them, or now: publisher db upgrade")
    return 0


def _upgrade(_: argparse.Namespace, config: Config) -> int:
    from publisher.store import Store

    if not config.database.exists():
        raise _missing(config)
    with Store(config.database) as store:
        steps, version = store.upgraded, store.schema_version
    if not steps:
        print(f"{config.database}: schema version {version}, up to date")
        return 0
    before = steps[0].version - 1
    print(f"{config.database}: upgraded from schema version {before} to {version}")
    for step in steps:
        print(f"  {step.version}: {step.summary}")
    path = config.database.path
    backup = path.with_name(f"{path.name}.schema-{before}.bak")
    if config.database.engine == "sqlite" and backup.exists():
        print(f"the store as it was is kept in {backup}")
    return 0


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
