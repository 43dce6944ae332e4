"""The words of the archive's reader pages (search, sources, digests, feed lists), per
script, kept beside words.py's so the two grow without stepping on each other; pages get
both in one `words` mapping (see pages.Pages)."""

from __future__ import annotations

from publisher.records import Script

READER_WORDS: dict[Script, dict[str, str]] = {
    Script.HANT: {
        "search": "搜尋",
        "search_label": "搜尋文章",
        "search_count": "找到 {count} 篇文章",
        "search_short": "請至少輸入兩個中文字，或一個英文字詞。",
        "search_more": "顯示更多",
        "search_failed": "搜尋索引無法載入",
        "search_needs_js": "搜尋需要瀏覽器啟用 JavaScript。",
        "sources": "各來源",
        "source_page": "{source} 的文章",
        "source_month": "{source} 的文章：{month}",
        "source_months": "較早的文章，依月份",
        "source_articles": "{count} 篇",
        "digests": "每日摘要",
        "digest_of": "{date} 摘要",
        "all_feeds": "全部訂閱源（OPML）",
        "all_json_feeds": "全部訂閱源（OPML，JSON Feed 格式）",
        "feed_list": "{site}的訂閱源",
        "json_feed_list": "{site}的訂閱源（JSON Feed）",
        "main_feed": "全部文章",
    },
    Script.HANS: {
        "search": "搜索",
        "search_label": "搜索文章",
        "search_count": "找到 {count} 篇文章",
        "search_short": "请至少输入两个汉字，或一个英文单词。",
        "search_more": "显示更多",
        "search_failed": "搜索索引无法加载",
        "search_needs_js": "搜索需要浏览器启用 JavaScript。",
        "sources": "各来源",
        "source_page": "{source} 的文章",
        "source_month": "{source} 的文章：{month}",
        "source_months": "较早的文章，按月份",
        "source_articles": "{count} 篇",
        "digests": "每日摘要",
        "digest_of": "{date} 摘要",
        "all_feeds": "全部订阅源（OPML）",
        "all_json_feeds": "全部订阅源（OPML，JSON Feed 格式）",
        "feed_list": "{site}的订阅源",
        "json_feed_list": "{site}的订阅源（JSON Feed）",
        "main_feed": "全部文章",
    },
}
