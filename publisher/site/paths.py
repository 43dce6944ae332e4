"""Where everything lives: output paths, public URLs and Atom ids. Pure."""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

from publisher.articles.conversion import Scripts
from publisher.config import Config, ScriptsConfig
from publisher.locales import PAIR, Locales
from publisher.records import Article, Locale, Script

_NOTES = {
    Script.HANT: ScriptsConfig.converted_note_hant,
    Script.HANS: ScriptsConfig.converted_note_hans,
}


@cache
def _folder_from(folder: str, start: str) -> str:
    """posixpath.relpath, remembered: a build links a few hundred folder pairs hundreds of
    thousands of times, and relpath is its slowest string work."""
    return posixpath.relpath(folder, start)


@dataclass(frozen=True)
class Site:
    titles: Mapping[Locale, str]  # the site's title as each edition writes it
    base_url: str  # ends with "/"
    zone: zoneinfo.ZoneInfo
    domain: str
    # The note a converted text carries, per the script it is shown in (config: scripts).
    notes: dict[Script, str] = field(default_factory=lambda: dict(_NOTES), compare=False)
    locales: Locales = PAIR  # the site's editions

    @classmethod
    def from_config(cls, config: Config, scripts: Scripts | None = None) -> Site:
        """The one place the configured title is turned into each script's: like article
        text it is data, written once in one script and shown in the reader's."""
        scripts = scripts or Scripts.from_config(config)
        site, chosen, locales = config.site, config.scripts, Locales.from_config(config)
        titles = {locale: scripts.into(site.title, locale) for locale in locales}
        notes = {Script.HANT: chosen.converted_note_hant, Script.HANS: chosen.converted_note_hans}
        return cls(
            titles=titles,
            base_url=site.base_url,
            zone=site.zone,
            domain=site.domain,
            notes=notes,
            locales=locales,
        )

    def others(self, locale: Locale) -> tuple[Locale, ...]:
        """The editions a page or mail of `locale` links to, in the config's order."""
        return self.locales.others(locale)

    def original(self, article: Article) -> Locale:
        """The edition that shows the article as written: a converted text's source."""
        return self.locales.default(article.script)

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
    def index_path(script: Locale) -> str:
        return f"{script}/index.html"

    @staticmethod
    def atom_path(script: Locale) -> str:
        return f"{script}/atom.xml"

    @staticmethod
    def rss_path(script: Locale) -> str:
        return f"{script}/rss.xml"

    @classmethod
    def article_path(cls, script: Locale, article: Article) -> str:
        return cls.article_path_of(script, article.batch_date, article.key)

    @staticmethod
    def article_path_of(script: Locale, day: dt.date, key: str) -> str:
        # 16 hex digits of the key: unique in any archive this size, short in a URL.
        return f"{script}/articles/{day.isoformat()}/{key[:16]}.html"

    @staticmethod
    def day_path(script: Locale, day: dt.date) -> str:
        return f"{script}/days/{day.isoformat()}.html"

    @staticmethod
    def source_slug(source: str) -> str:
        # Names are Chinese and may hold any character: a hash keeps file names portable.
        return hashlib.sha256(source.encode()).hexdigest()[:12]

    @classmethod
    def source_feed_path(cls, script: Locale, source: str) -> str:
        return f"{script}/sources/{cls.source_slug(source)}.xml"

    @classmethod
    def source_page_path(cls, script: Locale, source: str) -> str:
        return f"{script}/sources/{cls.source_slug(source)}.html"

    @classmethod
    def source_month_path(cls, script: Locale, source: str, month: str) -> str:
        """A source's articles of one month (YYYY-MM), once its page lists only the newest."""
        return f"{script}/sources/{cls.source_slug(source)}/{month}.html"

    @staticmethod
    def digest_index_path(script: Locale) -> str:
        return f"{script}/digests/index.html"

    @staticmethod
    def opml_path(script: Locale) -> str:
        return f"{script}/feeds.opml"

    @staticmethod
    def search_path(script: Locale) -> str:
        return f"{script}/search.html"

    @staticmethod
    def digest_path(script: Locale, day: dt.date) -> str:
        return f"{script}/digests/{day.isoformat()}.html"

    @staticmethod
    def digest_feed_path(script: Locale) -> str:
        return f"{script}/digests/atom.xml"

    @staticmethod
    def weekly_digest_path(script: Locale, monday: dt.date) -> str:
        """The weekly digest of the ISO week that begins on `monday`: …/weekly/2026-W48.html."""
        year, week, _ = monday.isocalendar()
        return f"{script}/digests/weekly/{year}-W{week:02d}.html"

    @staticmethod
    def weekly_digest_feed_path(script: Locale) -> str:
        return f"{script}/digests/weekly/atom.xml"

    def entry_id(self, script: Locale, article: Article) -> str:
        """RFC 4151 tag URI: stable across rebuilds, distinct per script."""
        return f"tag:{self.domain},{article.batch_date.isoformat()}:{script}/{article.key}"

    def feed_id(self, path: str) -> str:
        return f"tag:{self.domain},2025:{path}"

    # Links answered by `publisher serve` (and by whatever serves the site in production).

    @staticmethod
    def subscribe_path(script: Locale) -> str:
        """The subscribe form, in `script`."""
        return f"subscribe?script={script}"

    def confirm_url(self, token: str) -> str:
        return self.url(f"confirm?token={token}")

    def unsubscribe_url(self, token: str) -> str:
        return self.url(f"unsubscribe?token={token}")

    def preferences_url(self, token: str) -> str:
        return self.url(f"preferences?token={token}")
