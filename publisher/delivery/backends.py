"""The backend the configuration names: a Maildir outbox or an SMTP relay."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from publisher.delivery.outbox import Outbox
from publisher.delivery.smtp import Smtp
from publisher.delivery.transport import Transport
from publisher.settings import DeliveryConfig


class TransportSettings(Protocol):
    """What choosing the backend reads of the configuration (a Config is one): [delivery]
    and the folder its outbox is taken from."""

    @property
    def delivery(self) -> DeliveryConfig: ...

    def path(self, value: str) -> Path: ...


def open_transport(
    config: TransportSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> Transport:
    """The backend named by delivery.backend, not yet opened."""
    delivery = config.delivery
    if delivery.backend == "smtp":
        return Smtp(delivery.smtp, clock=clock, sleep=sleep)
    return Outbox(config.path(delivery.outbox_dir))
