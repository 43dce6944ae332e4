"""What a user sees when they give the command line something wrong, or the same thing twice:
one line naming what is wrong, no Python in it, and the README's own commands safe to repeat."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from test_cli import run

from conftest import EXAMPLES, NEWS, REPO
from publisher.cli import parser

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def readme_main_job() -> str:
    """The README's first set-up command, after the install, as a user pastes it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(each for each in readme.splitlines() if "publisher ingest examples" in each)
    chain = line.split("pip install -e . && ", 1)[1]
    python = f"{shlex.quote(sys.executable)} -m publisher "
    return chain.replace("publisher ", python)


def test_the_readme_main_job_runs_twice_with_one_voice(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            readme_main_job(), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr == ""  # no log lines, no warnings
        assert not TIMESTAMP.search(done.stdout)
        outputs.append(done.stdout)
    assert "added reader@example.org (zh-Hans, active)" in outputs[0]
    assert "reader@example.org is already subscribed (zh-Hans): nothing to do" in outputs[1]
    assert "(1 done before)" in outputs[1]
    assert len(list((tmp_path / "outbox" / "new").iterdir())) == 1


def test_subscribers_add_changes_an_active_subscribers_edition(tmp_path: Path) -> None:
    assert run(tmp_path, "subscribers", "add", "r@example.org").returncode == 0
    changed = run(tmp_path, "subscribers", "add", "r@example.org", "--edition", "zh-Hans")
    assert changed.returncode == 0
    assert changed.stdout == "r@example.org: edition changed from zh-Hant to zh-Hans\n"
    assert "r@example.org\tzh-Hans\tactive" in run(tmp_path, "subscribers", "list").stdout
    assert run(tmp_path, "subscribers", "remove", "r@example.org").returncode == 0
    back = run(tmp_path, "subscribers", "add", "r@example.org")
    assert back.returncode == 1 and "is unsubscribed" in back.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "{tmp}", "status"], "publisher: error: {tmp}: is a folder, not a file\n"),
        (["--config", "{tmp}/n.toml", "status"], "publisher: error: {tmp}/n.toml: no such file\n"),
        (["ingest", "missing.txt"], "publisher: rejected missing.txt: no such file\n"),
        (["ingest", "{tmp}"], "publisher: rejected {tmp}: is a folder, not a file\n"),
        (["subscribers", "import", "{tmp}"], "publisher: error: {tmp}: is a folder, not a file\n"),
        (["subscribers", "import", "none.csv"], "publisher: error: none.csv: no such file\n"),
    ],
)
def test_a_path_that_cannot_be_read_is_named_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run(tmp_path, *(arg.format(tmp=tmp_path) for arg in args))
    assert done.returncode == 1
    assert done.stderr == message.format(tmp=tmp_path)


def test_an_inbox_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "inbox").write_text("not a folder", encoding="utf-8")
    done = run(tmp_path, "run", "--once")
    assert f"{tmp_path / 'inbox'}: schedule.inbox_dir is a file, not a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_edition_names_are_said_as_a_user_writes_them(tmp_path: Path) -> None:
    # The tags people type name the site's editions; one that names none lists them.
    typed = run(tmp_path, "subscribers", "add", "r@example.org", "--edition", "zh-TW")
    assert (typed.returncode, typed.stdout) == (0, "added r@example.org (zh-Hant, active)\n")
    option = run(tmp_path, "subscribers", "add", "s@example.org", "--edition", "latin")
    assert option.returncode == 1
    assert option.stderr == (
        "publisher: error: --edition: 'latin': no such edition; this site has zh-Hant or zh-Hans\n"
    )
    (tmp_path / "config.toml").write_text('[scripts]\ndefault = "zh-TW"\n', encoding="utf-8")
    key = run(tmp_path, "status")
    assert key.stderr == (
        "publisher: error: config.toml: scripts.default: must be zh-Hant or zh-Hans, not 'zh-TW'\n"
    )


@pytest.mark.parametrize("command", [["status"], ["subscribers", "list"], ["send"]])
def test_reading_a_store_that_is_not_there_creates_none(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, *command)
    assert done.returncode == 1
    store = tmp_path / "publisher.db"
    assert f"no store yet at {store}; start with: publisher ingest" in done.stderr
    assert not (tmp_path / "publisher.db").exists()


@pytest.mark.parametrize(
    ("name", "text", "line", "problem"),
    [
        # An entry list written for 0.1.0: the articles were `editions`, each an `edition`.
        (
            "_entries.html",
            "<ol>\n{% for edition in editions %}<li>{{ edition.text.title }}</li>{% endfor %}\n",
            2,
            "'editions' is undefined",
        ),
        # A page written for 0.1.0: the site edition was `script`.
        (
            "index.html",
            "<!doctype html>\n<html lang={{ script.tag }}>\n",
            2,
            "'script' is undefined",
        ),
    ],
)
def test_an_own_template_with_the_old_names_fails_in_one_line(
    tmp_path: Path, name: str, text: str, line: int, problem: str
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / name).write_text(text, encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\ntemplates_dir = "own"\n',
        encoding="utf-8",
    )
    assert run(tmp_path, "ingest", str(NEWS)).returncode == 0
    built = run(tmp_path, "build")
    assert built.returncode == 1
    assert built.stdout == ""
    assert built.stderr.count("\n") == 1 and "Traceback" not in built.stderr
    assert built.stderr.startswith(f"publisher: error: {own / name}:{line}: {problem}; ")
    assert "renamed in this release" in built.stderr and "CHANGELOG.md" in built.stderr


def test_an_own_template_that_does_not_compile_names_its_line(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "index.html").write_text("<p>\n{% if %}\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\ntemplates_dir = "own"\n',
        encoding="utf-8",
    )
    built = run(tmp_path, "build")
    assert built.returncode == 1
    assert built.stderr.startswith(f"publisher: error: {own / 'index.html'}:2: ")
    assert built.stderr.count("\n") == 1 and "renamed" not in built.stderr


EDITIONS = """
[[editions]]
tag = "zh-Hant-TW"
conversion = "s2twp"
[[editions]]
tag = "zh-Hant-HK"
conversion = "s2hk"
path = "hk"
[[editions]]
tag = "zh-Hans-CN"
conversion = "tw2sp"
"""


def into_a_closed_pipe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with stdout a pipe whose reader is gone before it starts: what
    `publisher status | head -2` is once head has its lines, with no race to lose."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        return subprocess.run(
            [sys.executable, "-m", "publisher", *args],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(writing)


@pytest.mark.parametrize(
    "command",
    [["status"], ["conversions", "diff"], ["subscribers", "list"], ["db", "status"]],
    ids=" ".join,
)
def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, command: list[str]) -> None:
    assert run(tmp_path, "ingest", str(NEWS)).returncode == 0
    assert run(tmp_path, "subscribers", "add", "r@example.org").returncode == 0
    done = into_a_closed_pipe(tmp_path, *command)
    assert (done.returncode, done.stderr) == (141, "")  # as a shell shows an end by SIGPIPE


def test_a_port_out_of_range_is_one_usage_line(tmp_path: Path) -> None:
    done = run(tmp_path, "serve", "--port", "99999")
    assert done.returncode == 2
    assert done.stderr == (
        "publisher serve: error: argument --port: not a port number (0 to 65535): '99999'"
        " (see publisher serve --help)\n"
    )


def test_serve_on_a_busy_port_says_so_before_serving(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run(tmp_path, "serve", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr == (
        f"publisher: error: cannot listen on 127.0.0.1:{port}: Address already in use"
        " (--host, --port)\n"
    )


def test_global_options_are_taken_after_the_command_too(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('[site]\noutput_dir = "site"\n', encoding="utf-8")
    assert run(tmp_path, "ingest", str(NEWS), "--config", "x.toml").returncode == 0
    done = run(tmp_path, "build", "--config", "x.toml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{tmp_path / 'site'}: ")
    assert (tmp_path / "site" / "zh-Hant" / "atom.xml").is_file()
    assert not (tmp_path / "feeds").exists()
    # Before the command, as ever; after it, the command's own word wins.
    (tmp_path / "y.toml").write_text('[site]\noutput_dir = "other"\n', encoding="utf-8")
    both = run(tmp_path, "--config", "x.toml", "build", "--config", "y.toml")
    assert both.stdout.startswith(f"{tmp_path / 'other'}: ")
    for args in (["-v", "subscribers", "list"], ["subscribers", "list", "-v"]):
        assert parser().parse_args(args).verbose is True
    assert parser().parse_args(["subscribers", "list"]).verbose is False


def test_subscribers_list_shows_the_edition(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(EDITIONS, encoding="utf-8")
    added = run(tmp_path, "subscribers", "add", "hk@example.org", "--edition", "zh-HK")
    assert added.returncode == 0, added.stderr
    assert run(tmp_path, "subscribers", "list").stdout == "hk@example.org\tzh-Hant-HK\tactive\n"


def test_settling_with_no_delivery_named_says_what_it_needs(tmp_path: Path) -> None:
    done = run(tmp_path, "deliveries", "settle", "--date", "2025-12-14")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "publisher deliveries settle: error: name the deliveries to settle: --sent ADDR… "
        "(the relay's log shows them delivered) or --resend ADDR… (to send again), by "
        "address or Message-ID (see publisher deliveries settle --help)\n"
    )


def test_a_run_with_no_inbox_folder_says_so(tmp_path: Path) -> None:
    done = run(tmp_path, "run", "--once")
    inbox = tmp_path / "inbox"
    assert f"{inbox}: no inbox folder (schedule.inbox_dir): no batch file to ingest" in done.stderr
    assert not inbox.exists()


def test_a_build_with_nothing_stored_says_so(tmp_path: Path) -> None:
    done = run(tmp_path, "build")
    assert done.returncode == 0
    assert done.stderr == (
        f"publisher: warning: no articles stored yet in {tmp_path / 'publisher.db'}, so the "
        "site has none; store a batch first: publisher ingest FILE\n"
    )
    assert run(tmp_path, "ingest", str(NEWS)).returncode == 0
    assert run(tmp_path, "build").stderr == ""


def test_build_full_shows_its_progress_on_a_terminal_only(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", str(EXAMPLES / "2025-12-14.txt")).returncode == 0
    assert run(tmp_path, "build").returncode == 0
    # stderr a terminal (a pseudo-terminal), as when someone runs it by hand.
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "build", "--full"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=120,
        check=False,
    )
    os.close(follower)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once everything written is read
        while chunk := os.read(leader, 4096):
            shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert re.search(rb"looking: +\d+%\|.*\| \d+/\d+ \[", shown), shown
    # Not a terminal (cron, a pipe): not a word on stderr.
    assert run(tmp_path, "build", "--full").stderr == ""
