"""The WebSub step of a build, a digest or a daily run, with its settings made at the edge."""

from __future__ import annotations

import datetime as dt

from publisher.config import Config
from publisher.delivery import websub
from publisher.site.paths import Site
from publisher.store import Store


def notify_hubs(config: Config, store: Store, now: dt.datetime) -> websub.PingReport | None:
    """Tell the WebSub hubs (feeds.websub_hubs) of the feeds that changed; None without
    hubs. A hub that is down is a warning and a ping kept for the next time, never an
    error: the feeds are written whatever the hubs say."""
    if not config.feeds.websub_hubs:
        return None
    return websub.notify(store, Site.from_config(config), config.output_dir, now)
