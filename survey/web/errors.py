"""HTML pages for domain errors (``app.state.render_error_page``, called by
``survey.http_errors``): a wave not open yet, closed, a link that does not exist,
too many requests, a rejected form. Each speaks the resident's language when the
request got far enough to know it, else the browser's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.response import Template

from survey.errors import RateLimited, SurveyError, Unavailable
from survey.i18n import SOURCE_LOCALE, UI_DOMAIN, format_date, match_tag, negotiate
from survey.resources import Resources
from survey.services.entries import LinkNotFound, WaveClosed, WaveNotOpen
from survey.web.refusals import CookiesNeeded, FormRejected, FormTooLarge
from survey.web.state import WebState
from survey.web.visit import LANG_COOKIE, page_context

_KINDS: tuple[tuple[type[SurveyError], str], ...] = (
    (LinkNotFound, "not_found"),
    (WaveNotOpen, "not_open"),
    (WaveClosed, "closed"),
    (RateLimited, "rate_limited"),
    (FormRejected, "form_rejected"),
    (CookiesNeeded, "cookies_needed"),
    (FormTooLarge, "too_large"),
)


def _kind(exc: SurveyError) -> str:
    for cls, name in _KINDS:
        if isinstance(exc, cls):
            return name
    return "error"


def render_error_page(
    request: Request[Any, Any, Any], exc: SurveyError, text: str
) -> Response[Any] | None:
    """A localized page for ``exc``; None leaves the JSON body (API and other paths)."""
    path = request.url.path
    if not (path.startswith("/s/") or path.startswith("/o/")):
        return None
    res: Resources = request.app.state.resources
    web: WebState = request.app.state.web
    state = request.state
    locale = getattr(state, "survey_locale", None)
    languages = getattr(state, "survey_languages", None) or list(res.supported_locales)
    allow_fuzzy = bool(getattr(state, "survey_allow_fuzzy", False))
    form = getattr(state, "survey_form", None)
    if locale is None:
        # The link was not resolved (unknown, the database away, rate-limited): the
        # language a survey page was shown in, else the browser's.
        posted = (form.get("switch_lang") or form.get("lang")) if form is not None else None
        chosen = posted or request.query_params.get("lang")
        cookie = request.cookies.get(LANG_COOKIE)
        locale = negotiate(
            chosen, cookie, request.headers.get("accept-language"), languages,
            res.settings.default_locale,
        )
        languages = [locale]
        # A language the resident chose or was answering in (a page's form, the
        # address, the switcher's cookie) was offered as it stands, draft or not:
        # the page speaks it too, and says it is unreviewed as the survey's pages do.
        # The browser's language alone keeps to reviewed text.
        allow_fuzzy = any(
            match_tag(c, languages) == locale for c in (chosen, cookie) if c)
    asked = locale
    locale = _page_locale(res.catalogs, locale, allow_fuzzy)
    # The survey's landing page, when the link is known: a page answering a POST
    # (a form's /start, /new) has no address to open again in another language.
    base: str | None = getattr(state, "survey_base", None)
    ctx = page_context(
        request, res, locale, allow_fuzzy=allow_fuzzy, languages=languages,
        reviewed=web.reviewed(res.catalogs, locale),
        switch_path=base if base and request.method != "GET" else None,
    )
    if locale != asked:
        # The switcher still offers the language asked for, and marks this one.
        for language in ctx["languages"]:
            language["current"] = language["code"] == asked
    # In the page's language, not only the one the request was told in.
    detail = ctx["_"](exc.message)
    text = detail % exc.params if exc.params else detail
    entry = getattr(exc, "entry", None)
    when = ""
    if (isinstance(exc, WaveNotOpen) and entry is not None and entry.opens_at is not None
            and entry.opens_at > datetime.now(UTC)):
        when = format_date(entry.opens_at.astimezone(_zone(entry.timezone)).date(), locale)
    if isinstance(exc, WaveClosed) and (last := exc.entry.last_open()) is not None:
        when = format_date(last.astimezone(_zone(exc.entry.timezone)).date(), locale)
    resend = _resend(request, exc, form)
    ctx.update(
        kind="not_saved" if resend else _kind(exc),
        resend=resend,
        detail=text,
        when=when,
        program_name=getattr(state, "survey_program", ""),
        status=exc.status,
        landing=f"{base}?{urlencode({'lang': asked})}" if base else None,
    )
    return Template(
        template_name="errors/state.html", context=ctx, status_code=exc.status,
        headers={"Cache-Control": "no-store"},
    )


def _resend(request: Request[Any, Any, Any], exc: SurveyError, form: Any) -> Any:
    """A survey form's post (a page's answers, the consent, "Not you?") that could not
    be saved for want of the database: the address and fields to post it again with,
    exactly as the resident sent them (their form token too), so nothing typed is lost.
    None for any other error: a refusal or a validation error is not worth sending
    again unchanged. The routes read the form before taking a connection
    (``refusals.read_first``), so it is there when the connection is not."""
    if not isinstance(exc, Unavailable) or request.method != "POST" or form is None:
        return None
    steps = request.url.path.rstrip("/").split("/")[3:]
    # The consent (``start``), "Not you?" (``new``), a page and the one-page form.
    if steps not in (["all"], ["start"], ["new"]) and not (len(steps) == 2 and steps[0] == "q"):
        return None
    query = request.url.query
    return {
        "action": request.url.path + (f"?{query}" if query else ""),
        "fields": form.multi_items(),
    }


#: What an error page shows besides the questionnaire-free layout.
_PAGE_TEMPLATES = ("survey/templates/errors/state.html", "survey/templates/survey/layout.html")


def _page_locale(catalogs: Any, locale: str, allow_fuzzy: bool) -> str:
    """``locale`` if it translates what an error page says, else English: a page in
    English text must say it is in English (lang and dir), not sit under
    ``<html lang="ar" dir="rtl">`` with its punctuation at the wrong end."""
    missing = catalogs.untranslated(locale, allow_fuzzy)
    if not missing:
        return locale
    template = catalogs.templates.get(UI_DOMAIN)
    for message in template or ():
        if message.id in missing and any(
                path in _PAGE_TEMPLATES for path, _ in message.locations):
            return SOURCE_LOCALE
    return locale


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
