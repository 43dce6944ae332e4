"""The subscribe form under attack (issue 7, points 12 and 14), over real HTTP: a flood for
one address sends one mail, a flood from one client is cut off with 429, both counted in
the store so that two `serve` processes share them; a confirm link is good for its own
sign-up only, and for a limited time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_web import Client, Reply, link_in, local_path, mails, serving

from conftest import NOW, make_config
from publisher.config import Config
from publisher.mail import subscribers, tokens
from publisher.records import SubscriberStatus
from publisher.store import Store
from publisher.web import app as web

pytestmark = pytest.mark.engines

ALREADY_SENT = "分鐘後才能再寄一封"
TOO_MANY = "送出的次數太多"
STALE = "這個確認連結已過期，或已由較新的訂閱申請取代"


class Clock:
    """The web pages' clock, moved by the test."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> dt.datetime:
        return self.at


@contextmanager
def two_servers(config: Config, clock: Clock) -> Iterator[tuple[Client, Client]]:
    """Two web processes' worth of application over the one store, as behind nginx."""
    with (
        serving(web.create_app(config, now=clock), config.web) as a,
        serving(web.create_app(config, now=clock), config.web) as b,
    ):
        yield Client(a), Client(b)


def sign_up(client: Client, address: str, **headers: str) -> Reply:
    return client.post("/subscribe", f"email={address}&script=zh-Hant", **headers)


def mails_to(config: Config, address: str) -> list[str]:
    """The confirm links mailed to `address`, oldest first."""
    found = [m for m in mails(config) if address in str(m["To"])]
    found.sort(key=lambda m: m["Date"].datetime)
    return [local_path(link_in(message, "confirm")) for message in found]


def status_of(config: Config, address: str) -> SubscriberStatus:
    with Store(config.storage) as store:
        person = subscribers.by_email(store, address)
    assert person is not None
    return person.status


def test_a_flood_for_one_address_sends_one_mail(tmp_path: Path) -> None:
    config = make_config(tmp_path, "[web]\nsubscribe_limit = 100000\n")
    clock = Clock()
    with two_servers(config, clock) as clients, ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda n: sign_up(clients[n % 2], "victim@example.org"), range(1000))
        )
        assert [reply.status for reply in replies] == [200] * 1000
        assert len(mails_to(config, "victim@example.org")) == 1
        # Every other answer says a mail went already, and when another may.
        assert sum(ALREADY_SENT in reply.text for reply in replies) == 999
        assert "60 分鐘後" in next(r.text for r in replies if ALREADY_SENT in r.text)
        # After the cool-down (an hour by default) the owner may ask for another.
        clock.at = NOW + dt.timedelta(hours=1, seconds=1)
        assert ALREADY_SENT not in sign_up(clients[1], "victim@example.org").text
        assert len(mails_to(config, "victim@example.org")) == 2


def test_a_flood_from_one_client_is_cut_off_with_retry_after(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        "[web]\nsubscribe_limit = 5\nsubscribe_window_seconds = 600\n"
        "trusted_proxies = ['127.0.0.1']\n",  # nginx on this machine
    )
    clock = Clock()
    with two_servers(config, clock) as clients:
        replies = [sign_up(clients[n % 2], f"person{n}@example.org") for n in range(40)]
        assert [reply.status for reply in replies] == [200] * 5 + [429] * 35
        assert {reply.headers["Retry-After"] for reply in replies[5:]} == {"600"}
        assert TOO_MANY in replies[5].text and "10 分鐘後" in replies[5].text
        assert sum(len(mails_to(config, f"person{n}@example.org")) for n in range(40)) == 5
        # Another client (nginx forwards its address from 127.0.0.1) is not held back …
        other = sign_up(clients[0], "someone@example.org", X_Forwarded_For="203.0.113.9")
        assert other.status == 200
        # … and the first may post again once its window has passed.
        clock.at = NOW + dt.timedelta(seconds=600)
        assert sign_up(clients[1], "person99@example.org").status == 200
    with Store(config.storage) as store:
        rows = store.db.execute("SELECT client FROM form_posts").fetchall()
    # The store counts clients by a keyed hash, never by their address.
    assert rows and not any("127.0.0.1" in row[0] or "203.0.113" in row[0] for row in rows)


def test_the_link_of_an_earlier_sign_up_confirms_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = Clock()
    address = "reader@example.org"
    with two_servers(config, clock) as (one, two):
        sign_up(one, address)
        (first,) = mails_to(config, address)
        assert one.post(first).status == 200
        with Store(config.storage) as store:
            person = subscribers.by_email(store, address)
        assert person is not None
        token = tokens.make(tokens.load_secret(config), "unsubscribe", person.id)
        unsubscribe = f"/unsubscribe?token={token}"
        assert two.post(unsubscribe).status == 200
        # Someone signs the address up again, later: the old link must not confirm that.
        clock.at = NOW + dt.timedelta(hours=2)
        sign_up(two, address)
        first_again, second = mails_to(config, address)
        assert first_again == first and second != first
        page = one.get(first)
        assert page.status == 410 and STALE in page.text
        assert one.post(first).status == 410
        assert status_of(config, address) is SubscriberStatus.PENDING
        assert two.post(second).status == 200
        assert status_of(config, address) is SubscriberStatus.ACTIVE
        # The unsubscribe link of the first mail still works.
        assert one.post(unsubscribe).status == 200
        assert status_of(config, address) is SubscriberStatus.UNSUBSCRIBED


def test_an_expired_link_says_so_and_offers_a_new_mail(tmp_path: Path) -> None:
    config = make_config(tmp_path, "[web]\nconfirm_expiry_days = 2\n")
    clock = Clock()
    address = "late@example.org"
    with two_servers(config, clock) as (one, _):
        sign_up(one, address)
        (link,) = mails_to(config, address)
        clock.at = NOW + dt.timedelta(days=2, seconds=1)
        page = one.get(link)
        assert page.status == 410 and STALE in page.text
        assert one.post(link).status == 410
        assert status_of(config, address) is SubscriberStatus.PENDING
        # The page's button posts the form again, for this address.
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', page.text))
        assert fields["email"] == address
        reply = one.post("/" + action[1].replace("&amp;", "&"), f"email={fields['email']}")
        assert reply.status == 200
        old, new = mails_to(config, address)
        assert old == link and one.post(new).status == 200
        assert status_of(config, address) is SubscriberStatus.ACTIVE
