"""Per-domain pacing: how soon the next mail to a receiving domain may go.

Two reasons to hold a domain back. A limit the operator set (delivery.per_domain_per_minute:
big receivers such as QQ Mail and NetEase throttle a new sender hard), kept by spacing the
mails evenly; and a receiver that said "slow down" (a throttle, see publisher.mail.refusals),
or deferred DEFERRALS mails to it in a row, answered by backing off from the whole domain,
longer each time, until a mail to it goes through. One plain deferral (greylisting, one
full mailbox) is about its recipient only: the domain's other readers go on. Pure: the
engine passes the time in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ANY_DOMAIN = "*"
DEFERRALS = 3  # plain deferrals in a row from one domain that mean the domain, not a reader


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass
class Pacing:
    per_minute: Mapping[str, int] = field(default_factory=dict)  # domain (or "*") → mails
    backoff: float = 60.0  # seconds of the first back-off from a domain; doubles each time
    max_backoff: float = 1800.0
    _next: dict[str, float] = field(default_factory=dict)  # domain → earliest next start
    _strikes: dict[str, int] = field(default_factory=dict)  # throttles since the last success
    _backing_off: dict[str, float] = field(default_factory=dict)  # domain → end of back-off
    _deferrals: dict[str, int] = field(default_factory=dict)  # plain deferrals in a row

    def _interval(self, domain: str) -> float:
        limit = self.per_minute.get(domain, self.per_minute.get(ANY_DOMAIN, 0))
        return 60.0 / limit if limit > 0 else 0.0

    def ready_at(self, domain: str) -> tuple[float, bool]:
        """When a mail to `domain` may start, and whether that is a back-off (the receiver
        pushed back) rather than the configured pace."""
        backing_off = self._backing_off.get(domain, 0.0)
        paced = self._next.get(domain, 0.0)
        return max(backing_off, paced), backing_off > paced

    def started(self, domain: str, now: float) -> None:
        """A mail to `domain` starts now: the next one waits its interval."""
        interval = self._interval(domain)
        if interval:
            self._next[domain] = max(self._next.get(domain, 0.0), now) + interval

    def delivered(self, domain: str) -> None:
        self._strikes.pop(domain, None)
        self._deferrals.pop(domain, None)

    def deferred(self, domain: str, now: float) -> float | None:
        """A mail to `domain` was deferred: after DEFERRALS in a row, back off from the
        domain (returns until when); before, None."""
        count = self._deferrals.get(domain, 0) + 1
        self._deferrals[domain] = count
        return self.throttled(domain, now) if count >= DEFERRALS else None

    def throttled(self, domain: str, now: float) -> float:
        """The receiver said slow down: back off from the domain; returns until when."""
        strikes = self._strikes.get(domain, 0) + 1
        self._strikes[domain] = strikes
        until = now + min(self.backoff * 2.0 ** (strikes - 1), self.max_backoff)
        self._backing_off[domain] = max(self._backing_off.get(domain, 0.0), until)
        return self._backing_off[domain]
