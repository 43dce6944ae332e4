"""Where everything lives: output paths, public URLs and Atom ids. Pure."""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol
from urllib.parse import urlsplit

from publisher.articles.conversion import Scripts
from publisher.articles.sitephrases import ScriptSettings
from publisher.editions import PAIR, Editions, EditionSettings
from publisher.records import Article, Edition, Script
from publisher.settings import FeedsConfig, ScriptsConfig, SiteConfig

_NOTES = {
    Script.HANT: ScriptsConfig.converted_note_hant,
    Script.HANS: ScriptsConfig.converted_note_hans,
}


class SiteSettings(ScriptSettings, EditionSettings, Protocol):
    """What the site's addresses and titles are made from (a Config is one): [site],
    [feeds]' hubs, the editions and the conversion that writes the title in each."""

    @property
    def site(self) -> SiteConfig: ...

    @property
    def feeds(self) -> FeedsConfig: ...


@cache
def _folder_from(folder: str, start: str) -> str:
    """posixpath.relpath, remembered: a build links a few hundred folder pairs hundreds of
    thousands of times, and relpath is its slowest string work."""
    return posixpath.relpath(folder, start)


@dataclass(frozen=True)
class Site:
    titles: Mapping[Edition, str]  # the site's title as each edition writes it
    base_url: str  # ends with "/"
    zone: zoneinfo.ZoneInfo
    domain: str
    # The note a converted text carries, per the script it is shown in (config: scripts).
    notes: dict[Script, str] = field(default_factory=lambda: dict(_NOTES), compare=False)
    editions: Editions = PAIR  # the site's editions
    hubs: tuple[str, ...] = ()  # WebSub hubs every subscription feed names (feeds.websub_hubs)

    @classmethod
    def from_config(cls, config: SiteSettings, scripts: Scripts | None = None) -> Site:
        """The one place the configured title is turned into each script's: like article
        text it is data, written once in one script and shown in the reader's."""
        scripts = scripts or Scripts.from_config(config)
        site, chosen, editions = config.site, config.scripts, Editions.from_config(config)
        titles = {edition: scripts.into(site.title, edition) for edition in editions}
        notes = {Script.HANT: chosen.converted_note_hant, Script.HANS: chosen.converted_note_hans}
        return cls(
            titles=titles,
            base_url=site.base_url,
            zone=site.zone,
            domain=site.domain,
            notes=notes,
            editions=editions,
            hubs=config.feeds.websub_hubs,
        )

    def others(self, edition: Edition) -> tuple[Edition, ...]:
        """The editions a page or mail of `edition` links to, in the config's order."""
        return self.editions.others(edition)

    def original(self, article: Article) -> Edition:
        """The edition that shows the article as written: a converted text's source."""
        return self.editions.default(article.script)

    def converted_note(self, script: Script) -> str:
        return self.notes.get(script, "")

    def url(self, path: str) -> str:
        """The public URL of `path`: what feeds, mails and canonical links name."""
        return self.base_url + path

    @staticmethod
    def relative(path: str, page: str) -> str:
        """`path` as the page at `page` links to it (both below base_url, a query allowed).
        Pages link their assets and each other this way, as pelican's RELATIVE_URLS does, so
        a site served on another host or port, copied, or opened from disk still works."""
        target, mark, query = path.partition("?")
        folder, name = posixpath.split(target)
        start = posixpath.dirname(page) or "."
        if not name or f"{start}/".startswith(f"{target}/"):  # a folder, not a page in one
            return posixpath.relpath(target, start) + mark + query
        up = _folder_from(folder or ".", start)
        return (name if up == "." else f"{up}/{name}") + mark + query

    def relative_url(self, url: str, page: str) -> str:
        """A public URL of this site, relative to the page at `page`; others as they are."""
        if not url.startswith(self.base_url):
            return url
        return self.relative(url.removeprefix(self.base_url), page)

    @property
    def base_path(self) -> str:
        """The path of base_url ("/" or "/news/"): the reader's remembered script is kept
        in a cookie for this path."""
        return urlsplit(self.base_url).path or "/"

    # Paths below the output folder, "/"-separated; also the URL path below base_url.

    @staticmethod
    def index_path(edition: Edition) -> str:
        return f"{edition}/index.html"

    @staticmethod
    def atom_path(edition: Edition) -> str:
        return f"{edition}/atom.xml"

    @staticmethod
    def rss_path(edition: Edition) -> str:
        return f"{edition}/rss.xml"

    @staticmethod
    def json_feed_path(edition: Edition) -> str:
        return f"{edition}/feed.json"

    @classmethod
    def article_path(cls, edition: Edition, article: Article) -> str:
        return cls.article_path_of(edition, article.batch_date, article.key)

    @staticmethod
    def article_path_of(edition: Edition, day: dt.date, key: str) -> str:
        # 16 hex digits of the key: unique in any archive this size, short in a URL.
        return f"{edition}/articles/{day.isoformat()}/{key[:16]}.html"

    @staticmethod
    def day_path(edition: Edition, day: dt.date) -> str:
        return f"{edition}/days/{day.isoformat()}.html"

    @staticmethod
    def source_slug(source: str) -> str:
        # Names are Chinese and may hold any character: a hash keeps file names portable.
        return hashlib.sha256(source.encode()).hexdigest()[:12]

    @classmethod
    def source_feed_path(cls, edition: Edition, source: str) -> str:
        return f"{edition}/sources/{cls.source_slug(source)}.xml"

    @classmethod
    def source_json_path(cls, edition: Edition, source: str) -> str:
        return f"{edition}/sources/{cls.source_slug(source)}.json"

    @classmethod
    def source_page_path(cls, edition: Edition, source: str) -> str:
        return f"{edition}/sources/{cls.source_slug(source)}.html"

    @classmethod
    def source_month_path(cls, edition: Edition, source: str, month: str) -> str:
        """A source's articles of one month (YYYY-MM), once its page lists only the newest."""
        return f"{edition}/sources/{cls.source_slug(source)}/{month}.html"

    @staticmethod
    def digest_index_path(edition: Edition) -> str:
        return f"{edition}/digests/index.html"

    @staticmethod
    def opml_path(edition: Edition) -> str:
        return f"{edition}/feeds.opml"

    @staticmethod
    def json_opml_path(edition: Edition) -> str:
        """The same list of feeds in JSON Feed, apart: importing both would subscribe twice."""
        return f"{edition}/feeds-json.opml"

    @staticmethod
    def search_path(edition: Edition) -> str:
        return f"{edition}/search.html"

    @staticmethod
    def digest_path(edition: Edition, day: dt.date) -> str:
        return f"{edition}/digests/{day.isoformat()}.html"

    @staticmethod
    def digest_feed_path(edition: Edition) -> str:
        return f"{edition}/digests/atom.xml"

    @staticmethod
    def digest_json_path(edition: Edition) -> str:
        return f"{edition}/digests/feed.json"

    @staticmethod
    def weekly_digest_path(edition: Edition, monday: dt.date) -> str:
        """The weekly digest of the ISO week that begins on `monday`: …/weekly/2026-W48.html."""
        year, week, _ = monday.isocalendar()
        return f"{edition}/digests/weekly/{year}-W{week:02d}.html"

    @staticmethod
    def weekly_digest_feed_path(edition: Edition) -> str:
        return f"{edition}/digests/weekly/atom.xml"

    @staticmethod
    def weekly_digest_json_path(edition: Edition) -> str:
        return f"{edition}/digests/weekly/feed.json"

    def entry_id(self, edition: Edition, article: Article) -> str:
        """RFC 4151 tag URI: stable across rebuilds, distinct per script."""
        return f"tag:{self.domain},{article.batch_date.isoformat()}:{edition}/{article.key}"

    def feed_id(self, path: str) -> str:
        return f"tag:{self.domain},2025:{path}"

    # Links answered by `publisher serve` (and by whatever serves the site in production).

    @staticmethod
    def subscribe_path(edition: Edition) -> str:
        """The subscribe form, in `edition`."""
        return f"subscribe?script={edition}"

    @staticmethod
    def report_path(edition: Edition, article: Article) -> str:
        """The form for reporting a wrong conversion of the article in `edition`."""
        return f"report?article={article.key}&edition={edition.tag}"

    def confirm_url(self, token: str) -> str:
        return self.url(f"confirm?token={token}")

    def unsubscribe_url(self, token: str) -> str:
        return self.url(f"unsubscribe?token={token}")

    def preferences_url(self, token: str) -> str:
        return self.url(f"preferences?token={token}")
