"""The site's editions: which ones the config lists, and which one a reader's words name.

Without `[[editions]]` in the config a site has today's two, zh-Hant and zh-Hans, at the
same paths and with the same ids as before. With it, each table is one edition: a BCP 47 tag
that names the script (zh-Hant-TW, zh-Hant-HK, zh-Hans-CN), the OpenCC config that derives it
from an original in the other script, a path segment and a label. The first edition listed
in a script is that script's default: it takes subscribers stored before editions existed,
and its pages are where a converted text's "original" link leads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from publisher.records import Edition, Script
from publisher.settings import CONVERSIONS, EditionConfig, ScriptsConfig

_NAMES = {Script.HANT: "繁體中文", Script.HANS: "简体中文"}
_REGIONS = {
    "TW": "台灣",
    "HK": "香港",
    "MO": "澳門",
    "CN": "中国大陆",
    "SG": "新加坡",
    "MY": "马来西亚",
}
# The language tags people type, and the script or region each means.
_TYPED = {
    "zh-tw": (Script.HANT, "TW"),
    "zh-hk": (Script.HANT, "HK"),
    "zh-mo": (Script.HANT, "MO"),
    "zh-cn": (Script.HANS, "CN"),
    "zh-sg": (Script.HANS, "SG"),
}
TAG = re.compile(r"zh-(Hant|Hans)(?:-([A-Z]{2}|\d{3}))?")


def script_of(tag: str) -> Script:
    match = TAG.fullmatch(tag)
    if match is None:
        raise ValueError(f"{tag!r} is not a tag such as zh-Hant, zh-Hant-TW or zh-Hans-CN")
    return Script(f"zh-{match[1]}")


def _region(tag: str) -> str:
    match = TAG.fullmatch(tag)
    return match[2] or "" if match else ""


def _locale(chosen: EditionConfig, variant: str) -> Edition:
    script = script_of(chosen.tag)
    to_hans, to_hant = CONVERSIONS[variant]
    region = _REGIONS.get(_region(chosen.tag), "")
    where = f"（{region}）" if region else ""
    return Edition(
        tag=chosen.tag,
        script=script,
        conversion=chosen.conversion or (to_hant if script is Script.HANT else to_hans),
        path=chosen.path or chosen.tag,
        name=_NAMES[script] + where,
        label=chosen.label or f"{_NAMES[script]}版{where}",
    )


class EditionSettings(Protocol):
    """What the editions are made from (a Config is one): [[editions]], and
    scripts.hant_variant for the two a site without them has."""

    @property
    def scripts(self) -> ScriptsConfig: ...

    @property
    def editions(self) -> tuple[EditionConfig, ...]: ...


@dataclass(frozen=True)
class Editions:
    """The site's editions in the config's order."""

    all: tuple[Edition, ...]

    @classmethod
    def from_config(cls, config: EditionSettings) -> Editions:
        return cls.of_tables(config.editions, config.scripts.hant_variant)

    @classmethod
    def of_tables(cls, tables: tuple[EditionConfig, ...], variant: str) -> Editions:
        listed = tables or (EditionConfig("zh-Hant"), EditionConfig("zh-Hans"))
        return cls(tuple(_locale(each, variant) for each in listed))

    def __iter__(self) -> Iterator[Edition]:
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def default(self, script: Script) -> Edition:
        """The script's first edition: where its originals are, and its old subscribers."""
        return next(edition for edition in self.all if edition.script is script)

    def others(self, edition: Edition) -> tuple[Edition, ...]:
        return tuple(each for each in self.all if each != edition)

    def of(self, script: Script, tag: str = "") -> Edition:
        """A stored choice: the edition tagged `tag`, else (none chosen, or an edition since
        removed from the config) the default edition of `script`."""
        found = next((each for each in self.all if each.tag == tag), None)
        return found if found and found.script is script else self.default(script)

    def named(self, value: str) -> Edition:
        """The edition a person names: its tag or path in any case, or a tag people type
        (zh-TW, zh-HK, zh-CN, zh-Hant, zh-Hans); ValueError listing the editions."""
        typed = value.strip().lower()
        for edition in self.all:
            if typed in (edition.tag.lower(), edition.path.lower()):
                return edition
        script, region = _TYPED.get(typed, (None, ""))
        if typed in ("zh-hant", "zh-hans"):
            script = Script.named(typed)
        candidates = [each for each in self.all if each.script is script]
        if region:
            candidates = [each for each in candidates if _region(each.tag) in (region, "")]
        if candidates:
            return candidates[0]
        raise ValueError(f"{value!r}: no such edition; this site has {self.choices}")

    @property
    def choices(self) -> str:
        tags = [each.tag for each in self.all]
        return f"{', '.join(tags[:-1])} or {tags[-1]}"


# Today's two editions: a site without [[editions]] (with the default hant_variant).
PAIR = Editions.of_tables((), ScriptsConfig().hant_variant)
HANT, HANS = PAIR.all
