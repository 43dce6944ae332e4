"""A subscriber's own data: all of it, to download, or none of it, to be forgotten.

Erasure deletes the subscriber, their delivery history and their bounces, and keeps only a
keyed hash of the address (publisher.mail.tokens.address_hash), so that an import of an old
list never mails them again. Their own new subscription, confirmed by link, still works:
that is them asking again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.errors import SubscriberError
from publisher.mail import subscribers, tokens
from publisher.mail.preferences import WEEKDAYS
from publisher.records import Subscriber
from publisher.store import Store


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(store: Store, person: Subscriber) -> dict[str, Any]:
    """Everything the store holds about one subscriber, as JSON-ready data."""
    return {
        "address": person.email,
        "edition": subscribers.edition_of(person),
        "name": person.name,
        "status": person.status.value,
        "choices": {
            "script": person.script.value,
            "frequency": person.frequency.value,
            "weekday": None if person.weekday is None else WEEKDAYS[person.weekday],
            "paused_until": person.paused_until.isoformat() if person.paused_until else None,
            # Only opt-outs are kept: a new source comes to everyone not opted out of it.
            "opted_out_sources": sorted(store.opted_out_sources(person.id)),
        },
        "signed_up": _time(person.created),
        "confirmed": _time(person.confirmed),
        "unsubscribed": _time(person.unsubscribed),
        "bounced": _time(person.bounced),
        "deliveries": [
            {
                "date": row.day.isoformat(),
                "digest": row.kind.value,  # weekly: the date is the week's Monday
                "edition": row.script.value,
                "status": row.status,
                "attempts": row.attempts,
                "message_id": row.message_id,
                "updated": row.updated.isoformat(),
            }
            for row in store.deliveries_of(person.id)
        ],
        "bounces": [
            {
                "kind": row.kind.value,
                "status": row.status,
                "message_id": row.message_id,
                "received": row.received.isoformat(),
            }
            for row in store.bounces_of(person.id)
        ],
    }


def erase(store: Store, person: Subscriber, secret: bytes) -> bool:
    """Forget the subscriber; keep only the keyed hash of their address. False when the
    store could not yet clear the old copies from its log (Store.erase_subscriber)."""
    return store.erase_subscriber(person.id, tokens.address_hash(secret, person.email))


def is_erased(store: Store, address: str, secret: bytes) -> bool:
    return store.is_erased(tokens.address_hash(secret, address))


def find(store: Store, email: str) -> Subscriber:
    """The subscriber with this address, or an error that says it is not on the list."""
    person = subscribers.by_email(store, email)
    if person is None:
        raise SubscriberError(f"{email} is not on the list")
    return person
