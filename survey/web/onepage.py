"""The one-page form: every question of the survey on one page, sent once.

For residents who would rather scroll than step through pages (a desktop, a kiosk
at a community meeting, a volunteer typing in a paper form), and for links printed
to go straight to it (``/s/<token>/all``, ``/o/<program>-<code>/all``). Conditional
questions are on the page, marked as such, and count only where they apply.

A post with errors keeps every valid answer (stored as a started response, so the
page-by-page survey can carry on from it too) and shows the page again with what
was typed. A post without errors answers with the thank-you page itself: a fresh
personal-link response is written by the group commit, which acknowledges it only
after its own commit; a reload posts again and finds the response complete.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from litestar import Response

from survey import db
from survey.db import Conn
from survey.questionnaire import AnswerError, Questionnaire
from survey.questionnaire.answers import any_answered
from survey.questionnaire.flow import minutes_to_say
from survey.resources import Resources
from survey.services import drafts, responses, whole
from survey.services.entries import Entry
from survey.services.submit_batch import Fresh
from survey.web import csrf, fields, resume
from survey.web.flow import (
    START_OVER,
    SWITCH_FIELD,
    SWITCH_FORM,
    Req,
    client_fingerprint,
    cookies_needed,
    load,
    not_saved,
    personal_lookup,
    resume_cookie,
    resumed,
)
from survey.web.refusals import FormRejected, read_form
from survey.web.state import WebState
from survey.web.visit import Link, Visit

PURPOSE = "all"


def _render(visit: Visit, q: Questionnaire, tq: Questionnaire, answers: Any, *,
            posted: Any = None, errors: dict[str, AnswerError] | None = None,
            empty: bool = False) -> Response[Any]:
    sections = []
    error_fields: list[fields.Field] = []
    for section in q.sections:
        items = [item for item in q.items if item.section == section.id]
        if not items:
            continue
        built = fields.build(
            items, q, tq, visit.gettext, visit.locale, answers=answers, posted=posted,
            errors=errors, mark_conditional=True,
        )
        error_fields.extend(f for f in built if f.error)
        sections.append((tq.section(section.id), built))
    return visit.render(
        "survey/all.html", status_code=422 if errors or empty else 200, sections=sections,
        errors=error_fields, empty=empty, switch_form=SWITCH_FORM, token=visit.csrf(PURPOSE),
        not_you=visit.csrf(START_OVER) if visit.link.kind == "o" else None, not_you_then="all",
    )


async def show_all(request: Req, conn: Conn, res: Resources, link: Link) -> Response[Any]:
    fresh_key = link.kind == "o" and not link.resume_key
    if fresh_key:
        link = Link(link.kind, link.value, secrets.token_urlsafe(24))
    entry = await load(request, conn, link, with_answers=True)
    visit = Visit.open(request, res, link, entry)
    if fresh_key:
        visit.cookies.append(resume_cookie(visit, link.resume_key or ""))
    if entry.complete:
        return visit.redirect(f"{link.base}/done")
    visit.require_open()
    q, tq = await visit.questionnaire(conn)
    if link.kind == "o" and resume.asked(visit) is not None:
        chosen = await resume.take(conn, visit)
        if chosen is not None:
            resume.carry_to_one_page(visit)
            return visit.redirect(chosen)
    if link.kind == "o" and entry.answers and (
        resume.asked(visit) is not None or not resume.carried_to_one_page(visit)
    ):
        # A shared device (the kiosk /all is printed for): the next person chooses,
        # as on the entry address, before anyone's answers are on the screen.
        return visit.render(
            "survey/intro.html", minutes=minutes_to_say(q), resume=resumed(visit),
            resume_then="all", not_you=visit.csrf(START_OVER),
        )
    return _render(visit, q, tq, entry.answers or {})


def _thanks(visit: Visit) -> Response[Any]:
    if visit.link.kind == "s":
        return visit.render_shared("survey/thanks.html")
    # An open link's page offers the next person on the device a fresh start, with a
    # form token of its own.
    return visit.render("survey/thanks.html", again=visit.csrf("start"))


async def save_all(request: Req, res: Resources, link: Link) -> Response[Any]:
    """Takes no connection from the request: one is held only while reading and while
    writing, never while the response waits for the group commit, which needs a
    connection of its own (with all of them held by waiting requests, none would
    be left for the write)."""
    form = await read_form(request)
    pool = request.app.state.pool
    if link.kind == "o" and not link.resume_key:
        async with pool.acquire() as conn:
            raise await cookies_needed(request, conn, res, link, form)
    web: WebState = request.app.state.web
    if link.kind == "s":
        # Through the batched lookup: one query for every link posted meanwhile.
        entry = await personal_lookup(
            request, link, lambda: web.entries.submit(pool, link.value))
    else:
        async with pool.acquire() as conn:
            entry = await load(request, conn, link)
    switch = form.get(SWITCH_FIELD)
    visit = Visit.open(request, res, link, entry, form_lang=form.get("lang"), switch_lang=switch)
    if not visit.csrf_ok(PURPOSE, form.get(csrf.FIELD)):
        raise FormRejected()
    q, tq = await visit.questionnaire(pool)
    posted, _ = fields.parse(form, q, None)
    if entry.complete:
        return await _again(visit, q, posted)
    visit.require_open()
    if switch is not None:
        # The language switcher, pressed mid-form: keep what was typed, then the form.
        kept, invalid = drafts.check_whole(q, posted)
        if kept or entry.response_id is not None:  # nothing typed: no response to start
            async with db.transaction(pool) as conn:
                await whole.store(conn, entry, kept, visit.locale, complete=False,
                                  resume_key=link.resume_key)
        if invalid:
            return _render(visit, q, tq, kept, posted=posted, errors=invalid)
        if link.kind == "o":
            return visit.redirect(resumed(visit, lang=visit.locale))
        return visit.redirect(f"{link.base}/all?{urlencode({'lang': visit.locale})}")
    answers, errors = whole.check(q, posted)
    if errors:
        async with db.transaction(pool) as conn:
            await whole.store(conn, entry, answers, visit.locale, complete=False,
                              resume_key=link.resume_key)
        return _render(visit, q, tq, answers, posted=posted, errors=errors)
    if not any_answered(answers.values()):
        # A blank form is not a response: nothing is stored, nothing counted.
        return _render(visit, q, tq, answers, posted=posted, empty=True)
    if link.kind == "s" and entry.response_id is None:
        stored = await web.submissions.submit(pool, _fresh(entry, visit, answers))
        if stored is not None:
            return _thanks(visit)
    fingerprint = (
        client_fingerprint(request, visit.settings.secret_key) if link.kind == "o" else None
    )
    async with db.transaction(pool) as conn:
        if link.kind == "s" and entry.response_id is None:
            # Its invitation got a response meanwhile (another tab): look again.
            entry = await load(request, conn, link)
        stored_id = None if entry.complete else await whole.store(
            conn, entry, answers, visit.locale, complete=True, resume_key=link.resume_key,
            client_fingerprint=fingerprint,
        )
        if stored_id is None and link.kind == "s" and entry.response_id is not None:
            # Completed meanwhile (another tab, a double click): nothing was stored.
            held = await responses.load_answers(conn, entry.program_id, entry.response_id)
            unsaved = not_saved(visit, q, posted, held)
            if unsaved is not None:
                return unsaved
    return _thanks(visit)


async def _again(visit: Visit, q: Questionnaire, posted: Any) -> Response[Any]:
    """A post to a response complete before it: nothing is stored. Thanks for a double
    click or a reload; a personal link's other answers (a second tab) hear they were
    not saved."""
    entry = visit.entry
    if visit.link.kind == "s" and entry.response_id is not None:
        async with visit.request.app.state.pool.acquire() as conn:
            stored = await responses.load_answers(conn, entry.program_id, entry.response_id)
        unsaved = not_saved(visit, q, posted, stored)
        if unsaved is not None:
            return unsaved
    return _thanks(visit)


def _fresh(entry: Entry, visit: Visit, answers: dict[str, Any]) -> Fresh:
    assert entry.invitation_id is not None and entry.questionnaire_hash is not None
    return Fresh(
        program_id=entry.program_id, wave_id=entry.wave_id, site_id=entry.site_id,
        invitation_id=entry.invitation_id, panel_member_id=entry.panel_member_id,
        language=visit.locale, questionnaire_hash=entry.questionnaire_hash, answers=answers,
    )
