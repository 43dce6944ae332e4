"""A proof copy: the day's digest, exactly as a reader of one edition gets it, to one address,
before the readers get theirs (`publisher send --test ADDR`). Marked as a test in its subject
and Message-ID; recorded nowhere: no subscriber, no delivery row, no bounce."""

from __future__ import annotations

import datetime as dt

from publisher.config import Config
from publisher.delivery.backends import open_transport
from publisher.errors import DeliveryError
from publisher.mail.digest import prepare_digest
from publisher.mail.subscribers import normalise_address
from publisher.records import Edition, Letter, Subscriber, SubscriberStatus
from publisher.store import Store


def proof_letter(
    config: Config, store: Store, address: str, day: dt.date, edition: Edition, now: dt.datetime
) -> Letter:
    """The day's digest in `edition`, with every source, addressed to `address`."""
    digest = prepare_digest(config, store, day, now, proof=True)
    if digest is None:
        raise DeliveryError(f"no articles for {day}: no digest to send")
    # Subscriber 0 is nobody: the links in a proof unsubscribe no one.
    reader = Subscriber(
        0,
        normalise_address(address),
        edition.script,
        SubscriberStatus.ACTIVE,
        "",
        now,
        now,
        None,
        edition=edition.tag,
    )
    letter = digest.letter(reader)
    assert letter is not None  # every source is chosen
    return letter


def send_proof(config: Config, letter: Letter) -> None:
    """Hand the proof to delivery.backend; a refusal raises SendFailure with the reply."""
    with open_transport(config) as transport:
        transport.send(letter)
