"""The schema in sight: publisher/store/schema.sqlite.sql and schema.postgresql.sql are what
the migration steps make of an empty store, on each engine, byte for byte."""

from __future__ import annotations

import os

import pytest

from publisher.config import Config
from publisher.store import Store, schema

pytestmark = pytest.mark.engines


def test_the_checked_in_schema_is_what_the_steps_make(config: Config, engine: str) -> None:
    with Store(config.storage) as store:
        made = schema.dump(store.db)
    path = schema.FILES[engine]
    if os.environ.get("PUBLISHER_REGENERATE"):
        path.write_text(made, encoding="utf-8")
    written = path.read_text(encoding="utf-8") if path.exists() else ""
    assert written == made, (
        f"{path.name} is not what the migration steps make; after changing a step, rewrite "
        f"both files with `{schema.REWRITE}` and review their diff"
    )
