"""Refusals as receivers say them, at send (aiosmtpd answering as Gmail, Outlook, QQ and
Yahoo do) and in the table itself: who is marked, what waits, what stops the run."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import test_delivery
from hypothesis import given
from hypothesis import strategies as st
from smtpserver import FakeClock, SmtpServer
from test_delivery import add_people, rows, run, smtp_config

from conftest import NOW
from publisher.articles.ingest import ingest_file
from publisher.cli import main
from publisher.config import Config
from publisher.mail import subscribers
from publisher.mail.refusals import RULES, Verdict, classify
from publisher.mail.refusals import table as refusals_table
from publisher.records import Script, SubscriberStatus
from publisher.store import Store

pytestmark = pytest.mark.engines

# The relay and the site the delivery tests use, as this module's fixtures too.
server = test_delivery.server
setup = test_delivery.setup

DAY = NOW.date()
GMAIL_DMARC = (
    "550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy"
)
QQ_THROTTLE = "550 Mailbox unavailable or access denied [MRW...] frequency limited"


def statuses(store: Store) -> dict[str, SubscriberStatus]:
    return {person.email: person.status for person in store.subscribers()}


def send(config: Config, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--config", str(config.root / "config.toml"), "send", "--date", str(DAY)])
    return code, capsys.readouterr().out


def test_a_dmarc_refusal_to_everyone_stops_the_run_and_marks_nobody(
    setup: tuple[Config, Store], server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = setup
    people = add_people(store, 8)
    server.handler.default = GMAIL_DMARC
    code, out = send(config, capsys)
    assert code == 1
    assert "5.7.26" in out and "DMARC" in out and "publisher doctor" in out
    assert len(server.handler.attempts) == 3, "stopped after max_sender_refusals in a row"
    assert set(statuses(store).values()) == {SubscriberStatus.ACTIVE}, "nobody bounced"
    assert {row["status"] for row in rows(store).values()} == {"queued"}, "nobody failed"
    main(["--config", str(config.root / "config.toml"), "status"])
    status = capsys.readouterr().out
    assert "5.7.26" in status and "DMARC" in status, "status says why mail waits"

    server.handler.default = "accept"  # the operator fixed DKIM
    code, out = send(config, capsys)
    assert code == 0
    assert sorted(i.rcpt_tos[0] for i in server.handler.received) == sorted(p.email for p in people)


def test_a_bad_mailbox_bounces_that_reader_and_the_rest_are_sent(
    setup: tuple[Config, Store], server: SmtpServer
) -> None:
    config, store = setup
    add_people(store, 5)
    server.handler.plan("reader2@example.org", "550 5.1.1 The email account does not exist")
    report = run(config, store)
    assert (report.sent, report.failed, report.bounced, report.stopped) == (4, 1, 1, False)
    assert statuses(store)["reader2@example.org"] is SubscriberStatus.BOUNCED
    assert [s for s in statuses(store).values() if s is SubscriberStatus.BOUNCED] == [
        SubscriberStatus.BOUNCED
    ]
    bounce = store.bounces_of(store.subscribers()[2].id)
    assert [(b.kind.value, b.status) for b in bounce] == [("hard", "5.1.1")]


@pytest.mark.parametrize(
    "reply",
    [QQ_THROTTLE, "452 4.2.2 The email account that you tried to reach is over quota"],
)
def test_throttles_and_full_mailboxes_are_deferred(
    setup: tuple[Config, Store], server: SmtpServer, reply: str
) -> None:
    config, store = setup
    add_people(store, 4)
    server.handler.plan("reader1@example.org", reply, "accept")
    report = run(config, store)
    assert (report.sent, report.failed, report.deferred) == (4, 0, 0)
    assert statuses(store)["reader1@example.org"] is SubscriberStatus.ACTIVE
    assert server.handler.count("reader1@example.org") == 1


def test_a_throttled_domain_waits_while_other_domains_go_on(
    tmp_path: Path, server: SmtpServer, news_path: Path
) -> None:
    """QQ says slow down: the other qq.com readers wait for the back-off, the rest go."""
    config = smtp_config(tmp_path, server.port, max_attempts=5)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        for name in ("a@qq.com", "b@qq.com", "c@example.org", "d@example.org"):
            subscribers.add(store, name, Script.HANS, NOW)
        server.handler.plan("a@qq.com", QQ_THROTTLE, "accept")
        clock = FakeClock()
        report = run(config, store, clock=clock, sleep=clock.sleep)
        assert (report.sent, report.deferred) == (4, 0)
        order = [item.rcpt_tos[0] for item in server.handler.received]
        assert order[:2] == ["c@example.org", "d@example.org"], "other domains went first"
        assert clock.sleeps == [60.0], "one back-off from qq.com, then both its mails"


def test_the_table_classifies_what_the_issue_names() -> None:
    assert classify("5.7.26 Unauthenticated", 550).verdict is Verdict.SENDER
    assert classify("5.7.515 Access denied", 550).verdict is Verdict.SENDER
    assert classify("5.1.1 user unknown", 550).verdict is Verdict.BAD_ADDRESS
    assert classify("5.2.1 account disabled", 550).verdict is Verdict.BAD_ADDRESS
    assert classify("5.2.2 mailbox full", 552).verdict is Verdict.MAILBOX_FULL
    assert classify("5.4.1 Recipient address rejected: Access denied", 550).verdict is (
        Verdict.BAD_ADDRESS
    ), "Outlook's 5.4.1 for an unknown recipient"
    assert classify("5.4.4 unable to route", 550).verdict is Verdict.SENDER
    assert classify("5.3.4 message too big", 552).verdict is Verdict.SENDER
    assert classify(QQ_THROTTLE[4:], 550).verdict is Verdict.THROTTLE
    assert classify("4.7.0 [TSS04] Messages temporarily deferred", 421).verdict is (
        Verdict.THROTTLE
    )
    assert classify("5.7.1 [TSS04] deferred", 554).verdict is Verdict.THROTTLE
    assert classify("Try later", 450).verdict is Verdict.DEFER
    assert classify("5.7.15 x", 550).meaning != classify("5.7.1 x", 550).meaning


def test_every_rule_names_its_source() -> None:
    assert all(rule.source and rule.meaning for rule in RULES)


@given(st.text(max_size=80), st.integers(min_value=400, max_value=599))
def test_any_reply_is_read_without_error(text: str, basic: int) -> None:
    refusal = classify(text, basic)
    assert refusal.verdict in Verdict
    if basic < 500:
        assert not refusal.permanent, "a 4xx is never final"


class SleeplessClock(FakeClock):
    """The real clock plus every sleep taken: a socket's time-out takes real time, a back-off
    none."""

    def __call__(self) -> float:
        return time.monotonic() + sum(self.sleeps)


def test_a_relay_that_never_answers_is_left_within_the_cap_and_one_timeout(
    tmp_path: Path, news_path: Path
) -> None:
    """The relay accepts the connection and says nothing: each attempt costs a time-out,
    and that time counts against max_wait_seconds like any back-off."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the connection; nobody ever answers
        port = listener.getsockname()[1]
        config = smtp_config(
            tmp_path, port, timeout=1.0, max_wait_seconds=1.5, max_consecutive_failures=50
        )
        with Store(config.storage) as store:
            ingest_file(config, store, news_path, day=DAY, now=NOW)
            add_people(store, 3)
            clock = SleeplessClock()
            report = run(config, store, clock=clock, sleep=clock.sleep)
    assert report.stopped and "max_wait_seconds" in report.reason
    assert clock.sleeps == [], "after one time-out a 1 s back-off would pass the 1.5 s cap"
    assert (report.sent, report.deferred) == (0, 3)


def test_a_failed_mail_can_be_settled_to_resend(
    setup: tuple[Config, Store], server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = setup
    add_people(store, 3)
    server.handler.plan("reader1@example.org", "550 5.9.1 Refused for an unknown reason")
    assert run(config, store).failed == 1
    assert rows(store)["reader1@example.org"]["status"] == "failed"
    settle = ["deliveries", "settle", "--date", str(DAY)]
    config_args = ["--config", str(config.root / "config.toml")]
    assert main([*config_args, *settle, "--sent", "reader1@example.org"]) == 1
    assert main([*config_args, *settle, "--resend", "reader1@example.org"]) == 75
    assert "reader1@example.org queued again" in capsys.readouterr().out
    assert run(config, store).sent == 1
    assert server.handler.count("reader1@example.org") == 1


def test_a_domain_that_keeps_deferring_is_backed_off_whole(
    tmp_path: Path, server: SmtpServer, news_path: Path
) -> None:
    """One deferral is about its reader (greylisting); three in a row from one domain are
    about the domain: its other readers wait too, other domains go on."""
    config = smtp_config(tmp_path, server.port, max_attempts=5)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        for name in ("a", "b", "c", "d"):
            subscribers.add(store, f"{name}@slow.example", Script.HANT, NOW)
        subscribers.add(store, "e@example.org", Script.HANT, NOW)
        for name in ("a", "b", "c"):
            server.handler.plan(f"{name}@slow.example", "451 4.3.0 Try again later", "accept")
        clock = FakeClock()
        report = run(config, store, clock=clock, sleep=clock.sleep)
    assert (report.sent, report.deferred) == (5, 0)
    order = [item.rcpt_tos[0] for item in server.handler.received]
    assert order[0] == "e@example.org", "the other domain went on"
    assert [a for a, _ in server.handler.attempts].count("d@slow.example") == 1, "d waited"
    assert sum(clock.sleeps) == 60.0, "one back-off from the domain"


def test_the_readme_shows_the_whole_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for match, verdict, meaning, _ in refusals_table():
        shown = f'text "{match[6:]}"' if match.startswith("text: ") else match
        assert f"| `{shown}` | {verdict} | {meaning} |" in readme, match
