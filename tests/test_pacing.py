"""Per-domain pace and the warm-up cap: what is held back waits in the queue, in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from smtpserver import FakeClock

from conftest import DAY, NOW, make_config, store_day
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import subscribers
from publisher.records import DeliveryStatus, Script
from publisher.store import Store

pytestmark = pytest.mark.engines


def readers(config: Config, store: Store, *emails: str) -> None:
    for email in emails:
        subscribers.add(store, email, Script.HANT, NOW)
    store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])


def test_a_paced_domain_waits_its_turn_and_others_do_not(tmp_path: Path) -> None:
    text = (
        '[delivery]\nper_domain_per_minute = { "qq.com" = 60 }\n'
        "[delivery.smtp]\nmax_wait_seconds = 0\n"
    )
    config = make_config(tmp_path, text)
    with Store(config.storage) as store:
        readers(config, store, "a@qq.com", "b@qq.com", "c@qq.com", "d@example.org")
        clock = FakeClock()
        report = send_day(config, store, DAY, NOW, clock=clock, sleep=clock.sleep)
    assert (report.sent, report.deferred, report.stopped) == (4, 0, False)
    assert clock.sleeps == [1.0, 1.0], "one a second to qq.com; the pace is no relay trouble"


def test_the_daily_cap_leaves_the_rest_for_the_next_day(tmp_path: Path) -> None:
    config = make_config(tmp_path, "[delivery]\ndaily_cap = 3\n")
    with Store(config.storage) as store:
        readers(config, store, *(f"reader{n}@example.org" for n in range(5)))
        first = send_day(config, store, DAY, NOW)
        assert (first.sent, first.deferred, first.stopped) == (3, 2, True)
        assert "delivery.daily_cap" in first.reason
        later = send_day(config, store, DAY, NOW + dt.timedelta(hours=2))
        assert later.sent == 0, "the cap is per day, across runs"
        tomorrow = send_day(config, store, DAY, NOW + dt.timedelta(days=1))
        assert tomorrow.sent == 2
        assert store.delivery_counts(DAY)[DeliveryStatus.SENT] == 5
