"""The delivery engine end to end: real store, real digest, real aiosmtpd on 127.0.0.1.

Every test checks both sides: what the server received (each mail parsed back whole) and
the state of each delivery row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from smtpserver import (
    DEFER,
    DROP,
    DROP_AFTER_DATA,
    REJECT,
    FakeClock,
    Handler,
    SmtpServer,
    free_port,
)

from conftest import NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.cli import main
from publisher.config import Config
from publisher.delivery import engine
from publisher.delivery.engine import SendReport, deliver, send_day
from publisher.delivery.runner import RetryPolicy
from publisher.delivery.settle import settle
from publisher.delivery.smtp import Smtp
from publisher.delivery.transport import Handover, Managed, Meanwhile, nothing
from publisher.errors import AddressError
from publisher.mail import preferences, subscribers
from publisher.mail.digest import prepare_digest
from publisher.records import DeliveryStatus, Letter, Script, Subscriber
from publisher.run.signals import stop_on_signals
from publisher.store import Store

pytestmark = pytest.mark.engines

DAY = NOW.date()


def smtp_config(root: Path, port: int, **smtp: object) -> Config:
    settings = {"host": "127.0.0.1", "port": port, "timeout": 5.0, "max_attempts": 3}
    settings |= {"max_consecutive_failures": 4} | smtp
    lines = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in settings.items())
    # A short lease: on PostgreSQL a killed sender's rows come back to the others soon.
    delivery = '[delivery]\nbackend = "smtp"\nlease_seconds = 2\n'
    return make_config(root, f"{delivery}[delivery.smtp]\n{lines}")


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def setup(tmp_path: Path, server: SmtpServer, news_path: Path) -> Iterator[tuple[Config, Store]]:
    config = smtp_config(tmp_path, server.port)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        yield config, store


one_day = dt.timedelta(days=1)


def add_people(store: Store, count: int) -> list[Subscriber]:
    scripts = (Script.HANT, Script.HANS)
    return [
        subscribers.add(store, f"reader{i}@example.org", scripts[i % 2], NOW) for i in range(count)
    ]


def rows(store: Store) -> dict[str, sqlite3.Row]:
    found = store.db.execute(
        "SELECT s.email, d.* FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
    )
    return {row["email"]: row for row in found}


def run(config: Config, store: Store, **kwargs: object) -> SendReport:
    clock = FakeClock()
    kwargs = {"clock": clock, "sleep": clock.sleep} | kwargs
    return send_day(config, store, DAY, NOW, **kwargs)  # type: ignore[arg-type]


def assert_whole_digest(data: bytes, person: Subscriber, row: sqlite3.Row) -> None:
    assert data.count(b"\n") == data.count(b"\r\n"), "a bare LF reached the server"
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == person.email
    assert message["Message-ID"] == row["message_id"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    news = "新聞" if person.script is Script.HANT else "新闻"
    assert news in str(message["Subject"])
    assert news in plain.get_content() and news in html.get_content()
    assert html.get_content().rstrip().endswith("</html>")


def test_everyone_gets_one_whole_mail_in_their_script(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 12)
    report = run(config, store)
    assert (report.sent, report.failed, report.uncertain, report.deferred) == (12, 0, 0, 0)
    assert report.complete and report.renders == 2
    received = {item.rcpt_tos: item for item in server.handler.received}
    assert len(server.handler.received) == len(received) == 12
    state = rows(store)
    for person in people:
        row = state[person.email]
        assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, "")
        assert_whole_digest(received[(person.email,)].data, person, row)
    assert len({item.peer for item in server.handler.received}) == 1, "one connection"

    again = run(config, store)
    assert (again.sent, again.done_before, again.renders) == (0, 12, 2)
    assert server.handler.count() == 12, "nobody is mailed twice"


def test_a_deferred_mail_is_retried_with_backoff_in_the_same_run(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 5)
    server.handler.plan("reader2@example.org", DEFER, DEFER)
    clock = FakeClock()
    report = run(config, store, clock=clock, sleep=clock.sleep)
    assert (report.sent, report.deferred) == (5, 0)
    assert clock.sleeps == [1.0, 2.0]  # the others went on meanwhile; then 1 s, then 2 s
    order = [item.rcpt_tos[0] for item in server.handler.received]
    assert order[-1] == "reader2@example.org" and len(order) == 5
    assert rows(store)["reader2@example.org"]["attempts"] == 3


def test_still_deferred_after_max_attempts_goes_out_on_the_next_run(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 4)
    server.handler.plan("reader1@example.org", DEFER, DEFER, DEFER)  # max_attempts = 3
    first = run(config, store)
    assert (first.sent, first.deferred, first.stopped) == (3, 1, False)
    row = rows(store)["reader1@example.org"]
    assert (row["status"], row["attempts"]) == ("queued", 3)
    assert row["last_error"].startswith("451")

    second = run(config, store)
    assert (second.sent, second.deferred, second.done_before) == (1, 0, 3)
    assert server.handler.count("reader1@example.org") == 1
    assert server.handler.count() == 4


def test_a_rejected_recipient_fails_with_the_reply_and_the_rest_go_on(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 5)
    server.handler.plan("reader1@example.org", REJECT)
    report = run(config, store)
    assert (report.sent, report.failed, report.stopped) == (4, 1, False)
    row = rows(store)["reader1@example.org"]
    assert (row["status"], row["last_error"]) == ("failed", "550 5.1.1 No such user here")
    run(config, store)
    attempts = [a for a in server.handler.attempts if a[0] == "reader1@example.org"]
    assert len(attempts) == 1, "a permanent failure is not retried"


def test_the_log_names_a_refused_reader_by_id_and_domain_never_by_address(
    setup: tuple[Config, Store], server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 26.11: the run's log (schedule.log_file) carries no subscriber's address, not
    even inside the relay's reply; the store keeps the whole reply."""
    config, store = setup
    people = add_people(store, 3)
    server.handler.reject_reply = "550 5.1.1 <{address}>: Recipient address rejected"
    server.handler.plan("Reader1@example.org", REJECT)
    run(config, store)
    assert f"subscriber {people[1].id} (…@example.org): 550 5.1.1 <…@example.org>" in caplog.text
    assert "reader1" not in caplog.text.lower()
    assert "<reader1@example.org>" in rows(store)["reader1@example.org"]["last_error"]


def test_a_connection_dropped_mid_list_is_reopened_and_nobody_is_lost(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 8)
    server.handler.plan("reader3@example.org", DROP)
    report = run(config, store)
    assert (report.sent, report.uncertain, report.deferred) == (8, 0, 0)
    counts = Counter(item.rcpt_tos[0] for item in server.handler.received)
    assert counts == Counter({person.email: 1 for person in people})
    assert len({item.peer for item in server.handler.received}) == 2
    assert rows(store)["reader3@example.org"]["attempts"] == 2


def test_an_answer_lost_after_the_data_is_uncertain_and_never_resent(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 4)
    server.handler.plan("reader2@example.org", DROP_AFTER_DATA)
    report = run(config, store)
    assert (report.sent, report.uncertain) == (3, 1) and not report.complete
    row = rows(store)["reader2@example.org"]
    assert row["status"] == "uncertain"
    assert row["message_id"].startswith("<digest.")  # to look up in the relay's log
    assert server.handler.count("reader2@example.org") == 1

    again = run(config, store)
    assert (again.sent, again.uncertain, again.done_before) == (0, 0, 4)
    assert server.handler.count("reader2@example.org") == 1
    ((address, message_id, _),) = [
        (row.email, row.message_id, row.reason) for row in store.uncertain_deliveries(DAY)
    ]
    assert (address, message_id) == ("reader2@example.org", row["message_id"])

    # The operator checked the relay's log and decided to send it again.
    assert settle(store, DAY, NOW, resend=[message_id]).resend == ("reader2@example.org",)
    assert run(config, store).sent == 1
    assert server.handler.count("reader2@example.org") == 2


def test_a_run_waits_no_longer_than_max_wait_seconds_in_all(
    tmp_path: Path, news_path: Path
) -> None:
    """An unreachable relay: the run gives up once its back-off would pass the cap, leaving
    every row queued, instead of holding the store for the whole back-off (1+2+…+256 s)."""
    config = smtp_config(tmp_path, free_port(), max_consecutive_failures=50, max_wait_seconds=5)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        add_people(store, 3)
        clock = FakeClock()
        report = run(config, store, clock=clock, sleep=clock.sleep)
        assert clock.sleeps == [1.0, 2.0]  # 1 + 2 + 4 would pass 5 s
        assert report.stopped and "delivery.smtp.max_wait_seconds" in report.reason
        assert (report.sent, report.deferred) == (0, 3)
        assert {row["status"] for row in rows(store).values()} == {"queued"}


def test_a_dead_server_stops_the_run_cleanly_and_the_next_run_resumes(
    tmp_path: Path, news_path: Path
) -> None:
    port = free_port()
    config = smtp_config(tmp_path, port)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        people = add_people(store, 6)
        clock = FakeClock()
        report = run(config, store, clock=clock, sleep=clock.sleep)
        assert report.stopped and "4 server failures in a row" in report.reason
        assert (report.sent, report.failed, report.deferred) == (0, 0, 6)
        assert clock.sleeps == [1.0, 2.0, 4.0]  # back-off between server failures
        assert {row["status"] for row in rows(store).values()} == {"queued"}

        with SmtpServer(port=port) as server:
            resumed = run(config, store)
        assert (resumed.sent, resumed.stopped) == (6, False)
        assert sorted(i.rcpt_tos[0] for i in server.handler.received) == sorted(
            p.email for p in people
        )


def test_a_refused_sender_stops_at_once(setup: tuple[Config, Store], server: SmtpServer) -> None:
    config, store = setup
    add_people(store, 5)
    server.handler.mail_reply = "553 5.7.1 Sender address rejected"
    report = run(config, store)
    assert report.stopped and "553 5.7.1" in report.reason
    assert (report.sent, report.failed, report.deferred) == (0, 0, 5)
    assert len(server.handler.attempts) == 0  # it never got as far as a recipient


def test_a_sender_address_the_server_cannot_take_stops_the_run(
    tmp_path: Path, news_path: Path
) -> None:
    """An internationalised sender needs SMTPUTF8, which this server does not offer: that
    is about every mail, not about each recipient, so nobody is failed for good. (config.toml
    refuses such a sender at start-up; the transport does not count on it.)"""
    with SmtpServer(smtputf8=False) as server:
        smtp = f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {server.port}\n'
        config = make_config(tmp_path, smtp)
        digest = dataclasses.replace(config.digest, from_address="新聞 <digest@例子.tw>")
        config = dataclasses.replace(config, digest=digest)
        with Store(config.storage) as store:
            ingest_file(config, store, news_path, day=DAY, now=NOW)
            add_people(store, 3)
            report = run(config, store)
            assert report.stopped and "SMTPUTF8" in report.reason
            assert (report.sent, report.failed, report.deferred) == (0, 0, 3)
            assert {row["status"] for row in rows(store).values()} == {"queued"}


class AtMail(Managed):
    """A real Smtp transport that does `then` as its n-th mail begins: asks the run to stop
    (as SIGTERM would, in the middle of this mail), cuts the store's connection…"""

    def __init__(self, inner: Smtp, n: int, then: Callable[[], object]) -> None:
        self.inner, self.n, self.then = inner, n, then

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send(
        self, letter: Letter, on_handover: Handover = nothing, meanwhile: Meanwhile = nothing
    ) -> None:
        self.n -= 1
        if self.n == 0:
            self.then()
        self.inner.send(letter, on_handover, meanwhile)


def test_a_stop_request_finishes_the_mail_in_flight_then_stops(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 7)
    stop = threading.Event()
    transport = AtMail(Smtp(config.delivery.smtp), 3, stop.set)
    report = run(config, store, stop=stop, transport=transport)
    assert (report.sent, report.deferred, report.stopped) == (3, 4, True)
    assert report.reason == "stop requested"
    statuses = Counter(row["status"] for row in rows(store).values())
    assert statuses == Counter(sent=3, queued=4), "the mail in flight was recorded"

    assert run(config, store).sent == 4
    assert Counter(i.rcpt_tos[0] for i in server.handler.received) == Counter(
        {p.email: 1 for p in people}
    )


class Answers(Managed):
    """A real Smtp transport that notes each mail's answer in `events`."""

    def __init__(self, inner: Smtp, events: list[str]) -> None:
        self.inner, self.events = inner, events

    def send(
        self, letter: Letter, on_handover: Handover = nothing, meanwhile: Meanwhile = nothing
    ) -> None:
        self.inner.send(letter, on_handover, meanwhile)
        self.events.append(f"answered {letter.recipient}")

    def close(self) -> None:
        self.inner.close()


@dataclasses.dataclass
class Letters:
    """A digest that notes each letter it makes in `events`."""

    inner: Any
    events: list[str]

    @property
    def renders(self) -> int:
        return int(self.inner.renders)

    def letter(self, subscriber: Subscriber) -> Letter | None:
        self.events.append(f"made {subscriber.email}")
        made: Letter | None = self.inner.letter(subscriber)
        return made


def test_the_next_letter_is_made_while_the_relay_decides_on_the_last(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    """The sender makes mail N+1 while the relay checks mail N, not after its answer: each
    letter is made once, for its own row, and every reader still gets exactly theirs."""
    config, store = setup
    people = add_people(store, 4)
    events: list[str] = []
    digest = prepare_digest(config, store, DAY, NOW)
    transport = Answers(Smtp(config.delivery.smtp), events)
    clock = FakeClock()
    report = deliver(
        store, DAY, Letters(digest, events), people, transport, now=NOW, clock=clock,
        sleep=clock.sleep,
    )  # fmt: skip
    assert report.sent == 4
    a, b, c, d = (person.email for person in people)
    assert events == [
        f"made {a}", f"made {b}", f"answered {a}", f"made {c}", f"answered {b}",
        f"made {d}", f"answered {c}", f"answered {d}",
    ]  # fmt: skip
    for item in server.handler.received:
        row = rows(store)[item.rcpt_tos[0]]
        assert_whole_digest(item.data, next(p for p in people if p.email == row["email"]), row)
    assert sorted(i.rcpt_tos[0] for i in server.handler.received) == sorted([a, b, c, d])


def test_a_stop_request_cuts_a_backoff_wait_short(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    reader = add_people(store, 1)[0]
    server.handler.default = DEFER
    stop, waiting = threading.Event(), threading.Event()
    waits: list[tuple[float, bool]] = []  # (seconds asked, whether a stop ended the wait)

    def sleep(seconds: float) -> None:
        waiting.set()
        waits.append((seconds, stop.wait(seconds)))  # stop.wait: what the engine does by default

    def stop_once_waiting() -> None:
        waiting.wait(60)
        stop.set()

    stopper = threading.Thread(target=stop_once_waiting)
    stopper.start()
    digest = prepare_digest(config, store, DAY, NOW)
    assert digest is not None
    # An hour's back-off the run is willing to wait (max_wait above it): only the stop
    # request can end it.
    policy = RetryPolicy(backoff=3600.0, max_backoff=3600.0, max_wait=7200.0)
    try:
        report = deliver(
            store,
            DAY,
            digest,
            subscribers.active(store),
            Smtp(config.delivery.smtp),
            now=NOW,
            policy=policy,
            stop=stop,
            sleep=sleep,
        )
    finally:
        stop.set()
        stopper.join()
    assert len(waits) == 1, "one back-off wait"
    seconds, cut_short = waits[0]
    assert seconds == pytest.approx(3600.0, abs=60) and cut_short, "the stop request ended it"
    assert (report.stopped, report.reason) == (True, "stop requested")
    assert server.handler.attempts == [(reader.email, DEFER)], "no retry after the stop"
    assert report.deferred == 1 and rows(store)[reader.email]["status"] == "queued"


def test_someone_who_unsubscribed_after_queueing_is_not_mailed(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 3)
    stopped = threading.Event()
    stopped.set()  # queue everyone, send nothing
    assert run(config, store, stop=stopped).deferred == 3
    subscribers.unsubscribe(store, people[1].id, NOW)
    report = run(config, store)
    assert (report.sent, report.withdrawn, report.deferred) == (2, 1, 0)
    assert server.handler.count(people[1].email) == 0
    assert people[1].email not in rows(store)


def test_a_queued_row_of_someone_the_run_did_not_know_is_sent_not_withdrawn(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    """A queued row whose subscriber the run was not given (they confirmed after it began,
    and another sender queued them) is theirs to send: they are active."""
    config, store = setup
    people = add_people(store, 2)
    stopped = threading.Event()
    stopped.set()
    run(config, store, stop=stopped)  # both queued
    digest = prepare_digest(config, store, DAY, NOW)
    assert digest is not None
    smtp = Smtp(config.delivery.smtp)
    report = deliver(store, DAY, digest, people[:1], smtp, now=NOW, sleep=lambda _: None)
    assert (report.sent, report.withdrawn, report.deferred) == (2, 0, 0)
    assert server.handler.count(people[1].email) == 1


def test_a_signal_asks_for_a_stop_and_a_second_one_acts_as_usual() -> None:
    """The same for `send` and `run`: SIGTERM or SIGINT sets the stop event; after that,
    SIGTERM ends the process and SIGINT interrupts; leaving restores the handlers."""
    signals = (signal.SIGTERM, signal.SIGINT)
    before = {sig: signal.getsignal(sig) for sig in signals}
    stop = threading.Event()
    with stop_on_signals(stop):
        signal.raise_signal(signal.SIGTERM)  # the handler runs before this returns
        assert stop.is_set()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert {sig: signal.getsignal(sig) for sig in signals} == before


def test_rows_a_killed_run_left_in_sending_are_settled(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 3)
    stopped = threading.Event()
    stopped.set()
    run(config, store, stop=stopped)
    # Killed after the claim, before the handover: nothing can have gone out.
    store.db.execute(
        "UPDATE deliveries SET status = 'sending' WHERE subscriber_id = ?", (people[0].id,)
    )
    # Killed after the handover: the server may have it.
    store.db.execute(
        "UPDATE deliveries SET status = 'sending', message_id = '<x@y>' WHERE subscriber_id = ?",
        (people[1].id,),
    )
    report = run(config, store)
    assert (report.sent, report.uncertain) == (2, 1)
    assert server.handler.count(people[0].email) == 1
    assert server.handler.count(people[1].email) == 0
    assert rows(store)[people[1].email]["status"] == "uncertain"


class OneBadAddress:
    """A prepared digest whose letter for one subscriber cannot be built."""

    def __init__(self, real: object, bad: str) -> None:
        self.real, self.bad = real, bad
        self.renders = 2

    def letter(self, subscriber: Subscriber) -> Letter:
        if subscriber.email == self.bad:
            raise AddressError(subscriber.email, "cannot go into a header")
        made: Letter = self.real.letter(subscriber)  # type: ignore[attr-defined]
        return made


def test_a_mail_that_cannot_be_built_fails_alone(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 3)
    digest = OneBadAddress(prepare_digest(config, store, DAY, NOW), people[0].email)
    report = deliver(
        store, DAY, digest, people, Smtp(config.delivery.smtp), now=NOW, sleep=lambda _: None
    )
    assert (report.sent, report.failed) == (2, 1)
    assert rows(store)[people[0].email]["last_error"].startswith("cannot build")


def test_a_day_without_articles_sends_nothing(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 2)
    report = send_day(config, store, dt.date(2020, 1, 1), NOW)
    assert report.empty and report.sent == 0
    assert server.handler.count() == 0
    assert rows(store) == {}


def test_nothing_is_written_while_the_server_talks(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    """No transaction is open during SMTP (it would hold SQLite's write lock, or rows and a
    snapshot in PostgreSQL): the sender's connection is idle while the server answers."""
    config, store = setup
    add_people(store, 3)
    seen: list[bool] = []

    class Probe(Handler):
        async def handle_DATA(self, *args: object) -> str:
            seen.append(not store.db.in_transaction)
            return await super().handle_DATA(*args)  # type: ignore[arg-type]

    with SmtpServer(Probe()) as probing:
        report = run(smtp_config(config.root, probing.port), store)
    assert report.sent == 3 and seen == [True] * 3


def test_the_relay_has_no_mail_whose_hand_over_is_not_committed(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    """The hand-over commits on a thread of its own while the envelope and body go out; the
    final "." waits for it. Else a crash could leave a mail in the relay's hands whose row
    says it never left, and the next run would mail that reader again."""
    config, store = setup
    add_people(store, 5)
    unrecorded: list[str] = []

    class Probe(Handler):
        async def handle_DATA(self, *args: Any) -> str:
            envelope = args[2]
            with Store(config.storage) as other:  # another connection: committed rows only
                state = rows(other)
            unrecorded.extend(r for r in envelope.rcpt_tos if not state[r]["message_id"])
            return await super().handle_DATA(*args)

    with SmtpServer(Probe()) as probing:
        report = run(smtp_config(config.root, probing.port), store)
    assert report.sent == 5 and unrecorded == []


# -- a real crash: kill -9 in the middle of a list of 200 ------------------------------------

SMTPSERVER = Path(__file__).with_name("smtpserver.py")


def received_by(maildir: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in (maildir / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        counts[str(message["To"])] += 1
    return counts


def wait_for_mails(maildir: Path, count: int, sender: subprocess.Popen[bytes]) -> int:
    """Poll the server's Maildir until `count` mails arrived (the sender is mid-list)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        arrived = len(list((maildir / "new").iterdir()))
        if arrived >= count:
            return arrived
        assert sender.poll() is None, sender.stderr.read() if sender.stderr else ""
        time.sleep(0.005)
    pytest.fail(f"only {arrived} mails arrived in 60 s")


def test_kill_9_mid_list_then_rerun_mails_everyone_exactly_once(
    tmp_path: Path, news_path: Path
) -> None:
    maildir = tmp_path / "received"
    server_command = [sys.executable, str(SMTPSERVER), "--maildir", str(maildir)]
    # 10 ms per mail at the end of DATA: the list takes long enough to be killed mid-way.
    with subprocess.Popen([*server_command, "--delay", "0.01"], stdout=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().rsplit(b":", 1)[1])
            people, second = kill_then_rerun(tmp_path, news_path, maildir, port)
        finally:
            server.terminate()
            server.wait(timeout=10)

    with Store(smtp_config(tmp_path, port).storage) as store:
        state = rows(store)
    statuses = Counter(row["status"] for row in state.values())
    assert statuses["uncertain"] <= 1
    assert statuses["sent"] == 200 - statuses["uncertain"]
    counts = received_by(maildir)
    for person in people:
        if state[person.email]["status"] == "uncertain":
            assert counts[person.email] <= 1, "an uncertain mail was sent again"
        else:
            assert counts[person.email] == 1, person.email
    assert second.returncode == (1 if statuses["uncertain"] else 0), second.stderr
    assert " sent, " in second.stdout


def kill_then_rerun(
    tmp_path: Path, news_path: Path, maildir: Path, port: int
) -> tuple[list[Subscriber], subprocess.CompletedProcess[str]]:
    config = smtp_config(tmp_path, port)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        people = add_people(store, 200)
    command = [sys.executable, "-m", "publisher", "--config", str(config.root / "config.toml")]
    command += ["send", "--date", DAY.isoformat()]
    with subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE) as first:
        try:
            at_kill = wait_for_mails(maildir, 50, first)
        finally:
            first.kill()  # SIGKILL: no handler, no cleanup, no commit
            first.wait()
    assert first.returncode == -signal.SIGKILL
    assert at_kill < 200, "the kill did not land mid-list"
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return people, second


# -- the command ---------------------------------------------------------------------------


def cli(config: Config, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config.root / "config.toml"), "send", *args])
    return code, capsys.readouterr().out


def test_send_command_exit_status_says_the_state_of_the_day(
    setup: tuple[Config, Store],
    server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config, store = setup
    add_people(store, 5)
    server.handler.plan("reader1@example.org", REJECT)
    server.handler.plan("reader2@example.org", DROP_AFTER_DATA)
    server.handler.plan("reader3@example.org", DEFER, DEFER, DEFER)
    server.handler.plan("reader4@example.org", DROP_AFTER_DATA)
    quick = RetryPolicy(max_attempts=3, max_consecutive_failures=10, backoff=0.01)
    monkeypatch.setattr(engine, "retry_policy", lambda config: quick)  # it really waits

    code, out = cli(config, capsys, "--date", DAY.isoformat())
    assert code == 1
    assert f"{DAY}: 1 sent, 1 failed, 2 uncertain, 1 deferred" in out
    assert "run the same command again later" in out
    assert "reader2@example.org  <digest." in out and "deliveries settle --date" in out

    # This run only sends the deferred mail, but the day still has a failure in it.
    code, out = cli(config, capsys, "--date", DAY.isoformat())
    assert code == 1
    assert "1 sent, 0 failed, 0 uncertain, 0 deferred (4 done before)" in out

    # --retry-uncertain alone resends nothing nobody settled.
    code, out = cli(config, capsys, "--date", DAY.isoformat(), "--retry-uncertain")
    assert code == 1 and "0 sent" in out
    assert server.handler.count("reader2@example.org") == 1

    [reader2_id] = [r.message_id for r in store.uncertain_deliveries(DAY) if "2@" in r.email]
    assert (
        main(
            [
                "--config",
                str(config.root / "config.toml"),
                "deliveries",
                "settle",
                "--date",
                DAY.isoformat(),
                "--sent",
                "READER4@example.org",
                "--resend",
                reader2_id,
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert f"{DAY}: reader4@example.org marked as sent" in out
    assert f"{DAY}: reader2@example.org queued again" in out
    code, out = cli(config, capsys, "--date", DAY.isoformat())
    assert code == 1 and "1 sent" in out  # reader1's 550 stays on the day's record
    assert server.handler.count("reader2@example.org") == 2
    assert server.handler.count("reader4@example.org") == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_tls_setting_the_relay_does_not_speak_exits_1_naming_it_and_keeps_everyone_queued(
    tmp_path: Path,
    server: SmtpServer,
    news_path: Path,
    capsys: pytest.CaptureFixture[str],
    security: str,
) -> None:
    """TLS against a plaintext port, STARTTLS from a relay that offers none: permanent,
    not "try again later" (issue 26.9). Nobody is failed: fixed, the next send mails all."""
    config = smtp_config(tmp_path, server.port, security=security)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        people = add_people(store, 3)
    code, out = cli(config, capsys, "--date", DAY.isoformat())
    assert code == 1
    assert "stopped: the server refuses every mail" in out and "delivery.smtp.security" in out
    with Store(config.storage) as store:
        assert {row["status"] for row in rows(store).values()} == {"queued"}
    assert server.handler.count() == 0

    fixed = smtp_config(tmp_path, server.port, security="none")
    code, out = cli(fixed, capsys, "--date", DAY.isoformat())
    assert code == 0, out
    assert sorted(i.rcpt_tos[0] for i in server.handler.received) == [p.email for p in people]


def test_settling_a_name_that_is_not_uncertain_changes_nothing(
    setup: tuple[Config, Store], server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = setup
    add_people(store, 2)
    server.handler.plan("reader1@example.org", DROP_AFTER_DATA)
    assert cli(config, capsys, "--date", DAY.isoformat())[0] == 1
    code = main(
        [
            "--config",
            str(config.root / "config.toml"),
            "deliveries",
            "settle",
            "--date",
            DAY.isoformat(),
            "--resend",
            "reader1@example.org",
            "reader0@example.org",
        ]
    )
    assert code == 1
    error = capsys.readouterr().err
    assert "not an uncertain or failed delivery of 2025-12-14: reader0@example.org" in error
    assert store.delivery_counts(DAY)[DeliveryStatus.UNCERTAIN] == 1


def test_send_command_on_a_day_without_articles(
    config: Config, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(config, capsys, "--date", "2020-01-01")
    assert code == 0 and out.endswith("\nno articles for 2020-01-01: nothing to send\n")


def test_a_paused_reader_gets_nothing_until_the_pause_ends(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    resting, back, other = add_people(store, 3)
    yesterday = DAY - dt.timedelta(days=1)
    preferences.apply(store, resting, preferences.Change(paused_until=DAY + one_day), yesterday)
    preferences.apply(store, back, preferences.Change(paused_until=DAY), yesterday)
    report = run(config, store)
    assert report.sent == 2
    assert server.handler.count(resting.email) == 0
    assert server.handler.count(back.email) == server.handler.count(other.email) == 1


def test_a_change_while_the_day_is_sent_gives_exactly_one_mail(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    people = add_people(store, 2)
    stopped = threading.Event()
    stopped.set()  # the day's rows are queued, nothing is sent yet
    assert run(config, store, stop=stopped).deferred == 2
    preferences.apply(store, people[0], preferences.Change(paused_until=DAY + one_day), DAY)
    preferences.apply(store, people[1], preferences.Change(edition=Script.HANT), DAY)
    assert run(config, store).sent == 2
    assert run(config, store).sent == 0
    assert [server.handler.count(p.email) for p in people] == [1, 1]
