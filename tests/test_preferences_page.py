"""The reader's preferences page over real HTTP: opened from the link in a real digest,
changed by POSTing the form, and the next digest follows the change."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from test_web import Client, link_in, local_path, mail_to, mails, serving

from conftest import EXAMPLES, NOW, body_of
from conftest import make_config as new_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import subscribers, tokens
from publisher.records import Frequency, Script, Subscriber, SubscriberStatus
from publisher.site.paths import Site
from publisher.store import Store
from publisher.web import app as web
from publisher.words import WORDS

pytestmark = pytest.mark.engines

DAY = NOW.date()
NEXT_DAY = DAY + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Config:
    config = new_config(tmp_path_factory.mktemp("preferences"))
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
    return config


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


def add_reader(site: Config, address: str, script: Script) -> tuple[Subscriber, str]:
    with Store(site.storage) as store:
        person = subscribers.add(store, address, script, NOW)
    return person, tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 0)


def reader(site: Config, person: Subscriber) -> Subscriber:
    with Store(site.storage) as store:
        found = store.subscriber(person.id)
    assert found is not None
    return found


def form(token: str, action: str, **fields: str) -> str:
    return urlencode({"token": token, "do": action, **fields})


TECH, SCIENCE = "範例科技週報", "範例科學日報"
SOURCES = (TECH, "開源觀察", SCIENCE, "范例城市报")
SAVE = {"script": "zh-Hans", "frequency": "daily", "weekday": "mon", "paused_until": ""}


def test_the_digest_link_opens_the_form_and_the_next_digest_follows_it(
    client: Client, site: Config
) -> None:
    person, _ = add_reader(site, "round-trip@example.org", Script.HANT)
    with Store(site.storage) as store:
        assert send_day(site, store, DAY, NOW).sent >= 1
    link = local_path(link_in(mail_to(site, person.email, digest=True), "preferences"))
    page = client.get(link)
    assert page.status == 200 and "訂閱設定" in page.text and person.email in page.text
    for source in SOURCES:
        assert f'name="sources" value="{slug(source)}" checked' in page.text, "all ticked"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert reader(site, person) == person, "a GET changes nothing"

    token = link.partition("token=")[2]
    weekly = {**SAVE, "frequency": "weekly", "weekday": "mon"}
    saved = client.post("/preferences", form(token, "save", **weekly) + only(SCIENCE))
    assert saved.status == 200 and "已保存" in saved.text, "the answer is in the new script"
    assert f'name="sources" value="{slug(TECH)}">' in saved.text, "the page shows the choice"
    changed = reader(site, person)
    assert (changed.script, changed.frequency, changed.weekday) == (
        Script.HANS,
        Frequency.WEEKLY,
        0,
    )
    with Store(site.storage) as store:
        send_day(site, store, NEXT_DAY, NOW + dt.timedelta(days=1))
    mine = [m for m in mails(site) if m["To"] == person.email]
    later = [m for m in mine if f"digest.{DAY}." not in m["Message-ID"]]
    assert len(later) == 1, "on Monday the weekly, and no daily mail"
    assert later[0]["Message-ID"].startswith(f"<weekly.2025-W50.{Script.HANS}.{person.id}@")
    text = body_of(later[0])
    assert WORDS[Script.HANS]["unsubscribe"] in text
    assert "遥远星系" in text and "记忆体展" not in text and "内存展" not in text


def slug(source: str) -> str:
    return Site.source_slug(source)


def only(*ticked: str) -> str:
    """The source fields of the save form with only `ticked` ticked, as the page sends them."""
    shown = " ".join(slug(source) for source in SOURCES)
    return "&" + urlencode([("shown", shown), *(("sources", slug(s)) for s in ticked)])


def test_source_names_are_in_the_pages_script(client: Client, site: Config) -> None:
    _, hans = add_reader(site, "source-names-hans@example.org", Script.HANS)
    _, hant = add_reader(site, "source-names-hant@example.org", Script.HANT)
    simplified = client.get(f"/preferences?token={hans}").text
    traditional = client.get(f"/preferences?token={hant}").text
    assert "范例科技周报" in simplified and TECH not in simplified
    assert "範例城市報" in traditional and "范例城市报" not in traditional
    assert f'value="{slug(TECH)}" checked> 范例科技周报' in simplified


def test_a_form_naming_sources_in_either_script_is_read(client: Client, site: Config) -> None:
    """A page opened before an upgrade sends the names, one field each, in its script."""
    person, token = add_reader(site, "old-page@example.org", Script.HANS)
    shown = ["范例科技周报", "开源观察", "范例科学日报", "範例城市報"]
    fields = [*(("shown", name) for name in shown), ("sources", "范例科学日报")]
    reply = client.post("/preferences", form(token, "save", **SAVE) + "&" + urlencode(fields))
    assert reply.status == 200
    with Store(site.storage) as store:
        assert store.opted_out_sources(person.id) == {TECH, "開源觀察", "范例城市报"}


def test_a_form_larger_than_the_sites_sources_allow_is_refused(
    client: Client, site: Config
) -> None:
    person, token = add_reader(site, "stuffed@example.org", Script.HANT)
    stuffed = "&" + urlencode([("sources", f"{n:012x}") for n in range(200)])
    reply = client.post("/preferences", form(token, "save", **SAVE) + only(TECH) + stuffed)
    assert reply.status == 400 and "無法讀取送出的表單" in reply.text
    with Store(site.storage) as store:
        assert store.opted_out_sources(person.id) == frozenset()


def test_unticking_every_source_is_refused(client: Client, site: Config) -> None:
    person, token = add_reader(site, "nosource@example.org", Script.HANT)
    reply = client.post("/preferences", form(token, "save", **SAVE) + only())
    assert reply.status == 400 and "無法處理這個設定：請至少勾選一個新聞來源" in reply.text
    with Store(site.storage) as store:
        assert store.opted_out_sources(person.id) == frozenset()


def test_the_form_is_in_the_readers_script_and_offers_the_other(
    client: Client, site: Config
) -> None:
    _, token = add_reader(site, "jianti@example.org", Script.HANS)
    page = client.get(f"/preferences?token={token}")
    assert page.status == 200 and "订阅设置" in page.text and "每周一次" in page.text
    assert 'value="zh-Hans" checked' in page.text
    assert "下载我的数据" in page.text and "删除我的数据" in page.text
    twin = client.get(f"/preferences?token={token}&script=zh-Hant")
    assert "訂閱設定" in twin.text


def test_the_token_counts_only_in_a_posted_body(client: Client, site: Config) -> None:
    person, token = add_reader(site, "csrf@example.org", Script.HANT)
    fields = urlencode({"do": "save", **SAVE})
    reply = client.post(f"/preferences?token={token}", fields, Accept_Language="zh-TW")
    assert reply.status == 400 and "網址缺少驗證碼" in reply.text
    assert reader(site, person).script is Script.HANT


def test_a_revoked_link_is_refused_with_a_page(client: Client, site: Config) -> None:
    person, token = add_reader(site, "revoked@example.org", Script.HANT)
    with Store(site.storage) as store:
        store.next_link_generation(person.id)
    page = client.get(f"/preferences?token={token}")
    assert page.status == 403 and "這個設定連結已經失效" in page.text
    post = client.post("/preferences", form(token, "unsubscribe"))
    assert post.status == 403 and "已經失效" in post.text
    assert reader(site, person).status is person.status
    fresh = tokens.make_bound(tokens.load_secret(site), tokens.PREFERENCES, person.id, 1)
    assert client.get(f"/preferences?token={fresh}").status == 200
    forged = token.replace(f"{person.id}.0.", f"{person.id}.1.")
    assert client.get(f"/preferences?token={forged}").status == 403


def test_a_pause_must_end_after_today_and_a_bad_date_is_a_page(
    client: Client, site: Config
) -> None:
    person, token = add_reader(site, "pause@example.org", Script.HANT)
    past = client.post("/preferences", form(token, "save", **{**SAVE, "paused_until": str(DAY)}))
    assert past.status == 400 and "無法處理這個設定：暫停要在今天之後結束" in past.text
    assert "after today" not in past.text
    nonsense = client.post("/preferences", form(token, "save", **{**SAVE, "paused_until": "soon"}))
    assert nonsense.status == 400 and "soon" in nonsense.text
    until = NEXT_DAY + dt.timedelta(days=3)
    ok = client.post("/preferences", form(token, "save", **{**SAVE, "paused_until": str(until)}))
    assert ok.status == 200 and f'value="{until}"' in ok.text
    assert reader(site, person).paused_until == until


def test_download_my_data_is_a_json_attachment(client: Client, site: Config) -> None:
    person, token = add_reader(site, "export@example.org", Script.HANT)
    reply = client.post("/preferences", form(token, "export"))
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(reply.text)
    assert data["address"] == person.email and data["edition"] == "zh-Hant"


def test_erase_asks_first_then_forgets_the_reader(client: Client, site: Config) -> None:
    person, token = add_reader(site, "erase@example.org", Script.HANT)
    ask = client.post("/preferences", form(token, "erase"))
    assert ask.status == 200 and "確定要刪除嗎" in ask.text
    assert re.search(r'name="do" value="erase_confirmed"', ask.text)
    assert reader(site, person).email == person.email, "asking deletes nothing"
    done = client.post("/preferences", form(token, "erase_confirmed"))
    assert done.status == 200 and "資料已刪除" in done.text
    with Store(site.storage) as store:
        assert store.subscriber(person.id) is None
    assert client.get(f"/preferences?token={token}").status == 404


def test_unsubscribe_from_the_page(client: Client, site: Config) -> None:
    person, token = add_reader(site, "leave@example.org", Script.HANS)
    reply = client.post("/preferences", form(token, "unsubscribe"))
    assert reply.status == 200 and "已取消订阅" in reply.text
    assert reader(site, person).status is SubscriberStatus.UNSUBSCRIBED
