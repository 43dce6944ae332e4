"""WebSub: with `feeds.websub_hubs` set, every subscription feed names the hub, and after a
build (or a digest, or a daily run) that changed feeds, each hub gets one publish ping per
changed feed. A recording hub on 127.0.0.1 stands in for a real one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from loopback import Answer, Request, Server, closed_port, serving

from conftest import EXAMPLES, NOW, make_config
from publisher.cli import main
from publisher.config import Config
from publisher.delivery import websub
from publisher.run import daily
from publisher.site.paths import Site
from publisher.store import Store

pytestmark = pytest.mark.engines

ATOM = "{http://www.w3.org/2005/Atom}"


def accepting(_: Request) -> Answer:
    return Answer(202)


@pytest.fixture
def hub() -> Iterator[Server]:
    with serving(accepting) as server:
        yield server


def site_with(tmp_path: Path, *hubs: str) -> Config:
    listed = ", ".join(f'"{hub}"' for hub in hubs)
    return make_config(tmp_path, f"[feeds]\nwebsub_hubs = [{listed}]\n")


def pinged(hub: Server) -> list[str]:
    """The feeds the hub was told of, in order; each request must be a publish ping."""
    found = []
    for request in hub.taken():
        assert request.content_type == "application/x-www-form-urlencoded"
        form = urllib.parse.parse_qs(request.body.decode(), strict_parsing=True)
        assert form["hub.mode"] == ["publish"]
        (topic,) = form["hub.url"]
        found.append(topic)
    return found


def feed_bytes(config: Config) -> dict[str, str]:
    """URL → hash of every subscription feed in the output folder."""
    site = Site.from_config(config)
    with Store(config.storage) as store:
        sources = [tally.name for tally in store.counts_by_source()]
    found = {}
    for path in websub.feed_paths(site, sources):
        file = config.output_dir / path
        if file.exists():
            found[site.url(path)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


def cli(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def test_every_subscription_feed_names_the_hub_and_itself(tmp_path: Path) -> None:
    config = site_with(tmp_path, "https://hub.example.org/", "https://other.example.org/hub")
    for batch in sorted(EXAMPLES.glob("*.txt")):
        assert cli(config, "ingest", str(batch)) == 0
    assert cli(config, "build") == 0
    assert cli(config, "digest", "--date", "2025-12-14") == 0
    hubs = ["https://hub.example.org/", "https://other.example.org/hub"]
    urls = list(feed_bytes(config))
    assert len(urls) > 20
    for url in urls:
        path = config.output_dir / url.removeprefix("https://news.example.org/")
        if path.suffix == ".json":
            document = json.loads(path.read_bytes())
            assert document["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
            assert document["feed_url"] == url
            continue
        root = ElementTree.parse(path).getroot()
        links = root.iter(f"{ATOM}link")
        found = [(link.get("rel"), link.get("href")) for link in links]
        assert [href for rel, href in found if rel == "hub"] == hubs, url
        assert ("self", url) in found, url
    # Archive documents are history, not subscribed: no hub there.
    archive = next((config.output_dir / "zh-Hant" / "archive").glob("*.xml"))
    assert b'rel="hub"' not in archive.read_bytes()


def test_without_hubs_no_feed_names_one(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    for batch in sorted(EXAMPLES.glob("*.txt")):
        assert cli(config, "ingest", str(batch)) == 0
    assert cli(config, "build") == 0
    for path in config.output_dir.rglob("*"):
        if path.suffix in (".xml", ".json") and path.is_file():
            assert b'"hub"' not in path.read_bytes() and b'"hubs"' not in path.read_bytes()


def test_a_build_pings_exactly_the_feeds_it_changed_and_a_rebuild_none(
    tmp_path: Path, hub: Server, news_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site_with(tmp_path, hub.url)
    for batch in sorted(EXAMPLES.glob("*.txt")):
        assert cli(config, "ingest", str(batch)) == 0
    assert cli(config, "build") == 0
    first = pinged(hub)
    assert sorted(first) == sorted(feed_bytes(config)), "the first build: every feed, once"
    before = feed_bytes(config)

    assert cli(config, "ingest", str(news_path), "--date", "2025-12-16") == 0
    assert cli(config, "build") == 0
    after = feed_bytes(config)
    changed = {url for url in after if after[url] != before.get(url)}
    assert len(changed) > 6
    assert sorted(pinged(hub)[len(first) :]) == sorted(changed), "one ping per changed feed"
    assert "WebSub:" in capsys.readouterr().out

    count = len(hub.taken())
    assert cli(config, "build") == 0
    assert cli(config, "build", "--full") == 0
    assert len(hub.taken()) == count, "an unchanged rebuild tells no hub anything"


def test_a_hub_that_is_down_warns_and_the_next_build_tells_it(
    tmp_path: Path, news_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = closed_port()
    config = site_with(tmp_path, down)
    for batch in sorted(EXAMPLES.glob("*.txt")):
        assert cli(config, "ingest", str(batch)) == 0
    assert cli(config, "build") == 0, "a hub that is down never fails the build"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [
        f"WebSub hub {down}: not reachable (Connection refused); its pings wait for the next run"
    ]
    with Store(config.storage) as store:
        waiting = store.waiting_pings()
    assert {topic for _, topic in waiting} == set(feed_bytes(config))

    # The hub comes back on the same port; an unchanged rebuild sends what waited, once.
    port = int(urllib.parse.urlsplit(down).port or 0)
    with serving(accepting, port) as hub:
        assert cli(config, "build") == 0
        assert sorted(pinged(hub)) == sorted(topic for _, topic in waiting)
        assert cli(config, "build") == 0
        assert len(hub.taken()) == len(waiting)
    with Store(config.storage) as store:
        assert store.waiting_pings() == []


def test_a_struggling_hub_is_retried_with_back_off_within_the_run(
    config: Config, store: Store, news_path: Path
) -> None:
    """A hub that fails twice and then answers: one ping, three tries, waits of 0.5 s and
    1 s (no real sleeping: the clock is the test's)."""
    (config.output_dir / "zh-Hant").mkdir(parents=True)
    (config.output_dir / "zh-Hant" / "atom.xml").write_bytes(b"<feed/>")
    site = dataclasses.replace(Site.from_config(config), hubs=("https://hub.example.org/",))
    answers = iter([503, 502, 204])
    tried: list[str] = []
    slept: list[float] = []

    def send(hub: str, topic: str, timeout: float) -> int:
        tried.append(topic)
        return next(answers)

    clock = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    report = websub.notify(
        store, site, config.output_dir, NOW, send=send, clock=lambda: clock[0], sleep=sleep
    )
    assert tried == ["https://news.example.org/zh-Hant/atom.xml"] * 3
    assert slept == [0.5, 1.0]
    assert (report.changed, report.sent, report.waiting) == (1, 1, 0)


def test_a_daily_run_pings_the_digest_feeds_too(
    tmp_path: Path, hub: Server, news_path: Path
) -> None:
    config = site_with(tmp_path, hub.url)
    inbox = config.path(config.schedule.inbox_dir)
    inbox.mkdir()
    (inbox / "2025-12-14.txt").write_bytes(news_path.read_bytes())
    with Store(config.storage) as store:
        report = daily.run_day(config, store, NOW)
    assert report.pings is not None and report.pings.sent == len(hub.taken())
    told = set(pinged(hub))
    assert "https://news.example.org/zh-Hant/digests/atom.xml" in told
    assert "https://news.example.org/zh-Hans/digests/feed.json" in told
    assert "WebSub:" in report.summary()
    assert dt.date(2025, 12, 14) == report.day
