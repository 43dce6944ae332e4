"""The Telegram step of `publisher post` and the daily run, its settings made at the edge:
the channels of `[telegram]`, the token from the environment, Telegram's limits."""

from __future__ import annotations

import datetime as dt
import os
import threading

from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.delivery.posts import Channel, PostReport, post_day
from publisher.delivery.telegram import TOKEN_ENV, BotApi, RateLimit, checked_token
from publisher.editions import Editions
from publisher.site.paths import Site
from publisher.store import Store


def channels_of(config: Config, editions: Editions) -> list[Channel]:
    """`telegram.channels` as (edition, chat) pairs, in the editions' order."""
    wanted = {name.lower(): chat for name, chat in config.telegram.channels.items()}
    found = []
    for edition in editions:
        chat = wanted.get(edition.tag.lower()) or wanted.get(edition.path.lower())
        if chat:
            found.append(Channel(edition, chat.strip()))
    return found


def post(
    config: Config,
    store: Store,
    day: dt.date,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
) -> PostReport | None:
    """Post `day`'s articles to the configured channels; None when none is configured.
    Without a token it is an error (PublisherError) that never shows one."""
    if not config.telegram.channels:
        return None
    settings = config.telegram
    api = BotApi(settings.api_url, checked_token(os.environ.get(TOKEN_ENV)), settings.timeout)
    scripts = Scripts.from_config(config)
    site = Site.from_config(config, scripts)
    limit = RateLimit(settings.per_channel_per_minute, settings.per_second)
    channels = channels_of(config, site.editions)
    return post_day(
        store, site, scripts, day, channels, api, limit, now,
        max_wait=settings.max_wait_seconds, stop=stop,
    )  # fmt: skip
