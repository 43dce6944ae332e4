"""Every word the web pages show a reader is in the page's script, errors included: the
validator's English is told in our own words, an error page takes its edition from the URL
(or the reader's link) before the browser's language, and nothing a stranger sends makes
the server log a traceback. Over real HTTP on 127.0.0.1."""

from __future__ import annotations

import html
import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkers.scripts import problems
from test_web import Client, link_in, local_path, mail_to, serving

from conftest import NOW, make_config
from publisher.config import Config
from publisher.mail import subscribers, tokens
from publisher.mail.subscribers import address_fault
from publisher.records import Script
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web
from publisher.words import WORDS


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, news_path: Path) -> Config:
    from publisher.articles.ingest import ingest_file

    config = make_config(tmp_path_factory.mktemp("language"), "[web]\nsubscribe_limit = 1000\n")
    with Store(config.storage) as store:
        assert ingest_file(config, store, news_path, day=NOW.date(), now=NOW).error is None
        build(config, store, NOW)
    return config


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


def assert_in_script(page: str, script: Script) -> None:
    assert problems(page, script) == []


# -- the validator's English, in our words --------------------------------------------------


@pytest.mark.parametrize(
    ("address", "fault"),
    [
        ("reader.example.org", "at"),
        ("reader＠example.org", "at"),
        ("@example.org", "at"),
        ("reader@example", "domain"),
        ("reader@", "domain"),
        ("reader@exa mple.org", "domain"),
        ("rea der@example.org", "local"),
        ("reader..x@example.org", "local"),
        ("讀者@example.org", "local"),
        ("r" * 300 + "@example.org", "long"),
    ],
)
def test_each_kind_of_bad_address_has_our_words(client: Client, address: str, fault: str) -> None:
    from publisher.errors import AddressError
    from publisher.mail.subscribers import normalise_address

    with pytest.raises(AddressError) as refused:
        normalise_address(address)
    assert refused.value.reason == fault == address_fault(refused.value.problem)
    for script in Script:
        reply = client.post("/subscribe", _fields(email=address, script=str(script)))
        assert reply.status == 400
        words = WORDS[script]
        assert words["bad_email"].format(problem=words[f"bad_email_{fault}"]) in reply.text
        assert refused.value.problem not in reply.text
        assert_in_script(reply.text.replace(address, ""), script)


def _fields(**values: str) -> str:
    from urllib.parse import urlencode

    return urlencode(values)


# -- error pages in the URL's edition --------------------------------------------------------


def test_a_missing_page_under_an_edition_is_in_that_edition(client: Client) -> None:
    """The browser asks for Traditional; the URL is the Simplified edition's."""
    reply = client.get("/zh-Hans/no-such-page.html", Accept_Language="zh-TW")
    assert reply.status == 404 and "找不到这个页面" in reply.text
    assert '<html lang="zh-Hans' in reply.text
    assert_in_script(reply.text, Script.HANS)
    traditional = client.get("/zh-Hant/no-such-page.html", Accept_Language="zh-CN")
    assert traditional.status == 404 and "找不到這個頁面" in traditional.text


def test_a_missing_page_outside_any_edition_follows_the_browser(client: Client) -> None:
    reply = client.get("/no-such-page.html", Accept_Language="zh-CN")
    assert reply.status == 404 and "找不到这个页面" in reply.text


def test_a_refused_link_is_in_its_readers_script(client: Client, site: Config) -> None:
    with Store(site.storage) as store:
        person = subscribers.add(store, "revoked-hans@example.org", Script.HANS, NOW)
        store.next_link_generation(person.id)
    token = tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 0)
    reply = client.get(f"/preferences?token={token}", Accept_Language="zh-TW")
    assert reply.status == 403 and WORDS[Script.HANS]["revoked_link"] in reply.text
    posted = client.post("/preferences", _fields(token=token, do="save"), Accept_Language="zh-TW")
    assert posted.status == 403 and WORDS[Script.HANS]["revoked_link"] in posted.text


def test_a_form_a_reader_could_not_have_sent_is_in_their_script(
    client: Client, site: Config
) -> None:
    with Store(site.storage) as store:
        person = subscribers.add(store, "bad-form-hans@example.org", Script.HANS, NOW)
    token = tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 0)
    reply = client.post("/preferences", _fields(token=token, do="dance"), Accept_Language="zh-TW")
    assert reply.status == 400 and WORDS[Script.HANS]["bad_form"] in reply.text


def test_an_unknown_edition_in_the_query_is_a_400_page(client: Client) -> None:
    reply = client.get("/subscribe?script=klingon", Accept_Language="zh-CN")
    assert reply.status == 400
    assert WORDS[Script.HANS]["unknown_script"].format(value="klingon") in reply.text


@pytest.mark.parametrize(
    "path",
    [
        "/confirm?token=1.x&script=klingon",
        "/unsubscribe?script=klingon",
        "/preferences?token=1.2.x&script=klingon",
        "/zh-Hans/no-such-page.html?script=klingon",
    ],
)
def test_an_unknown_edition_beside_another_fault_is_a_page_too(client: Client, path: str) -> None:
    """The page says what is wrong first (the link), in the browser's or the URL's script."""
    reply = client.get(path, Accept_Language="zh-CN")
    assert 400 <= reply.status < 500 and '<html lang="zh-Hans' in reply.text
    assert_in_script(reply.text, Script.HANS)


# -- nothing a stranger sends logs a traceback -----------------------------------------------


def disconnect_mid_body(port: int) -> None:
    """Headers that promise a body, part of it, and gone."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(
            b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=a%40b"
        )


STRANGERS: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("GET", "/subscribe?script=klingon", b"", {}),
    ("POST", "/subscribe?script=klingon", b"email=a%40example.org", {}),
    ("POST", "/subscribe", b"email=a%40example.org&script=klingon", {}),
    ("GET", "/preferences?token=1.2.x&script=%FF", b"", {}),
    ("POST", "/preferences", b"token=1.2.x&do=save&script=klingon", {}),
    ("POST", "/subscribe", b"--x\r\nnonsense", {"Content-Type": "multipart/form-data; boundary=x"}),
    ("POST", "/subscribe", b"a=b", {"Content-Type": "multipart/form-data"}),
    ("POST", "/subscribe", b"email=\xff\xfe", {}),
    ("PUT", "/preferences", b"", {}),
    ("DELETE", "/zh-Hant/", b"", {}),
    ("GET", "/zh-Hant/%00", b"", {}),
    ("GET", "/", b"", {"Accept-Language": "zh-;q=abc,,;", "Cookie": "script=\x7f; =;"}),
]


def test_nothing_a_stranger_sends_logs_a_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # First, so that the requests below are answered after the server has seen them go.
    for _ in range(3):
        disconnect_mid_body(client.port)
    for method, path, body, headers in STRANGERS:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        typed = {name.replace("-", "_"): value for name, value in headers.items()}
        reply = client.request(method, path, body if method != "GET" else None, **typed)
        assert reply.status < 500, (method, path, reply.status)
    assert client.get("/subscribe").status == 200, "the server still answers"
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert tracebacks == [], [record.getMessage() for record in tracebacks]


# -- ways onward ------------------------------------------------------------------------------


def test_the_subscribed_page_leads_on_to_preferences_and_home(client: Client, site: Config) -> None:
    address = "onward@example.org"
    assert client.post("/subscribe", _fields(email=address, script="zh-Hans")).status == 200
    done = client.post(local_path(link_in(mail_to(site, address), "confirm")))
    assert done.status == 200 and WORDS[Script.HANS]["confirmed_title"] in done.text
    onward = re.findall(r'<a href="([^"]+)" class="button[^"]*">([^<]+)</a>', done.text)
    assert [text for _, text in onward] == ["管理订阅设置", "回到首页"]
    preferences = client.get(html.unescape(onward[0][0]))
    assert preferences.status == 200 and address in preferences.text
    assert client.get(onward[1][0]).status == 200


def test_the_erase_question_offers_a_way_back(client: Client, site: Config) -> None:
    with Store(site.storage) as store:
        person = subscribers.add(store, "second-thoughts@example.org", Script.HANT, NOW)
    token = tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 0)
    ask = client.post("/preferences", _fields(token=token, do="erase"))
    back = re.search(r'class="button secondary" href="([^"]+)">不刪除，回到訂閱設定<', ask.text)
    assert back, ask.text
    assert client.get("/" + html.unescape(back[1])).status == 200
