"""The output folder as `publisher serve` hands it out: caching headers a CDN and a browser
follow, and nothing private (dot-files, a killed build's temporaries) ever served."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import Client, serving

from conftest import EXAMPLES, NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web


def build_examples(config: Config) -> None:
    with Store(config.database) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build(config, store, NOW)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("static"))
    build_examples(config)
    return config


@pytest.fixture(scope="module")
def client(site: Config) -> Iterator[Client]:
    with serving(web.create_app(site, now=lambda: NOW)) as port:
        yield Client(port)


@pytest.mark.parametrize(
    "path", ["/zh-Hant/atom.xml", "/zh-Hans/rss.xml", "/zh-Hant/index.html", "/style.css", "/"]
)
def test_files_are_cached_briefly_then_revalidated_and_never_sniffed(
    client: Client, path: str
) -> None:
    reply = client.get(path)
    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "max-age=300, must-revalidate"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(path, If_None_Match=reply.headers["ETag"])
    assert again.status == 304
    assert again.headers["Cache-Control"] == "max-age=300, must-revalidate"


def test_dot_files_and_temporaries_are_not_served(client: Client, site: Config) -> None:
    output = site.output_dir
    private = {
        "zh-Hant/.atom.xml.k2x9_q7a.tmp": b"<feed>half a feed",
        ".git/config": b"[core]",
        "zh-Hant/.htpasswd": b"admin:x",
        "zh-Hant/index.html.tmp": b"<html>",
    }
    for name, data in private.items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)
    for name, data in private.items():
        reply = client.get("/" + name)
        assert reply.status == 404, name
        assert data not in reply.body
    (output / ".well-known").mkdir(exist_ok=True)
    (output / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    assert client.get("/.well-known/security.txt").status == 200


KILLED_WRITER = """
import os, sys
from pathlib import Path
from publisher import files

def stop(*_):
    os.kill(os.getpid(), 9)  # as a power cut or OOM kill: no cleanup runs

os.fsync = stop  # dies between writing the temporary and renaming it
files.write_atomic(Path(sys.argv[1]), b"<feed>half a feed")
"""


def test_a_rebuild_removes_the_temporaries_a_killed_build_left(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build_examples(config)
    target = config.output_dir / "zh-Hant" / "atom.xml"
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), str(target)], check=False
    )
    assert killed.returncode == -signal.SIGKILL
    left = list(target.parent.glob(".atom.xml.*.tmp"))
    assert len(left) == 1
    # A temporary of a name write_atomic would not choose is not ours to delete.
    foreign = target.parent / ".atom.xml.backup.tmp"
    foreign.write_bytes(b"keep")
    build_examples(config)
    assert not left[0].exists()
    assert foreign.exists()
