"""Telegram: each article of a day to its edition's channel, exactly once, at Telegram's
pace, against a fake Bot API on 127.0.0.1 (telegram.api_url): it records what each chat
was sent, as the channel would show it."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from loopback import Answer, Request, Server, closed_port, serving

from conftest import DAY, NOW, REPO, make_config
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_file
from publisher.cli import main
from publisher.config import Config
from publisher.delivery import posts as posting
from publisher.delivery.telegram import BotApi, RateLimit
from publisher.records import Article, Post, PostStatus, Rendition, Script, Text
from publisher.run import daily
from publisher.site.paths import Site
from publisher.store import Store

pytestmark = pytest.mark.engines

TOKEN = "123456789:SECRET-token_of-the-bot"
CHANNELS = '[telegram]\nchannels = {"zh-Hant" = "@news_hant", "zh-Hans" = "@news_hans"}\n'
FAST = "per_channel_per_minute = 60000\nper_second = 1000\n"


@dataclass
class FakeBotApi:
    """What each chat got, and how to answer: `first` answers the first requests as given
    (then ok); `on_request` runs as a request arrives, before it is answered."""

    first: list[Answer] = field(default_factory=list)
    on_request: Callable[[], None] = lambda: None
    posted: list[tuple[str, str]] = field(default_factory=list)  # (chat, text)
    paths: list[str] = field(default_factory=list)
    armed: bool = False  # the kill test's: kill the poster at this run's first request

    def __call__(self, request: Request) -> Answer:
        self.paths.append(request.path)
        self.on_request()
        if self.first:
            return self.first.pop(0)
        if request.path != f"/bot{TOKEN}/sendMessage":
            return _error(401, "Unauthorized")
        body = json.loads(request.body)
        assert body["parse_mode"] == "HTML"
        self.posted.append((body["chat_id"], body["text"]))
        result = {"message_id": len(self.posted), "chat": {"username": body["chat_id"]}}
        return Answer(200, json.dumps({"ok": True, "result": result}).encode(), "application/json")


def _error(code: int, description: str, **parameters: object) -> Answer:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, json.dumps(body).encode(), "application/json")


@pytest.fixture
def fake() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def api(fake: FakeBotApi) -> Iterator[Server]:
    with serving(fake) as server:
        yield server


def telegram_site(
    tmp_path: Path, api_url: str, extra: str = FAST, channels: str = CHANNELS
) -> Config:
    return make_config(tmp_path, f'{channels}api_url = "{api_url.rstrip("/")}"\n{extra}')


@pytest.fixture
def site(tmp_path: Path, api: Server, news_path: Path) -> Config:
    config = telegram_site(tmp_path, api.url)
    with Store(config.storage) as store:
        assert ingest_file(config, store, news_path, day=DAY, now=NOW).error is None
    return config


def cli(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def urls_in(posted: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """(chat, article page) → how many times it was posted."""
    found: Counter[tuple[str, str]] = Counter()
    for chat, text in posted:
        (url,) = [part.split('"')[1] for part in text.split("<a href=")[1:]]
        found[(chat, url)] += 1
    return found


def expected(config: Config) -> set[tuple[str, str]]:
    site = Site.from_config(config)
    chats = {"zh-Hant": "@news_hant", "zh-Hans": "@news_hans"}
    with Store(config.storage) as store:
        articles = store.articles(day=DAY)
    return {
        (chats[edition.tag], site.url(site.article_path(edition, article)))
        for edition in site.editions
        for article in articles
    }


def test_a_post_reads_as_the_editions_page_with_its_text_escaped() -> None:
    config = Config()
    site = Site.from_config(config)
    original = Text('晶片 <b>供應</b> & "價格"', "內文。", "甲報 <社>")
    article = Article("ab" * 32, DAY, 0, NOW, Script.HANT, original)
    hans = site.editions.default(Script.HANS)
    converted = Scripts.from_config(config).converter_for(hans).convert_text(original)
    text = posting.message(site, Rendition(article, hans, converted))
    assert text == (
        '<b>芯片 &lt;b&gt;供应&lt;/b&gt; &amp; "价格"</b>\n'
        "甲报 &lt;社&gt; · 2025年12月14日\n"
        f'<a href="{site.url(site.article_path(hans, article))}">阅读全文</a>'
    )


def test_post_puts_each_article_once_in_each_editions_channel_in_batch_order(
    site: Config,
    fake: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PUBLISHER_TELEGRAM_TOKEN", TOKEN)
    assert cli(site, "post", "--date", DAY.isoformat()) == 0
    assert set(urls_in(fake.posted)) == expected(site)
    assert max(urls_in(fake.posted).values()) == 1
    with Store(site.storage) as store:
        order = [a.key[:16] for a in store.articles(day=DAY)]
    for chat in ("@news_hant", "@news_hans"):
        shown = [text for to, text in fake.posted if to == chat]
        assert [text.split(".html")[0][-16:] for text in shown] == order
        assert all(text.startswith("<b>") for text in shown)
    assert "posts 2025-12-14: 16 sent, 0 failed, 0 uncertain, 0 queued" in capsys.readouterr().out

    assert cli(site, "post", "--date", DAY.isoformat()) == 0
    assert len(fake.posted) == 16, "a second run posts nothing"
    assert cli(site, "status") == 0
    status = capsys.readouterr().out
    assert "telegram posts:\n  2025-12-14  zh-Hans @news_hans: 8 sent\n" in status
    assert "  2025-12-14  zh-Hant @news_hant: 8 sent\n" in status


def test_a_429_is_waited_out_and_the_post_goes_once(
    config: Config, store: Store, news_path: Path, api: Server, fake: FakeBotApi
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    fake.first = [_error(429, "Too Many Requests: retry after 7", retry_after=7)]
    clock = Clock()
    report = post_with(config, store, api.url, clock)
    assert (report.sent, report.queued, report.uncertain) == (16, 0, 0)
    assert clock.slept and max(clock.slept) >= 7, "Telegram's retry_after is honoured"
    assert max(urls_in(fake.posted).values()) == 1 and len(fake.posted) == 16


def test_posts_keep_to_telegrams_pace(
    config: Config, store: Store, news_path: Path, api: Server, fake: FakeBotApi
) -> None:
    """20 a minute to one chat (3 s apart), 30 a second in all: the clock says when each
    message went (no real waiting)."""
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    clock = Clock()
    sent_at: list[float] = []
    fake.on_request = lambda: sent_at.append(clock.now)
    post_with(config, store, api.url, clock, per_minute=20, per_second=30)
    chats = [chat for chat, _ in fake.posted]
    for chat in set(chats):
        times = [at for at, to in zip(sent_at, chats, strict=True) if to == chat]
        assert all(b - a >= 3.0 - 1e-9 for a, b in itertools.pairwise(times))
    assert all(b - a >= 1 / 30 - 1e-9 for a, b in itertools.pairwise(sent_at))
    assert sent_at[-1] < 8 * 3.0 + 1, "the two channels' waits overlap"


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def post_with(
    config: Config,
    store: Store,
    url: str,
    clock: Clock,
    per_minute: float = 6000,
    per_second: float = 1000,
) -> posting.PostReport:
    scripts = Scripts.from_config(config)
    site = Site.from_config(config, scripts)
    chats = ("@news_hant", "@news_hans")
    channels = [
        posting.Channel(edition, chat) for edition, chat in zip(site.editions, chats, strict=True)
    ]
    limit = RateLimit(per_minute, per_second, clock, clock.sleep)
    api = BotApi(url, TOKEN)
    return posting.post_day(store, site, scripts, DAY, channels, api, limit, NOW, max_wait=600)


def dropping(_: Request) -> Answer:
    raise ConnectionResetError  # the handler dies: the connection closes without an answer


def test_the_token_shows_nowhere_whatever_fails(
    tmp_path: Path, news_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """The token is in every Bot API URL: a Bot API that is down, one that refuses, one that
    drops the connection; none of it may print, log or store the token."""
    monkeypatch.setenv("PUBLISHER_TELEGRAM_TOKEN", TOKEN)
    secret = TOKEN.split(":")[1]
    seen: list[str] = []
    for attempt, answer in enumerate(["down", "refused", "dropped"]):
        root = tmp_path / answer
        root.mkdir()
        # Chats of their own: on PostgreSQL the three sites share one store.
        chats = CHANNELS.replace('"@news_han', f'"@{answer}_han')
        quick = f"{FAST}max_wait_seconds = 0.5\n"
        if answer == "down":
            config = telegram_site(root, closed_port(), quick, chats)
            seen.append(str(cli_after_ingest(config, news_path)))
            continue
        respond = (
            dropping
            if answer == "dropped"
            else (lambda _: _error(400, "Bad Request: chat not found"))
        )
        with serving(respond) as server:
            config = telegram_site(root, server.url, quick, chats)
            seen.append(str(cli_after_ingest(config, news_path)))
            assert server.taken()[0].path.startswith("/bot")  # it was sent where it belongs
        with Store(config.storage) as store:
            errors = [post.error for post in store.posts_of(DAY)]
        seen += errors
        assert any(errors), attempt
    captured = capsys.readouterr()
    seen += [captured.out, captured.err, *(record.getMessage() for record in caplog.records)]
    assert "not reachable" in "".join(seen) and "chat not found" in "".join(seen)
    assert all(secret not in text for text in seen)


def cli_after_ingest(config: Config, news_path: Path) -> int:
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
    return cli(config, "-v", "post", "--date", DAY.isoformat())


def test_without_a_token_post_says_how_and_the_daily_run_goes_on(
    site: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str], fake: FakeBotApi,
) -> None:  # fmt: skip
    monkeypatch.delenv("PUBLISHER_TELEGRAM_TOKEN", raising=False)
    assert cli(site, "post", "--date", DAY.isoformat()) == 1
    assert "set $PUBLISHER_TELEGRAM_TOKEN" in capsys.readouterr().err
    with Store(site.storage) as store:
        report = daily.run_day(site, store, NOW)
    assert report.send is not None and report.posts is None
    assert any("telegram: nothing posted" in r.getMessage() for r in caplog.records)
    assert fake.posted == []


def test_the_daily_run_posts_after_the_mail(
    site: Config, monkeypatch: pytest.MonkeyPatch, fake: FakeBotApi
) -> None:
    monkeypatch.setenv("PUBLISHER_TELEGRAM_TOKEN", TOKEN)
    with Store(site.storage) as store:
        report = daily.run_day(site, store, NOW)
    assert report.posts is not None and report.posts.sent == 16
    assert "posts 2025-12-14: 16 sent" in report.summary()
    assert report.complete


def test_ten_kills_while_posting_lose_nothing_and_post_nothing_twice(
    site: Config, fake: FakeBotApi, tmp_path: Path
) -> None:
    """SIGKILL a real `publisher post` ten times while it posts: five times as the Bot API
    receives a request (killed between the hand-over and the answer), five racing the
    answer to that request or the next. Then it runs to the end; the uncertain posts are
    settled as an operator would, by looking in the channel (the fake's record); the next
    run posts the ones that are not there. Every article is then in each channel exactly
    once."""
    env = {**os.environ, "PUBLISHER_TELEGRAM_TOKEN": TOKEN}
    command = [sys.executable, "-m", "publisher", "--config", str(site.root / "config.toml")]
    chance = random.Random(29)
    running: list[subprocess.Popen[bytes]] = []
    kills = 0

    def kill() -> None:
        process = running[-1]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)

    countdown = 0

    def on_request() -> None:
        # The moment is counted in requests, not seconds: a fast machine posts all 16 within
        # any fixed delay, and a kill that comes after the run ended proves nothing.
        nonlocal kills, countdown
        if countdown:
            countdown -= 1
            if not countdown:
                threading.Timer(0, kill).start()  # races the answer being written
            return
        if kills >= 10 or not fake.armed:
            return
        fake.armed = False
        kills += 1
        if kills % 2:
            kill()  # as the request arrives: it will be posted, the answer never read
        elif chance.random() < 0.5:
            threading.Timer(0, kill).start()  # races this request's answer
        else:
            countdown = 1  # races the next one's

    fake.on_request = on_request
    for _ in range(40):
        fake.armed = kills < 10
        process = subprocess.Popen(
            [*command, "post", "--date", DAY.isoformat()],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        running.append(process)
        _out, err = process.communicate(timeout=120)
        if process.returncode != -signal.SIGKILL:
            assert process.returncode in (0, 1), err.decode()
            if kills >= 10:
                break
    assert kills == 10
    with Store(site.storage) as store:
        uncertain = store.posts_of(DAY, PostStatus.UNCERTAIN)
        queued = store.posts_of(DAY, PostStatus.QUEUED)
        pages = {a.key: a for a in store.articles(day=DAY)}
    assert not queued, "the run after the kills posted everything it could"
    assert uncertain, "a kill between hand-over and answer leaves the post uncertain"
    site_paths = Site.from_config(site)
    arrived = set(urls_in(fake.posted))
    by_edition = {edition.tag: edition for edition in site_paths.editions}
    there: list[Post] = []
    missing: list[Post] = []
    for post in uncertain:
        url = site_paths.url(site_paths.article_path(by_edition[post.edition], pages[post.article]))
        (there if (post.chat, url) in arrived else missing).append(post)
    assert there, "killed as the Bot API took the request: posted, and uncertain"
    for posts, flag in ((there, "--sent"), (missing, "--resend")):
        for post in posts:
            assert cli(
                site,
                "posts",
                "settle",
                "--date",
                DAY.isoformat(),
                "--edition",
                post.edition,
                flag,
                post.article[:16],
            ) in (0, 1, 75)
    final = subprocess.run(
        [*command, "post", "--date", DAY.isoformat()],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert final.returncode == 0, final.stdout.decode() + final.stderr.decode()
    counts = urls_in(fake.posted)
    assert set(counts) == expected(site), "nothing lost"
    assert max(counts.values()) == 1, "nothing twice"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('channels = {"zh-TW" = "@news"}', 'telegram.channels."zh-TW"', "names no edition"),
        ('channels = {"zh-Hant" = 5}', 'telegram.channels."zh-Hant"', "must be a string"),
        ('api_url = "api.telegram.org"', "telegram.api_url", "absolute http(s) URL"),
        ('token = "1:x"', "telegram.token", "unknown key"),
    ],
)
def test_a_bad_telegram_table_names_its_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    from publisher.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, f"[telegram]\n{text}\n")
    assert key in str(raised.value) and problem in str(raised.value)
