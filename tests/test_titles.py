"""The site's title, configured once in Traditional (科技新聞), reads in each output's own
script: every zh-Hans page, feed, form and mail says 科技新闻, every zh-Hant one 科技新聞."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_readers import site  # noqa: F401  (the fixture: a built site with its digests)
from test_web import Client, mail_to, serving

from conftest import NOW
from publisher.config import Config
from publisher.mail import subscribers, tokens
from publisher.mail.subscribers import sign_up_stamp
from publisher.records import SCRIPTS, Script
from publisher.store import Store
from publisher.web import app as web

TITLES = {Script.HANT: "科技新聞", Script.HANS: "科技新闻"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_file_of_a_script_names_the_site_in_that_script(
    site: Config,  # noqa: F811
    script: Script,
) -> None:
    paths = sorted(path for path in (site.output_dir / script).rglob("*") if path.is_file())
    assert len(paths) > 10
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert TITLES[script] in text, path
        assert TITLES[script.twin] not in text, path


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:  # noqa: F811
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_forms_and_the_confirmation_mail_name_the_site_in_their_script(
    client: Client,
    site: Config,  # noqa: F811
    script: Script,
) -> None:
    address = f"title-{script}@example.org"
    pages = [client.get(f"/subscribe?script={script}").text]
    pages.append(client.post("/subscribe", f"email={address}&script={script}").text)
    with Store(site.storage) as store:
        person = subscribers.by_email(store, address)
    assert person is not None
    secret = tokens.load_secret(site)
    links = {
        "confirm": tokens.make_bound(secret, tokens.CONFIRM, person.id, sign_up_stamp(person)),
        "unsubscribe": tokens.make(secret, "unsubscribe", person.id),
    }
    for action, token in links.items():
        pages.append(client.get(f"/{action}?token={token}").text)
    mail = mail_to(site, address)
    body = mail.get_body(("plain",))
    assert body is not None
    for text in [*pages, str(mail["Subject"]), body.get_content()]:
        assert TITLES[script] in text and TITLES[script.twin] not in text, text
