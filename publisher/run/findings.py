"""What `publisher doctor` reports: one finding per line, OK, WARN or FAIL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    level: Level
    subject: str  # what was checked: config, store, SPF, DKIM …
    text: str

    def line(self) -> str:
        return f"{self.level.value:<4}  {self.subject}: {self.text}"
