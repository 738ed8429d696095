"""What every dashboard page needs: the reader's language, CSRF, formatting helpers.

Language: ``?lang`` (remembered in a cookie), then that cookie, then the user's own
``users.locale`` (unless it is the default English, which we cannot tell from "never
set"), then Accept-Language, then English; only languages the dashboard speaks.

CSRF: a signed double submit. A random cookie (HttpOnly, SameSite=Strict) is set on
the first page; every form carries ``survey.web.csrf.issue(secret, cookie, purpose)``
and every POST is checked against the cookie (``csrf_guard``). A cross-site page can
neither read the cookie nor forge the HMAC without the service's secret key.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request
from litestar.datastructures import Cookie
from litestar.response import Template
from markupsafe import Markup, escape

from survey.access import Principal
from survey.errors import Forbidden
from survey.i18n import (
    SOURCE_LOCALE,
    format_datetime,
    format_number,
    format_percent,
    html_lang,
    language_in,
    native_name,
    negotiate,
    text_direction,
)
from survey.i18n.marks import staff as t
from survey.render.labels import (
    CHANNEL_LABELS,
    PHASE_LABELS,
    PHASES,
    ROLE_LABELS,
    STATE_LABELS,
    label,
)
from survey.web import csrf

LANG_COOKIE = "survey_dash_lang"
CSRF_COOKIE = "survey_dash_csrf"
CSRF_FIELD = csrf.FIELD
PURPOSE = "dashboard"


def state(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.dashboard


def choose_locale(request: Request[Any, Any, Any], who: Principal | None) -> str:
    supported = state(request).catalogs.locales
    account = who.locale if who is not None and who.locale != SOURCE_LOCALE else None
    cookie = request.cookies.get(LANG_COOKIE)
    return negotiate(
        request.query_params.get("lang"),
        cookie or account,
        request.headers.get("accept-language"),
        supported,
        SOURCE_LOCALE,
    )


def csrf_cookie(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it is new (to be set now)."""
    found = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(found) <= 100:
        return found, False
    fresh: str | None = getattr(request.state, "dash_csrf", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(24)
        request.state.dash_csrf = fresh
    return fresh, True


async def csrf_guard(request: Request[Any, Any, Any]) -> None:
    """Reject a dashboard POST whose token does not match the browser's cookie."""
    if request.method != "POST":
        return
    form = await request.form()
    token = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    secret = request.app.state.settings.secret_key
    if not isinstance(token, str) or not csrf.valid(secret, cookie, PURPOSE, token):
        raise Forbidden(
            t("This form has expired or came from another site; reload and try again")
        )


class DashboardPages(Controller):
    """The base of every page controller: each POST passes ``csrf_guard`` first, and no
    page is in the API's schema.

    Set on each controller rather than on one Router around them: Litestar deep-copies
    a Router given to it, every handler inside, once per app it builds; that was 0.1 s
    of every app, in the worker's start and in each of hundreds of tests' set-ups."""

    before_request = staticmethod(csrf_guard)
    include_in_schema = False


def query_count(value: str | None) -> int | None:
    """A count carried in a redirect's query (``?purged=3``); None when absent or not
    a number."""
    return int(value) if value is not None and value.isdigit() else None


def fmt_number(locale: str) -> Any:
    def number(value: float | int | None, digits: int | None = None) -> str:
        if value is None or value != value:  # None or NaN
            return "–"
        if digits is not None:
            value = round(float(value), digits)
        return format_number(value, locale)

    return number


def lang_attrs(page_locale: str) -> Any:
    """``lang_attrs(code)``: the ``lang`` (and, where it differs from the page's,
    ``dir``) attributes for a text in ``code``, such as a language's own name: a
    screen reader then reads 简体中文 as Chinese, and العربية keeps its direction in an
    English page. As the header's language switcher tags its links."""
    page_dir = text_direction(page_locale)

    def attrs(code: str) -> Markup:
        out = f' lang="{escape(html_lang(code))}"'
        if text_direction(code) != page_dir:
            out += f' dir="{text_direction(code)}"'
        return Markup(out)

    return attrs


def page_context(
    request: Request[Any, Any, Any], who: Principal | None, **extra: Any
) -> dict[str, Any]:
    locale = choose_locale(request, who)
    dash = state(request)
    t = dash.catalogs.gettext(locale)
    cookie, _ = csrf_cookie(request)
    secret = request.app.state.settings.secret_key
    request.state.translate = t
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    languages = [
        {
            "code": code,
            "name": native_name(code),
            "html_lang": html_lang(code),
            "href": f"{request.url.path}?{urlencode({**query, 'lang': code})}",
            "current": code == locale,
        }
        for code in dash.catalogs.locales
    ]
    return {
        "t": t,
        "tn": dash.catalogs.ngettext(locale),
        "locale": locale,
        "html_lang": html_lang(locale),
        "dir": text_direction(locale),
        "who": who,
        "csrf": lambda: csrf.issue(secret, cookie, PURPOSE),
        "csrf_field": CSRF_FIELD,
        "languages": languages,
        "number": fmt_number(locale),
        "phases": PHASES,
        "phase": lambda value: label(PHASE_LABELS, value, t),
        "percent": lambda v: "–" if v is None or v != v else format_percent(v, locale),
        "when": lambda v, zone=None: "" if v is None else _when(v, locale, zone),
        "channel": lambda value: label(CHANNEL_LABELS, value, t),
        "state": lambda value: label(STATE_LABELS, value, t),
        "role": lambda value: label(ROLE_LABELS, value, t),
        "language": lambda code: language_in(code, locale),
        "lang_attrs": lang_attrs(locale),
        **extra,
    }


def _when(value: datetime, locale: str, zone: str | None = None) -> str:
    """Short date and time; with ``zone`` (an IANA name), in that zone and saying which
    ("11/24/26, 5:37 AM (Pacific Standard Time)"), since a bare UTC clock reads as local."""
    if zone is None:
        return format_datetime(value, locale, format="short")
    from babel.dates import get_timezone, get_timezone_name

    from survey.i18n.locales import babel_locale

    try:
        local = value.astimezone(get_timezone(zone))
    except OverflowError:
        # At the ends of time (stored before wave dates were kept to WAVE_YEARS).
        return format_datetime(value, locale, format="short")
    name = get_timezone_name(local, width="long", locale=babel_locale(locale))
    return f"{format_datetime(value, locale, zone, format='short')} ({name})"


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Template:
    """A dashboard page; sets the CSRF and language cookies when they are new."""
    cookies: list[Cookie] = []
    value, new = csrf_cookie(request)
    secure = request.app.state.settings.cookie_secure
    if new:
        cookies.append(
            Cookie(
                key=CSRF_COOKIE,
                value=value,
                httponly=True,
                samesite="strict",
                secure=secure,
                path="/dashboard",
            )
        )
    picked = request.query_params.get("lang")
    if picked and picked == context.get("locale"):
        cookies.append(
            Cookie(
                key=LANG_COOKIE,
                value=picked,
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/",
                max_age=365 * 24 * 3600,
            )
        )
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        # Handlers return ``Any``; without this Litestar would not infer HTML. No
        # charset here: Litestar appends "; charset=utf-8" to text types itself.
        media_type="text/html",
        cookies=cookies,
        headers={"Cache-Control": "no-store"},
    )
