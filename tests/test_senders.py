"""Several machines on one PostgreSQL store: four senders with one killed, the database
restarted mid-send, two daemons started at once. Real processes, a real server, a real
SMTP relay; only PostgreSQL (SQLite keeps one sender under its file lock)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtpserver import SmtpServer
from test_delivery import (
    DAY,
    SMTPSERVER,
    AtMail,
    add_people,
    received_by,
    rows,
    smtp_config,
)

from conftest import NOW, PostgresServer
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.delivery.smtp import Smtp
from publisher.errors import StorageError
from publisher.store import Store

pytestmark = pytest.mark.usefixtures("postgres_only")


@pytest.fixture
def postgres_only(postgres_url: str) -> Iterator[None]:
    """A schema of this test's own on the session's server (make_config writes it)."""
    from conftest import fresh_schema

    with fresh_schema(postgres_url):
        yield


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An SMTP relay in its own process, 5 ms per mail, keeping what it takes in a Maildir."""
    maildir = tmp_path / "received"
    command = [sys.executable, str(SMTPSERVER), "--maildir", str(maildir), "--delay", "0.005"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None
            yield int(server.stdout.readline().rsplit(b":", 1)[1]), maildir
        finally:
            server.terminate()
            server.wait(timeout=10)


def publisher(config: Config, *args: str) -> list[str]:
    return [sys.executable, "-m", "publisher", "--config", str(config.root / "config.toml"), *args]


def start(command: list[str], folder: Path) -> subprocess.Popen[str]:
    pipe = subprocess.PIPE
    return subprocess.Popen(command, cwd=folder, stdout=pipe, stderr=pipe, text=True)


def wait_until(arrived: int, maildir: Path, workers: list[subprocess.Popen[str]]) -> None:
    """Poll the relay's Maildir until `arrived` mails are in (the senders are mid-list)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (maildir / "new").exists() and len(list((maildir / "new").iterdir())) >= arrived:
            return
        if all(worker.poll() is not None for worker in workers):
            pytest.fail("every sender ended before the list was half sent")
        time.sleep(0.005)
    pytest.fail(f"{arrived} mails did not arrive in 120 s")


def day_with_people(config: Config, news_path: Path, count: int) -> list[str]:
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        return [person.email for person in add_people(store, count)]


def assert_exactly_once(config: Config, maildir: Path, people: list[str], kills: int) -> None:
    """Everyone's row is sent (or uncertain, at most one per kill) and each sent mail
    arrived once: no duplicates, nobody lost."""
    with Store(config.storage) as store:
        state = rows(store)
    statuses = Counter(row["status"] for row in state.values())
    assert statuses["uncertain"] <= kills
    assert statuses["sent"] == len(people) - statuses["uncertain"], statuses
    counts = received_by(maildir)
    for email in people:
        limit = (0, 1) if state[email]["status"] == "uncertain" else (1,)
        assert counts[email] in limit, (email, counts[email], state[email]["status"])


def test_kill_9_of_one_of_four_senders_loses_nobody_and_mails_nobody_twice(
    tmp_path: Path, news_path: Path, relay: tuple[int, Path]
) -> None:
    port, maildir = relay
    config = smtp_config(tmp_path, port)
    people = day_with_people(config, news_path, 400)
    command = publisher(config, "send", "--date", DAY.isoformat())
    workers = [start(command, tmp_path) for _ in range(4)]
    try:
        wait_until(100, maildir, workers)
        workers[1].kill()  # SIGKILL: no handler, no give-back, its lease simply runs out
        outcomes = [worker.communicate(timeout=180) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    assert workers[1].returncode == -signal.SIGKILL
    for index in (0, 2, 3):
        assert workers[index].returncode in (0, 1), outcomes[index][1]
        assert " sent, " in outcomes[index][0]
    assert_exactly_once(config, maildir, people, kills=1)


def test_a_database_restart_mid_send_stops_the_run_clearly_and_a_rerun_finishes(
    tmp_path: Path, news_path: Path, relay: tuple[int, Path], postgres_server: PostgresServer
) -> None:
    if postgres_server.cluster is None:
        pytest.skip("PUBLISHER_TEST_POSTGRES_URL names a server this test cannot restart")
    port, maildir = relay
    config = smtp_config(tmp_path, port)
    people = day_with_people(config, news_path, 300)
    command = publisher(config, "send", "--date", DAY.isoformat())
    with subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True) as first:
        try:
            wait_until(50, maildir, [first])
            postgres_server.cluster.restart(mode="immediate")
            _, errors = first.communicate(timeout=60)
        finally:
            first.kill()
    assert first.returncode == 1
    assert "publisher: error:" in errors and "Traceback" not in errors, errors
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert again.returncode in (0, 1), again.stderr
    assert_exactly_once(config, maildir, people, kills=1)


def test_two_daemons_started_at_once_run_the_day_once(
    tmp_path: Path, news_path: Path, relay: tuple[int, Path]
) -> None:
    port, maildir = relay
    config = smtp_config(tmp_path, port)
    with Store(config.storage) as store:
        people = [person.email for person in add_people(store, 100)]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{config.now().date()}.txt").write_bytes(news_path.read_bytes())  # today's
    command = publisher(config, "-v", "run", "--once")
    daemons = [start(command, tmp_path) for _ in range(2)]
    outcomes = [daemon.communicate(timeout=180) for daemon in daemons]
    logs = [errors for _, errors in outcomes]
    assert sum("leading the run of" in log for log in logs) == 1, logs
    assert all(daemon.returncode == 0 for daemon in daemons), logs
    assert_exactly_once(config, maildir, people, kills=0)


def test_a_database_outage_mid_send_reports_the_step_that_failed_not_the_clean_up(
    tmp_path: Path, news_path: Path, postgres_url: str
) -> None:
    """The step that met the outage is what the sender reports; giving back the rows it
    claimed fails too, and used to hide it ("cannot give back claimed deliveries")."""
    import psycopg

    with SmtpServer() as server:
        config = smtp_config(tmp_path, server.port)
        day_with_people(config, news_path, 10)
        with Store(config.storage) as store:
            backend = store.db.execute("SELECT pg_backend_pid()").fetchone()[0]

            def cut() -> None:
                with psycopg.connect(postgres_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

            transport = AtMail(Smtp(config.delivery.smtp), 3, cut)  # the outage
            with pytest.raises(StorageError) as caught:
                send_day(config, store, DAY, NOW, transport=transport)
    said = str(caught.value)
    assert re.search(r": cannot (record a hand-over|settle (and claim )?deliveries)\b", said), said
    assert "give back" not in said
