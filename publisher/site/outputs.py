"""One planned output of the build: a path, what it is made from, and how to render it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from publisher.records import Edition, Locale

Render = Callable[[Sequence[Edition]], bytes]


@dataclass(frozen=True)
class Output:
    """One file to produce: `render` gets the editions of `keys` in the edition `script`,
    newest first.

    With `twins`, it gets those editions followed by the same articles in each of those
    other editions (in the order of `keys`), for outputs such as the search index that hold
    every edition's text."""

    path: str
    keys: tuple[str, ...]
    script: Locale
    render: Render
    twins: tuple[Locale, ...] = ()
