"""The daily digest: one per day and script, as a mail and as a web archive page with a feed.

Two phases. `prepare_digest` renders and inlines each script's mail once (templates, then
premailer, see publisher.mail.view); `PreparedDigest.letter` then only fills a
subscriber's own parts into prepared bytes (see publisher.mail.letters), so the cost of
rendering never grows with the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from publisher.articles.conversion import Scripts
from publisher.articles.editions import editions
from publisher.config import Config
from publisher.files import write_if_changed
from publisher.mail import tokens
from publisher.mail.letters import Letter, LetterTemplate, simple_message
from publisher.mail.view import (
    DigestView,
    digest_view,
    inline_css,
    render_archive,
    render_mail,
)
from publisher.records import SCRIPTS, Script, Subscriber
from publisher.site import templating
from publisher.site.feeds import FeedEntry, Link, atom_feed, script_feed_meta
from publisher.site.paths import Site
from publisher.store import Store
from publisher.words import SCRIPT_NAMES, WORDS

__all__ = [
    "Letter",
    "PreparedDigest",
    "confirmation_letter",
    "prepare_digest",
    "write_archive",
]


# -- the digest mail ----------------------------------------------------------------------------


class PreparedDigest:
    """A day's digest, rendered and inlined once per script; `letter()` is cheap."""

    def __init__(
        self,
        day: dt.date,
        templates: Mapping[Script, LetterTemplate],
        *,
        secret: bytes,
        site: Site,
        sender: str,
        mailto: str,
    ) -> None:
        self.day = day
        self._templates = dict(templates)
        self._secret = secret
        self._site = site
        self._sender = sender
        self._mailto = mailto
        self._domain = _mail_domain(site)

    @property
    def renders(self) -> int:
        """Mails rendered and inlined: one per script, all made before; letter() adds none."""
        return len(self._templates)

    def message_id(self, subscriber: Subscriber) -> str:
        # Deterministic: a letter rebuilt after a crash has the same id, so receivers and the
        # delivery table can tell it is the same mail.
        return f"<digest.{self.day.isoformat()}.{subscriber.script}.{subscriber.id}@{self._domain}>"

    def letter(self, subscriber: Subscriber) -> Letter:
        """The mail for one subscriber, in their script. Does not look at their status:
        choosing who gets mail is the delivery's job."""
        token = tokens.make(self._secret, "unsubscribe", subscriber.id)
        message_id = self.message_id(subscriber)
        mailto = f"mailto:{self._mailto}?subject=unsubscribe-{token}" if self._mailto else ""
        data = self._templates[subscriber.script].fill(
            recipient=subscriber.email,
            message_id=message_id,
            unsubscribe_url=self._site.unsubscribe_url(token),
            mailto=mailto,
        )
        return Letter(subscriber.email, self._sender, message_id, data)


def _mail_domain(site: Site) -> str:
    """The site's domain as mail headers need it, in ASCII (IDNA): Message-ID and List-Id
    take no encoded words, so a non-ASCII domain there would be unreadable."""
    return site.domain.encode("idna").decode("ascii")


def envelope_sender(config: Config) -> str:
    """The bare address of digest.from_address: MAIL FROM, and the address in From."""
    return parseaddr(config.digest.from_address)[1]  # config.py checked it holds one


def from_header(config: Config, scripts: Scripts, script: Script) -> Address:
    """From, its display name shown in the reader's script (it is data, like the title). An
    Address, not a string: the email package then quotes a name that holds a comma or a
    quote and RFC 2047-encodes one that is not ASCII."""
    name, address = parseaddr(config.digest.from_address)
    return Address(display_name=scripts.into(name, script), addr_spec=address)


@dataclass(frozen=True)
class _Sources:
    """What a digest is made of, opened once: site, templates, converters, and the site's
    title in each script."""

    site: Site
    env: jinja2.Environment
    scripts: Scripts
    titles: Mapping[Script, str]
    excerpt_chars: int

    @classmethod
    def of(cls, config: Config) -> _Sources:
        scripts = Scripts.from_config(config)
        titles = {script: scripts.into(config.site.title, script) for script in SCRIPTS}
        return cls(
            Site.from_config(config),
            templating.for_site(config),
            scripts,
            titles,
            config.digest.excerpt_chars,
        )

    def views(self, store: Store, day: dt.date) -> dict[Script, DigestView]:
        """The day's digest in each script, its articles read once for both; {} when the
        day has none."""
        articles = store.articles(day=day)
        if not articles:
            return {}
        return {
            script: digest_view(
                self.site,
                script,
                self.titles[script],
                day,
                editions(store, self.scripts, articles, script),
                self.excerpt_chars,
            )
            for script in SCRIPTS
        }


def _sender_headers(
    config: Config, scripts: Scripts, script: Script, subject: str, now: dt.datetime
) -> list[tuple[str, object]]:
    """From, Reply-To (when configured), Subject and Date: what every mail we send has."""
    headers: list[tuple[str, object]] = [("From", from_header(config, scripts, script))]
    if config.digest.reply_to:
        headers.append(("Reply-To", config.digest.reply_to))
    return [*headers, ("Subject", subject), ("Date", format_datetime(now))]


def _headers(
    config: Config, sources: _Sources, view: DigestView, now: dt.datetime
) -> list[tuple[str, object]]:
    """The headers every subscriber of one script gets. Article text never goes here."""
    list_label = f"{view.script.lower()}.digest.{_mail_domain(sources.site)}"  # RFC 2919
    headers = [
        *_sender_headers(config, sources.scripts, view.script, view.subject, now),
        ("List-Id", f"{view.feed_title} <{list_label}>"),
    ]
    # RFC 8058 3.1: one-click only with an HTTPS URI in List-Unsubscribe (receivers will not
    # POST to plain http), so a site on http:// offers the link and the mailto, not this.
    if urlsplit(sources.site.base_url).scheme == "https":
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def prepare_digest(
    config: Config, store: Store, day: dt.date, now: dt.datetime
) -> PreparedDigest | None:
    """The day's digest in both scripts, ready to fill per subscriber; None when the day has
    no articles (nothing is sent)."""
    sources = _Sources.of(config)
    views = sources.views(store, day)
    if not views:
        return None
    templates = {}
    for script, view in views.items():
        text, html = render_mail(sources.env, view)
        html = inline_css(html)
        headers = _headers(config, sources, view, now)
        templates[script] = LetterTemplate(headers, text, html)
    return PreparedDigest(
        day,
        templates,
        secret=tokens.load_secret(config),
        site=sources.site,
        sender=envelope_sender(config),
        mailto=config.digest.unsubscribe_mailto.strip(),
    )


# -- the web archive ------------------------------------------------------------------------------


def _feed_entry(env: jinja2.Environment, site: Site, view: DigestView) -> FeedEntry:
    twin = view.script.twin
    return FeedEntry(
        id=site.feed_id(site.digest_path(view.script, view.day)),
        title=view.subject,
        published=view.updated,
        updated=view.updated,
        author="",
        categories=(),
        summary=view.heading,
        content_html=env.get_template("digest_entry.html").render(view=view),
        links=(
            Link(view.archive_url, hreflang=view.script),
            Link(view.twin_archive_url, hreflang=twin, title=SCRIPT_NAMES[twin]),
        ),
        lang=str(view.script),
    )


def _digest_feed(sources: _Sources, script: Script, views: Sequence[DigestView]) -> bytes:
    """The digest feed of one script; `views` newest first."""
    site = sources.site
    meta = script_feed_meta(
        site,
        script,
        path=site.digest_feed_path(script),
        twin_path=site.digest_feed_path(script.twin),
        page_path=site.digest_path(script, views[0].day),
        title=views[0].feed_title,
    )
    return atom_feed(meta, [_feed_entry(sources.env, site, view) for view in views])


def write_archive(config: Config, store: Store, day: dt.date, now: dt.datetime) -> list[Path]:
    """Write the day's archive page per script and each script's digest feed, which holds
    the newest `feeds.max_entries` days (their pages are written too, so no entry links to
    nothing). Atomic; files whose bytes are unchanged are left untouched. Returns the day's
    pages and the feeds; [] when the day has no articles. `now` is not used: the output
    depends on the stored data only, so a rerun gives the same bytes."""
    del now
    dates = [dt.date.fromisoformat(each) for each, _ in store.counts_by_date()]
    if day not in dates:
        return []
    window = dates[: config.feeds.max_entries]
    sources = _Sources.of(config)
    # The window's days, and the day asked for when it is older; each read once.
    views = {each: sources.views(store, each) for each in dict.fromkeys([*window, day])}
    paths: list[Path] = []
    for script in SCRIPTS:
        for each, by_script in views.items():
            path = config.output_dir / sources.site.digest_path(script, each)
            write_if_changed(path, render_archive(sources.env, by_script[script]))
            if each == day:
                paths.append(path)
        feed_path = config.output_dir / sources.site.digest_feed_path(script)
        feed = _digest_feed(sources, script, [views[each][script] for each in window])
        write_if_changed(feed_path, feed)
        paths.append(feed_path)
    return paths


# -- the confirmation mail ---------------------------------------------------------------------


def confirmation_letter(config: Config, subscriber: Subscriber, now: dt.datetime) -> Letter:
    """The confirmation mail for `subscriber`, in their script. One per request, so it is
    built the plain way (an EmailMessage), not from a prepared template."""
    sources, script = _Sources.of(config), subscriber.script
    site, words, site_title = sources.site, WORDS[script], sources.titles[script]
    token = tokens.make(tokens.load_secret(config), "confirm", subscriber.id)
    subject = words["confirm_subject"].format(site=site_title)
    values = {
        "script": script,
        "words": words,
        "subject": subject,
        "site_title": site_title,
        "address": subscriber.email,
        "confirm_url": site.confirm_url(token),
        "home_url": site.url(site.index_path(script)),
    }
    text = sources.env.get_template("confirm_mail.txt").render(values)
    html = sources.env.get_template("confirm_mail.html").render(values)
    message_id = f"<confirm.{subscriber.id}.{int(now.timestamp())}@{_mail_domain(site)}>"
    headers = [
        *_sender_headers(config, sources.scripts, script, subject, now),
        ("To", subscriber.email),
        ("Message-ID", message_id),
        # RFC 3834: generated on a request; tells autoresponders not to answer.
        ("Auto-Submitted", "auto-generated"),
    ]
    data = simple_message(headers, text, html)
    return Letter(subscriber.email, envelope_sender(config), message_id, data)
