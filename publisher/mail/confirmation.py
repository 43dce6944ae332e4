"""The confirmation mail a web sign-up gets: one per request, built the plain way."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from publisher.mail import tokens
from publisher.mail.headers import envelope_sender, mail_domain, sender_headers
from publisher.mail.letters import simple_message
from publisher.mail.sources import DigestSources, SourceSettings
from publisher.mail.subscribers import sign_up_stamp
from publisher.mail.tokens import SecretSettings
from publisher.records import Letter, Subscriber
from publisher.settings import WebConfig
from publisher.words import WORDS


class ConfirmationSettings(SourceSettings, SecretSettings, Protocol):
    """What a confirmation mail is made from (a Config is one): the digest's ingredients,
    the link key and web.confirm_expiry_days."""

    @property
    def web(self) -> WebConfig: ...


def confirmation_letter(
    config: ConfirmationSettings, subscriber: Subscriber, now: dt.datetime
) -> Letter:
    """The confirmation mail for `subscriber`, in their script. One per request, so it is
    built the plain way (an EmailMessage), not from a prepared template."""
    sources = DigestSources.of(config)
    site = sources.site
    edition = site.editions.of(subscriber.script, subscriber.edition)
    words, site_title = WORDS[edition.script], site.titles[edition]
    secret, stamp = tokens.load_secret(config), sign_up_stamp(subscriber)
    token = tokens.make_bound(secret, tokens.CONFIRM, subscriber.id, stamp)
    subject = words["confirm_subject"].format(site=site_title)
    values = {
        "edition": edition,
        "words": words,
        "subject": subject,
        "site_title": site_title,
        "address": subscriber.email,
        "confirm_url": site.confirm_url(token),
        "valid_days": config.web.confirm_expiry_days,
        "home_url": site.url(site.index_path(edition)),
        # The site in the other editions, so a reader who chose wrongly sees the others.
        "others": [(other, site.url(site.index_path(other))) for other in site.others(edition)],
    }
    text = sources.env.get_template("confirm_mail.txt").render(values)
    html = sources.env.get_template("confirm_mail.html").render(values)
    message_id = f"<confirm.{subscriber.id}.{int(now.timestamp())}@{mail_domain(site)}>"
    headers = [
        *sender_headers(config.digest, sources.scripts, edition, subject, now),
        ("To", subscriber.email),
        ("Message-ID", message_id),
        # RFC 3834: generated on a request; tells autoresponders not to answer.
        ("Auto-Submitted", "auto-generated"),
    ]
    data = simple_message(headers, text, html)
    return Letter(subscriber.email, envelope_sender(config.digest), message_id, data)
