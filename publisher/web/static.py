"""The output folder over HTTP: the files `publisher build` writes, with the right types.

Starlette's StaticFiles does the serving (path containment, ETag, Last-Modified, 304,
ranges); what is ours is the Content-Type of a feed and the ETag of a gzipped answer.
"""

from __future__ import annotations

import os
from functools import lru_cache

from starlette.datastructures import Headers, MutableHeaders
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
    return None  # Starlette guesses, and adds charset=utf-8 to every text/* type


class OutputFiles(StaticFiles):
    """StaticFiles with the feed content types. It already keeps every path inside the
    folder (.., encoded dots, absolute paths, symlinks out) and answers conditional GETs."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=media_type(os.fspath(full_path), stat_result),
        )
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
