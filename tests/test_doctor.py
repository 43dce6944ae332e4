"""publisher doctor against a DNS zone served on 127.0.0.1 (dnslib) and an aiosmtpd relay:
each missing record is one FAIL line naming it; a good zone exits 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver
from smtpserver import SmtpServer

from conftest import make_config
from publisher.cli import main

KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1" + "A" * 172 + "QIDAQAB"
RECORDS = {
    "SPF": 'news.example.org. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"',
    "DKIM": f's2025._domainkey.news.example.org. 300 IN TXT "v=DKIM1; k=rsa; p={KEY}"',
    "DMARC": '_dmarc.news.example.org. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@x.org"',
}
NAMES = {
    "SPF": "news.example.org",
    "DKIM": "s2025._domainkey.news.example.org",
    "DMARC": "_dmarc.news.example.org",
}


class Zone:
    """A DNS server on 127.0.0.1 answering from zone text."""

    def __init__(self, text: str) -> None:
        self.server = DNSServer(ZoneResolver(text), address="127.0.0.1", port=0)
        self.server.start_thread()

    @property
    def where(self) -> str:
        return f"127.0.0.1:{self.server.server.server_address[1]}"

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()  # dnslib's stop() leaves the socket open


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET", "a-fixed-test-secret-for-the-doctor")


def doctor(
    tmp_path: Path, records: list[str], relay: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    make_config(
        tmp_path,
        '[digest]\nfrom_address = "新聞 <digest@news.example.org>"\n'
        f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {relay.port}\n'
        '[dkim]\nselector = "s2025"\n',
    )
    zone = Zone("\n".join(records) + "\n")
    try:
        code = main(["--config", str(tmp_path / "config.toml"), "doctor", "--dns", zone.where])
    finally:
        zone.stop()
    return code, capsys.readouterr().out.splitlines()


def test_a_good_zone_passes(
    tmp_path: Path, relay: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor(tmp_path, list(RECORDS.values()), relay, capsys)
    assert code == 0, lines
    assert not [line for line in lines if line.startswith("FAIL")]
    for subject in ("SPF", "DKIM", "DMARC", "relay", "base_url", "config"):
        assert any(line.startswith(f"OK    {subject}:") for line in lines), subject
    assert any(line.startswith("WARN  PTR:") for line in lines), "a relay on this machine"


@pytest.mark.parametrize("missing", list(RECORDS))
def test_each_missing_record_is_one_fail_naming_it(
    tmp_path: Path, relay: SmtpServer, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    records = [text for name, text in RECORDS.items() if name != missing]
    code, lines = doctor(tmp_path, records, relay, capsys)
    assert code == 1
    (failure,) = [line for line in lines if line.startswith("FAIL")]
    assert failure.startswith(f"FAIL  {missing}: no record at {NAMES[missing]} ")


def test_a_bad_config_is_a_fail_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.toml").write_text("[site]\ntitel = 'x'\n", encoding="utf-8")
    assert main(["--config", str(tmp_path / "config.toml"), "doctor"]) == 1
    assert capsys.readouterr().out.startswith("FAIL  config:")


def test_a_key_file_others_can_read_fails(
    tmp_path: Path,
    relay: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUBLISHER_SECRET")
    (tmp_path / "publisher.key").write_text("k" * 64)
    (tmp_path / "publisher.key").chmod(0o644)
    code, lines = doctor(tmp_path, list(RECORDS.values()), relay, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("FAIL")] == [
        f"FAIL  link key: {tmp_path / 'publisher.key'} is mode 0644; it signs every "
        f"unsubscribe link: chmod 600 {tmp_path / 'publisher.key'}"
    ]
