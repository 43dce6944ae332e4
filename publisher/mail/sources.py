"""What the digest's mail and web archive are made of, opened once: the site (with its
title in each script), templates and converters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import jinja2

from publisher.articles.conversion import Scripts
from publisher.articles.renditions import renditions
from publisher.mail import weekly
from publisher.mail.view import DigestView, digest_view
from publisher.records import Article, Edition, Rendition
from publisher.settings import DigestConfig
from publisher.site import templating
from publisher.site.paths import Site, SiteSettings
from publisher.site.templating import TemplateSettings
from publisher.store import Store


class SourceSettings(SiteSettings, TemplateSettings, Protocol):
    """What the digest's ingredients are made from (a Config is one): the site's part,
    its templates and [digest]."""

    @property
    def digest(self) -> DigestConfig: ...


@dataclass(frozen=True)
class DigestSources:
    """The digest's ingredients, opened once."""

    site: Site
    env: jinja2.Environment
    scripts: Scripts
    excerpt_chars: int
    weekly_per_day: int

    @classmethod
    def of(cls, config: SourceSettings) -> DigestSources:
        scripts = Scripts.from_config(config)
        return cls(
            Site.from_config(config, scripts),
            templating.for_site(config),
            scripts,
            config.digest.excerpt_chars,
            config.digest.weekly_per_day,
        )

    def renditions(self, store: Store, articles: list[Article]) -> dict[Edition, list[Rendition]]:
        """The articles as each edition's readers see them, read once for all."""
        return {
            edition: renditions(store, self.scripts, articles, edition)
            for edition in self.site.editions
        }

    def view(
        self, edition: Edition, day: dt.date, chosen: list[Rendition], weekly_from: dt.date | None
    ) -> DigestView:
        """The daily digest of `day` showing `chosen`; with `weekly_from` (a Monday), the
        weekly digest of that week, `chosen` put in the weekly's order and trimmed."""
        if weekly_from is not None:
            chosen = weekly.pick(chosen, self.weekly_per_day)
        title = self.site.titles[edition]
        return digest_view(
            self.site, edition, title, day, chosen, self.excerpt_chars, first_day=weekly_from
        )

    def views(self, store: Store, day: dt.date) -> dict[Edition, DigestView]:
        """The day's digest in each edition, its articles read once for all; {} when the
        day has none."""
        articles = store.articles(day=day)
        if not articles:
            return {}
        by_edition = self.renditions(store, articles)
        return {
            edition: self.view(edition, day, by_edition[edition], None) for edition in by_edition
        }

    def weekly_views(self, store: Store, monday: dt.date) -> dict[Edition, DigestView]:
        """The week's digest in each edition; {} when the week has no articles."""
        articles = week_articles(store, monday)
        if not articles:
            return {}
        by_edition = self.renditions(store, articles)
        sunday = weekly.days_of(monday)[-1]
        return {
            edition: self.view(edition, sunday, by_edition[edition], monday)
            for edition in by_edition
        }


def week_articles(store: Store, monday: dt.date) -> list[Article]:
    return [each for day in weekly.days_of(monday) for each in store.articles(day=day)]
