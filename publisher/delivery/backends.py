"""The backend the configuration names: a Maildir outbox or an SMTP relay."""

from __future__ import annotations

import time
from collections.abc import Callable

from publisher.config import Config
from publisher.delivery.outbox import Outbox
from publisher.delivery.smtp import Smtp
from publisher.delivery.transport import Transport


def open_transport(
    config: Config,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> Transport:
    """The backend named by delivery.backend, not yet opened."""
    delivery = config.delivery
    if delivery.backend == "smtp":
        return Smtp(delivery.smtp, clock=clock, sleep=sleep)
    return Outbox(config.path(delivery.outbox_dir))
