"""The digest mail: the daily one of a day, or the weekly one of a week (publisher.mail.weekly).

Two phases. `prepare_digest` reads the articles once; each mail is then rendered and
inlined once per edition and source choice actually in use (templates, then premailer, see
publisher.mail.view), the first time a reader with that choice comes up, and shared by all
who made it. `PreparedDigest.letter` only fills a subscriber's own parts into prepared bytes
(see publisher.mail.letters), so the cost of rendering grows with the distinct choices,
never with the list.

A reader's choice is the digest's sources minus those they opted out of: a reader who opted
out only of sources absent from this digest shares the everyone-else mail, and one whose
sources are all absent gets no letter (None), which delivery records as `skipped`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import urlsplit

from publisher.mail import tokens, weekly
from publisher.mail.dkim import Signer
from publisher.mail.headers import envelope_sender, mail_domain, sender_headers
from publisher.mail.letters import LetterTemplate
from publisher.mail.sources import DigestSources, SourceSettings, week_articles
from publisher.mail.tokens import SecretSettings
from publisher.mail.view import DigestView, inline_css, render_mail
from publisher.records import Article, Edition, Letter, Subscriber
from publisher.settings import BouncesConfig, DkimConfig
from publisher.site.paths import Site
from publisher.store import Store

LetterRender = Callable[[Edition, frozenset[str]], LetterTemplate]
PROOF = "proof."  # the label of a proof copy begins so (send --test)


class PreparedDigest:
    """A digest with its articles read; `letter()` renders once per (edition, sources) and
    is cheap after that."""

    def __init__(
        self,
        label: str,
        render: LetterRender,
        sources: frozenset[str],
        opted_out: Mapping[int, frozenset[str]],
        *,
        secret: bytes,
        site: Site,
        sender: str,
        mailto: str,
        verp: bool = False,
    ) -> None:
        self.label = label  # digest.2026-11-29 or weekly.2026-W48: names its Message-IDs
        self._render = render
        self._sources = sources
        self._opted_out = opted_out  # read when the send began: a change counts from the next
        self._templates: dict[tuple[Edition, frozenset[str]], LetterTemplate] = {}
        self._secret = secret
        self._site = site
        self._sender = sender
        self._mailto = mailto
        self._verp = verp
        self._domain = mail_domain(site)
        # The mail most readers share, in each edition, made before the first letter.
        for edition in site.editions:
            self._template(edition, sources)

    @property
    def renders(self) -> int:
        """Mails rendered and inlined so far: one per edition for every source, made when the
        digest is prepared, and one more per edition and narrower source choice in use."""
        return len(self._templates)

    def chosen(self, subscriber: Subscriber) -> frozenset[str]:
        """The digest's sources this reader gets; empty: nothing for them."""
        return self._sources - self._opted_out.get(subscriber.id, frozenset())

    def edition(self, subscriber: Subscriber) -> Edition:
        """The reader's edition (a stored tag the config no longer lists: their script's
        first)."""
        return self._site.editions.of(subscriber.script, subscriber.edition)

    def _template(self, edition: Edition, chosen: frozenset[str]) -> LetterTemplate:
        key = (edition, chosen)
        if key not in self._templates:
            self._templates[key] = self._render(edition, chosen)
        return self._templates[key]

    def message_id(self, subscriber: Subscriber) -> str:
        # Deterministic: a letter rebuilt after a crash has the same id, so receivers and the
        # delivery table can tell it is the same mail.
        edition = self.edition(subscriber)
        return f"<{self.label}.{edition.tag}.{subscriber.id}@{self._domain}>"

    def letter(self, subscriber: Subscriber) -> Letter | None:
        """The mail for one subscriber, in their edition and with their sources; None when
        none of their sources is in this digest. Does not look at their status: choosing
        who gets mail is the delivery's job."""
        chosen = self.chosen(subscriber)
        if not chosen:
            return None
        token = tokens.make(self._secret, "unsubscribe", subscriber.id)
        message_id = self.message_id(subscriber)
        mailto = f"mailto:{self._mailto}?subject=unsubscribe-{token}" if self._mailto else ""
        data = self._template(self.edition(subscriber), chosen).fill(
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


class DigestSettings(SourceSettings, SecretSettings, Protocol):
    """What a digest is made from (a Config is one): its ingredients, the link key, [dkim]
    and bounces.verp."""

    @property
    def dkim(self) -> DkimConfig: ...

    @property
    def bounces(self) -> BouncesConfig: ...


def _headers(
    config: DigestSettings, sources: DigestSources, view: DigestView, label: str, now: dt.datetime
) -> list[tuple[str, object]]:
    """The headers every subscriber of one script gets. Article text never goes here. A
    proof copy (its label begins with "proof.") says so in its subject."""
    subject = view.subject
    if label.startswith(PROOF):
        subject = view.words["test_subject"].format(subject=subject)
    list_label = f"{view.edition.tag.lower()}.digest.{mail_domain(sources.site)}"  # RFC 2919
    # Gmail's feedback loop groups complaints by these fields (campaign, edition, kind,
    # sender): never anything about the reader. RFC 9477's CFBL reports carry it too.
    sender = envelope_sender(config.digest).rpartition("@")[2]
    feedback = f"{label}:{view.edition.tag}:digest:{sender}"
    headers = [
        *sender_headers(config.digest, sources.scripts, view.edition, subject, now),
        ("List-Id", f"{view.feed_title} <{list_label}>"),
        ("Feedback-ID", feedback),
    ]
    if config.digest.cfbl_address:
        headers.append(("CFBL-Address", f"{config.digest.cfbl_address}; report=arf"))
        headers.append(("CFBL-Feedback-ID", feedback))
    # RFC 8058 3.1: one-click only with an HTTPS URI in List-Unsubscribe (receivers will not
    # POST to plain http), so a site on http:// offers the link and the mailto, not this.
    if urlsplit(sources.site.base_url).scheme == "https":
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def prepare_digest(
    config: DigestSettings,
    store: Store,
    day: dt.date,
    now: dt.datetime,
    opted_out: Mapping[int, frozenset[str]] | None = None,
    *,
    proof: bool = False,
) -> PreparedDigest | None:
    """The day's digest, ready to render per edition and source choice and to fill per
    subscriber; None when the day has no articles (nothing is sent). `opted_out`: each
    reader's opted-out sources (Store.source_optouts), read once for the whole send.
    `proof`: a copy for the editor (`send --test`), marked as a test in its subject and
    its Message-IDs."""
    articles = store.articles(day=day)
    return _prepared(config, store, articles, day, None, now, opted_out or {}, proof)


def prepare_weekly(
    config: DigestSettings,
    store: Store,
    monday: dt.date,
    now: dt.datetime,
    opted_out: Mapping[int, frozenset[str]] | None = None,
) -> PreparedDigest | None:
    """The weekly digest of the week beginning on `monday`; None when it has no articles."""
    articles = week_articles(store, monday)
    sunday = weekly.days_of(monday)[-1]
    return _prepared(config, store, articles, sunday, monday, now, opted_out or {})


def _prepared(
    config: DigestSettings,
    store: Store,
    articles: list[Article],
    day: dt.date,
    weekly_from: dt.date | None,
    now: dt.datetime,
    opted_out: Mapping[int, frozenset[str]],
    proof: bool = False,
) -> PreparedDigest | None:
    if not articles:
        return None
    sources = DigestSources.of(config)
    by_edition = sources.renditions(store, articles)

    signer = dkim_signer(config)
    label = (
        f"weekly.{weekly.week_label(weekly_from)}" if weekly_from else f"digest.{day.isoformat()}"
    )
    label = PROOF + label if proof else label

    def render(edition: Edition, chosen: frozenset[str]) -> LetterTemplate:
        shown = [e for e in by_edition[edition] if e.article.original.source in chosen]
        view = sources.view(edition, day, shown, weekly_from)
        return _template(config, sources, view, label, now, signer)

    return PreparedDigest(
        label,
        render,
        frozenset(each.original.source for each in articles),
        opted_out,
        secret=tokens.load_secret(config),
        site=sources.site,
        sender=envelope_sender(config.digest),
        mailto=config.digest.unsubscribe_mailto.strip(),
        verp=config.bounces.verp,
    )


def _template(
    config: DigestSettings,
    sources: DigestSources,
    view: DigestView,
    label: str,
    now: dt.datetime,
    signer: Signer | None,
) -> LetterTemplate:
    text, html = render_mail(sources.env, view)
    headers = _headers(config, sources, view, label, now)
    return LetterTemplate(headers, text, inline_css(html), signer)


def dkim_signer(config: DigestSettings) -> Signer | None:
    """The DKIM signer dkim.* asks for, or None (off, the default: the relay signs)."""
    if not config.dkim.sign:
        return None
    domain = config.dkim.domain or envelope_sender(config.digest).rpartition("@")[2]
    return Signer.load(config.path(config.dkim.key_file), config.dkim.selector, domain)
