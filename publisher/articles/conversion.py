"""Traditional ⇄ Simplified with OpenCC: detect the original script, derive the other one.

OpenCC configs are phrase-level and region-aware. A Taiwan-phrased original goes to
Simplified with tw2sp (記憶體→内存, 晶片→芯片, 輝達→英伟达); Simplified goes to the site's
Traditional variant. Each config runs with our news phrase table inside OpenCC's own
segmentation (see `phrasebook`): general words keep their general sense (文件, 程序, 项目,
核心), names keep their listed form (華為昇騰 ⇄ 华为昇腾), protected terms stay verbatim.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import signal
from dataclasses import dataclass
from functools import cache

import opencc

from publisher.articles import phrasebook, punctuation
from publisher.articles.phrasebook import SitePairs
from publisher.articles.sitephrases import ScriptSettings, site_phrases
from publisher.files import LIBC, write_atomic
from publisher.records import Edition, Script, Text
from publisher.settings import CONVERSIONS

_HAN_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
# (to Simplified, from Simplified, protected terms, punctuation, the site's pairs): what makes
# a pair of converters.
Recipe = tuple[str, str, tuple[str, ...], str, SitePairs]
# A text's script shows in its first characters (the title); more is read only on a tie.
_DETECTION_WINDOWS = (64, 512)


@cache
def _changed_by(config: str) -> frozenset[str]:
    """The characters `config` changes. Working them out converts every Han character (0.15
    s, at every start of every command), so the answer is kept in the cache folder, named
    by the OpenCC it came from, after the digest of what follows it (a file a crash or a
    hand cut short is worked out again); without a usable folder it is worked out each time."""
    kept = phrasebook.cache_folder() / f"changes-{phrasebook.stock_inputs(config)}.txt"
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        digest, chars = kept.read_text(encoding="utf-8").split("\n", 1)
        if digest == hashlib.sha256(chars.encode()).hexdigest():
            return frozenset(chars)
    # One character per line, so that no phrase spans two of them.
    candidates = [chr(code) for low, high in _HAN_RANGES for code in range(low, high + 1)]
    converted = opencc.OpenCC(config).convert("\n".join(candidates)).split("\n")
    changed = frozenset(c for c, out in zip(candidates, converted, strict=True) if c != out)
    chars = "".join(sorted(changed))
    with contextlib.suppress(OSError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(chars.encode()).hexdigest()
        write_atomic(kept, f"{digest}\n{chars}".encode())
    return changed


@cache
def _counter(config: str) -> re.Pattern[str]:
    """Matches one character `config` changes: the regex engine counts at C speed without
    making a string per character. Only the Basic Plane: sre looks those up in one table, and
    a class with rarer characters is scanned range by range, 100 times slower."""
    chars = sorted(char for char in _changed_by(config) if ord(char) <= 0xFFFF)
    return re.compile("[" + "".join(map(re.escape, chars)) + "]")


class Converter:
    """One OpenCC config with the news phrase table and the site's protected terms; an
    article's text (`convert_text`) also takes the target's punctuation (`scripts.punctuation`)."""

    def __init__(
        self,
        config: str,
        protected: tuple[str, ...] = (),
        punctuation: str = "as-is",
        site: SitePairs = (),
    ) -> None:
        self.config = config
        self.target = Script.HANS if config in phrasebook.TO_SIMPLIFIED else Script.HANT
        self.punctuation = punctuation
        # The signature names the exact conversion, so a stored result is reused only for
        # the same one; "as-is" keeps the signature stores made before punctuation was set.
        self._engine = phrasebook.engine(config, protected, site)
        suffix = "" if punctuation == "as-is" else f"+{punctuation}"
        self.signature = self._engine.signature + suffix
        # No phrase of OpenCC's, the news table's or the site's spans a line end, so texts
        # joined by one convert as each alone (`convert_text`).
        self._lines_apart = not any("\n" in term for term in protected)

    def convert(self, text: str) -> str:
        # OpenCC's C core ends a text at NUL: convert around it.
        return "\0".join(self._engine.convert(piece) for piece in text.split("\0"))

    def convert_text(self, text: Text) -> Text:
        parts = (text.title, text.body, text.source)
        if self._lines_apart and not any("\n" in part for part in parts):
            # One call for the three: each call costs a tenth of an article's conversion.
            title, body, source = self.convert("\n".join(parts)).split("\n")
            converted = Text(title, body, source)
        else:
            converted = Text(*(self.convert(part) for part in parts))
        return shown(converted, self.target, self.punctuation, converted=True)


def shown(text: Text, script: Script, mode: str, converted: bool) -> Text:
    """An article's text with the punctuation an edition in `script` shows (`punctuation`)."""
    parts = (text.title, text.body, text.source)
    return Text(*(punctuation.shown(part, script, mode, converted) for part in parts))


def changed_phrases(before: str, after: str, context: int = 2) -> list[tuple[str, str]]:
    """Where two conversions of one text differ, as (before, after) phrases for review.

    Each change is widened by `context` characters on both sides, so 政府檔案 → 政府文件
    reads as a phrase rather than 檔案 → 文件; each pair is listed once, in text order.
    """
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pairs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left = min(context, i1, j1)
        right = min(context, len(before) - i2, len(after) - j2)
        pair = (before[i1 - left : i2 + right], after[j1 - left : j2 + right])
        if pair not in pairs:
            pairs.append(pair)
    return pairs


@cache
def _converter(
    config: str, protected: tuple[str, ...], punctuation: str, site: SitePairs
) -> Converter:
    return Converter(config, protected, punctuation, site)


@dataclass(frozen=True)
class Scripts:
    """The site's pair of converters (what ingest stores), its default script, and the
    converter of each edition (`converter_for`)."""

    to_hans: Converter
    to_hant: Converter
    default: Script
    protected: tuple[str, ...] = ()
    punctuation: str = "full-width"
    site: SitePairs = ()

    @classmethod
    def for_site(
        cls,
        variant: str = "tw",
        protected: tuple[str, ...] = (),
        default: Script = Script.HANT,
        punctuation: str = "full-width",
        site: SitePairs = (),
    ) -> Scripts:
        to_hans, to_hant = CONVERSIONS[variant]
        return cls(
            to_hans=_converter(to_hans, protected, punctuation, site),
            to_hant=_converter(to_hant, protected, punctuation, site),
            default=default,
            protected=protected,
            punctuation=punctuation,
            site=site,
        )

    @classmethod
    def from_config(cls, config: ScriptSettings) -> Scripts:
        return cls.for_site(
            variant=config.scripts.hant_variant,
            protected=config.scripts.protected_terms,
            default=Script(config.scripts.default),
            punctuation=config.scripts.punctuation,
            site=site_phrases(config),
        )

    def recipe(self) -> Recipe:
        """What another process needs to make the same pair (convert_elsewhere)."""
        return (
            self.to_hans.config,
            self.to_hant.config,
            self.protected,
            self.punctuation,
            self.site,
        )

    def into(self, text: str, target: Script | Edition) -> str:
        """`text` in `target`: names from the config (site title, sender) read in all."""
        script = target if isinstance(target, Script) else target.script
        if not text or self.detect(text) is script:
            return text
        if isinstance(target, Script):
            return self.converter_to(target).convert(text)
        return self.converter_for(target).convert(text)

    def converter_to(self, script: Script) -> Converter:
        return self.to_hans if script is Script.HANS else self.to_hant

    def converter_for(self, edition: Edition) -> Converter:
        """The edition's converter from the other script, with the site's protected terms."""
        return _converter(edition.conversion, self.protected, self.punctuation, self.site)

    def original(self, text: Text, edition: Edition | Script) -> Text:
        """An original in the edition's script as the edition shows it."""
        script = edition if isinstance(edition, Script) else edition.script
        return shown(text, script, self.punctuation, converted=False)

    def original_signature(self, script: Script) -> str:
        """What the originals in `script` are shown by (the punctuation alone), named like a
        conversion's signature (`config:…`), so that their shown texts are stored beside the
        conversions and corrected as those are (publisher.articles.renditions)."""
        return f"original-{script.value}:{self.punctuation}"

    def detect(self, text: str) -> Script:
        """The script a text is written in: the side with more characters unique to it, in
        its first characters, then in more of it on a tie."""
        for size in (*_DETECTION_WINDOWS, len(text)):
            sample = text[:size]
            traditional = len(_counter("t2s").findall(sample))
            simplified = len(_counter("s2t").findall(sample))
            if traditional != simplified:
                return Script.HANT if traditional > simplified else Script.HANS
            if size >= len(text):
                break
        return self.default


def convert_all(scripts: Scripts, texts: list[tuple[Script, Text]]) -> list[Text]:
    """Each text in the script paired with it."""
    return [scripts.converter_to(script).convert_text(text) for script, text in texts]


def convert_elsewhere(recipe: Recipe, texts: list[tuple[Script, Text]]) -> list[Text]:
    """convert_all in a worker process, which makes its pair once (publisher.articles.ingest)."""
    to_hans, to_hant, protected, marks, site = recipe
    pair = Scripts(
        _converter(to_hans, protected, marks, site),
        _converter(to_hant, protected, marks, site),
        Script.HANT,
    )
    return convert_all(pair, texts)


# prctl(2): the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def start_worker(parent: int) -> None:
    """A worker's start. It ends with `parent`, the process that started it, however that
    one ends: after a kill -9 of an ingest (cron's `timeout -s KILL`, the OOM killer) the
    worker stayed for ever, blocked writing to a pipe it holds both ends of, and kept
    multiprocessing's resource tracker alive with it. On Linux the kernel sends it SIGKILL
    (the ingest's thread that started it outlives it: the pool is shut down before the
    ingest returns). Ctrl-C is for the command, which stops its workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watched = LIBC is not None and LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    if watched and os.getppid() != parent:  # it died before the line above
        os._exit(1)
