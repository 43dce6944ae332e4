"""Each edition's font stack: Simplified text drawn with Simplified glyph forms.

One stack for all editions listed `PingFang TC` first, so on Apple devices Simplified pages
came out in Traditional glyph forms with Taiwan's centred punctuation. Each script (and Hong
Kong's forms for zh-Hant-HK and zh-Hant-MO) now has its own families first and a generic
`sans-serif` last. The rules key on the `lang` attribute: a page's <html> gives its body the
edition's stack, and a link to the other edition (`lang="zh-Hans"`) its own script's.
"""

from __future__ import annotations

from markupsafe import Markup

from publisher.editions import TAG

# Apple, Adobe/Google (Source Han / Noto CJK), Microsoft: the families each script's readers have.
_FAMILIES = {
    "SC": (
        "PingFang SC",
        "Hiragino Sans GB",
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "Microsoft YaHei",
    ),
    "TC": ("PingFang TC", "Noto Sans CJK TC", "Source Han Sans TC", "Microsoft JhengHei"),
    "HK": ("PingFang HK", "Noto Sans CJK HK", "Source Han Sans HK", "Microsoft JhengHei"),
}
# The tag each stack is given for, the narrower after the wider (a later equal rule wins).
_TAGS = (("zh-Hans", "SC"), ("zh-Hant", "TC"), ("zh-Hant-HK", "HK"), ("zh-Hant-MO", "HK"))


def _kind(tag: str) -> str:
    match = TAG.fullmatch(tag)
    if match is None or match[1] == "Hans":
        return "SC"
    return "HK" if match[2] in ("HK", "MO") else "TC"


def stack(tag: str) -> Markup:
    """The CSS font-family value for an edition's tag."""
    families = ", ".join(f'"{family}"' for family in _FAMILIES[_kind(tag)])
    return Markup(f"{families}, sans-serif")


def rules() -> Markup:
    """CSS giving every element with a `lang` its script's stack; the rest inherit it."""
    return Markup(
        "\n".join(f'[lang|="{tag}"] {{ font-family: {stack(tag)}; }}' for tag, _ in _TAGS)
    )
