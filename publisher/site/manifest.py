"""What the last build left in the output folder, so that the next one can tell, cheaply,
whether files were deleted by hand since: every folder that holds outputs and its mtime.

Deleting a file changes its folder's mtime, and deleting a folder removes it, so a build
that finds every folder as the last one left it may trust the files (the no-change build
stays a few thousand stat calls at 100,000 articles); one that finds a folder moved or gone
looks for the missing files. The record is kept in the cache (it can be made again: a
build without one looks at every file once), not in the output folder, whose own mtime
writing it would move.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from publisher.files import cache_home, private_folder, write_atomic


def _record_path(root: Path) -> Path | None:
    folder = private_folder(cache_home() / "outputs")
    if folder is None:
        return None
    name = hashlib.sha256(str(root.absolute()).encode()).hexdigest()[:32]
    return folder / f"{name}.json"


def _mtime(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except FileNotFoundError:
        return None


def recorded(root: Path) -> dict[str, int] | None:
    """The folders (relative to `root`, "." for itself) the last build recorded, with their
    mtimes; None when there is no record to go by."""
    path = _record_path(root)
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        return {str(name): int(mtime) for name, mtime in data["folders"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def moved(root: Path, folders: dict[str, int]) -> set[str]:
    """Those of the recorded `folders` that are gone or changed since."""
    return {name for name, mtime in folders.items() if _mtime(root / name) != mtime}


def parents(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths` (output paths), up to the root, "."."""
    found: set[str] = set()
    for path in paths:
        for parent in PurePosixPath(path).parents:
            if str(parent) in found:
                break
            found.add(str(parent))
    return found


def every_folder(root: Path) -> set[str]:
    """Every folder below `root` and itself: what a build that had no record, or found one
    out of date, records."""
    found = set()
    for folder, folders, _ in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]  # temporaries
        found.add(os.path.relpath(folder, root))
    return found


def record(root: Path, folders: Iterable[str]) -> None:
    """Note `folders` (relative to `root`) as they are now; the next build compares."""
    path = _record_path(root)
    if path is None:
        return
    now = {name: mtime for name in sorted(folders) if (mtime := _mtime(root / name)) is not None}
    # Without fsync: after a crash the record may be missing or torn, which reads as none.
    write_atomic(path, json.dumps({"root": str(root), "folders": now}).encode(), sync=False)
