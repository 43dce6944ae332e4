"""The digest as readers see it: translated words, the view of one day in one script, and
its rendering (mail HTML and text, web archive page, CSS inlining). Pure: no store, no clock.

Template strings are translated per script (`WORDS`), never run through OpenCC; article
titles and excerpts come from the renditions; config names (the site title, the From name)
are data, shown in the reader's script like article text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jinja2
import premailer

from publisher.mail.letters import ADDRESS, PREFERENCES_URL, UNSUBSCRIBE_URL
from publisher.records import Edition, Rendition, Script
from publisher.site.pages import FAVICON
from publisher.site.paths import Site
from publisher.text import excerpt
from publisher.words import WORDS

PREHEADER_CHARS = 90


def human_date(script: Script, day: dt.date) -> str:
    return WORDS[script]["date_format"].format(year=day.year, month=day.month, day=day.day)


def one_line(text: str) -> str:
    """Titles and excerpts shown on one line: any run of white space (CR, LF…) is a space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class DigestItem:
    title: str
    source: str
    date: str
    excerpt: str
    url: str
    note: str = ""  # for a converted text: the note that links to the original
    original_url: str = ""
    report_url: str = ""  # for a converted text: the "wrong conversion?" form
    original_tag: str = ""  # the original's edition, BCP 47


@dataclass(frozen=True)
class DigestView:
    """Everything the digest templates show for one day and script. Pure data."""

    day: dt.date
    edition: Edition  # the edition
    site_title: str  # in this edition
    items: tuple[DigestItem, ...]
    updated: dt.datetime  # the newest article's time: the feed entry's, never the clock
    archive_url: str
    others: tuple[tuple[Edition, str], ...]  # each other edition and its copy of this digest
    feed_url: str
    home_url: str
    subscribe_url: str
    base_path: str = "/"  # of the site's URL: where the web page keeps the reader's script
    first_day: dt.date | None = None  # a weekly digest's Monday; `day` is then its Sunday
    json_url: str = ""  # the digest feed's JSON Feed twin

    @property
    def words(self) -> Mapping[str, str]:
        return WORDS[self.edition.script]

    @property
    def date(self) -> str:
        last = human_date(self.edition.script, self.day)
        if self.first_day is None:
            return last
        return f"{human_date(self.edition.script, self.first_day)}–{last}"

    def _word(self, name: str) -> str:
        """The weekly digest's own word where it has one."""
        return self.words[f"weekly_{name}" if self.first_day else name]

    @property
    def subject(self) -> str:
        return self._word("subject").format(site=self.site_title, date=self.date)

    @property
    def heading(self) -> str:
        return self._word("heading").format(date=self.date, count=len(self.items))

    @property
    def preheader(self) -> str:
        """The inbox preview: the first headlines, whole, as many as fit in about what a mail
        client shows beside the subject (a phone shows about 40 Chinese characters, a wide
        screen about 90); at least the first."""
        shown: list[str] = []
        for item in self.items:
            if shown and len("｜".join([*shown, item.title])) > PREHEADER_CHARS:
                break
            shown.append(item.title)
        return "｜".join(shown)

    @property
    def feed_title(self) -> str:
        return self._word("feed_title").format(site=self.site_title)


def _item(site: Site, rendition: Rendition, excerpt_chars: int) -> DigestItem:
    article, edition, original = (
        rendition.article,
        rendition.edition,
        site.original(rendition.article),
    )
    note = site.converted_note(edition.script) if rendition.converted else ""
    return DigestItem(
        title=one_line(rendition.text.title),
        source=one_line(rendition.text.source),
        date=human_date(edition.script, article.published.astimezone(site.zone).date()),
        excerpt=one_line(excerpt(rendition.text.body, excerpt_chars)),
        url=site.url(site.article_path(edition, article)),
        note=note,
        original_url=site.url(site.article_path(original, article)) if note else "",
        original_tag=original.tag if note else "",
        report_url=site.url(site.report_path(edition, article)) if rendition.converted else "",
    )


def digest_page_path(site: Site, edition: Edition, day: dt.date, first_day: dt.date | None) -> str:
    """The web page of a daily digest, or with `first_day` of the weekly one."""
    return (
        site.weekly_digest_path(edition, first_day) if first_day else site.digest_path(edition, day)
    )


def digest_view(
    site: Site,
    edition: Edition,
    site_title: str,
    day: dt.date,
    day_renditions: Sequence[Rendition],
    excerpt_chars: int,
    first_day: dt.date | None = None,
) -> DigestView:
    """The daily digest of `day`; with `first_day`, the weekly one of first_day … day."""
    items = tuple(_item(site, rendition, excerpt_chars) for rendition in day_renditions)
    feed = site.weekly_digest_feed_path(edition) if first_day else site.digest_feed_path(edition)
    json = site.weekly_digest_json_path(edition) if first_day else site.digest_json_path(edition)
    return DigestView(
        day=day,
        edition=edition,
        site_title=site_title,
        items=items,
        updated=max(rendition.article.published for rendition in day_renditions),
        archive_url=site.url(digest_page_path(site, edition, day, first_day)),
        others=tuple(
            (each, site.url(digest_page_path(site, each, day, first_day)))
            for each in site.others(edition)
        ),
        feed_url=site.url(feed),
        home_url=site.url(site.index_path(edition)),
        subscribe_url=site.url(site.subscribe_path(edition)),
        base_path=site.base_path,
        first_day=first_day,
        json_url=site.url(json),
    )


# -- rendering (pure) -------------------------------------------------------------------------


def render_mail(env: jinja2.Environment, view: DigestView) -> tuple[str, str]:
    """(text, html) of the mail, with stand-ins for the subscriber's own parts; the html is
    not inlined yet."""
    values = {
        "view": view,
        "address": ADDRESS,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PREFERENCES_URL,
    }
    text = env.get_template("digest.txt").render(values)
    return text, env.get_template("digest.html").render(values)


def render_archive(
    env: jinja2.Environment, site: Site, view: DigestView, og_names: Mapping[Edition, str]
) -> bytes:
    """The web copy of the digest. A view's URLs are public (the mail and the feed need
    them so); the page links with relative ones, but for the canonical URLs of itself and
    its twin, which search engines want absolute. `og_names`: Open Graph's names of the two
    editions, for the page's sharing tags."""
    page = digest_page_path(site, view.edition, view.day, view.first_day)

    def link(url: str) -> str:
        return site.relative_url(url, page)

    local = dataclasses.replace(
        view,
        items=tuple(
            dataclasses.replace(
                item,
                url=link(item.url),
                original_url=link(item.original_url),
                report_url=link(item.report_url),
            )
            for item in view.items
        ),
        others=tuple((each, link(url)) for each, url in view.others),
        feed_url=link(view.feed_url),
        json_url=link(view.json_url),
        home_url=link(view.home_url),
        subscribe_url=link(view.subscribe_url),
    )
    html = env.get_template("digest_archive.html").render(
        view=local,
        canonical_others=view.others,
        canonical_url=view.archive_url,
        icon_url=site.relative(FAVICON, page),
        og_locale=og_names[view.edition],
        og_twin_locales=[og_names[each] for each, _ in view.others],
    )
    return html.encode("utf-8")


def inline_css(html: str) -> str:
    """Move the stylesheet into style attributes, as mail clients need. premailer keeps the
    @media rules in <style> with their !important (strip_important=False; by default it
    strips them and mobile overrides lose). No validation: cssutils does not know newer
    properties (word-break…) and would log an "Unknown Property" warning for each. No
    network: the stylesheet is inline and a render must never fetch anything. The template's
    width attributes stay (premailer would copy `width: 100%` over width="600", and Outlook,
    which reads only the attribute, would lose the 600 px cap)."""
    inliner = premailer.Premailer(
        html,
        strip_important=False,
        disable_validation=True,
        disable_basic_attributes=["width", "height"],
        allow_network=False,
        cssutils_logging_level=logging.CRITICAL,
    )
    result: str = inliner.transform()
    return result
