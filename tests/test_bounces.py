"""Bounces and complaints: real DSN and ARF mails (tests/data/bounces/, written after RFC
3464 and 5965 and what Postfix and Exim send) read from files, a Maildir and an mbox, and
applied to a list that was really sent a digest."""

from __future__ import annotations

import dataclasses
import mailbox
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DAY, NOW, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import bounces, subscribers, tokens
from publisher.mail.digest import prepare_digest
from publisher.records import BounceKind, Script, SubscriberStatus
from publisher.run.daily import read_bounces
from publisher.store import Store

pytestmark = pytest.mark.engines

DATA = Path(__file__).parent / "data" / "bounces"
SECRET = "a-fixed-test-secret-for-bounces"  # verp-hard.eml's token is signed with it
MALFORMED = ("bad-status.eml", "out-of-office.eml", "truncated.eml")


@pytest.fixture
def sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Config, Store]]:
    """ann (id 1, zh-Hant), bo (2, zh-Hans) and cy (3, zh-Hant), each sent the digest of
    DAY, so their Message-IDs are in the delivery table as the fixtures quote them."""
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    config = make_config(tmp_path, "[bounces]\nsoft_limit = 2\nsoft_days = 7\n")
    with Store(config.storage) as store:
        for name, script in (("ann", Script.HANT), ("bo", Script.HANS), ("cy", Script.HANT)):
            subscribers.add(store, f"{name}@example.org", script, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        assert send_day(config, store, DAY, NOW).sent == 3
        yield config, store


def status_of(store: Store) -> dict[str, SubscriberStatus]:
    return {person.email: person.status for person in store.subscribers()}


def cli(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def test_each_report_reads_as_what_it_says() -> None:
    hard = bounces.parse((DATA / "postfix-hard.eml").read_bytes())
    assert [(r.recipient, r.status, r.kind) for r in hard.recipients] == [
        ("ann@example.org", "5.1.1", BounceKind.HARD)
    ]
    assert hard.message_id == "<digest.2025-12-14.zh-Hant.1@news.example.org>"
    soft = bounces.parse((DATA / "exim-delayed.eml").read_bytes())
    assert [r.kind for r in soft.recipients] == [BounceKind.SOFT]
    complaint = bounces.parse((DATA / "arf-complaint.eml").read_bytes())
    assert complaint.complaint and complaint.message_id.endswith(".3@news.example.org>")
    verp = bounces.parse((DATA / "verp-hard.eml").read_bytes())
    assert verp.message_id == "" and verp.verp_tokens == ("2.ft4-6Mx13ybCibAs-ZMCvg",)


def test_bounces_mark_dead_addresses_and_complaints_unsubscribe(
    sent: tuple[Config, Store], caplog: pytest.LogCaptureFixture
) -> None:
    config, store = sent
    paths = [str(DATA / name) for name in ("postfix-hard.eml", "verp-hard.eml")]
    assert cli(config, "bounces", *paths, str(DATA / "arf-complaint.eml")) == 0
    assert status_of(store) == {
        "ann@example.org": SubscriberStatus.BOUNCED,  # 5.1.1, matched by Message-ID
        "bo@example.org": SubscriberStatus.BOUNCED,  # 5.0.0, matched by its VERP token
        "cy@example.org": SubscriberStatus.UNSUBSCRIBED,  # marked the digest as spam
    }
    # Nobody of them is mailed again, and `status` shows it.
    next_day = DAY.replace(day=15)
    store_day(config, store, [("測試標題二", "另一段測試內文。", "範例報")], next_day)
    assert send_day(config, store, next_day, NOW).sent == 0
    caplog.clear()
    assert cli(config, "status") == 0


def test_status_counts_the_bounced(
    sent: tuple[Config, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = sent
    cli(config, "bounces", str(DATA / "postfix-hard.eml"))
    capsys.readouterr()
    cli(config, "status")
    assert "1 bounced zh-Hant" in capsys.readouterr().out


def test_malformed_mail_is_skipped_with_a_warning_naming_it(
    sent: tuple[Config, Store], caplog: pytest.LogCaptureFixture
) -> None:
    config, store = sent
    paths = [str(DATA / name) for name in (*MALFORMED, "postfix-hard.eml")]
    assert cli(config, "bounces", *paths) == 1
    for name in MALFORMED:
        assert any(name in record.getMessage() for record in caplog.records), name
    assert status_of(store)["ann@example.org"] is SubscriberStatus.BOUNCED


def test_soft_bounces_count_until_the_limit_and_reading_twice_counts_once(
    sent: tuple[Config, Store], tmp_path: Path
) -> None:
    config, store = sent
    delayed = (DATA / "exim-delayed.eml").read_bytes()
    first = tmp_path / "first.eml"
    first.write_bytes(delayed)
    cli(config, "bounces", str(first), str(first))
    assert status_of(store)["bo@example.org"] is SubscriberStatus.ACTIVE, "one soft bounce"
    second = tmp_path / "second.eml"
    second.write_bytes(delayed.replace(b"E1vQ7Tg-0002Xe-9q", b"E1vQ9Zz-0003Ab-1x"))
    cli(config, "bounces", str(second))
    assert status_of(store)["bo@example.org"] is SubscriberStatus.BOUNCED, "soft_limit = 2"


def test_an_mbox_and_a_maildir_are_read(sent: tuple[Config, Store], tmp_path: Path) -> None:
    config, store = sent
    box = mailbox.mbox(tmp_path / "returned.mbox")
    for name in ("postfix-hard.eml", "arf-complaint.eml"):
        box.add((DATA / name).read_bytes())
    box.close()
    assert cli(config, "bounces", str(tmp_path / "returned.mbox")) == 0
    assert status_of(store)["cy@example.org"] is SubscriberStatus.UNSUBSCRIBED
    assert status_of(store)["ann@example.org"] is SubscriberStatus.BOUNCED


def test_the_daily_run_reads_the_configured_maildir_and_files_it_away(
    sent: tuple[Config, Store], tmp_path: Path
) -> None:
    config, store = sent
    config = dataclasses.replace(
        config, bounces=dataclasses.replace(config.bounces, maildir="bounces")
    )
    folder = tmp_path / "bounces"
    mailbox.Maildir(folder, create=True).close()
    shutil.copy(DATA / "postfix-hard.eml", folder / "new" / "1765736047.x.host")
    read_bounces(config, store, NOW)
    assert status_of(store)["ann@example.org"] is SubscriberStatus.BOUNCED
    assert not list((folder / "new").iterdir())
    assert [p.name for p in (folder / "cur").iterdir()] == ["1765736047.x.host:2,S"]


def test_with_verp_the_envelope_sender_names_the_subscriber(sent: tuple[Config, Store]) -> None:
    config, store = sent
    config = dataclasses.replace(config, bounces=dataclasses.replace(config.bounces, verp=True))
    digest = prepare_digest(config, store, DAY, NOW)
    assert digest is not None
    (bo,) = [p for p in store.subscribers() if p.email == "bo@example.org"]
    letter = digest.letter(bo)
    assert letter is not None
    sender = letter.sender
    assert sender.startswith("bounce+") and sender.endswith("@localhost")
    token = sender.removeprefix("bounce+").partition("@")[0]
    assert tokens.verify(SECRET.encode(), "bounce", token) == bo.id


REAL = (DATA / "postfix-hard.eml").read_bytes()
# Where the parser looks (each header line, Status above all): a cut anywhere rarely lands
# inside one of them, so cuts are drawn near them too.
FIELDS = [found.start() for found in re.finditer(rb"^[A-Za-z-]+:", REAL, re.MULTILINE)]
CUTS = st.one_of(
    st.integers(min_value=0, max_value=len(REAL)),
    st.builds(sum, st.tuples(st.sampled_from(FIELDS), st.integers(min_value=0, max_value=40))),
)


@settings(max_examples=200)
@given(st.binary(max_size=400), CUTS)
def test_any_bytes_parse_or_fail_with_a_reason(noise: bytes, cut: int) -> None:
    """Garbage, and real reports cut or spliced anywhere, never crash the parser; what
    parses is a report the bounce handling can act on."""
    real = REAL
    for data in (noise, real[:cut] + noise, real[:cut] + noise + real[cut:]):
        try:
            report = bounces.parse(data)
        except bounces.BounceError as error:
            assert str(error)
        else:
            assert_sound(report)


def assert_sound(report: bounces.Report) -> None:
    """What the bounce handling relies on in a report that parsed: an identity to count it
    once by, and for a DSN at least one recipient with an RFC 3463 status it can act on."""
    assert report.report_id.startswith(("<", "sha256:")), report.report_id
    assert report.message_id == "" or report.message_id.startswith("<")
    assert report.complaint or report.recipients, "a DSN names whom it is about"
    for status in report.recipients:
        assert re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", status.status), status
        assert status.action == status.action.strip().lower()
        got_through = status.action in {"delivered", "relayed", "expanded"}
        assert (status.refusal is None) == got_through, "a refusal reads as one, with a code"
        assert status.refusal is None or status.refusal.code
    assert report.date is None or report.date.tzinfo is not None


def test_the_soundness_check_fails_a_report_without_a_status() -> None:
    real = bounces.parse((DATA / "postfix-hard.eml").read_bytes())
    assert_sound(real)
    broken = dataclasses.replace(
        real, recipients=(dataclasses.replace(real.recipients[0], status="5.1"),)
    )
    with pytest.raises(AssertionError):
        assert_sound(broken)


def dsn(number: int, recipient: str, message_id: str, status: str, diagnostic: str) -> bytes:
    """A DSN as a relay writes one after the receiver refused `recipient` (RFC 3464)."""
    action = "delayed" if status.startswith("4") else "failed"
    boundary = f"dsn-{number}"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\r\n"
        f"To: digest@localhost\r\nMessage-ID: <dsn.{number}@relay.example.net>\r\n"
        f"Date: Mon, {15 + number % 10} Dec 2025 09:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; relay.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nTo: {recipient}\r\n\r\n--{boundary}--\r\n"
    ).encode()


def message_id_of(store: Store, email: str) -> str:
    (person,) = [p for p in store.subscribers() if p.email == email]
    return store.deliveries_of(person.id)[0].message_id


def test_refusals_for_the_senders_problem_mark_nobody_and_are_named(
    sent: tuple[Config, Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = sent
    refused = dsn(
        1,
        "ann@example.org",
        message_id_of(store, "ann@example.org"),
        "5.7.1",
        "550 5.7.1 Service unavailable, Client host blocked using a blocklist",
    )
    bad = dsn(2, "cy@example.org", message_id_of(store, "cy@example.org"), "5.1.1", "550 5.1.1 no")
    (tmp_path / "refused.eml").write_bytes(refused)
    (tmp_path / "bad.eml").write_bytes(bad)
    assert cli(config, "bounces", str(tmp_path / "refused.eml"), str(tmp_path / "bad.eml")) == 0
    assert status_of(store)["ann@example.org"] is SubscriberStatus.ACTIVE, "5.7.1: not ann's"
    assert status_of(store)["cy@example.org"] is SubscriberStatus.BOUNCED, "5.1.1: bounced"
    captured = capsys.readouterr()
    assert "1 refused for a reason of the sender's" in captured.out
    assert "5.7.1" in captured.err and "blocklist" in captured.err


def test_three_full_mailboxes_within_the_window_suppress_at_the_third(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defaults: 3 soft bounces within 15 days."""
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    config = make_config(tmp_path)
    assert (config.bounces.soft_limit, config.bounces.soft_days) == (3, 15)
    with Store(config.storage) as store:
        subscribers.add(store, "bo@example.org", Script.HANS, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        send_day(config, store, DAY, NOW)
        message_id = message_id_of(store, "bo@example.org")
        for number in (1, 2, 3):
            path = tmp_path / f"full-{number}.eml"
            path.write_bytes(dsn(number, "bo@example.org", message_id, "4.2.2", "452 4.2.2 Full"))
            assert cli(config, "bounces", str(path)) == 0
            expected = SubscriberStatus.BOUNCED if number == 3 else SubscriberStatus.ACTIVE
            assert status_of(store)["bo@example.org"] is expected, number
