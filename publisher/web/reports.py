"""The "轉換有誤？" form: a reader reports a wrongly converted phrase of an article.

Linked from every converted article page and digest item as
`report?article=KEY&edition=TAG`. The page shows the converted text, so the reader can copy
the phrase from it (the pages run no script), and may give the right form. A post counts
against its client like the subscribe form (a keyed hash of the address, never the address),
and against the article (publisher.articles.reports); the report keeps the article, the
edition, the phrase and the suggestion, nothing about the reader.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from publisher.articles.conversion import Scripts
from publisher.articles.reports import Limits, converted, file_report
from publisher.errors import ReportError
from publisher.records import Edition, Rendition
from publisher.web.forms import Problem, client_key, count_post, field, read_form
from publisher.web.pages import Pages
from publisher.words import WORDS

# Refusals the reader can fix in the form; the others get the error page.
_IN_FORM = frozenset({"phrase_not_shown", "bad_phrase"})
_STATUS = {"unknown_article": 404, "unknown_edition": 404, "article_reported": 429}


class ReportPages:
    """The routes of /report, on top of what every page shares."""

    def __init__(self, web: Pages) -> None:
        self.web = web

    def routes(self, prefix: str) -> list[BaseRoute]:
        return [
            Route(prefix + "report", self.page, methods=["GET"]),
            Route(prefix + "report", self.send, methods=["POST"]),
        ]

    def _edition(self, tag: str) -> Edition:
        found = next((each for each in self.web.site.editions if each.tag == tag), None)
        if found is None:
            raise Problem(404, "unknown_edition")
        return found

    def _rendition(self, key: str, edition: Edition) -> Rendition:
        scripts = Scripts.from_config(self.web.config)
        with self.web.stores.store() as store:
            try:
                return converted(store, scripts, key, edition)
            except ReportError as error:
                raise Problem(_STATUS.get(error.key, 400), error.key) from None

    async def page(self, request: Request) -> Response:
        edition = self._edition(request.query_params.get("edition", ""))
        key = request.query_params.get("article", "")
        rendition = await run_in_threadpool(self._rendition, key, edition)
        return self._form(request, rendition)

    def _form(
        self,
        request: Request,
        rendition: Rendition,
        phrase: str = "",
        suggestion: str = "",
        error: str = "",
    ) -> Response:
        return self.web.render(
            request,
            "web_report.html",
            rendition.script,
            400 if error else 200,
            rendition=rendition,
            phrase=phrase,
            suggestion=suggestion,
            error=error,
        )

    async def send(self, request: Request) -> Response:
        form = await read_form(request)
        edition = self._edition(field(form, "edition"))
        asked = (
            field(form, "article"),
            edition.tag,
            field(form, "phrase"),
            field(form, "suggestion"),
        )
        host = request.client.host if request.client else ""
        words = WORDS[edition.script]
        try:
            await run_in_threadpool(self._file, host, asked)
        except ReportError as error:
            if error.key in _IN_FORM:
                rendition = await run_in_threadpool(self._rendition, asked[0], edition)
                text = words[error.key].format(phrase=asked[2].strip())
                return self._form(request, rendition, asked[2][:60], asked[3][:60], text)
            return self._refused(request, edition, Problem(_STATUS.get(error.key, 400), error.key))
        except Problem as problem:  # past the client's limit
            return self._refused(request, edition, problem)
        return self.web.message(
            request,
            edition.script,
            200,
            words["report_thanks_title"],
            words["report_thanks_text"],
            link="",
        )

    def _refused(self, request: Request, edition: Edition, problem: Problem) -> Response:
        """The refusal in the script of the edition reported on (a post names no ?script)."""
        words = WORDS[edition.script]
        text = words[problem.key].format(**problem.values)
        response = self.web.message(
            request, edition.script, problem.status, words["error_title"], text, link=""
        )
        response.headers.update(problem.headers)
        return response

    def _file(self, host: str, asked: tuple[str, str, str, str]) -> int:
        """Count the client's post (429 past its limit, before anything else), then store."""
        limits, now = self.web.config.web, self.web.now()
        scripts = Scripts.from_config(self.web.config)
        with self.web.stores.store() as store:
            client = "report:" + client_key(self.web.secret, host)
            window = limits.report_window_seconds
            count_post(store, client, now.timestamp(), limits.report_limit, window)
            per_article = Limits(limits.reports_per_article_per_day, dt.timedelta(days=1))
            return file_report(store, scripts, self.web.site.editions, asked, now, per_article)
