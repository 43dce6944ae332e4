"""Traditional ⇄ Simplified with OpenCC: detect the original script, derive the other one.

OpenCC configs are phrase-level and region-aware. A Taiwan-phrased original goes to
Simplified with tw2sp (記憶體→内存, 晶片→芯片, 輝達→英伟达); Simplified goes to the site's
Traditional variant. A small override dictionary fixes what OpenCC gets wrong for news text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import opencc

from publisher.config import Config
from publisher.records import Article, Script, Text

# Traditional variant of the site -> (config to Simplified, config from Simplified).
CONFIGS: dict[str, tuple[str, str]] = {
    "tw": ("tw2sp", "s2twp"),
    "hk": ("hk2s", "s2hk"),
    "generic": ("t2s", "s2t"),
}

# Where OpenCC's Taiwan phrase table reads a word the way software manuals do, and news text
# means something else. Each entry was found in a real day's batch (tests check each on its
# sentence); the value is the character-level Simplified form.
#   核心 → 内核 (an OS kernel): 核心技術 became 内核技术, 11 times in one batch.
#   指標 → 指针 (a pointer): an economic indicator is 指标.
#   複製 → 拷贝 (copy a file): 難以複製的成功 is a success hard to replicate, 复制.
#   儲存 → 保存 (save a file): 儲存晶片 are storage chips, 储存芯片, not 保存芯片.
#   新增長 → 添加长: 新增 (add) matched across 新|增長 (new growth).
OVERRIDES: dict[str, dict[str, str]] = {
    "tw2sp": {
        "核心": "核心",
        "指標": "指标",
        "複製": "复制",
        "儲存": "储存",
        "新增長": "新增长",
    },
    "hk2s": {},
    "t2s": {},
    "s2twp": {},
    "s2hk": {},
    "s2t": {},
}


@cache
def _changes(config: str, char: str) -> bool:
    return bool(_opencc(config).convert(char) != char)


@cache
def _opencc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


class Converter:
    """One OpenCC config plus overrides; the overrides' text is never handed to OpenCC."""

    def __init__(self, config: str, overrides: Mapping[str, str]) -> None:
        self.config = config
        # An override's result maps to itself, so converting twice changes nothing more; NUL
        # is kept by the same means, as OpenCC's C core would end the text there.
        self._overrides = {value: value for value in overrides.values()} | dict(overrides)
        self._overrides["\0"] = "\0"
        terms = sorted(self._overrides, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, terms)))
        digest = hashlib.sha256(json.dumps(self._overrides, sort_keys=True).encode()).hexdigest()
        # Names the exact conversion, so a stored result is reused only for the same one.
        self.signature = f"{config}:{digest[:12]}"

    def convert(self, text: str) -> str:
        engine = _opencc(self.config)
        pieces = []
        start = 0
        for match in self._pattern.finditer(text):
            pieces.append(engine.convert(text[start : match.start()]))
            pieces.append(self._overrides[match[0]])
            start = match.end()
        pieces.append(engine.convert(text[start:]))
        return "".join(pieces)

    def convert_text(self, text: Text) -> Text:
        return Text(
            title=self.convert(text.title),
            body=self.convert(text.body),
            source=self.convert(text.source),
        )


@dataclass(frozen=True)
class Scripts:
    """The site's pair of converters and its default script."""

    to_hans: Converter
    to_hant: Converter
    default: Script

    @classmethod
    def for_site(
        cls, variant: str = "tw", protected: tuple[str, ...] = (), default: Script = Script.HANT
    ) -> Scripts:
        to_hans, to_hant = CONFIGS[variant]
        kept = {term: term for term in protected}
        return cls(
            to_hans=Converter(to_hans, OVERRIDES[to_hans] | kept),
            to_hant=Converter(to_hant, OVERRIDES[to_hant] | kept),
            default=default,
        )

    @classmethod
    def from_config(cls, config: Config) -> Scripts:
        return cls.for_site(
            variant=config.scripts.hant_variant,
            protected=config.scripts.protected_terms,
            default=Script(config.scripts.default),
        )

    def into(self, text: str, script: Script) -> str:
        """`text` in `script`: names from the config (site title, sender) read in both."""
        if not text or self.detect(text) is script:
            return text
        return self.converter_to(script).convert(text)

    def converter_to(self, script: Script) -> Converter:
        return self.to_hans if script is Script.HANS else self.to_hant

    def detect(self, text: str) -> Script:
        """The script a text is written in: the side with more characters unique to it."""
        counts = Counter(char for char in text if ord(char) > 0x2E7F)
        traditional = sum(n for char, n in counts.items() if _changes("t2s", char))
        simplified = sum(n for char, n in counts.items() if _changes("s2t", char))
        if traditional == simplified:
            return self.default
        return Script.HANT if traditional > simplified else Script.HANS

    def signature(self, article: Article) -> str:
        """The conversion an article needs for the script it was not written in."""
        return self.converter_to(article.script.twin).signature
