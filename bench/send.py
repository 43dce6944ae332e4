"""Send one digest to 10,000 subscribers through a local SMTP server; print the figures.

    python bench/send.py                      # median of 3 runs to 1,000, then one to 10,000
    python bench/send.py --small 2000 --runs 5 --full 10000

The day is the seed batch (../shared/seeds), ingested into a temporary store at run time.
The SMTP server (aiosmtpd, tests/smtpserver.py) runs in a separate process, so its CPU is
not counted against the sender; it only counts what it receives. Each figure is set beside
a baseline measured in the same process against the same server: building an
EmailMessage per subscriber and handing it to smtplib's send_message over one connection,
as a straightforward implementation would, without any bookkeeping.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.policy
import resource
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher import config  # noqa: E402
from publisher.articles.ingest import ingest_file  # noqa: E402
from publisher.config import Config  # noqa: E402
from publisher.delivery.engine import SendReport, send_day  # noqa: E402
from publisher.mail import subscribers  # noqa: E402
from publisher.mail.digest import PreparedDigest, prepare_digest  # noqa: E402
from publisher.records import Script, Subscriber  # noqa: E402
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


def make_store(root: Path, port: int, people: int) -> tuple[Config, Store]:
    root.mkdir()
    (root / "config.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\n'
        f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {port}\n',
        encoding="utf-8",
    )
    settings = config.load(root / "config.toml")
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    store = Store(settings.database)
    ingest_file(settings, store, next(iter(sorted(SEEDS.glob("*.txt")))), day=DAY, now=now)
    scripts = (Script.HANT, Script.HANS)
    with store.transaction():
        for n in range(people):
            subscribers.add(store, f"reader{n}@example.org", scripts[n % 2], now)
    return settings, store


def engine_run(settings: Config, store: Store) -> SendReport:
    """One `send` of the day from scratch: the deliveries of earlier runs are forgotten."""
    with store.transaction() as db:
        db.execute("DELETE FROM deliveries")
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    report = send_day(settings, store, DAY, now)
    assert report.sent == len(subscribers.active(store)), report
    return report


def parts_of(digest: PreparedDigest, person: Subscriber) -> tuple[str, str, str]:
    message = email.message_from_bytes(digest.letter(person).data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    plain, html = message.iter_parts()
    return str(message["Subject"]), plain.get_content(), html.get_content()  # type: ignore[attr-defined]


def baseline_run(settings: Config, store: Store, port: int) -> float:
    """Per subscriber: a new EmailMessage with the same headers and bodies, send_message()."""
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    digest = prepare_digest(settings, store, DAY, now)
    assert digest is not None
    people = subscribers.active(store)
    bodies = {p.script: parts_of(digest, p) for p in people[:2]}
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for person in people:
            subject, plain, html = bodies[person.script]
            message = EmailMessage()
            message["From"] = settings.digest.from_address
            message["To"] = person.email
            message["Subject"] = subject
            message["Message-ID"] = digest.message_id(person)
            message.set_content(plain)
            message.add_alternative(html, subtype="html")
            conn.send_message(message)
    return time.perf_counter() - started


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--small", type=int, default=1000, help="subscribers in the short runs")
    options.add_argument("--runs", type=int, default=3, help="short runs (median reported)")
    options.add_argument("--full", type=int, default=10_000, help="subscribers in the full run")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder, smtp_server() as port:
        root = Path(folder)
        settings, small = make_store(root / "small", port, args.small)
        reports = [engine_run(settings, small) for _ in range(args.runs)]
        rates = [r.sent / r.seconds for r in reports]
        base = [args.small / baseline_run(settings, small, port) for _ in range(args.runs)]
        print(
            f"send to {args.small:,}:  {statistics.median(rates):6.0f} msg/s (median of "
            f"{args.runs}; renders {reports[0].renders}); baseline EmailMessage per "
            f"subscriber + send_message: {statistics.median(base):6.0f} msg/s"
        )
        small.close()

        settings, full = make_store(root / "full", port, args.full)
        before = max_rss_mb()
        report = engine_run(settings, full)
        print(
            f"send to {args.full:,}: {report.sent / report.seconds:6.0f} msg/s "
            f"({report.sent:,} sent in {report.seconds:.1f} s; renders {report.renders})"
        )
        print(
            f"peak memory:     {max_rss_mb():6.0f} MB max RSS of the sender "
            f"({before:.0f} MB before the run)"
        )
        full.close()


if __name__ == "__main__":
    main()
