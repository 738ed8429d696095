"""Domain and database errors → HTTP responses, in one place.

JSON bodies keep Litestar's shape ``{status_code, detail, extra}`` so validation
errors from the framework and from our services look alike. Messages are
translated for the reader when a catalog has them.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from survey.db import translate_error
from survey.errors import (
    InternalError,
    InvalidInput,
    LaunchRefused,
    RateLimited,
    SurveyError,
    Unavailable,
    http_problem,
)
from survey.i18n import SOURCE_LOCALE, negotiate
from survey.services.launch_gate import ENGLISH, Reader

log = logging.getLogger("survey.http")


def _translate(request: Request[Any, Any, Any], message: str) -> str:
    translate = getattr(request.state, "translate", None)
    return translate(message) if translate else message


def _render(request: Request[Any, Any, Any], exc: SurveyError) -> Response[Any]:
    text = _translate(request, exc.message)
    if exc.params:
        text = text % exc.params
    extra: Any = {"code": exc.code}
    if isinstance(exc, LaunchRefused):
        # Worded for the reader by the source the dashboard's launch step uses.
        reader = _reader(request)
        text = exc.headline(reader)
        extra = [p.as_dict() for p in exc.localize(reader)]
    elif isinstance(exc, InvalidInput):
        extra = [
            {**p.as_dict(), "reason": p.worded(lambda m: _translate(request, m))}
            for p in exc.problems
        ]
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    renderer = getattr(request.app.state, "render_error_page", None)
    if renderer is not None and _wants_html(request):
        page: Response[Any] | None = renderer(request, exc, text)
        if page is not None:
            page.headers.update(headers)
            return page
    return Response(
        {"status_code": exc.status, "detail": text, "extra": extra},
        status_code=exc.status,
        headers=headers,
    )


def _reader(request: Request[Any, Any, Any]) -> Reader:
    """The request's language among those the staff catalogs speak: ``?lang``, then
    Accept-Language, then English (an API client has no cookie or account choice)."""
    dashboard = getattr(request.app.state, "dashboard", None)
    if dashboard is None:
        return ENGLISH
    catalogs = dashboard.catalogs
    locale = negotiate(
        request.query_params.get("lang"), None, request.headers.get("accept-language"),
        catalogs.locales, SOURCE_LOCALE,
    )
    return Reader(locale, catalogs.gettext(locale), catalogs.ngettext(locale))


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def survey_error_handler(request: Request[Any, Any, Any], exc: SurveyError) -> Response[Any]:
    return _render(request, exc)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1:
        inner = exc.exceptions[0]
        if isinstance(inner, SurveyError):
            return _render(request, inner)
        if isinstance(inner, Exception):
            exc = inner
    if isinstance(exc, HTTPException):
        if _wants_html(request) and exc.status_code >= 400:
            problem = http_problem(exc.status_code, str(exc.detail))
            if exc.status_code == 400:
                # Which query values could not be read, for the page to name them.
                keys = [str(e.get("key")) for e in exc.extra or [] if isinstance(e, dict)]
                problem.params = {"what": ", ".join(k for k in keys if k != "None")}
            return _render(request, problem)
        detail = exc.detail
        if exc.status_code == 413:
            limit = request.app.state.settings.max_body_bytes
            detail = f"Request body too large: at most {limit} bytes (SURVEY_MAX_BODY_BYTES)"
        return Response(
            {"status_code": exc.status_code, "detail": detail, "extra": _problems(exc.extra)},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, UnicodeDecodeError):
        # Only bytes a client sent are decoded on a request's way in: a form or upload
        # field that is not UTF-8 (Litestar decodes multipart fields strictly).
        return _render(request, InvalidInput.one("body", "is not UTF-8 text"))
    mapped = translate_error(exc)
    if mapped is not None:
        return _render(request, mapped)
    log.exception("unhandled error", extra={"error_type": type(exc).__name__})
    if _wants_html(request):
        return _render(request, InternalError())
    return Response(
        {"status_code": 500, "detail": "Internal server error", "extra": {}}, status_code=500
    )


def _problems(extra: Any) -> Any:
    """The framework's validation problems (``message``, ``key``, ``source``) in the
    shape our own have, ``field`` and ``reason``, so a client reads both one way."""
    if not extra:
        return {}
    if isinstance(extra, list) and all(isinstance(p, dict) and "message" in p for p in extra):
        return [
            {"field": p.get("key") or p.get("source") or "", "reason": p["message"],
             **({"source": p["source"]} if p.get("source") else {})}
            for p in extra
        ]
    return extra


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    SurveyError: survey_error_handler,
    Exception: unexpected_error_handler,
}
