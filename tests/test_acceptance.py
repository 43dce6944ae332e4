"""What a new reader meets after the README's main job (ingest → build → subscribers add →
send), checked as a reader's eye would: every internal link of every page and mail leads
to a page, and every page and mail (static, and the dynamic ones fetched over real HTTP
from `publisher serve`) is in its own script with no English sentence."""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode

import pytest
from checkers import links, scripts
from test_serve import publisher_serve
from test_web import Client, Reply

from conftest import EXAMPLES, make_config
from publisher.cli import main
from publisher.config import Config
from publisher.records import Script
from publisher.store import Store

READER = "reader@example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The README's main job on our own example batches."""
    config = make_config(tmp_path_factory.mktemp("main-job"))
    args = ["--config", str(config.root / "config.toml")]
    batches = [str(path) for path in sorted(EXAMPLES.glob("*.txt"))]
    assert main([*args, "ingest", *batches]) == 0
    assert main([*args, "build"]) == 0
    assert main([*args, "subscribers", "add", READER, "--edition", "zh-Hans"]) == 0
    assert main([*args, "send", "--date", "2025-12-14"]) == 0
    return config


def outbox(config: Config) -> list[EmailMessage]:
    """The outbox, once `serve`'s mail thread has sent the confirmation mails the pages
    queued (it runs beside the requests, so a sign-up's answer may come first)."""
    with Store(config.storage) as store:
        deadline = time.monotonic() + 30
        while store.confirmation_backlog().waiting:
            assert time.monotonic() < deadline, "serve did not send the confirmation mails"
            time.sleep(0.05)
    found = []
    for message in mailbox.Maildir(config.path(config.delivery.outbox_dir)):
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    return (
        html.get_content() if html is not None else "",
        text.get_content() if text is not None else "",
    )


def script_of(html: str) -> Script | None:
    found = re.search(r'<html[^>]* lang="(zh-Han[st])', html)
    return Script(found[1]) if found else None


# -- links -----------------------------------------------------------------------------------


def test_every_internal_link_of_every_page_and_mail_resolves(site: Config) -> None:
    out, base = site.output_dir, site.site.base_url
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 20, "the build wrote the site"
    found = []
    for page in pages:
        relative = page.relative_to(out).as_posix()
        html = page.read_text(encoding="utf-8")
        found += links.broken(out, base, relative, base + relative, links.links_in_html(html))
    mails = outbox(site)
    assert any(READER in str(mail["To"]) for mail in mails), "the digest was mailed"
    for mail in mails:
        html, text = parts(mail)
        where = f"mail {mail['Subject']}"
        every = links.links_in_html(html) + links.links_in_text(text)
        found += links.broken(out, base, where, base, every)
    assert "\n".join(map(str, found)) == ""


def test_the_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "zh-Hant").mkdir()
    (tmp_path / "zh-Hant" / "index.html").write_text("")
    page = '<a href="index.html">ok</a><a href="gone.html">x</a><a href="https://other.org/">o</a>'
    base = "https://news.example.org/"
    found = links.broken(tmp_path, base, "p", base + "zh-Hant/p.html", links.links_in_html(page))
    assert [each.link for each in found] == ["gone.html"]


# -- scripts ---------------------------------------------------------------------------------


def test_every_static_page_and_mail_is_in_its_own_script(site: Config) -> None:
    protected = site.scripts.protected_terms
    found = []
    checked = 0
    for page in sorted(site.output_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        script = script_of(html)
        if script is None:
            continue  # the root page offers every edition, each in its own lang
        checked += 1
        found += [
            f"{page.relative_to(site.output_dir)}: {p}"
            for p in scripts.problems(html, script, protected)
        ]
    for mail in outbox(site):
        html, text = parts(mail)
        script = script_of(html)
        assert script is not None, mail["Subject"]
        found += [f"mail {mail['Subject']}: {p}" for p in scripts.problems(html, script, protected)]
        plain = scripts.other_script(text, script, protected) + scripts.english(text)
        found += [f"mail {mail['Subject']} (text): {p}" for p in plain]
    assert checked > 20 and found == []


def link_of(message: EmailMessage, word: str) -> str:
    _, text = parts(message)
    found = re.search(rf"https?://\S+?/({word}\?token=[\w.%-]+)", text)
    assert found, text
    return "/" + found[1]


def dynamic_pages(site: Config, client: Client) -> dict[str, tuple[Script, Reply]]:
    """Every kind of page `serve` makes, in each script, as a reader gets there."""
    got: dict[str, tuple[Script, Reply]] = {}
    digest = next(m for m in outbox(site) if READER in str(m["To"]) and "List-Unsubscribe" in m)
    for script in Script:
        lang = {Script.HANT: "zh-TW", Script.HANS: "zh-CN"}[script]
        fetch = {
            "subscribe": client.get(f"/subscribe?script={script}"),
            "subscribe, bad address": client.post(
                "/subscribe", urlencode({"email": "reader@nowhere", "script": script})
            ),
            "preferences": client.get(link_of(digest, "preferences") + f"&script={script}"),
            "unsubscribe": client.get(link_of(digest, "unsubscribe") + f"&script={script}"),
            "404": client.get(f"/{script}/no-such-page.html", Accept_Language=lang),
            "405": client.request("PUT", f"/{script}/index.html", b"", Accept_Language=lang),
            "400": client.get("/subscribe?script=klingon", Accept_Language=lang),
            "413": client.post(f"/subscribe?script={script}", "email=" + "x" * 70000),
            "bad token": client.get(f"/confirm?token=1.2.forged&script={script}"),
        }
        address = f"new-{script.value.lower()}@example.org"
        signed = client.post("/subscribe", urlencode({"email": address, "script": script}))
        fetch["subscribe, sent"] = signed
        confirm = next(m for m in outbox(site) if address in str(m["To"]))
        fetch["confirm mail"] = Reply(200, signed.headers, parts(confirm)[0].encode())
        fetch["confirm"] = client.get(link_of(confirm, "confirm"))
        fetch["confirmed"] = client.post(link_of(confirm, "confirm"))
        got |= {f"{script} {name}": (script, reply) for name, reply in fetch.items()}
    return got


def test_every_dynamic_page_is_in_its_own_script(site: Config) -> None:
    protected = site.scripts.protected_terms
    found = []
    with publisher_serve(site) as (client, log):
        for name, (script, reply) in dynamic_pages(site, client).items():
            assert reply.status < 500, name
            found += [f"{name}: {p}" for p in scripts.problems(reply.text, script, protected)]
    assert found == []
    errors = "".join(log)
    assert "Traceback" not in errors, errors[-3000:]


def test_the_script_checker_sees_the_other_script_and_english() -> None:
    page = '<html lang="zh-Hans"><p>订阅設定</p><p>The part after the at sign is wrong.</p>'
    assert scripts.problems(page, Script.HANS) == [
        "other script: 订阅設定",
        "English: The part after the at sign is wrong",
    ]
    assert scripts.problems('<p>订阅设定 <a lang="zh-Hant">繁體中文版</a></p>', Script.HANS) == []
