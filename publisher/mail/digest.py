"""The daily digest mail: one per day and script.

Two phases. `prepare_digest` renders and inlines each script's mail once (templates, then
premailer, see publisher.mail.view); `PreparedDigest.letter` then only fills a subscriber's
own parts into prepared bytes (see publisher.mail.letters), so the cost of rendering never
grows with the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlsplit

from publisher.config import Config
from publisher.mail import tokens
from publisher.mail.headers import envelope_sender, mail_domain, sender_headers
from publisher.mail.letters import LetterTemplate
from publisher.mail.sources import DigestSources
from publisher.mail.view import DigestView, inline_css, render_mail
from publisher.records import Letter, Locale, Subscriber
from publisher.site.paths import Site
from publisher.store import Store


class PreparedDigest:
    """A day's digest, rendered and inlined once per script; `letter()` is cheap."""

    def __init__(
        self,
        day: dt.date,
        templates: Mapping[Locale, LetterTemplate],
        *,
        secret: bytes,
        site: Site,
        sender: str,
        mailto: str,
        verp: bool = False,
    ) -> None:
        self.day = day
        self._templates = dict(templates)
        self._secret = secret
        self._site = site
        self._sender = sender
        self._mailto = mailto
        self._verp = verp
        self._domain = mail_domain(site)

    @property
    def renders(self) -> int:
        """Mails rendered and inlined: one per script, all made before; letter() adds none."""
        return len(self._templates)

    def message_id(self, subscriber: Subscriber) -> str:
        # Deterministic: a letter rebuilt after a crash has the same id, so receivers and the
        # delivery table can tell it is the same mail.
        edition = self._site.locales.of(subscriber.script, subscriber.edition)
        return f"<digest.{self.day.isoformat()}.{edition.tag}.{subscriber.id}@{self._domain}>"

    def letter(self, subscriber: Subscriber) -> Letter:
        """The mail for one subscriber, in their script. Does not look at their status:
        choosing who gets mail is the delivery's job."""
        token = tokens.make(self._secret, "unsubscribe", subscriber.id)
        message_id = self.message_id(subscriber)
        mailto = f"mailto:{self._mailto}?subject=unsubscribe-{token}" if self._mailto else ""
        edition = self._site.locales.of(subscriber.script, subscriber.edition)
        data = self._templates[edition].fill(
            recipient=subscriber.email,
            message_id=message_id,
            unsubscribe_url=self._site.unsubscribe_url(token),
            preferences_url=self._site.preferences_url(
                tokens.make_bound(
                    self._secret, tokens.PREFERENCES, subscriber.id, subscriber.link_generation
                )
            ),
            mailto=mailto,
        )
        return Letter(subscriber.email, self._envelope_sender(subscriber), message_id, data)

    def _envelope_sender(self, subscriber: Subscriber) -> str:
        """MAIL FROM, where bounces go. With VERP, bounce+<signed token>@ the sender's
        domain: a bounce then names its subscriber even when it quotes none of the mail."""
        if not self._verp:
            return self._sender
        domain = self._sender.rpartition("@")[2]
        return f"bounce+{tokens.make(self._secret, 'bounce', subscriber.id)}@{domain}"


def _headers(
    config: Config, sources: DigestSources, view: DigestView, now: dt.datetime
) -> list[tuple[str, object]]:
    """The headers every subscriber of one script gets. Article text never goes here."""
    list_label = f"{view.script.tag.lower()}.digest.{mail_domain(sources.site)}"  # RFC 2919
    headers = [
        *sender_headers(config, sources.scripts, view.script, view.subject, now),
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
    sources = DigestSources.of(config)
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
        verp=config.bounces.verp,
    )
