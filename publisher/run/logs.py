"""Where log lines go: stderr for every command, plus schedule.log_file for the daemon."""

from __future__ import annotations

import logging
import logging.handlers

from publisher.config import Config

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_log_file(config: Config) -> None:
    """Also log to schedule.log_file, if set (stderr keeps its lines too). A watched file
    is reopened when logrotate moves it away, so the daemon needs no restart for that."""
    if not config.schedule.log_file:
        return
    path = config.path(config.schedule.log_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
