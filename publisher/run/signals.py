"""SIGTERM and SIGINT: the operator's way to stop a run or a server without losing work."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

Handler = Callable[[int, FrameType | None], None]


@contextmanager
def handling(handler: Handler) -> Iterator[None]:
    """While inside, `handler` takes SIGTERM and SIGINT; the previous handlers come back on
    leaving. Outside the main thread, where Python takes no signals, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT set `stop`: the run finishes and records the mail in
    flight, then ends. A second signal acts as usual (SIGTERM ends the process, SIGINT
    raises KeyboardInterrupt; that mail may then show as uncertain)."""

    def handle(signum: int, _: FrameType | None) -> None:
        name = signal.Signals(signum).name
        log.info("%s: stopping after the message in flight (again to quit at once)", name)
        stop.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    with handling(handle):
        yield
