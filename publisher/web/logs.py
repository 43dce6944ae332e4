"""Logs that never carry a token. A confirm or unsubscribe token never expires, so one copied
out of a log works for ever; its id part (which subscriber) is all a log needs.

uvicorn's access log prints each request line with its query string (`GET
/unsubscribe?token=…`), so `serve` puts `RedactTokens` on that logger.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"

# token=<id>.<mac> in a raw query string: the id is kept, the rest (the secret part, or
# whatever a forger sent) is not. Matches any spelling of the name and any path, so a
# mistyped page's URL is covered as well.
_TOKEN_VALUE = re.compile(r"(?i)(token=)([0-9]{0,19})[^&#]*")


def token_id(token: str) -> str:
    """The id part of a token as a log may show it: digits only, else "?"."""
    head = token.partition(".")[0]
    return head if head.isdigit() and len(head) <= 19 else "?"


def redact(path_with_query: str) -> str:
    """`/unsubscribe?token=12.AbC…` → `/unsubscribe?token=12.…`."""
    path, mark, query = path_with_query.partition("?")
    if not mark:
        return path
    return path + mark + _TOKEN_VALUE.sub(lambda found: f"{found[1]}{found[2]}.…", query)


class RedactTokens(logging.Filter):
    """Rewrites the path of uvicorn's access-log records: `'%s - "%s %s HTTP/%s" %d'` with
    (client, method, path with query, version, status) as its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True
