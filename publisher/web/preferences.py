"""The reader's preferences page, linked from every digest's footer: the edition (script),
the sources, daily or weekly, a pause, unsubscribing, downloading their data and erasing it.

Sources are checkboxes of every source the store knows, all ticked unless opted out, each
named as the page's edition shows it and sent as its short id (the hash in its feed's
file name), so the form stays small however many sources the site has. The form names the
sources it showed (`shown`, one field), and only those unticked become opt-outs: a source
that first appears after the page was opened stays in, as new sources do. The limits on
the posted form grow with the site's sources, and with nothing else a stranger controls.

The link's preferences token (publisher.mail.tokens) is the whole authority. GET only shows
the forms; every change is a POST that carries the token in its body, never in the URL, so
a mail scanner following the link changes nothing and another site cannot make a reader's
browser change anything without the token. A token from before the subscriber's last
`next_link_generation` is refused with a page that says so.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from publisher.errors import SubscriberError, TokenError
from publisher.mail import preferences, privacy, subscribers, tokens
from publisher.records import Edition, Frequency, Subscriber
from publisher.site.paths import Site
from publisher.web.forms import MAX_BODY_BYTES, Problem, field, read_form
from publisher.web.logs import token_id
from publisher.web.pages import PAGE_HEADERS, Pages
from publisher.words import WORDS

log = logging.getLogger(__name__)

# The save form's own fields (token, do, script, frequency, weekday, paused_until, shown)
# with room to spare; each source adds one field (its ticked box) of at most this many
# bytes ("sources=" and a 12-digit id, "&", and its share of the one `shown` field).
FORM_FIELDS = 20
BYTES_PER_SOURCE = 40


class PreferencesPages:
    """The routes of /preferences, on top of what every page shares."""

    def __init__(self, web: Pages) -> None:
        self.web = web

    def routes(self, prefix: str) -> list[BaseRoute]:
        return [
            Route(prefix + "preferences", self.page, methods=["GET"]),
            Route(prefix + "preferences", self.change, methods=["POST"]),
        ]

    def _person(self, token: str) -> Subscriber:
        if not token:
            raise Problem(400, "missing_token")
        try:
            subscriber_id, generation = tokens.verify_bound(
                self.web.secret, tokens.PREFERENCES, token
            )
        except TokenError:
            log.info("refused a preferences token that is not ours (id %s)", token_id(token))
            raise Problem(403, "bad_token") from None
        with self.web.stores.store() as store:
            person = subscribers.get(store, subscriber_id)
        if person is None:
            raise Problem(404, "unknown_subscriber")
        if generation != person.link_generation:
            raise Problem(403, "revoked_link", script=person.script)
        return person

    def _known(self) -> list[str]:
        with self.web.stores.store() as store:
            return [tally.name for tally in store.counts_by_source()]

    def _sources(self, person: Subscriber, edition: Edition) -> list[tuple[str, str, bool]]:
        """The known sources as (id, name in `edition`, whether this reader gets it), in
        the order of their names."""
        with self.web.stores.store() as store:
            known = [tally.name for tally in store.counts_by_source()]
            opted_out = store.opted_out_sources(person.id)
        scripts = self.web.scripts
        shown = [(Site.source_slug(n), scripts.into(n, edition), n not in opted_out) for n in known]
        return sorted(shown, key=lambda source: source[1])

    async def _form(
        self, request: Request, person: Subscriber, token: str, *, notice: str = "", error: str = ""
    ) -> Response:
        script = self.web.page_script(request, person.script)
        words = WORDS[script]
        today = self.web.now().date()
        edition = self.web.page_edition(request, script, person)
        sources = await run_in_threadpool(self._sources, person, edition)
        return self.web.render(
            request,
            "web_preferences.html",
            script,
            400 if error else 200,
            person=person,
            token=token,
            sources=sources,
            weekdays=list(zip(preferences.WEEKDAYS, words["weekdays"].split(), strict=True)),
            tomorrow=(today + dt.timedelta(days=1)).isoformat(),
            notice=notice,
            error=error,
        )

    async def page(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        person = await run_in_threadpool(self._person, token)
        return await self._form(request, person, token)

    async def change(self, request: Request) -> Response:
        """One POST endpoint; the button pressed (`do`) says what to do."""
        known = await run_in_threadpool(self._known)
        form = await read_form(
            request,
            max_fields=FORM_FIELDS + len(known),
            max_bytes=MAX_BODY_BYTES + BYTES_PER_SOURCE * len(known),
        )
        token = field(form, "token")  # the body only: see the module's docstring
        person = await run_in_threadpool(self._person, token)
        try:
            return await self._act(request, person, token, form, known)
        except Problem as problem:
            problem.script = problem.script or person.script  # their error page: their script
            raise

    async def _act(
        self, request: Request, person: Subscriber, token: str, form: FormData, known: list[str]
    ) -> Response:
        action = field(form, "do")
        if action == "save":
            return await self._save(request, person, token, form, known)
        if action == "export":
            return await run_in_threadpool(self._export, person)
        script = person.script
        if action == "erase":
            return self.web.render(request, "web_erase.html", script, person=person, token=token)
        if action == "erase_confirmed":
            await run_in_threadpool(self._erase, person)
            return self._said(request, person, "erased", link="")
        if action == "unsubscribe":
            await run_in_threadpool(self._unsubscribe, person)
            return self._said(request, person, "unsubscribed", link="resubscribe")
        raise Problem(400, "bad_form")

    def _said(self, request: Request, person: Subscriber, outcome: str, link: str) -> Response:
        script = self.web.page_script(request, person.script)
        words = WORDS[script]
        text = words[f"{outcome}_text"].format(email=person.email)
        return self.web.message(request, script, 200, words[f"{outcome}_title"], text, link)

    async def _save(
        self, request: Request, person: Subscriber, token: str, form: FormData, known: list[str]
    ) -> Response:
        try:
            change = _change_of(form, self.web, self._spellings(known))
            changed = await run_in_threadpool(self._apply, person, change)
        except SubscriberError as refused:
            words = WORDS[self.web.page_script(request, person.script)]
            reason = words.get(f"refused_{refused.reason}", words["refused_other"])
            return await self._form(
                request, person, token, error=words["bad_choice"].format(problem=reason)
            )
        # The page answers in the script just chosen, as the next mail will be.
        return await self._form(request, changed, token, notice=WORDS[changed.script]["saved"])

    def _spellings(self, known: list[str]) -> dict[str, str]:
        """Each source's id, and its name in every edition, to the source as stored: the
        form sends ids, and a page from before ids sent names."""
        spelt = preferences.spellings(known, self.web.scripts, self.web.site.editions)
        return spelt | {Site.source_slug(name): name for name in known}

    def _apply(self, person: Subscriber, change: preferences.Change) -> Subscriber:
        with self.web.stores.store() as store:
            return preferences.apply(store, person, change, self.web.now().date())

    def _export(self, person: Subscriber) -> Response:
        with self.web.stores.store() as store:
            data = privacy.export(store, person)
        body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        disposition = f'attachment; filename="publisher-data-{person.id}.json"'
        return Response(
            body.encode(),
            media_type="application/json",
            headers={**PAGE_HEADERS, "Content-Disposition": disposition},
        )

    def _erase(self, person: Subscriber) -> None:
        with self.web.stores.store() as store:
            privacy.erase(store, person, self.web.secret)

    def _unsubscribe(self, person: Subscriber) -> None:
        with self.web.stores.store() as store:
            subscribers.unsubscribe(store, person.id, self.web.now())


def _change_of(form: FormData, web: Pages, spelt: dict[str, str]) -> preferences.Change:
    """The choices of the save form; an empty pause date clears the pause."""
    frequency = field(form, "frequency") or Frequency.DAILY
    weekday = field(form, "weekday")
    if frequency not in set(Frequency) or (weekday and weekday not in preferences.WEEKDAYS):
        raise Problem(400, "bad_form")
    paused = field(form, "paused_until").strip()
    try:
        until = dt.date.fromisoformat(paused) if paused else None
    except ValueError:
        raise Problem(400, "bad_date", value=paused[:40]) from None
    return preferences.Change(
        edition=web.edition_named(field(form, "script") or ""),
        frequency=Frequency(frequency),
        weekday=preferences.WEEKDAYS.index(weekday) if weekday else None,
        paused_until=until,
        resume=until is None,
        opted_out=_opted_out(form, spelt),
    )


def _opted_out(form: FormData, spelt: dict[str, str]) -> frozenset[str] | None:
    """The shown sources left unticked; None (no change) from a form that showed none.
    Values the site does not know (a source gone since) are left out."""

    def named(values: list[str]) -> set[str]:
        return {spelt[value] for value in values if value in spelt}

    fields = [value for value in form.getlist("shown") if isinstance(value, str)]
    # One field of ids; a page from before ids sent a field per name (which may hold spaces).
    shown = named([part for value in fields for part in value.split()]) | named(fields)
    if not shown:
        return None
    ticked = named([value for value in form.getlist("sources") if isinstance(value, str)])
    if not ticked & shown:
        raise SubscriberError("choose at least one source", "no_source")
    return frozenset(shown - ticked)
