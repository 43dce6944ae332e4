"""send --test: the real mail to one address, marked as a test, recorded nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from smtpserver import SmtpServer

from conftest import DAY, NOW, make_config, store_day
from publisher.cli import main
from publisher.mail import subscribers
from publisher.records import Script
from publisher.store import Store

pytestmark = pytest.mark.engines


def test_send_test_delivers_one_mail_and_changes_no_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SmtpServer() as relay:
        config = make_config(
            tmp_path, f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {relay.port}\n'
        )
        with Store(config.storage) as store:
            subscribers.add(store, "reader@example.org", Script.HANT, NOW)
            store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
            before = store.subscribers()
        args = ["--config", str(tmp_path / "config.toml"), "send", "--date", str(DAY)]
        code = main([*args, "--test", "editor@example.org", "--edition", "zh-Hans"])
        assert code == 0
        assert "sent to editor@example.org" in capsys.readouterr().out
        (received,) = relay.handler.received
        assert received.rcpt_tos == ("editor@example.org",)
        message = received.message
        assert str(message["Subject"]).startswith("【测试】"), "marked, in the edition's script"
        assert str(message["Message-ID"]).startswith("<proof.digest.")
        with Store(config.storage) as store:
            assert not any(store.delivery_counts(DAY).values()), "no delivery row"
            assert store.subscribers() == before
        assert main(args) == 0, "the readers' send is untouched"
        assert [r.rcpt_tos for r in relay.handler.received][1:] == [("reader@example.org",)]


def test_send_test_says_why_the_relay_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SmtpServer() as relay:
        relay.handler.default = "550 5.7.26 Unauthenticated email is not accepted"
        config = make_config(
            tmp_path, f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {relay.port}\n'
        )
        with Store(config.storage) as store:
            store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        args = ["--config", str(tmp_path / "config.toml"), "send", "--date", str(DAY)]
        assert main([*args, "--test", "editor@example.org"]) == 1
    out = capsys.readouterr().out
    assert "5.7.26" in out and "DMARC" in out
