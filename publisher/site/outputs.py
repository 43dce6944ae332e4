"""One planned output of the build: a path, what it is made from, and how to render it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from publisher.records import Edition, Script

Render = Callable[[Sequence[Edition]], bytes]


@dataclass(frozen=True)
class Output:
    """One file to produce: `render` gets the editions of `keys` in `script`, newest first.

    With `twins`, it gets those editions followed by the same articles in the other script
    (in the order of `keys`), for outputs such as the search index that hold both texts."""

    path: str
    keys: tuple[str, ...]
    script: Script
    render: Render
    twins: bool = False
