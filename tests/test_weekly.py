"""The reader's frequency and sources, honoured by sending: real mails through aiosmtpd.

A weekly reader gets the last complete week on their weekday and no daily mail; a reader
who opted out of sources gets a digest without them, rendered once per source choice and
shared; a reader whose sources published nothing gets no mail, recorded as `skipped`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import pytest
from smtpserver import DROP_AFTER_DATA, SmtpServer
from test_editions import EDITIONS

from conftest import TAIPEI, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.editions import Editions
from publisher.mail import preferences, subscribers
from publisher.mail.archive import build_site
from publisher.mail.weekly import last_complete_week, sending_day
from publisher.records import DeliveryStatus, DigestKind, Frequency, Script, Subscriber
from publisher.store import Store

pytestmark = pytest.mark.engines

# A Monday, and the week before it: Monday 1 … Sunday 7 December 2025.
MONDAY = dt.date(2025, 12, 1)
SUNDAY = dt.date(2025, 12, 7)
NEXT_WEDNESDAY = dt.date(2025, 12, 10)
NOW = dt.datetime(2025, 12, 10, 9, 0, tzinfo=TAIPEI)
TECH, SCIENCE, CITY = "測試科技報", "測試科學報", "測試城市報"


def story(day: dt.date, n: int, source: str) -> tuple[str, str, str]:
    return (
        f"第{day.day}日第{n}則：{source}的消息",
        f"這是{source}在{day.day}日的第{n}則報導。",
        source,
    )


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def site(tmp_path: Path, server: SmtpServer) -> Config:
    """A week with a busy Monday (8 tech stories) and a science story every day; on
    Wednesday the 10th only tech publishes."""
    smtp = f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {server.port}\n'
    config = make_config(tmp_path, smtp + "[digest]\nweekly_per_day = 3\n")
    with Store(config.storage) as store:
        store_day(config, store, [story(MONDAY, n, TECH) for n in range(8)], MONDAY)
        for offset in range(7):
            day = MONDAY + dt.timedelta(days=offset)
            store_day(config, store, [story(day, 9, SCIENCE)], day)
        store_day(config, store, [story(NEXT_WEDNESDAY, 1, TECH)], NEXT_WEDNESDAY)
    return config


def messages(server: SmtpServer) -> list[EmailMessage]:
    found = []
    for item in server.handler.received:
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def received(server: SmtpServer) -> dict[str, EmailMessage]:
    """The mails by recipient, when each got one."""
    return {str(message["To"]): message for message in messages(server)}


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def reader(store: Store, address: str, **change: Any) -> Subscriber:
    person = subscribers.add(store, address, Script.HANT, NOW)
    return preferences.apply(store, person, preferences.Change(**change), NOW.date())


def test_the_weekly_goes_on_the_chosen_day_with_the_weeks_lead_stories(
    site: Config, server: SmtpServer
) -> None:
    with Store(site.storage) as store:
        daily = reader(store, "daily@example.org")
        weekly = reader(store, "weekly@example.org", frequency=Frequency.WEEKLY, weekday=2)
        reader(store, "friday@example.org", frequency=Frequency.WEEKLY, weekday=4)
        report = send_day(site, store, NEXT_WEDNESDAY, NOW)
        assert report.weekly is not None and (report.sent, report.weekly.sent) == (1, 1)
        counts = store.delivery_counts(MONDAY, kind=DigestKind.WEEKLY)
        assert counts[DeliveryStatus.SENT] == 1
        again = send_day(site, store, NEXT_WEDNESDAY, NOW)
    assert again.weekly is not None and (again.sent, again.weekly.sent) == (0, 0)
    mails = received(server)
    assert set(mails) == {daily.email, weekly.email}, "weekly readers get no daily mail"
    assert len(server.handler.received) == 2, "sending again sent nothing"
    week = mails[weekly.email]
    assert "每週新聞摘要" in str(week["Subject"]) and "2025年12月1日–2025年12月7日" in str(
        week["Subject"]
    )
    assert week["Message-ID"].startswith(f"<weekly.2025-W49.{Script.HANT}.{weekly.id}@")
    text = text_of(week)
    # The newest day first; Monday's batch trimmed to its first three stories.
    assert text.index("第7日第9則") < text.index("第1日第0則") < text.index("第1日第2則")
    assert "第1日第3則" not in text and "第10日" not in text
    assert "digests/weekly/2025-W49.html" in text
    assert "第10日第1則" in text_of(mails[daily.email])


def test_one_render_per_source_choice_and_skipped_when_nothing_is_left(
    site: Config, server: SmtpServer
) -> None:
    with Store(site.storage) as store:
        everyone = [reader(store, f"all{n}@example.org") for n in range(3)]
        no_tech = [
            reader(store, f"science{n}@example.org", opted_out=frozenset({TECH})) for n in range(3)
        ]
        # Opted out only of a source absent today: shares the everyone-else mail.
        no_city = reader(store, "nocity@example.org", opted_out=frozenset({CITY}))
        report = send_day(site, store, MONDAY, NOW)
        assert (report.sent, report.skipped, report.renders) == (7, 0, 3)
        quiet = send_day(site, store, NEXT_WEDNESDAY, NOW)
        assert (quiet.sent, quiet.skipped) == (4, 3)
        counts = store.delivery_counts(NEXT_WEDNESDAY)
        assert counts[DeliveryStatus.SKIPPED] == 3 and counts[DeliveryStatus.SENT] == 4
        history = store.deliveries_of(no_tech[0].id)
    monday = [m for m in messages(server) if "2025-12-01" in m["Message-ID"]]
    assert len(monday) == 7
    mails = {str(m["To"]): text_of(m) for m in monday}
    assert all("第1日第0則" in mails[p.email] for p in [*everyone, no_city])
    assert all(
        "第1日第0則" not in mails[p.email] and "第1日第9則" in mails[p.email] for p in no_tech
    )
    assert [row.status for row in history] == ["sent", "skipped"]
    wednesday = [m for m in server.handler.received if b"2025-12-10" in m.data]
    assert {r for m in wednesday for r in m.rcpt_tos} == {p.email for p in [*everyone, no_city]}


def test_status_and_deliveries_show_skipped_and_weekly(
    site: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(site.storage) as store:
        reader(store, "science@example.org", opted_out=frozenset({TECH}))
        reader(store, "weekly@example.org", frequency=Frequency.WEEKLY, weekday=2)
        send_day(site, store, NEXT_WEDNESDAY, NOW)
    args = ["--config", str(site.root / "config.toml")]
    assert main([*args, "deliveries", "list", "--date", str(NEXT_WEDNESDAY)]) == 0
    assert "1 skipped" in capsys.readouterr().out
    assert main([*args, "status"]) == 0
    shown = capsys.readouterr().out
    assert "2025-12-10  1 skipped" in shown
    assert "weekly digests sent:" in shown and "week of 2025-12-01  1 sent" in shown


def test_an_uncertain_weekly_is_settled_by_the_operator_and_sent_once_more(
    site: Config, server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exactly-once like the daily: a weekly whose answer was lost is uncertain, never resent
    on its own; `deliveries list/settle --weekly` name it, and a resend goes with the send
    of the reader's day."""
    with Store(site.storage) as store:
        weekly = reader(store, "weekly@example.org", frequency=Frequency.WEEKLY, weekday=2)
        server.handler.plan(weekly.email, DROP_AFTER_DATA)
        report = send_day(site, store, NEXT_WEDNESDAY, NOW)
        assert report.weekly is not None and report.weekly.uncertain == 1
        send_day(site, store, NEXT_WEDNESDAY, NOW)
    assert server.handler.count(weekly.email) == 1, "an uncertain weekly is not resent"
    args = ["--config", str(site.root / "config.toml"), "deliveries"]
    # Any day of the week names its weekly, as `status` does by its Monday.
    assert main([*args, "list", "--weekly", "--date", "2025-12-03", "--uncertain"]) == 1
    listed = capsys.readouterr().out
    assert "uncertain (1):" in listed and f"{weekly.email}  <weekly.2025-W49." in listed
    assert (
        main([*args, "settle", "--weekly", "--date", str(MONDAY), "--resend", weekly.email]) == 75
    )
    said = capsys.readouterr().out
    assert f"weekly of 2025-W49 (week of {MONDAY}): {weekly.email} queued again" in said
    assert f"publisher send --date {NEXT_WEDNESDAY}" in said
    with Store(site.storage) as store:
        again = send_day(site, store, NEXT_WEDNESDAY, NOW)
    assert again.weekly is not None and again.weekly.sent == 1
    assert server.handler.count(weekly.email) == 2
    # The daily rows of that Monday are another digest: --weekly left them alone.
    assert main([*args, "list", "--date", str(MONDAY)]) == 0


@pytest.mark.parametrize("weekday", range(7))
def test_the_sending_day_is_the_one_whose_last_complete_week_it_is(weekday: int) -> None:
    day = sending_day(MONDAY, weekday)
    assert day.weekday() == weekday and last_complete_week(day) == MONDAY


def test_subscribers_set_chooses_sources_and_export_shows_every_choice(
    site: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(site.root / "config.toml")]
    with Store(site.storage) as store:
        subscribers.add(store, "cli@example.org", Script.HANT, NOW)
    chosen = [*args, "subscribers", "set", "cli@example.org", "--sources", f"{SCIENCE}"]
    assert main([*chosen, "--frequency", "weekly", "--weekday", "wed"]) == 0
    assert f"weekly on wed, all sources but {TECH}" in capsys.readouterr().out
    assert main([*args, "subscribers", "set", "cli@example.org", "--sources", "無此報"]) != 0
    assert "no such source: 無此報" in capsys.readouterr().err
    assert main([*args, "subscribers", "export", "cli@example.org"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["choices"] == {
        "script": "zh-Hant",
        "frequency": "weekly",
        "weekday": "wed",
        "paused_until": None,
        "opted_out_sources": [TECH],
    }
    assert main([*args, "subscribers", "set", "cli@example.org", "--all-sources"]) == 0
    assert capsys.readouterr().out.endswith(", all sources\n")


def test_subscribers_set_reads_a_source_named_in_either_script(
    site: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zh-Hans pages name 測試科學報 as 测试科学报; an operator may copy either."""
    args = ["--config", str(site.root / "config.toml")]
    with Store(site.storage) as store:
        subscribers.add(store, "either@example.org", Script.HANS, NOW)
    chosen = [*args, "subscribers", "set", "either@example.org", "--sources", "测试科学报"]
    assert main(chosen) == 0, capsys.readouterr().err
    with Store(site.storage) as store:
        person = subscribers.by_email(store, "either@example.org")
        assert person is not None and SCIENCE not in store.opted_out_sources(person.id)
        assert TECH in store.opted_out_sources(person.id)


def test_the_weekly_has_its_own_archive_pages_and_feed(site: Config) -> None:
    with Store(site.storage) as store:
        build_site(site, store, NOW)
    out = site.output_dir
    assert (out / "zh-Hant/digests/weekly/2025-W49.html").is_file()
    assert not (out / "zh-Hant/digests/weekly/2025-W50.html").exists(), "not ended yet"
    page = (out / "zh-Hans/digests/weekly/2025-W49.html").read_text(encoding="utf-8")
    assert "每周新闻摘要" in page and "2025年12月1日–2025年12月7日" in page
    assert (out / "zh-Hant/digests/2025-12-10.html").exists(), "the daily pages stay"
    feed = feedparser.parse((out / "zh-Hant/digests/weekly/atom.xml").read_bytes())
    assert not feed.bozo and [e.link for e in feed.entries] == [
        "https://news.example.org/zh-Hant/digests/weekly/2025-W49.html"
    ]
    daily = feedparser.parse((out / "zh-Hant/digests/atom.xml").read_bytes())
    assert all("/weekly/" not in e.link for e in daily.entries)


def test_a_regional_reader_gets_their_editions_weekly(
    tmp_path: Path, site: Config, server: SmtpServer
) -> None:
    """The week's store, now on a three-edition site: a Hong Kong weekly reader gets the
    Hong Kong weekly, whose page and feed link the same week in the other two editions."""
    smtp = f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {server.port}\n'
    regional = make_config(tmp_path, smtp + EDITIONS)
    with Store(regional.storage) as store:
        hk = Editions.from_config(regional).named("zh-HK")
        person = subscribers.add(store, "hk@example.org", hk, NOW)
        change = preferences.Change(frequency=Frequency.WEEKLY, weekday=2)
        preferences.apply(store, person, change, NOW.date())
        report = send_day(regional, store, NEXT_WEDNESDAY, NOW)
        build_site(regional, store, NOW)
    assert report.weekly is not None and report.weekly.sent == 1
    (mail,) = messages(server)
    assert mail["Message-ID"].startswith(f"<weekly.2025-W49.zh-Hant-HK.{person.id}@")
    assert "https://news.example.org/hk/digests/weekly/2025-W49.html" in text_of(mail)
    page = (regional.output_dir / "hk/digests/weekly/2025-W49.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hant-HK">' in page
    for tag, path in (("zh-Hant-TW", "tw"), ("zh-Hans-CN", "cn")):
        same = f"https://news.example.org/{path}/digests/weekly/2025-W49.html"
        assert f'<link rel="alternate" hreflang="{tag}" href="{same}">' in page
        assert f'href="../../../{path}/digests/weekly/2025-W49.html" hreflang="{tag}"' in page
    feed = feedparser.parse((regional.output_dir / "hk/digests/weekly/atom.xml").read_bytes())
    assert not feed.bozo and feed.feed.language == "zh-Hant-HK"
    assert {link.get("hreflang") for link in feed.feed.links} >= {"zh-Hant-TW", "zh-Hans-CN"}


def test_the_last_complete_week() -> None:
    assert last_complete_week(SUNDAY) == MONDAY, "on Sunday, the week that ends that day"
    assert last_complete_week(SUNDAY + dt.timedelta(days=1)) == MONDAY
    assert last_complete_week(SUNDAY - dt.timedelta(days=1)) == MONDAY - dt.timedelta(days=7)
