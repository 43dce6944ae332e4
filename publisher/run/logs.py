"""Where log lines go: stderr for every command, plus schedule.log_file for the daemon."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os

from publisher.config import Config

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PrivateLogFile(logging.handlers.WatchedFileHandler):
    """A log file created readable by its owner only, at first and whenever logrotate has
    moved it away: its warnings are about subscribers. A file already there keeps the
    mode its owner gave it."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def add_log_file(config: Config) -> logging.Handler | None:
    """Also log to schedule.log_file, if set (stderr keeps its lines too); returns the
    handler. A watched file is reopened when logrotate moves it away, so the daemon needs
    no restart for that."""
    if not config.schedule.log_file:
        return None
    path = config.path(config.schedule.log_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = PrivateLogFile(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
    return handler
