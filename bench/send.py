"""Send one digest to 10,000 subscribers through a local SMTP server; print the figures.

    python bench/send.py                          # 3 runs to 10,000 subscribers
    python bench/send.py --subscribers 2000 --runs 5

The day is the seed batch (../shared/seeds), ingested into a temporary store at run time.
The SMTP server (aiosmtpd, tests/smtpserver.py) runs in a separate process, so its CPU is
not counted against the sender; it only counts what it receives. Each `send` run is set
beside the relay's limit measured right after it against the same server: a raw client
saying the same letters' bytes over one connection with nothing else to do, one command
at a time, and again pipelining the envelope (RFC 2920; the server offers it, so the
engine does). The ratio's median is the figure, against both; the commits and statements
per mail are counted on the store's connection.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import resource
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher import config  # noqa: E402
from publisher.articles.ingest import ingest_file  # noqa: E402
from publisher.config import Config, DkimConfig  # noqa: E402
from publisher.delivery.engine import SendReport, send_day  # noqa: E402
from publisher.mail import subscribers  # noqa: E402
from publisher.mail.digest import prepare_digest  # noqa: E402
from publisher.records import Script  # noqa: E402
from publisher.store import Store  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
SERVER = REPO / "tests" / "smtpserver.py"
DAY = dt.date(2025, 12, 14)


@contextmanager
def smtp_server() -> Iterator[int]:
    """tests/smtpserver.py in its own process; yields its port."""
    command = [sys.executable, str(SERVER), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            yield int(server.stdout.readline().rsplit(":", 1)[1])
        finally:
            server.terminate()
            server.wait(timeout=30)


def smtp_site(root: Path, port: int) -> tuple[Config, dt.datetime, Store]:
    """A site in `root` that mails through the relay on `port`: its config, the morning of
    DAY, and its store."""
    (root / "config.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\n'
        f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {port}\n',
        encoding="utf-8",
    )
    settings = config.load(root / "config.toml")
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    return settings, now, Store(settings.storage)


def make_store(root: Path, port: int, people: int) -> tuple[Config, Store]:
    settings, now, store = smtp_site(root, port)
    ingest_file(settings, store, next(iter(sorted(SEEDS.glob("*.txt")))), day=DAY, now=now)
    scripts = (Script.HANT, Script.HANS)
    with store.transaction():
        for n in range(people):
            subscribers.add(store, f"reader{n}@example.org", scripts[n % 2], now)
    return settings, store


class Statements:
    """Counts the statements and commits the store's SQLite connection runs."""

    def __init__(self, store: Store) -> None:
        self.statements = self.commits = 0
        connection = store.db._db  # type: ignore[attr-defined]
        connection.set_trace_callback(self.seen)

    def seen(self, sql: str) -> None:
        self.statements += 1
        self.commits += sql.strip().upper() == "COMMIT"


def engine_run(settings: Config, store: Store) -> tuple[SendReport, Statements]:
    """One `send` of the day from scratch: the deliveries of earlier runs are forgotten."""
    with store.transaction():
        store.db.execute("DELETE FROM deliveries")
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    counted = Statements(store)
    report = send_day(settings, store, DAY, now)
    assert report.sent == len(subscribers.active(store)), report
    return report, counted


def raw_run(settings: Config, store: Store, port: int, *, pipelined: bool = False) -> float:
    """The relay's limit: the same letters, built beforehand, said over one connection with
    nothing else done (no store, no pacing); returns messages per second. `pipelined`: the
    envelope in one write (RFC 2920), as the engine says it to a relay that offers it."""
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    digest = prepare_digest(settings, store, DAY, now)
    assert digest is not None
    letters = [each for p in subscribers.active(store) if (each := digest.letter(p)) is not None]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        conn.ehlo()
        for letter in letters:
            envelope = [f"MAIL FROM:<{letter.sender}>", f"RCPT TO:<{letter.recipient}>", "DATA"]
            if pipelined:
                conn.send("".join(f"{line}\r\n" for line in envelope).encode())
            for line in envelope:
                if not pipelined:
                    conn.send(f"{line}\r\n".encode())
                conn.getreply()
            conn.send(letter.data + b".\r\n")
            code, reply = conn.getreply()
            assert code == 250, reply
    return len(letters) / (time.perf_counter() - started)


def letter_ms(settings: Config, store: Store) -> float:
    """Milliseconds to make one reader's letter (the digest already rendered)."""
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    digest = prepare_digest(settings, store, DAY, now)
    assert digest is not None
    people = subscribers.active(store)
    started = time.perf_counter()
    for person in people:
        digest.letter(person)
    return 1000 * (time.perf_counter() - started) / len(people)


def signed_settings(settings: Config, folder: Path) -> Config:
    """The same site, signing every mail with a fresh 2048-bit key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    dkim = DkimConfig(sign=True, selector="bench", key_file=str(path))
    return dataclasses.replace(settings, dkim=dkim)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--subscribers", type=int, default=10_000)
    options.add_argument("--runs", type=int, default=3, help="runs of each (median reported)")
    options.add_argument(
        "--dkim", action="store_true", help="also send with DKIM signing (dkim.sign), alternated"
    )
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder, smtp_server() as port:
        settings, store = make_store(Path(folder), port, args.subscribers)
        signing = signed_settings(settings, Path(folder)) if args.dkim else None
        ratios, engine, raw, piped, signed = [], [], [], [], []
        for _ in range(args.runs):  # alternated, so all see the same load on the machine
            if signing is not None:
                report, _ = engine_run(signing, store)
                signed.append(report.sent / report.seconds)
                print(f"  run: engine with DKIM signing {signed[-1]:5.0f} msg/s", flush=True)
            report, counted = engine_run(settings, store)
            engine.append(report.sent / report.seconds)
            raw.append(raw_run(settings, store, port))
            piped.append(raw_run(settings, store, port, pipelined=True))
            ratios.append(engine[-1] / raw[-1])
            print(
                f"  run: engine {engine[-1]:5.0f} msg/s, raw client {raw[-1]:5.0f} msg/s "
                f"(pipelined {piped[-1]:5.0f}), ratio {ratios[-1]:.2f} "
                f"({engine[-1] / piped[-1]:.2f}); {counted.commits / report.sent:.2f} commits "
                f"and {counted.statements / report.sent:.2f} statements per mail",
                flush=True,
            )
        print(
            f"send to {args.subscribers:,}: engine {statistics.median(engine):5.0f} msg/s, "
            f"raw client (relay limit) {statistics.median(raw):5.0f} msg/s: ratio "
            f"{statistics.median(ratios):.2f} (median of {args.runs}); raw client pipelining "
            f"{statistics.median(piped):5.0f} msg/s: ratio "
            f"{statistics.median(e / p for e, p in zip(engine, piped, strict=True)):.2f}; "
            f"peak RSS {max_rss_mb():.0f} MB"
        )
        if signing is not None:
            cost = 1000 / statistics.median(signed) - 1000 / statistics.median(engine)
            plain, dkim = letter_ms(settings, store), letter_ms(signing, store)
            print(
                f"with DKIM signing (RSA 2048): {statistics.median(signed):5.0f} msg/s, "
                f"{cost:.2f} ms more per mail (median of {args.runs}); making a letter "
                f"costs {plain:.3f} ms unsigned, {dkim:.3f} ms signed (no relay, no store)"
            )
        store.close()


if __name__ == "__main__":
    main()
