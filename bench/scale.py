"""Several senders on one PostgreSQL store: mails/s with 1, 2 and 4 sender processes.

    python bench/scale.py                          # 100,000 subscribers, 1, 2 and 4 senders
    python bench/scale.py --people 20000 --workers 1 2

Two relays (tests/smtpserver.py, aiosmtpd, each its own process); sender i sends to relay
i mod 2. Each run reports: mails/s of the senders together (wall time from the first
start to the last exit), the relay limit measured in the same run (as many raw smtplib
clients, each pushing the same prebuilt bytes to the same relay, with no store), and the
share, time inside `send` and peak memory of each sender. Then one sender on a SQLite
store, for the engine's cost.
PostgreSQL: a throwaway cluster (tests/pgcluster.py, fsync on) unless --url names one.
Each run also prints the CPU each mail cost the senders, the relays and the cluster (from
/proc), and the rate all the cores could carry at that cost: on a small machine the relays
and the senders share the cores, and that, not the store, caps what more senders add.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pwd
import re
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from publisher import config  # noqa: E402
from publisher.articles.ingest import ingest_file  # noqa: E402
from publisher.config import Config  # noqa: E402
from publisher.mail.digest import prepare_digest  # noqa: E402
from publisher.mail.subscribers import _key as email_key  # noqa: E402
from publisher.store import Store  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
SERVER = REPO / "tests" / "smtpserver.py"
DAY = dt.date(2025, 12, 14)


@dataclass(frozen=True)
class Relay:
    port: int
    pid: int


@contextmanager
def relay() -> Iterator[Relay]:
    command = [sys.executable, str(SERVER), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            yield Relay(int(server.stdout.readline().rsplit(":", 1)[1]), server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU of a live process (/proc/PID/stat), with `reaped` also that of its
    children that have ended (a PostgreSQL backend ends with its connection)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(field) for field in fields[11 : 15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(user: str) -> float:
    """CPU of every process of `user` (the PostgreSQL cluster's), ended backends included;
    0 for no user."""
    if not user:
        return 0.0
    uid = pwd.getpwnam(user).pw_uid
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    total += cpu_seconds(int(entry.name), reaped=True)
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended while we looked
    return total


def write_config(root: Path, url: str, port: int) -> Config:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(
        f'[site]\nbase_url = "https://news.example.org/"\n[storage]\nurl = "{url}"\n'
        f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {port}\n',
        encoding="utf-8",
    )
    return config.load(root / "config.toml")


def fill(settings: Config, people: int) -> None:
    """The seed day and `people` active subscribers, inserted in bulk."""
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        ingest_file(settings, store, next(iter(sorted(SEEDS.glob("*.txt")))), day=DAY, now=now)
        rows = [
            (f"reader{n}@example.org", email_key(f"reader{n}@example.org"),
             ("zh-Hant", "zh-Hans")[n % 2], now.isoformat(), now.isoformat())
            for n in range(people)
        ]  # fmt: skip
        with store.transaction():
            store.db.executemany(
                "INSERT INTO subscribers (email, email_key, script, status, created, confirmed)"
                " VALUES (?, ?, ?, 'active', ?, ?)",
                rows,
            )


def forget_deliveries(settings: Config) -> None:
    with Store(settings.storage) as store, store.transaction():
        store.db.execute("DELETE FROM deliveries")


@dataclass(frozen=True)
class Sender:
    """What one sender process reported: its share, the seconds `send` itself counted (the
    process's start and imports are not in them, the wall time includes them), memory."""

    sent: int
    seconds: float
    rss_mb: float
    cpu: float  # seconds of CPU, start-up and render included

    def __str__(self) -> str:
        return f"{self.sent} sent in {self.seconds:.1f} s, {self.rss_mb:.0f} MB"


def senders(configs: list[Config]) -> tuple[float, list[Sender]]:
    """Run one `send` per config at once; wall seconds and what each reported."""
    command = [sys.executable, __file__, "--sender"]
    started = time.perf_counter()
    running = [
        subprocess.Popen([*command, str(c.root / "config.toml")], stdout=subprocess.PIPE, text=True)
        for c in configs
    ]
    outputs = [process.communicate()[0] for process in running]
    seconds = time.perf_counter() - started
    for process, output in zip(running, outputs, strict=True):
        if process.returncode:
            raise SystemExit(f"a sender failed ({process.returncode}): {output}")
    return seconds, [_report(output) for output in outputs]


def _report(output: str) -> Sender:
    summary = re.search(r"(\d+) sent, .*; ([\d.]+) s, ", output)
    assert summary, output
    figures = json.loads(output.splitlines()[-1])
    return Sender(int(summary[1]), float(summary[2]), figures["rss_mb"], figures["cpu"])


def sender(config_path: str) -> None:
    """One sender process: `publisher send`, then its peak memory as a JSON line."""
    from publisher.cli import main as publisher

    code = publisher(["--config", config_path, "send", "--date", DAY.isoformat()])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"code": code, "rss_mb": usage.ru_maxrss / 1024, "cpu": cpu}))
    sys.exit(code)


def relay_limit(settings: Config, ports: list[int], mails: int) -> float:
    """Raw clients, one per port, each sending `mails` copies of a real letter's bytes."""
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        digest = prepare_digest(settings, store, DAY, now)
        assert digest is not None
        letter = digest.letter(store.subscribers()[0])
        assert letter is not None  # an all-sources reader always gets the day's digest
    payload = Path(tempfile.mkstemp(suffix=".eml")[1])
    payload.write_bytes(letter.data)
    started = time.perf_counter()
    clients = [
        subprocess.Popen([sys.executable, __file__, "--raw", str(port), str(mails), str(payload)])
        for port in ports
    ]
    for client in clients:
        client.wait()
    seconds = time.perf_counter() - started
    payload.unlink()
    return mails * len(ports) / seconds


def cpu_per_mail(
    mails: int,
    each: list[Sender],
    before: tuple[list[float], float],
    after: tuple[list[float], float],
) -> str:
    """Where the machine's CPU went per mail, and the rate all its cores could carry."""
    senders_ms = sum(sender.cpu for sender in each) / mails * 1000
    relays_ms = (sum(after[0]) - sum(before[0])) / mails * 1000
    server_ms = (after[1] - before[1]) / mails * 1000
    total = senders_ms + relays_ms + server_ms
    cores = os.cpu_count() or 1
    return (
        f"CPU per mail: senders {senders_ms:.2f} ms, relays {relays_ms:.2f} ms, "
        f"PostgreSQL {server_ms:.2f} ms; {total:.2f} ms in all, so {cores} cores carry at "
        f"most {cores * 1000 / total:.0f} mails/s"
    )


def raw_client(port: int, mails: int, payload: Path) -> None:
    data = payload.read_bytes()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for n in range(mails):
            conn.sendmail("digest@localhost", [f"reader{n}@example.org"], data)


def main() -> None:
    # One link-signing key for every sender, as on real nodes (and no key files written).
    os.environ.setdefault("PUBLISHER_SECRET", "bench-scale-py-not-a-secret-0123456789")
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--people", type=int, default=100_000)
    options.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    options.add_argument("--url", default="", help="a PostgreSQL server to use (else a new one)")
    args = options.parse_args()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        relays = [stack.enter_context(relay()) for _ in range(2)]
        ports = [each.port for each in relays]
        url = args.url
        # The CPU of our own cluster's processes; a server named by --url is not counted.
        server_user = ""
        if not url:
            import pgcluster

            server_user = pgcluster.SERVER_USER
            cluster = pgcluster.Cluster(durable=True)
            stack.callback(cluster.stop)
            url = cluster.url
        configs = [write_config(folder / f"w{i}", url, ports[i % 2]) for i in range(4)]
        fill(configs[0], args.people)
        print(f"{args.people:,} subscribers on PostgreSQL; two relays on ports {ports}")
        rates = {}
        for count in args.workers:
            forget_deliveries(configs[0])
            before = [cpu_seconds(r.pid) for r in relays], server_cpu(server_user)
            seconds, each = senders(configs[:count])
            after = [cpu_seconds(r.pid) for r in relays], server_cpu(server_user)
            rates[count] = args.people / seconds
            limit = relay_limit(configs[0], [ports[i % 2] for i in range(count)], 2000)
            print(
                f"{count} sender(s): {rates[count]:6.0f} mails/s ({seconds:.1f} s); relay limit "
                f"with {count} raw client(s): {limit:6.0f} mails/s; each sender: "
                + "; ".join(map(str, each))
            )
            print("  " + cpu_per_mail(args.people, each, before, after))
        if 1 in rates and 2 in rates:
            print(f"2 senders / 1 sender: {rates[2] / rates[1]:.2f}x")
        sqlite = write_config(folder / "sqlite", "sqlite:///publisher.db", ports[0])
        fill(sqlite, args.people)
        seconds, each = senders([sqlite])
        rate = args.people / seconds
        print(f"1 sender on SQLite: {rate:6.0f} mails/s ({seconds:.1f} s; {each[0]})")
        if 1 in rates:
            print(f"1 sender, PostgreSQL / SQLite: {rates[1] / rate:.0%}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sender"]:
        sender(sys.argv[2])
    elif sys.argv[1:2] == ["--raw"]:
        raw_client(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
