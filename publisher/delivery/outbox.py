"""The Maildir backend: every mail a file, so the whole flow runs with no mail server.

The rename into new/ is the handover: before it no reader can see the mail, after it the
mail is delivered as far as publisher is concerned.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from pathlib import Path

from publisher.delivery import transport
from publisher.delivery.transport import Handover, Managed, Meanwhile, SendFailure, nothing
from publisher.errors import DeliveryError
from publisher.files import sync
from publisher.records import Letter

log = logging.getLogger(__name__)


class Outbox(Managed):
    """One file per mail in a Maildir: written to tmp/, fsynced, renamed into new/.

    A Maildir reader (mutt, Thunderbird's import, Python's `mailbox`, Dovecot) never sees a
    half-written mail; the name is unique per host, process and mail as the format asks.
    Files use LF line ends, the Maildir convention on Unix; the `.eml` suffix lets a file
    manager open one in a mail client and is just part of the unique name to Maildir readers.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = 0
        host = socket.gethostname() or "localhost"
        self._host = host.replace("/", r"\057").replace(":", r"\072")

    def open(self) -> None:
        try:
            for sub in ("tmp", "new", "cur"):
                (self.folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise DeliveryError(
                f"delivery.outbox_dir: cannot use {self.folder} as a Maildir: {error}"
            ) from None

    def send(
        self, letter: Letter, on_handover: Handover = nothing, meanwhile: Meanwhile = nothing
    ) -> None:
        """A Maildir answers nothing: `meanwhile` has no wait to fill and is not called."""
        name = self._unique_name()
        temp, final = self.folder / "tmp" / name, self.folder / "new" / name
        try:
            _write_synced(temp, letter.data.replace(b"\r\n", b"\n"))
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise SendFailure(
                f"{temp}: {error}", temporary=True, scope=transport.FailureScope.SERVER
            ) from None
        try:
            on_handover()
            os.rename(temp, final)
        except OSError as error:
            # rename() is atomic: if it failed, the mail is not in new/.
            temp.unlink(missing_ok=True)
            raise SendFailure(
                f"{final}: {error}", temporary=True, scope=transport.FailureScope.SERVER
            ) from None
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        try:
            sync(final.parent)
        except OSError as error:
            # The mail is in new/ already: reporting a failure would have it sent again.
            log.warning("%s: the mail is in place but the folder was not synced: %s", final, error)

    def _unique_name(self) -> str:
        self._count += 1
        seconds, micro = divmod(time.time_ns() // 1000, 1_000_000)
        unique = f"M{micro}P{os.getpid()}Q{self._count}R{secrets.token_hex(4)}"
        return f"{seconds}.{unique}.{self._host}.eml"


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
