"""Files: input named in one line when it cannot be read (`open_input`, `read_input`),
and atomic output: a reader sees the old file or the new one, never half of one.

One file (`write_atomic`): write a temporary file in the same folder, fsync it, rename it
over the target. Many files (`FileBatch`, the build's thousands of pages): the temporary
files of a batch are written without an fsync each; one `syncfs` then makes all their data
durable, every rename follows, and each folder that got a rename is fsynced once. The
guarantee is the same as one fsync per file, at any kill or power cut: every target holds
its old bytes or its new bytes entirely (the data is on disk before any rename can be), and
once `commit()` returns every rename is on disk too. Only a stray
`.NAME.publisher-XXXXXXXX.tmp` file can be left behind, never under a target's name; the
sweep after a killed build takes those and nothing else. (An fsync of the folder alone
would not do: it makes the names durable, not the data behind them.)
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from publisher.errors import InputError


def unreadable(error: OSError) -> str:
    """Why a path the user gave cannot be read, in the user's words, not the OS's class."""
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, PermissionError):
        return "cannot be read: permission denied"
    return f"cannot be read: {error.strerror or error}"


def open_input(path: Path) -> BinaryIO:
    """Open a file the user named; InputError naming it when it is a folder, missing or
    unreadable."""
    try:
        return path.open("rb")
    except OSError as error:
        raise InputError(path, unreadable(error)) from None


def read_input(path: Path) -> bytes:
    with open_input(path) as handle:
        try:
            return handle.read()
        except OSError as error:
            raise InputError(path, unreadable(error)) from None


# What mkstemp makes of write_atomic's prefix and suffix:
# .<name>.publisher-<8 random characters>.tmp. The word is ours, so that the sweep of a
# killed build's temporaries (`remove_temporaries`) never takes another program's.
_MARK = "publisher-"
_TEMPORARY = re.compile(rf"\..+\.{_MARK}[a-z0-9_]{{8}}\.tmp")


def _temporary(path: Path, data: bytes, *, sync: bool) -> str:
    try:
        fd, temp = _created(path)
    except FileNotFoundError:  # a new folder: made then, not looked for before each file
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = _created(path)
    try:
        with memoryview(data) as left:
            while left:
                left = left[os.write(fd, left) :]
        os.fchmod(fd, 0o644)
        if sync:
            os.fsync(fd)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return temp


def _created(path: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_MARK}", suffix=".tmp")


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`.
    Without `sync`, for what can be made again (a cache): after a crash the file may be
    old or empty, which its reader must take as missing."""
    temp = _temporary(path, data, sync=sync)
    try:
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly it; untouched files keep their
    mtime, so ETag and Last-Modified stay valid. Returns whether the file was written."""
    if _unchanged(path, data):
        return False
    write_atomic(path, data)
    return True


# The C library on Linux, for what Python does not wrap (syncfs here, malloc_trim in the build).
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _sync_filesystem(folder: Path, temps: list[str]) -> None:
    """Make the data of `temps` durable: syncfs() on Linux (one call for the whole
    filesystem), else an fsync per file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if LIBC is not None and LIBC.syncfs(fd) == 0:
            return
    finally:
        os.close(fd)
    for temp in temps:
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())


class FileBatch:
    """Files written atomically together: see the module's docstring. `write_if_changed`
    stages a file; `commit` puts every staged file in place. Leaving the `with` block by an
    exception removes what is staged and not yet in place."""

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []

    def __enter__(self) -> FileBatch:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.commit()
        for temp, _ in self._staged:
            Path(temp).unlink(missing_ok=True)
        self._staged.clear()

    @property
    def staged(self) -> int:
        """Files staged and not yet in place."""
        return len(self._staged)

    def write_if_changed(self, path: Path, data: bytes) -> bool:
        """Stage `data` for `path` unless the file already holds exactly it."""
        if _unchanged(path, data):
            return False
        self._staged.append((_temporary(path, data, sync=False), path))
        return True

    def commit(self) -> None:
        """Data durable, then the renames, then each folder's names durable."""
        if not self._staged:
            return
        _sync_filesystem(self._staged[0][1].parent, [temp for temp, _ in self._staged])
        folders: set[Path] = set()
        while self._staged:
            temp, path = self._staged.pop()
            os.replace(temp, path)
            folders.add(path.parent)
        for folder in folders:
            sync(folder)


def sync(path: Path) -> None:
    """fsync a file (its data) or a folder (the names in it: a rename into it survives a
    power cut only once its folder is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cache_home() -> Path:
    """Where publisher keeps what it can make again: $XDG_CACHE_HOME/publisher, else
    ~/.cache/publisher."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "publisher"


def private_folder(path: Path) -> Path | None:
    """`path`, made if missing (mode 0700), when it is a folder of this user that nobody
    else can write to (what is read from it is run or trusted); else None."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = path.stat()
    except OSError:
        return None
    if not hasattr(os, "getuid"):  # no POSIX owners and modes to go by (Windows)
        return path if path.is_dir() else None
    ours = found.st_uid == os.getuid() and not found.st_mode & 0o022
    return path if ours and path.is_dir() else None


def remove_temporaries(root: Path) -> int:
    """Delete the temporaries of write_atomic below `root`, and folders named as they are (a
    build's working folders, `temporary_folder`); returns how many. A process killed between
    creating and renaming one leaves it behind (any exception removes its own). Call only
    while holding the store lock: then no other writer's temporary can be live."""
    removed = 0
    for folder, folders, names in os.walk(root):
        for name in [*folders]:
            if _TEMPORARY.fullmatch(name):
                shutil.rmtree(Path(folder, name), ignore_errors=True)
                folders.remove(name)
                removed += 1
        for name in names:
            if _TEMPORARY.fullmatch(name):
                Path(folder, name).unlink(missing_ok=True)
                removed += 1
    return removed


def temporary_folder(root: Path, name: str) -> Path:
    """A new private folder in `root` (made if missing) named as a temporary, so that what a
    killed process leaves there goes with its other temporaries (`remove_temporaries`)."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.{_MARK}", suffix=".tmp"))
