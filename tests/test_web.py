"""`publisher serve` over a real socket on 127.0.0.1: the output folder with conditional GET
and gzip, no way out of it, and the subscribe → confirm → unsubscribe round trip driven by
the links in the mails themselves."""

from __future__ import annotations

import email
import email.policy
import gzip
import http.client
import mailbox
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from smtpserver import free_port
from starlette.applications import Starlette

from conftest import NOW, make_config
from publisher import config as config_module
from publisher.articles.ingest import ingest_file
from publisher.config import Config, WebConfig
from publisher.delivery import confirmations
from publisher.mail import subscribers, tokens
from publisher.records import Script, SubscriberStatus
from publisher.run import daily
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web
from publisher.web import forms, pages
from publisher.web.server import settings as server_settings
from publisher.words import WORDS

pytestmark = pytest.mark.engines

DAY = NOW.date()


# -- a server in a thread -------------------------------------------------------------------


@contextmanager
def serving(app: Starlette, limits: WebConfig | None = None) -> Iterator[int]:
    """uvicorn on a free port of 127.0.0.1 in a thread, with the limits `publisher serve`
    takes from `limits` (its defaults: no forwarded header believed); yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    settings = server_settings(limits or WebConfig())
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", **settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server thread died"
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Client:
    port: int

    def request(
        self, method: str, path: str, body: bytes | None = None, /, **headers: str
    ) -> Reply:
        """`path` goes on the wire exactly as given: no client-side normalisation."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name.replace("_", "-"), value)
            if body is not None and "Content_Length" not in headers:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, /, **headers: str) -> Reply:
        return self.request("GET", path, **headers)

    def post(self, path: str, fields: str = "", /, **headers: str) -> Reply:
        headers.setdefault("Content_Type", "application/x-www-form-urlencoded")
        return self.request("POST", path, fields.encode(), **headers)


# -- a built site ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, news_path: Path, engine: str) -> Config:
    root = tmp_path_factory.mktemp("site")
    config = make_config(root)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        build(config, store, NOW)
    (root / "secret.txt").write_text("top secret", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


# -- static files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/zh-Hant/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/zh-Hans/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/zh-Hans/index.html", "text/html; charset=utf-8"),
        ("/zh-Hant/", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
    ],
)
def test_files_have_their_content_type(client: Client, path: str, content_type: str) -> None:
    reply = client.get(path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type


def test_a_file_comes_back_byte_for_byte_with_validators(client: Client, site: Config) -> None:
    reply = client.get("/zh-Hant/atom.xml")
    assert reply.body == (site.output_dir / "zh-Hant" / "atom.xml").read_bytes()
    assert reply.headers["ETag"].startswith('"')
    assert reply.headers["Last-Modified"].endswith("GMT")


def test_a_folder_without_its_slash_is_redirected(client: Client) -> None:
    reply = client.get("/zh-Hant")
    assert reply.status in (301, 307, 308)
    assert urlsplit(reply.headers["Location"]).path == "/zh-Hant/"


def test_if_none_match_gets_304(client: Client) -> None:
    etag = client.get("/zh-Hant/atom.xml").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        reply = client.get("/zh-Hant/atom.xml", If_None_Match=header)
        assert (reply.status, reply.body) == (304, b""), header
        assert reply.headers["ETag"] == etag
    assert client.get("/zh-Hant/atom.xml", If_None_Match='"other"').status == 200


def test_if_modified_since_gets_304_until_the_file_changes(client: Client) -> None:
    modified = client.get("/zh-Hans/atom.xml").headers["Last-Modified"]
    assert client.get("/zh-Hans/atom.xml", If_Modified_Since=modified).status == 304
    long_ago = formatdate(0, usegmt=True)
    assert client.get("/zh-Hans/atom.xml", If_Modified_Since=long_ago).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    both = client.get("/zh-Hans/atom.xml", If_Modified_Since=modified, If_None_Match='"x"')
    assert both.status == 200


def test_gzip_when_asked_with_a_weak_etag(client: Client, site: Config) -> None:
    plain = client.get("/zh-Hant/index.html")
    packed = client.get("/zh-Hant/index.html", Accept_Encoding="gzip, deflate")
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) * 0.6  # Chinese text packs less than markup
    assert packed.headers["ETag"] == "W/" + plain.headers["ETag"]
    again = client.get(
        "/zh-Hant/index.html", Accept_Encoding="gzip", If_None_Match=packed.headers["ETag"]
    )
    assert again.status == 304
    # The 304 carries the validator and Vary of the 200 it stands for (RFC 9110 §15.4.5).
    assert again.headers["ETag"] == packed.headers["ETag"]
    assert "Accept-Encoding" in again.headers["Vary"]


def test_head_has_the_headers_and_no_body(client: Client) -> None:
    reply = client.request("HEAD", "/zh-Hant/atom.xml")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["Content-Type"].startswith("application/atom+xml")


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/zh-Hant/../../secret.txt",
        "/zh-Hant/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/zh-Hant/..%2f..%2fsecret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/etc/passwd",
        "/%00",
        "/zh-Hant/%2e%2e%5c%2e%2e%5csecret.txt",
        "/out/secret.txt",
        "/out-file",
    ],
)
def test_nothing_outside_the_output_folder(client: Client, site: Config, path: str) -> None:
    output = site.output_dir
    if not (output / "out").exists():
        (output / "out").symlink_to(site.root)  # a folder link pointing out
        (output / "out-file").symlink_to(site.root / "secret.txt")
    reply = client.get(path)
    assert reply.status in (400, 404), (path, reply.status)
    assert b"top secret" not in reply.body
    assert b"root:" not in reply.body


def test_a_link_inside_the_folder_is_served(client: Client, site: Config) -> None:
    output = site.output_dir
    target = output / "zh-Hant" / "atom.xml"
    if not (output / "latest.xml").exists():
        (output / "latest.xml").symlink_to(target)  # a file link
        (output / "current").symlink_to(output / "zh-Hant")  # a folder link
    for path in ("/latest.xml", "/current/atom.xml"):
        reply = client.get(path)
        assert (reply.status, reply.body) == (200, target.read_bytes()), path
        assert reply.headers["Content-Type"].startswith("application/atom+xml"), path


def test_missing_page_and_wrong_method_get_a_page_not_a_traceback(client: Client) -> None:
    missing = client.get("/zh-Hant/nothing.html", Accept_Language="zh-CN")
    assert missing.status == 404
    assert missing.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "找不到這個頁面" in missing.text, "the URL's edition, not the browser's language"
    assert "找不到这个页面" in client.get("/nothing.html", Accept_Language="zh-CN").text
    wrong = client.post("/zh-Hant/atom.xml", "x=1")
    assert wrong.status == 405 and "GET" in wrong.headers["Allow"]


def test_everything_answers_below_the_base_url_path(tmp_path: Path, news_path: Path) -> None:
    config = with_base(tmp_path, "https://example.org/news/")
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        build(config, store, NOW)
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        client = Client(port)
        assert client.get("/news/zh-Hant/atom.xml").status == 200
        assert client.get("/news/subscribe").status == 200
        assert client.get("/zh-Hant/atom.xml").status == 404
        assert urlsplit(client.get("/").headers["Location"]).path == "/news/"


def with_base(root: Path, base_url: str) -> Config:
    (root / "config.toml").write_text(f'[site]\nbase_url = "{base_url}"\n', encoding="utf-8")
    return config_module.load(root / "config.toml")


# -- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "script"),
    [
        ("zh-TW,zh;q=0.9,en;q=0.8", Script.HANT),
        ("zh-CN,zh;q=0.9", Script.HANS),
        ("en-US,en;q=0.9,zh-Hans;q=0.5", Script.HANS),
        ("zh-HK", Script.HANT),
        ("zh-SG", Script.HANS),
        ("zh-Hant-TW", Script.HANT),
        ("zh-Hant-CN", Script.HANT),
        ("zh-Hans-HK", Script.HANS),
        ("zh;q=0.9,zh-CN;q=0.8", Script.HANS),
        ("zh-TW;q=0.2,zh-CN;q=0.8", Script.HANS),
        ("zh-CN;q=0", None),
        ("zh", None),
        ("en", None),
        ("", None),
        ("zh-CN;q=abc", None),
    ],
)
def test_script_from_accept_language(header: str, script: Script | None) -> None:
    assert pages.script_from_language(header) == script


def test_both_scripts_have_the_same_words() -> None:
    assert WORDS[Script.HANT].keys() == WORDS[Script.HANS].keys()


# -- the forms ------------------------------------------------------------------------------


def test_the_subscribe_form_in_each_script(client: Client) -> None:
    default = client.get("/subscribe")
    assert default.status == 200 and 'lang="zh-Hant"' in default.text
    assert "訂閱每日摘要" in default.text and 'name="email"' in default.text
    assert 'value="zh-Hant" checked' in default.text
    hans = client.get("/subscribe", Accept_Language="zh-CN,zh;q=0.9")
    assert "订阅每日摘要" in hans.text and 'value="zh-Hans" checked' in hans.text
    chosen = client.get("/subscribe?script=zh-Hans", Accept_Language="zh-TW")
    assert "订阅每日摘要" in chosen.text
    assert chosen.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in chosen.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ("email=not-an-address&script=zh-Hant", 400, "這不是可用的電子郵件地址"),
        ("email=a%40example.org&script=zh-Latn", 400, "不支援的版本選項"),
        ("email=&script=zh-Hans", 400, "这不是可用的电子邮件地址"),
    ],
)
def test_bad_subscribe_input_gets_a_clear_4xx(
    client: Client, fields: str, status: int, words: str
) -> None:
    reply = client.post("/subscribe", fields)
    assert reply.status == status, reply.text
    assert words in reply.text


def test_a_bad_address_keeps_what_was_typed_escaped(client: Client) -> None:
    reply = client.post("/subscribe", "email=%3Cscript%3Ex&script=zh-Hant")
    assert reply.status == 400
    assert "<script>x" not in reply.text and "&lt;script&gt;x" in reply.text


def test_a_huge_body_is_refused_before_it_is_read(client: Client) -> None:
    declared = client.request(
        "POST",
        "/subscribe",
        b"email=a",
        Content_Type="application/x-www-form-urlencoded",
        Content_Length="10000000",
    )
    assert declared.status == 413
    big = ("email=a%40example.org&script=zh-Hant&pad=" + "x" * 20_000).encode()
    assert client.request("POST", "/subscribe", big, Content_Type=forms.FORM_TYPES[0]).status == 413


def test_a_huge_chunked_body_is_refused(client: Client) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    chunks = (b"email=a%40example.org&pad=" + b"x" * 4096 for _ in range(8))
    connection.request(
        "POST",
        "/subscribe",
        body=chunks,
        headers={"Content-Type": forms.FORM_TYPES[0]},
        encode_chunked=True,
    )
    assert connection.getresponse().status == 413
    connection.close()


def test_a_body_that_is_not_a_form_is_refused(client: Client) -> None:
    as_json = client.post(
        "/subscribe", '{"email": "a@example.org"}', Content_Type="application/json"
    )
    assert as_json.status == 415
    upload = multipart({"email": "a@example.org"}, file=("script", "x.txt", b"zh-Hant"))
    reply = client.request("POST", "/subscribe", upload[1], Content_Type=upload[0])
    assert reply.status == 400


def test_a_missing_or_forged_token_is_refused_with_a_page(client: Client, site: Config) -> None:
    assert client.get("/confirm").status == 400
    secret = tokens.load_secret(site)
    real = tokens.make_bound(secret, tokens.CONFIRM, 1, 0)
    forged = [
        "1.0.AAAAAAAAAAAAAAAAAAAAAA",
        real[:-1] + ("A" if real[-1] != "A" else "B"),
        tokens.make_bound(secret, tokens.CONFIRM, 2, 0).replace("2.", "1.", 1),
        tokens.make(secret, "unsubscribe", 1),  # a real token, for the other action
        "../../etc/passwd",
        "x" * 5000,
    ]
    for token in forged:
        reply = client.get(f"/confirm?token={token}", Accept_Language="zh-TW")
        assert reply.status == 403, token
        assert "這個連結不完整或遭到修改" in reply.text
    for token in [*forged[:3], real, *forged[4:]]:  # `real` confirms; it cannot unsubscribe
        one_click = client.post(f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click")
        assert one_click.status == 403, token


# -- the round trip -------------------------------------------------------------------------


def multipart(
    fields: dict[str, str], file: tuple[str, str, bytes] | None = None
) -> tuple[str, bytes]:
    boundary = "----publisher-test-boundary"
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    if file is not None:
        name, filename, data = file
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode(),
            b"Content-Type: text/plain",
            b"",
            data,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return f"multipart/form-data; boundary={boundary}", b"\r\n".join(lines)


def mails(config: Config) -> list[EmailMessage]:
    """The outbox, once the confirmation mails the pages queued are sent: no sender runs
    beside a test's app, so the test sends them as `serve`'s thread would."""
    with Store(config.storage) as store:
        confirmations.send_due(config, store)
    found = []
    for message in mailbox.Maildir(config.path(config.delivery.outbox_dir)):
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def mail_to(config: Config, address: str, *, digest: bool = False) -> EmailMessage:
    """The one confirmation mail (or digest: the mail with List-Unsubscribe) to `address`."""
    chosen = [
        message
        for message in mails(config)
        if address in str(message["To"]) and ("List-Unsubscribe" in message) == digest
    ]
    assert len(chosen) == 1, f"{len(chosen)} such mails to {address}"
    return chosen[0]


def local_path(url: str) -> str:
    """The path and query of a link built from base_url: what the server is asked for."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def link_in(message: EmailMessage, word: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"https?://\S+/{word}\?token=[\w.%-]+", body.get_content())
    assert found, body.get_content()
    return found[0]


def status_of(config: Config, address: str) -> SubscriberStatus:
    with Store(config.storage) as store:
        person = subscribers.by_email(store, address)
    assert person is not None
    return person.status


def test_subscribe_confirm_receive_and_unsubscribe(client: Client, site: Config) -> None:
    address = "reader@example.org"
    reply = client.post("/subscribe", f"email={address}&script=zh-Hans")
    assert reply.status == 200 and "请查收确认邮件" in reply.text
    assert status_of(site, address) is SubscriberStatus.PENDING

    confirm = local_path(link_in(mail_to(site, address), "confirm"))
    page = client.get(confirm)
    assert page.status == 200 and "确认订阅" in page.text and "<button" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert status_of(site, address) is SubscriberStatus.PENDING, "a GET changes nothing"
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    done = client.post("/" + action[1].replace("&amp;", "&"))
    assert done.status == 200 and "订阅成功" in done.text
    assert status_of(site, address) is SubscriberStatus.ACTIVE

    with Store(site.storage) as store:
        report = daily.run_day(site, store, NOW)
    assert report.send is not None and report.send.sent >= 1
    header = str(mail_to(site, address, digest=True)["List-Unsubscribe"])
    https = re.search(r"<(https?://[^>]+)>", header)
    assert https is not None, header
    unsubscribe = local_path(https[1])
    page = client.get(unsubscribe)
    assert page.status == 200 and "取消订阅" in page.text
    assert status_of(site, address) is SubscriberStatus.ACTIVE
    gone = client.post(unsubscribe, "")
    assert gone.status == 200 and "已取消订阅" in gone.text
    assert status_of(site, address) is SubscriberStatus.UNSUBSCRIBED
    # The old confirm link does not bring them back.
    assert client.post(confirm, "").status == 409


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_unsubscribe(client: Client, site: Config, encoding: str) -> None:
    address = f"one-click-{encoding}@example.org"
    with Store(site.storage) as store:
        person = subscribers.add(store, address, Script.HANT, NOW)
    token = tokens.make(tokens.load_secret(site), "unsubscribe", person.id)
    if encoding == "urlencoded":
        reply = client.post(f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click")
    else:
        kind, body = multipart({"List-Unsubscribe": "One-Click"})
        reply = client.request("POST", f"/unsubscribe?token={token}", body, Content_Type=kind)
    assert reply.status == 200
    assert status_of(site, address) is SubscriberStatus.UNSUBSCRIBED
    again = client.post(f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click")
    assert again.status == 200, "a second one-click POST is harmless"


def test_an_active_subscriber_is_not_mailed_again_nor_told(client: Client, site: Config) -> None:
    address = "already@example.org"
    with Store(site.storage) as store:
        subscribers.add(store, address, Script.HANT, NOW)
    before = len(mails(site))
    reply = client.post("/subscribe", f"email={address}&script=zh-Hans")
    assert reply.status == 200 and "请查收确认邮件" in reply.text
    assert len(mails(site)) == before
    assert status_of(site, address) is SubscriberStatus.ACTIVE


# -- the command ----------------------------------------------------------------------------


def test_publisher_serve_answers_and_stops_cleanly_on_sigterm(site: Config) -> None:
    port = free_port()
    command = [sys.executable, "-m", "publisher", "--config", str(site.root / "config.toml")]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = Client(port).get("/zh-Hant/atom.xml")
                break
            except ConnectionRefusedError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "publisher serve did not start"
                time.sleep(0.05)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stderr:
            server.stderr.close()
