"""Atomic file output: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# What mkstemp makes of write_atomic's prefix and suffix: .<name>.<8 random characters>.tmp
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly it; untouched files keep their
    mtime, so ETag and Last-Modified stay valid. Returns whether the file was written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def remove_temporaries(root: Path) -> int:
    """Delete the temporaries of write_atomic below `root`; returns how many. A process killed
    between creating and renaming one leaves it behind (any exception removes its own). Call
    only while holding the store lock: then no other writer's temporary can be live."""
    removed = 0
    for folder, _, names in os.walk(root):
        for name in names:
            if _TEMPORARY.fullmatch(name):
                Path(folder, name).unlink(missing_ok=True)
                removed += 1
    return removed
