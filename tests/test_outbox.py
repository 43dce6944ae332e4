"""The outbox backend: a Maildir any mail client can read, filled through the same engine."""

from __future__ import annotations

import email.policy
import mailbox
import shutil
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import NOW
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.delivery.backends import open_transport
from publisher.delivery.engine import send_day
from publisher.delivery.outbox import Outbox
from publisher.delivery.transport import FailureScope, SendFailure
from publisher.errors import DeliveryError
from publisher.mail import subscribers
from publisher.records import Letter, Script
from publisher.store import Store

pytestmark = pytest.mark.engines

DAY = NOW.date()


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def letter(recipient: str) -> Letter:
    data = b"To: %s\r\nSubject: x\r\n\r\nline one\r\nline two\r\n" % recipient.encode()
    return Letter(recipient, "digest@example.org", f"<{recipient}>", data)


def test_the_default_backend_is_the_outbox(config: Config) -> None:
    transport = open_transport(config)
    assert isinstance(transport, Outbox)
    assert transport.folder == config.root.resolve() / "outbox"


def test_send_fills_a_maildir_once_per_subscriber(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    people = [
        subscribers.add(store, f"reader{i}@example.org", (Script.HANT, Script.HANS)[i % 2], NOW)
        for i in range(6)
    ]
    report = send_day(config, store, DAY, NOW)
    assert (report.sent, report.failed, report.uncertain, report.deferred) == (6, 0, 0, 0)

    outbox = config.path(config.delivery.outbox_dir)
    assert list((outbox / "tmp").iterdir()) == [], "no half-written mail is left behind"
    files = sorted((outbox / "new").iterdir())
    assert len(files) == 6
    recipients: Counter[str] = Counter()
    for path in files:
        raw = path.read_bytes()
        assert b"\r\n" not in raw, "Maildir files use the local (LF) line ends"
        message = parse(path)
        recipients[str(message["To"])] += 1
        plain, html = message.iter_parts()
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert plain.get_content() and html.get_content().rstrip().endswith("</html>")
    assert recipients == Counter({person.email: 1 for person in people})
    # What a mail client sees: the stdlib's own Maildir reader lists the same six.
    assert len(mailbox.Maildir(outbox, create=False)) == 6

    again = send_day(config, store, DAY, NOW)
    assert (again.sent, again.done_before) == (0, 6)
    assert len(list((outbox / "new").iterdir())) == 6


def test_names_are_unique_and_the_handover_comes_before_the_rename(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "box")
    seen_in_new: list[int] = []
    with outbox:
        for i in range(50):
            outbox.send(
                letter(f"r{i}@example.org"),
                lambda: seen_in_new.append(len(list((tmp_path / "box" / "new").iterdir()))),
            )
    names = [path.name for path in (tmp_path / "box" / "new").iterdir()]
    assert len(set(names)) == 50
    assert all(name.endswith(".eml") and ":" not in name and "/" not in name for name in names)
    assert seen_in_new == list(range(50)), "the handover comes before the mail is visible"
    assert parse(tmp_path / "box" / "new" / names[0]).get_content().startswith("line one")


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "box")
    outbox.open()
    shutil.rmtree(tmp_path / "box" / "new")
    (tmp_path / "box" / "new").write_text("not a folder")  # the rename into new/ must fail
    with pytest.raises(SendFailure) as caught:
        outbox.send(letter("a@example.org"))
    assert caught.value.temporary and caught.value.scope is FailureScope.SERVER
    assert not caught.value.maybe_delivered
    assert list((tmp_path / "box" / "tmp").iterdir()) == []


def test_an_outbox_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "box").write_text("a file, not a folder")
    with pytest.raises(DeliveryError, match=r"delivery\.outbox_dir"):
        Outbox(tmp_path / "box").open()


def test_a_handover_that_cannot_be_recorded_leaves_no_mail(tmp_path: Path) -> None:
    def refuse() -> None:
        raise RuntimeError("the store is gone")

    outbox = Outbox(tmp_path / "box")
    with outbox, pytest.raises(RuntimeError):
        outbox.send(letter("a@example.org"), refuse)
    assert list((tmp_path / "box" / "tmp").iterdir()) == []
    assert list((tmp_path / "box" / "new").iterdir()) == []
