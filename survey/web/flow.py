"""The respondent's way through a survey, shared by personal and open links.

landing → (consent) start → page … page → done. Every step re-reads the link from
the database, so a closed wave or a completed response shows its own page whatever
URL a resident has bookmarked. Handlers in ``routes`` only pick the link kind.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import Cookie

from survey.db import Conn
from survey.errors import RateLimited
from survey.questionnaire import pages, progress
from survey.questionnaire.flow import minutes_to_say
from survey.resources import Resources
from survey.services import drafts, entries, repeats, responses
from survey.services.entries import Entry, LinkNotFound
from survey.services.paging import find_page, is_last_page, resume_section
from survey.web import csrf, fields, formdata, resume
from survey.web.ratelimit import client_key
from survey.web.refusals import CookiesNeeded, FormRejected, read_form
from survey.web.state import WebState
from survey.web.visit import RESUME_COOKIE, RESUME_MAX_AGE, Link, Visit, client_address

Req = Request[Any, Any, Any]

#: The language switcher on a page with a form: buttons of that form (by its id), so
#: a switch sends what the page holds along (``drafts``) rather than losing it.
SWITCH_FIELD = "switch_lang"
SWITCH_FORM = "page-form"

#: The form purpose of "Not you? Start a new survey" (open links).
START_OVER = "start-over"

#: Seconds after its last post that an open link's question page, opened again, asks
#: "continue or start anew?" first, as the entry address always does.
IDLE_CHOICE = 20 * 60.0

async def load(request: Req, conn: Conn, link: Link, *, with_answers: bool = False) -> Entry:
    """The link's entry (with its response's answers if asked). Unknown personal tokens
    count against the client's miss limit."""
    if link.kind == "o":
        if not link.value.isprintable():
            raise LinkNotFound()  # see personal_lookup
        return await entries.open_entry(
            conn, link.value, link.resume_key, with_answers=with_answers
        )

    async def find() -> Entry | None:
        try:
            return await entries.personal_entry(conn, link.value, with_answers=with_answers)
        except LinkNotFound:
            return None

    return await personal_lookup(request, link, find)


async def personal_lookup(
    request: Req, link: Link, find: Callable[[], Awaitable[Entry | None]]
) -> Entry:
    """A personal link's entry from ``find``; a client past its miss limit waits, and
    an unknown token counts against that limit."""
    web: WebState = request.app.state.web
    key = client_key(request.app.state.settings.secret_key, client_address(request))
    wait = web.miss_limiter.retry_after(key)
    if wait is not None:
        raise RateLimited(wait)
    # No link holds a control character, and PostgreSQL text cannot even compare one
    # with a NUL (nor may it sink a batched lookup it shares with other links).
    entry = await find() if link.value.isprintable() else None
    if entry is None:
        web.miss_limiter.hit(key)
        raise LinkNotFound()
    return entry


def resume_cookie(visit: Visit, key: str) -> Cookie:
    max_age = RESUME_MAX_AGE
    if visit.entry.closes_at is not None:
        left = int((visit.entry.closes_at - visit.now).total_seconds())
        max_age = max(60, min(max_age, left))
    return Cookie(
        key=RESUME_COOKIE, value=key, path=visit.link.base, max_age=max_age, httponly=True,
        samesite="lax", secure=visit.settings.cookie_secure,
    )


async def cookies_needed(
    request: Req, conn: Conn, res: Resources, link: Link, form: formdata.Form
) -> CookiesNeeded:
    """The error for an open-link post without its resume cookie, its page in the
    resident's language: the form's ``lang``, else as the landing page negotiates,
    among the wave's languages and with its drafts (an unknown link is a 404)."""
    entry = await load(request, conn, link)
    Visit.open(request, res, link, entry, form_lang=form.get("lang"))
    return CookiesNeeded()


def resumed(visit: Visit, **query: str) -> str:
    """The one-page form with an open link's unfinished answers, by its owner's choice
    (``resume``: for a moment only)."""
    return resume.link(visit, f"{visit.link.base}/all", **query)


def with_resume_key(request: Req, link: Link) -> Link:
    key = request.cookies.get(RESUME_COOKIE)
    if key and 16 <= len(key) <= 64:
        return Link(link.kind, link.value, key)
    return link


async def landing(request: Req, conn: Conn, res: Resources, link: Link) -> Response[Any]:
    entry = await load(request, conn, link)
    if link.kind == "o" and not link.resume_key:
        # The key that will find this client's response again, and binds its forms.
        link = Link(link.kind, link.value, secrets.token_urlsafe(24))
        visit = Visit.open(request, res, link, entry)
        visit.cookies.append(resume_cookie(visit, link.resume_key or ""))
    else:
        visit = Visit.open(request, res, link, entry)
    if entry.complete:
        await visit.questionnaire(conn)
        if link.kind == "s":
            return visit.render("survey/received.html")
        return visit.render("survey/thanks.html", again=visit.csrf("start"))
    visit.require_open()
    if entry.response_id is not None:
        q, _ = await visit.questionnaire(conn)
        answers = await responses.load_answers(conn, entry.program_id, entry.response_id)
        section = resume_section(q, answers)
        if link.kind == "s":
            return visit.redirect(f"{link.base}/q/{section}")
        # An open link's device may be shared (a kiosk, a family phone): the next
        # person must not land in someone else's answers without seeing the consent.
        # Each choice comes in the one-page form too: continuing there is a choice as
        # well (/all?resume=…), and starting anew there a POST like the other.
        return visit.render("survey/intro.html", minutes=minutes_to_say(q),
                            resume=resume.link(visit, f"{link.base}/q/{section}"),
                            resume_all=resumed(visit),
                            not_you=visit.csrf(START_OVER))
    q, _ = await visit.questionnaire(conn)
    return visit.render("survey/intro.html", token=visit.csrf("start"), minutes=minutes_to_say(q))


async def start_over(request: Req, conn: Conn, res: Resources, link: Link) -> Response[Any]:
    """Someone else on this device (an open link): forget this browser's response with
    a new resume key. The response itself stays stored, partial. ``then`` says where
    the new person goes: straight into a new response (they chose on the consent
    page), the one-page form (which shows the consent), or else the consent page."""
    form = await read_form(request)
    if link.kind != "o":
        raise LinkNotFound()
    if not link.resume_key:
        raise await cookies_needed(request, conn, res, link, form)
    entry = await load(request, conn, link)
    visit = Visit.open(request, res, link, entry, form_lang=form.get("lang"))
    if not visit.csrf_ok(START_OVER, form.get(csrf.FIELD)):
        raise FormRejected()
    visit.require_open()
    key = secrets.token_urlsafe(24)
    visit.cookies.append(resume_cookie(visit, key))
    then = form.get("then")
    if then == "start":
        q, _ = await visit.questionnaire(conn)
        await responses.start_open(conn, entry, visit.locale, key)
        return visit.redirect(f"{link.base}/q/{resume_section(q, {})}")
    return visit.redirect(f"{link.base}/all" if then == "all" else link.base)


async def start(request: Req, conn: Conn, res: Resources, link: Link) -> Response[Any]:
    form = await read_form(request)
    if link.kind == "o" and not link.resume_key:
        raise await cookies_needed(request, conn, res, link, form)
    entry = await load(request, conn, link)
    visit = Visit.open(request, res, link, entry, form_lang=form.get("lang"))
    if not visit.csrf_ok("start", form.get(csrf.FIELD)):
        raise FormRejected()
    if link.kind == "s" and entry.complete:
        return visit.redirect(f"{link.base}/done")
    visit.require_open()
    q, _ = await visit.questionnaire(conn)
    if link.kind == "s":
        response_id = await responses.start_personal(conn, entry, visit.locale)
    elif entry.response_id is not None and not entry.complete:
        response_id = entry.response_id
    else:
        key = link.resume_key or ""
        if entry.complete:
            # Someone else on a shared device: a new response with a new key.
            key = secrets.token_urlsafe(24)
            visit.cookies.append(resume_cookie(visit, key))
        response_id = await responses.start_open(conn, entry, visit.locale, key)
    answers = await responses.load_answers(conn, entry.program_id, response_id)
    return visit.redirect(f"{link.base}/q/{resume_section(q, answers)}")


async def _current(
    request: Req, conn: Conn, res: Resources, link: Link, form_lang: str | None = None,
    *, with_answers: bool = False, switch_lang: str | None = None,
) -> tuple[Visit, Response[Any] | None]:
    """The visit, or where to send someone who has no page to answer here."""
    entry = await load(request, conn, link, with_answers=with_answers)
    visit = Visit.open(request, res, link, entry, form_lang=form_lang, switch_lang=switch_lang)
    if entry.complete:
        return visit, visit.redirect(f"{link.base}/done")
    visit.require_open()
    if entry.response_id is None:
        return visit, visit.redirect(link.base)
    return visit, None


def _render_page(visit: Visit, q: Any, tq: Any, section: str, answers: Any, *,
                 posted: Any = None, errors: Any = None, added: bool = False,
                 empty: bool = False) -> Response[Any]:
    page = find_page(q, answers, section)
    if page is None:
        # Not (or no longer) a page this resident may see: back to where they are.
        return visit.redirect(f"{visit.link.base}/q/{resume_section(q, answers)}")
    all_pages = pages(q, answers)
    answered, visible = progress(q, answers)
    field_list = fields.build(
        page.items, q, tq, visit.gettext, visit.locale,
        answers=answers, posted=posted, errors=errors,
    )
    return visit.render(
        "survey/page.html",
        status_code=422 if errors or empty else 200,
        section=tq.section(section),
        fields=field_list,
        errors=[f for f in field_list if f.error],
        page_number=page.number,
        page_count=len(all_pages),
        answered=answered,
        visible=visible,
        last=is_last_page(q, answers, section),
        previous=all_pages[page.number - 2].section.id if page.number > 1 else None,
        added=added,
        empty=empty,
        switch_form=SWITCH_FORM,
        token=visit.csrf(f"page:{section}"),
        not_you=visit.csrf(START_OVER) if visit.link.kind == "o" else None,
    )


async def show_page(
    request: Req, conn: Conn, res: Resources, link: Link, section: str
) -> Response[Any]:
    visit, elsewhere = await _current(request, conn, res, link, with_answers=True)
    if elsewhere is not None:
        return elsewhere
    assert visit.entry.answers is not None
    q, tq = await visit.questionnaire(conn)
    answers = visit.entry.answers
    if link.kind == "o":
        chosen = await resume.take(conn, visit) if resume.asked(visit) is not None else None
        if chosen is not None:
            return visit.redirect(chosen)
        # A question page of an open link left idle, opened again: perhaps from the
        # browser's history by the next person on a shared device, so the same choice
        # as at the entry address before anyone's answers show. So does a "continue"
        # link no longer (or never) valid: one from the history, say.
        if resume.asked(visit) is not None or (visit.entry.idle or 0.0) > IDLE_CHOICE:
            return visit.render(
                "survey/intro.html", minutes=minutes_to_say(q),
                resume=resume.link(visit, f"{link.base}/q/{section}"),
                resume_all=resumed(visit), not_you=visit.csrf(START_OVER),
            )
    return _render_page(visit, q, tq, section, answers,
                        added=request.query_params.get("added") == "1")


def client_fingerprint(request: Req, secret: str) -> bytes:
    """Who is probably the same client, without storing who: keyed hash of address and
    browser, used only to flag duplicate open-link responses."""
    agent = request.headers.get("user-agent", "")[:300]
    message = f"client\x00{client_address(request)}\x00{agent}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:16]


async def save_page(
    request: Req, conn: Conn, res: Resources, link: Link, section: str
) -> Response[Any]:
    form = await read_form(request)
    if link.kind == "o" and not link.resume_key:
        raise await cookies_needed(request, conn, res, link, form)
    switch = form.get(SWITCH_FIELD)
    visit, elsewhere = await _current(request, conn, res, link, form_lang=form.get("lang"),
                                      switch_lang=switch)
    if not visit.csrf_ok(f"page:{section}", form.get(csrf.FIELD)):
        raise FormRejected()
    if link.kind == "s" and visit.entry.complete and visit.entry.response_id is not None:
        q, _ = await visit.questionnaire(conn)
        posted, shown = fields.parse(form, q, section)
        stored = await responses.load_answers(conn, visit.entry.program_id,
                                              visit.entry.response_id)
        unsaved = not_saved(visit, q, posted, stored, shown)
        if unsaved is not None:
            return unsaved
    if elsewhere is not None:
        return elsewhere
    entry = visit.entry
    assert entry.response_id is not None
    q, tq = await visit.questionnaire(conn)
    posted, shown = fields.parse(form, q, section)
    if switch is not None:
        # The language switcher, pressed mid-page: keep what was typed, then the page.
        draft = await drafts.save_page(conn, entry, entry.response_id, q, section, posted,
                                       shown, visit.locale)
        if draft.completed:
            return visit.redirect(f"{link.base}/done")
        if draft.elsewhere:
            return visit.redirect(f"{link.base}/q/{resume_section(q, draft.answers)}")
        if draft.errors:
            return _render_page(visit, q, tq, section, draft.answers, posted=posted,
                                errors=draft.errors)
        return visit.redirect(f"{link.base}/q/{section}?{urlencode({'lang': visit.locale})}")
    result = await responses.save_page(
        conn, entry, entry.response_id, q, section, posted, shown, visit.locale,
        client_fingerprint=(
            client_fingerprint(request, visit.settings.secret_key) if link.kind == "o" else None
        ),
    )
    if result.completed:
        if result.already and link.kind == "s":
            # Another tab completed it between this post's read and its lock.
            unsaved = not_saved(visit, q, posted, result.answers, shown)
            if unsaved is not None:
                return unsaved
        return visit.redirect(f"{link.base}/done")
    if result.elsewhere:
        return visit.redirect(f"{link.base}/q/{resume_section(q, result.answers)}")
    if result.errors or result.empty:
        return _render_page(visit, q, tq, section, result.answers, posted=posted,
                            errors=result.errors, empty=result.empty)
    if result.stay:
        return visit.redirect(f"{link.base}/q/{section}?added=1")
    return visit.redirect(f"{link.base}/q/{result.next_section}")


def not_saved(visit: Visit, q: Any, posted: Any, stored: Any,
              shown: Any = None) -> Response[Any] | None:
    """A personal link's post that found its response already complete stored nothing:
    the "already received" page, saying so, unless the post only repeats what is stored
    (a double click, a reload), which is simply received (None)."""
    if repeats.same_as_stored(q, posted, stored, shown):
        return None
    return visit.render("survey/received.html", status_code=409, unsaved=True)


async def done(request: Req, conn: Conn, res: Resources, link: Link) -> Response[Any]:
    entry = await load(request, conn, link)
    visit = Visit.open(request, res, link, entry)
    if not entry.complete:
        return visit.redirect(link.base)
    await visit.questionnaire(conn)
    again = visit.csrf("start") if link.kind == "o" else None
    return visit.render("survey/thanks.html", again=again)
