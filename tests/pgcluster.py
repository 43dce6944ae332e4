"""A throwaway PostgreSQL cluster for the tests and the benchmark.

Debian's server binaries (`postgresql` package) in a temporary folder, on a free port,
run as the `postgres` user since the server refuses to run as root. Trust authentication
on loopback only: nothing outside this machine can reach it, and it lives as long as the
test session.

`python tests/pgcluster.py` starts one and prints its URL, for trying things by hand.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(versions[-1]).parent if versions else None


def _version(path: str) -> int:
    return int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0


def missing() -> str:
    """Why no cluster can be started here, or '' if one can."""
    if binaries() is None:
        return "no PostgreSQL server binaries (initdb) here: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server as"
    return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """initdb + pg_ctl start; `stop()` stops it and removes its folder."""

    def __init__(self, *, durable: bool = False) -> None:
        bindir = binaries()
        if bindir is None:
            raise RuntimeError(missing())
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="publisher-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._as_server(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        # durable=False: the tests' data dies with the cluster, so skip fsync (much faster).
        # A commit still waits for its WAL write: a server killed or restarted by a test
        # (not the machine) must keep every commit it acknowledged, as a real one does.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off"
        self.options = options
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_server(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    def start(self) -> None:
        log = str(self.folder / "server.log")
        data = str(self.data)
        self._as_server("pg_ctl", "-D", data, "-l", log, "-o", self.options, "-w", "start")

    def restart(self, mode: str = "fast") -> None:
        self._as_server("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.start()

    def stop(self) -> None:
        try:
            self._as_server("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    cluster = Cluster()
    print(cluster.url)
    print(f"stop it with: {cluster.bindir}/pg_ctl -D {cluster.data} stop (as {SERVER_USER})")
