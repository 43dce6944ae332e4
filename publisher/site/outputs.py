"""One planned output of the build: a path, what it is made from, and how to render it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from publisher.records import Edition, Locale

Render = Callable[[Sequence[Edition]], bytes]
# The editions of an output's keys a slice at a time, each slice laid out as `Render` gets
# the whole (see `twins`), in the order of the keys.
Slices = Iterable[Sequence[Edition]]


# slots: a 100,000-article site plans some 200,000 of these.
@dataclass(frozen=True, slots=True)
class Output:
    """One file to produce: `render` gets the editions of `keys` in the edition `script`,
    newest first.

    With `twins`, it gets those editions followed by the same articles in each of those
    other editions (in the order of `keys`), for outputs such as the search index that hold
    every edition's text.

    With `streamed`, the build calls it instead of `render`, with the editions loaded a
    slice at a time: an output made from the whole archive then needs no more memory than
    one slice of it."""

    path: str
    keys: tuple[str, ...]
    script: Locale
    render: Render
    twins: tuple[Locale, ...] = ()
    streamed: Callable[[Slices], bytes] | None = None
