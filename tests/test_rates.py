"""The sender's reputation: complaint and bounce rates per digest day and edition, shown in
`status`; over the stop level the next `send` sends nothing and says why, until the
operator acknowledges the figures."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import pytest

from conftest import DAY, NOW, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.mail import subscribers
from publisher.records import Script
from publisher.store import Store

pytestmark = pytest.mark.engines

DATA = Path(__file__).parent / "data" / "bounces"
NEXT = DAY + dt.timedelta(days=1)


def cli(config: Config, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config.root / "config.toml"), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def complaint_about(store: Store, email: str, folder: Path) -> Path:
    """An ARF report about the digest mailed to `email`."""
    (person,) = [p for p in store.subscribers() if p.email == email]
    message_id = store.deliveries_of(person.id)[0].message_id
    data = (DATA / "arf-complaint.eml").read_bytes()
    data = data.replace(b"<digest.2025-12-14.zh-Hant.3@news.example.org>", message_id.encode())
    path = folder / f"complaint-{person.id}.eml"
    path.write_bytes(data.replace(b"arf.20251215080000.17", f"arf.{person.id}".encode()))
    return path


def outbox_count(config: Config) -> int:
    return len(mailbox.Maildir(config.root / "outbox", create=False))


def test_a_complaint_rate_over_the_stop_level_stops_the_next_send(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, "[rates]\nmin_mails = 10\n")
    with Store(config.storage) as store:
        for number in range(20):
            script = (Script.HANT, Script.HANS)[number % 2]
            subscribers.add(store, f"reader{number}@example.org", script, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        store_day(config, store, [("測試標題二", "另一段測試內文。", "範例報")], NEXT)
        assert cli(config, capsys, "send", "--date", str(DAY))[0] == 0
        report = complaint_about(store, "reader3@example.org", tmp_path)
        assert cli(config, capsys, "bounces", str(report))[0] == 0

        code, out = cli(config, capsys, "status")
        assert "complaints 5.00% (1 of 20 sent)" in out
        assert "zh-Hans: complaints 10.00% (1 of 10 sent)" in out, "per edition"
        assert "send stops" in out

        code, out = cli(config, capsys, "send", "--date", str(NEXT))
        assert code == 1
        assert "complaints 5.00%" in out and "--accept-rates" in out
        assert outbox_count(config) == 20, "nothing new was sent"

        code, out = cli(config, capsys, "send", "--date", str(NEXT), "--accept-rates")
        assert code == 0
        assert outbox_count(config) == 39, "sent once acknowledged (one reader left)"
        assert cli(config, capsys, "send", "--date", str(NEXT))[0] == 0, "stays acknowledged"


def test_a_small_list_is_shown_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)  # min_mails = 100
    with Store(config.storage) as store:
        for number in range(4):
            subscribers.add(store, f"reader{number}@example.org", Script.HANT, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        store_day(config, store, [("測試標題二", "另一段測試內文。", "範例報")], NEXT)
        cli(config, capsys, "send", "--date", str(DAY))
        cli(config, capsys, "bounces", str(complaint_about(store, "reader1@example.org", tmp_path)))
        code, _ = cli(config, capsys, "send", "--date", str(NEXT))
    assert code == 0 and outbox_count(config) == 7
