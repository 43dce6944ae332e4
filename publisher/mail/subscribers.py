"""The subscriber list: validated addresses, each with a script and a status.

pending ──confirm──▶ active ──unsubscribe──▶ unsubscribed ──subscribe_pending──▶ pending

Only `active` people get mail. An unsubscribed person stays in the table so that no import
or operator can put them back: only their own new subscription (confirmed by link) does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from publisher.articles.batch import bidi_problem
from publisher.errors import AddressError, PublisherError, StaleLinkError, SubscriberError
from publisher.files import read_input
from publisher.mail import tokens
from publisher.records import Edition, Script, Subscriber, SubscriberStatus
from publisher.store import Store

MAX_NAME_CHARS = 200


def normalise_address(email: str) -> str:
    """The address as stored and mailed: syntax checked, domain lower-cased and in ASCII
    (IDNA), so sending needs no SMTPUTF8. No DNS lookup: a list import must not depend on
    the network, and the SMTP server is the judge of deliverability."""
    # Imported here: its tables cost ~0.1 s, which commands that never check an address
    # (`--help`, `status`) should not pay.
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise AddressError(email, str(error), address_fault(str(error))) from None
    return str(result.ascii_email)


# email-validator raises one class with an English sentence; these are the kinds of its
# sentences (version 2.x), first match wins, so a reader is told in their own script.
_FAULTS = (
    ("at", ("must have an @-sign", "instead of a regular at-sign", "something before the @")),
    ("long", ("too long",)),
    ("local", ("before the @-sign", "Quoting the part", "two periods", "period and a hyphen")),
    ("domain", ("after the @-sign", "domain name", "something after the @")),
)


def address_fault(problem: str) -> str:
    """The kind of fault email-validator's sentence `problem` describes (AddressError)."""
    return next((kind for kind, signs in _FAULTS if any(s in problem for s in signs)), "other")


def logged(address: str) -> str:
    """An address as a log line shows it: its domain alone (…@example.org). A log travels
    further and lives longer than the store; the subscriber's id says who it was."""
    return "…@" + address.rpartition("@")[2]


def unnamed(text: str, address: str) -> str:
    """`text` (a relay's reply often quotes the address it refuses) with `address` as
    `logged` shows it."""
    return re.sub(re.escape(address), logged(address), text, flags=re.IGNORECASE)


def _key(address: str) -> str:
    # Unique regardless of case: Reader@x.org and reader@x.org are one person in practice.
    return address.lower()


def _name(name: str) -> str:
    name = " ".join(name.split())
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise SubscriberError(f"name {name!r}: control characters are not allowed")
    if len(name) > MAX_NAME_CHARS:
        raise SubscriberError(f"name: longer than {MAX_NAME_CHARS} characters")
    # A name is shown in `status` and greets the reader in the mail, like a headline.
    problem = bidi_problem(name, "name")
    if problem:
        raise SubscriberError(f"name {name!r}: {problem}")
    return name


def get(store: Store, subscriber_id: int) -> Subscriber | None:
    return store.subscriber(subscriber_id)


def by_email(store: Store, email: str) -> Subscriber | None:
    try:
        address = normalise_address(email)
    except AddressError:
        return None
    return _find(store, address)


def _find(store: Store, address: str) -> Subscriber | None:
    """The subscriber with an address `normalise_address` has already checked."""
    return store.subscriber_by_key(_key(address))


def active(store: Store) -> list[Subscriber]:
    return store.subscribers(SubscriberStatus.ACTIVE)


def everyone(store: Store) -> list[Subscriber]:
    return store.subscribers()


def edition_of(person: Subscriber) -> str:
    """The edition a subscriber chose, as they would name it: its tag, else their script."""
    return person.edition or person.script.value


def _tag(chosen: Script | Edition) -> str:
    return chosen.value if isinstance(chosen, Script) else chosen.tag


def _insert(
    store: Store,
    address: str,
    edition: Script | Edition,
    now: dt.datetime,
    name: str,
    status: SubscriberStatus,
) -> Subscriber:
    subscriber_id = store.insert_subscriber(address, _key(address), edition, status, name, now)
    if subscriber_id is None:
        raise SubscriberError(f"{address} is already on the list")
    return _get(store, subscriber_id)


def add(
    store: Store,
    email: str,
    edition: Script | Edition,
    now: dt.datetime,
    *,
    name: str = "",
    status: SubscriberStatus = SubscriberStatus.ACTIVE,
) -> Subscriber:
    """A new subscriber. An address already on the list, in any state, is refused: changing
    an existing person (above all one who unsubscribed) is not what `add` is for."""
    address, name = normalise_address(email), _name(name)
    with store.transaction():
        existing = _find(store, address)
        if existing is not None:
            raise SubscriberError(
                f"{existing.email} is already on the list ({existing.status}, "
                f"{edition_of(existing)})"
            )
        return _insert(store, address, edition, now, name, SubscriberStatus(status))


@dataclass(frozen=True)
class Enrolment:
    subscriber: Subscriber
    added: bool
    previous_edition: str | None = None  # set when an active subscriber changed edition

    def describe(self) -> str:
        person, now = self.subscriber, edition_of(self.subscriber)
        if self.added:
            return f"added {person.email} ({now}, {person.status})"
        if self.previous_edition is not None:
            return f"{person.email}: edition changed from {self.previous_edition} to {now}"
        return f"{person.email} is already subscribed ({now}): nothing to do"


def enrol(
    store: Store, email: str, edition: Script | Edition, now: dt.datetime, *, name: str = ""
) -> Enrolment:
    """The operator's `subscribers add`, safe to run twice: a new address is added as
    active, an active one keeps its place and takes `edition`. Someone pending or
    unsubscribed is refused: only their own confirmation may make them active."""
    address, name = normalise_address(email), _name(name)
    with store.transaction():
        existing = _find(store, address)
        if existing is None:
            created = _insert(store, address, edition, now, name, SubscriberStatus.ACTIVE)
            return Enrolment(created, added=True)
        if existing.status is not SubscriberStatus.ACTIVE:
            raise SubscriberError(
                f"{existing.email} is {existing.status} ({edition_of(existing)}); only they can "
                "subscribe again, through the form's confirm link"
            )
        if edition_of(existing) == _tag(edition):
            return Enrolment(existing, added=False)
        store.set_subscriber_edition(existing.id, edition)
        previous = edition_of(existing)
        return Enrolment(_get(store, existing.id), added=False, previous_edition=previous)


def subscribe_pending(
    store: Store, email: str, edition: Script | Edition, now: dt.datetime, expiry: dt.timedelta
) -> Subscriber:
    """The web form: a new or unsubscribed address becomes pending until its owner follows
    the confirm link; a pending one may change its script; an active one stays as it is
    (a stranger typing someone's address must not change their subscription).

    A sign-up begins a new `signed_up` time, which its confirm link carries. A pending
    sign-up keeps its time (the link already mailed stays good) until it expires; asking
    again after that begins a new one."""
    address = normalise_address(email)
    with store.transaction():
        existing = _find(store, address)
        if existing is None:
            status = SubscriberStatus.PENDING
            created = store.insert_subscriber(
                address, _key(address), edition, status, "", now, signed_up=_sign_up_time(now)
            )
            if created is not None:
                return _get(store, created)
            # Another web process signed the address up a moment ago: go on from there.
            existing = _find(store, address)
            assert existing is not None
        if existing.status is SubscriberStatus.ACTIVE:
            return existing
        if existing.status is SubscriberStatus.PENDING and not expired(existing, now, expiry):
            store.set_subscriber_edition(existing.id, edition)
        else:
            store.start_sign_up(existing.id, edition, _sign_up_time(now, existing.signed_up))
        return _get(store, existing.id)


def _sign_up_time(now: dt.datetime, last: dt.datetime | None = None) -> dt.datetime:
    """`now` in whole seconds (a link carries it as an integer), and later than the last
    sign-up's, so no two sign-ups of one address share a time and so a link."""
    moment = now.replace(microsecond=0)
    if last is not None and moment.timestamp() <= int(last.timestamp()):
        moment = dt.datetime.fromtimestamp(int(last.timestamp()) + 1, now.tzinfo)
    return moment


def expired(subscriber: Subscriber, now: dt.datetime, expiry: dt.timedelta) -> bool:
    """Whether the subscriber's sign-up is older than its confirm link may be."""
    return subscriber.signed_up is None or now - subscriber.signed_up > expiry


def sign_up_stamp(subscriber: Subscriber) -> int:
    """What a confirm link carries of the sign-up: its time in whole seconds."""
    return int(subscriber.signed_up.timestamp()) if subscriber.signed_up else 0


def claim_confirmation_mail(
    store: Store, subscriber: Subscriber, now: dt.datetime, cooldown: dt.timedelta
) -> bool:
    """Whether a confirmation mail may go to `subscriber` now: not if one went within the
    cool-down (a form flood must not become a mail flood). A True is a promise kept in the
    store, kept with the mail's row in the queue (publisher.delivery.confirmations)."""
    return store.claim_confirmation_mail(subscriber.id, now, now - cooldown)


def _get(store: Store, subscriber_id: int) -> Subscriber:
    subscriber = get(store, subscriber_id)
    if subscriber is None:
        raise SubscriberError(f"no subscriber with id {subscriber_id}")
    return subscriber


def confirm(
    store: Store, subscriber_id: int, stamp: int, now: dt.datetime, expiry: dt.timedelta
) -> Subscriber:
    """pending → active, by the link of the sign-up whose time is `stamp`. Confirming twice
    is harmless. A link of an earlier sign-up, or one past `expiry`, confirms nothing
    (StaleLinkError); nor does an unsubscribed person's link bring them back (they
    subscribe again, which sends a new one)."""
    with store.transaction():
        subscriber = _get(store, subscriber_id)
        problem = stale_link(subscriber, stamp, now, expiry)
        if problem:
            raise StaleLinkError(f"{subscriber.email}: {problem}")
        if subscriber.status is SubscriberStatus.UNSUBSCRIBED:
            raise SubscriberError(
                f"{subscriber.email} has unsubscribed; subscribe again to get a new link"
            )
        if subscriber.status is SubscriberStatus.PENDING:
            store.set_subscriber_status(subscriber_id, SubscriberStatus.ACTIVE, now)
        return _get(store, subscriber_id)


def stale_link(
    subscriber: Subscriber, stamp: int, now: dt.datetime, expiry: dt.timedelta
) -> str | None:
    """Why a confirm link carrying `stamp` no longer confirms `subscriber`, or None."""
    if stamp != sign_up_stamp(subscriber):
        return "a confirm link of an earlier sign-up"
    if subscriber.status is SubscriberStatus.PENDING and expired(subscriber, now, expiry):
        return "the confirm link has expired"
    return None


def unsubscribe(store: Store, subscriber_id: int, now: dt.datetime) -> Subscriber:
    """Any state → unsubscribed, keeping the record. Idempotent: a one-click POST may come
    twice, and the first time stays on record."""
    with store.transaction():
        subscriber = _get(store, subscriber_id)
        if subscriber.status is not SubscriberStatus.UNSUBSCRIBED:
            store.set_subscriber_status(subscriber_id, SubscriberStatus.UNSUBSCRIBED, now)
        return _get(store, subscriber_id)


# -- CSV import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    problem: str


@dataclass(frozen=True)
class ImportReport:
    path: Path
    added: tuple[Subscriber, ...]
    unchanged: int  # already on the list (any state but unsubscribed), or twice in the file
    kept_unsubscribed: tuple[str, ...]  # left unsubscribed (as they asked) or bounced
    errors: tuple[RowError, ...]
    kept_erased: int = 0  # erased at their request: not added, and not named here either

    def describe(self) -> list[str]:
        lines = [f"{self.path}:{error.line}: {error.problem}" for error in self.errors]
        lines.append(
            f"{self.path}: {len(self.added)} added, {self.unchanged} already subscribed, "
            f"{len(self.kept_unsubscribed)} left unsubscribed, {len(self.errors)} bad rows"
            + (f", {self.kept_erased} erased left out" if self.kept_erased else "")
        )
        return lines


@dataclass(frozen=True)
class _Row:
    line: int
    address: str
    script: Script
    name: str


def _parse_row(cells: list[str]) -> tuple[str, Script, str]:
    # A spreadsheet pads every row to its widest one: empty cells at the end are no column.
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if not 2 <= len(cells) <= 3:
        raise SubscriberError(f"expected 2 or 3 columns (email,edition[,name]), got {len(cells)}")
    address = normalise_address(cells[0])
    try:
        script = Script.named(cells[1])
    except ValueError as error:
        raise SubscriberError(f"edition {error}") from None
    return address, script, _name(cells[2] if len(cells) == 3 else "")


def _decode(path: Path) -> str:
    data = read_input(path)
    try:
        # utf-8-sig: spreadsheets often save a byte order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Likely a spreadsheet's own encoding (Big5, GBK): a name read wrongly would be
        # stored wrongly, so nothing of the file is imported.
        line = data[: error.start].count(b"\n") + 1
        raise SubscriberError(
            f"{path}:{line}: not valid UTF-8 (byte {data[error.start]:#04x}); "
            "save the file as CSV UTF-8 and import it again"
        ) from None


def _read_csv(path: Path) -> tuple[list[_Row], list[RowError]]:
    rows, errors = [], []
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    # A quoted cell may span lines, and reader.line_num is where a row *ends*: a row is
    # reported by the line it starts on, where an unclosed quote is to be found.
    next_start = 1
    try:
        for cells in reader:
            start, next_start = next_start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if start == 1 and cells[0].strip().lower() == "email":
                continue  # the header row
            try:
                rows.append(_Row(start, *_parse_row(cells)))
            except PublisherError as error:
                errors.append(RowError(start, str(error)))
    except csv.Error as error:
        errors.append(RowError(next_start, f"cannot read the rest of the file: {error}"))
    return rows, errors


def import_csv(store: Store, path: Path, now: dt.datetime, *, secret: bytes) -> ImportReport:
    """Add the good rows (as active: the operator vouches for them), report the bad ones by
    line number. Addresses already on the list are left as they are, so importing the same
    file again changes nothing and never reactivates anyone who unsubscribed or bounced;
    an erased address (recognised by its keyed hash under `secret`) is never added back."""
    rows, errors = _read_csv(path)
    added: list[Subscriber] = []
    unchanged, kept, erased = 0, [], 0
    with store.transaction():  # one transaction: fast for big lists, and all or nothing
        for row in rows:
            existing = _find(store, row.address)
            if existing is None and store.is_erased(tokens.address_hash(secret, row.address)):
                erased += 1
            elif existing is None:
                added.append(
                    _insert(store, row.address, row.script, now, row.name, SubscriberStatus.ACTIVE)
                )
            elif existing.status in {SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED}:
                kept.append(existing.email)
            else:
                unchanged += 1
    return ImportReport(path, tuple(added), unchanged, tuple(kept), tuple(errors), erased)
