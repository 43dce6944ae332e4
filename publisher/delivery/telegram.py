"""Telegram's Bot API, as much of it as posting needs (`sendMessage`), and its rate limits.

The bot's token is part of every request's URL (…/bot<TOKEN>/sendMessage). It comes from
the environment only, and no message this module makes holds it: errors are built from
what went wrong (a status, Telegram's description, the kind of network failure), never from
an exception's text or the URL, and whatever reaches a message passes `redact` first.

An answer says whether a message was posted. No answer does not: a request that reached
Telegram may have been posted before the connection broke. `PostFailure.maybe_posted` tells
those apart, so that the caller never posts such a message again on its own (see
publisher.delivery.posts).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from publisher.errors import PublisherError

TOKEN_ENV = "PUBLISHER_TELEGRAM_TOKEN"
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")


class PostFailure(PublisherError):
    """A message not known to be posted. `temporary`: may go later; `retry_after`: Telegram
    asked to wait this long (429); `maybe_posted`: the request went out and no answer came."""

    def __init__(
        self,
        reason: str,
        *,
        temporary: bool = False,
        retry_after: float = 0.0,
        maybe_posted: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary
        self.retry_after = retry_after
        self.maybe_posted = maybe_posted


def checked_token(value: str | None) -> str:
    """The bot token from the environment, or a clear error that never shows it."""
    if not value:
        raise PublisherError(f"set ${TOKEN_ENV} to the bot's token (from @BotFather) to post")
    if not _TOKEN.fullmatch(value.strip()):
        raise PublisherError(f"${TOKEN_ENV} does not look like a bot token (digits:letters)")
    return value.strip()


@dataclass(frozen=True)
class BotApi:
    api_url: str  # without the /bot<token> part
    token: str = field(repr=False)
    timeout: float = 30.0

    def redact(self, text: str) -> str:
        return text.replace(self.token, "<token>") if self.token else text

    def send_message(self, chat: str, html: str) -> str:
        """Post `html` (Telegram's HTML subset) to `chat`; Telegram's message id."""
        body = json.dumps(
            {
                "chat_id": chat,
                "text": html,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "publisher"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return _message_id(json.loads(answer.read()))
        except urllib.error.HTTPError as error:
            raise _refused(error.code, error.read()) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            raise self._lost(error) from None

    def _lost(self, error: BaseException) -> PostFailure:
        """No answer: whether the request can have reached Telegram decides what follows."""
        reason = getattr(error, "reason", error)
        if isinstance(reason, ConnectionRefusedError | socket.gaierror):
            kind = "refused" if isinstance(reason, ConnectionRefusedError) else "name unknown"
            return PostFailure(f"the Bot API is not reachable ({kind})", temporary=True)
        kind = type(reason).__name__
        return PostFailure(
            self.redact(f"no answer from the Bot API ({kind}); the message may be posted"),
            maybe_posted=True,
        )


def _message_id(answer: object) -> str:
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise PostFailure("the Bot API answered without ok", maybe_posted=True)
    result = answer.get("result")
    return str(result.get("message_id", "")) if isinstance(result, dict) else ""


def _refused(status: int, body: bytes) -> PostFailure:
    """An error answer: Telegram did not post the message."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    description = str(answer.get("description", ""))[:200]
    parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
    reason = f"Bot API {status}" + (f": {description}" if description else "")
    if status == 429:
        wait = float(parameters.get("retry_after", 1) if parameters else 1)
        return PostFailure(reason, temporary=True, retry_after=max(wait, 0.0))
    # 400 (chat not found, bad HTML), 401 (bad token), 403 (not an admin): asking again
    # gives the same answer. A 5xx said it failed, so nothing was posted: try later.
    return PostFailure(reason, temporary=status >= 500)


class RateLimit:
    """Telegram's limits for a bot: about 20 messages a minute to one chat and 30 a second
    in all. Each chat's messages are spaced 60/per_chat_minute seconds apart, and all of
    them 1/per_second apart; `wait` sleeps until a message to `chat` may go."""

    def __init__(
        self,
        per_chat_minute: float,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.chat_gap = 60.0 / per_chat_minute
        self.gap = 1.0 / per_second
        self.clock, self.sleep = clock, sleep
        self.last: dict[str, float] = {}
        self.last_any = float("-inf")
        self.held: dict[str, float] = {}  # chat → not before (a 429's retry_after)

    def due(self, chat: str) -> float:
        """When a message to `chat` may go next."""
        last = self.last.get(chat, float("-inf"))
        return max(last + self.chat_gap, self.last_any + self.gap, self.held.get(chat, 0.0))

    def wait(self, chat: str) -> float:
        """Sleep until a message to `chat` may go; returns the seconds slept."""
        delay = self.due(chat) - self.clock()
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)

    def sent(self, chat: str) -> None:
        self.last[chat] = self.last_any = self.clock()

    def hold(self, chat: str, seconds: float) -> None:
        """Telegram said to wait (429 retry_after): nothing to `chat` before then."""
        self.held[chat] = self.clock() + seconds
