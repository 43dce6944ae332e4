"""The output folder over HTTP: the files `publisher build` writes, with the right types.

Starlette's StaticFiles does the serving (path containment, ETag, Last-Modified, 304,
ranges); what is ours is the Content-Type of a feed, the caching headers, the ETag of a
gzipped answer, and serving only what the build writes: no dot-file or temporary, no kind
of file the build does not make, and never the store, the key or the config, whatever name
or link they are reached by.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path, PurePath

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@lru_cache(maxsize=1024)
def _xml_type(path: str, mtime_ns: int) -> str:
    """Atom or RSS by the document's root element: the name alone (atom.xml, rss.xml,
    sources/….xml) is the builder's business and may change. Cached per file version."""
    del mtime_ns  # part of the cache key only
    with open(path, "rb") as handle:
        head = handle.read(2048)
    if b"<feed" in head:
        return "application/atom+xml; charset=utf-8"
    if b"<rss" in head:
        return "application/rss+xml; charset=utf-8"
    return "application/xml; charset=utf-8"


def media_type(path: str, stat_result: os.stat_result) -> str | None:
    """The Content-Type for a file of the output folder (None: guess from the name)."""
    if path.endswith(".xml"):
        return _xml_type(path, stat_result.st_mtime_ns)
    if path.endswith((".html", ".htm")):
        return "text/html; charset=utf-8"
    if path.endswith(".opml"):  # the type OPML readers know (mimetypes has none for it)
        return "text/x-opml; charset=utf-8"
    return None  # Starlette guesses, and adds charset=utf-8 to every text/* type


# Feeds and pages change a few times a day at most: a cache may reuse them for five minutes,
# then must ask again, and the ETag or Last-Modified it holds makes that a cheap 304.
# nosniff: a browser takes each file as the type we send, never guesses a script from it.
FILE_HEADERS = {
    "Cache-Control": "max-age=300, must-revalidate",
    "X-Content-Type-Options": "nosniff",
}


def is_private(path: str) -> bool:
    """Dot-files and folders (.git, write_atomic's .<name>.<random>.tmp) and other
    temporaries are never served; /.well-known/ (RFC 8615) is, as nginx's usual rule has it."""
    parts = PurePath(path).parts
    hidden = any(part.startswith(".") and part != ".well-known" for part in parts)
    return hidden or path.endswith((".tmp", "~"))


# The kinds of file the build and the digest archive write (pages, feeds, OPML, sitemaps,
# the stylesheet, the icon, search.js and the search index, robots.txt): nothing else is served.
WRITTEN_SUFFIXES = (".html", ".xml", ".css", ".js", ".json", ".opml", ".txt", ".svg")


class OutputFiles(StaticFiles):
    """StaticFiles with the feed content types and caching headers, serving only the kinds
    of file the build writes, never a dot-file, a temporary or one of the `private` files
    (the store, the key, the config: by identity, so no hard link in the folder reaches
    them). StaticFiles already keeps every path inside the folder (.., encoded dots,
    absolute paths, symlinks out) and answers conditional GETs."""

    def __init__(self, *, directory: Path, html: bool = False, private: Iterable[Path] = ()):
        super().__init__(directory=directory, html=html)
        self.private = tuple(private)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if is_private(path):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def _written(self, path: str, found: os.stat_result) -> bool:
        if not path.endswith(WRITTEN_SUFFIXES):
            return False
        for private in self.private:
            try:
                held = os.stat(private)
            except OSError:
                continue
            if (held.st_dev, held.st_ino) == (found.st_dev, found.st_ino):
                return False
        return True

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if not self._written(os.fspath(full_path), stat_result):
            raise HTTPException(status_code=404)
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=media_type(os.fspath(full_path), stat_result),
            headers=FILE_HEADERS,
        )
        # A 304 keeps the 200's Cache-Control (NotModifiedResponse copies it), as RFC 9110
        # §15.4.5 asks, so a revalidated copy is fresh for another five minutes.
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


class WeakETagWhenEncoded:
    """A gzipped body is a different representation from the file, so it may not carry the
    file's strong ETag (RFC 9110 §8.8.1); weaken it, as nginx does. Conditional requests
    compare weakly, so a client's W/"…" still earns a 304.

    A 304 must carry the ETag and Vary its 200 would have (RFC 9110 §15.4.5), or a cache
    cannot match it to the copy it holds. GZipMiddleware leaves a 304 alone (no body), so
    here a 304 gets `Vary: Accept-Encoding`, and the weak ETag when the client takes gzip
    (the test GZipMiddleware makes; a file too small to be gzipped then has a weak ETag in
    its 304 only, which still matches its 200 by the weak comparison caches use)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        takes_gzip = "gzip" in Headers(scope=scope).get("accept-encoding", "")

        async def send_weakened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                not_modified = message["status"] == 304
                if not_modified:
                    headers.add_vary_header("Accept-Encoding")
                encoded = "content-encoding" in headers or (not_modified and takes_gzip)
                etag = headers.get("etag")
                if encoded and etag and not etag.startswith("W/"):
                    headers["etag"] = "W/" + etag
            await send(message)

        await self.app(scope, receive, send_weakened)
