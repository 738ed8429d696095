"""HTML error pages for dashboard paths, chained in front of the survey's own hook.

``survey.http_errors`` asks ``app.state.render_error_page`` for a page whenever a
browser (Accept: text/html) hits a domain error; for ``/dashboard`` an expired or
missing sign-in goes to the login form, anything else gets a page in the reader's
language. Other paths go on to the respondent survey's renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from survey.errors import NotFound, SurveyError, Unauthorized
from survey.i18n.marks import staff as t

Renderer = Callable[[Request[Any, Any, Any], SurveyError, str], "Response[Any] | None"]

# The domain errors' own default messages (survey.errors imports nothing of ours, so
# they are marked here), for the page to word them like every other refusal.
DEFAULT_MESSAGES = (
    t("Your role may not do this"),
    # What ``survey.db.translate_error`` gives for a bad value or a database away.
    t("Invalid input"),
    t("Service temporarily unavailable"),
    # ``ReportPreparing``: a report on large waves, built in the background.
    t(
        "This report is being prepared: its waves have many responses and no summary "
        "yet, and the first report on them takes a minute or two. Try again in a "
        "minute."
    ),
)

# ``NotFound(what)`` says "%(what)s not found" with an English noun in it; a page says
# a whole sentence per kind, which a translator can word with the noun's own gender.
NOT_FOUND = {
    "program": t("Program not found"),
    "wave": t("Wave not found"),
    "site": t("Site not found"),
    "questionnaire": t("Questionnaire not found"),
    "open link": t("Open link not found"),
    "catalog": t("Translation catalog not found"),
    "key": t("API key not found"),
    "user": t("User not found"),
    "text to review": t("Text to review not found"),
}
PAGE_NOT_FOUND = t("Page not found")
PREPARING = t("This report is being prepared")
# Litestar's "Validation failed for GET …": a value in the address it cannot read.
BAD_ADDRESS = t(
    "This address has a value we cannot read (%(what)s); go back and choose again."
)
# Litestar's "Request Entity Too Large", for the one large thing staff send: a file.
TOO_LARGE = t(
    "This file is larger than %(size)s, the most one upload may be. Split it into "
    "smaller files and upload them one after another."
)


def worded(exc: SurveyError, translate: Callable[..., str]) -> str:
    """``exc``'s message in the words of ``translate`` (a staff catalog's ``t``)."""
    if isinstance(exc, NotFound) or (exc.status == 404 and exc.code == "http_error"):
        # Litestar's own 404 (no such route) reads as any other missing page.
        return translate(NOT_FOUND.get(str(exc.params.get("what")), PAGE_NOT_FOUND))
    if exc.status == 400 and exc.code == "http_error":
        return translate(BAD_ADDRESS, what=exc.params.get("what") or "?")
    return translate(exc.message, **exc.params) if exc.params else translate(exc.message)


LOGIN = "/dashboard/login"


def posted(request: Request[Any, Any, Any]) -> Any:
    """The form this POST sent, as ``csrf_guard`` (every dashboard POST's first step)
    read it; empty when it never got that far."""
    form = ScopeState.from_scope(request.scope).form
    return FormMultiDict.from_form_data(form if isinstance(form, dict) else {})


def _languages_to(ctx: dict[str, Any], path: str) -> None:
    for language in ctx["languages"]:
        language["href"] = f"{path}?{urlencode({'lang': language['code']})}"


def chain(fallback: Renderer | None) -> Renderer:
    def render_error_page(
        request: Request[Any, Any, Any], exc: SurveyError, text: str
    ) -> Response[Any] | None:
        path = request.url.path
        if not path.startswith("/dashboard"):
            return fallback(request, exc, text) if fallback else None
        if isinstance(exc, Unauthorized):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return Redirect(f"/dashboard/login?next={quote(target)}", status_code=303)
        from survey.dashboard.auth import safe_next
        from survey.dashboard.context import page_context, render

        who = getattr(request.state, "principal", None)
        ctx = page_context(request, who)
        detail = worded(exc, ctx["t"])
        if exc.status == 413:
            limit = request.app.state.settings.max_body_bytes / 1_000_000
            detail = ctx["t"](TOO_LARGE, size=f"{ctx['number'](round(limit, 1))}\u00a0MB")
        if request.method != "GET":
            # The address answers only this method: a language link to it would be a 405.
            _languages_to(ctx, LOGIN if path == LOGIN else "/dashboard")
        if exc.status == 503 and request.method == "POST":
            form = posted(request)
            if path == LOGIN:
                # The sign-in form again, the email kept; never the password in a page.
                ctx.update(next=safe_next(str(form.get("next", ""))),
                           email=str(form.get("email", ""))[:200], error="unavailable")
                return render(request, "dashboard/login.html", ctx, status_code=503)
            items = list(form.multi_items())
            # A chosen file cannot be posted again from a page: no retry form that would
            # say "sent again" and leave the file out.
            if all(isinstance(v, str) for _, v in items):
                ctx.update(
                    retry_action=path + (f"?{request.url.query}" if request.url.query else ""),
                    retry_fields=items,
                )
        if exc.code == "preparing" and request.method == "GET":
            # Not a page that reloads itself: a reload a reader did not ask for moves a
            # screen reader back to the top (WCAG 2.2.1); the reader checks when ready.
            ctx.update(check_again=path + (f"?{request.url.query}" if request.url.query else ""),
                       heading=ctx["t"](PREPARING))
        ctx.update(status=exc.status, detail=detail)
        return render(request, "dashboard/error.html", ctx, status_code=exc.status)

    return render_error_page
