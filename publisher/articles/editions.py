"""Editions: an article as the readers of one script see it.

The original script is the stored text verbatim; the other comes from the conversion stored
at ingest. A conversion missing for the current settings (say, a new protected term) is
made once here and stored, so no later build converts that text again.
"""

from __future__ import annotations

from collections.abc import Iterable

from publisher.articles.conversion import Scripts
from publisher.records import Article, Edition, Script
from publisher.store import Store


def editions(
    store: Store, scripts: Scripts, articles: Iterable[Article], script: Script
) -> list[Edition]:
    result = []
    for article in articles:
        if article.script is script:
            result.append(Edition(article, script, article.original))
            continue
        converter = scripts.converter_to(script)
        text = store.conversion(article.key, converter.signature)
        if text is None:
            text = converter.convert_text(article.original)
            with store.transaction():
                store.put_conversion(article.key, converter.signature, text)
        result.append(Edition(article, script, text))
    return result
