"""What the digest's mail and web archive are made of, opened once: the site (with its
title in each script), templates and converters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jinja2

from publisher.articles.conversion import Scripts
from publisher.articles.editions import editions
from publisher.config import Config
from publisher.mail.view import DigestView, digest_view
from publisher.records import Locale
from publisher.site import templating
from publisher.site.paths import Site
from publisher.store import Store


@dataclass(frozen=True)
class DigestSources:
    """The digest's ingredients, opened once."""

    site: Site
    env: jinja2.Environment
    scripts: Scripts
    excerpt_chars: int

    @classmethod
    def of(cls, config: Config) -> DigestSources:
        scripts = Scripts.from_config(config)
        return cls(
            Site.from_config(config, scripts),
            templating.for_site(config),
            scripts,
            config.digest.excerpt_chars,
        )

    def views(self, store: Store, day: dt.date) -> dict[Locale, DigestView]:
        """The day's digest in each edition, its articles read once for all; {} when the
        day has none."""
        articles = store.articles(day=day)
        if not articles:
            return {}
        return {
            script: digest_view(
                self.site,
                script,
                self.site.titles[script],
                day,
                editions(store, self.scripts, articles, script),
                self.excerpt_chars,
            )
            for script in self.site.locales
        }
