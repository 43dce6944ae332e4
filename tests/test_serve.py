"""`publisher serve` as the outside sees it: caching headers a CDN and a browser follow,
nothing private (dot-files, a killed build's temporaries) ever served, no token in its log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smtpserver import free_port
from test_web import Client, serving

from conftest import EXAMPLES, NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.mail import subscribers, tokens
from publisher.records import Script
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web
from publisher.web.logs import redact

WEEK = dt.timedelta(days=7)


def build_examples(config: Config) -> None:
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build(config, store, NOW)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("static"))
    build_examples(config)
    return config


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


@pytest.mark.parametrize(
    "path", ["/zh-Hant/atom.xml", "/zh-Hans/rss.xml", "/zh-Hant/index.html", "/style.css", "/"]
)
def test_files_are_cached_briefly_then_revalidated_and_never_sniffed(
    client: Client, path: str
) -> None:
    reply = client.get(path)
    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "max-age=300, must-revalidate"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(path, If_None_Match=reply.headers["ETag"])
    assert again.status == 304
    assert again.headers["Cache-Control"] == "max-age=300, must-revalidate"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/zh-Hans/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/zh-Hant/feeds-json.opml", "text/x-opml; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ],
)
def test_feed_lists_and_the_icon_are_served_as_what_they_are(
    client: Client, path: str, kind: str
) -> None:
    reply = client.get(path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == kind


def test_dot_files_and_temporaries_are_not_served(client: Client, site: Config) -> None:
    output = site.output_dir
    private = {
        "zh-Hant/.atom.xml.k2x9_q7a.tmp": b"<feed>half a feed",
        ".git/config": b"[core]",
        "zh-Hant/.htpasswd": b"admin:x",
        "zh-Hant/index.html.tmp": b"<html>",
    }
    for name, data in private.items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)
    for name, data in private.items():
        reply = client.get("/" + name)
        assert reply.status == 404, name
        assert data not in reply.body
    (output / ".well-known").mkdir(exist_ok=True)
    (output / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    assert client.get("/.well-known/security.txt").status == 200


def test_only_files_the_build_writes_are_served_never_the_store_key_or_config(
    client: Client, site: Config
) -> None:
    """Whatever else lies in the output folder (a copy, a link to the store or the key)
    answers 404, and no path leads out of the folder (issue 26.2)."""
    output, root = site.output_dir, site.root
    tokens.load_secret(site)  # the key file exists
    planted = {
        "zh-Hant/subscribers.json": site.storage.path,  # hard links: the store itself
        "robots-old.txt": root / "publisher.key",
        "zh-Hans/site.xml": root / "config.toml",
    }
    for name, target in planted.items():
        (output / name).hardlink_to(target)
    copies = ["config.toml", "publisher.db", "publisher.key", "index.html~", "notes.bak"]
    for name in copies:
        (output / name).write_bytes(b"not the build's")
    traversals = [
        "/../publisher.db",
        "/%2e%2e/publisher.key",
        "/zh-Hant/..%2f..%2fconfig.toml",
        "/zh-Hant/%2e%2e/%2e%2e/publisher.db",
        "//" + str(root / "publisher.db"),
        "/..%5cpublisher.db",
    ]
    try:
        for path in [*(f"/{name}" for name in [*planted, *copies]), *traversals]:
            reply = client.get(path)
            assert reply.status == 404, path
            assert b"SQLite format" not in reply.body and b"not the build's" not in reply.body
    finally:
        for name in [*planted, *copies]:
            (output / name).unlink()
    assert client.get("/zh-Hant/atom.xml").status == 200


def test_serve_never_hands_out_the_store_key_or_config_whatever_they_are_named(
    tmp_path: Path,
) -> None:
    """Even with the output folder around them (a config not loaded from a file, where
    nothing checked site.output_dir), under names the build could have written."""
    config = make_config(
        tmp_path, "[storage]\nurl = 'sqlite:///store.json'\n[digest]\nsecret_file = 'key.txt'\n"
    )
    build_examples(config)
    around = dataclasses.replace(config, site=dataclasses.replace(config.site, output_dir="."))
    with serving(web.create_app(around, now=lambda: NOW)) as port:
        client = Client(port)
        for name in ("store.json", "key.txt", "config.toml"):
            assert (tmp_path / name).exists()
            assert client.get(f"/{name}").status == 404, name
        assert client.get("/feeds/zh-Hant/atom.xml").status == 200


KILLED_BUILD = """
import datetime as dt, os, sys
from pathlib import Path
from publisher import config
from publisher.site.build import build
from publisher.store import Store

def stop(*_):
    os.kill(os.getpid(), 9)  # as a power cut or OOM kill: no cleanup runs

os.replace = stop  # dies with its files written, before the first is renamed into place
settings = config.load(Path(sys.argv[1]))
with Store(settings.storage) as store:
    build(settings, store, dt.datetime.now(dt.UTC))
"""


def test_a_rebuild_removes_the_temporaries_a_killed_build_left(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first, second = sorted(EXAMPLES.glob("*.txt"))
    with Store(config.storage) as store:
        assert ingest_file(config, store, first, now=NOW).error is None
        build(config, store, NOW)
        assert ingest_file(config, store, second, now=NOW).error is None
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_BUILD), str(config.root / "config.toml")],
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    left = list(config.output_dir.rglob(".*.tmp"))
    assert left, "the killed build left its temporaries"
    # A temporary of a name write_atomic would not choose is not ours to delete, nor one
    # of another program that names its temporaries as mkstemp does (issue 26.2).
    foreign = [
        config.output_dir / "zh-Hant" / ".atom.xml.backup.tmp",
        config.output_dir / ".notes.txt.k2x9q7a1.tmp",
        config.output_dir / "zh-Hant" / ".draft.a1b2c3d4.tmp",
    ]
    for path in foreign:
        path.write_bytes(b"keep")
    with Store(config.storage) as store:
        build(config, store, NOW)
    assert [path for path in left if path.exists()] == []
    assert [path.read_bytes() for path in foreign] == [b"keep"] * 3


@contextmanager
def publisher_serve(config: Config) -> Iterator[tuple[Client, list[str]]]:
    """`publisher serve` as a user starts it; yields a client and, once stopped, its log."""
    port = free_port()
    command = [sys.executable, "-m", "publisher", "--config", str(config.root / "config.toml")]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    try:
        assert server.stderr is not None
        # The CLI logs this line once its socket listens: a request from then on waits in
        # the socket's queue until uvicorn takes it.
        for line in server.stderr:
            log.append(line)
            if " INFO publisher.web.app: serving " in line:
                break
        assert server.poll() is None, "".join(log)
        yield Client(port), log
    finally:
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=30)
        log.append(rest)


def test_the_log_never_carries_a_token(site: Config) -> None:
    with Store(site.storage) as store:
        person = subscribers.subscribe_pending(store, "log@example.org", Script.HANT, NOW, WEEK)
    secret = tokens.load_secret(site)
    valid = tokens.make(secret, "unsubscribe", person.id)
    forged = f"{person.id}.{'A' * 22}"
    choices = tokens.make_bound(secret, tokens.PREFERENCES, person.id, 0)
    with publisher_serve(site) as (client, log):
        assert client.get(f"/unsubscribe?token={valid}").status == 200
        assert client.get(f"/preferences?token={choices}").status == 200
        assert client.get(f"/confirm?script=zh-Hans&token={forged}").status == 403
        assert client.get(f"/confirm/?token={valid}&x=1").status == 404
    text = "".join(log)
    assert valid.partition(".")[2] not in text and "A" * 22 not in text
    assert choices.rpartition(".")[2] not in text
    # What the log still says: which page, which subscriber, what answer.
    assert f'"GET /unsubscribe?token={person.id}.… HTTP/1.1" 200' in text
    assert f'"GET /preferences?token={person.id}.… HTTP/1.1" 200' in text
    assert f'"GET /confirm?script=zh-Hans&token={person.id}.… HTTP/1.1" 403' in text
    assert f"refused a confirm token that is not ours (id {person.id})" in text


@given(
    before=st.sampled_from(["", "script=zh-Hant&", "x=token&"]),
    name=st.sampled_from(["token", "TOKEN", "Token"]),
    value=st.text(st.characters(codec="ascii", exclude_characters="&#"), max_size=60),
)
def test_redact_keeps_no_more_of_a_token_than_its_digits(
    before: str, name: str, value: str
) -> None:
    line = redact(f"/unsubscribe?{before}{name}={value}&after=1")
    kept = line.partition(f"{name}=")[2].partition("&")[0]
    assert re.fullmatch(r"[0-9]{0,19}\.…", kept), line
    assert line.startswith(f"/unsubscribe?{before}") and line.endswith("&after=1")


def test_the_forms_link_the_site_on_the_host_they_are_served_from(
    client: Client, site: Config
) -> None:
    with Store(site.storage) as store:
        person = subscribers.subscribe_pending(store, "links@example.org", Script.HANS, NOW, WEEK)
    token = tokens.make(tokens.load_secret(site), "unsubscribe", person.id)
    for path in ("/subscribe?script=zh-Hans", f"/unsubscribe?token={token}", "/nothing.html"):
        links = re.findall(r'href="([^"]*)"', client.get(path, Accept_Language="zh-CN").text)
        assert "/zh-Hans/index.html" in links, (path, links)
        assert not [link for link in links if "://" in link], links


def test_a_request_never_closes_the_last_connection_to_the_store(tmp_path: Path) -> None:
    """When a SQLite store's last connection closes, it locks the file to checkpoint and
    delete the WAL; a request opening the store meanwhile fails with SQLITE_BUSY whatever
    its timeout (a 500 in a flood of sign-ups). The server holds a connection for its life,
    so a request's close leaves the WAL where it is, and only the server's end removes it."""
    config = make_config(tmp_path)
    wal = config.storage.path.with_name(config.storage.path.name + "-wal")
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        reply = Client(port).post("/subscribe", "email=held@example.org&script=zh-Hant")
        assert reply.status == 200
        assert wal.exists()
    assert not wal.exists()


def test_the_dynamic_pages_link_the_sites_icon(client: Client) -> None:
    for path in ("/subscribe?script=zh-Hans", "/subscribe?script=zh-Hant", "/nothing.html"):
        page = client.get(path).text
        assert '<link rel="icon" type="image/svg+xml" href="/favicon.svg">' in page, path
    assert client.get("/favicon.svg").status == 200
