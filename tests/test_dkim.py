"""DKIM signing in the program: every digest mail verifies with dkimpy against the public
key, with what RFC 8058 asks covered; the key file must be private."""

from __future__ import annotations

import email
import mailbox
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import DAY, NOW, make_config, store_day
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import subscribers
from publisher.mail.digest import dkim_signer, prepare_digest
from publisher.mail.dkim import DkimError
from publisher.records import Script
from publisher.store import Store

COVERED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "feedback-id",
    "cfbl-address",
}


def write_key(path: Path, mode: int = 0o600) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(mode)


def signing_config(root: Path) -> Config:
    write_key(root / "dkim.key")
    return make_config(
        root,
        '[digest]\nfrom_address = "新聞 <digest@news.example.org>"\n'
        'cfbl_address = "fbl@news.example.org"\n'
        '[dkim]\nsign = true\nselector = "s2025"\nkey_file = "dkim.key"\n',
    )


def dns_of(config: Config) -> dkim.DNSFunction:
    signer = dkim_signer(config)
    assert signer is not None
    record = signer.public_record().encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s2025._domainkey.news.example.org."
        return record

    return lookup


def test_every_mail_sent_verifies_with_the_rfc_8058_headers_covered(tmp_path: Path) -> None:
    config = signing_config(tmp_path)
    with Store(config.storage) as store:
        for number, script in enumerate((Script.HANT, Script.HANS, Script.HANT)):
            subscribers.add(store, f"reader{number}@example.org", script, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        assert send_day(config, store, DAY, NOW).sent == 3
    lookup = dns_of(config)
    box = mailbox.Maildir(tmp_path / "outbox", create=False)
    mails = [box.get_bytes(key) for key in box.iterkeys()]
    assert len(mails) == 3
    for data in mails:
        assert dkim.verify(data, dnsfunc=lookup), "the signature verifies"
        header = "".join(str(email.message_from_bytes(data)["DKIM-Signature"]).split())
        tags = dict(tag.split("=", 1) for tag in header.split(";") if tag)
        assert set(tags["h"].split(":")) >= COVERED
        assert (tags["d"], tags["s"], tags["a"]) == ("news.example.org", "s2025", "rsa-sha256")
        tampered = data.replace(b"To: reader", b"To: xreader", 1)
        assert not dkim.verify(tampered, dnsfunc=lookup), "a changed To breaks it"


def test_an_unsigned_mail_has_no_signature(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        digest = prepare_digest(config, store, DAY, NOW)
        assert digest is not None
        letter = digest.letter(person)
    assert letter is not None and b"DKIM-Signature" not in letter.data


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    config = signing_config(tmp_path)
    (tmp_path / "dkim.key").chmod(0o644)
    with pytest.raises(DkimError, match="chmod 600"):
        dkim_signer(config)
