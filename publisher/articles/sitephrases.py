"""The site's own phrase file (`scripts.phrases_file`, phrases.txt in the site folder).

It holds the pairs the site's editors accepted from readers' reports, one
`Traditional<TAB>Simplified` line each, as the package's names.txt: each form comes out as the
other script's listed form, ahead of our dictionaries. It is the site's, not the package's, so
an upgrade of publisher keeps it; it is part of the conversion's signature, so a change to it
re-converts and the next build re-issues the articles it changes as corrections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from publisher.articles.phrasebook import SitePairs, read_dictionary
from publisher.files import write_atomic
from publisher.settings import ScriptsConfig

_HEADER = (
    "# This site's own phrases: Traditional<TAB>Simplified, one pair a line, ahead of\n"
    "# publisher's dictionaries. `publisher conversions accept` adds to it; edit it by hand too.\n"
)


class ScriptSettings(Protocol):
    """What the conversion reads of the configuration (a Config is one): [scripts], and the
    folder its phrase file is taken from."""

    @property
    def scripts(self) -> ScriptsConfig: ...

    def path(self, value: str) -> Path: ...


def phrases_path(config: ScriptSettings) -> Path:
    return config.path(config.scripts.phrases_file)


def site_phrases(config: ScriptSettings) -> SitePairs:
    """The site's pairs; none when it has no phrase file."""
    return read_pairs(phrases_path(config))


def read_pairs(path: Path) -> SitePairs:
    return tuple(read_dictionary(path)) if path.is_file() else ()


def add_pair(path: Path, traditional: str, simplified: str) -> None:
    """Write the pair into the file (made when missing), in place of any line that gave
    either form before, so the file says one thing per phrase; written atomically."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [_HEADER]
    kept = [line for line in lines if not _gives(line, traditional, simplified)]
    text = "\n".join(line.rstrip("\n") for line in kept) + f"\n{traditional}\t{simplified}\n"
    write_atomic(path, text.encode())


def _gives(line: str, traditional: str, simplified: str) -> bool:
    fields = line.split("#", 1)[0].strip().split("\t")
    return fields[0] == traditional or (len(fields) == 2 and fields[1] == simplified)
