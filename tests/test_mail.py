"""The digest and confirmation mails, parsed back with the stdlib email parser.

Golden files: tests/golden/mail/digest.zh-Hant.eml and digest.zh-Hans.eml are the exact bytes
of the example batch below, sent to subscriber 1 (zh-Hant) and 2 (zh-Hans) with a fixed
secret and a fixed `now`. After an intended change to the templates, the words or the mail
format, regenerate them and review the diff of the decoded parts:

    PUBLISHER_REGENERATE=1 pytest tests/test_mail.py -k golden

They also change when OpenCC, premailer or lxml change their output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import os
import re
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jinja2
import lxml.html
import opencc
import premailer
import pytest

from conftest import DAY, NOW, store_day
from publisher.articles import batch
from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.editions import HANT
from publisher.errors import AddressError, TokenError
from publisher.mail import subscribers, tokens
from publisher.mail.confirmation import confirmation_letter
from publisher.mail.digest import PreparedDigest, prepare_digest
from publisher.mail.letters import LetterTemplate
from publisher.mail.view import DigestItem, DigestView
from publisher.records import SCRIPTS, Letter, Script, Subscriber
from publisher.store import Store
from publisher.words import WORDS

pytestmark = pytest.mark.engines

GOLDEN = Path(__file__).parent / "golden" / "mail"
REGENERATE = os.environ.get("PUBLISHER_REGENERATE") == "1"
SECRET = "a fixed secret for the tests, 32+ bytes"
T2S = opencc.OpenCC("t2s")
S2TWP = opencc.OpenCC("s2twp")

# Our own example batch (not the seed): Taiwan-phrased Traditional, one Simplified original,
# and a title with markup characters.
EXAMPLE = [
    (
        "本地新創推出開源軟體，協助開發者找出記憶體洩漏",
        "一家位於新竹的新創公司發布開源軟體，可自動偵測程式碼中的記憶體洩漏。"
        "團隊表示，這套工具已在多個專案中試用，下個月將推出正式版本。",
        "範例科技報",
    ),
    (
        "国产新能源汽车出口量创新高",
        "据行业协会统计，今年前十一个月新能源汽车出口量同比增长三成。"
        "分析人士认为，海外市场需求仍将保持增长，但价格竞争也会更加激烈。",
        "示例财经",
    ),
    (
        "AI 晶片 & <記憶體> 需求升溫",
        "市場研究機構指出，資料中心對高頻寬記憶體的需求持續上升。業者預期明年產能仍然吃緊。",
        "範例日報",
    ),
]


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)


@pytest.fixture
def prepared(config: Config, store: Store) -> PreparedDigest:
    store_day(config, store, EXAMPLE)
    result = prepare_digest(config, store, DAY, NOW)
    assert result is not None
    return result


@pytest.fixture
def people(store: Store) -> dict[Script, Subscriber]:
    return {
        Script.HANT: subscribers.add(store, "reader@example.org", Script.HANT, NOW),
        Script.HANS: subscribers.add(store, "duzhe@example.org", Script.HANS, NOW, name="读者"),
    }


def letter_for(digest: PreparedDigest | None, person: Subscriber) -> Letter:
    """The digest's mail to `person`: every reader in these tests gets one."""
    assert digest is not None
    letter = digest.letter(person)
    assert letter is not None
    return letter


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, marked_up = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and marked_up is not None
    text = plain.get_content().replace("\r\n", "\n")
    html = marked_up.get_content().replace("\r\n", "\n")
    return text, html


def visible(html: str) -> str:
    """What a reader sees of an HTML part: the text outside tags and the <style> block."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


# -- headers and structure ----------------------------------------------------------------------


def test_a_digest_mail_has_every_header(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    person = people[Script.HANS]
    letter = letter_for(prepared, person)
    message = parse(letter.data)
    assert message.defects == []
    assert letter.recipient == message["To"] == "duzhe@example.org"
    assert letter.sender == "digest@localhost"
    assert str(message["From"]) == "科技新闻 <digest@localhost>"
    assert message["Subject"] == "科技新闻｜2025年12月14日 新闻摘要"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert letter.message_id == message["Message-ID"]
    assert letter.message_id == f"<digest.2025-12-14.zh-Hans.{person.id}@news.example.org>"
    assert message["List-Id"] == "科技新闻・每日新闻摘要 <zh-hans.digest.news.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    assert "Reply-To" not in message  # digest.reply_to is empty by default
    raw_headers = letter.data.split(b"\r\n\r\n")[0]
    assert b"=?utf-8?" in raw_headers, "non-ASCII headers are RFC 2047-encoded"
    assert all(byte < 128 for byte in raw_headers)


def test_list_unsubscribe_has_an_https_url_and_a_mailto_with_the_own_token(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    for person in people.values():
        value = parse(letter_for(prepared, person).data)["List-Unsubscribe"]
        both = re.fullmatch(r"<(https://[^>]+)>,\s*<(mailto:[^>]+)>", value)
        assert both is not None, value
        https, mailto = both.groups()
        token = token_of(https)
        assert https == f"https://news.example.org/unsubscribe?token={token}"
        assert mailto == f"mailto:unsubscribe@localhost?subject=unsubscribe-{token}"
        assert tokens.verify(SECRET.encode(), "unsubscribe", token) == person.id


def test_one_click_is_offered_only_with_an_https_link(config: Config, store: Store) -> None:
    site = dataclasses.replace(config.site, base_url="http://127.0.0.1:8080/")
    config = dataclasses.replace(config, site=site)
    store_day(config, store, EXAMPLE[:1])
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    message = parse(letter_for(prepare_digest(config, store, DAY, NOW), person).data)
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8080/unsubscribe?token=")
    assert "List-Unsubscribe-Post" not in message  # RFC 8058 3.1 needs an HTTPS URI


def test_multipart_alternative_text_then_html_both_utf8(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    message = parse(letter_for(prepared, people[Script.HANT]).data)
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    for part in (text_part, html_part):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "base64"
        assert part.defects == []


def test_the_bytes_are_ready_for_smtp(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    data = letter_for(prepared, people[Script.HANT]).data
    assert b"\n" not in data.replace(b"\r\n", b""), "CRLF line ends only, no bare LF or CR"
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998  # RFC 5322's limit
    # and 78, its advice, for all but the line that holds the unsubscribe URL
    assert [line[:18] for line in lines if len(line) > 78] == [b"List-Unsubscribe: "]
    assert data.endswith(b"\r\n")


def test_reply_to_comes_from_the_config(config: Config, store: Store) -> None:
    reply_to = "編輯部 <editors@example.org>"
    config = dataclasses.replace(
        config, digest=dataclasses.replace(config.digest, reply_to=reply_to)
    )
    store_day(config, store, EXAMPLE[:1])
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    for letter in (
        letter_for(prepare_digest(config, store, DAY, NOW), person),
        confirmation_letter(config, person, NOW),
    ):
        assert str(parse(letter.data)["Reply-To"]) == "編輯部 <editors@example.org>"


@pytest.mark.parametrize("name", ["Tech News, Daily", 'The "Daily" News', "科技新聞, 每日"])
def test_a_from_name_with_a_comma_or_quotes_stays_one_address(
    config: Config, store: Store, name: str
) -> None:
    quoted = name.replace('"', '\\"')
    config = dataclasses.replace(
        config,
        digest=dataclasses.replace(config.digest, from_address=f'"{quoted}" <news@example.org>'),
    )
    store_day(config, store, EXAMPLE[:1])
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    for letter in (
        letter_for(prepare_digest(config, store, DAY, NOW), person),
        confirmation_letter(config, person, NOW),
    ):
        message = parse(letter.data)
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (name, "news@example.org")
        assert message["From"].defects == ()


def test_the_footer_carries_the_subscribers_address_and_own_token(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    for person in people.values():
        text, html = parts(parse(letter_for(prepared, person).data))
        (url,) = re.findall(r'href="(https://news\.example\.org/unsubscribe\?[^"]+)"', html)
        assert tokens.verify(SECRET.encode(), "unsubscribe", token_of(url)) == person.id
        assert url in text and person.email in text and person.email in html
        assert WORDS[person.script]["unsubscribe"] in visible(html)


def test_the_footer_links_the_readers_own_preferences_page(
    prepared: PreparedDigest, store: Store, people: dict[Script, Subscriber]
) -> None:
    person = people[Script.HANS]
    store.next_link_generation(person.id)  # a reader whose earlier links were revoked
    person = store.subscriber(person.id) or pytest.fail("the reader is still there")
    for reader in (people[Script.HANT], person):
        text, html = parts(parse(letter_for(prepared, reader).data))
        (url,) = re.findall(r'href="(https://news\.example\.org/preferences\?[^"]+)"', html)
        found = tokens.verify_bound(SECRET.encode(), tokens.PREFERENCES, token_of(url))
        assert found == (reader.id, reader.link_generation)
        assert url in text and WORDS[reader.script]["preferences"] in visible(html)
    assert person.link_generation == 1


def first_text(html: str) -> str:
    """The first text of the body, as a mail client takes it for the inbox preview."""
    body = lxml.html.document_fromstring(html).body
    return str(next(text for text in body.itertext() if text.strip()))


def test_the_inbox_preview_is_the_first_headlines_in_the_readers_script(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    own = {Script.HANT: "國產新能源汽車出口量創新高", Script.HANS: "国产新能源汽车出口量创新高"}
    for script, person in people.items():
        text, html = parts(parse(letter_for(prepared, person).data))
        preview = first_text(html)
        assert own[script] in preview
        titles = [line.split(". ", 1)[1] for line in text.split("\n") if re.match(r"\d+\. ", line)]
        assert preview.startswith("｜".join(titles))  # all three fit, in the mail's script
        # Padded with invisible characters, so nothing after the headlines shows there.
        padding = preview.removeprefix("｜".join(titles))
        assert len(padding) > 100 and set(padding) <= {"\u034f", "\u200c", "\xa0"}
        (hidden,) = lxml.html.document_fromstring(html).find_class("preheader")
        assert "display:none" in hidden.get("style", "")
        # Decided: the plain part has no preheader. It cannot be hidden there, and its first
        # lines (site, date) are the text a client previews when it shows only the plain part.
        assert preview.strip("\u034f\u200c\xa0 ") not in text.replace("\n", "｜")


def test_the_inbox_preview_keeps_whole_headlines_within_its_length() -> None:
    items = tuple(
        DigestItem(title=f"第{n}則標題" + "字" * 30, source="", date="", excerpt="", url="")
        for n in range(5)
    )
    view = DigestView(DAY, HANT, "站", items, NOW, "", (), "", "", "")
    assert view.preheader == "｜".join(item.title for item in items[:2])
    one = dataclasses.replace(view, items=(DigestItem("長" * 200, "", "", "", ""),))
    assert one.preheader == "長" * 200  # the first headline, even when it is long


def test_each_article_appears_in_the_readers_script(
    prepared: PreparedDigest, people: dict[Script, Subscriber], config: Config, store: Store
) -> None:
    scripts = Scripts.from_config(config)
    for script, person in people.items():
        text, html = parts(parse(letter_for(prepared, person).data))
        for title, body, _ in EXAMPLE:
            converted = scripts.converter_to(script).convert(title)
            shown = title if scripts.detect(title + body) is script else converted
            assert shown in text
            assert shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
    hans, _ = parts(parse(letter_for(prepared, people[Script.HANS]).data))
    hant, _ = parts(parse(letter_for(prepared, people[Script.HANT]).data))
    assert "国产新能源汽车出口量创新高" in hans and "國產新能源汽車出口量創新高" in hant


def test_a_zh_hans_mail_is_entirely_simplified(
    prepared: PreparedDigest,
    people: dict[Script, Subscriber],
    store: Store,
    config: Config,
    news_path: Path,
) -> None:
    items = [(a.title, a.body, a.source) for a in batch.parse(news_path.read_bytes(), news_path)]
    store_day(config, store, items)  # Taiwan-phrased Traditional originals
    message = parse(letter_for(prepare_digest(config, store, DAY, NOW), people[Script.HANS]).data)
    text, html = parts(message)
    # The link to the other script's copy names it in that script, on purpose.
    other = WORDS[Script.HANS]["other"]
    assert other in text and other in html
    text, html = text.replace(other, ""), html.replace(other, "")
    for shown in (message["Subject"], message["From"].addresses[0].display_name, text, html):
        assert T2S.convert(shown) == shown


def test_a_zh_hant_mail_uses_the_traditional_words(
    prepared: PreparedDigest, people: dict[Script, Subscriber]
) -> None:
    message = parse(letter_for(prepared, people[Script.HANT]).data)
    text, html = parts(message)
    assert S2TWP.convert(message["Subject"]) == message["Subject"]
    assert message["From"].addresses[0].display_name == "科技新聞"
    shown = text + visible(html)
    for key in ("view_online", "unsubscribe", "other"):
        assert WORDS[Script.HANT][key] in shown
    shown = shown.replace(WORDS[Script.HANT]["other"], "")  # named in its own script
    # No piece of a Simplified word that its Traditional twin lacks, e.g. 条新闻.
    for key, hans in WORDS[Script.HANS].items():
        for piece in re.split(r"\{\w+\}", hans):
            if len(piece) >= 2 and piece not in WORDS[Script.HANT][key]:
                assert piece not in shown, (key, piece)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_words_are_written_in_their_script(script: Script) -> None:
    check = T2S if script is Script.HANS else S2TWP
    for key, word in WORDS[script].items():
        if key == "other":  # the other script's name, written in that script
            other = S2TWP if script is Script.HANS else T2S
            assert other.convert(word) == word
        else:
            assert check.convert(word) == word, key
    assert WORDS[Script.HANT].keys() == WORDS[Script.HANS].keys()


def test_a_title_with_a_line_break_never_becomes_a_header(config: Config, store: Store) -> None:
    store_day(config, store, [("標題\r\nBcc: victim@example.org\r\n\r\n<b>", "內文。", "來源")])
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    data = letter_for(prepare_digest(config, store, DAY, NOW), person).data
    message = parse(data)
    assert "Bcc" not in message and b"victim" not in data.split(b"\r\n\r\n")[0]
    text, html = parts(message)
    assert "標題 Bcc: victim@example.org &lt;b&gt;" in html
    assert "標題 Bcc: victim@example.org <b>" in text


@pytest.mark.parametrize(
    "address",
    [
        "a@example.org\r\nBcc: b@example.org",
        "a@example.org,b@example.org",  # To would name two people
        "a,b@example.org",
        "a@b@example.org",
        "Other <a@example.org>",
        '"a b"@example.org',
        "a@例子.公司",
    ],
)
def test_an_unsafe_recipient_is_refused_not_written(
    prepared: PreparedDigest, people: dict[Script, Subscriber], address: str
) -> None:
    # Addresses are validated when stored; this is the second line of defence.
    person = dataclasses.replace(people[Script.HANT], email=address)
    with pytest.raises(AddressError):
        letter_for(prepared, person)


def test_addresses_with_markup_characters_are_escaped_in_html(
    store: Store, prepared: PreparedDigest
) -> None:
    person = subscribers.add(store, "o'neil&co@example.org", Script.HANS, NOW)
    text, html = parts(parse(letter_for(prepared, person).data))
    assert "o'neil&co@example.org" in text
    assert "o&#x27;neil&amp;co@example.org" in html


# -- many subscribers ---------------------------------------------------------------------------


def test_every_letter_parses_and_carries_its_own_token(
    prepared: PreparedDigest, store: Store
) -> None:
    people = [subscribers.add(store, f"p{n}@example.org", SCRIPTS[n % 2], NOW) for n in range(200)]
    ids = set()
    for person in people:
        letter = letter_for(prepared, person)
        message = parse(letter.data)
        assert message.defects == [] and message["To"] == person.email
        (url,) = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
        assert tokens.verify(SECRET.encode(), "unsubscribe", token_of(url)) == person.id
        text, _ = parts(message)
        assert WORDS[person.script]["unsubscribe"] in text
        ids.add(letter.message_id)
    assert len(ids) == 200
    assert prepared.renders == 2


def test_a_letter_renders_nothing(
    prepared: PreparedDigest, people: dict[Script, Subscriber], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per subscriber only their own parts are filled in: no template, no CSS inlining.
    (bench/send.py measures what that buys: microseconds a letter.)"""

    def rendered(*args: object, **kwargs: object) -> None:
        raise AssertionError("a letter rendered or inlined something")

    monkeypatch.setattr(jinja2.Environment, "get_template", rendered)
    monkeypatch.setattr(premailer.Premailer, "transform", rendered)
    letters = [letter_for(prepared, person) for person in people.values() for _ in range(50)]
    assert len({letter.data for letter in letters}) == len(people)
    assert prepared.renders == 2


def test_a_template_without_the_unsubscribe_link_is_refused() -> None:
    with pytest.raises(Exception, match="unsubscribe link"):
        LetterTemplate([("Subject", "x")], "text", "<p>html</p>")


# -- the confirmation mail ----------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_confirmation_mail(config: Config, store: Store, script: Script) -> None:
    person = subscribers.subscribe_pending(
        store, "new@example.org", script, NOW, dt.timedelta(days=7)
    )
    letter = confirmation_letter(config, person, NOW)
    message = parse(letter.data)
    assert message.defects == []
    assert (letter.recipient, letter.sender) == ("new@example.org", "digest@localhost")
    assert message["Message-ID"] == letter.message_id
    assert message["Subject"] == WORDS[script]["confirm_subject"].format(
        site="科技新聞" if script is Script.HANT else "科技新闻"
    )
    assert "List-Unsubscribe" not in message
    text, html = parts(message)
    (url,) = re.findall(r'href="(https://news\.example\.org/confirm\?[^"]+)"', html)
    assert url in text
    # The mail says how long its link is good for (web.confirm_expiry_days).
    assert WORDS[script]["confirm_valid"].format(days=7) in text
    found = tokens.verify_bound(SECRET.encode(), tokens.CONFIRM, token_of(url))
    assert found == (person.id, subscribers.sign_up_stamp(person))
    with pytest.raises(TokenError):
        tokens.verify(SECRET.encode(), "unsubscribe", token_of(url))
    # It links the site in the other edition, named in that edition's own script.
    other = "简体中文版" if script is Script.HANT else "繁體中文版"
    home = f"https://news.example.org/{script.twin}/index.html"
    assert f"{other}：{home}" in text
    assert f'href="{home}" hreflang="{script.twin}" lang="{script.twin}"' in html
    if script is Script.HANS:
        for shown in (message["Subject"], text, visible(html)):
            assert T2S.convert(shown.replace(other, "")) == shown.replace(other, "")
    assert b"\n" not in letter.data.replace(b"\r\n", b"")


# -- golden files -------------------------------------------------------------------------------


def readable(data: bytes) -> list[str]:
    """Headers and decoded parts, for a diff a person can read."""
    message = parse(data)
    text, html = parts(message)
    return (
        [f"{name}: {value}" for name, value in message.items()]
        + text.split("\n")
        + ["----"]
        + html.split("\n")
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_golden_digest_mail(
    prepared: PreparedDigest, people: dict[Script, Subscriber], script: Script
) -> None:
    data = letter_for(prepared, people[script]).data
    path = GOLDEN / f"digest.{script}.eml"
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} is missing; see this file's docstring to regenerate it"
    expected = path.read_bytes()
    assert readable(data) == readable(expected)
    assert data == expected


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_item_of_the_plain_part_has_its_own_lines(
    prepared: PreparedDigest, people: dict[Script, Subscriber], script: Script
) -> None:
    """Title, then source and date (and a converted item's note), then the excerpt: a note
    must not glue two of them into one line."""
    text, _ = parts(parse(letter_for(prepared, people[script]).data))
    lines = text.split("\n")
    titles = [line for line in lines if re.match(r"\d+\. ", line)]
    assert len(titles) == len(EXAMPLE)
    for title in titles:
        source_line = lines[lines.index(title) + 1]
        assert re.match(r"\S+ · \d{4}年", source_line), source_line
        assert "。" not in source_line, "the excerpt starts on a line of its own"
